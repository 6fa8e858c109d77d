#include "common/redis/redis_script.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace referrals {
namespace {

// SCRIPT LOAD; returns the script's SHA1 as the server reports it.
absl::StatusOr<std::string> LoadScript(RedisConnection& connection, std::string_view source) {
  absl::StatusOr<RedisReply> reply = connection.Command({"SCRIPT", "LOAD", source});
  if (!reply.ok()) return reply.status();
  if (!reply->is_string() || reply->str.empty()) {
    return absl::InternalError("SCRIPT LOAD: unexpected reply type");
  }
  return std::move(reply->str);
}

// EVAL/EVALSHA `first` numkeys keys... args...
absl::StatusOr<RedisReply> Evaluate(RedisConnection& connection, std::string_view command,
                                    std::string_view script_or_sha,
                                    const std::vector<std::string_view>& keys,
                                    const std::vector<std::string_view>& args) {
  const std::string numkeys = absl::StrCat(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(command);
  argv.push_back(script_or_sha);
  argv.push_back(numkeys);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return connection.Command(argv);
}

// True only for the server's own "NOSCRIPT No matching script" reply, so a
// script that raises an error of its own is never run a second time.
bool IsNoScript(const absl::Status& status) {
  return status.code() == absl::StatusCode::kNotFound &&
         absl::StrContains(status.message(), "NOSCRIPT No matching script");
}

}  // namespace

RedisScript::RedisScript(std::string source) : source_(std::move(source)) {}

absl::StatusOr<RedisReply> RedisScript::Run(RedisConnection& connection,
                                            const std::vector<std::string_view>& keys,
                                            const std::vector<std::string_view>& args) const {
  std::string sha1;
  {
    absl::MutexLock lock(&mu_);
    if (sha1_.empty()) {
      absl::StatusOr<std::string> loaded = LoadScript(connection, source_);
      if (!loaded.ok()) return loaded.status();
      sha1_ = *std::move(loaded);
    }
    sha1 = sha1_;
  }

  absl::StatusOr<RedisReply> reply = Evaluate(connection, "EVALSHA", sha1, keys, args);
  if (!IsNoScript(reply.status())) return reply;

  // The server lost its script cache (restart, SCRIPT FLUSH, failover): run
  // the source, then load it again so later calls go back to EVALSHA.
  reply = Evaluate(connection, "EVAL", source_, keys, args);
  if (!connection.broken()) {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::string> loaded = LoadScript(connection, source_);
    // A failed reload is not this call's failure: EVALSHA falls back again.
    if (loaded.ok()) sha1_ = *std::move(loaded);
  }
  return reply;
}

}  // namespace referrals
