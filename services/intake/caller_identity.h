// Who is calling and which request chain a call belongs to: the rules for the
// client id (which scopes idempotency keys) and the correlation id, shared by
// the gRPC and HTTP adapters.
//
// With authentication on (--tokens_file, SECURITY.md) the calling system is
// the bearer token's caller id. Without it (loopback only) the calling system
// names itself: gRPC metadata `x-client-id`, HTTP header `X-Client-Id`.
#ifndef SERVICES_INTAKE_CALLER_IDENTITY_H_
#define SERVICES_INTAKE_CALLER_IDENTITY_H_

#include <string>

#include "absl/strings/string_view.h"

namespace referrals {

// The client id of callers that give none. Its idempotency keys keep the
// layout they had before client ids existed (see Keys::Idempotency).
inline constexpr char kAnonymousClient[] = "anonymous";

// True for 1..64 characters from [A-Za-z0-9._-].
bool IsValidClientId(absl::string_view client_id);

// True for 1..64 printable ASCII characters without spaces.
bool IsValidCorrelationId(absl::string_view correlation_id);

// `candidate` when it is a valid correlation id, otherwise a new one
// ("C-" + 16 hex digits).
std::string CorrelationIdOrNew(absl::string_view candidate);

}  // namespace referrals

#endif  // SERVICES_INTAKE_CALLER_IDENTITY_H_
