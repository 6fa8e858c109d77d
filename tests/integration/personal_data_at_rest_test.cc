// Issue 8, personal data at rest, end to end: intake, triage and routing as
// real processes with a data key file, over a real Redis. Synthetic referrals
// with distinctive personal values are submitted, routed and acted on; then
// every key under the test's prefix is read in full, whatever its type, and
// none of those values may appear in clear. The referral is still routed as
// before, GetReferral opens it, a decrypt failure goes to the dead letters
// naming only ids, retention purges a closed referral and leaves an open one,
// and a service refuses to start on a bad key file or without one off
// loopback.
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/crypto/data_keyring.h"
#include "common/crypto/referral_sealing.h"
#include "common/pipeline/events.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/events.pb.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/support/status_matchers.h"
#include "tests/tools/referralctl/replay_test_util.h"

namespace referrals {
namespace {

using referrals::testing::ServiceProcess;
using referrals::v1::Referral;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOldKeyLine[] =
    "retired-2025 8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
constexpr char kKeyHex[] = "3a9c1e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f2a4c";

// A referral whose every personal value is distinctive, so finding any of
// them in Redis can only mean it leaked. `n` varies them per referral.
Referral DistinctiveReferral(int n, const std::string& home_postcode,
                             const std::string& request_id) {
  Referral referral;
  referral.set_kind(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->set_given_name(absl::StrCat("Ottoline", n, "x"));
  referral.mutable_adult()->set_family_name(absl::StrCat("Quillfeather", n, "z"));
  referral.mutable_adult()->mutable_date_of_birth()->set_year(1937);
  referral.mutable_adult()->mutable_date_of_birth()->set_month(11);
  referral.mutable_adult()->mutable_date_of_birth()->set_day(20 + n);
  referrals::v1::Address* home = referral.mutable_adult()->mutable_home_address();
  home->add_lines(absl::StrCat(40 + n, " Zephyrine Crescent"));
  home->set_town(absl::StrCat("Marrowbyfield", n));
  home->set_postcode(home_postcode);
  referral.mutable_referrer()->set_name(absl::StrCat("Fennimore Wraxall", n));
  referral.mutable_referrer()->set_organisation(absl::StrCat("Gildersleeve Care Agency ", n));
  referral.mutable_referrer()->set_role("Registered manager");
  referral.mutable_referrer()->set_phone(absl::StrCat("01702 99887", n));
  referral.mutable_referrer()->set_email(absl::StrCat("fennimore", n, "@gildersleeve.example"));
  referral.set_concern(absl::StrCat("Unexplained bruising noted by the Tuesday carer, case ", n,
                                    " of the Hexworthy review."));
  referral.set_consent(referrals::v1::CONSENT_GIVEN);
  referral.set_channel(referrals::v1::CHANNEL_API);
  referral.set_request_id(request_id);
  return referral;
}

// Every personal value of `referral` as it could be stored in clear: the
// strings, postcodes as written, without the space and upper case, and the
// date of birth as text and as its protobuf encoding.
std::vector<std::string> PersonalValues(const Referral& referral) {
  std::vector<std::string> values;
  auto add = [&](const std::string& value) {
    if (!value.empty()) values.push_back(value);
  };
  const referrals::v1::Adult& adult = referral.adult();
  add(adult.given_name());
  add(adult.family_name());
  for (const std::string& line : adult.home_address().lines()) add(line);
  add(adult.home_address().town());
  const std::string postcode = adult.home_address().postcode();
  add(postcode);
  add(absl::StrReplaceAll(postcode, {{" ", ""}}));
  add(absl::AsciiStrToUpper(postcode));
  add(absl::StrCat(adult.date_of_birth().year(), "-", adult.date_of_birth().month(), "-",
                   adult.date_of_birth().day()));
  add(adult.date_of_birth().SerializeAsString());
  add(referral.referrer().name());
  add(referral.referrer().organisation());
  add(referral.referrer().phone());
  add(referral.referrer().email());
  add(referral.concern());
  return values;
}

// A readable name for a value that may be binary.
std::string Printable(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    out += absl::ascii_isprint(c) ? std::string(1, static_cast<char>(c))
                                  : absl::StrCat("\\x", absl::Hex(c, absl::kZeroPad2));
  }
  return out;
}

class PersonalDataAtRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_options_ = testing::RedisOptionsFromEnv();
    prefix_ = testing::UniqueKeyPrefix();
    auto connection = RedisConnection::Connect(redis_options_);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
    redis_url_ = absl::StrCat("redis://", redis_options_.host, ":", redis_options_.port);
    // Rotation as documented: the new key first, the old one still there.
    key_file_ = WriteFile("data-keys", absl::StrCat("# test data keys\n", "current-2026 ", kKeyHex,
                                                    "\n", kOldKeyLine, "\n"));
    const std::string key_flag = absl::StrCat("--data_key_file=", key_file_);
    intake_ = StartService(INTAKE_BINARY, "intake", {key_flag});
    triage_ = StartService(TRIAGE_BINARY, "triage", {key_flag, "--claim_idle_ms=1000"});
    routing_ = StartService(ROUTING_BINARY, "routing", {key_flag, "--claim_idle_ms=1000"});
    ASSERT_NE(intake_, nullptr);
    ASSERT_NE(triage_, nullptr);
    ASSERT_NE(routing_, nullptr);
    intake_stub_ = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake_->address()));
    routing_stub_ =
        referrals::v1::RoutingService::NewStub(testing::TestChannel(routing_->address()));
  }

  void TearDown() override {
    intake_stub_.reset();
    routing_stub_.reset();
    for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
      if (service != nullptr && service->running()) {
        EXPECT_EQ(service->Stop(), 0);
      }
    }
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path =
        absl::StrCat(::testing::TempDir(), "/", prefix_.substr(0, prefix_.size() - 1), "-", name);
    std::ofstream(path) << text;
    return path;
  }

  std::unique_ptr<ServiceProcess> StartService(const std::string& binary, const std::string& name,
                                               std::vector<std::string> extra) {
    std::vector<std::string> args = {absl::StrCat("--redis=", redis_url_),
                                     absl::StrCat("--redis_prefix=", prefix_)};
    args.insert(args.end(), extra.begin(), extra.end());
    auto process = std::make_unique<ServiceProcess>(
        binary, args, absl::StrCat(::testing::TempDir(), "/pdar-", name, ".log"));
    absl::Status started = process->Start();
    EXPECT_TRUE(started.ok()) << started;
    return started.ok() ? std::move(process) : nullptr;
  }

  std::string SubmitOk(const Referral& referral) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::SubmitReferralRequest request;
    *request.mutable_referral() = referral;
    referrals::v1::SubmitReferralResponse response;
    grpc::Status status = intake_stub_->SubmitReferral(&context, request, &response);
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

  referrals::v1::ReferralRecord WaitUntilRouted(const std::string& id) {
    referrals::v1::ReferralRecord record;
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (Get(id, &record).ok() && record.has_decision()) return record;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "referral " << id << " was not routed in time";
    return record;
  }

  template <typename Request>
  grpc::Status Act(grpc::Status (referrals::v1::RoutingService::Stub::*method)(
                       grpc::ClientContext*, const Request&, referrals::v1::TransitionResponse*),
                   const Request& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::TransitionResponse response;
    return (routing_stub_.get()->*method)(&context, request, &response);
  }

  grpc::Status Purge(const std::string& id, referrals::v1::PurgePersonalDataResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::PurgePersonalDataRequest request;
    request.set_referral_id(id);
    return routing_stub_->PurgePersonalData(&context, request, response);
  }

  // Accepts and completes `id` on its queue.
  void AcceptAndComplete(const std::string& id) {
    referrals::v1::AcceptReferralRequest accept;
    accept.set_referral_id(id);
    accept.set_actor("worker-0042");
    grpc::Status accepted = Act(&referrals::v1::RoutingService::Stub::AcceptReferral, accept);
    ASSERT_TRUE(accepted.ok()) << accepted.error_message();
    referrals::v1::CompleteReferralRequest complete;
    complete.set_referral_id(id);
    complete.set_actor("worker-0042");
    grpc::Status completed = Act(&referrals::v1::RoutingService::Stub::CompleteReferral, complete);
    ASSERT_TRUE(completed.ok()) << completed.error_message();
  }

  // Everything stored under the prefix, every type read in full, as one
  // string per key ("key: bytes...").
  std::vector<std::string> DumpEveryKey() {
    std::vector<std::string> dump;
    std::string cursor = "0";
    do {
      absl::StatusOr<RedisReply> page =
          redis_->Command({"SCAN", cursor, "MATCH", absl::StrCat(prefix_, "*"), "COUNT", "1000"});
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || page->elements.size() != 2) break;
      cursor = page->elements[0].str;
      for (const RedisReply& key : page->elements[1].elements) {
        dump.push_back(absl::StrCat(key.str, ": ", ReadWhole(key.str)));
      }
    } while (cursor != "0");
    return dump;
  }

  std::string ReadWhole(const std::string& key) {
    absl::StatusOr<RedisReply> type = redis_->Command({"TYPE", key});
    EXPECT_TRUE(type.ok());
    if (!type.ok()) return "";
    std::vector<std::string> command;
    if (type->str == "string") {
      command = {"GET", key};
    } else if (type->str == "hash") {
      command = {"HGETALL", key};
    } else if (type->str == "list") {
      command = {"LRANGE", key, "0", "-1"};
    } else if (type->str == "set") {
      command = {"SMEMBERS", key};
    } else if (type->str == "zset") {
      command = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
    } else if (type->str == "stream") {
      command = {"XRANGE", key, "-", "+"};
    } else {
      ADD_FAILURE() << "key " << key << " has unexpected type " << type->str;
      return "";
    }
    ++types_seen_[type->str];
    absl::StatusOr<RedisReply> reply =
        redis_->Command(std::vector<std::string_view>(command.begin(), command.end()));
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? Flatten(*reply) : "";
  }

  static std::string Flatten(const RedisReply& reply) {
    std::string out = reply.str;
    for (const RedisReply& element : reply.elements) absl::StrAppend(&out, "|", Flatten(element));
    return out;
  }

  RedisOptions redis_options_;
  std::string redis_url_;
  std::string prefix_;
  std::string key_file_;
  std::unique_ptr<RedisConnection> redis_;
  std::unique_ptr<ServiceProcess> intake_, triage_, routing_;
  std::unique_ptr<referrals::v1::IntakeService::Stub> intake_stub_;
  std::unique_ptr<referrals::v1::RoutingService::Stub> routing_stub_;
  std::map<std::string, int> types_seen_;
};

TEST_F(PersonalDataAtRestTest, NoPersonalValueInClearAnywhereInRedis) {
  const Referral completed = DistinctiveReferral(1, "SS1 2AB", "pdar-completed");
  const Referral open = DistinctiveReferral(2, "ss1 2ab", "pdar-open");
  const std::string completed_id = SubmitOk(completed);
  const std::string open_id = SubmitOk(open);
  ASSERT_FALSE(completed_id.empty());
  ASSERT_FALSE(open_id.empty());

  // Routed as before: the routing facts stay readable and right.
  for (const std::string& id : {completed_id, open_id}) {
    const referrals::v1::ReferralRecord record = WaitUntilRouted(id);
    EXPECT_EQ(record.status(), referrals::v1::REFERRAL_STATUS_ROUTED);
    EXPECT_EQ(record.decision().authority_id(), "SOUTHEND");
    EXPECT_EQ(record.decision().queue(), "southend-front-door");
    // What is stored keeps the postcode sector only.
    EXPECT_EQ(record.decision().location().postcode(), "SS1 2");
    EXPECT_EQ(record.data_key_id(), "current-2026");
  }
  AcceptAndComplete(completed_id);

  std::vector<std::string> personal = PersonalValues(completed);
  for (const std::string& value : PersonalValues(open)) personal.push_back(value);
  const std::vector<std::string> dump = DumpEveryKey();
  ASSERT_GT(dump.size(), 5u);
  // The pipeline's structures are all there: hashes, lists, streams, zsets.
  EXPECT_GT(types_seen_["hash"], 0);
  EXPECT_GT(types_seen_["list"], 0);
  EXPECT_GT(types_seen_["stream"], 0);
  EXPECT_GT(types_seen_["zset"], 0);
  for (const std::string& entry : dump) {
    for (const std::string& value : personal) {
      EXPECT_THAT(entry, Not(HasSubstr(value)))
          << "personal value \"" << Printable(value) << "\" in clear in "
          << entry.substr(0, entry.find(':'));
    }
  }

  // The record holds the referral sealed under the current key.
  absl::StatusOr<RedisReply> sealed =
      redis_->Command({"HGET", Keys(prefix_).Referral(open_id), kFieldSealedReferral});
  ASSERT_TRUE(sealed.ok());
  referrals::v1::EncryptedReferral stored;
  ASSERT_TRUE(stored.ParseFromString(sealed->str));
  EXPECT_EQ(stored.key_id(), "current-2026");
  EXPECT_EQ(stored.nonce().size(), DataKeyring::kNonceBytes);
}

TEST_F(PersonalDataAtRestTest, GetReferralReturnsTheReferralOpened) {
  const Referral referral = DistinctiveReferral(3, "SS1 2AB", "pdar-get");
  const std::string id = SubmitOk(referral);
  const referrals::v1::ReferralRecord record = WaitUntilRouted(id);
  EXPECT_EQ(record.referral().SerializeAsString(), referral.SerializeAsString());
  EXPECT_FALSE(record.has_personal_data_purged_time());
}

TEST_F(PersonalDataAtRestTest, RecordSealedWithTheOlderKeyStillOpens) {
  // A record as a service with only the older key wrote it.
  ASSERT_OK_AND_ASSIGN(auto old_keyring, DataKeyring::Parse(kOldKeyLine, "old"));
  const std::string id = NewReferralId(absl::Now());
  const Referral referral = DistinctiveReferral(4, "SS1 2AB", "pdar-old-key");
  const std::string sealed = SealReferral(*old_keyring, id, referral).SerializeAsString();
  ASSERT_TRUE(redis_
                  ->Command({"HSET", Keys(prefix_).Referral(id), kFieldSealedReferral, sealed,
                             kFieldStatus, "1"})
                  .ok());
  referrals::v1::ReferralRecord record;
  grpc::Status status = Get(id, &record);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(record.data_key_id(), "retired-2025");
  EXPECT_EQ(record.referral().adult().family_name(), referral.adult().family_name());
}

TEST_F(PersonalDataAtRestTest, UnknownKeyGoesToDeadLettersNamingIdsOnly) {
  ASSERT_OK_AND_ASSIGN(
      auto stranger,
      DataKeyring::Parse(absl::StrCat("elsewhere-key ", std::string(64, 'c')), "stranger"));
  const std::string id = NewReferralId(absl::Now());
  const Referral referral = DistinctiveReferral(5, "SS1 2AB", "pdar-stranger");
  referrals::v1::ReferralSubmitted event;
  *event.mutable_meta() = NewEventMeta(id, "C-pdar", absl::Now());
  *event.mutable_sealed_referral() = SealReferral(*stranger, id, referral);
  *event.mutable_received_time() = ToTimestamp(absl::Now());
  const Keys keys(prefix_);
  ASSERT_TRUE(redis_
                  ->Command({"XADD", keys.SubmittedStream(), "*", "referral_id", id, "event",
                             event.SerializeAsString()})
                  .ok());

  referrals::v1::DeadLetter dead;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    absl::StatusOr<RedisReply> entries =
        redis_->Command({"XRANGE", keys.DeadLetterStream(), "-", "+"});
    ASSERT_TRUE(entries.ok());
    bool found = false;
    for (const RedisReply& entry : entries->elements) {
      const RedisReply& fields = entry.elements[1];
      for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
        if (fields.elements[i].str == "event" && dead.ParseFromString(fields.elements[i + 1].str)) {
          found = true;
        }
      }
    }
    if (found) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(dead.stage(), "triage");
  EXPECT_THAT(dead.error(), HasSubstr(id));
  EXPECT_THAT(dead.error(), HasSubstr("elsewhere-key"));
  for (const std::string& value : PersonalValues(referral)) {
    EXPECT_THAT(dead.error(), Not(HasSubstr(value)));
    EXPECT_THAT(dead.payload(), Not(HasSubstr(value)));
  }
}

TEST_F(PersonalDataAtRestTest, PurgeRemovesAClosedReferralsPersonalDataOnly) {
  const std::string closed_id = SubmitOk(DistinctiveReferral(6, "SS1 2AB", "pdar-purge-closed"));
  const std::string open_id = SubmitOk(DistinctiveReferral(7, "SS1 2AB", "pdar-purge-open"));
  WaitUntilRouted(closed_id);
  WaitUntilRouted(open_id);
  AcceptAndComplete(closed_id);
  referrals::v1::ReferralRecord before;
  ASSERT_TRUE(Get(closed_id, &before).ok());

  referrals::v1::PurgePersonalDataResponse purged;
  grpc::Status status = Purge(closed_id, &purged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(purged.purged_referral_ids(), ::testing::ElementsAre(closed_id));
  // Again: nothing to do.
  referrals::v1::PurgePersonalDataResponse again;
  ASSERT_TRUE(Purge(closed_id, &again).ok());
  EXPECT_TRUE(again.already_purged());
  EXPECT_THAT(again.purged_referral_ids(), ::testing::IsEmpty());
  // An open referral is refused.
  referrals::v1::PurgePersonalDataResponse refused;
  EXPECT_EQ(Purge(open_id, &refused).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  referrals::v1::ReferralRecord after;
  ASSERT_TRUE(Get(closed_id, &after).ok());
  EXPECT_TRUE(after.has_personal_data_purged_time());
  EXPECT_FALSE(after.has_referral());
  EXPECT_EQ(after.accepted_by(), "");
  EXPECT_EQ(after.status(), referrals::v1::REFERRAL_STATUS_COMPLETED);
  EXPECT_EQ(after.decision().SerializeAsString(), before.decision().SerializeAsString());
  ASSERT_EQ(after.history_size(), before.history_size() + 1);
  for (int i = 0; i < before.history_size(); ++i) {
    EXPECT_EQ(after.history(i).stage(), before.history(i).stage());
    EXPECT_EQ(after.history(i).summary(), before.history(i).summary());
    EXPECT_EQ(after.history(i).actor(), "");
  }
  EXPECT_EQ(after.history().rbegin()->stage(), referrals::v1::STAGE_RETENTION);

  referrals::v1::ReferralRecord still_open;
  ASSERT_TRUE(Get(open_id, &still_open).ok());
  EXPECT_EQ(still_open.referral().adult().given_name(), "Ottoline7x");
  EXPECT_FALSE(still_open.has_personal_data_purged_time());
}

// A record sealed with a key the file lacks exists: reading it is
// FAILED_PRECONDITION (fix the key file), not NOT_FOUND, naming ids only.
TEST_F(PersonalDataAtRestTest, ReadingARecordSealedWithAnUnknownKeyIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(
      auto stranger,
      DataKeyring::Parse(absl::StrCat("retired-elsewhere ", std::string(64, 'd')), "stranger"));
  const Referral referral = DistinctiveReferral(9, "SS1 2AB", "pdar-unknown-key");
  const std::string id = SubmitOk(referral);
  WaitUntilRouted(id);
  const Keys keys(prefix_);
  ASSERT_TRUE(redis_
                  ->Command({"HSET", keys.Referral(id), kFieldSealedReferral,
                             SealReferral(*stranger, id, referral).SerializeAsString()})
                  .ok());
  referrals::v1::ReferralRecord record;
  grpc::Status status = Get(id, &record);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(id));
  EXPECT_THAT(status.error_message(), HasSubstr("retired-elsewhere"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("Ottoline9x")));
}

// The operator's command for the same: `referralctl purge ID` prints the id
// purged and exits 0; the record keeps its routing facts, loses the referral.
TEST_F(PersonalDataAtRestTest, ReferralctlPurgeRemovesAClosedReferralsPersonalData) {
  const std::string id = SubmitOk(DistinctiveReferral(8, "SS1 2AB", "pdar-purge-command"));
  WaitUntilRouted(id);
  AcceptAndComplete(id);
  const testing::CtlResult purged = testing::RunCtl(
      REFERRALCTL_BINARY, absl::StrCat("--routing=", routing_->address(), " purge ", id));
  EXPECT_EQ(purged.exit_code, 0) << purged.err;
  EXPECT_EQ(purged.out, absl::StrCat(id, "\n"));

  referrals::v1::ReferralRecord after;
  ASSERT_TRUE(Get(id, &after).ok());
  EXPECT_TRUE(after.has_personal_data_purged_time());
  EXPECT_FALSE(after.has_referral());
  EXPECT_EQ(after.status(), referrals::v1::REFERRAL_STATUS_COMPLETED);
  EXPECT_FALSE(after.decision().queue().empty());
  // The sealed referral itself is gone from Redis, not just hidden.
  const Keys keys(prefix_);
  absl::StatusOr<RedisReply> sealed =
      redis_->Command({"HEXISTS", keys.Referral(id), kFieldSealedReferral});
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->integer, 0);
}

// Start-up checks, each on a service of its own.
class DataKeyStartupTest : public PersonalDataAtRestTest {
 protected:
  void SetUp() override {
    redis_options_ = testing::RedisOptionsFromEnv();
    prefix_ = testing::UniqueKeyPrefix();
    redis_url_ = absl::StrCat("redis://", redis_options_.host, ":", redis_options_.port);
  }
};

TEST_F(DataKeyStartupTest, MalformedKeyFileRefusesToStartNamingLineNotKey) {
  const std::string bad_hex = std::string(kKeyHex).substr(0, 60);
  const std::string path =
      WriteFile("bad-keys", absl::StrCat("# keys\nk1 ", kKeyHex, "\nk2 ", bad_hex, "\n"));
  const std::string log = absl::StrCat(::testing::TempDir(), "/pdar-bad-key.log");
  ServiceProcess intake(
      INTAKE_BINARY, {absl::StrCat("--redis=", redis_url_), absl::StrCat("--data_key_file=", path)},
      log);
  EXPECT_FALSE(intake.Start(absl::Seconds(5)).ok());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr(absl::StrCat(path, " line 3")));
  EXPECT_THAT(text.str(), Not(HasSubstr(bad_hex)));
  EXPECT_THAT(text.str(), Not(HasSubstr(kKeyHex)));
}

TEST_F(DataKeyStartupTest, NoKeyFileOffLoopbackRefusesToStart) {
  const std::string log = absl::StrCat(::testing::TempDir(), "/pdar-no-key.log");
  ServiceProcess intake(INTAKE_BINARY,
                        {absl::StrCat("--redis=", redis_url_), "--http_listen=0.0.0.0:0"}, log);
  EXPECT_FALSE(intake.Start(absl::Seconds(5)).ok());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("give --data_key_file"));
}

}  // namespace
}  // namespace referrals
