#include "tools/referralctl/lifecycle_commands.h"

#include <chrono>
#include <iostream>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/domain/field_violation.h"
#include "common/service/auth/grpc_auth.h"
#include "common/service/grpc_status.h"
#include "referrals/v1/routing_service.grpc.pb.h"

ABSL_FLAG(std::string, actor, "", "accept/redirect/reject/complete/cancel: who does it (required)");
ABSL_FLAG(int64_t, etag, 0,
          "accept/redirect/reject/complete/cancel: the etag `get` printed; the change fails if "
          "the referral changed since (0: do not check)");
ABSL_FLAG(std::string, reason, "", "redirect: why (required); cancel: why (optional)");
ABSL_FLAG(std::string, comment, "", "reject: free-text comment (required for OTHER)");
ABSL_FLAG(std::string, claimer, "", "claim/renew/release: who holds the lease (required)");
ABSL_FLAG(int, lease_seconds, 0, "claim/renew: lease length (0: the service's default, 900)");
ABSL_FLAG(std::string, priority, "", "worklist: only this priority (emergency|urgent|routine)");
ABSL_FLAG(bool, overdue_only, false, "worklist: only referrals flagged overdue");
ABSL_FLAG(bool, unclaimed_only, false, "worklist: only referrals nobody holds a live lease on");
ABSL_FLAG(std::string, request_id, "", "outcome: look the referral up by its request id");

namespace referrals {
namespace {

using referrals::v1::RoutingService;

std::string Trim(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

std::string Time(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

std::string Status(referrals::v1::ReferralStatus status) {
  return Trim(referrals::v1::ReferralStatus_Name(status), "REFERRAL_STATUS_");
}

std::string Actions(const google::protobuf::RepeatedField<int>& actions) {
  std::vector<std::string> names;
  for (int action : actions) {
    names.push_back(absl::AsciiStrToLower(Trim(
        referrals::v1::LifecycleAction_Name(static_cast<referrals::v1::LifecycleAction>(action)),
        "LIFECYCLE_ACTION_")));
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

class Client {
 public:
  explicit Client(const LifecycleCommandContext& context)
      : context_(context),
        stub_(RoutingService::NewStub(context.routing_channel)) {}

  RoutingService::Stub& stub() { return *stub_; }

  std::unique_ptr<grpc::ClientContext> Call() {
    auto call = std::make_unique<grpc::ClientContext>();
    call->set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(context_.timeout)));
    AddBearerToken(*call, context_.token);
    return call;
  }

  int Fail(const std::string& what, const grpc::Status& status) const {
    std::cerr << what << " failed: " << status.error_message() << " ("
              << absl::StrCat(status.error_code()) << ")";
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::cerr << "; check that the routing service at " << context_.routing_address
                << " is running and can reach Redis";
    }
    std::cerr << "\n";
    for (const FieldViolation& violation : FieldViolationsOf(status)) {
      std::cerr << "  " << violation.field << ": " << violation.description << "\n";
    }
    return 1;
  }

 private:
  const LifecycleCommandContext& context_;
  std::unique_ptr<RoutingService::Stub> stub_;
};

int Usage(const std::string& line) {
  std::cerr << "usage: referralctl " << line << "\n";
  return 2;
}

int PrintTransition(const std::string& id, const referrals::v1::TransitionResponse& response) {
  std::cout << id << "  " << Status(response.status()) << "  etag " << response.etag()
            << "  allowed now: " << Actions(response.allowed_actions()) << "\n";
  return 0;
}

std::string ItemLine(const referrals::v1::WorklistItem& item) {
  std::string line = absl::StrCat(
      item.referral_id(), "  ", Trim(referrals::v1::Priority_Name(item.priority()), "PRIORITY_"),
      "  ", Status(item.status()), "  received ", Time(item.received_time()));
  if (item.has_respond_by()) absl::StrAppend(&line, "  respond by ", Time(item.respond_by()));
  if (item.overdue()) absl::StrAppend(&line, "  OVERDUE");
  if (item.has_lease()) {
    absl::StrAppend(&line, "  claimed by ", item.lease().holder(), " until ",
                    Time(item.lease().expires_time()));
  }
  absl::StrAppend(&line, "  etag ", item.etag());
  return line;
}

std::optional<referrals::v1::RejectReason> ParseRejectReason(std::string text) {
  text = absl::AsciiStrToUpper(text);
  referrals::v1::RejectReason reason;
  if (referrals::v1::RejectReason_Parse(text, &reason) ||
      referrals::v1::RejectReason_Parse("REJECT_REASON_" + text, &reason)) {
    if (reason != referrals::v1::REJECT_REASON_UNSPECIFIED) return reason;
  }
  return std::nullopt;
}

std::string RejectReasonNames() {
  std::vector<std::string> names;
  for (int r = referrals::v1::RejectReason_MIN + 1; r <= referrals::v1::RejectReason_MAX; ++r) {
    names.push_back(
        Trim(referrals::v1::RejectReason_Name(static_cast<referrals::v1::RejectReason>(r)),
             "REJECT_REASON_"));
  }
  return absl::StrJoin(names, "|");
}

int Transition(const std::string& command, const std::vector<std::string>& args, Client& client) {
  const std::string actor = absl::GetFlag(FLAGS_actor);
  const int64_t etag = absl::GetFlag(FLAGS_etag);
  referrals::v1::TransitionResponse response;
  grpc::Status status;
  if (command == "accept" || command == "complete") {
    if (args.size() != 1) return Usage(command + " REFERRAL_ID --actor WHO [--etag N]");
    auto call = client.Call();
    if (command == "accept") {
      referrals::v1::AcceptReferralRequest request;
      request.set_referral_id(args[0]);
      request.set_etag(etag);
      request.set_actor(actor);
      status = client.stub().AcceptReferral(call.get(), request, &response);
    } else {
      referrals::v1::CompleteReferralRequest request;
      request.set_referral_id(args[0]);
      request.set_etag(etag);
      request.set_actor(actor);
      status = client.stub().CompleteReferral(call.get(), request, &response);
    }
  } else if (command == "redirect") {
    if (args.size() != 2) {
      return Usage("redirect REFERRAL_ID QUEUE --actor WHO --reason WHY [--etag N]");
    }
    referrals::v1::RedirectReferralRequest request;
    request.set_referral_id(args[0]);
    request.set_to_queue(args[1]);
    request.set_etag(etag);
    request.set_actor(actor);
    request.set_reason(absl::GetFlag(FLAGS_reason));
    auto call = client.Call();
    status = client.stub().RedirectReferral(call.get(), request, &response);
  } else if (command == "reject") {
    const std::string usage = absl::StrCat("reject REFERRAL_ID ", RejectReasonNames(),
                                           " --actor WHO [--comment TEXT] [--etag N]");
    if (args.size() != 2) return Usage(usage);
    std::optional<referrals::v1::RejectReason> reason = ParseRejectReason(args[1]);
    if (!reason.has_value()) {
      std::cerr << "unknown reject reason; one of " << RejectReasonNames() << "\n";
      return 2;
    }
    referrals::v1::RejectReferralRequest request;
    request.set_referral_id(args[0]);
    request.set_reason(*reason);
    request.set_etag(etag);
    request.set_actor(actor);
    request.set_comment(absl::GetFlag(FLAGS_comment));
    auto call = client.Call();
    status = client.stub().RejectReferral(call.get(), request, &response);
  } else {  // cancel
    if (args.size() != 1) return Usage("cancel REFERRAL_ID --actor WHO [--reason WHY] [--etag N]");
    referrals::v1::CancelReferralRequest request;
    request.set_referral_id(args[0]);
    request.set_etag(etag);
    request.set_actor(actor);
    request.set_reason(absl::GetFlag(FLAGS_reason));
    auto call = client.Call();
    status = client.stub().CancelReferral(call.get(), request, &response);
  }
  if (!status.ok()) return client.Fail(command, status);
  return PrintTransition(args[0], response);
}

int Worklist(const std::vector<std::string>& args, Client& client,
             const LifecycleCommandContext& context) {
  if (args.size() != 1) {
    return Usage(
        "worklist QUEUE [--priority emergency|urgent|routine] [--overdue_only] "
        "[--unclaimed_only] [--page_size N] [--page_token T]");
  }
  referrals::v1::ListWorklistRequest request;
  request.set_queue(args[0]);
  request.set_page_size(context.page_size);
  request.set_page_token(context.page_token);
  request.set_overdue_only(absl::GetFlag(FLAGS_overdue_only));
  request.set_unclaimed_only(absl::GetFlag(FLAGS_unclaimed_only));
  const std::string priority = absl::AsciiStrToUpper(absl::GetFlag(FLAGS_priority));
  if (!priority.empty()) {
    referrals::v1::Priority value;
    if (!referrals::v1::Priority_Parse("PRIORITY_" + priority, &value)) {
      std::cerr << "unknown priority; one of emergency, urgent, routine\n";
      return 2;
    }
    request.set_priority(value);
  }
  referrals::v1::ListWorklistResponse response;
  auto call = client.Call();
  grpc::Status status = client.stub().ListWorklist(call.get(), request, &response);
  if (!status.ok()) return client.Fail("worklist", status);
  for (const auto& item : response.items()) std::cout << ItemLine(item) << "\n";
  if (response.items().empty()) std::cout << "(nothing on this page)\n";
  if (!response.next_page_token().empty()) {
    std::cout << "next page: --page_token " << response.next_page_token() << "\n";
  }
  return 0;
}

int Lease(const std::string& command, const std::vector<std::string>& args, Client& client) {
  const std::string claimer = absl::GetFlag(FLAGS_claimer);
  if (command == "release") {
    if (args.size() != 1) return Usage("release REFERRAL_ID --claimer WHO");
    referrals::v1::ReleaseLeaseRequest request;
    request.set_referral_id(args[0]);
    request.set_claimer(claimer);
    referrals::v1::TransitionResponse response;
    auto call = client.Call();
    grpc::Status status = client.stub().ReleaseLease(call.get(), request, &response);
    if (!status.ok()) return client.Fail(command, status);
    std::cout << args[0] << "  released  etag " << response.etag() << "\n";
    return 0;
  }
  referrals::v1::ClaimNextResponse response;
  grpc::Status status;
  auto call = client.Call();
  if (command == "claim") {
    if (args.size() != 1) return Usage("claim QUEUE --claimer WHO [--lease_seconds N]");
    referrals::v1::ClaimNextRequest request;
    request.set_queue(args[0]);
    request.set_claimer(claimer);
    request.set_lease_seconds(absl::GetFlag(FLAGS_lease_seconds));
    status = client.stub().ClaimNext(call.get(), request, &response);
  } else {
    if (args.size() != 1) return Usage("renew REFERRAL_ID --claimer WHO [--lease_seconds N]");
    referrals::v1::RenewLeaseRequest request;
    request.set_referral_id(args[0]);
    request.set_claimer(claimer);
    request.set_lease_seconds(absl::GetFlag(FLAGS_lease_seconds));
    status = client.stub().RenewLease(call.get(), request, &response);
  }
  if (!status.ok()) return client.Fail(command, status);
  std::cout << ItemLine(response.item()) << "\n";
  return 0;
}

int Outcome(const std::vector<std::string>& args, Client& client) {
  const std::string request_id = absl::GetFlag(FLAGS_request_id);
  if (args.size() + (request_id.empty() ? 0 : 1) != 1) {
    return Usage("outcome REFERRAL_ID | outcome --request_id ID");
  }
  referrals::v1::GetReferralOutcomeRequest request;
  if (args.empty()) {
    request.set_request_id(request_id);
  } else {
    request.set_referral_id(args[0]);
  }
  referrals::v1::GetReferralOutcomeResponse response;
  auto call = client.Call();
  grpc::Status status = client.stub().GetReferralOutcome(call.get(), request, &response);
  if (!status.ok()) return client.Fail("outcome", status);
  const referrals::v1::ReferralOutcome& outcome = response.outcome();
  std::cout << outcome.referral_id() << "  " << Status(outcome.status());
  if (!outcome.team_name().empty()) {
    std::cout << "  with " << outcome.team_name();
    if (!outcome.authority_name().empty()) std::cout << " (" << outcome.authority_name() << ")";
  }
  if (outcome.reject_reason() != referrals::v1::REJECT_REASON_UNSPECIFIED) {
    std::cout << "  reason "
              << Trim(referrals::v1::RejectReason_Name(outcome.reject_reason()), "REJECT_REASON_");
  }
  std::cout << "\n";
  for (const auto& step : outcome.steps()) {
    std::cout << "  " << Time(step.time()) << "  "
              << Trim(referrals::v1::OutcomeStep::Kind_Name(step.kind()), "KIND_");
    if (!step.from_team_name().empty()) std::cout << "  from " << step.from_team_name();
    if (!step.team_name().empty()) std::cout << "  " << step.team_name();
    if (step.reject_reason() != referrals::v1::REJECT_REASON_UNSPECIFIED) {
      std::cout << "  "
                << Trim(referrals::v1::RejectReason_Name(step.reject_reason()), "REJECT_REASON_");
    }
    std::cout << "\n";
  }
  for (const auto& signpost : outcome.signposts()) {
    std::cout << "  Signpost: " << signpost.name() << ": " << signpost.contact() << "\n";
  }
  for (const auto& council : outcome.out_of_area_councils()) {
    std::cout << "  Contact instead: " << council << "\n";
  }
  return 0;
}

int Overdue(const std::vector<std::string>& args, Client& client,
            const LifecycleCommandContext& context) {
  if (!args.empty()) return Usage("overdue [--page_size N]");
  referrals::v1::ListOverdueRequest request;
  request.set_page_size(context.page_size);
  referrals::v1::ListOverdueResponse response;
  auto call = client.Call();
  grpc::Status status = client.stub().ListOverdue(call.get(), request, &response);
  if (!status.ok()) return client.Fail("overdue", status);
  for (int i = 0; i < response.items_size(); ++i) {
    std::cout << response.queues(i) << "  " << ItemLine(response.items(i)) << "\n";
  }
  if (response.items().empty()) std::cout << "(nothing overdue)\n";
  return 0;
}

}  // namespace

std::optional<int> RunLifecycleCommand(const std::string& command,
                                       const std::vector<std::string>& args,
                                       const LifecycleCommandContext& context) {
  Client client(context);
  if (command == "accept" || command == "redirect" || command == "reject" ||
      command == "complete" || command == "cancel") {
    return Transition(command, args, client);
  }
  if (command == "worklist") return Worklist(args, client, context);
  if (command == "claim" || command == "renew" || command == "release") {
    return Lease(command, args, client);
  }
  if (command == "outcome") return Outcome(args, client);
  if (command == "overdue") return Overdue(args, client, context);
  return std::nullopt;
}

std::string LifecycleSection(const std::string& referral_id,
                             const LifecycleCommandContext& context) {
  Client client(context);
  referrals::v1::GetReferralRequest request;
  request.set_referral_id(referral_id);
  referrals::v1::GetReferralResponse response;
  auto call = client.Call();
  grpc::Status status = client.stub().GetReferral(call.get(), request, &response);
  if (!status.ok()) {
    client.Fail("get (routing service: lifecycle)", status);
    return "";
  }
  const referrals::v1::ReferralRecord& record = response.referral();
  std::string out = absl::StrCat("  Etag:      ", record.etag(), "\n");
  if (!record.queue().empty()) absl::StrAppend(&out, "  Queue:     ", record.queue(), "\n");
  if (record.has_respond_by()) {
    absl::StrAppend(&out, "  Respond by: ", Time(record.respond_by()),
                    record.has_overdue_time() ? "  OVERDUE" : "", "\n");
  }
  if (record.has_lease()) {
    absl::StrAppend(&out, "  Claimed by: ", record.lease().holder(), " until ",
                    Time(record.lease().expires_time()), "\n");
  }
  if (!record.accepted_by().empty()) {
    absl::StrAppend(&out, "  Accepted:  by ", record.accepted_by(), " at ",
                    Time(record.accepted_time()), "\n");
  }
  absl::StrAppend(&out, "  Allowed now: ", Actions(record.allowed_actions()), "\n");
  absl::StrAppend(&out, "  Actions taken:\n");
  bool any = false;
  for (const auto& step : record.history()) {
    if (step.stage() != referrals::v1::STAGE_LIFECYCLE &&
        step.stage() != referrals::v1::STAGE_ESCALATION) {
      continue;
    }
    any = true;
    absl::StrAppend(&out, "    ", Time(step.time()), "  ", step.summary());
    if (!step.actor().empty()) absl::StrAppend(&out, "  by ", step.actor());
    if (!step.comment().empty()) absl::StrAppend(&out, "  \"", step.comment(), "\"");
    absl::StrAppend(&out, "\n");
  }
  if (!any) absl::StrAppend(&out, "    (none)\n");
  return out;
}

std::string LifecycleUsage() {
  return "  accept ID --actor WHO [--etag N] | complete ID --actor WHO [--etag N] |\n"
         "  redirect ID QUEUE --actor WHO --reason WHY [--etag N] |\n"
         "  reject ID REASON --actor WHO [--comment TEXT] [--etag N] |\n"
         "  cancel ID --actor WHO [--reason WHY] [--etag N] |\n"
         "  worklist QUEUE [--priority P] [--overdue_only] [--unclaimed_only] [--page_size N]\n"
         "           [--page_token T] |\n"
         "  claim QUEUE --claimer WHO [--lease_seconds N] | renew ID --claimer WHO |\n"
         "  release ID --claimer WHO | outcome ID | outcome --request_id R | overdue";
}

}  // namespace referrals
