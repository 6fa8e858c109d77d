#include "common/service/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace referrals {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::Status InvalidArgumentStatus(const FieldViolations& violations) {
  google::rpc::BadRequest bad_request;
  std::string message = "invalid request: ";
  for (size_t i = 0; i < violations.size(); ++i) {
    auto* violation = bad_request.add_field_violations();
    violation->set_field(violations[i].field);
    violation->set_description(violations[i].description);
    absl::StrAppend(&message, i == 0 ? "" : "; ", violations[i].field, ": ",
                    violations[i].description);
  }
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  rpc_status.set_message(message);
  rpc_status.add_details()->PackFrom(bad_request);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message,
                      rpc_status.SerializeAsString());
}

FieldViolations FieldViolationsOf(const grpc::Status& status) {
  FieldViolations result;
  google::rpc::Status rpc_status;
  if (status.error_details().empty() || !rpc_status.ParseFromString(status.error_details())) {
    return result;
  }
  for (const auto& detail : rpc_status.details()) {
    google::rpc::BadRequest bad_request;
    if (!detail.UnpackTo(&bad_request)) continue;
    for (const auto& violation : bad_request.field_violations()) {
      result.push_back({violation.field(), violation.description()});
    }
  }
  return result;
}

}  // namespace referrals
