// `referralctl replay` of stored referrals: intake, triage and routing as
// real processes over a real Redis route two examples, then replay
// re-decides the stored records under a modified rules version.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/tools/referralctl/replay_test_util.h"

namespace referrals {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using referrals::testing::CtlResult;
using referrals::testing::ServiceProcess;

std::string Example(const std::string& name) { return absl::StrCat(EXAMPLES_DIR, "/", name); }

std::string Squeeze(absl::string_view line) {
  std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
  return absl::StrJoin(words, " ");
}

class ReferralctlReplayStored : public ::testing::Test {
 protected:
  void SetUp() override {
    const RedisOptions redis = referrals::testing::RedisOptionsFromEnv();
    redis_flags_ = absl::StrCat("--redis=redis://", redis.host, ":", redis.port,
                                " --redis_prefix=", referrals::testing::UniqueKeyPrefix());
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("referralctl_replay_stored_test_", ::getpid());
    std::filesystem::create_directories(dir_);
    new_rules_ = (dir_ / "2026.11-2.textproto").string();
    referrals::testing::WriteRulesWithoutEquipmentRule(
        absl::StrCat(RULES_DIR, "/2026.11-1.textproto"), new_rules_);
    // The services decide under 2026.11-1 whatever today's date (one file:
    // in force at every time).
    const std::string rules = absl::StrCat("--rules=", RULES_DIR, "/2026.11-1.textproto");
    std::vector<std::string> common = absl::StrSplit(redis_flags_, ' ');
    auto start = [&](const char* binary, const char* name, std::vector<std::string> extra) {
      std::vector<std::string> args = common;
      args.insert(args.end(), extra.begin(), extra.end());
      auto process = std::make_unique<ServiceProcess>(
          binary, args, absl::StrCat(::testing::TempDir(), "/replay-", name, ".log"));
      absl::Status started = process->Start();
      EXPECT_TRUE(started.ok()) << name << ": " << started;
      return started.ok() ? std::move(process) : nullptr;
    };
    intake_ = start(INTAKE_BINARY, "intake", {});
    triage_ = start(TRIAGE_BINARY, "triage", {rules});
    routing_ = start(ROUTING_BINARY, "routing", {rules});
    ASSERT_NE(intake_, nullptr);
    ASSERT_NE(triage_, nullptr);
    ASSERT_NE(routing_, nullptr);
  }

  void TearDown() override {
    for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
      if (service != nullptr && service->running()) {
        EXPECT_EQ(service->Stop(), 0);
      }
    }
    std::filesystem::remove_all(dir_);
  }

  CtlResult Ctl(const std::string& args) {
    return referrals::testing::RunCtl(REFERRALCTL_BINARY, args);
  }

  // Submits the example through intake and waits until it is routed;
  // returns its referral id.
  std::string SubmitAndRoute(const std::string& example) {
    const std::string intake = absl::StrCat("--intake=", intake_->address());
    CtlResult submitted = Ctl(absl::StrCat("submit ", intake, " '", Example(example), "'"));
    EXPECT_EQ(submitted.exit_code, 0) << submitted.err;
    const std::string id = submitted.out.substr(0, submitted.out.find(' '));
    CtlResult got = Ctl(absl::StrCat("get --wait_seconds=20 ", intake, " ", id));
    EXPECT_EQ(got.exit_code, 0) << got.err;
    EXPECT_THAT(got.out, Not(HasSubstr("  RECEIVED  ")));
    EXPECT_THAT(got.out, Not(HasSubstr("  TRIAGED  ")));
    return id;
  }

  std::string redis_flags_;
  std::filesystem::path dir_;
  std::string new_rules_;
  std::unique_ptr<ServiceProcess> intake_, triage_, routing_;
};

TEST_F(ReferralctlReplayStored, ReplaysStoredDecisionsUnderNewRules) {
  const std::string equipment = SubmitAndRoute("02-equipment-colchester.json");
  const std::string thurrock = SubmitAndRoute("05-urgent-harm-in-thurrock.json");
  ASSERT_FALSE(equipment.empty());
  ASSERT_FALSE(thurrock.empty());

  CtlResult r = Ctl(absl::StrCat("replay ", redis_flags_, " --rules='", new_rules_, "'"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("# old: stored decisions"));
  EXPECT_THAT(r.out, HasSubstr("# new: rules 2026.11-2 (from 2026-11-23)"));
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  std::vector<std::string> table, changed;
  bool in_table = false, in_changed = false;
  for (const std::string& line : lines) {
    if (absl::StartsWith(line, "OLD QUEUE")) {
      in_table = true;
    } else if (absl::StartsWith(line, "CHANGED: ")) {
      in_table = false;
      in_changed = true;
      EXPECT_EQ(line, "CHANGED: 1 of 2");
    } else if (in_table) {
      table.push_back(Squeeze(line));
    } else if (in_changed) {
      changed.push_back(line);
    }
  }
  EXPECT_THAT(table, ElementsAre("ecc-icels -> ecc-north-east 1",
                                 "thurrock-first -> thurrock-first 1 unchanged"))
      << r.out;
  EXPECT_THAT(changed, ElementsAre(absl::StrCat(
                           equipment,
                           "  TEAM ecc-icels ESSEX rules 2026.11-1  ->  TEAM ecc-north-east ESSEX "
                           "rules 2026.11-2  by [team.essex.locality.north_east] (was "
                           "[team.essex.equipment])")))
      << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr(thurrock)));
  for (const char* example :
       {"02-equipment-colchester.json", "05-urgent-harm-in-thurrock.json"}) {
    for (const std::string& value : referrals::testing::PersonalValues(Example(example))) {
      EXPECT_THAT(r.out, Not(HasSubstr(value)));
      EXPECT_THAT(r.err, Not(HasSubstr(value)));
    }
  }

  // Against the rules the services used, nothing changes.
  CtlResult same = Ctl(absl::StrCat("replay ", redis_flags_, " --rules=", RULES_DIR,
                                    "/2026.11-1.textproto"));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_THAT(same.out, HasSubstr("\nCHANGED: 0 of 2\n"));
}

TEST_F(ReferralctlReplayStored, EmptyPrefixReportsNothingAndUnreachableRedisFails) {
  CtlResult empty = Ctl(absl::StrCat("replay ", redis_flags_, "empty: --rules='", new_rules_, "'"));
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_THAT(empty.out, HasSubstr("\nCHANGED: 0 of 0\n"));
  CtlResult down = Ctl(absl::StrCat("replay --redis=redis://127.0.0.1:1 --rules='", new_rules_, "'"));
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_THAT(down.err, HasSubstr("redis: "));
  EXPECT_THAT(down.out, IsEmpty());
}

}  // namespace
}  // namespace referrals
