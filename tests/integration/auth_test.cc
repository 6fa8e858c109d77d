// Issue 8, who may do what, through the three real service processes and
// real Redis: every RPC of intake, triage and routing and every HTTP route
// of the three (a table each) with no token, a wrong token and each role; a
// team acting on another authority's queue and referrals; a submitter
// reading another's referral; the caller id scoping request ids and
// recorded on lifecycle steps; submission rate limits; reloading the tokens
// file on SIGHUP; and the rule that without a tokens file a service serves
// only on loopback (gRPC and HTTP listeners). Tokens are made at test time
// into a temporary tokens file.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <httplib.h>
#include <map>
#include <memory>
#include <set>
#include <signal.h>
#include <sstream>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/service/auth/authorizer.h"
#include "common/service/auth/grpc_auth.h"
#include "common/service/auth/token_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "referrals/v1/triage_service.grpc.pb.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::testing::ServiceProcess;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace v1 = referrals::v1;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int ReadPortFile(const std::string& path) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    int port = 0;
    if (absl::SimpleAtoi(ReadFile(path), &port) && port > 0) return port;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return 0;
}

referrals::v1::Referral Example(const std::string& name, const std::string& request_id) {
  referrals::v1::Referral referral;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                  ReadFile(absl::StrCat(EXAMPLES_DIR, "/", name)), &referral)
                  .ok())
      << name;
  referral.set_request_id(request_id);
  return referral;
}

// The callers of every test: one per role, two submitters and two teams.
const std::vector<std::tuple<std::string, Role, std::string>>& Callers() {
  static const auto* callers = new std::vector<std::tuple<std::string, Role, std::string>>{
      {"portal", Role::kSubmitter, ""},   {"council-system", Role::kSubmitter, ""},
      {"ecc-team", Role::kTeam, "ESSEX"}, {"thurrock-team", Role::kTeam, "THURROCK"},
      {"ops", Role::kOperations, ""},     {"root", Role::kAdmin, ""}};
  return *callers;
}

// One row per RPC: its name, how to call it with an empty request, and
// which roles the table should allow ("S"ubmitter, "T"eam, "O"perations,
// "A"dmin). An allowed role with an empty request gets past authorization
// (INVALID_ARGUMENT, OK, ...); any other gets PERMISSION_DENIED.
struct RpcRow {
  std::string method;
  std::string roles;
  std::function<grpc::Status(grpc::ClientContext*)> call;
};

class AuthTest : public ::testing::Test {
 public:
  void SetUp() override {
    std::string dir = absl::StrCat(::testing::TempDir(), "/auth-XXXXXX");
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    std::string lines = "# made by auth_test\n";
    for (const auto& [id, role, authority] : Callers()) {
      auto made = TokenStore::MakeToken(id, role, authority);
      ASSERT_THAT(made.status(), IsOk());
      tokens_[id] = made->token;
      token_lines_[id] = made->line;
      absl::StrAppend(&lines, made->line, "\n");
    }
    // Same caller id, a secret nobody was given: a wrong token.
    auto stranger = TokenStore::MakeToken("ops", Role::kOperations, "");
    ASSERT_THAT(stranger.status(), IsOk());
    tokens_["wrong"] = stranger->token;
    tokens_file_ = absl::StrCat(dir_, "/tokens");
    std::ofstream(tokens_file_) << lines;
    RedisOptions redis = testing::RedisOptionsFromEnv();
    redis_url_ = absl::StrCat("redis://", redis.host, ":", redis.port);
    prefix_ = testing::UniqueKeyPrefix();
  }

  void TearDown() override {
    intake_stub_.reset();
    triage_stub_.reset();
    routing_stub_.reset();
    for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
      if (service != nullptr && service->running()) {
        EXPECT_EQ(service->Stop(), 0);
      }
    }
    std::remove(tokens_file_.c_str());
    for (const std::string* file :
         {&http_port_file_, &triage_http_port_file_, &routing_http_port_file_}) {
      if (!file->empty()) std::remove(file->c_str());
    }
    rmdir(dir_.c_str());
  }

  std::unique_ptr<ServiceProcess> Service(const std::string& binary, const std::string& name,
                                          std::vector<std::string> extra) {
    std::vector<std::string> args = {absl::StrCat("--redis=", redis_url_),
                                     absl::StrCat("--redis_prefix=", prefix_),
                                     absl::StrCat("--tokens_file=", tokens_file_)};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<ServiceProcess>(
        binary, args, absl::StrCat(::testing::TempDir(), "/auth_", name, ".log"));
  }

  // Starts the three services with the tokens file; intake with HTTP.
  void StartAll(std::vector<std::string> intake_extra = {}) {
    http_port_file_ = absl::StrCat(dir_, "/http-port");
    intake_extra.push_back("--http_listen=127.0.0.1:0");
    intake_extra.push_back(absl::StrCat("--http_port_file=", http_port_file_));
    intake_ = Service(INTAKE_BINARY, "intake", intake_extra);
    triage_http_port_file_ = absl::StrCat(dir_, "/triage-http-port");
    routing_http_port_file_ = absl::StrCat(dir_, "/routing-http-port");
    triage_ = Service(TRIAGE_BINARY, "triage",
                      {"--claim_idle_ms=1000", "--http_listen=127.0.0.1:0",
                       absl::StrCat("--http_port_file=", triage_http_port_file_)});
    routing_ = Service(ROUTING_BINARY, "routing",
                       {"--claim_idle_ms=1000", "--http_listen=127.0.0.1:0",
                        absl::StrCat("--http_port_file=", routing_http_port_file_)});
    for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
      ASSERT_THAT(service->Start(), IsOk());
    }
    http_port_ = ReadPortFile(http_port_file_);
    ASSERT_GT(http_port_, 0);
    triage_http_port_ = ReadPortFile(triage_http_port_file_);
    ASSERT_GT(triage_http_port_, 0);
    routing_http_port_ = ReadPortFile(routing_http_port_file_);
    ASSERT_GT(routing_http_port_, 0);
    intake_stub_ = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake_->address()));
    triage_stub_ = referrals::v1::TriageService::NewStub(testing::TestChannel(triage_->address()));
    routing_stub_ =
        referrals::v1::RoutingService::NewStub(testing::TestChannel(routing_->address()));
  }

  // A client context with a deadline and, unless empty, the bearer token.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    AddBearerToken(*context, token);
    return context;
  }

  grpc::Status Submit(const std::string& token, const referrals::v1::Referral& referral,
                      referrals::v1::SubmitReferralResponse* response) {
    referrals::v1::SubmitReferralRequest request;
    *request.mutable_referral() = referral;
    return intake_stub_->SubmitReferral(Context(token).get(), request, response);
  }

  grpc::Status Outcome(const std::string& token, const std::string& referral_id,
                       const std::string& request_id,
                       referrals::v1::GetReferralOutcomeResponse* response) {
    referrals::v1::GetReferralOutcomeRequest request;
    request.set_referral_id(referral_id);
    request.set_request_id(request_id);
    return routing_stub_->GetReferralOutcome(Context(token).get(), request, response);
  }

  // Submits `referral` as `token`'s caller and waits (polling, as admin)
  // until routing has decided it; returns its id.
  std::string SubmitAndWaitRouted(const std::string& token,
                                  const referrals::v1::Referral& referral) {
    referrals::v1::SubmitReferralResponse submitted;
    grpc::Status status = Submit(token, referral, &submitted);
    EXPECT_TRUE(status.ok()) << status.error_message();
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      referrals::v1::GetReferralRequest request;
      request.set_referral_id(submitted.referral_id());
      referrals::v1::GetReferralResponse response;
      if (routing_stub_->GetReferral(Context(tokens_["root"]).get(), request, &response).ok() &&
          response.referral().status() == referrals::v1::REFERRAL_STATUS_ROUTED) {
        return submitted.referral_id();
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "referral not routed within 20 s";
    return submitted.referral_id();
  }

  httplib::Client Http(int port = 0) {
    httplib::Client client("127.0.0.1", port == 0 ? http_port_ : port);
    client.set_read_timeout(10, 0);
    return client;
  }

  static httplib::Headers Bearer(const std::string& token) {
    return token.empty() ? httplib::Headers{}
                         : httplib::Headers{{"Authorization", absl::StrCat("Bearer ", token)}};
  }

  std::string dir_, tokens_file_, http_port_file_, redis_url_, prefix_;
  std::string triage_http_port_file_, routing_http_port_file_;
  std::map<std::string, std::string> tokens_, token_lines_;
  int http_port_ = 0, triage_http_port_ = 0, routing_http_port_ = 0;
  std::unique_ptr<ServiceProcess> intake_, triage_, routing_;
  std::unique_ptr<referrals::v1::IntakeService::Stub> intake_stub_;
  std::unique_ptr<referrals::v1::TriageService::Stub> triage_stub_;
  std::unique_ptr<referrals::v1::RoutingService::Stub> routing_stub_;

  std::vector<RpcRow> Rows() {
    auto intake = intake_stub_.get();
    auto triage = triage_stub_.get();
    auto routing = routing_stub_.get();
// clang-format off
#define ROW(name, roles, stub, Request, Response)                \
  RpcRow{#name, roles, [stub](grpc::ClientContext* context) {    \
           v1::Request request;                                  \
           v1::Response response;                                \
           return stub->name(context, request, &response);       \
         }}
    // clang-format on
    return {
        ROW(SubmitReferral, "SA", intake, SubmitReferralRequest, SubmitReferralResponse),
        ROW(GetReferral, "OA", intake, GetReferralRequest, GetReferralResponse),
        ROW(Triage, "OA", triage, TriageRequest, TriageResponse),
        ROW(ResolveLocation, "OA", routing, ResolveLocationRequest, ResolveLocationResponse),
        ROW(Route, "OA", routing, RouteRequest, RouteResponse),
        ROW(ListQueues, "OA", routing, ListQueuesRequest, ListQueuesResponse),
        RpcRow{"WatchQueue", "TOA",
               [routing](grpc::ClientContext* context) {
                 v1::WatchQueueRequest request;
                 auto reader = routing->WatchQueue(context, request);
                 v1::WatchQueueResponse response;
                 while (reader->Read(&response)) {
                 }
                 return reader->Finish();
               }},
        ROW(ListDeadLetters, "OA", routing, ListDeadLettersRequest, ListDeadLettersResponse),
        ROW(ReplayDeadLetter, "OA", routing, ReplayDeadLetterRequest, ReplayDeadLetterResponse),
        RpcRow{"RoutingService/GetReferral", "TOA",
               [routing](grpc::ClientContext* context) {
                 v1::GetReferralRequest request;
                 v1::GetReferralResponse response;
                 return routing->GetReferral(context, request, &response);
               }},
        ROW(GetReferralOutcome, "STOA", routing, GetReferralOutcomeRequest,
            GetReferralOutcomeResponse),
        ROW(AcceptReferral, "TA", routing, AcceptReferralRequest, TransitionResponse),
        ROW(RedirectReferral, "TA", routing, RedirectReferralRequest, TransitionResponse),
        ROW(RejectReferral, "TA", routing, RejectReferralRequest, TransitionResponse),
        ROW(CompleteReferral, "TA", routing, CompleteReferralRequest, TransitionResponse),
        ROW(CancelReferral, "TA", routing, CancelReferralRequest, TransitionResponse),
        ROW(ListWorklist, "TOA", routing, ListWorklistRequest, ListWorklistResponse),
        ROW(ClaimNext, "TA", routing, ClaimNextRequest, ClaimNextResponse),
        ROW(RenewLease, "TA", routing, RenewLeaseRequest, ClaimNextResponse),
        ROW(ReleaseLease, "TA", routing, ReleaseLeaseRequest, TransitionResponse),
        ROW(ListOverdue, "TOA", routing, ListOverdueRequest, ListOverdueResponse),
        ROW(PurgePersonalData, "A", routing, PurgePersonalDataRequest, PurgePersonalDataResponse),
    };
#undef ROW
  }
};

char RoleLetter(Role role) {
  switch (role) {
    case Role::kSubmitter:
      return 'S';
    case Role::kTeam:
      return 'T';
    case Role::kOperations:
      return 'O';
    case Role::kAdmin:
      return 'A';
  }
  return '?';
}

// The table and the test rows follow the protos: a new RPC without a rule
// (refused to everyone but unnoticed) or without a row here fails this.
TEST_F(AuthTest, EveryRpcOfTheProtosHasARuleAndARow) {
  const std::vector<std::string> rules = Authorizer::Methods();
  const std::set<std::string> ruled(rules.begin(), rules.end());
  size_t rpc_count = 0;
  for (const char* full_name :
       {v1::IntakeService::service_full_name(), v1::TriageService::service_full_name(),
        v1::RoutingService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
    ASSERT_NE(service, nullptr) << full_name;
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = absl::StrCat(service->name(), "/", service->method(i)->name());
      EXPECT_TRUE(ruled.contains(method)) << method << " has no row in the authorization table";
      ++rpc_count;
    }
  }
  EXPECT_EQ(Rows().size(), rpc_count);
}

TEST_F(AuthTest, EveryRpcRefusesCallsWithoutAValidToken) {
  StartAll();
  const std::vector<RpcRow> rows = Rows();
  EXPECT_EQ(rows.size(), 22u);  // 2 intake + 1 triage + 19 routing
  for (const RpcRow& row : rows) {
    for (const std::string& token : {std::string(), tokens_["wrong"], std::string("not-a-token"),
                                     absl::StrCat("nobody~", std::string(64, 'a'))}) {
      auto context = std::make_unique<grpc::ClientContext>();
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
      grpc::Status status = row.call(context.get());
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << row.method << " with token " << (token.empty() ? "(none)" : "(bad)") << ": "
          << status.error_message();
      if (!token.empty()) {
        EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr(token)));
      }
    }
    // A scheme other than Bearer.
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    context->AddMetadata("authorization", absl::StrCat("Basic ", tokens_["root"]));
    EXPECT_EQ(row.call(context.get()).error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << row.method;
  }
}

TEST_F(AuthTest, EachRoleGetsExactlyTheRpcsOfItsRole) {
  StartAll();
  for (const RpcRow& row : Rows()) {
    for (const auto& [id, role, authority] : Callers()) {
      grpc::Status status = row.call(Context(tokens_[id]).get());
      const bool allowed = row.roles.find(RoleLetter(role)) != std::string::npos;
      if (allowed) {
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << row.method << " as " << id << ": " << status.error_message();
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << row.method << " as " << id << ": " << status.error_message();
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << row.method << " as " << id << ": " << status.error_message();
      }
    }
  }
}

TEST_F(AuthTest, HealthStaysOpen) {
  StartAll();
  for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
    absl::StatusOr<bool> serving = testing::CheckServing(service->address(), absl::Seconds(5));
    ASSERT_THAT(serving.status(), IsOk());
    EXPECT_TRUE(*serving);
  }
  auto response = Http().Get("/healthz");
  ASSERT_TRUE(response);
  EXPECT_NE(response->status, 401);
}

TEST_F(AuthTest, ThurrockTeamCannotActOnAnEccQueue) {
  StartAll();
  const std::string thurrock = tokens_["thurrock-team"];
  {
    v1::ClaimNextRequest request;
    request.set_queue("ecc-north-east");
    request.set_claimer("someone");
    v1::ClaimNextResponse response;
    EXPECT_EQ(routing_stub_->ClaimNext(Context(thurrock).get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    v1::ListWorklistRequest request;
    request.set_queue("ecc-north-east");
    v1::ListWorklistResponse response;
    EXPECT_EQ(routing_stub_->ListWorklist(Context(thurrock).get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    request.set_queue("thurrock-first");
    grpc::Status own = routing_stub_->ListWorklist(Context(thurrock).get(), request, &response);
    EXPECT_TRUE(own.ok()) << own.error_message();
    request.set_queue("manual-triage");  // no authority owns it
    EXPECT_EQ(routing_stub_->ListWorklist(Context(thurrock).get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    v1::WatchQueueRequest request;
    request.set_queue("ecc-north-east");
    auto context = Context(thurrock);
    auto reader = routing_stub_->WatchQueue(context.get(), request);
    v1::WatchQueueResponse response;
    while (reader->Read(&response)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // A referral on an ECC queue: Thurrock's team may not read or act on it;
  // ECC's may.
  const std::string id =
      SubmitAndWaitRouted(tokens_["portal"], Example("02-equipment-colchester.json", "auth-ecc-1"));
  {
    v1::GetReferralRequest request;
    request.set_referral_id(id);
    v1::GetReferralResponse response;
    EXPECT_EQ(routing_stub_->GetReferral(Context(thurrock).get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::GetReferralOutcomeResponse outcome;
    EXPECT_EQ(Outcome(thurrock, id, "", &outcome).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  for (const std::string& token : {thurrock, tokens_["ops"]}) {
    v1::AcceptReferralRequest request;
    request.set_referral_id(id);
    request.set_actor("someone");
    v1::TransitionResponse response;
    EXPECT_EQ(routing_stub_->AcceptReferral(Context(token).get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    v1::RenewLeaseRequest request;
    request.set_referral_id(id);
    request.set_claimer("someone");
    v1::ClaimNextResponse response;
    EXPECT_EQ(routing_stub_->RenewLease(Context(thurrock).get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    v1::AcceptReferralRequest request;
    request.set_referral_id(id);
    request.set_actor("ecc worker");
    v1::TransitionResponse response;
    grpc::Status accepted =
        routing_stub_->AcceptReferral(Context(tokens_["ecc-team"]).get(), request, &response);
    EXPECT_TRUE(accepted.ok()) << accepted.error_message();
    EXPECT_EQ(response.status(), v1::REFERRAL_STATUS_ACCEPTED);
  }
}

TEST_F(AuthTest, SubmitterSeesOnlyItsOwnReferrals) {
  StartAll();
  v1::SubmitReferralResponse submitted;
  grpc::Status status = Submit(
      tokens_["portal"], Example("05-urgent-harm-in-thurrock.json", "auth-own-1"), &submitted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::GetReferralOutcomeResponse outcome;
  status = Outcome(tokens_["portal"], "", "auth-own-1", &outcome);
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = Outcome(tokens_["portal"], submitted.referral_id(), "", &outcome);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // Another submitter: not by id, and its own request-id scope has none.
  EXPECT_EQ(Outcome(tokens_["council-system"], submitted.referral_id(), "", &outcome).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Outcome(tokens_["council-system"], "", "auth-own-1", &outcome).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthTest, TheTokensCallerIdScopesRequestIdsNotXClientId) {
  StartAll();
  const v1::Referral referral = Example("02-equipment-colchester.json", "auth-scope-1");
  v1::SubmitReferralResponse first, second;
  {
    auto context = Context(tokens_["portal"]);
    context->AddMetadata("x-client-id", "council-system");
    v1::SubmitReferralRequest request;
    *request.mutable_referral() = referral;
    ASSERT_TRUE(intake_stub_->SubmitReferral(context.get(), request, &first).ok());
  }
  ASSERT_TRUE(Submit(tokens_["council-system"], referral, &second).ok());
  EXPECT_FALSE(second.duplicate());
  EXPECT_NE(first.referral_id(), second.referral_id());
}

TEST_F(AuthTest, HttpRoutesAnswer401WithoutATokenAnd403ForAnotherRole) {
  StartAll();
  const std::string body = ReadFile(PORTAL_EXAMPLE);
  auto client = Http();
  auto post = [&](const std::string& token, const std::string& key) {
    httplib::Headers headers = Bearer(token);
    headers.emplace("Idempotency-Key", key);
    return client.Post("/v1/referrals", headers, body, "application/json");
  };
  auto none = post("", "auth-http-1");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_THAT(none->get_header_value("WWW-Authenticate"), StartsWith("Bearer"));
  auto wrong = post(tokens_["wrong"], "auth-http-1");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_THAT(wrong->get_header_value("WWW-Authenticate"), HasSubstr("invalid_token"));
  EXPECT_THAT(wrong->body, ::testing::Not(HasSubstr(tokens_["wrong"])));
  for (const char* id : {"ecc-team", "ops"}) {
    auto denied = post(tokens_[id], "auth-http-1");
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 403) << id;
  }
  std::string location;
  for (const char* id : {"portal", "root"}) {
    auto created = post(tokens_[id], "auth-http-1");
    ASSERT_TRUE(created);
    EXPECT_EQ(created->status, 201) << id << ": " << created->body;
    // The portal's own referral: a submitter sees only its own.
    if (std::string(id) == "portal") location = created->get_header_value("Location");
  }
  ASSERT_THAT(location, StartsWith("/v1/referrals/"));
  auto get = [&](const std::string& token) { return client.Get(location, Bearer(token)); };
  auto unauthenticated = get("");
  ASSERT_TRUE(unauthenticated);
  EXPECT_EQ(unauthenticated->status, 401);
  EXPECT_EQ(get(tokens_["wrong"])->status, 401);
  EXPECT_EQ(get(tokens_["thurrock-team"])->status, 403);
  for (const char* id : {"portal", "ops", "root"}) EXPECT_EQ(get(tokens_[id])->status, 200) << id;
}

TEST_F(AuthTest, SubmissionsOverTheCallersRateAreRefused) {
  StartAll({"--submit_rate_per_client=0.001", "--submit_burst=2"});
  v1::SubmitReferralResponse response;
  for (int i = 0; i < 2; ++i) {
    grpc::Status status =
        Submit(tokens_["portal"],
               Example("02-equipment-colchester.json", absl::StrCat("auth-rate-", i)), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(
      Submit(tokens_["portal"], Example("02-equipment-colchester.json", "auth-rate-2"), &response)
          .error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Over HTTP the same caller shares the bucket: 429 with Retry-After.
  httplib::Headers headers = Bearer(tokens_["portal"]);
  headers.emplace("Idempotency-Key", "auth-rate-http");
  auto limited =
      Http().Post("/v1/referrals", headers, ReadFile(PORTAL_EXAMPLE), "application/json");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  int retry_after = 0;
  EXPECT_TRUE(absl::SimpleAtoi(limited->get_header_value("Retry-After"), &retry_after));
  EXPECT_GE(retry_after, 1);
  // Another caller has its own bucket.
  grpc::Status other = Submit(tokens_["council-system"],
                              Example("02-equipment-colchester.json", "auth-rate-3"), &response);
  EXPECT_TRUE(other.ok()) << other.error_message();
}

TEST_F(AuthTest, ReferralctlSendsTheTokenOfItsTokenFile) {
  StartAll();
  const std::string token_file = absl::StrCat(dir_, "/token-portal");
  std::ofstream(token_file) << tokens_["portal"] << "\n";
  const std::string submit =
      absl::StrCat(REFERRALCTL_BINARY, " --intake=", intake_->address(), " submit ", EXAMPLES_DIR,
                   "/02-equipment-colchester.json >/dev/null 2>&1");
  EXPECT_NE(std::system(submit.c_str()), 0) << "submitted without a token";
  EXPECT_EQ(std::system(absl::StrCat(REFERRALCTL_BINARY, " --token_file=", token_file,
                                     " --intake=", intake_->address(), " submit ", EXAMPLES_DIR,
                                     "/02-equipment-colchester.json >/dev/null 2>&1")
                            .c_str()),
            0);
  std::remove(token_file.c_str());
}

TEST_F(AuthTest, WithoutATokensFileANonLoopbackListenerRefusesToStart) {
  // --allow_insecure passes the TLS rule; authentication still refuses.
  ServiceProcess intake(
      INTAKE_BINARY,
      {absl::StrCat("--redis=", redis_url_), "--listen=0.0.0.0:0", "--allow_insecure"},
      absl::StrCat(::testing::TempDir(), "/auth_open_intake.log"));
  EXPECT_FALSE(intake.Start(absl::Seconds(10)).ok());
}

TEST_F(AuthTest, ABadTokensFileRefusesToStart) {
  std::ofstream(tokens_file_) << "portal submitter not-a-hash\n";
  auto intake = Service(INTAKE_BINARY, "intake_bad_tokens", {});
  EXPECT_FALSE(intake->Start(absl::Seconds(10)).ok());
  intake.reset();
}

// One row per HTTP route of the three services: the listener, the request,
// the authorizer table's method ("" for the routes that stay open: no data)
// and the status each caller gets (callers not named get 403).
struct HttpRow {
  std::string service;  // "intake", "triage" or "routing"
  std::string verb;     // "GET" or "POST"
  std::string path;
  std::string table_method;
  std::map<std::string, int> allowed;
};

std::vector<HttpRow> HttpRows(const std::string& referral_id) {
  const std::map<std::string, int> staff = {{"ops", 200}, {"root", 200}};
  return {
      {"intake",
       "POST",
       "/v1/referrals",
       kHttpSubmitReferral,
       {{"portal", 201}, {"council-system", 201}, {"root", 201}}},
      // Another submitter's referral is 404, as an unknown id.
      {"intake",
       "GET",
       absl::StrCat("/v1/referrals/", referral_id),
       kHttpGetReferralStatus,
       {{"portal", 200}, {"council-system", 404}, {"ops", 200}, {"root", 200}}},
      {"intake", "GET", "/metrics", kHttpMetrics, staff},
      {"intake", "GET", "/healthz", "", {}},
      {"triage", "GET", "/metrics", kHttpMetrics, staff},
      {"triage", "GET", "/healthz", "", {}},
      {"routing", "GET", "/", "", {}},
      {"routing", "GET", "/dashboard", "", {}},
      {"routing", "GET", "/api/queues", kHttpDashboardQueues, staff},
      // The referral is on an Essex queue: Essex's team may read it,
      // Thurrock's may not.
      {"routing",
       "GET",
       absl::StrCat("/api/referrals/", referral_id),
       kHttpDashboardReferral,
       {{"ecc-team", 200}, {"ops", 200}, {"root", 200}}},
      {"routing", "GET", "/metrics", kHttpMetrics, staff},
      {"routing", "GET", "/healthz", "", {}},
  };
}

TEST_F(AuthTest, EveryHttpRouteChecksTheTokenAndTheRole) {
  StartAll();
  const std::string referral_id = SubmitAndWaitRouted(
      tokens_["portal"], Example("02-equipment-colchester.json", "auth-http-table"));
  const std::vector<HttpRow> rows = HttpRows(referral_id);
  EXPECT_EQ(rows.size(), 12u);  // intake 4, triage 2, routing 6
  // Every HTTP method of the authorizer's table has a row: a new route
  // added to the table without one fails here.
  std::set<std::string> covered;
  for (const HttpRow& row : rows) covered.insert(row.table_method);
  for (const std::string& method : Authorizer::Methods()) {
    if (absl::StartsWith(method, "Http/")) {
      EXPECT_TRUE(covered.count(method)) << method << " has no row in HttpRows";
    }
  }
  const std::string body = ReadFile(PORTAL_EXAMPLE);
  const std::map<std::string, int> ports = {
      {"intake", http_port_}, {"triage", triage_http_port_}, {"routing", routing_http_port_}};
  int request_number = 0;
  auto send = [&](const HttpRow& row, const httplib::Headers& auth) {
    httplib::Client client = Http(ports.at(row.service));
    httplib::Headers headers = auth;
    if (row.verb == "POST") {
      headers.emplace("Idempotency-Key", absl::StrCat("auth-http-table-", ++request_number));
      return client.Post(row.path, headers, body, "application/json");
    }
    return client.Get(row.path, headers);
  };
  for (const HttpRow& row : rows) {
    const std::string name = absl::StrCat(row.service, " ", row.verb, " ", row.path);
    const bool open = row.table_method.empty();
    // No token.
    auto none = send(row, {});
    ASSERT_TRUE(none) << name;
    if (open) {
      EXPECT_EQ(none->status, 200) << name;
    } else {
      EXPECT_EQ(none->status, 401) << name;
      EXPECT_EQ(none->get_header_value("WWW-Authenticate"), R"(Bearer realm="referrals")") << name;
    }
    // Wrong tokens, and a scheme other than Bearer.
    for (const std::string& value :
         {absl::StrCat("Bearer ", tokens_["wrong"]), std::string("Bearer not-a-token"),
          absl::StrCat("Bearer nobody~", std::string(64, 'a')),
          absl::StrCat("Basic ", tokens_["root"])}) {
      auto wrong = send(row, {{"Authorization", value}});
      ASSERT_TRUE(wrong) << name;
      if (open) {
        EXPECT_EQ(wrong->status, 200) << name;
        continue;
      }
      EXPECT_EQ(wrong->status, 401) << name;
      EXPECT_THAT(wrong->get_header_value("WWW-Authenticate"), HasSubstr("invalid_token")) << name;
      EXPECT_THAT(wrong->body, ::testing::Not(HasSubstr(tokens_["wrong"])));
    }
    // Each role, and both teams.
    for (const auto& [id, role, authority] : Callers()) {
      auto answer = send(row, Bearer(tokens_[id]));
      ASSERT_TRUE(answer) << name << " as " << id;
      const auto expected = row.allowed.find(id);
      const int status = open ? 200 : expected != row.allowed.end() ? expected->second : 403;
      EXPECT_EQ(answer->status, status) << name << " as " << id << ": " << answer->body;
    }
  }
  // Refusals are logged with the caller id and the method, never a token.
  for (const char* service : {"intake", "triage", "routing"}) {
    const std::string log = ReadFile(absl::StrCat(::testing::TempDir(), "/auth_", service, ".log"));
    EXPECT_THAT(log, HasSubstr("auth_refused")) << service;
    EXPECT_THAT(log, HasSubstr("Http/Metrics")) << service;
    for (const auto& [id, token] : tokens_) {
      EXPECT_THAT(log, ::testing::Not(HasSubstr(token.substr(token.find('~')))))
          << service << " logged the secret of " << id;
    }
  }
}

TEST_F(AuthTest, LifecycleStepsRecordTheAuthenticatedCallerWhateverTheActor) {
  StartAll();
  const std::string id = SubmitAndWaitRouted(
      tokens_["portal"], Example("02-equipment-colchester.json", "auth-caller-id"));
  v1::AcceptReferralRequest accept;
  accept.set_referral_id(id);
  accept.set_actor("Somebody Else");
  v1::TransitionResponse accepted;
  grpc::Status status =
      routing_stub_->AcceptReferral(Context(tokens_["ecc-team"]).get(), accept, &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::GetReferralRequest request;
  request.set_referral_id(id);
  v1::GetReferralResponse response;
  status = routing_stub_->GetReferral(Context(tokens_["root"]).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GT(response.referral().history_size(), 0);
  const v1::StageEntry& last = response.referral().history(response.referral().history_size() - 1);
  EXPECT_EQ(last.stage(), v1::STAGE_LIFECYCLE);
  EXPECT_EQ(last.actor(), "Somebody Else");
  EXPECT_EQ(last.caller_id(), "ecc-team");
  // The dashboard's history shows it too (not personal data; the actor is).
  auto json =
      Http(routing_http_port_).Get(absl::StrCat("/api/referrals/", id), Bearer(tokens_["ops"]));
  ASSERT_TRUE(json);
  EXPECT_THAT(json->body, HasSubstr(R"("caller_id":"ecc-team")"));
  EXPECT_THAT(json->body, ::testing::Not(HasSubstr("Somebody Else")));
  // And routing's log names the caller with the step (other tests share
  // the log: look at this referral's line).
  std::string logged;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(absl::StrCat(::testing::TempDir(), "/auth_routing.log")), '\n')) {
    if (absl::StrContains(line, "referral_transition") && absl::StrContains(line, id)) {
      logged = std::string(line);
    }
  }
  EXPECT_THAT(logged, HasSubstr(R"("caller":"ecc-team")"));
  EXPECT_THAT(logged, ::testing::Not(HasSubstr("Somebody Else")));
}

TEST_F(AuthTest, SighupReloadsTheTokensFileAndAnInvalidOneKeepsTheOldTokens) {
  StartAll();
  auto made = TokenStore::MakeToken("late-ops", Role::kOperations, "");
  ASSERT_THAT(made.status(), IsOk());
  const std::string late = made->token;
  const std::map<std::string, int> ports = {
      {"intake", http_port_}, {"triage", triage_http_port_}, {"routing", routing_http_port_}};
  auto metrics_status = [&](const std::string& service, const std::string& token) {
    auto response = Http(ports.at(service)).Get("/metrics", Bearer(token));
    return response ? response->status : -1;
  };
  // Writes the tokens file whole, then renames it into place (as a secret
  // store's atomic update would), and sends SIGHUP to every service.
  auto replace_and_hangup = [&](const std::string& text) {
    const std::string staged = absl::StrCat(tokens_file_, ".new");
    std::ofstream(staged) << text;
    ASSERT_EQ(std::rename(staged.c_str(), tokens_file_.c_str()), 0);
    for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
      ASSERT_EQ(kill(service->pid(), SIGHUP), 0);
    }
  };
  auto eventually = [&](const std::string& service, const std::string& token, int expected) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    int status = metrics_status(service, token);
    while (status != expected && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
      status = metrics_status(service, token);
    }
    return status;
  };
  for (const auto& [service, port] : ports) EXPECT_EQ(metrics_status(service, late), 401);

  // A new caller: allowed once reloaded, without a restart.
  std::string lines;
  for (const auto& [id, line] : token_lines_) absl::StrAppend(&lines, line, "\n");
  replace_and_hangup(absl::StrCat(lines, made->line, "\n"));
  for (const auto& [service, port] : ports) {
    EXPECT_EQ(eventually(service, late, 200), 200) << service;
    EXPECT_EQ(metrics_status(service, tokens_["ops"]), 200) << service;
  }

  // An invalid file: logged with file and line, the previous set stays.
  replace_and_hangup(absl::StrCat(lines, "late-ops operations not-a-hash\n"));
  for (const char* service : {"intake", "triage", "routing"}) {
    const std::string log_path = absl::StrCat(::testing::TempDir(), "/auth_", service, ".log");
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    // The failure names this test's own tokens file (other tests share the
    // log file).
    while (!absl::StrContains(ReadFile(log_path), absl::StrCat(tokens_file_, ":")) &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    const std::string log = ReadFile(log_path);
    EXPECT_THAT(log, HasSubstr("tokens_reload_failed")) << service;
    EXPECT_THAT(log, HasSubstr(absl::StrCat(tokens_file_, ":"))) << service;
    EXPECT_THAT(log, HasSubstr("tokens_reloaded")) << service;
    EXPECT_THAT(log, ::testing::Not(HasSubstr(late.substr(late.find('~'))))) << service;
    EXPECT_EQ(metrics_status(service, late), 200) << service;
  }

  // Revocation: a caller's line removed, its token stops working.
  std::string without_ops;
  for (const auto& [id, line] : token_lines_) {
    if (id != "ops") absl::StrAppend(&without_ops, line, "\n");
  }
  replace_and_hangup(without_ops);
  for (const auto& [service, port] : ports) {
    EXPECT_EQ(eventually(service, tokens_["ops"], 401), 401) << service;
    EXPECT_EQ(metrics_status(service, tokens_["root"]), 200) << service;
  }
  for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
    EXPECT_FALSE(service->Exited()) << "SIGHUP must not stop a service";
  }
}

TEST_F(AuthTest, WithoutATokensFileANonLoopbackHttpListenerRefusesToStart) {
  for (const char* binary : {INTAKE_BINARY, TRIAGE_BINARY, ROUTING_BINARY}) {
    ServiceProcess service(binary,
                           {absl::StrCat("--redis=", redis_url_),
                            absl::StrCat("--redis_prefix=", prefix_), "--http_listen=0.0.0.0:0"},
                           absl::StrCat(::testing::TempDir(), "/auth_open_http.log"));
    EXPECT_FALSE(service.Start(absl::Seconds(10)).ok()) << binary;
  }
  // On loopback it runs open.
  ServiceProcess routing(ROUTING_BINARY,
                         {absl::StrCat("--redis=", redis_url_),
                          absl::StrCat("--redis_prefix=", prefix_), "--http_listen=127.0.0.1:0"},
                         absl::StrCat(::testing::TempDir(), "/auth_open_http_loopback.log"));
  EXPECT_THAT(routing.Start(absl::Seconds(20)), IsOk());
  EXPECT_EQ(routing.Stop(), 0);
}

}  // namespace
}  // namespace referrals
