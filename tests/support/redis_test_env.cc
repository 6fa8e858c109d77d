#include "tests/support/redis_test_env.h"

#include <cstdlib>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace referrals::testing {

RedisOptions RedisOptionsFromEnv() {
  const char* url = std::getenv("REDIS_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "REDIS_URL is not set: run integration tests through scripts/test.sh, "
                     "which starts a throwaway redis-server and sets it";
    return RedisOptions();
  }
  absl::StatusOr<RedisOptions> options = ParseRedisUrl(url);
  if (!options.ok()) {
    ADD_FAILURE() << "REDIS_URL is not a Redis address: " << options.status();
    return RedisOptions();
  }
  return *options;
}

std::string UniqueKeyPrefix() {
  static absl::BitGen* gen = new absl::BitGen();
  return absl::StrCat("test:", absl::Hex(absl::Uniform<uint64_t>(*gen)), ":");
}

}  // namespace referrals::testing
