// `referralctl dlq list` and `dlq replay`, run as a process against a real
// routing_service process and a real Redis.
#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/pipeline/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/events.pb.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"

namespace referrals {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int exit_code = -1;
  std::string out;
};

// Runs referralctl with `args` (already shell-quoted), capturing stdout.
Result Referralctl(const std::string& args) {
  Result result;
  const std::string command = absl::StrCat(REFERRALCTL_BINARY, " ", args, " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

class ReferralctlDlqTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = Keys(testing::UniqueKeyPrefix());
    const RedisOptions options = testing::RedisOptionsFromEnv();
    auto connection = RedisConnection::Connect(options);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
    routing_ = std::make_unique<testing::ServiceProcess>(
        ROUTING_BINARY,
        std::vector<std::string>{absl::StrCat("--redis=redis://", options.host, ":", options.port),
                                 absl::StrCat("--redis_prefix=", keys_.prefix())},
        absl::StrCat(::testing::TempDir(), "/routing-dlq.log"));
    absl::Status started = routing_->Start();
    ASSERT_TRUE(started.ok()) << started;
    flags_ = absl::StrCat("--routing=", routing_->address());
  }

  void TearDown() override {
    if (routing_ != nullptr && routing_->running()) {
      EXPECT_EQ(routing_->Stop(), 0);
    }
  }

  // A dead letter as StreamConsumer writes it, with personal data in its
  // payload that must never be printed.
  std::string AddDeadLetter(const std::string& referral_id, const std::string& error,
                            int64_t attempts) {
    referrals::v1::DeadLetter letter;
    letter.set_stage("routing");
    letter.set_stream(keys_.TriagedStream());
    letter.set_entry_id("1700000000000-0");
    letter.set_error(error);
    letter.set_attempts(attempts);
    letter.set_payload("Synthetic Person, 1 Example Walk");
    auto added = redis_->Command({"XADD", keys_.DeadLetterStream(), "*", "referral_id", referral_id,
                                  "stage", "routing", "event", letter.SerializeAsString()});
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->str : "";
  }

  Keys keys_;
  std::unique_ptr<RedisConnection> redis_;
  std::unique_ptr<testing::ServiceProcess> routing_;
  std::string flags_;
};

TEST_F(ReferralctlDlqTest, ListPrintsOneLinePerDeadLetterWithoutPersonalData) {
  const std::string first = AddDeadLetter("R-20260101-0123456789ab", "no referral record", 1);
  const std::string second = AddDeadLetter("R-20260101-ba9876543210", "still broken", 5);
  Result r = Referralctl(absl::StrCat("dlq list ", flags_));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;  // header + two
  EXPECT_THAT(lines[0], HasSubstr("DEAD LETTER"));
  EXPECT_TRUE(absl::StartsWith(lines[1], first)) << lines[1];
  EXPECT_THAT(lines[1], HasSubstr("R-20260101-0123456789ab"));
  EXPECT_THAT(lines[1], HasSubstr("routing"));
  EXPECT_THAT(lines[1], HasSubstr("no referral record"));
  EXPECT_TRUE(absl::StartsWith(lines[2], second)) << lines[2];
  EXPECT_THAT(lines[2], HasSubstr(" 5  still broken"));
  EXPECT_THAT(r.out, Not(HasSubstr("Synthetic")));
  EXPECT_THAT(r.out, Not(HasSubstr("Example Walk")));
}

TEST_F(ReferralctlDlqTest, ListPagesAndRejectsBadFlags) {
  const std::string first = AddDeadLetter("R-1", "a", 1);
  const std::string second = AddDeadLetter("R-2", "b", 1);
  Result page = Referralctl(absl::StrCat("dlq list --page_size=1 ", flags_));
  ASSERT_EQ(page.exit_code, 0);
  std::vector<std::string> lines = Lines(page.out);
  ASSERT_EQ(lines.size(), 2u) << page.out;
  EXPECT_TRUE(absl::StartsWith(lines[1], first));
  Result next =
      Referralctl(absl::StrCat("dlq list --page_size=1 --page_token=", first, " ", flags_));
  ASSERT_EQ(next.exit_code, 0);
  lines = Lines(next.out);
  ASSERT_EQ(lines.size(), 2u) << next.out;
  EXPECT_TRUE(absl::StartsWith(lines[1], second));

  EXPECT_EQ(Referralctl(absl::StrCat("dlq list --page_size=5000 ", flags_)).exit_code, 1);
  EXPECT_EQ(Referralctl(absl::StrCat("dlq list --page_token=nope ", flags_)).exit_code, 1);
  EXPECT_EQ(Referralctl(absl::StrCat("dlq ", flags_)).exit_code, 2);
}

TEST_F(ReferralctlDlqTest, ReplayRemovesTheDeadLetterAndReportsTheNewEntry) {
  const std::string id = AddDeadLetter("R-20260101-0123456789ab", "no referral record", 1);
  Result r = Referralctl(absl::StrCat("dlq replay ", id, " ", flags_));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(id, "  replayed  R-20260101-0123456789ab")));
  // Gone from the list. (Routing reads the replayed entry, cannot parse it
  // and dead-letters it again under a new id, so only the old id is checked.)
  Result listed = Referralctl(absl::StrCat("dlq list ", flags_));
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_THAT(listed.out, Not(HasSubstr(id)));
  // Again: nothing to replay; one failure makes the exit code 1.
  EXPECT_EQ(Referralctl(absl::StrCat("dlq replay ", id, " ", flags_)).exit_code, 1);
  EXPECT_EQ(Referralctl(absl::StrCat("dlq replay not-an-id ", flags_)).exit_code, 1);
}

}  // namespace
}  // namespace referrals
