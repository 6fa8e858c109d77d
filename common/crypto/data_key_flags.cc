#include "common/crypto/data_key_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/service/log.h"
#include "common/service/tls_credentials.h"

ABSL_FLAG(std::string, data_key_file, "",
          "data key file (<key id> <64 hex digits> per line, the first seals, all open; see "
          "SECURITY.md); empty: personal data stored in clear, allowed only on loopback "
          "addresses");

namespace referrals {

absl::StatusOr<std::shared_ptr<const DataKeyring>> MakeDataKeyring(
    const std::string& data_key_file, const std::vector<std::string>& listen_addresses) {
  if (!data_key_file.empty()) {
    absl::StatusOr<std::unique_ptr<DataKeyring>> keyring = DataKeyring::Load(data_key_file);
    if (!keyring.ok()) return keyring.status();
    Log(LogLevel::kInfo, "encryption_enabled",
        {{"sealing_key_id", (*keyring)->primary_key_id()},
         {"key_ids", absl::StrJoin((*keyring)->key_ids(), ",")}});
    return std::shared_ptr<const DataKeyring>(*std::move(keyring));
  }
  std::vector<std::string> listening;
  for (const std::string& address : listen_addresses) {
    if (address.empty()) continue;
    if (!IsLoopbackListenAddress(address)) {
      return absl::FailedPreconditionError(
          absl::StrCat("refusing to store personal data in clear while listening on "
                       "non-loopback address ",
                       address, ": give --data_key_file"));
    }
    listening.push_back(address);
  }
  Log(LogLevel::kWarning, "encryption_disabled",
      {{"listen", absl::StrJoin(listening, ",")},
       {"note", "no --data_key_file: personal data is stored in clear (loopback only)"}});
  return std::shared_ptr<const DataKeyring>(DataKeyring::Disabled());
}

absl::StatusOr<std::shared_ptr<const DataKeyring>> DataKeyringFromFlags(
    const std::vector<std::string>& listen_addresses) {
  return MakeDataKeyring(absl::GetFlag(FLAGS_data_key_file), listen_addresses);
}

}  // namespace referrals
