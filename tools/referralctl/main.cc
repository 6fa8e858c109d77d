// referralctl: the operator's tool.
//
//   referralctl submit FILE.json       submit a referral (protobuf JSON)
//   referralctl get ID                 status, history and why it went where
//   referralctl queues                 every queue with depth and oldest age
//   referralctl health                 the three services' gRPC health
//   referralctl watch QUEUE            follow a queue live (Ctrl-C to stop)
//   referralctl dlq list               dead letters, oldest first [--page_size N]
//                                      [--page_token T]
//   referralctl dlq replay ID...       put dead letters back on their streams
//   referralctl explain FILE.json      triage and route offline, no services
//   referralctl resolve POSTCODE...    resolve postcodes offline [--json]
//   referralctl replay [FILE.json...]  what another rules or postcode data
//                                      version would change (see replay.h)
//
// explain and resolve read unit-level postcode data (ONSPD, NSPL or
// Code-Point Open) from --postcode_data, else $REFERRALS_POSTCODE_DATA, as
// the routing service does.
// Online commands talk to the services at --intake / --routing (or
// $REFERRALS_INTAKE / $REFERRALS_ROUTING); offline ones read the same rule
// and postcode files the services load. `replay` without files reads the
// stored referrals from Redis (--redis or $REDIS_URL, --redis_prefix), as the
// services do.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/data_key_flags.h"
#include "common/crypto/data_keyring.h"
#include "common/domain/referral_validator.h"
#include "common/service/auth/grpc_auth.h"
#include "common/service/auth/token_store.h"
#include "common/service/grpc_status.h"
#include "common/service/service_flags.h"
#include "common/service/tls_credentials.h"
#include "google/protobuf/util/json_util.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "services/routing/routing_data.h"
#include "tools/referralctl/decision_printer.h"
#include "tools/referralctl/lifecycle_commands.h"
#include "tools/referralctl/replay.h"

ABSL_FLAG(std::string, intake, "", "intake address; default $REFERRALS_INTAKE or 127.0.0.1:50051");
ABSL_FLAG(std::string, routing, "",
          "routing address; default $REFERRALS_ROUTING or 127.0.0.1:50053");
ABSL_FLAG(std::string, triage, "", "triage address; default $REFERRALS_TRIAGE or 127.0.0.1:50052");
ABSL_FLAG(int, timeout_ms, 5000, "deadline for each call");
ABSL_FLAG(std::string, token_file, "",
          "file holding this caller's bearer token (sent as \"authorization: Bearer ...\"); "
          "default $REFERRALS_TOKEN_FILE; empty: none");
ABSL_FLAG(std::string, caller, "", "token new: the caller id (1-64 of A-Z a-z 0-9 . _ -)");
ABSL_FLAG(std::string, id, "", "key new: the key id (1-64 of A-Z a-z 0-9 . _ -), e.g. 2026-11");
ABSL_FLAG(int, closed_days_ago, 0,
          "purge: every closed referral that closed at least this many days ago");
ABSL_FLAG(std::string, role, "", "token new: submitter, team, operations or admin");
ABSL_FLAG(std::string, authority, "",
          "token new: a team's authority id from the rules (ESSEX, SOUTHEND, THURROCK)");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA bundle that signed the services' certificates; set it (or --tls_cert_file, "
          "with --tls_key_file, for mutual TLS) to call them over TLS");
ABSL_FLAG(int, wait_seconds, 0,
          "get: wait up to this long for the referral to reach its destination queue");
ABSL_FLAG(bool, json, false, "resolve: print one JSON object per line");
ABSL_FLAG(bool, from_start, false, "watch: print the whole queue first, then new entries");
ABSL_FLAG(int, page_size, 0, "dlq list: dead letters per page (1..1000; 0: the service's default)");
ABSL_FLAG(std::string, page_token, "", "dlq list: the page token the previous page printed");
ABSL_FLAG(std::string, rules, REFERRALS_DEFAULT_RULES,
          "explain/resolve: rules file, or a directory of them (one per version); replay: the "
          "new rules");
ABSL_FLAG(std::string, as_at, "",
          "explain, replay of files: decide as if received at this time (RFC 3339, e.g. "
          "2026-11-27T18:00:00Z); default now");
ABSL_FLAG(std::string, postcode_sectors, REFERRALS_DEFAULT_SECTORS,
          "explain/resolve: the sector table; replay: the new one");
ABSL_FLAG(std::string, postcode_data, "",
          "explain/resolve: unit-level postcode data (ONSPD, NSPL or OS Code-Point Open; a "
          "file or directory); default $REFERRALS_POSTCODE_DATA; without it, sector level only; "
          "replay: the new data");
ABSL_FLAG(std::string, local_authorities, REFERRALS_DEFAULT_AUTHORITIES,
          "explain/resolve/replay: the GSS district table");
ABSL_FLAG(std::string, old_rules, "",
          "replay of files: the old rules (file or directory); default the default --rules");
ABSL_FLAG(std::string, old_postcode_sectors, "",
          "replay of files: the old sector table; default the default --postcode_sectors");
ABSL_FLAG(std::string, old_postcode_data, "",
          "replay of files: the old unit-level postcode data; default $REFERRALS_POSTCODE_DATA");

namespace referrals {
namespace {

std::string Address(const std::string& flag, const char* env, const char* fallback) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return (value != nullptr && *value != '\0') ? value : fallback;
}

// Plaintext unless --tls_ca_file or --tls_cert_file is set. A bad TLS file
// ends the command (exit 2): nothing useful can be done without a channel.
std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  ClientTlsOptions tls;
  tls.ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(tls);
  if (!credentials.ok()) {
    std::cerr << "referralctl: " << credentials.status().message() << "\n";
    std::exit(2);
  }
  return grpc::CreateChannel(address, *credentials);
}

// The bearer token from --token_file (else $REFERRALS_TOKEN_FILE), read
// once; "" when neither is set. An unreadable file ends the command (exit 2);
// the token itself is never printed.
const std::string& BearerToken() {
  static const std::string* token = [] {
    std::string path = absl::GetFlag(FLAGS_token_file);
    if (path.empty()) path = Address("", "REFERRALS_TOKEN_FILE", "");
    if (path.empty()) return new std::string();
    absl::StatusOr<std::string> read = ReadSecretFile(path);
    if (!read.ok()) {
      std::cerr << "referralctl: " << read.status().message() << "\n";
      std::exit(2);
    }
    return new std::string(*std::move(read));
  }();
  return *token;
}

// Every call's deadline and bearer token.
void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  AddBearerToken(*context, BearerToken());
}

// `token new`: prints a fresh token (line 1: give it to the caller once; it
// is stored nowhere) and its tokens-file line (line 2).
int Token(const std::vector<char*>& args) {
  if (args.size() != 1 || std::string(args[0]) != "new") {
    std::cerr << "usage: referralctl token new --caller ID --role ROLE [--authority ID]\n";
    return 2;
  }
  absl::StatusOr<Role> role = ParseRole(absl::GetFlag(FLAGS_role));
  if (!role.ok()) {
    std::cerr << "referralctl: " << role.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<TokenStore::NewToken> made =
      TokenStore::MakeToken(absl::GetFlag(FLAGS_caller), *role, absl::GetFlag(FLAGS_authority));
  if (!made.ok()) {
    std::cerr << "referralctl: " << made.status().message() << "\n";
    return 2;
  }
  std::cout << made->token << "\n" << made->line << "\n";
  return 0;
}

// `key new --id ID`: prints a new data key file line (issue 8). The key is
// printed once, to stdout, and stored nowhere: redirect it into the key file.
int Key(const std::vector<char*>& args) {
  if (args.size() != 1 || std::string(args[0]) != "new") {
    std::cerr << "usage: referralctl key new --id ID >> data-keys\n";
    return 2;
  }
  absl::StatusOr<std::string> line = DataKeyring::NewKeyLine(absl::GetFlag(FLAGS_id));
  if (!line.ok()) {
    std::cerr << "referralctl: " << line.status().message() << "\n";
    return 2;
  }
  std::cout << *line << "\n";
  return 0;
}

int Fail(const std::string& what, const grpc::Status& status, const std::string& address);

// `purge ID` or `purge --closed_days_ago N`: retention now, through routing's
// PurgePersonalData (admin token). Prints the ids purged, one a line.
int Purge(const std::vector<char*>& args) {
  const int days = absl::GetFlag(FLAGS_closed_days_ago);
  if (args.size() > 1 || (args.size() == 1) == (days > 0)) {
    std::cerr << "usage: referralctl purge REFERRAL_ID | purge --closed_days_ago N\n";
    return 2;
  }
  const std::string address =
      Address(absl::GetFlag(FLAGS_routing), "REFERRALS_ROUTING", "127.0.0.1:50053");
  auto stub = referrals::v1::RoutingService::NewStub(Channel(address));
  referrals::v1::PurgePersonalDataRequest request;
  if (args.size() == 1) request.set_referral_id(args[0]);
  request.set_closed_days_ago(days);
  referrals::v1::PurgePersonalDataResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::Status status = stub->PurgePersonalData(&context, request, &response);
  if (!status.ok()) return Fail("purge", status, address);
  for (const std::string& id : response.purged_referral_ids()) std::cout << id << "\n";
  if (response.already_purged()) std::cerr << request.referral_id() << ": already purged\n";
  std::cerr << response.purged_referral_ids_size() << " referral(s) purged\n";
  return 0;
}

int Fail(const std::string& what, const grpc::Status& status, const std::string& address) {
  std::cerr << what << " failed: " << status.error_message() << " ("
            << absl::StrCat(status.error_code()) << ")";
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::cerr << "; check that the service at " << address << " is running and can reach Redis";
  }
  std::cerr << "\n";
  for (const FieldViolation& violation : FieldViolationsOf(status)) {
    std::cerr << "  " << violation.field << ": " << violation.description << "\n";
  }
  return 1;
}

absl::StatusOr<referrals::v1::Referral> ReadReferral(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  referrals::v1::Referral referral;
  auto status = google::protobuf::util::JsonStringToMessage(text.str(), &referral);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a referral in protobuf JSON: ", status.message().as_string()));
  }
  return referral;
}

absl::StatusOr<RoutingData> OfflineData() {
  RoutingDataPaths paths;
  paths.rules = absl::GetFlag(FLAGS_rules);
  paths.postcode_sectors = absl::GetFlag(FLAGS_postcode_sectors);
  paths.postcode_data = PostcodeDataPath(absl::GetFlag(FLAGS_postcode_data));
  paths.local_authorities = absl::GetFlag(FLAGS_local_authorities);
  return LoadRoutingData(paths);
}

// Past the pipeline: routed, and anything the receiving teams did since.
bool IsFinal(referrals::v1::ReferralStatus status) {
  return status != referrals::v1::REFERRAL_STATUS_UNSPECIFIED &&
         status != referrals::v1::REFERRAL_STATUS_RECEIVED &&
         status != referrals::v1::REFERRAL_STATUS_TRIAGED;
}

LifecycleCommandContext LifecycleContext() {
  LifecycleCommandContext context;
  context.routing_address =
      Address(absl::GetFlag(FLAGS_routing), "REFERRALS_ROUTING", "127.0.0.1:50053");
  context.routing_channel = Channel(context.routing_address);
  context.timeout = absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms));
  context.page_size = absl::GetFlag(FLAGS_page_size);
  context.page_token = absl::GetFlag(FLAGS_page_token);
  context.token = BearerToken();
  return context;
}

int Submit(const std::vector<char*>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: referralctl submit FILE.json\n";
    return 2;
  }
  auto referral = ReadReferral(args[0]);
  if (!referral.ok()) {
    std::cerr << referral.status().message() << "\n";
    return 1;
  }
  const std::string address =
      Address(absl::GetFlag(FLAGS_intake), "REFERRALS_INTAKE", "127.0.0.1:50051");
  auto stub = referrals::v1::IntakeService::NewStub(Channel(address));
  grpc::ClientContext context;
  SetDeadline(&context);
  referrals::v1::SubmitReferralRequest request;
  *request.mutable_referral() = *referral;
  referrals::v1::SubmitReferralResponse response;
  grpc::Status status = stub->SubmitReferral(&context, request, &response);
  if (!status.ok()) return Fail("submit", status, address);
  std::cout << response.referral_id() << (response.duplicate() ? "  (duplicate request id)" : "")
            << "  " << referrals::v1::ReferralStatus_Name(response.status()) << "  correlation "
            << response.correlation_id() << "\n";
  for (const auto& signpost : response.signposts()) {
    std::cout << "  Signpost now: " << signpost.name() << ": " << signpost.contact() << " ("
              << signpost.reason() << ")\n";
  }
  return 0;
}

int Get(const std::vector<char*>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: referralctl get REFERRAL_ID\n";
    return 2;
  }
  const std::string address =
      Address(absl::GetFlag(FLAGS_intake), "REFERRALS_INTAKE", "127.0.0.1:50051");
  auto stub = referrals::v1::IntakeService::NewStub(Channel(address));
  grpc::ClientContext context;
  SetDeadline(&context);
  referrals::v1::GetReferralRequest request;
  request.set_referral_id(args[0]);
  referrals::v1::GetReferralResponse response;
  grpc::Status status = stub->GetReferral(&context, request, &response);
  const absl::Time deadline = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_wait_seconds));
  while (status.ok() && !IsFinal(response.referral().status()) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    grpc::ClientContext retry;
    SetDeadline(&retry);
    status = stub->GetReferral(&retry, request, &response);
  }
  if (!status.ok()) return Fail("get", status, address);
  std::cout << FormatRecord(response.referral());
  // The receiving teams' view (etag, lease, allowed actions, actions with
  // their actors) is the routing service's; without it, intake's record
  // still printed above.
  std::cout << LifecycleSection(args[0], LifecycleContext());
  return 0;
}

// grpc.health.v1 Check for the whole server, called generically: an empty
// request, and SERVING is field 1 = 1.
std::string HealthOf(const std::string& address) {
  grpc::GenericStub stub(Channel(address));
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::Slice empty("", 0);
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return absl::StrCat("DOWN (", status.error_message(), ")");
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const auto& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return bytes == std::string("\x08\x01", 2) ? "SERVING" : "NOT_SERVING";
}

int Health() {
  const std::pair<const char*, std::string> services[] = {
      {"intake", Address(absl::GetFlag(FLAGS_intake), "REFERRALS_INTAKE", "127.0.0.1:50051")},
      {"triage", Address(absl::GetFlag(FLAGS_triage), "REFERRALS_TRIAGE", "127.0.0.1:50052")},
      {"routing", Address(absl::GetFlag(FLAGS_routing), "REFERRALS_ROUTING", "127.0.0.1:50053")},
  };
  int not_serving = 0;
  for (const auto& [name, address] : services) {
    const std::string health = HealthOf(address);
    if (health != "SERVING") ++not_serving;
    std::cout << absl::StrFormat("%-8s %-22s %s\n", name, address, health);
  }
  return not_serving == 0 ? 0 : 1;
}

int Queues() {
  const std::string address =
      Address(absl::GetFlag(FLAGS_routing), "REFERRALS_ROUTING", "127.0.0.1:50053");
  auto stub = referrals::v1::RoutingService::NewStub(Channel(address));
  grpc::ClientContext context;
  SetDeadline(&context);
  referrals::v1::ListQueuesResponse response;
  grpc::Status status = stub->ListQueues(&context, {}, &response);
  if (!status.ok()) return Fail("queues", status, address);
  std::cout << absl::StrFormat("%-34s %-10s %6s  %s\n", "QUEUE", "AUTHORITY", "DEPTH", "OLDEST");
  for (const auto& queue : response.queues()) {
    const absl::Duration age = absl::Seconds(queue.oldest_age().seconds()) +
                               absl::Nanoseconds(queue.oldest_age().nanos());
    std::cout << absl::StrFormat(
        "%-34s %-10s %6d  %s\n", queue.queue(),
        queue.authority_id().empty() ? "-" : queue.authority_id(), queue.depth(),
        queue.depth() == 0 ? "-" : absl::FormatDuration(absl::Trunc(age, absl::Milliseconds(100))));
  }
  if (!response.counters().empty()) {
    // Sorted, so the output is stable.
    std::map<std::string, int64_t> counters(response.counters().begin(), response.counters().end());
    std::cout << "\nTOTALS (signposts raised, outcomes)\n";
    for (const auto& [name, value] : counters) {
      std::cout << absl::StrFormat("%-34s %6d\n", name, value);
    }
  }
  return 0;
}

int Watch(const std::vector<char*>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: referralctl watch QUEUE [--from_start]\n";
    return 2;
  }
  const std::string address =
      Address(absl::GetFlag(FLAGS_routing), "REFERRALS_ROUTING", "127.0.0.1:50053");
  auto stub = referrals::v1::RoutingService::NewStub(Channel(address));
  grpc::ClientContext context;  // no deadline: follows until Ctrl-C
  AddBearerToken(context, BearerToken());
  referrals::v1::WatchQueueRequest request;
  request.set_queue(args[0]);
  request.set_from_start(absl::GetFlag(FLAGS_from_start));
  auto reader = stub->WatchQueue(&context, request);
  referrals::v1::WatchQueueResponse message;
  while (reader->Read(&message)) {
    const auto& decision = message.event().decision();
    std::cout << message.entry_id() << "  " << message.event().meta().referral_id() << "  "
              << referrals::v1::ReferralKind_Name(message.event().kind()) << "  "
              << referrals::v1::Priority_Name(decision.priority()) << "  "
              << (decision.rules().empty() ? "" : decision.rules().rbegin()->detail()) << "\n"
              << std::flush;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail("watch", status, address);
  return 0;
}

// One line per dead letter: ids, stage, attempts and the reason, never the
// payload. The next page's token goes to stderr so stdout stays one table.
int DeadLetterList(const std::vector<char*>& args) {
  if (!args.empty()) {
    std::cerr << "usage: referralctl dlq list [--page_size N] [--page_token T]\n";
    return 2;
  }
  const std::string address =
      Address(absl::GetFlag(FLAGS_routing), "REFERRALS_ROUTING", "127.0.0.1:50053");
  auto stub = referrals::v1::RoutingService::NewStub(Channel(address));
  grpc::ClientContext context;
  SetDeadline(&context);
  referrals::v1::ListDeadLettersRequest request;
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  referrals::v1::ListDeadLettersResponse response;
  grpc::Status status = stub->ListDeadLetters(&context, request, &response);
  if (!status.ok()) return Fail("dlq list", status, address);
  std::cout << absl::StrFormat("%-22s %-24s %-8s %8s  %s\n", "DEAD LETTER", "REFERRAL", "STAGE",
                               "ATTEMPTS", "ERROR");
  for (const auto& letter : response.dead_letters()) {
    std::cout << absl::StrFormat(
        "%-22s %-24s %-8s %8d  %s\n", letter.dead_letter_id(),
        letter.referral_id().empty() ? "-" : letter.referral_id(),
        letter.stage().empty() ? "-" : letter.stage(), letter.attempts(), letter.error());
  }
  if (!response.next_page_token().empty()) {
    std::cerr << "more: referralctl dlq list --page_token=" << response.next_page_token() << "\n";
  }
  return 0;
}

int DeadLetterReplay(const std::vector<char*>& args) {
  if (args.empty()) {
    std::cerr << "usage: referralctl dlq replay DEAD_LETTER_ID...\n";
    return 2;
  }
  const std::string address =
      Address(absl::GetFlag(FLAGS_routing), "REFERRALS_ROUTING", "127.0.0.1:50053");
  auto stub = referrals::v1::RoutingService::NewStub(Channel(address));
  int failures = 0;
  for (const char* id : args) {
    grpc::ClientContext context;
    SetDeadline(&context);
    referrals::v1::ReplayDeadLetterRequest request;
    request.set_dead_letter_id(id);
    referrals::v1::ReplayDeadLetterResponse response;
    grpc::Status status = stub->ReplayDeadLetter(&context, request, &response);
    if (!status.ok()) {
      Fail(absl::StrCat("dlq replay ", id), status, address);
      ++failures;
      continue;
    }
    std::cout << id << "  replayed  "
              << (response.referral_id().empty() ? "-" : response.referral_id()) << "  "
              << response.stage() << "  new entry " << response.entry_id() << "\n";
  }
  return failures == 0 ? 0 : 1;
}

int DeadLetters(const std::vector<char*>& args) {
  const std::string sub = args.empty() ? "" : args[0];
  std::vector<char*> rest(args.empty() ? args.end() : args.begin() + 1, args.end());
  if (sub == "list") return DeadLetterList(rest);
  if (sub == "replay") return DeadLetterReplay(rest);
  std::cerr << "usage: referralctl dlq list [--page_size N] [--page_token T] | "
               "referralctl dlq replay DEAD_LETTER_ID...\n";
  return 2;
}

int Explain(const std::vector<char*>& args) {
  if (args.empty()) {
    std::cerr << "usage: referralctl explain FILE.json...\n";
    return 2;
  }
  auto data = OfflineData();
  if (!data.ok()) {
    std::cerr << data.status().message() << "\n";
    return 1;
  }
  absl::TimeZone london;
  if (!absl::LoadTimeZone("Europe/London", &london)) london = absl::UTCTimeZone();
  absl::Time received = absl::Now();
  if (const std::string as_at = absl::GetFlag(FLAGS_as_at); !as_at.empty()) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, as_at, &received, &error)) {
      std::cerr << "--as_at: not an RFC 3339 time (e.g. 2026-11-27T18:00:00Z): " << error << "\n";
      return 2;
    }
  }
  int failures = 0;
  for (const char* path : args) {
    auto referral = ReadReferral(path);
    if (!referral.ok()) {
      std::cerr << referral.status().message() << "\n";
      ++failures;
      continue;
    }
    const absl::Time now = absl::Now();
    FieldViolations violations = ValidateReferral(*referral, absl::ToCivilDay(now, london));
    if (!violations.empty()) {
      std::cerr << path << ": invalid referral\n";
      for (const auto& v : violations) std::cerr << "  " << v.field << ": " << v.description << "\n";
      ++failures;
      continue;
    }
    auto triage = data->triage->Classify(*referral, received);
    auto decision = data->engine->Decide(*referral, triage, received, now);
    std::cout << path << "  " << referrals::v1::ReferralKind_Name(referral->kind()) << "\n"
              << FormatDecision(decision);
  }
  return failures == 0 ? 0 : 1;
}

int Resolve(const std::vector<char*>& args) {
  if (args.empty()) {
    std::cerr << "usage: referralctl resolve POSTCODE... [--json] [--postcode_data PATH]\n";
    return 2;
  }
  auto data = OfflineData();
  if (!data.ok()) {
    std::cerr << data.status().message() << "\n";
    return 1;
  }
  const bool json = absl::GetFlag(FLAGS_json);
  // Text: which data answered, once (JSON carries it on every line).
  if (!json) {
    std::cout << "# postcode data: " << data->engine->resolver().directory().data_version()
              << "\n";
  }
  int failures = 0;
  for (const char* postcode : args) {
    auto resolution = data->engine->resolver().Resolve(postcode);
    if (!resolution.ok()) {
      ++failures;
      const std::string message = std::string(resolution.status().message());
      std::cout << (json ? ResolutionErrorJson(message) : "error: " + message) << "\n";
      continue;
    }
    std::cout << (json ? ResolutionJson(*resolution) : FormatResolution(*resolution)) << "\n";
  }
  return failures == 0 ? 0 : 1;
}

// Re-decides referrals with the --rules / --postcode_* data and prints what
// would change (replay.h). Files are decided twice, with the old data (the
// defaults, or --old_*) and the new, at --as_at; without files the stored
// referrals are, against their stored decisions, at their receipt times.
int Replay(const std::vector<char*>& args) {
  const bool stored = args.empty();
  ReplayOptions options;
  options.new_paths.rules = absl::GetFlag(FLAGS_rules);
  options.new_paths.postcode_sectors = absl::GetFlag(FLAGS_postcode_sectors);
  options.new_paths.postcode_data = PostcodeDataPath(absl::GetFlag(FLAGS_postcode_data));
  options.new_paths.local_authorities = absl::GetFlag(FLAGS_local_authorities);
  const std::string old_rules = absl::GetFlag(FLAGS_old_rules);
  const std::string old_sectors = absl::GetFlag(FLAGS_old_postcode_sectors);
  const std::string old_data = absl::GetFlag(FLAGS_old_postcode_data);
  options.old_paths.rules = old_rules.empty() ? REFERRALS_DEFAULT_RULES : old_rules;
  options.old_paths.postcode_sectors =
      old_sectors.empty() ? REFERRALS_DEFAULT_SECTORS : old_sectors;
  options.old_paths.postcode_data = PostcodeDataPath(old_data);
  options.old_paths.local_authorities = absl::GetFlag(FLAGS_local_authorities);
  const std::string as_at = absl::GetFlag(FLAGS_as_at);
  if (stored && (!as_at.empty() || !old_rules.empty() || !old_sectors.empty() ||
                 !old_data.empty())) {
    std::cerr << "replay: --as_at and --old_* apply to files only; stored referrals are compared "
                 "with their stored decisions, at their receipt times\n";
    return 2;
  }
  if (!as_at.empty()) {
    absl::Time received;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, as_at, &received, &error)) {
      std::cerr << "--as_at: not an RFC 3339 time (e.g. 2026-11-27T18:00:00Z): " << error << "\n";
      return 2;
    }
    options.as_at = received;
  }
  for (const char* file : args) options.files.push_back(file);
  if (stored) {
    absl::StatusOr<RedisOptions> redis = RedisOptionsFromFlags();
    if (!redis.ok()) {
      std::cerr << "--redis: " << redis.status().message() << "\n";
      return 2;
    }
    options.redis = *redis;
    options.redis_prefix = absl::GetFlag(FLAGS_redis_prefix);
    options.data_key_file = absl::GetFlag(FLAGS_data_key_file);
    std::signal(SIGPIPE, SIG_IGN);  // hiredis writes with write(2)
  }
  return RunReplay(options, std::cout, std::cerr);
}

}  // namespace
}  // namespace referrals

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "referralctl COMMAND [ARGS] [FLAGS]\n"
      "  submit FILE.json | get ID [--wait_seconds N] | queues | watch QUEUE | health |\n"
      "  dlq list [--page_size N] [--page_token T] | dlq replay ID... |\n"
      "  explain FILE.json... [--postcode_data PATH] |\n"
      "  resolve POSTCODE... [--json] [--postcode_data PATH] |\n"
      "  replay --rules NEW [--postcode_data NEW_UNITS] [--postcode_sectors NEW]\n"
      "         [FILE.json... [--as_at T] [--old_rules R] [--old_postcode_data D]]\n"
      "         (no files: the stored referrals at --redis / $REDIS_URL, --redis_prefix,\n"
      "         opened with --data_key_file) |\n"
      "  token new --caller ID --role submitter|team|operations|admin [--authority ID] |\n"
      "  key new --id ID (a data key file line) |\n"
      "  purge REFERRAL_ID | purge --closed_days_ago N (retention now; admin)\n"
      "  (calls send the token in --token_file / $REFERRALS_TOKEN_FILE)");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  const std::string command = positional[1];
  std::vector<char*> args(positional.begin() + 2, positional.end());
  using namespace referrals;
  if (command == "submit") return Submit(args);
  if (command == "get") return Get(args);
  if (command == "queues") return Queues();
  if (command == "health") return Health();
  if (command == "watch") return Watch(args);
  if (command == "dlq") return DeadLetters(args);
  if (command == "explain") return Explain(args);
  if (command == "resolve") return Resolve(args);
  if (command == "replay") return Replay(args);
  if (command == "token") return Token(args);
  if (command == "key") return Key(args);
  if (command == "purge") return Purge(args);
  if (std::optional<int> code = RunLifecycleCommand(
          command, std::vector<std::string>(args.begin(), args.end()), LifecycleContext());
      code.has_value()) {
    return *code;
  }
  std::cerr << "unknown command " << command << "\n" << absl::ProgramUsageMessage() << "\n";
  return 2;
}
