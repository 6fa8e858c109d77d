// The receiving teams' RPCs over gRPC: the routing service in process on a
// free port with its lifecycle stores, against a real Redis. Field
// validation, reads, the referrer's outcome, and concurrent claimers.
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/pipeline/dead_letter_store.h"
#include "common/service/grpc_server.h"
#include "common/service/grpc_status.h"
#include "common/service/redis_worker_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "services/routing/lifecycle_store.h"
#include "services/routing/queue_store.h"
#include "services/routing/routing_data.h"
#include "services/routing/routing_service.h"
#include "services/routing/worklist_store.h"
#include "tests/services/routing/lifecycle_test_util.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  for (const FieldViolation& violation : FieldViolationsOf(status))
    fields.push_back(violation.field);
  return fields;
}

std::unique_ptr<grpc::ClientContext> Call() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return context;
}

class RoutingLifecycleRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_options_ = referrals::testing::RedisOptionsFromEnv();
    connection_ = referrals::testing::ConnectToTestRedis();
    ASSERT_NE(connection_, nullptr);
    RoutingDataPaths paths;
    paths.rules = REFERRALS_DEFAULT_RULES;
    paths.postcode_sectors = REFERRALS_DEFAULT_SECTORS;
    paths.local_authorities = REFERRALS_DEFAULT_AUTHORITIES;
    absl::StatusOr<RoutingData> data = LoadRoutingData(paths);
    ASSERT_THAT(data, IsOk());
    data_ = *std::move(data);
    queues_ = std::make_unique<QueueStore>(keys_, data_.config);
    dead_letters_ = std::make_unique<DeadLetterStore>(keys_);
    lifecycle_ = std::make_unique<LifecycleStore>(keys_, data_.config);
    worklists_ = std::make_unique<WorklistStore>(keys_);
    pool_ = std::make_unique<RedisWorkerPool>(redis_options_, 4);
    service_ = std::make_unique<RoutingServiceImpl>(
        data_.triage, data_.engine, queues_.get(), dead_letters_.get(), pool_.get(), redis_options_,
        LifecycleStores{lifecycle_.get(), worklists_.get()});
    absl::StatusOr<StartedServer> started = StartGrpcServer("127.0.0.1:0", {service_.get()});
    ASSERT_THAT(started, IsOk());
    server_ = std::move(started->server);
    address_ = absl::StrCat("127.0.0.1:", started->port);
    stub_ = referrals::v1::RoutingService::NewStub(referrals::testing::TestChannel(address_));
  }

  void TearDown() override {
    stub_.reset();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
    if (pool_ != nullptr) pool_->Shutdown();
  }

  void Seed(const std::string& id, int minute = 0) {
    referrals::testing::SeedReferral seed;
    seed.referral_id = id;
    seed.received = absl::FromUnixSeconds(1700000000) + absl::Minutes(minute);
    ASSERT_THAT(referrals::testing::SeedRoutedReferral(*connection_, keys_, seed), IsOk());
  }

  Keys keys_{referrals::testing::UniqueKeyPrefix()};
  RedisOptions redis_options_;
  std::unique_ptr<RedisConnection> connection_;
  RoutingData data_;
  std::unique_ptr<QueueStore> queues_;
  std::unique_ptr<DeadLetterStore> dead_letters_;
  std::unique_ptr<LifecycleStore> lifecycle_;
  std::unique_ptr<WorklistStore> worklists_;
  std::unique_ptr<RedisWorkerPool> pool_;
  std::unique_ptr<RoutingServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<referrals::v1::RoutingService::Stub> stub_;
};

TEST_F(RoutingLifecycleRpcTest, MissingFieldsAreNamedInBadRequest) {
  referrals::v1::TransitionResponse response;
  grpc::Status status =
      stub_->AcceptReferral(Call().get(), referrals::v1::AcceptReferralRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("referral_id", "actor"));

  status =
      stub_->RedirectReferral(Call().get(), referrals::v1::RedirectReferralRequest(), &response);
  EXPECT_THAT(ViolatedFields(status),
              UnorderedElementsAre("referral_id", "actor", "to_queue", "reason"));

  referrals::v1::RejectReferralRequest reject;
  reject.set_referral_id("r1");
  reject.set_actor("someone");
  status = stub_->RejectReferral(Call().get(), reject, &response);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("reason"));
  reject.set_reason(referrals::v1::REJECT_REASON_OTHER);
  status = stub_->RejectReferral(Call().get(), reject, &response);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("comment"));

  referrals::v1::ClaimNextRequest claim;
  claim.set_lease_seconds(-1);
  referrals::v1::ClaimNextResponse claimed;
  status = stub_->ClaimNext(Call().get(), claim, &claimed);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("queue", "claimer", "lease_seconds"));

  referrals::v1::ListWorklistRequest list;
  list.set_queue("ecc-north-east");
  list.set_page_size(501);
  referrals::v1::ListWorklistResponse listed;
  status = stub_->ListWorklist(Call().get(), list, &listed);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("page_size"));
  list.set_page_size(0);
  list.set_queue("no-such-queue");
  status = stub_->ListWorklist(Call().get(), list, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RoutingLifecycleRpcTest, GetReferralGivesTheEtagAndTheActionsAllowedNow) {
  Seed("r1");
  referrals::v1::GetReferralRequest request;
  request.set_referral_id("r1");
  referrals::v1::GetReferralResponse response;
  ASSERT_TRUE(stub_->GetReferral(Call().get(), request, &response).ok());
  EXPECT_EQ(response.referral().etag(), 1);
  EXPECT_EQ(response.referral().queue(), "ecc-north-east");
  EXPECT_EQ(response.referral().allowed_actions_size(), 4);
  request.set_referral_id("missing");
  EXPECT_EQ(stub_->GetReferral(Call().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(RoutingLifecycleRpcTest, StaleEtagIsAbortedWithoutEchoingTheActor) {
  Seed("r1");
  referrals::v1::AcceptReferralRequest accept;
  accept.set_referral_id("r1");
  accept.set_actor("Synthetic Worker");
  accept.set_etag(9);
  referrals::v1::TransitionResponse response;
  grpc::Status status = stub_->AcceptReferral(Call().get(), accept, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("Synthetic")));
  accept.set_etag(1);
  ASSERT_TRUE(stub_->AcceptReferral(Call().get(), accept, &response).ok());
  EXPECT_EQ(response.status(), referrals::v1::REFERRAL_STATUS_ACCEPTED);
  EXPECT_EQ(response.etag(), 2);
}

TEST_F(RoutingLifecycleRpcTest, OutcomeByRequestIdLeavesOutTheComment) {
  Seed("r1");
  referrals::v1::RejectReferralRequest reject;
  reject.set_referral_id("r1");
  reject.set_actor("Synthetic Worker");
  reject.set_reason(referrals::v1::REJECT_REASON_INSUFFICIENT_INFORMATION);
  reject.set_comment("Synthetic comment naming someone");
  referrals::v1::TransitionResponse rejected;
  ASSERT_TRUE(stub_->RejectReferral(Call().get(), reject, &rejected).ok());

  referrals::v1::GetReferralOutcomeRequest request;
  request.set_request_id("req-r1");
  referrals::v1::GetReferralOutcomeResponse response;
  ASSERT_TRUE(stub_->GetReferralOutcome(Call().get(), request, &response).ok());
  EXPECT_EQ(response.outcome().referral_id(), "r1");
  EXPECT_EQ(response.outcome().status(), referrals::v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(response.outcome().reject_reason(),
            referrals::v1::REJECT_REASON_INSUFFICIENT_INFORMATION);
  EXPECT_THAT(response.outcome().DebugString(), Not(HasSubstr("Synthetic")));

  request.set_referral_id("r1");
  grpc::Status both = stub_->GetReferralOutcome(Call().get(), request, &response);
  EXPECT_THAT(ViolatedFields(both), UnorderedElementsAre("referral_id", "request_id"));
  request.Clear();
  request.set_request_id("req-unknown");
  EXPECT_EQ(stub_->GetReferralOutcome(Call().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(RoutingLifecycleRpcTest, ConcurrentClaimersOverGrpcNeverShareAReferral) {
  constexpr int kReferrals = 40;
  constexpr int kClaimers = 4;
  for (int i = 0; i < kReferrals; ++i) Seed(absl::StrCat("r", i), i);
  absl::Mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClaimers; ++c) {
    threads.emplace_back([&, c] {
      auto stub = referrals::v1::RoutingService::NewStub(referrals::testing::TestChannel(address_));
      referrals::v1::ClaimNextRequest request;
      request.set_queue("ecc-north-east");
      request.set_claimer(absl::StrCat("worker-", c));
      while (true) {
        referrals::v1::ClaimNextResponse response;
        grpc::Status status = stub->ClaimNext(Call().get(), request, &response);
        if (!status.ok()) {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
          return;
        }
        absl::MutexLock lock(&mu);
        claimed.push_back(response.item().referral_id());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kReferrals));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(),
            static_cast<size_t>(kReferrals));
}

}  // namespace
}  // namespace referrals
