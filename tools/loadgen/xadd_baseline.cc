#include "tools/loadgen/xadd_baseline.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/loadgen/request_log.h"

namespace referrals::loadgen {

absl::StatusOr<XaddResult> RunXadd(const RedisOptions& redis, const std::string& key,
                                   const std::string& payload, int depth,
                                   absl::Duration duration) {
  auto connection = RedisConnection::Connect(redis);
  if (!connection.ok()) return connection.status();
  RedisConnection& c = **connection;
  // A referral id of the real shape; the same one each time is fine for Redis.
  const std::string referral_id = "R-20261123-000000000000";
  const std::vector<std::string> xadd = {"XADD", key,          "MAXLEN",      "~",    "100000",
                                         "*",    "referral_id", referral_id, "event", payload};
  const std::vector<std::string_view> argv(xadd.begin(), xadd.end());
  const std::vector<std::vector<std::string>> batch(std::max(1, depth), xadd);

  XaddResult result;
  const int64_t start = NowNanos();
  const int64_t end = start + absl::ToInt64Nanoseconds(duration);
  int64_t now = start;
  while (now < end) {
    const int64_t before = NowNanos();
    if (depth <= 1) {
      absl::StatusOr<RedisReply> reply = c.Command(argv);
      if (reply.ok()) {
        ++result.count;
      } else {
        ++result.errors;
      }
    } else {
      absl::StatusOr<std::vector<RedisReply>> replies = c.Pipeline(batch);
      if (replies.ok()) {
        for (const RedisReply& reply : *replies) {
          if (reply.type == RedisReply::Type::kError) {
            ++result.errors;
          } else {
            ++result.count;
          }
        }
      } else {
        ++result.errors;
      }
    }
    now = NowNanos();
    result.latency_ms.push_back(static_cast<double>(now - before) / 1e6);
  }
  result.seconds = static_cast<double>(now - start) / 1e9;
  return result;
}

absl::Status DropAndCompact(const RedisOptions& redis, const std::string& key,
                            absl::Duration timeout) {
  auto connection = RedisConnection::Connect(redis);
  if (!connection.ok()) return connection.status();
  RedisConnection& c = **connection;
  if (auto deleted = c.Command({"DEL", key}); !deleted.ok()) return deleted.status();
  if (auto rewrite = c.Command({"BGREWRITEAOF"}); !rewrite.ok()) {
    // Already rewriting: wait for that one.
    if (!absl::StrContains(rewrite.status().message(), "in progress")) return rewrite.status();
  }
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    auto info = c.Command({"INFO", "persistence"});
    if (!info.ok()) return info.status();
    if (absl::StrContains(info->str, "aof_rewrite_in_progress:0") &&
        absl::StrContains(info->str, "aof_rewrite_scheduled:0")) {
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError("the AOF rewrite did not finish in time");
}

}  // namespace referrals::loadgen
