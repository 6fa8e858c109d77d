// Throwaway TLS material for tests, made by scripts/make_certs.sh in a fresh
// temporary directory: ca.pem, server.pem/.key (for 127.0.0.1, ::1 and
// localhost), client.pem/.key, and other-ca.pem with other-client.pem/.key
// signed by it. The directory is removed when the object is destroyed.
#ifndef TESTS_SUPPORT_THROWAWAY_CERTS_H_
#define TESTS_SUPPORT_THROWAWAY_CERTS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace referrals::testing {

class ThrowawayCerts {
 public:
  // Makes the directory and the files. Errors: INTERNAL when the directory
  // cannot be made or the script fails.
  static absl::StatusOr<std::unique_ptr<ThrowawayCerts>> Make();

  ~ThrowawayCerts();
  ThrowawayCerts(const ThrowawayCerts&) = delete;
  ThrowawayCerts& operator=(const ThrowawayCerts&) = delete;

  // The path of `name` in the directory ("ca.pem"); other files the test
  // writes there are removed with it.
  std::string Path(absl::string_view name) const;

 private:
  explicit ThrowawayCerts(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace referrals::testing

#endif  // TESTS_SUPPORT_THROWAWAY_CERTS_H_
