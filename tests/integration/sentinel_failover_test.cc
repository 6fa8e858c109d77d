// Redis failover through Sentinel, with real processes: a primary, a
// replica and one redis-sentinel (redis-server --sentinel), each a child of
// the test. A RedisConnection configured with the sentinel follows the
// primary across a forced failover (SENTINEL FAILOVER); a connection left on
// a replica treats READONLY as a broken connection; the real intake process,
// given only the sentinel, keeps storing referrals after the failover.
#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/redis/redis_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/service_process.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::RedisServerProcess;
using ::referrals::testing::ServiceProcess;
using ::referrals::testing::StatusIs;

constexpr char kMaster[] = "referrals";

// Polls `condition` every 50 ms until it holds or `timeout` passes.
template <typename Condition>
bool Eventually(Condition condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return condition();
}

class SentinelFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(primary_.Start(), IsOk());
    ASSERT_THAT(replica_.Prepare(), IsOk());
    replica_.AddArguments({"--replicaof", "127.0.0.1", absl::StrCat(primary_.port())});
    ASSERT_THAT(replica_.Start(), IsOk());
    ASSERT_TRUE(Eventually([&] { return ReplicaLinkUp(); }, absl::Seconds(20)))
        << "the replica did not sync with the primary";

    ASSERT_THAT(sentinel_.Prepare(), IsOk());
    const std::string config = sentinel_.dir() + "/sentinel.conf";
    {
      std::ofstream out(config);
      out << "sentinel monitor " << kMaster << " 127.0.0.1 " << primary_.port() << " 1\n"
          << "sentinel down-after-milliseconds " << kMaster << " 1000\n"
          << "sentinel failover-timeout " << kMaster << " 10000\n";
      ASSERT_TRUE(out.good());
    }
    sentinel_.SetConfigFile(config);
    sentinel_.AddArguments({"--sentinel"});
    absl::Status started = sentinel_.Start();
    if (!started.ok() && absl::StrContains(started.message(), "exited during start-up")) {
      GTEST_SKIP() << "redis-server --sentinel cannot run here: " << started;
    }
    ASSERT_THAT(started, IsOk());
    // SENTINEL FAILOVER needs a replica the sentinel has discovered.
    ASSERT_TRUE(Eventually([&] { return SentinelKnowsReplica(); }, absl::Seconds(30)))
        << "the sentinel did not discover the replica";
  }

  bool ReplicaLinkUp() {
    auto admin = RedisConnection::Connect(replica_.options());
    if (!admin.ok()) return false;
    auto info = (*admin)->Command({"INFO", "replication"});
    return info.ok() && absl::StrContains(info->str, "master_link_status:up");
  }

  bool SentinelKnowsReplica() {
    auto admin = RedisConnection::Connect(sentinel_.options());
    if (!admin.ok()) return false;
    auto replicas = (*admin)->Command({"SENTINEL", "REPLICAS", kMaster});
    return replicas.ok() && !replicas->elements.empty();
  }

  int SentinelPrimaryPort() {
    auto admin = RedisConnection::Connect(sentinel_.options());
    if (!admin.ok()) return 0;
    auto reply = (*admin)->Command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", kMaster});
    if (!reply.ok() || reply->elements.size() != 2) return 0;
    return std::atoi(reply->elements[1].str.c_str());
  }

  // SENTINEL FAILOVER, retried while the sentinel answers NOGOODSLAVE (its
  // view of the replica is not fresh enough yet). True once accepted.
  bool ForceFailover() {
    return Eventually(
        [&] {
          auto admin = RedisConnection::Connect(sentinel_.options());
          return admin.ok() && (*admin)->Command({"SENTINEL", "FAILOVER", kMaster}).ok();
        },
        absl::Seconds(30));
  }

  RedisOptions ThroughSentinel() const {
    RedisOptions options;
    options.host = "unused.invalid";
    options.sentinels = {RedisEndpoint{"127.0.0.1", sentinel_.port()}};
    options.master_name = kMaster;
    options.connect_timeout = absl::Milliseconds(500);
    options.command_timeout = absl::Seconds(2);
    return options;
  }

  RedisServerProcess primary_{"no"};
  RedisServerProcess replica_{"no"};
  RedisServerProcess sentinel_{"no"};
};

TEST_F(SentinelFailoverTest, ConnectsToThePrimaryTheSentinelNames) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> connection,
                       RedisConnection::Connect(ThroughSentinel()));
  EXPECT_EQ(connection->endpoint(), absl::StrCat("127.0.0.1:", primary_.port()));
  EXPECT_THAT(connection->Command({"SET", "before", "1"}).status(), IsOk());
}

TEST_F(SentinelFailoverTest, UnknownMasterNameIsUnavailable) {
  RedisOptions options = ThroughSentinel();
  options.master_name = "no-such-primary";
  EXPECT_THAT(RedisConnection::Connect(options), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(SentinelOptionsTest, SentinelsWithoutMasterNameAreInvalid) {
  RedisOptions options;
  options.sentinels = {RedisEndpoint{"127.0.0.1", 26379}};
  EXPECT_THAT(RedisConnection::Connect(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SentinelFailoverTest, ReadOnlyReplyFromAReplicaBreaksTheConnection) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> on_replica,
                       RedisConnection::Connect(replica_.options()));
  EXPECT_THAT(on_replica->Command({"SET", "k", "v"}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(on_replica->broken());
  // Scripts that write on a replica fail the same way.
  EXPECT_THAT(on_replica->Command({"EVAL", "return redis.call('SET', KEYS[1], 'v')", "1", "k"}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(on_replica->broken());
}

TEST_F(SentinelFailoverTest, ConnectionFollowsThePrimaryAcrossAFailover) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> connection,
                       RedisConnection::Connect(ThroughSentinel()));
  ASSERT_THAT(connection->Command({"XADD", "s", "*", "n", "1"}).status(), IsOk());
  // WAIT: the entry is on the replica before it is promoted.
  ASSERT_OK_AND_ASSIGN(RedisReply waited, connection->Command({"WAIT", "1", "5000"}));
  ASSERT_EQ(waited.integer, 1);

  ASSERT_TRUE(ForceFailover()) << "SENTINEL FAILOVER was never accepted";
  ASSERT_TRUE(
      Eventually([&] { return SentinelPrimaryPort() == replica_.port(); }, absl::Seconds(30)))
      << "the sentinel did not promote the replica";

  // The old primary keeps taking writes until the sentinel demotes it; then
  // its READONLY (or a dropped socket) makes the connection reconnect
  // through the sentinel, to the new primary.
  const std::string new_primary = absl::StrCat("127.0.0.1:", replica_.port());
  ASSERT_TRUE(Eventually(
      [&] {
        return connection->Command({"XADD", "after", "*", "n", "2"}).ok() &&
               connection->endpoint() == new_primary;
      },
      absl::Seconds(30)))
      << "still on " << connection->endpoint();
  ASSERT_OK_AND_ASSIGN(RedisReply length, connection->Command({"XLEN", "s"}));
  EXPECT_EQ(length.integer, 1);
}

referrals::v1::Referral MakeReferral(const std::string& request_id) {
  referrals::v1::Referral referral;
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

TEST_F(SentinelFailoverTest, IntakeKeepsStoringReferralsAfterAFailover) {
  ServiceProcess intake(INTAKE_BINARY,
                        {absl::StrCat("--redis_sentinels=127.0.0.1:", sentinel_.port()),
                         absl::StrCat("--redis_master_name=", kMaster)},
                        absl::StrCat(::testing::TempDir(), "/sentinel_intake.log"));
  ASSERT_THAT(intake.Start(), IsOk());
  auto stub = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake.address()));
  auto submit = [&](const std::string& request_id, std::string* id) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::SubmitReferralRequest request;
    *request.mutable_referral() = MakeReferral(request_id);
    referrals::v1::SubmitReferralResponse response;
    grpc::Status status = stub->SubmitReferral(&context, request, &response);
    *id = response.referral_id();
    return status.ok();
  };
  std::string before;
  ASSERT_TRUE(submit("before-failover", &before));

  ASSERT_TRUE(ForceFailover()) << "SENTINEL FAILOVER was never accepted";
  ASSERT_TRUE(
      Eventually([&] { return SentinelPrimaryPort() == replica_.port(); }, absl::Seconds(30)))
      << "the sentinel did not promote the replica";

  // Each try is a new referral (a new request id); some may fail or land on
  // the old primary while it is being demoted. Eventually one is stored on
  // the new primary.
  int attempt = 0;
  auto new_primary = RedisConnection::Connect(replica_.options());
  ASSERT_THAT(new_primary.status(), IsOk());
  EXPECT_TRUE(Eventually(
      [&] {
        std::string id;
        if (!submit(absl::StrCat("after-failover-", ++attempt), &id)) return false;
        auto exists = (*new_primary)->Command({"EXISTS", absl::StrCat("referrals:referral:", id)});
        return exists.ok() && exists->integer == 1;
      },
      absl::Seconds(30)))
      << "no referral reached the new primary after " << attempt << " tries";
  stub.reset();
  EXPECT_EQ(intake.Stop(), 0);
}

}  // namespace
}  // namespace referrals
