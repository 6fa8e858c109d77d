#include "common/service/auth/grpc_auth.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace referrals {

absl::StatusOr<Caller> AuthorizeCall(const Authorizer* authorizer,
                                     const grpc::CallbackServerContext& context,
                                     absl::string_view method) {
  if (authorizer == nullptr) return Caller{};
  auto found = context.client_metadata().find("authorization");
  absl::string_view value;
  if (found != context.client_metadata().end()) {
    value = absl::string_view(found->second.data(), found->second.size());
  }
  return authorizer->Authorize(method, value);
}

void AddBearerToken(grpc::ClientContext& context, absl::string_view token) {
  if (token.empty()) return;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

}  // namespace referrals
