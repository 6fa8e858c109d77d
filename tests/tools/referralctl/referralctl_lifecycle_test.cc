// The receiving teams' referralctl commands, run as a process against
// intake, triage and routing as real processes over a real Redis: worklist,
// claim/renew/release, accept/complete, redirect/reject, outcome, overdue,
// and get with the allowed actions and actors.
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/tools/referralctl/replay_test_util.h"

namespace referrals {
namespace {

using referrals::testing::CtlResult;
using referrals::testing::ServiceProcess;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Example(const std::string& name) { return absl::StrCat(EXAMPLES_DIR, "/", name); }

class ReferralctlLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const RedisOptions redis = referrals::testing::RedisOptionsFromEnv();
    prefix_ = referrals::testing::UniqueKeyPrefix();
    redis_flags_ =
        absl::StrCat("--redis=redis://", redis.host, ":", redis.port, " --redis_prefix=", prefix_);
    auto connection = RedisConnection::Connect(redis);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
    const std::string rules = absl::StrCat("--rules=", RULES_DIR, "/2026.11-1.textproto");
    std::vector<std::string> common = absl::StrSplit(redis_flags_, ' ');
    auto start = [&](const char* binary, const char* name, std::vector<std::string> extra) {
      std::vector<std::string> args = common;
      args.insert(args.end(), extra.begin(), extra.end());
      auto process = std::make_unique<ServiceProcess>(
          binary, args, absl::StrCat(::testing::TempDir(), "/lifecycle-", name, ".log"));
      absl::Status started = process->Start();
      EXPECT_TRUE(started.ok()) << name << ": " << started;
      return started.ok() ? std::move(process) : nullptr;
    };
    intake_ = start(INTAKE_BINARY, "intake", {});
    triage_ = start(TRIAGE_BINARY, "triage", {rules});
    routing_ = start(ROUTING_BINARY, "routing", {rules, "--overdue_sweep_ms=100"});
    ASSERT_NE(intake_, nullptr);
    ASSERT_NE(triage_, nullptr);
    ASSERT_NE(routing_, nullptr);
    routing_flag_ = absl::StrCat("--routing=", routing_->address());
  }

  void TearDown() override {
    for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
      if (service != nullptr && service->running()) {
        EXPECT_EQ(service->Stop(), 0);
      }
    }
  }

  // referralctl against the routing service.
  CtlResult Ctl(const std::string& args) {
    return referrals::testing::RunCtl(REFERRALCTL_BINARY, absl::StrCat(routing_flag_, " ", args));
  }

  // Submits the example and waits until it is routed; its referral id.
  std::string SubmitAndRoute(const std::string& example) {
    const std::string intake = absl::StrCat("--intake=", intake_->address());
    CtlResult submitted = Ctl(absl::StrCat("submit ", intake, " '", Example(example), "'"));
    EXPECT_EQ(submitted.exit_code, 0) << submitted.err;
    const std::string id = submitted.out.substr(0, submitted.out.find(' '));
    CtlResult got = Ctl(absl::StrCat("get --wait_seconds=20 ", intake, " ", id));
    EXPECT_EQ(got.exit_code, 0) << got.err;
    EXPECT_THAT(got.out, Not(HasSubstr("  TRIAGED  ")));
    return id;
  }

  std::string prefix_;
  std::string redis_flags_;
  std::string routing_flag_;
  std::unique_ptr<RedisConnection> redis_;
  std::unique_ptr<ServiceProcess> intake_, triage_, routing_;
};

TEST_F(ReferralctlLifecycleTest, ClaimAcceptCompleteAndTheOutcome) {
  const std::string id = SubmitAndRoute("02-equipment-colchester.json");
  ASSERT_FALSE(id.empty());
  CtlResult list = Ctl("worklist ecc-icels");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(id));

  CtlResult got = Ctl(absl::StrCat("get --intake=", intake_->address(), " ", id));
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("Allowed now: accept, redirect, reject, cancel"));
  EXPECT_THAT(got.out, HasSubstr("Queue:     ecc-icels"));

  CtlResult claimed = Ctl("claim ecc-icels --claimer=worker-one");
  ASSERT_EQ(claimed.exit_code, 0) << claimed.err;
  EXPECT_THAT(claimed.out, HasSubstr(id));
  EXPECT_THAT(claimed.out, HasSubstr("claimed by worker-one"));
  CtlResult none = Ctl("claim ecc-icels --claimer=worker-two");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("nothing to claim"));
  CtlResult not_holder = Ctl(absl::StrCat("renew ", id, " --claimer=worker-two"));
  EXPECT_EQ(not_holder.exit_code, 1);
  EXPECT_THAT(not_holder.err, HasSubstr("not held by this claimer"));
  CtlResult renewed = Ctl(absl::StrCat("renew ", id, " --claimer=worker-one --lease_seconds=60"));
  EXPECT_EQ(renewed.exit_code, 0) << renewed.err;
  // Someone else cannot accept it while worker-one holds it.
  CtlResult blocked = Ctl(absl::StrCat("accept ", id, " --actor=worker-two"));
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_THAT(blocked.err, HasSubstr("lease"));
  CtlResult released = Ctl(absl::StrCat("release ", id, " --claimer=worker-one"));
  EXPECT_EQ(released.exit_code, 0) << released.err;

  CtlResult stale = Ctl(absl::StrCat("accept ", id, " --actor=worker-one --etag=1"));
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_THAT(stale.err, HasSubstr("stale"));
  CtlResult accepted = Ctl(absl::StrCat("accept ", id, " --actor=worker-one"));
  ASSERT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_THAT(accepted.out, HasSubstr("ACCEPTED"));
  EXPECT_THAT(accepted.out, HasSubstr("allowed now: complete"));
  EXPECT_THAT(Ctl("worklist ecc-icels").out, Not(HasSubstr(id)));

  got = Ctl(absl::StrCat("get --intake=", intake_->address(), " ", id));
  EXPECT_THAT(got.out, HasSubstr("by worker-one"));
  EXPECT_THAT(got.out, HasSubstr("Allowed now: complete"));

  CtlResult completed = Ctl(absl::StrCat("complete ", id, " --actor=worker-one"));
  ASSERT_EQ(completed.exit_code, 0) << completed.err;
  CtlResult again = Ctl(absl::StrCat("cancel ", id, " --actor=referrer"));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("referral is COMPLETED: cannot cancel"));

  CtlResult outcome = Ctl(absl::StrCat("outcome ", id));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(outcome.out, HasSubstr("COMPLETED"));
  EXPECT_THAT(outcome.out, HasSubstr("ROUTED"));
  EXPECT_THAT(outcome.out, HasSubstr("ACCEPTED"));
  EXPECT_THAT(outcome.out, Not(HasSubstr("worker-one")));
}

TEST_F(ReferralctlLifecycleTest, ManualTriageRedirectThenRejectShowsTheCodeNotTheComment) {
  const std::string id = SubmitAndRoute("06-split-sector-manual-triage.json");
  ASSERT_FALSE(id.empty());
  EXPECT_THAT(Ctl("worklist manual-triage").out, HasSubstr(id));
  CtlResult unknown =
      Ctl(absl::StrCat("redirect ", id, " no-such-queue --actor=triager --reason='checked'"));
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no queue named no-such-queue"));
  CtlResult redirected =
      Ctl(absl::StrCat("redirect ", id, " ecc-mid --actor=triager --reason='checked the map'"));
  ASSERT_EQ(redirected.exit_code, 0) << redirected.err;
  EXPECT_THAT(redirected.out, HasSubstr("ROUTED"));
  EXPECT_THAT(Ctl("worklist ecc-mid").out, HasSubstr(id));
  EXPECT_THAT(Ctl("worklist manual-triage").out, Not(HasSubstr(id)));

  CtlResult rejected = Ctl(absl::StrCat("reject ", id,
                                        " NOT_ELIGIBLE --actor=mid-worker "
                                        "--comment='Synthetic Person already known to us'"));
  ASSERT_EQ(rejected.exit_code, 0) << rejected.err;
  EXPECT_THAT(rejected.out, HasSubstr("REJECTED"));
  CtlResult outcome = Ctl(absl::StrCat("outcome ", id));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(outcome.out, HasSubstr("REDIRECTED"));
  EXPECT_THAT(outcome.out, HasSubstr("NOT_ELIGIBLE"));
  EXPECT_THAT(outcome.out, Not(HasSubstr("Synthetic Person")));
  EXPECT_THAT(outcome.out, Not(HasSubstr("checked the map")));
  // Staff see both queues, actors and comments.
  CtlResult got = Ctl(absl::StrCat("get --intake=", intake_->address(), " ", id));
  EXPECT_THAT(got.out, HasSubstr("manual-triage -> ecc-mid"));
  EXPECT_THAT(got.out, HasSubstr("by triager"));
  EXPECT_THAT(got.out, HasSubstr("Synthetic Person already known to us"));
}

TEST_F(ReferralctlLifecycleTest, PastItsRespondByTimeItIsListedOverdueOnce) {
  const std::string id = SubmitAndRoute("05-urgent-harm-in-thurrock.json");
  ASSERT_FALSE(id.empty());
  // Move its respond-by time into the past (as if the target had passed).
  const Keys keys(prefix_);
  ASSERT_TRUE(redis_->Command({"HSET", keys.Referral(id), "respond_by_ms", "1000"}).ok());
  ASSERT_TRUE(redis_->Command({"ZADD", keys.prefix() + "deadlines", "1000", id}).ok());
  CtlResult overdue;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    overdue = Ctl("overdue");
    if (overdue.out.find(id) != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  ASSERT_EQ(overdue.exit_code, 0) << overdue.err;
  EXPECT_THAT(overdue.out, HasSubstr(id));
  EXPECT_THAT(overdue.out, HasSubstr("OVERDUE"));
  EXPECT_THAT(Ctl("worklist thurrock-first --overdue_only").out, HasSubstr(id));
  absl::StatusOr<RedisReply> escalations =
      redis_->Command({"XLEN", keys.prefix() + "stream:escalations"});
  ASSERT_TRUE(escalations.ok());
  EXPECT_EQ(escalations->integer, 1);
}

TEST_F(ReferralctlLifecycleTest, MissingFieldsAndADownServiceAreClearErrors) {
  CtlResult missing = Ctl("accept some-id");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("actor: is required"));
  CtlResult unknown = Ctl("accept no-such-referral --actor=someone");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no referral no-such-referral"));
  CtlResult usage = Ctl("reject some-id WHATEVER --actor=someone");
  EXPECT_EQ(usage.exit_code, 2);
  CtlResult down = referrals::testing::RunCtl(
      REFERRALCTL_BINARY, "--routing=127.0.0.1:1 --timeout_ms=500 worklist ecc-icels");
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_THAT(down.err, HasSubstr("check that the routing service at 127.0.0.1:1 is running"));
}

}  // namespace
}  // namespace referrals
