// Bearer tokens: who a caller is and what role it has, from a tokens file
// that holds only salted hashes of the tokens.
//
// A token is "<caller_id>~<64 hex digits>": the caller id (1..64 characters
// from [A-Za-z0-9._-], not secret, so a refusal can be logged with it) and
// 32 random bytes from libsodium's randombytes_buf. The file has one line per
// token, blank lines and lines starting with '#' ignored:
//
//   <caller_id> <role>[:<authority>] g1$<salt: 32 hex>$<hash: 64 hex>
//
// role is submitter, team, operations or admin; a team names its authority
// (the rules' authority id, e.g. ESSEX, SOUTHEND, THURROCK); no other role
// may. hash is crypto_generichash (BLAKE2b-256) of the whole token keyed with
// the line's 16-byte random salt. A caller may have several lines (same role
// and authority): that is how a token is rotated without a gap.
//
// Why BLAKE2b and not crypto_pwhash_str: the token is 256 random bits, so a
// slow password hash adds nothing against guessing or against a stolen file
// (there is no dictionary to try), while it would cost tens of milliseconds
// and megabytes on every call. A keyed BLAKE2b costs about a microsecond, so
// every call is verified afresh and no verified-token cache (token-derived
// material kept in memory, and a revocation lag) is needed. The salt makes
// equal tokens hash differently and stops precomputation.
//
// Tokens and hashes are never logged or put in a status.
#ifndef COMMON_SERVICE_AUTH_TOKEN_STORE_H_
#define COMMON_SERVICE_AUTH_TOKEN_STORE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace referrals {

enum class Role { kSubmitter, kTeam, kOperations, kAdmin };

// "submitter", "team", "operations", "admin".
absl::string_view RoleName(Role role);

// The role named `name` (as RoleName). Errors: INVALID_ARGUMENT.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// An authenticated caller (or, when authentication is off, an anonymous one
// with every right: `authenticated` false).
struct Caller {
  std::string id;  // the caller id from the tokens file; "" when open
  Role role = Role::kAdmin;
  std::string authority;  // team only: the authority id it acts for
  bool authenticated = false;
};

class TokenStore {
 public:
  // Reads and checks a tokens file. Errors: INVALID_ARGUMENT naming the file
  // and line (never its contents beyond the caller id) for a malformed line,
  // an unknown role, a team without an authority (or another role with one),
  // a caller id with two roles; NOT_FOUND when the file cannot be read;
  // INTERNAL when libsodium cannot start.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Load(const std::string& path);

  // The same from text; `source` names it in errors.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Parse(absl::string_view text,
                                                           absl::string_view source);

  // The caller `token` belongs to. Errors: UNAUTHENTICATED when the token is
  // malformed or matches no line (the message never echoes the token).
  // Thread-safe (the store is immutable).
  absl::StatusOr<Caller> Verify(absl::string_view token) const;

  struct NewToken {
    std::string token;  // give to the caller once; store nowhere else
    std::string line;   // for the tokens file
  };
  // A fresh random token for `caller_id` and its file line. Errors:
  // INVALID_ARGUMENT for a bad caller id, a team without an authority or
  // another role with one; INTERNAL when libsodium cannot start.
  static absl::StatusOr<NewToken> MakeToken(absl::string_view caller_id, Role role,
                                            absl::string_view authority);

  // The caller id a token claims (the part before '~'), for logging a
  // refusal; "" when it has none. Never returns any of the secret part.
  static std::string ClaimedCallerId(absl::string_view token);

  // Number of token lines loaded.
  size_t size() const { return count_; }

 private:
  struct Entry {
    Role role;
    std::string authority;
    std::string salt;  // 16 bytes
    std::string hash;  // 32 bytes
  };
  TokenStore() = default;

  std::map<std::string, std::vector<Entry>, std::less<>> by_caller_;
  size_t count_ = 0;
};

}  // namespace referrals

#endif  // COMMON_SERVICE_AUTH_TOKEN_STORE_H_
