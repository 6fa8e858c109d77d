#include "tests/support/redis_acl_files.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdlib.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace referrals::testing {

absl::StatusOr<RedisAclFiles> RedisAclFiles::Create(const std::string& parent_dir) {
  std::string dir_template = parent_dir + "/referrals-acl-XXXXXX";
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp failed in ", parent_dir));
  }
  RedisAclFiles files;
  files.dir_ = dir_template;
  files.secrets_dir_ = files.dir_ + "/secrets";
  files.acl_file_ = files.dir_ + "/users.acl";
  // The service users: the project's template and script, as deployed.
  const std::string command = absl::StrCat("'", REFERRALS_SOURCE_DIR, "/scripts/redis_acl.sh' '",
                                           files.secrets_dir_, "' '", files.acl_file_, "'");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("scripts/redis_acl.sh failed: ", command));
  }
  // admin: everything, for the test's own checks. Its password is generated
  // the same way (hex of random bytes) and only its hash goes in the file.
  const std::string admin = absl::StrCat(
      "umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > '", files.secrets_dir_,
      "/redis-admin.password' && printf 'user admin on ~* &* +@all #%s\\n' "
      "\"$(sha256sum < '",
      files.secrets_dir_, "/redis-admin.password' | cut -d' ' -f1)\" >> '", files.acl_file_, "'");
  if (std::system(admin.c_str()) != 0) {
    return absl::InternalError("cannot add the admin user to the ACL file");
  }
  return files;
}

std::string RedisAclFiles::PasswordFile(const std::string& user) const {
  return absl::StrCat(secrets_dir_, "/redis-", user, ".password");
}

std::string RedisAclFiles::Password(const std::string& user) const {
  std::ifstream in(PasswordFile(user));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

RedisOptions RedisAclFiles::OptionsFor(RedisOptions base, const std::string& user) const {
  base.username = user;
  base.password = Password(user);
  return base;
}

}  // namespace referrals::testing
