// Where integration tests find Redis, and how they keep out of each other's
// way.
#ifndef TESTS_SUPPORT_REDIS_TEST_ENV_H_
#define TESTS_SUPPORT_REDIS_TEST_ENV_H_

#include <string>

#include "common/redis/redis_connection.h"

namespace referrals::testing {

// The Redis server named by REDIS_URL (set by scripts/test.sh). Fails the
// calling test (ADD_FAILURE) and returns defaults when it is not set:
// integration tests must not silently skip.
RedisOptions RedisOptionsFromEnv();

// A key prefix no other test uses, e.g. "test:3f9c1a:" .
std::string UniqueKeyPrefix();

}  // namespace referrals::testing

#endif  // TESTS_SUPPORT_REDIS_TEST_ENV_H_
