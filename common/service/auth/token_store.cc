#include "common/service/auth/token_store.h"

#include <fstream>
#include <sodium.h>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace referrals {
namespace {

constexpr size_t kSaltBytes = 16;    // crypto_generichash_KEYBYTES_MIN
constexpr size_t kHashBytes = 32;    // crypto_generichash_BYTES
constexpr size_t kSecretBytes = 32;  // the random part of a token
constexpr char kHashScheme[] = "g1";

absl::Status InitSodium() {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

bool IsValidCallerId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidAuthority(absl::string_view authority) {
  if (authority.empty() || authority.size() > 64) return false;
  for (char c : authority) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsLowerHex(absl::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Hash(absl::string_view salt, absl::string_view token) {
  std::string hash(kHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size());
  return hash;
}

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

absl::Status CheckRoleAuthority(Role role, absl::string_view authority) {
  if (role == Role::kTeam && !IsValidAuthority(authority)) {
    return absl::InvalidArgumentError(
        "a team token needs an authority id (A-Z, 0-9, '_'), e.g. team:ESSEX");
  }
  if (role != Role::kTeam && !authority.empty()) {
    return absl::InvalidArgumentError("only a team token names an authority");
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSubmitter:
      return "submitter";
    case Role::kTeam:
      return "team";
    case Role::kOperations:
      return "operations";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role role : {Role::kSubmitter, Role::kTeam, Role::kOperations, Role::kAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role \"", absl::CHexEscape(name.substr(0, 32)),
                   "\" (expected submitter, team, operations or admin)"));
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Parse(absl::string_view text,
                                                              absl::string_view source) {
  if (absl::Status init = InitSodium(); !init.ok()) return init;
  auto store = std::unique_ptr<TokenStore>(new TokenStore());
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
    if (fields.empty() || fields[0][0] == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line_number, ": ", why));
    };
    if (fields.size() != 3) return bad("expected \"caller_id role[:authority] g1$salt$hash\"");
    if (!IsValidCallerId(fields[0])) {
      return bad("caller id must be 1-64 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
    }
    std::pair<absl::string_view, absl::string_view> role_authority =
        absl::StrSplit(fields[1], absl::MaxSplits(':', 1));
    absl::StatusOr<Role> role = ParseRole(role_authority.first);
    if (!role.ok()) return bad(role.status().message());
    if (absl::Status checked = CheckRoleAuthority(*role, role_authority.second); !checked.ok()) {
      return bad(checked.message());
    }
    std::vector<absl::string_view> hash_parts = absl::StrSplit(fields[2], '$');
    if (hash_parts.size() != 3 || hash_parts[0] != kHashScheme ||
        !IsLowerHex(hash_parts[1], 2 * kSaltBytes) || !IsLowerHex(hash_parts[2], 2 * kHashBytes)) {
      return bad("the hash must be g1$<32 hex digits>$<64 hex digits> (referralctl token new)");
    }
    std::vector<Entry>& entries = store->by_caller_[std::string(fields[0])];
    Entry entry{*role, std::string(role_authority.second), absl::HexStringToBytes(hash_parts[1]),
                absl::HexStringToBytes(hash_parts[2])};
    if (!entries.empty() &&
        (entries[0].role != entry.role || entries[0].authority != entry.authority)) {
      return bad(absl::StrCat("caller ", fields[0], " already has another role or authority"));
    }
    entries.push_back(std::move(entry));
    ++store->count_;
  }
  return store;
}

std::string TokenStore::ClaimedCallerId(absl::string_view token) {
  size_t tilde = token.find('~');
  if (tilde == absl::string_view::npos) return "";
  absl::string_view id = token.substr(0, tilde);
  return IsValidCallerId(id) ? std::string(id) : "";
}

absl::StatusOr<Caller> TokenStore::Verify(absl::string_view token) const {
  size_t tilde = token.find('~');
  if (tilde == absl::string_view::npos || !IsLowerHex(token.substr(tilde + 1), 2 * kSecretBytes)) {
    return absl::UnauthenticatedError("malformed bearer token");
  }
  auto found = by_caller_.find(token.substr(0, tilde));
  if (found != by_caller_.end()) {
    for (const Entry& entry : found->second) {
      const std::string hash = Hash(entry.salt, token);
      if (sodium_memcmp(hash.data(), entry.hash.data(), kHashBytes) == 0) {
        return Caller{found->first, entry.role, entry.authority, true};
      }
    }
  }
  return absl::UnauthenticatedError("unknown or revoked bearer token");
}

absl::StatusOr<TokenStore::NewToken> TokenStore::MakeToken(absl::string_view caller_id, Role role,
                                                           absl::string_view authority) {
  if (absl::Status init = InitSodium(); !init.ok()) return init;
  if (!IsValidCallerId(caller_id)) {
    return absl::InvalidArgumentError(
        "caller id must be 1-64 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
  }
  if (absl::Status checked = CheckRoleAuthority(role, authority); !checked.ok()) return checked;
  NewToken made;
  made.token = absl::StrCat(caller_id, "~", absl::BytesToHexString(RandomBytes(kSecretBytes)));
  const std::string salt = RandomBytes(kSaltBytes);
  made.line = absl::StrCat(caller_id, " ", RoleName(role), authority.empty() ? "" : ":", authority,
                           " ", kHashScheme, "$", absl::BytesToHexString(salt), "$",
                           absl::BytesToHexString(Hash(salt, made.token)));
  return made;
}

}  // namespace referrals
