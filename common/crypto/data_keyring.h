// The data keys that seal personal data at rest (issue 8): loaded from a key
// file, the first key seals, every key opens, so keys rotate without
// re-encrypting what is stored.
//
// The key file has one key per line, blank lines and lines starting with '#'
// ignored:
//
//   <key id> <64 hex digits>
//
// The key id (1..64 characters from [A-Za-z0-9._-]) is not secret: it is
// stored with every sealed value and may be logged. The hex digits are the
// 32-byte XChaCha20-Poly1305 key. To rotate: add a new key as the first line
// and restart every service; values sealed with the older keys still open
// while their lines stay in the file. `NewKeyLine` makes a line.
//
// Key bytes live in libsodium guarded memory (sodium_malloc, freed with
// sodium_free, which zeroes it) and never appear in a status or a log.
//
// Thread-safe once constructed (immutable); not copyable.
#ifndef COMMON_CRYPTO_DATA_KEYRING_H_
#define COMMON_CRYPTO_DATA_KEYRING_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace referrals {

class DataKeyring {
 public:
  // A sealed value: what Seal returns and Open takes.
  struct Sealed {
    std::string key_id;
    std::string nonce;       // kNonceBytes random bytes
    std::string ciphertext;  // the plaintext's length plus kTagBytes
  };

  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kNonceBytes = 24;
  static constexpr size_t kTagBytes = 16;

  // Reads and checks a key file. Errors: NOT_FOUND (cannot read it);
  // INVALID_ARGUMENT naming the file and line (never the key) for a malformed
  // line (not two fields, a bad key id, not exactly 64 hex digits), a key id
  // used twice, or a file with no key; INTERNAL if libsodium cannot start.
  static absl::StatusOr<std::unique_ptr<DataKeyring>> Load(const std::string& path);

  // The same for the file's text; `source` names it in errors.
  static absl::StatusOr<std::unique_ptr<DataKeyring>> Parse(std::string text,
                                                            absl::string_view source);

  // A keyring with no keys: encryption disabled (see IsEnabled).
  static std::unique_ptr<DataKeyring> Disabled();

  ~DataKeyring();
  DataKeyring(const DataKeyring&) = delete;
  DataKeyring& operator=(const DataKeyring&) = delete;

  // False for Disabled(): Seal then fails and callers store values in clear.
  bool IsEnabled() const { return !key_ids_.empty(); }
  // The id of the key Seal uses (the file's first); "" when disabled.
  std::string primary_key_id() const { return IsEnabled() ? key_ids_.front() : ""; }
  // Every key id, in file order.
  const std::vector<std::string>& key_ids() const { return key_ids_; }

  // Encrypts and authenticates `plaintext` with the primary key and a fresh
  // random nonce; `associated_data` is authenticated, not stored (pass it
  // again to Open). Errors: FAILED_PRECONDITION when disabled.
  absl::StatusOr<Sealed> Seal(absl::string_view plaintext, absl::string_view associated_data) const;

  // Decrypts a sealed value. Errors: NOT_FOUND for a key id not in the
  // keyring; DATA_LOSS when the nonce has the wrong size or the ciphertext
  // fails authentication (tampered, another key's, or other associated
  // data). Messages name the key id only.
  absl::StatusOr<std::string> Open(const Sealed& sealed, absl::string_view associated_data) const;

  // A new key file line for `key_id`: "<key_id> <64 hex digits>" from
  // randombytes_buf. Errors: INVALID_ARGUMENT for a bad key id; INTERNAL if
  // libsodium cannot start.
  static absl::StatusOr<std::string> NewKeyLine(absl::string_view key_id);

  // True for 1..64 characters from [A-Za-z0-9._-].
  static bool IsValidKeyId(absl::string_view key_id);

 private:
  DataKeyring() = default;

  const unsigned char* KeyAt(size_t index) const { return keys_ + index * kKeyBytes; }

  std::vector<std::string> key_ids_;
  unsigned char* keys_ = nullptr;  // key_ids_.size() * kKeyBytes, sodium_malloc'd
};

}  // namespace referrals

#endif  // COMMON_CRYPTO_DATA_KEYRING_H_
