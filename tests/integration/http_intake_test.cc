// The portal's HTTP intake through the real intake process and real Redis,
// with an httplib client on loopback: the answers docs/portal.md promises,
// the idempotency rules (per calling system), the correlation id on every
// response, the status view, /metrics and /healthz, and the failure answers
// (409 while in flight, 503 while Redis is down) against a redis-server of
// the test's own.
#include <fstream>
#include <httplib.h>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/redis/redis_connection.h"
#include "common/service/grpc_status.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"

namespace referrals {
namespace {

using referrals::testing::RedisServerProcess;
using referrals::testing::ServiceProcess;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kJson[] = "application/json";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A valid referral as the portal would send it; no request_id (the header
// carries it).
std::string ValidBody(const std::string& concern = "Synthetic concern for an HTTP test.") {
  return absl::StrCat(R"({
    "kind": "ADULT_SAFEGUARDING_CONCERN",
    "adult": {"given_name": "Synthia", "family_name": "Testcase",
              "home_address": {"postcode": "CM1 1XX"}},
    "harm_location": {"address": {"postcode": "SS1 2XX"}},
    "referrer": {"organisation": "Example Care Ltd", "phone": "01245 000000"},
    "concern": ")",
                      concern, R"(",
    "consent": "CONSENT_GIVEN",
    "channel": "CHANNEL_PORTAL"
  })");
}

google::protobuf::Struct ParseJson(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  return parsed;
}

std::string StringField(const google::protobuf::Struct& object, const std::string& name) {
  auto found = object.fields().find(name);
  return found == object.fields().end() ? "" : found->second.string_value();
}

std::vector<std::string> ViolationFields(const std::string& json) {
  std::vector<std::string> fields;
  google::protobuf::Struct body = ParseJson(json);
  const auto& error = body.fields().at("error").struct_value();
  for (const auto& detail : error.fields().at("details").list_value().values()) {
    for (const auto& violation :
         detail.struct_value().fields().at("field_violations").list_value().values()) {
      fields.push_back(StringField(violation.struct_value(), "field"));
    }
  }
  return fields;
}

// Waits for a file the service writes (its HTTP port) and reads the port.
int ReadPortFile(const std::string& path) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    int port = 0;
    if (absl::SimpleAtoi(ReadFile(path), &port) && port > 0) return port;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return 0;
}

// An intake process with its HTTP listener on a free port.
class HttpIntakeProcess {
 public:
  HttpIntakeProcess(const std::string& redis_url, const std::string& prefix,
                    const std::string& name, std::vector<std::string> extra = {})
      : port_file_(absl::StrCat(::testing::TempDir(), "/", name, "-", getpid(), ".http-port")) {
    std::remove(port_file_.c_str());
    std::vector<std::string> args = {
        absl::StrCat("--redis=", redis_url), absl::StrCat("--redis_prefix=", prefix),
        "--http_listen=127.0.0.1:0", absl::StrCat("--http_port_file=", port_file_),
        "--http_max_body_bytes=65536"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<ServiceProcess>(
        INTAKE_BINARY, args, absl::StrCat(::testing::TempDir(), "/", name, ".log"));
  }
  ~HttpIntakeProcess() { std::remove(port_file_.c_str()); }

  absl::Status Start(bool require_serving = true) {
    absl::Status started = process_->Start(absl::Seconds(20), require_serving);
    if (!started.ok()) return started;
    http_port_ = ReadPortFile(port_file_);
    if (http_port_ <= 0) return absl::DeadlineExceededError("no HTTP port file");
    return absl::OkStatus();
  }

  std::unique_ptr<httplib::Client> Client() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", http_port_);
    client->set_read_timeout(20, 0);
    return client;
  }
  ServiceProcess& process() { return *process_; }
  int http_port() const { return http_port_; }

 private:
  std::string port_file_;
  std::unique_ptr<ServiceProcess> process_;
  int http_port_ = 0;
};

httplib::Result Post(httplib::Client& client, const std::string& body, const std::string& key,
                     httplib::Headers extra = {}) {
  httplib::Headers headers = std::move(extra);
  if (!key.empty()) headers.emplace("Idempotency-Key", key);
  return client.Post("/v1/referrals", headers, body, kJson);
}

// Against the shared Redis (REDIS_URL), one intake for the suite.
class HttpIntakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisOptions(testing::RedisOptionsFromEnv());
    prefix_ = new std::string(testing::UniqueKeyPrefix());
    intake_ = new HttpIntakeProcess(absl::StrCat("redis://", redis_->host, ":", redis_->port),
                                    *prefix_, "intake-http");
    absl::Status started = intake_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(intake_->process().Stop(), 0);
    delete intake_;
    delete prefix_;
    delete redis_;
  }

  std::unique_ptr<httplib::Client> client() { return intake_->Client(); }

  // Keys under the suite's prefix that hold a referral record.
  int64_t ReferralRecords() {
    auto connection = RedisConnection::Connect(*redis_);
    EXPECT_TRUE(connection.ok());
    if (!connection.ok()) return -1;
    auto keys = (*connection)->Command({"KEYS", *prefix_ + "referral:R-*"});
    EXPECT_TRUE(keys.ok());
    int64_t records = 0;
    for (const RedisReply& key : keys->elements) {
      if (key.str.find(":history") == std::string::npos) ++records;
    }
    return records;
  }

  static RedisOptions* redis_;
  static std::string* prefix_;
  static HttpIntakeProcess* intake_;
};

RedisOptions* HttpIntakeTest::redis_ = nullptr;
std::string* HttpIntakeTest::prefix_ = nullptr;
HttpIntakeProcess* HttpIntakeTest::intake_ = nullptr;

TEST_F(HttpIntakeTest, CreatedThenRetryWithSameKeyAndBodyGivesTheSameReferral) {
  auto http = client();
  httplib::Result first = Post(*http, ValidBody(), "http-retry-1");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201) << first->body;
  google::protobuf::Struct created = ParseJson(first->body);
  const std::string id = StringField(created, "referral_id");
  EXPECT_THAT(id, StartsWith("R-"));
  EXPECT_EQ(first->get_header_value("Location"), "/v1/referrals/" + id);
  EXPECT_EQ(StringField(created, "status"), "REFERRAL_STATUS_RECEIVED");
  EXPECT_FALSE(StringField(created, "received_time").empty());
  EXPECT_EQ(StringField(created, "correlation_id"), first->get_header_value("X-Correlation-ID"));
  EXPECT_EQ(StringField(created.fields().at("links").struct_value(), "status"),
            "/v1/referrals/" + id);

  httplib::Result retry = Post(*http, ValidBody(), "http-retry-1");
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, 200) << retry->body;
  google::protobuf::Struct again = ParseJson(retry->body);
  EXPECT_EQ(StringField(again, "referral_id"), id);
  EXPECT_TRUE(again.fields().at("duplicate").bool_value());
  EXPECT_EQ(retry->get_header_value("Location"), "/v1/referrals/" + id);
}

TEST_F(HttpIntakeTest, SameKeyWithADifferentBodyIs422) {
  auto http = client();
  httplib::Result first = Post(*http, ValidBody("First synthetic concern."), "http-reuse-1");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201) << first->body;
  const int64_t records = ReferralRecords();
  httplib::Result reuse = Post(*http, ValidBody("Another synthetic concern."), "http-reuse-1");
  ASSERT_TRUE(reuse);
  EXPECT_EQ(reuse->status, 422) << reuse->body;
  EXPECT_THAT(reuse->body, Not(HasSubstr("Another synthetic")));
  EXPECT_EQ(ReferralRecords(), records);
}

TEST_F(HttpIntakeTest, EveryBadFieldIsListedWithoutItsValueAndNothingIsStored) {
  auto http = client();
  const int64_t records = ReferralRecords();
  const std::string body = R"({
    "kind": "ADULT_SAFEGUARDING_CONCERN",
    "adult": {"given_name": "Synthia", "home_address": {"postcode": "NOTAPOSTCODE"}},
    "harm_location": {"address": {"postcode": "ZZ99 BAD"}},
    "referrer": {"organisation": "Example Care Ltd", "phone": "call me maybe"},
    "concern": "   ",
    "consent": "CONSENT_GIVEN",
    "channel": "CHANNEL_PORTAL"
  })";
  httplib::Result result = Post(*http, body, "http-bad-1");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 400);
  const std::vector<std::string> fields = ViolationFields(result->body);
  EXPECT_THAT(fields, Contains("adult.home_address.postcode"));
  EXPECT_THAT(fields, Contains("harm_location.address.postcode"));
  EXPECT_THAT(fields, Contains("referrer.phone"));
  EXPECT_THAT(fields, Contains("concern"));
  for (const char* value : {"NOTAPOSTCODE", "ZZ99 BAD", "call me maybe", "Synthia"}) {
    EXPECT_THAT(result->body, Not(HasSubstr(value)));
  }
  EXPECT_EQ(ReferralRecords(), records);
}

TEST_F(HttpIntakeTest, HeaderProblemsAre400NamingTheHeader) {
  auto http = client();
  httplib::Result no_key = Post(*http, ValidBody(), "");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 400);
  EXPECT_THAT(ViolationFields(no_key->body), Contains("Idempotency-Key"));
  EXPECT_THAT(ViolationFields(no_key->body), Not(Contains("request_id")));

  httplib::Result bad_client =
      Post(*http, ValidBody(), "http-hdr-1", {{"X-Client-Id", "not valid!"}});
  ASSERT_TRUE(bad_client);
  EXPECT_EQ(bad_client->status, 400);
  EXPECT_THAT(ViolationFields(bad_client->body), Contains("X-Client-Id"));

  // A body request_id must equal the header.
  std::string body = ValidBody();
  body.insert(body.rfind('}'), R"(, "request_id": "something-else")");
  httplib::Result mismatch = Post(*http, body, "http-hdr-2");
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->status, 400) << mismatch->body;
  EXPECT_THAT(ViolationFields(mismatch->body), Contains("request_id"));

  // Equal is fine.
  body = ValidBody();
  body.insert(body.rfind('}'), R"(, "request_id": "http-hdr-3")");
  httplib::Result equal = Post(*http, body, "http-hdr-3");
  ASSERT_TRUE(equal);
  EXPECT_EQ(equal->status, 201) << equal->body;
}

TEST_F(HttpIntakeTest, BodyThatIsNotAReferralIs400) {
  auto http = client();
  for (const std::string& body :
       {std::string("{not json"), std::string(R"({"kind": "NO_SUCH_KIND"})"),
        std::string(R"({"unknown_field": 1})")}) {
    httplib::Result result = Post(*http, body, "http-notjson");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 400) << body;
    EXPECT_THAT(ViolationFields(result->body), Contains("body")) << body;
    EXPECT_THAT(result->body, Not(HasSubstr("NO_SUCH_KIND")));
  }
}

TEST_F(HttpIntakeTest, NotJsonIs415) {
  auto http = client();
  httplib::Headers headers = {{"Idempotency-Key", "http-415"}};
  httplib::Result result = http->Post("/v1/referrals", headers, ValidBody(), "text/plain");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 415);
  EXPECT_FALSE(result->get_header_value("X-Correlation-ID").empty());
}

TEST_F(HttpIntakeTest, BodyOverTheLimitIs413WithACorrelationId) {
  auto http = client();
  httplib::Result result =
      Post(*http, ValidBody(std::string(70000, 'c')), "http-413", {{"X-Correlation-ID", "big-1"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 413);
  EXPECT_EQ(result->get_header_value("X-Correlation-ID"), "big-1");
}

TEST_F(HttpIntakeTest, CorrelationIdIsEchoedWhenValidAndMintedOtherwise) {
  auto http = client();
  httplib::Result given =
      Post(*http, ValidBody(), "http-corr-1", {{"X-Correlation-ID", "portal-corr-42"}});
  ASSERT_TRUE(given);
  ASSERT_EQ(given->status, 201);
  EXPECT_EQ(given->get_header_value("X-Correlation-ID"), "portal-corr-42");
  EXPECT_EQ(StringField(ParseJson(given->body), "correlation_id"), "portal-corr-42");

  httplib::Result minted =
      Post(*http, ValidBody(), "http-corr-2", {{"X-Correlation-ID", "has space"}});
  ASSERT_TRUE(minted);
  ASSERT_EQ(minted->status, 201);
  EXPECT_THAT(minted->get_header_value("X-Correlation-ID"), StartsWith("C-"));
  EXPECT_EQ(StringField(ParseJson(minted->body), "correlation_id"),
            minted->get_header_value("X-Correlation-ID"));

  // Errors carry it too.
  httplib::Result missing =
      http->Get("/v1/referrals/R-20261123-000000000000", {{"X-Correlation-ID", "err-1"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->get_header_value("X-Correlation-ID"), "err-1");
  httplib::Result no_route = http->Get("/nowhere");
  ASSERT_TRUE(no_route);
  EXPECT_EQ(no_route->status, 404);
  EXPECT_THAT(no_route->get_header_value("X-Correlation-ID"), StartsWith("C-"));
}

TEST_F(HttpIntakeTest, StatusOfAReferralWithoutPersonalData) {
  auto http = client();
  httplib::Result created = Post(*http, ValidBody(), "http-status-1");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201);
  const std::string location = created->get_header_value("Location");
  httplib::Result status = http->Get(location);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200) << status->body;
  google::protobuf::Struct body = ParseJson(status->body);
  EXPECT_EQ("/v1/referrals/" + StringField(body, "referral_id"), location);
  EXPECT_FALSE(StringField(body, "status").empty());
  EXPECT_EQ(StringField(body, "correlation_id"), created->get_header_value("X-Correlation-ID"));
  for (const char* personal : {"Synthia", "Testcase", "CM1", "SS1", "Synthetic concern", "01245"}) {
    EXPECT_THAT(status->body, Not(HasSubstr(personal)));
  }

  httplib::Result unknown = http->Get("/v1/referrals/R-20261123-0123456789ab");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  httplib::Result malformed = http->Get("/v1/referrals/not-an-id");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_THAT(ViolationFields(malformed->body), Contains("referral_id"));
}

TEST_F(HttpIntakeTest, PortalExampleIsAccepted) {
  auto http = client();
  const std::string example = ReadFile(PORTAL_EXAMPLE);
  ASSERT_FALSE(example.empty());
  httplib::Result result = Post(*http, example, "http-example-1");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 201) << result->body;
  // It reports a suspected crime: the police signpost comes back at once.
  EXPECT_THAT(result->body, HasSubstr("signposts"));
  EXPECT_THAT(result->body, HasSubstr("POLICE"));
}

TEST_F(HttpIntakeTest, SameKeyFromTwoClientsMakesTwoReferrals) {
  auto http = client();
  httplib::Result a = Post(*http, ValidBody(), "http-shared-key", {{"X-Client-Id", "portal-a"}});
  httplib::Result b = Post(*http, ValidBody(), "http-shared-key", {{"X-Client-Id", "portal-b"}});
  httplib::Result anonymous = Post(*http, ValidBody(), "http-shared-key");
  ASSERT_TRUE(a && b && anonymous);
  EXPECT_EQ(a->status, 201);
  EXPECT_EQ(b->status, 201);
  EXPECT_EQ(anonymous->status, 201);
  const std::string id_a = StringField(ParseJson(a->body), "referral_id");
  const std::string id_b = StringField(ParseJson(b->body), "referral_id");
  EXPECT_NE(id_a, id_b);
  EXPECT_NE(StringField(ParseJson(anonymous->body), "referral_id"), id_a);
  httplib::Result a_again =
      Post(*http, ValidBody(), "http-shared-key", {{"X-Client-Id", "portal-a"}});
  ASSERT_TRUE(a_again);
  EXPECT_EQ(a_again->status, 200);
  EXPECT_EQ(StringField(ParseJson(a_again->body), "referral_id"), id_a);
}

TEST_F(HttpIntakeTest, GrpcSubmitIsScopedByClientIdMetadata) {
  auto stub =
      referrals::v1::IntakeService::NewStub(testing::TestChannel(intake_->process().address()));
  auto submit = [&](const std::string& client, referrals::v1::SubmitReferralResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!client.empty()) context.AddMetadata("x-client-id", client);
    referrals::v1::SubmitReferralRequest request;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(ValidBody(), request.mutable_referral()).ok());
    request.mutable_referral()->set_request_id("grpc-shared-key");
    return stub->SubmitReferral(&context, request, response);
  };
  referrals::v1::SubmitReferralResponse a, b, a_again, bad;
  ASSERT_TRUE(submit("system-a", &a).ok());
  ASSERT_TRUE(submit("system-b", &b).ok());
  ASSERT_TRUE(submit("system-a", &a_again).ok());
  EXPECT_NE(a.referral_id(), b.referral_id());
  EXPECT_EQ(a_again.referral_id(), a.referral_id());
  EXPECT_TRUE(a_again.duplicate());
  grpc::Status invalid = submit("bad id!", &bad);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const FieldViolation& violation : FieldViolationsOf(invalid)) {
    fields.push_back(violation.field);
  }
  EXPECT_THAT(fields, Contains("x-client-id"));

  // The HTTP client "system-a" shares the gRPC caller's scope: one system.
  httplib::Result http =
      Post(*client(), ValidBody(), "grpc-shared-key", {{"X-Client-Id", "system-a"}});
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 200) << http->body;
  EXPECT_EQ(StringField(ParseJson(http->body), "referral_id"), a.referral_id());
}

TEST_F(HttpIntakeTest, HealthzAndMetricsWithoutPersonalData) {
  auto http = client();
  ASSERT_TRUE(Post(*http, ValidBody(), "http-metrics-1"));
  ASSERT_TRUE(Post(*http, ValidBody(), "http-metrics-1"));          // a duplicate
  ASSERT_TRUE(Post(*http, "{}", "http-metrics-2"));                 // rejected
  ASSERT_TRUE(http->Get("/v1/referrals/R-20261123-00000000abcd"));  // 404, id not a label
  httplib::Result health = http->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  httplib::Result metrics = http->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->get_header_value("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  const std::string& text = metrics->body;
  EXPECT_THAT(text,
              HasSubstr("intake_referrals_accepted_total{kind=\"ADULT_SAFEGUARDING_CONCERN\"}"));
  EXPECT_THAT(text,
              HasSubstr("intake_referrals_duplicate_total{kind=\"ADULT_SAFEGUARDING_CONCERN\"}"));
  EXPECT_THAT(text, HasSubstr("intake_referrals_rejected_total{first_field=\"kind\"}"));
  EXPECT_THAT(text,
              HasSubstr("intake_submit_duration_seconds_bucket{transport=\"http\",le=\"+Inf\"}"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "intake_http_responses_total{method=\"POST\",route=\"/v1/referrals\",code=\"201\"}"));
  EXPECT_THAT(text, HasSubstr("route=\"/v1/referrals/{id}\""));
  EXPECT_THAT(text, HasSubstr("\nintake_redis_up 1\n"));
  EXPECT_THAT(text, HasSubstr("\nintake_http_submissions_in_flight 0\n"));
  for (const char* personal : {"Synthia", "CM1 1XX", "R-20", "http-metrics"}) {
    EXPECT_THAT(text, Not(HasSubstr(personal)));
  }
}

// With a redis-server of the test's own, which the test pauses and stops.
class HttpIntakeOwnRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    intake_ = std::make_unique<HttpIntakeProcess>(redis_.url(), testing::UniqueKeyPrefix(),
                                                  "intake-http-own-redis");
    absl::Status started = intake_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  void TearDown() override {
    if (intake_ != nullptr) {
      EXPECT_EQ(intake_->process().Stop(), 0);
    }
  }

  double InFlightGauge() {
    httplib::Result metrics = intake_->Client()->Get("/metrics");
    if (!metrics) return -1;
    for (absl::string_view line : absl::StrSplit(metrics->body, '\n')) {
      double value = 0;
      if (absl::ConsumePrefix(&line, "intake_http_submissions_in_flight ") &&
          absl::SimpleAtod(line, &value)) {
        return value;
      }
    }
    return -1;
  }

  RedisServerProcess redis_{"no"};
  std::unique_ptr<HttpIntakeProcess> intake_;
};

TEST_F(HttpIntakeOwnRedisTest, SecondRequestWithAKeyInFlightIs409) {
  auto control = RedisConnection::Connect(redis_.options());
  ASSERT_TRUE(control.ok());
  // Writes (and scripts) wait while Redis is paused: the first request is
  // held in the store, in flight, until the pause ends or its command
  // deadline passes.
  ASSERT_TRUE((*control)->Command({"CLIENT", "PAUSE", "30000", "WRITE"}).ok());
  httplib::Result first_result{nullptr, httplib::Error::Unknown};
  std::thread first([&] {
    auto http = intake_->Client();
    first_result = Post(*http, ValidBody(), "http-inflight-1");
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (InFlightGauge() < 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(InFlightGauge(), 1) << "the first request never reached the store";

  auto http = intake_->Client();
  httplib::Result second = Post(*http, ValidBody(), "http-inflight-1");
  // Another client's same key is not this one's: not 409 (it is held too, so
  // it is not sent here; the unit test covers it).
  ASSERT_TRUE((*control)->Command({"CLIENT", "UNPAUSE"}).ok());
  first.join();

  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409) << second->body;
  EXPECT_EQ(second->get_header_value("Retry-After"), "1");
  // The first either stored (201) or hit its Redis deadline (503, retry).
  ASSERT_TRUE(first_result);
  EXPECT_THAT(first_result->status, ::testing::AnyOf(201, 503));
  httplib::Result retry = Post(*http, ValidBody(), "http-inflight-1");
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, first_result->status == 201 ? 200 : 201) << retry->body;
  if (first_result->status == 201) {
    EXPECT_EQ(StringField(ParseJson(retry->body), "referral_id"),
              StringField(ParseJson(first_result->body), "referral_id"));
  }
}

TEST_F(HttpIntakeOwnRedisTest, RedisDownIs503WithRetryAfterAndHealthzFollows) {
  ASSERT_EQ(redis_.Stop(), 0);
  auto http = intake_->Client();
  httplib::Result down = Post(*http, ValidBody(), "http-down-1");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503) << down->body;
  EXPECT_EQ(down->get_header_value("Retry-After"), "2");
  EXPECT_FALSE(down->get_header_value("X-Correlation-ID").empty());

  // The health monitor notices within its interval.
  int health = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    httplib::Result result = http->Get("/healthz");
    if (result) health = result->status;
    if (health == 503) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(health, 503);

  ASSERT_TRUE(redis_.Start().ok());
  httplib::Result back = Post(*http, ValidBody(), "http-down-1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 201) << back->body;
}

}  // namespace
}  // namespace referrals
