// The three services under their Redis ACL users (deploy/redis/users.acl,
// passwords generated at test time) against a redis-server of the test's own
// started with --aclfile and the default user off: referrals submitted to
// intake are triaged and routed, every Lua script runs, and Redis logs no
// ACL refusal.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/redis/redis_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "tests/support/redis_acl_files.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/service_process.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::RedisAclFiles;
using ::referrals::testing::RedisServerProcess;
using ::referrals::testing::ServiceProcess;
using referrals::v1::Referral;

Referral MakeReferral(const std::string& request_id) {
  Referral referral;
  referral.set_kind(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->set_given_name("Synthetic");
  referral.mutable_adult()->set_family_name("Person");
  referral.mutable_adult()->mutable_home_address()->set_postcode("CM1 1AB");
  referral.mutable_harm_location()->mutable_address()->set_postcode("SS1 2AB");
  referral.mutable_referrer()->set_organisation("Example Care Ltd");
  referral.mutable_referrer()->set_role("Manager");
  referral.mutable_referrer()->set_phone("01245 000000");
  referral.set_concern("Synthetic test concern.");
  referral.set_consent(referrals::v1::CONSENT_GIVEN);
  referral.set_channel(referrals::v1::CHANNEL_API);
  referral.set_request_id(request_id);
  return referral;
}

bool IsFinal(referrals::v1::ReferralStatus status) {
  return status == referrals::v1::REFERRAL_STATUS_ROUTED ||
         status == referrals::v1::REFERRAL_STATUS_MANUAL_TRIAGE ||
         status == referrals::v1::REFERRAL_STATUS_OUT_OF_AREA;
}

class AclPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<RedisAclFiles> files = RedisAclFiles::Create();
    ASSERT_THAT(files.status(), IsOk());
    files_ = std::make_unique<RedisAclFiles>(*std::move(files));
    redis_.AddArguments({"--aclfile", files_->acl_file()});
    ASSERT_THAT(redis_.Start(), IsOk());
  }

  void TearDown() override {
    for (ServiceProcess* service : {intake_.get(), triage_.get(), routing_.get()}) {
      if (service != nullptr && service->running()) {
        EXPECT_EQ(service->Stop(), 0);
      }
    }
    if (files_ != nullptr) std::filesystem::remove_all(files_->dir());
  }

  std::unique_ptr<ServiceProcess> Start(const std::string& binary, const std::string& name,
                                        std::vector<std::string> args) {
    args.push_back(absl::StrCat("--redis_password_file=", files_->PasswordFile(name)));
    auto process = std::make_unique<ServiceProcess>(
        binary, args, absl::StrCat(::testing::TempDir(), "/acl_", name, ".log"));
    absl::Status started = process->Start();
    EXPECT_THAT(started, IsOk()) << name;
    return started.ok() ? std::move(process) : nullptr;
  }

  // The three services, each as its own user; the user named both ways: in
  // the URL, and with --redis_user.
  void StartAll() {
    const std::string port = absl::StrCat(redis_.port());
    intake_ =
        Start(INTAKE_BINARY, "intake", {absl::StrCat("--redis=redis://intake@127.0.0.1:", port)});
    triage_ = Start(TRIAGE_BINARY, "triage",
                    {absl::StrCat("--redis=redis://127.0.0.1:", port), "--redis_user=triage",
                     "--claim_idle_ms=1000"});
    routing_ = Start(ROUTING_BINARY, "routing",
                     {absl::StrCat("--redis=redis://127.0.0.1:", port), "--redis_user=routing",
                      "--claim_idle_ms=1000"});
  }

  std::unique_ptr<RedisConnection> Admin() {
    auto admin = RedisConnection::Connect(files_->OptionsFor(redis_.options(), "admin"));
    EXPECT_THAT(admin.status(), IsOk());
    return admin.ok() ? *std::move(admin) : nullptr;
  }

  // Every ACL refusal Redis logged, one per line; empty when none.
  std::string AclRefusals() {
    std::unique_ptr<RedisConnection> admin = Admin();
    if (admin == nullptr) return "no admin connection";
    absl::StatusOr<RedisReply> log = admin->Command({"ACL", "LOG"});
    if (!log.ok()) return std::string(log.status().message());
    std::string refused;
    for (const RedisReply& entry : log->elements) {
      for (size_t i = 0; i + 1 < entry.elements.size(); i += 2) {
        absl::StrAppend(&refused, entry.elements[i].str, "=", entry.elements[i + 1].str, " ");
      }
      refused += "\n";
    }
    return refused;
  }

  std::unique_ptr<RedisAclFiles> files_;
  RedisServerProcess redis_{"no"};
  std::unique_ptr<ServiceProcess> intake_, triage_, routing_;
};

TEST_F(AclPipelineTest, ReferralsAreRoutedWithEachServiceUnderItsOwnUser) {
  StartAll();
  ASSERT_NE(intake_, nullptr);
  ASSERT_NE(triage_, nullptr);
  ASSERT_NE(routing_, nullptr);

  auto stub = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake_->address()));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::SubmitReferralRequest request;
    *request.mutable_referral() = MakeReferral(absl::StrCat("acl-", i));
    referrals::v1::SubmitReferralResponse response;
    grpc::Status status = stub->SubmitReferral(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ids.push_back(response.referral_id());
  }

  for (const std::string& id : ids) {
    referrals::v1::ReferralRecord record;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      referrals::v1::GetReferralRequest request;
      request.set_referral_id(id);
      referrals::v1::GetReferralResponse response;
      if (stub->GetReferral(&context, request, &response).ok()) {
        record = response.referral();
        if (IsFinal(record.status())) break;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_EQ(record.status(), referrals::v1::REFERRAL_STATUS_ROUTED)
        << id << " is " << referrals::v1::ReferralStatus_Name(record.status());
  }

  // The lifecycle and retention's purge (issue 8) under routing's user.
  auto routing = referrals::v1::RoutingService::NewStub(testing::TestChannel(routing_->address()));
  auto deadline = [](grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  };
  {
    grpc::ClientContext context;
    deadline(&context);
    referrals::v1::AcceptReferralRequest request;
    request.set_referral_id(ids[0]);
    request.set_actor("acl-worker");
    referrals::v1::TransitionResponse response;
    grpc::Status status = routing->AcceptReferral(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    grpc::ClientContext context;
    deadline(&context);
    referrals::v1::CompleteReferralRequest request;
    request.set_referral_id(ids[0]);
    request.set_actor("acl-worker");
    referrals::v1::TransitionResponse response;
    grpc::Status status = routing->CompleteReferral(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    grpc::ClientContext context;
    deadline(&context);
    referrals::v1::PurgePersonalDataRequest request;
    request.set_referral_id(ids[0]);
    referrals::v1::PurgePersonalDataResponse response;
    grpc::Status status = routing->PurgePersonalData(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.purged_referral_ids_size(), 1);
  }

  std::unique_ptr<RedisConnection> admin = Admin();
  ASSERT_NE(admin, nullptr);
  ASSERT_OK_AND_ASSIGN(RedisReply queued,
                       admin->Command({"XLEN", "referrals:queue:southend-front-door"}));
  EXPECT_EQ(queued.integer, 4);
  ASSERT_OK_AND_ASSIGN(RedisReply dead, admin->Command({"XLEN", "referrals:stream:deadletter"}));
  EXPECT_EQ(dead.integer, 0);
  // No command or key any service sent was refused.
  EXPECT_EQ(AclRefusals(), "");
}

TEST_F(AclPipelineTest, DeadLettersAreWrittenListedAndReplayedUnderTheirUsers) {
  StartAll();
  ASSERT_NE(triage_, nullptr);
  ASSERT_NE(routing_, nullptr);
  // An entry triage cannot parse: triage dead-letters it (MULTI/EXEC).
  std::unique_ptr<RedisConnection> admin = Admin();
  ASSERT_NE(admin, nullptr);
  ASSERT_THAT(admin
                  ->Command({"XADD", "referrals:stream:submitted", "*", "referral_id",
                             "R-20261123-000000000000", "event", "not a protobuf"})
                  .status(),
              IsOk());

  auto routing = referrals::v1::RoutingService::NewStub(testing::TestChannel(routing_->address()));
  referrals::v1::ListDeadLettersResponse listed;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    listed.Clear();
    if (routing->ListDeadLetters(&context, {}, &listed).ok() && listed.dead_letters_size() > 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(listed.dead_letters_size(), 1);

  // Replaying (routing's script: XRANGE, XADD, XDEL) is refused only as a
  // dead letter that does not parse; never by the ACL.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  referrals::v1::ReplayDeadLetterRequest request;
  request.set_dead_letter_id(listed.dead_letters(0).dead_letter_id());
  referrals::v1::ReplayDeadLetterResponse replayed;
  grpc::Status status = routing->ReplayDeadLetter(&context, request, &replayed);
  EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_NE(status.error_code(), grpc::StatusCode::INTERNAL) << status.error_message();

  grpc::ClientContext queues_context;
  queues_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  referrals::v1::ListQueuesResponse queues;
  EXPECT_TRUE(routing->ListQueues(&queues_context, {}, &queues).ok());
  EXPECT_EQ(AclRefusals(), "");
}

}  // namespace
}  // namespace referrals
