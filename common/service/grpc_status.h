// The one place where internal statuses become gRPC statuses.
#ifndef COMMON_SERVICE_GRPC_STATUS_H_
#define COMMON_SERVICE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "common/domain/field_violation.h"

namespace referrals {

// Same code (the numbering matches) and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// INVALID_ARGUMENT whose message lists every field path and problem, with a
// google.rpc.BadRequest in the details carrying one FieldViolation each.
// `violations` must not be empty.
grpc::Status InvalidArgumentStatus(const FieldViolations& violations);

// The field violations in a status built by InvalidArgumentStatus; empty if
// it carries none. For clients and tests.
FieldViolations FieldViolationsOf(const grpc::Status& status);

}  // namespace referrals

#endif  // COMMON_SERVICE_GRPC_STATUS_H_
