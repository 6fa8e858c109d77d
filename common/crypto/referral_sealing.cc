#include "common/crypto/referral_sealing.h"

#include <sodium.h>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace referrals {

referrals::v1::EncryptedReferral SealReferral(const DataKeyring& keyring,
                                              absl::string_view referral_id,
                                              const referrals::v1::Referral& referral) {
  referrals::v1::EncryptedReferral out;
  std::string plaintext = referral.SerializeAsString();
  if (!keyring.IsEnabled()) {
    out.set_ciphertext(std::move(plaintext));
    return out;
  }
  absl::StatusOr<DataKeyring::Sealed> sealed = keyring.Seal(plaintext, referral_id);
  sodium_memzero(plaintext.data(), plaintext.size());
  // Seal fails only when disabled, handled above.
  out.set_key_id(std::move(sealed->key_id));
  out.set_nonce(std::move(sealed->nonce));
  out.set_ciphertext(std::move(sealed->ciphertext));
  return out;
}

absl::StatusOr<referrals::v1::Referral> OpenReferral(
    const DataKeyring& keyring, absl::string_view referral_id,
    const referrals::v1::EncryptedReferral& sealed) {
  referrals::v1::Referral referral;
  if (sealed.key_id().empty()) {
    if (!referral.ParseFromString(sealed.ciphertext())) {
      return absl::DataLossError(
          absl::StrCat("referral ", referral_id, ": stored referral does not parse"));
    }
    return referral;
  }
  absl::StatusOr<std::string> plaintext =
      keyring.Open({sealed.key_id(), sealed.nonce(), sealed.ciphertext()}, referral_id);
  if (!plaintext.ok()) {
    return absl::Status(plaintext.status().code(),
                        absl::StrCat("referral ", referral_id, ": cannot open its personal data: ",
                                     plaintext.status().message()));
  }
  const bool parsed = referral.ParseFromString(*plaintext);
  sodium_memzero(plaintext->data(), plaintext->size());
  if (!parsed) {
    return absl::DataLossError(absl::StrCat("referral ", referral_id, " (key id ", sealed.key_id(),
                                            "): opened data is not a referral"));
  }
  return referral;
}

absl::StatusOr<referrals::v1::Referral> OpenStoredReferral(
    const DataKeyring& keyring, absl::string_view referral_id,
    const referrals::v1::EncryptedReferral& sealed) {
  absl::StatusOr<referrals::v1::Referral> opened = OpenReferral(keyring, referral_id, sealed);
  if (absl::IsNotFound(opened.status())) {
    return absl::FailedPreconditionError(opened.status().message());
  }
  return opened;
}

absl::StatusOr<referrals::v1::Referral> OpenEventReferral(
    const DataKeyring& keyring, absl::string_view referral_id, bool has_sealed,
    const referrals::v1::EncryptedReferral& sealed, const referrals::v1::Referral& legacy) {
  if (!has_sealed) return legacy;
  return OpenStoredReferral(keyring, referral_id, sealed);
}

}  // namespace referrals
