#include "services/intake/caller_identity.h"

#include "common/pipeline/events.h"

namespace referrals {

bool IsValidClientId(absl::string_view client_id) {
  if (client_id.empty() || client_id.size() > 64) return false;
  for (char c : client_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidCorrelationId(absl::string_view correlation_id) {
  if (correlation_id.empty() || correlation_id.size() > 64) return false;
  for (char c : correlation_id) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

std::string CorrelationIdOrNew(absl::string_view candidate) {
  if (IsValidCorrelationId(candidate)) return std::string(candidate);
  return NewRandomId("C-");
}

}  // namespace referrals
