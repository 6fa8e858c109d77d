// Issue 8, who may do what, through the three real service processes and
// real Redis: every RPC of intake, triage and routing and intake's HTTP
// routes with no token, a wrong token and each role; a team acting on
// another authority's queue and referrals; a submitter reading another's
// referral; the caller id scoping request ids; submission rate limits; and
// the rule that without a tokens file a service serves only on loopback.
// Tokens are made at test time into a temporary tokens file.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <httplib.h>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/service/auth/grpc_auth.h"
#include "common/service/auth/token_store.h"
#include "gmock/gmock.h"
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
    std::remove(http_port_file_.c_str());
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
    triage_ = Service(TRIAGE_BINARY, "triage", {"--claim_idle_ms=1000"});
    routing_ = Service(ROUTING_BINARY, "routing", {"--claim_idle_ms=1000"});
    for (auto* service : {intake_.get(), triage_.get(), routing_.get()}) {
      ASSERT_THAT(service->Start(), IsOk());
    }
    http_port_ = ReadPortFile(http_port_file_);
    ASSERT_GT(http_port_, 0);
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

  httplib::Client Http() {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_read_timeout(10, 0);
    return client;
  }

  static httplib::Headers Bearer(const std::string& token) {
    return token.empty() ? httplib::Headers{}
                         : httplib::Headers{{"Authorization", absl::StrCat("Bearer ", token)}};
  }

  std::string dir_, tokens_file_, http_port_file_, redis_url_, prefix_;
  std::map<std::string, std::string> tokens_;
  int http_port_ = 0;
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
    location = created->get_header_value("Location");
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

}  // namespace
}  // namespace referrals
