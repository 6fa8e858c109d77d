#include "tests/support/throwaway_certs.h"

#include <cstdlib>
#include <filesystem>
#include <stdlib.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace referrals::testing {

absl::StatusOr<std::unique_ptr<ThrowawayCerts>> ThrowawayCerts::Make() {
  // A directory of this process's own: ctest runs test cases in parallel.
  std::string dir = "/tmp/referrals-certs-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError("cannot make a temporary directory for certificates");
  }
  std::unique_ptr<ThrowawayCerts> certs(new ThrowawayCerts(dir));
  const std::string command =
      absl::StrCat("'", REFERRALS_SOURCE_DIR, "/scripts/make_certs.sh' '", dir, "'");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("failed: ", command));
  }
  return certs;
}

ThrowawayCerts::~ThrowawayCerts() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string ThrowawayCerts::Path(absl::string_view name) const {
  return absl::StrCat(dir_, "/", name);
}

}  // namespace referrals::testing
