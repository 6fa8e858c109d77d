#include "common/service/auth/authorizer.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/service/log.h"

namespace referrals {
namespace {

constexpr unsigned Bit(Role role) { return 1u << static_cast<unsigned>(role); }
constexpr unsigned kSubmitter = Bit(Role::kSubmitter);
constexpr unsigned kTeam = Bit(Role::kTeam);
constexpr unsigned kOperations = Bit(Role::kOperations);
constexpr unsigned kAdmin = Bit(Role::kAdmin);

struct MethodRule {
  const char* method;
  unsigned roles;
};

// The one authorization table. Team entries are further limited to the
// team's own authority by the service (Authorizer::CheckAuthority);
// submitters' reads to their own referrals.
constexpr MethodRule kTable[] = {
    // intake
    {"IntakeService/SubmitReferral", kSubmitter | kAdmin},
    // The full record, with personal data and staff history: staff only.
    {"IntakeService/GetReferral", kOperations | kAdmin},
    {kHttpSubmitReferral, kSubmitter | kAdmin},
    {kHttpGetReferralStatus, kSubmitter | kOperations | kAdmin},
    // triage: a dry run
    {"TriageService/Triage", kOperations | kAdmin},
    // routing: dry runs, queues, dead letters
    {"RoutingService/ResolveLocation", kOperations | kAdmin},
    {"RoutingService/Route", kOperations | kAdmin},
    {"RoutingService/ListQueues", kOperations | kAdmin},
    {"RoutingService/WatchQueue", kTeam | kOperations | kAdmin},
    {"RoutingService/ListDeadLetters", kOperations | kAdmin},
    {"RoutingService/ReplayDeadLetter", kOperations | kAdmin},
    // routing: the receiving teams
    {"RoutingService/GetReferral", kTeam | kOperations | kAdmin},
    {"RoutingService/GetReferralOutcome", kSubmitter | kTeam | kOperations | kAdmin},
    {"RoutingService/AcceptReferral", kTeam | kAdmin},
    {"RoutingService/RedirectReferral", kTeam | kAdmin},
    {"RoutingService/RejectReferral", kTeam | kAdmin},
    {"RoutingService/CompleteReferral", kTeam | kAdmin},
    {"RoutingService/CancelReferral", kTeam | kAdmin},
    {"RoutingService/ListWorklist", kTeam | kOperations | kAdmin},
    {"RoutingService/ClaimNext", kTeam | kAdmin},
    {"RoutingService/RenewLease", kTeam | kAdmin},
    {"RoutingService/ReleaseLease", kTeam | kAdmin},
    {"RoutingService/ListOverdue", kTeam | kOperations | kAdmin},
    // routing: retention (issue 8)
    {"RoutingService/PurgePersonalData", kAdmin},
    // HTTP operations routes (every service's /metrics; routing's dashboard
    // JSON). /metrics and /api/queues span every authority: staff only, as
    // ListQueues. A team may read one referral of its own authority, as
    // RoutingService/GetReferral (the service checks the authority).
    {kHttpMetrics, kOperations | kAdmin},
    {kHttpDashboardQueues, kOperations | kAdmin},
    {kHttpDashboardReferral, kTeam | kOperations | kAdmin},
};

void LogRefused(absl::string_view method, absl::string_view caller_id, absl::string_view reason) {
  Log(LogLevel::kWarning, "auth_refused",
      {{"method", std::string(method)},
       {"caller", std::string(caller_id)},
       {"reason", std::string(reason)}});
}

}  // namespace

Authorizer::Authorizer(std::unique_ptr<TokenStore> tokens, std::string tokens_file)
    : open_(tokens == nullptr), tokens_file_(std::move(tokens_file)), tokens_(std::move(tokens)) {}

std::shared_ptr<const TokenStore> Authorizer::tokens() const {
  absl::MutexLock lock(&mu_);
  return tokens_;
}

absl::Status Authorizer::ReloadTokens() {
  if (open_ || tokens_file_.empty()) {
    Log(LogLevel::kInfo, "tokens_reload_skipped", {{"note", "no --tokens_file: running open"}});
    return absl::FailedPreconditionError("no tokens file to reload");
  }
  absl::StatusOr<std::unique_ptr<TokenStore>> loaded = TokenStore::Load(tokens_file_);
  if (!loaded.ok()) {
    // The error names the file and line (token_store.h); never a token.
    Log(LogLevel::kError, "tokens_reload_failed",
        {{"file", tokens_file_},
         {"error", std::string(loaded.status().message())},
         {"note", "the previous tokens stay in force"}});
    return loaded.status();
  }
  const size_t count = (*loaded)->size();
  {
    absl::MutexLock lock(&mu_);
    tokens_ = *std::move(loaded);
  }
  Log(LogLevel::kInfo, "tokens_reloaded",
      {{"file", tokens_file_}, {"tokens", absl::StrCat(count)}});
  return absl::OkStatus();
}

std::vector<std::string> Authorizer::Methods() {
  std::vector<std::string> methods;
  for (const MethodRule& rule : kTable) methods.emplace_back(rule.method);
  return methods;
}

void Authorizer::LogRefusal(absl::string_view method, absl::string_view caller_id,
                            absl::string_view reason) {
  LogRefused(method, caller_id, reason);
}

bool Authorizer::RoleAllows(Role role, absl::string_view method) {
  for (const MethodRule& rule : kTable) {
    if (method == rule.method) return (rule.roles & Bit(role)) != 0;
  }
  return false;
}

absl::StatusOr<Caller> Authorizer::Authorize(absl::string_view method,
                                             absl::string_view authorization) const {
  if (open_) return Caller{};
  const std::shared_ptr<const TokenStore> tokens = this->tokens();
  constexpr absl::string_view kScheme = "Bearer ";
  if (authorization.empty()) {
    LogRefused(method, "", "no bearer token");
    return absl::UnauthenticatedError("a bearer token is required");
  }
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    LogRefused(method, "", "not a bearer token");
    return absl::UnauthenticatedError("expected \"Authorization: Bearer <token>\"");
  }
  absl::string_view token = authorization.substr(kScheme.size());
  absl::StatusOr<Caller> caller = tokens->Verify(token);
  if (!caller.ok()) {
    LogRefused(method, TokenStore::ClaimedCallerId(token), caller.status().message());
    return caller.status();
  }
  if (!RoleAllows(caller->role, method)) {
    LogRefused(method, caller->id, absl::StrCat("role ", RoleName(caller->role), " not allowed"));
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(caller->role), " may not call ", method));
  }
  return caller;
}

absl::Status Authorizer::CheckAuthority(const Caller& caller, absl::string_view method,
                                        absl::string_view authority) {
  if (caller.role != Role::kTeam || (!authority.empty() && caller.authority == authority)) {
    return absl::OkStatus();
  }
  LogRefused(method, caller.id,
             absl::StrCat("team of ", caller.authority, " acting on ",
                          authority.empty() ? "an unowned queue" : authority));
  return absl::PermissionDeniedError(
      absl::StrCat("a team of ", caller.authority, " may act only on its own authority's queues"));
}

}  // namespace referrals
