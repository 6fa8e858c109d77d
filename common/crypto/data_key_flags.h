// The data key flag every service takes, and the rule for running without
// it (issue 8, personal data at rest).
//
// --data_key_file=PATH: the data key file (data_keyring.h). Without it the
// services store referrals in clear (EncryptedReferral with an empty key id),
// which is allowed only when every listener is on a loopback address: then a
// start-up warning "encryption_disabled" is logged. On any other address the
// service refuses to start. The key bytes are never logged; the key ids are.
#ifndef COMMON_CRYPTO_DATA_KEY_FLAGS_H_
#define COMMON_CRYPTO_DATA_KEY_FLAGS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "common/crypto/data_keyring.h"

ABSL_DECLARE_FLAG(std::string, data_key_file);

namespace referrals {

// The keyring for `data_key_file` (empty: disabled). `listen_addresses` are
// every address the service listens on (empty entries ignored).
// Errors: FAILED_PRECONDITION for no key file on a non-loopback address;
// those of DataKeyring::Load.
absl::StatusOr<std::shared_ptr<const DataKeyring>> MakeDataKeyring(
    const std::string& data_key_file, const std::vector<std::string>& listen_addresses);

// MakeDataKeyring with --data_key_file.
absl::StatusOr<std::shared_ptr<const DataKeyring>> DataKeyringFromFlags(
    const std::vector<std::string>& listen_addresses);

}  // namespace referrals

#endif  // COMMON_CRYPTO_DATA_KEY_FLAGS_H_
