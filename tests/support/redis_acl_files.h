// Throwaway Redis ACL files for tests: the project's deploy/redis/users.acl
// with freshly generated passwords (scripts/redis_acl.sh), plus an "admin"
// user for the test's own inspection (ACL LOG, SENTINEL, ...). Everything is
// written under a fresh directory of its own (tests run in parallel);
// nothing is committed.
#ifndef TESTS_SUPPORT_REDIS_ACL_FILES_H_
#define TESTS_SUPPORT_REDIS_ACL_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"

namespace referrals::testing {

class RedisAclFiles {
 public:
  // Generates the ACL file and one password file per user in a new
  // directory under `parent_dir`. Errors: INTERNAL when the directory cannot
  // be made or the script fails.
  static absl::StatusOr<RedisAclFiles> Create(const std::string& parent_dir = "/tmp");

  // The directory holding everything; remove it when done.
  const std::string& dir() const { return dir_; }

  // The file for redis-server --aclfile.
  const std::string& acl_file() const { return acl_file_; }
  // The password file of `user` (intake, triage, routing, ops or admin).
  std::string PasswordFile(const std::string& user) const;
  // Its contents; empty if unreadable.
  std::string Password(const std::string& user) const;
  // `base` with `user` and its password set.
  RedisOptions OptionsFor(RedisOptions base, const std::string& user) const;

 private:
  std::string dir_;
  std::string acl_file_;
  std::string secrets_dir_;
};

}  // namespace referrals::testing

#endif  // TESTS_SUPPORT_REDIS_ACL_FILES_H_
