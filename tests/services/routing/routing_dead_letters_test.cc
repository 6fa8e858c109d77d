// ListDeadLetters and ReplayDeadLetter over gRPC: the routing service in
// process on a free port, with triage's real stream stage (TriageWorker in a
// StreamConsumer) running against a real Redis, so entries reach the
// dead-letter stream the way they do in production.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/pipeline/dead_letter_store.h"
#include "common/pipeline/events.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stream_consumer.h"
#include "common/service/grpc_server.h"
#include "common/service/grpc_status.h"
#include "common/service/redis_worker_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/events.pb.h"
#include "referrals/v1/record.pb.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "services/routing/queue_store.h"
#include "services/routing/routing_data.h"
#include "services/routing/routing_service.h"
#include "services/triage/triage_worker.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::v1::ListDeadLettersRequest;
using referrals::v1::ListDeadLettersResponse;
using referrals::v1::ReplayDeadLetterRequest;
using referrals::v1::ReplayDeadLetterResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

RoutingDataPaths DefaultPaths() {
  RoutingDataPaths paths;
  paths.rules = REFERRALS_DEFAULT_RULES;
  paths.postcode_sectors = REFERRALS_DEFAULT_SECTORS;
  paths.local_authorities = REFERRALS_DEFAULT_AUTHORITIES;
  return paths;
}

referrals::v1::Referral SyntheticReferral() {
  referrals::v1::Referral referral;
  referral.set_kind(referrals::v1::COMMUNITY_EQUIPMENT);
  referral.mutable_adult()->set_given_name("Synthetic");
  referral.mutable_adult()->set_family_name("Person");
  referral.mutable_adult()->mutable_home_address()->set_postcode("CO2 7AB");
  referral.mutable_referrer()->set_organisation("Example Care Ltd");
  referral.mutable_referrer()->set_phone("01245 000000");
  referral.set_concern("Synthetic test concern.");
  referral.set_consent(referrals::v1::CONSENT_GIVEN);
  referral.set_channel(referrals::v1::CHANNEL_API);
  referral.set_request_id("dlq-test-1");
  return referral;
}

// A routing service (and its Redis worker pool) on 127.0.0.1:0.
class RoutingServer {
 public:
  RoutingServer(const RoutingData& data, const Keys& keys, const RedisOptions& redis)
      : queues_(keys, data.config),
        dead_letters_(keys),
        pool_(redis, 2),
        service_(data.triage, data.engine, &queues_, &dead_letters_, &pool_, redis) {
    absl::StatusOr<StartedServer> started = StartGrpcServer("127.0.0.1:0", {&service_});
    EXPECT_THAT(started, IsOk());
    if (!started.ok()) return;
    server_ = std::move(started->server);
    stub_ = referrals::v1::RoutingService::NewStub(
        testing::TestChannel(absl::StrCat("127.0.0.1:", started->port)));
  }
  ~RoutingServer() {
    stub_.reset();
    service_.StopWatches();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
    pool_.Shutdown();
  }

  grpc::Status List(int page_size, const std::string& page_token,
                    ListDeadLettersResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ListDeadLettersRequest request;
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    return stub_->ListDeadLetters(&context, request, response);
  }

  grpc::Status Replay(const std::string& id, ReplayDeadLetterResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ReplayDeadLetterRequest request;
    request.set_dead_letter_id(id);
    return stub_->ReplayDeadLetter(&context, request, response);
  }

 private:
  QueueStore queues_;
  DeadLetterStore dead_letters_;
  RedisWorkerPool pool_;
  RoutingServiceImpl service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<referrals::v1::RoutingService::Stub> stub_;
};

std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  for (const FieldViolation& violation : FieldViolationsOf(status)) {
    fields.push_back(violation.field);
  }
  return fields;
}

class RoutingDeadLettersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = Keys(testing::UniqueKeyPrefix());
    redis_options_ = testing::RedisOptionsFromEnv();
    auto connection = RedisConnection::Connect(redis_options_);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
    absl::StatusOr<RoutingData> data = LoadRoutingData(DefaultPaths());
    ASSERT_THAT(data, IsOk());
    data_ = *std::move(data);
    server_ = std::make_unique<RoutingServer>(data_, keys_, redis_options_);
  }

  void TearDown() override {
    if (triage_consumer_ != nullptr) triage_consumer_->Stop();
    server_.reset();
  }

  // Triage's stream stage, as triage_service runs it.
  void StartTriage() {
    triage_worker_ = std::make_unique<TriageWorker>(keys_, data_.triage, "triage-test");
    StreamConsumerOptions options;
    options.stream = keys_.SubmittedStream();
    options.group = kTriageGroup;
    options.consumer = "triage-test";
    options.dead_letter_stream = keys_.DeadLetterStream();
    options.stage = "triage";
    options.block = absl::Milliseconds(50);
    options.claim_min_idle = absl::Milliseconds(200);
    options.claim_interval = absl::Milliseconds(50);
    TriageWorker* worker = triage_worker_.get();
    triage_consumer_ = std::make_unique<StreamConsumer>(
        redis_options_, options, [worker](RedisConnection& connection, const StreamEntry& entry) {
          return worker->Handle(connection, entry);
        });
    triage_consumer_->Start();
  }

  RedisReply Must(const std::vector<std::string_view>& argv) {
    absl::StatusOr<RedisReply> reply = redis_->Command(argv);
    EXPECT_THAT(reply, IsOk()) << argv.front();
    return reply.ok() ? *std::move(reply) : RedisReply();
  }

  int64_t Len(const std::string& stream) { return Must({"XLEN", stream}).integer; }

  // Lists every dead letter (first page of the default size).
  std::vector<referrals::v1::DeadLetterSummary> ListAll() {
    ListDeadLettersResponse response;
    grpc::Status status = server_->List(0, "", &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.dead_letters().begin(), response.dead_letters().end()};
  }

  bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (condition()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return condition();
  }

  // Writes a dead letter directly, as StreamConsumer::DeadLetter does.
  std::string AddDeadLetter(const std::string& referral_id) {
    referrals::v1::DeadLetter letter;
    letter.set_stage("triage");
    letter.set_stream(keys_.SubmittedStream());
    letter.set_entry_id("1-0");
    letter.set_error("test");
    letter.set_attempts(1);
    letter.set_payload("p");
    return Must({"XADD", keys_.DeadLetterStream(), "*", "referral_id", referral_id, "stage",
                 "triage", "event", letter.SerializeAsString()})
        .str;
  }

  Keys keys_;
  RedisOptions redis_options_;
  std::unique_ptr<RedisConnection> redis_;
  RoutingData data_;
  std::unique_ptr<RoutingServer> server_;
  std::unique_ptr<TriageWorker> triage_worker_;
  std::unique_ptr<StreamConsumer> triage_consumer_;
};

TEST_F(RoutingDeadLettersTest, PoisonEntryOnSubmittedIsListedAndStaysPoisonWhenReplayed) {
  StartTriage();
  const std::string referral_id = "R-20260101-000000000000";
  Must({"XADD", keys_.SubmittedStream(), "*", "referral_id", referral_id, "event",
        "not a protobuf \xff"});
  ASSERT_TRUE(WaitFor([&] { return Len(keys_.DeadLetterStream()) == 1; }));

  std::vector<referrals::v1::DeadLetterSummary> letters = ListAll();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].referral_id(), referral_id);
  EXPECT_EQ(letters[0].stage(), "triage");
  EXPECT_EQ(letters[0].source_stream(), keys_.SubmittedStream());
  EXPECT_THAT(letters[0].error(), HasSubstr("not a ReferralSubmitted"));
  EXPECT_EQ(letters[0].attempts(), 1);
  EXPECT_GT(letters[0].dead_lettered_time().seconds(), 0);

  // Replaying something that can never parse just dead-letters it again,
  // under a new id; the old id is gone.
  ReplayDeadLetterResponse replayed;
  ASSERT_TRUE(server_->Replay(letters[0].dead_letter_id(), &replayed).ok());
  EXPECT_EQ(replayed.referral_id(), referral_id);
  ASSERT_TRUE(WaitFor([&] { return triage_consumer_->stats().dead_lettered.load() == 2; }));
  std::vector<referrals::v1::DeadLetterSummary> again = ListAll();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].dead_letter_id(), letters[0].dead_letter_id());
  EXPECT_EQ(again[0].entry_id(), replayed.entry_id());
  EXPECT_EQ(Len(keys_.TriagedStream()), 0);
}

TEST_F(RoutingDeadLettersTest, EntryWithoutRecordIsProcessedExactlyOnceAfterFixAndReplay) {
  StartTriage();
  // A valid submitted event whose record intake never stored.
  const absl::Time now = absl::Now();
  const std::string referral_id = NewReferralId(now);
  const referrals::v1::Referral referral = SyntheticReferral();
  referrals::v1::ReferralSubmitted event;
  *event.mutable_meta() = NewEventMeta(referral_id, "C-test", now);
  *event.mutable_referral() = referral;
  *event.mutable_received_time() = ToTimestamp(now);
  Must({"XADD", keys_.SubmittedStream(), "*", "referral_id", referral_id, "event",
        event.SerializeAsString()});
  ASSERT_TRUE(WaitFor([&] { return Len(keys_.DeadLetterStream()) == 1; }));
  std::vector<referrals::v1::DeadLetterSummary> letters = ListAll();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_THAT(letters[0].error(), HasSubstr("no referral record"));
  EXPECT_EQ(letters[0].referral_id(), referral_id);

  // The fix: the record is written (the fields intake stores).
  Must({"HSET", keys_.Referral(referral_id), kFieldReferral, referral.SerializeAsString(),
        kFieldStatus, absl::StrCat(referrals::v1::REFERRAL_STATUS_RECEIVED), kFieldReceivedMicros,
        absl::StrCat(absl::ToUnixMicros(now)), kFieldCorrelationId, "C-test"});

  ReplayDeadLetterResponse replayed;
  grpc::Status status = server_->Replay(letters[0].dead_letter_id(), &replayed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(replayed.referral_id(), referral_id);
  EXPECT_EQ(replayed.stage(), "triage");
  EXPECT_EQ(replayed.source_stream(), keys_.SubmittedStream());
  ASSERT_TRUE(WaitFor([&] { return Len(keys_.TriagedStream()) == 1; }));

  // Replaying the same dead letter again finds nothing and writes nothing.
  ReplayDeadLetterResponse second;
  EXPECT_EQ(server_->Replay(letters[0].dead_letter_id(), &second).error_code(),
            grpc::StatusCode::NOT_FOUND);
  absl::SleepFor(absl::Milliseconds(300));  // room for a wrong second commit
  EXPECT_EQ(Len(keys_.TriagedStream()), 1);
  EXPECT_EQ(triage_consumer_->stats().processed.load(), 1);
  EXPECT_EQ(Must({"HGET", keys_.Referral(referral_id), kFieldStatus}).str,
            absl::StrCat(referrals::v1::REFERRAL_STATUS_TRIAGED));
  RedisReply history = Must({"LRANGE", keys_.History(referral_id), "0", "-1"});
  ASSERT_EQ(history.elements.size(), 1u);
  referrals::v1::StageEntry entry;
  ASSERT_TRUE(entry.ParseFromString(history.elements[0].str));
  EXPECT_EQ(entry.stage(), referrals::v1::STAGE_TRIAGE);
  EXPECT_THAT(ListAll(), IsEmpty());
  EXPECT_EQ(Len(keys_.ReplayedStream()), 1);
  EXPECT_EQ(Must({"XPENDING", keys_.SubmittedStream(), kTriageGroup}).elements[0].integer, 0);
}

TEST_F(RoutingDeadLettersTest, PagesThroughWithTokens) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(AddDeadLetter(absl::StrCat("R-", i)));
  ListDeadLettersResponse first;
  ASSERT_TRUE(server_->List(2, "", &first).ok());
  ASSERT_EQ(first.dead_letters_size(), 2);
  EXPECT_EQ(first.dead_letters(0).dead_letter_id(), ids[0]);
  EXPECT_EQ(first.dead_letters(1).dead_letter_id(), ids[1]);
  ASSERT_FALSE(first.next_page_token().empty());
  ListDeadLettersResponse second;
  ASSERT_TRUE(server_->List(2, first.next_page_token(), &second).ok());
  ASSERT_EQ(second.dead_letters_size(), 1);
  EXPECT_EQ(second.dead_letters(0).dead_letter_id(), ids[2]);
  EXPECT_TRUE(second.next_page_token().empty());
  ListDeadLettersResponse all;
  ASSERT_TRUE(server_->List(0, "", &all).ok());  // 0: the default page
  EXPECT_EQ(all.dead_letters_size(), 3);
  EXPECT_TRUE(all.next_page_token().empty());
}

TEST_F(RoutingDeadLettersTest, BadArgumentsAreInvalidArgumentNamingTheField) {
  AddDeadLetter("R-1");
  ReplayDeadLetterResponse replayed;
  for (const char* id : {"", "abc", "1-2-3", "$", "-1-0", "1700000000000"}) {
    grpc::Status status = server_->Replay(id, &replayed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << id;
    EXPECT_THAT(ViolatedFields(status), ElementsAre("dead_letter_id")) << id;
  }
  ListDeadLettersResponse listed;
  for (int page_size : {-1, 1001}) {
    grpc::Status status = server_->List(page_size, "", &listed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << page_size;
    EXPECT_THAT(ViolatedFields(status), ElementsAre("page_size"));
  }
  grpc::Status status = server_->List(10, "next please", &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("page_token"));
  status = server_->List(5000, "+", &listed);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("page_size", "page_token"));
  EXPECT_TRUE(server_->List(1000, "", &listed).ok());  // the bounds themselves are fine
  EXPECT_EQ(Len(keys_.DeadLetterStream()), 1);         // nothing was replayed
}

TEST_F(RoutingDeadLettersTest, UnknownIdIsNotFound) {
  AddDeadLetter("R-1");
  ReplayDeadLetterResponse replayed;
  grpc::Status status = server_->Replay("1-0", &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("1-0"));
  EXPECT_EQ(Len(keys_.DeadLetterStream()), 1);
}

TEST_F(RoutingDeadLettersTest, DeadLetterFromAnotherStreamIsFailedPrecondition) {
  referrals::v1::DeadLetter letter;
  letter.set_stage("triage");
  letter.set_stream(keys_.prefix() + "somewhere-else");
  letter.set_payload("p");
  const std::string id = Must({"XADD", keys_.DeadLetterStream(), "*", "referral_id", "R-1", "stage",
                               "triage", "event", letter.SerializeAsString()})
                             .str;
  ReplayDeadLetterResponse replayed;
  EXPECT_EQ(server_->Replay(id, &replayed).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Must({"EXISTS", keys_.prefix() + "somewhere-else"}).integer, 0);
}

TEST_F(RoutingDeadLettersTest, RedisDownIsUnavailable) {
  RedisOptions nowhere = redis_options_;
  nowhere.port = 1;  // nothing listens there
  RoutingServer down(data_, keys_, nowhere);
  ListDeadLettersResponse listed;
  EXPECT_EQ(down.List(0, "", &listed).error_code(), grpc::StatusCode::UNAVAILABLE);
  ReplayDeadLetterResponse replayed;
  EXPECT_EQ(down.Replay("1-0", &replayed).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Input is still checked first.
  EXPECT_EQ(down.Replay("x", &replayed).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace referrals
