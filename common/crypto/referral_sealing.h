// Sealing a referral for storage and opening it again (issue 8): the whole
// serialized Referral in an EncryptedReferral, with the referral id as
// associated data so a sealed referral cannot be moved to another record.
//
// With a disabled keyring (no --data_key_file, loopback only) the referral is
// "sealed" in clear: key_id empty, ciphertext the serialized Referral. Such a
// value opens with any keyring, so records stored before encryption was
// turned on stay readable (it protects no confidentiality; a later
// re-encryption is the cure).
#ifndef COMMON_CRYPTO_REFERRAL_SEALING_H_
#define COMMON_CRYPTO_REFERRAL_SEALING_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/data_keyring.h"
#include "referrals/v1/referral.pb.h"

namespace referrals {

// Seals `referral` for `referral_id` with the keyring's primary key (in clear
// when the keyring is disabled). Never fails for an enabled keyring.
referrals::v1::EncryptedReferral SealReferral(const DataKeyring& keyring,
                                              absl::string_view referral_id,
                                              const referrals::v1::Referral& referral);

// Opens what SealReferral made for the same `referral_id`. Errors (messages
// name the referral id and key id, never content): NOT_FOUND for a key id the
// keyring lacks; DATA_LOSS when authentication fails (tampered, or sealed for
// another referral) or the plaintext is not a Referral.
absl::StatusOr<referrals::v1::Referral> OpenReferral(
    const DataKeyring& keyring, absl::string_view referral_id,
    const referrals::v1::EncryptedReferral& sealed);

// OpenReferral for a referral the pipeline stored (a record's field, an
// event): the same, except that a key id the keyring lacks is
// FAILED_PRECONDITION (the data is there; the key file is wrong), so that it
// is never taken for a missing record.
absl::StatusOr<referrals::v1::Referral> OpenStoredReferral(
    const DataKeyring& keyring, absl::string_view referral_id,
    const referrals::v1::EncryptedReferral& sealed);

// The referral an event carries, for the stream stages: schema 2's
// `sealed` opened (when `has_sealed`), else schema 1's `legacy` clear
// referral. Errors are ones a stream consumer dead-letters at once:
// FAILED_PRECONDITION for a key id the keyring lacks (fix the key file, then
// replay the dead letter), DATA_LOSS when authentication fails. Messages
// name the referral id and key id only.
absl::StatusOr<referrals::v1::Referral> OpenEventReferral(
    const DataKeyring& keyring, absl::string_view referral_id, bool has_sealed,
    const referrals::v1::EncryptedReferral& sealed, const referrals::v1::Referral& legacy);

}  // namespace referrals

#endif  // COMMON_CRYPTO_REFERRAL_SEALING_H_
