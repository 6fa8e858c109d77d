#include "common/service/auth/http_auth.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace referrals {
namespace {

// `text` as a JSON string literal (quotes included).
std::string JsonQuoted(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, absl::StrFormat("\\u%04x", static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace

void ReplyAuthError(const absl::Status& status, bool had_credentials, httplib::Response& response) {
  int code = 500;
  absl::string_view name = "INTERNAL";
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    code = 401;
    name = "UNAUTHENTICATED";
    response.set_header("WWW-Authenticate",
                        had_credentials ? R"(Bearer realm="referrals", error="invalid_token")"
                                        : R"(Bearer realm="referrals")");
  } else if (status.code() == absl::StatusCode::kPermissionDenied) {
    code = 403;
    name = "PERMISSION_DENIED";
  }
  response.status = code;
  response.set_header("Cache-Control", "no-store");
  response.set_content(
      absl::StrCat("{\"error\":{\"code\":", code, ",\"status\":\"", name, "\",\"message\":",
                   JsonQuoted(code == 500 ? "internal error" : status.message()), "}}"),
      "application/json");
}

absl::StatusOr<Caller> AuthorizeHttpRequest(const Authorizer* authorizer, absl::string_view method,
                                            const httplib::Request& request,
                                            httplib::Response& response) {
  if (authorizer == nullptr) return Caller{};
  absl::StatusOr<Caller> caller =
      authorizer->Authorize(method, request.get_header_value("Authorization"));
  if (!caller.ok()) {
    ReplyAuthError(caller.status(), request.has_header("Authorization"), response);
  }
  return caller;
}

}  // namespace referrals
