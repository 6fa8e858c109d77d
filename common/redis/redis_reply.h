// A Redis reply as a plain value tree, copied out of hiredis's redisReply so
// callers never touch hiredis memory.
#ifndef COMMON_REDIS_REDIS_REPLY_H_
#define COMMON_REDIS_REDIS_REPLY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace referrals {

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };

  Type type = Type::kNil;
  std::string str;                  // kString, kStatus, kError
  int64_t integer = 0;              // kInteger
  std::vector<RedisReply> elements; // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
  bool is_string() const { return type == Type::kString || type == Type::kStatus; }
};

}  // namespace referrals

#endif  // COMMON_REDIS_REDIS_REPLY_H_
