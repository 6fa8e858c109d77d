// End to end: intake, triage and routing as real processes over real Redis
// streams, driven through their gRPC APIs. Each test gets its own key prefix
// and its own three processes.
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/pipeline/stream_consumer.h"
#include "common/service/grpc_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "referrals/v1/triage_service.grpc.pb.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::ServiceProcess;
using referrals::v1::Referral;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Referral MakeReferral(referrals::v1::ReferralKind kind, const std::string& home_postcode,
                      const std::string& request_id) {
  Referral referral;
  referral.set_kind(kind);
  referral.mutable_adult()->set_given_name("Synthetic");
  referral.mutable_adult()->set_family_name("Person");
  referral.mutable_adult()->mutable_home_address()->set_postcode(home_postcode);
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

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_options_ = testing::RedisOptionsFromEnv();
    prefix_ = testing::UniqueKeyPrefix();
    auto connection = RedisConnection::Connect(redis_options_);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
    redis_url_ = absl::StrCat("redis://", redis_options_.host, ":", redis_options_.port);
    intake_ = StartService(INTAKE_BINARY, "intake", {});
    triage_ = StartService(TRIAGE_BINARY, "triage", {"--claim_idle_ms=1000"});
    routing_ =
        StartService(ROUTING_BINARY, "routing", {"--claim_idle_ms=1000", "--consumer=routing-a"});
    ASSERT_NE(intake_, nullptr);
    ASSERT_NE(triage_, nullptr);
    ASSERT_NE(routing_, nullptr);
    intake_stub_ = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake_->address()));
    NewRoutingStub();
    triage_stub_ = referrals::v1::TriageService::NewStub(testing::TestChannel(triage_->address()));
  }

  void TearDown() override {
    // Close our channels first: an idle client connection otherwise holds a
    // server's shutdown in its connection drain for seconds.
    intake_stub_.reset();
    routing_stub_.reset();
    triage_stub_.reset();
    // A clean SIGTERM must exit 0: stop in pipeline order.
    for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
      if (service != nullptr && service->running()) {
        EXPECT_EQ(service->Stop(), 0);
      }
    }
  }

  std::unique_ptr<ServiceProcess> StartService(const std::string& binary, const std::string& name,
                                               std::vector<std::string> extra) {
    std::vector<std::string> args = {absl::StrCat("--redis=", redis_url_),
                                     absl::StrCat("--redis_prefix=", prefix_)};
    args.insert(args.end(), extra.begin(), extra.end());
    auto process = std::make_unique<ServiceProcess>(
        binary, args, absl::StrCat(::testing::TempDir(), "/", name, ".log"));
    absl::Status started = process->Start();
    EXPECT_TRUE(started.ok()) << started;
    return started.ok() ? std::move(process) : nullptr;
  }

  void NewRoutingStub() {
    routing_stub_ =
        referrals::v1::RoutingService::NewStub(testing::TestChannel(routing_->address()));
  }

  grpc::Status Submit(const Referral& referral, referrals::v1::SubmitReferralResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::SubmitReferralRequest request;
    *request.mutable_referral() = referral;
    return intake_stub_->SubmitReferral(&context, request, response);
  }

  std::string SubmitOk(const Referral& referral) {
    referrals::v1::SubmitReferralResponse response;
    grpc::Status status = Submit(referral, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.referral_id();
  }

  grpc::Status Get(const std::string& id, referrals::v1::ReferralRecord* record) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::GetReferralRequest request;
    request.set_referral_id(id);
    referrals::v1::GetReferralResponse response;
    grpc::Status status = intake_stub_->GetReferral(&context, request, &response);
    *record = response.referral();
    return status;
  }

  // Polls until the referral has been routed somewhere.
  referrals::v1::ReferralRecord WaitUntilRouted(const std::string& id,
                                                absl::Duration timeout = absl::Seconds(20)) {
    referrals::v1::ReferralRecord record;
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (Get(id, &record).ok() && IsFinal(record.status())) return record;
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "referral " << id << " was not routed in time; status "
                  << referrals::v1::ReferralStatus_Name(record.status());
    return record;
  }

  // Referral ids on the queue, in order, read straight from Redis.
  std::vector<std::string> QueueIds(const std::string& queue) {
    std::vector<std::string> ids;
    auto reply = redis_->Command({"XRANGE", prefix_ + "queue:" + queue, "-", "+"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return ids;
    for (const StreamEntry& entry : ParseStreamEntries(*reply)) ids.push_back(entry.referral_id);
    return ids;
  }

  // Every referral id on every queue, with how often it appears.
  std::map<std::string, int> AllQueuedIds() {
    std::map<std::string, int> counts;
    auto keys = redis_->Command({"KEYS", prefix_ + "queue:*"});
    EXPECT_TRUE(keys.ok()) << keys.status();
    if (!keys.ok()) return counts;
    for (const RedisReply& key : keys->elements) {
      auto reply = redis_->Command({"XRANGE", key.str, "-", "+"});
      if (!reply.ok()) continue;
      for (const StreamEntry& entry : ParseStreamEntries(*reply)) ++counts[entry.referral_id];
    }
    return counts;
  }

  int64_t KeyCount() {
    auto keys = redis_->Command({"KEYS", prefix_ + "*"});
    return keys.ok() ? static_cast<int64_t>(keys->elements.size()) : -1;
  }

  // The consumers create their streams (XGROUP CREATE MKSTREAM) on their own
  // threads, which may still be starting when the gRPC port answers: wait for
  // both, so a key count taken now stays put unless something is stored.
  void WaitForConsumerStreams() {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      auto exists =
          redis_->Command({"EXISTS", prefix_ + "stream:submitted", prefix_ + "stream:triaged"});
      if (exists.ok() && exists->integer == 2) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "the consumers' streams did not appear";
  }

  RedisOptions redis_options_;
  std::string redis_url_;
  std::string prefix_;
  std::unique_ptr<RedisConnection> redis_;
  std::unique_ptr<ServiceProcess> intake_, triage_, routing_;
  std::unique_ptr<referrals::v1::IntakeService::Stub> intake_stub_;
  std::unique_ptr<referrals::v1::RoutingService::Stub> routing_stub_;
  std::unique_ptr<referrals::v1::TriageService::Stub> triage_stub_;
};

TEST_F(PipelineTest, SafeguardingHarmInSouthendByChelmsfordProviderLandsOnSouthendQueue) {
  Referral referral =
      MakeReferral(referrals::v1::ADULT_SAFEGUARDING_CONCERN, "CM1 1AB", "southend-harm-1");
  referral.mutable_referrer()->set_organisation("Example Home Care (Chelmsford)");
  referral.mutable_harm_location()->mutable_address()->set_postcode("SS1 2AB");
  const std::string id = SubmitOk(referral);

  referrals::v1::ReferralRecord record = WaitUntilRouted(id);
  EXPECT_EQ(record.status(), referrals::v1::REFERRAL_STATUS_ROUTED);
  EXPECT_EQ(record.decision().authority_id(), "SOUTHEND");
  EXPECT_EQ(record.decision().queue(), "southend-front-door");
  EXPECT_EQ(record.decision().location_basis(), referrals::v1::LOCATION_BASIS_PLACE_OF_HARM);
  EXPECT_THAT(QueueIds("southend-front-door"), ElementsAre(id));
  EXPECT_THAT(QueueIds("ecc-mid"), IsEmpty());
}

TEST_F(PipelineTest, EquipmentForColchesterResidentLandsOnIcels) {
  const std::string id =
      SubmitOk(MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "equipment-1"));
  referrals::v1::ReferralRecord record = WaitUntilRouted(id);
  EXPECT_EQ(record.decision().authority_id(), "ESSEX");
  EXPECT_EQ(record.decision().location().locality_id(), "NORTH_EAST");
  EXPECT_EQ(record.decision().queue(), "ecc-icels");
  EXPECT_THAT(QueueIds("ecc-icels"), ElementsAre(id));
}

TEST_F(PipelineTest, ConcernAboutCareProviderLandsOnOrganisationalSafeguarding) {
  Referral referral = MakeReferral(referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN, "CM2 6AB",
                                   "organisational-1");
  referral.mutable_service()->set_name("Example Lodge Care Home");
  referral.mutable_service()->mutable_address()->set_postcode("CM2 6AB");
  const std::string id = SubmitOk(referral);
  referrals::v1::ReferralRecord record = WaitUntilRouted(id);
  EXPECT_EQ(record.decision().queue(), "ecc-organisational-safeguarding");
  EXPECT_EQ(record.decision().location_basis(), referrals::v1::LOCATION_BASIS_SERVICE);
  EXPECT_THAT(QueueIds("ecc-organisational-safeguarding"), ElementsAre(id));
}

TEST_F(PipelineTest, OutOfAreaPostcodeGetsOutOfAreaOutcomeNamingTheCouncil) {
  const std::string id =
      SubmitOk(MakeReferral(referrals::v1::SENSORY_SUPPORT, "CB2 1AB", "out-of-area-1"));
  referrals::v1::ReferralRecord record = WaitUntilRouted(id);
  EXPECT_EQ(record.status(), referrals::v1::REFERRAL_STATUS_OUT_OF_AREA);
  EXPECT_EQ(record.decision().outcome(), referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA);
  EXPECT_THAT(record.decision().out_of_area_councils(),
              ElementsAre("Cambridgeshire County Council"));
  EXPECT_THAT(QueueIds("out-of-area"), ElementsAre(id));
}

TEST_F(PipelineTest, SplitSectorGoesToManualTriageNamingCandidates) {
  // CM1 4 is split between Chelmsford (Mid) and Uttlesford (West).
  const std::string id =
      SubmitOk(MakeReferral(referrals::v1::CARE_TECHNOLOGY, "CM1 4ZZ", "split-1"));
  referrals::v1::ReferralRecord record = WaitUntilRouted(id);
  EXPECT_EQ(record.status(), referrals::v1::REFERRAL_STATUS_MANUAL_TRIAGE);
  EXPECT_EQ(record.decision().queue(), "manual-triage");
  EXPECT_GE(record.decision().location().candidates_size(), 2);
  EXPECT_THAT(QueueIds("manual-triage"), ElementsAre(id));
}

TEST_F(PipelineTest, SameRequestIdTwiceGivesOneReferralAndOneQueueEntry) {
  const Referral referral =
      MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "portal-retry-1");
  referrals::v1::SubmitReferralResponse first, second;
  ASSERT_TRUE(Submit(referral, &first).ok());
  ASSERT_TRUE(Submit(referral, &second).ok());
  EXPECT_FALSE(first.duplicate());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(first.referral_id(), second.referral_id());
  WaitUntilRouted(first.referral_id());
  EXPECT_THAT(QueueIds("ecc-icels"), ElementsAre(first.referral_id()));
  auto submitted = redis_->Command({"XLEN", prefix_ + "stream:submitted"});
  ASSERT_TRUE(submitted.ok());
  EXPECT_EQ(submitted->integer, 1);
}

TEST_F(PipelineTest, SameRequestIdWithDifferentContentIsAlreadyExists) {
  Referral referral = MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "reused-1");
  referrals::v1::SubmitReferralResponse response;
  ASSERT_TRUE(Submit(referral, &response).ok());
  referral.set_concern("A different concern.");
  grpc::Status status = Submit(referral, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id"));
}

TEST_F(PipelineTest, InvalidReferralIsRejectedWithFieldErrorsAndLeavesRedisUntouched) {
  WaitForConsumerStreams();
  const int64_t keys_before = KeyCount();
  Referral referral = MakeReferral(referrals::v1::REFERRAL_KIND_UNSPECIFIED, "NOT A POSTCODE", "");
  referral.clear_concern();
  referrals::v1::SubmitReferralResponse response;
  grpc::Status status = Submit(referral, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const FieldViolation& violation : FieldViolationsOf(status))
    fields.push_back(violation.field);
  EXPECT_THAT(fields, Contains("referral.kind"));
  EXPECT_THAT(fields, Contains("referral.concern"));
  EXPECT_THAT(fields, Contains("referral.request_id"));
  EXPECT_THAT(fields, Contains("referral.adult.home_address.postcode"));
  // The message names fields but never echoes values.
  EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr("NOT A POSTCODE")));
  EXPECT_EQ(KeyCount(), keys_before);
}

TEST_F(PipelineTest, GetReferralShowsEveryStageWithReasons) {
  const std::string id =
      SubmitOk(MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "history-1"));
  referrals::v1::ReferralRecord record = WaitUntilRouted(id);
  ASSERT_EQ(record.history_size(), 3);
  EXPECT_EQ(record.history(0).stage(), referrals::v1::STAGE_INTAKE);
  EXPECT_EQ(record.history(1).stage(), referrals::v1::STAGE_TRIAGE);
  EXPECT_EQ(record.history(2).stage(), referrals::v1::STAGE_ROUTING);
  EXPECT_FALSE(record.history(2).rules().empty());
  EXPECT_EQ(record.referral().request_id(), "history-1");
  EXPECT_FALSE(record.correlation_id().empty());
}

TEST_F(PipelineTest, GetReferralOfUnknownIdIsNotFound) {
  referrals::v1::ReferralRecord record;
  EXPECT_EQ(Get("R-20260101-000000000000", &record).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get("not-an-id", &record).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PipelineTest, RiskFlagsAddSignpostsAndRaisePriority) {
  Referral referral =
      MakeReferral(referrals::v1::ADULT_SAFEGUARDING_CONCERN, "SS14 1AB", "urgent-1");
  referral.mutable_harm_location()->mutable_address()->set_postcode("RM17 6AB");
  referral.mutable_risk()->set_immediate_danger(true);
  referral.mutable_risk()->set_child_at_risk(true);
  // The referrer is told at once what to do, before routing.
  referrals::v1::SubmitReferralResponse submitted;
  ASSERT_TRUE(Submit(referral, &submitted).ok());
  std::vector<std::string> told;
  for (const auto& signpost : submitted.signposts()) told.push_back(signpost.id());
  EXPECT_THAT(told, ElementsAre("EMERGENCY_SERVICES", "CHILDRENS_SAFEGUARDING"));
  const std::string id = submitted.referral_id();
  referrals::v1::ReferralRecord record = WaitUntilRouted(id);
  EXPECT_EQ(record.decision().queue(), "thurrock-first");
  EXPECT_EQ(record.decision().priority(), referrals::v1::PRIORITY_EMERGENCY);
  std::vector<std::string> signposts;
  for (const auto& signpost : record.decision().signposts()) signposts.push_back(signpost.id());
  EXPECT_THAT(signposts, ElementsAre("EMERGENCY_SERVICES", "CHILDRENS_SAFEGUARDING"));
  // The children's front door is Thurrock's own.
  EXPECT_THAT(record.decision().signposts(1).contact(), HasSubstr("01375 652802"));
  // Harm in Thurrock, home in Basildon: Essex is to be informed.
  ASSERT_EQ(record.decision().to_be_informed_size(), 1);
  EXPECT_EQ(record.decision().to_be_informed(0).authority_id(), "ESSEX");

  // Signposts are counted, once per referral, even if the entry is replayed.
  grpc::ClientContext context;
  referrals::v1::ListQueuesResponse queues;
  ASSERT_TRUE(routing_stub_->ListQueues(&context, {}, &queues).ok());
  EXPECT_EQ(queues.counters().at("signpost:EMERGENCY_SERVICES"), 1);
  EXPECT_EQ(queues.counters().at("signpost:CHILDRENS_SAFEGUARDING"), 1);
  EXPECT_EQ(queues.counters().at("outcome:ROUTING_OUTCOME_TEAM"), 1);
  EXPECT_EQ(queues.counters().count("signpost:POLICE"), 0u);
}

TEST_F(PipelineTest, DryRunRpcsStoreNothing) {
  WaitForConsumerStreams();
  const int64_t keys_before = KeyCount();
  Referral referral = MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "dry-run-1");
  {
    grpc::ClientContext context;
    referrals::v1::TriageRequest request;
    *request.mutable_referral() = referral;
    referrals::v1::TriageResponse response;
    ASSERT_TRUE(triage_stub_->Triage(&context, request, &response).ok());
    EXPECT_EQ(response.result().priority(), referrals::v1::PRIORITY_ROUTINE);
  }
  {
    grpc::ClientContext context;
    referrals::v1::RouteRequest request;
    *request.mutable_referral() = referral;
    referrals::v1::RouteResponse response;
    ASSERT_TRUE(routing_stub_->Route(&context, request, &response).ok());
    EXPECT_EQ(response.decision().queue(), "ecc-icels");
  }
  {
    // "As at" a date under the earlier rules version: the locality team.
    grpc::ClientContext context;
    referrals::v1::RouteRequest request;
    *request.mutable_referral() = referral;
    request.mutable_as_at()->set_seconds(1763900000);  // 2025-11-23
    referrals::v1::RouteResponse response;
    ASSERT_TRUE(routing_stub_->Route(&context, request, &response).ok());
    EXPECT_EQ(response.decision().rules_version(), "2025.11-1");
    EXPECT_EQ(response.decision().queue(), "ecc-north-east");
    EXPECT_EQ(response.decision().received_time().seconds(), 1763900000);
  }
  {
    // The same date under a named version.
    grpc::ClientContext context;
    referrals::v1::RouteRequest request;
    *request.mutable_referral() = referral;
    request.mutable_as_at()->set_seconds(1763900000);
    request.set_rules_version("2026.11-1");
    referrals::v1::RouteResponse response;
    ASSERT_TRUE(routing_stub_->Route(&context, request, &response).ok());
    EXPECT_EQ(response.decision().rules_version(), "2026.11-1");
    EXPECT_EQ(response.decision().queue(), "ecc-icels");
  }
  {
    grpc::ClientContext context;
    referrals::v1::RouteRequest request;
    *request.mutable_referral() = referral;
    request.set_rules_version("1999.01-1");
    request.mutable_as_at()->set_seconds(-99999999999);
    referrals::v1::RouteResponse response;
    grpc::Status status = routing_stub_->Route(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("rules_version"));
    EXPECT_THAT(status.error_message(), HasSubstr("as_at"));
  }
  {
    grpc::ClientContext context;
    referrals::v1::ResolveLocationRequest request;
    request.set_postcode("ss1 2ab");
    referrals::v1::ResolveLocationResponse response;
    ASSERT_TRUE(routing_stub_->ResolveLocation(&context, request, &response).ok());
    EXPECT_EQ(response.resolution().authority_id(), "SOUTHEND");
    EXPECT_EQ(response.resolution().postcode(), "SS1 2AB");
  }
  {
    grpc::ClientContext context;
    referrals::v1::ResolveLocationRequest request;
    request.set_postcode("SS1");
    referrals::v1::ResolveLocationResponse response;
    grpc::Status status = routing_stub_->ResolveLocation(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(FieldViolationsOf(status), ElementsAre(Field(&FieldViolation::field, "postcode")));
  }
  EXPECT_EQ(KeyCount(), keys_before);
}

TEST_F(PipelineTest, ListQueuesShowsDepthAndOldestAge) {
  const std::string id =
      SubmitOk(MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "queues-1"));
  WaitUntilRouted(id);
  grpc::ClientContext context;
  referrals::v1::ListQueuesResponse response;
  ASSERT_TRUE(routing_stub_->ListQueues(&context, {}, &response).ok());
  bool found = false;
  for (const auto& queue : response.queues()) {
    if (queue.queue() == "ecc-icels") {
      found = true;
      EXPECT_EQ(queue.depth(), 1);
      EXPECT_GT(queue.oldest_time().seconds(), 0);
    } else {
      EXPECT_EQ(queue.depth(), 0) << queue.queue();
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(PipelineTest, WatchQueueStreamsEachReferralAsItLands) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  referrals::v1::WatchQueueRequest request;
  request.set_queue("ecc-icels");
  auto reader = routing_stub_->WatchQueue(&context, request);
  // Give the watch a moment to register its starting point.
  absl::SleepFor(absl::Milliseconds(300));
  const std::string id =
      SubmitOk(MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "watch-1"));
  referrals::v1::WatchQueueResponse message;
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_EQ(message.event().meta().referral_id(), id);
  EXPECT_EQ(message.event().decision().queue(), "ecc-icels");
  // The queue event carries no personal data.
  EXPECT_EQ(message.event().SerializeAsString().find("Synthetic"), std::string::npos);
  context.TryCancel();
  reader->Finish();
}

TEST_F(PipelineTest, WatchUnknownQueueIsNotFound) {
  grpc::ClientContext context;
  referrals::v1::WatchQueueRequest request;
  request.set_queue("no-such-queue");
  auto reader = routing_stub_->WatchQueue(&context, request);
  referrals::v1::WatchQueueResponse message;
  EXPECT_FALSE(reader->Read(&message));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PipelineTest, PoisonEntryIsDeadLetteredAndTheConsumerCarriesOn) {
  auto added = redis_->Command({"XADD", prefix_ + "stream:submitted", "*", "referral_id",
                                "R-20260101-000000000000", "event", "not a protobuf \xff"});
  ASSERT_TRUE(added.ok()) << added.status();
  const std::string id =
      SubmitOk(MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "after-poison-1"));
  WaitUntilRouted(id);
  auto dead = redis_->Command({"XRANGE", prefix_ + "stream:deadletter", "-", "+"});
  ASSERT_TRUE(dead.ok());
  std::vector<StreamEntry> letters = ParseStreamEntries(*dead);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].referral_id, "R-20260101-000000000000");
  // Acknowledged: nothing left pending for triage.
  auto pending = redis_->Command({"XPENDING", prefix_ + "stream:submitted", "triage"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements[0].integer, 0);
}

TEST_F(PipelineTest, RoutingKilledMidFlowRoutesEveryReferralExactlyOnce) {
  constexpr int kReferrals = 1500;
  const char* postcodes[] = {"CO2 7AB", "SS1 2AB", "CM2 6AB", "CB2 1AB", "RM17 6AB", "CM1 4ZZ"};
  std::vector<std::string> ids(kReferrals);
  // Referrals keep arriving while routing is killed and replaced.
  std::thread submitter([&] {
    auto stub = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake_->address()));
    for (int i = 0; i < kReferrals; ++i) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      referrals::v1::SubmitReferralRequest request;
      *request.mutable_referral() = MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT,
                                                 postcodes[i % 6], absl::StrCat("kill-", i));
      referrals::v1::SubmitReferralResponse response;
      grpc::Status status = stub->SubmitReferral(&context, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      ids[i] = response.referral_id();
    }
  });
  auto routed_count = [&] {
    auto routed = redis_->Command({"XLEN", prefix_ + "stream:routed"});
    return routed.ok() ? routed->integer : 0;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (routed_count() < 100 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  routing_->Kill();
  const int64_t routed_at_kill = routed_count();
  std::cout << "routing killed after " << routed_at_kill << " of " << kReferrals
            << " referrals were routed\n";
  EXPECT_LT(routed_at_kill, kReferrals) << "the kill must land mid-flow";
  // A new replica with another name: it must claim what the dead one held.
  routing_ =
      StartService(ROUTING_BINARY, "routing-b", {"--claim_idle_ms=1000", "--consumer=routing-b"});
  ASSERT_NE(routing_, nullptr);
  submitter.join();
  for (const std::string& id : ids) WaitUntilRouted(id, absl::Seconds(30));

  std::map<std::string, int> queued = AllQueuedIds();
  EXPECT_EQ(queued.size(), static_cast<size_t>(kReferrals));
  int duplicated = 0;
  for (const std::string& id : ids) duplicated += queued[id] > 1;
  for (const std::string& id : ids) EXPECT_EQ(queued[id], 1) << id;
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(routed_count(), kReferrals);
  auto pending = redis_->Command({"XPENDING", prefix_ + "stream:triaged", "routing"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements[0].integer, 0);
}

TEST(IntakeWithoutRedis, SubmitIsUnavailableAndNeverOk) {
  // Nothing listens on port 1.
  ServiceProcess intake(INTAKE_BINARY, {"--redis=redis://127.0.0.1:1"},
                        absl::StrCat(::testing::TempDir(), "/intake-no-redis.log"));
  // Health reports NOT_SERVING without Redis, so wait only for the port.
  ASSERT_TRUE(intake.Start(absl::Seconds(10), /*require_serving=*/false).ok());
  auto stub = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake.address()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  referrals::v1::SubmitReferralRequest request;
  *request.mutable_referral() =
      MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "no-redis-1");
  referrals::v1::SubmitReferralResponse response;
  grpc::Status status = stub->SubmitReferral(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("retry with the same request_id"));
  EXPECT_TRUE(response.referral_id().empty());
  stub.reset();
  EXPECT_EQ(intake.Stop(), 0);
}

// Issue 5, guarantee 6: Redis out of memory (maxmemory reached, noeviction)
// refuses the write; intake answers RESOURCE_EXHAUSTED, never OK, and the
// same request id succeeds once there is room.
TEST(IntakeWhenRedisIsFull, SubmitIsResourceExhaustedThenSucceedsOnRetry) {
  testing::RedisServerProcess redis("everysec");
  ASSERT_TRUE(redis.Start().ok());
  auto admin = RedisConnection::Connect(redis.options());
  ASSERT_TRUE(admin.ok()) << admin.status();
  ServiceProcess intake(INTAKE_BINARY, {"--redis=" + redis.url()},
                        absl::StrCat(::testing::TempDir(), "/intake-full-redis.log"));
  ASSERT_TRUE(intake.Start().ok());
  auto stub = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake.address()));
  referrals::v1::SubmitReferralRequest request;
  *request.mutable_referral() =
      MakeReferral(referrals::v1::COMMUNITY_EQUIPMENT, "CO2 7AB", "full-redis-1");

  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}).ok());
  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());
  {
    grpc::ClientContext context;
    referrals::v1::SubmitReferralResponse response;
    grpc::Status status = stub->SubmitReferral(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    EXPECT_TRUE(response.referral_id().empty());
  }
  auto keys = (*admin)->Command({"DBSIZE"});
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->integer, 0);  // nothing half stored

  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  grpc::ClientContext context;
  referrals::v1::SubmitReferralResponse response;
  ASSERT_TRUE(stub->SubmitReferral(&context, request, &response).ok());
  EXPECT_FALSE(response.referral_id().empty());
  stub.reset();
  EXPECT_EQ(intake.Stop(), 0);
}

}  // namespace
}  // namespace referrals
