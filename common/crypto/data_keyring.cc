#include "common/crypto/data_keyring.h"

#include <fstream>
#include <iterator>
#include <sodium.h>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace referrals {
namespace {

absl::Status InitSodium() {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

bool IsHexDigits(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool DataKeyring::IsValidKeyId(absl::string_view key_id) {
  if (key_id.empty() || key_id.size() > 64) return false;
  for (char c : key_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

DataKeyring::~DataKeyring() {
  if (keys_ != nullptr) sodium_free(keys_);  // zeroes before freeing
}

std::unique_ptr<DataKeyring> DataKeyring::Disabled() {
  return std::unique_ptr<DataKeyring>(new DataKeyring());
}

absl::StatusOr<std::unique_ptr<DataKeyring>> DataKeyring::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read data key file ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Parse(std::move(text), path);  // wipes `text`
}

absl::StatusOr<std::unique_ptr<DataKeyring>> DataKeyring::Parse(std::string text,
                                                                absl::string_view source) {
  if (absl::Status init = InitSodium(); !init.ok()) {
    sodium_memzero(text.data(), text.size());
    return init;
  }
  struct Line {
    std::string id;
    absl::string_view hex;  // into `text`
  };
  std::vector<Line> lines;
  absl::Status error;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat(source, " line ", line_number);
    if (fields.size() != 2) {
      error = absl::InvalidArgumentError(
          absl::StrCat(where, ": expected \"<key id> <64 hex digits>\""));
      break;
    }
    if (!IsValidKeyId(fields[0])) {
      error = absl::InvalidArgumentError(
          absl::StrCat(where, ": the key id must be 1..64 characters from [A-Za-z0-9._-]"));
      break;
    }
    if (fields[1].size() != 2 * kKeyBytes || !IsHexDigits(fields[1])) {
      error = absl::InvalidArgumentError(absl::StrCat(
          where, ": key ", fields[0], " must be exactly ", 2 * kKeyBytes, " hex digits"));
      break;
    }
    bool duplicate = false;
    for (const Line& seen : lines) duplicate |= seen.id == fields[0];
    if (duplicate) {
      error =
          absl::InvalidArgumentError(absl::StrCat(where, ": key id ", fields[0], " is used twice"));
      break;
    }
    lines.push_back({std::string(fields[0]), fields[1]});
  }
  if (error.ok() && lines.empty()) {
    error = absl::InvalidArgumentError(absl::StrCat(source, ": no key"));
  }
  if (!error.ok()) {
    sodium_memzero(text.data(), text.size());
    return error;
  }

  std::unique_ptr<DataKeyring> keyring(new DataKeyring());
  keyring->keys_ = static_cast<unsigned char*>(sodium_malloc(lines.size() * kKeyBytes));
  if (keyring->keys_ == nullptr) {
    sodium_memzero(text.data(), text.size());
    return absl::ResourceExhaustedError("cannot allocate guarded memory for the data keys");
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t written = 0;
    sodium_hex2bin(keyring->keys_ + i * kKeyBytes, kKeyBytes, lines[i].hex.data(),
                   lines[i].hex.size(), nullptr, &written, nullptr);
    keyring->key_ids_.push_back(std::move(lines[i].id));
  }
  sodium_memzero(text.data(), text.size());
  return keyring;
}

absl::StatusOr<DataKeyring::Sealed> DataKeyring::Seal(absl::string_view plaintext,
                                                      absl::string_view associated_data) const {
  if (!IsEnabled()) return absl::FailedPreconditionError("no data key: encryption is disabled");
  Sealed sealed;
  sealed.key_id = key_ids_.front();
  sealed.nonce.resize(kNonceBytes);
  randombytes_buf(sealed.nonce.data(), sealed.nonce.size());
  sealed.ciphertext.resize(plaintext.size() + kTagBytes);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(sealed.ciphertext.data()), &length,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(),
      nullptr, reinterpret_cast<const unsigned char*>(sealed.nonce.data()), KeyAt(0));
  sealed.ciphertext.resize(length);
  return sealed;
}

absl::StatusOr<std::string> DataKeyring::Open(const Sealed& sealed,
                                              absl::string_view associated_data) const {
  size_t index = 0;
  while (index < key_ids_.size() && key_ids_[index] != sealed.key_id) ++index;
  if (index == key_ids_.size()) {
    return absl::NotFoundError(absl::StrCat("no data key with id \"", sealed.key_id, "\""));
  }
  if (sealed.nonce.size() != kNonceBytes || sealed.ciphertext.size() < kTagBytes) {
    return absl::DataLossError(
        absl::StrCat("sealed value (key id ", sealed.key_id, ") is truncated"));
  }
  std::string plaintext(sealed.ciphertext.size() - kTagBytes, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), &length, nullptr,
          reinterpret_cast<const unsigned char*>(sealed.ciphertext.data()),
          sealed.ciphertext.size(), reinterpret_cast<const unsigned char*>(associated_data.data()),
          associated_data.size(), reinterpret_cast<const unsigned char*>(sealed.nonce.data()),
          KeyAt(index)) != 0) {
    return absl::DataLossError(
        absl::StrCat("sealed value (key id ", sealed.key_id, ") fails authentication"));
  }
  plaintext.resize(length);
  return plaintext;
}

absl::StatusOr<std::string> DataKeyring::NewKeyLine(absl::string_view key_id) {
  if (!IsValidKeyId(key_id)) {
    return absl::InvalidArgumentError("the key id must be 1..64 characters from [A-Za-z0-9._-]");
  }
  if (absl::Status init = InitSodium(); !init.ok()) return init;
  unsigned char key[kKeyBytes];
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  char hex[2 * kKeyBytes + 1];
  sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
  std::string line = absl::StrCat(key_id, " ", absl::string_view(hex, 2 * kKeyBytes));
  sodium_memzero(key, sizeof(key));
  sodium_memzero(hex, sizeof(hex));
  return line;
}

}  // namespace referrals
