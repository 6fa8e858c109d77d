// Issue 6 part 3: what operations staff see, through the three real service
// processes and real Redis. Referrals go in through the portal's HTTP intake;
// then triage's and routing's /metrics must show them processed (counters,
// latency histograms, consumer stats, scrape-time queue gauges), routing's
// /api/queues and /api/referrals/{id} must show where they went and why, and
// none of the synthetic personal details in the requests may appear in any
// metric, label or JSON answer.
#include <cstdio>
#include <fstream>
#include <functional>
#include <httplib.h>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"

namespace referrals {
namespace {

using referrals::testing::ServiceProcess;
using ::testing::HasSubstr;
using ::testing::Not;

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

// One service process with its HTTP listener on a free port.
class HttpServiceProcess {
 public:
  HttpServiceProcess(const std::string& binary, const std::string& redis_url,
                     const std::string& prefix, const std::string& name)
      : port_file_(absl::StrCat(::testing::TempDir(), "/", name, "-", getpid(), ".http-port")) {
    std::remove(port_file_.c_str());
    process_ = std::make_unique<ServiceProcess>(
        binary,
        std::vector<std::string>{
            absl::StrCat("--redis=", redis_url), absl::StrCat("--redis_prefix=", prefix),
            "--http_listen=127.0.0.1:0", absl::StrCat("--http_port_file=", port_file_)},
        absl::StrCat(::testing::TempDir(), "/", name, ".log"));
  }
  ~HttpServiceProcess() { std::remove(port_file_.c_str()); }

  absl::Status Start() {
    absl::Status started = process_->Start();
    if (!started.ok()) return started;
    http_port_ = ReadPortFile(port_file_);
    return http_port_ > 0 ? absl::OkStatus() : absl::DeadlineExceededError("no HTTP port file");
  }
  int Stop() { return process_->Stop(); }

  // GET `path`; the body, or "" (and a test failure) when not answered 200.
  std::string Get(const std::string& path, int expected_status = 200) const {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_read_timeout(10, 0);
    httplib::Result result = client.Get(path);
    EXPECT_TRUE(result) << path;
    if (!result) return "";
    EXPECT_EQ(result->status, expected_status) << path << ": " << result->body;
    return result->body;
  }
  httplib::Result Post(const std::string& body, const std::string& key) const {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_read_timeout(10, 0);
    return client.Post("/v1/referrals", {{"Idempotency-Key", key}}, body, "application/json");
  }

 private:
  std::string port_file_;
  std::unique_ptr<ServiceProcess> process_;
  int http_port_ = 0;
};

// Sum of the samples of `metric` (exact name, any labels) whose label text
// contains every one of `label_parts`.
double Sum(const std::string& exposition, const std::string& metric,
           const std::vector<std::string>& label_parts = {}) {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos || line.substr(0, name_end) != metric) continue;
    const size_t space = line.rfind(' ');
    const absl::string_view labels = line.substr(name_end, space - name_end);
    bool match = true;
    for (const std::string& part : label_parts) match = match && absl::StrContains(labels, part);
    double value = 0;
    if (match && absl::SimpleAtod(line.substr(space + 1), &value)) sum += value;
  }
  return sum;
}

google::protobuf::Struct ParseJson(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  return parsed;
}

// A second referral, with other synthetic details: lives in Chelmsford, harm
// in Southend.
constexpr char kSecondReferral[] = R"({
  "kind": "ADULT_SAFEGUARDING_CONCERN",
  "adult": {"given_name": "Synthia", "family_name": "Testcase",
            "home_address": {"postcode": "CM1 1XX"}},
  "harm_location": {"address": {"postcode": "SS1 2XX"}},
  "referrer": {"organisation": "Example Care Ltd", "phone": "01245 000000"},
  "concern": "Synthetic concern for the operations test.",
  "consent": "CONSENT_GIVEN",
  "channel": "CHANNEL_PORTAL"
})";

// Details from the two requests that must never be served back.
const std::vector<std::string> kPersonal = {"Edith",
                                            "Exampleton",
                                            "SS14 1XX",
                                            "SS15 5XX",
                                            "Sample Road",
                                            "Jordan",
                                            "bruising",
                                            "01268",
                                            "Synthia",
                                            "Testcase",
                                            "CM1 1XX",
                                            "SS1 2XX",
                                            "Synthetic concern",
                                            "01245",
                                            "SS141",
                                            "SS155",
                                            "CM11",
                                            "SS12"};

void ExpectNoPersonalData(const std::string& body, const std::string& what) {
  for (const std::string& personal : kPersonal) {
    EXPECT_THAT(body, Not(HasSubstr(personal))) << what << " carries \"" << personal << "\"";
  }
}

class OperationsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const RedisOptions redis = testing::RedisOptionsFromEnv();
    const std::string url = absl::StrCat("redis://", redis.host, ":", redis.port);
    const std::string prefix = testing::UniqueKeyPrefix();
    intake_ = std::make_unique<HttpServiceProcess>(INTAKE_BINARY, url, prefix, "ops-intake");
    triage_ = std::make_unique<HttpServiceProcess>(TRIAGE_BINARY, url, prefix, "ops-triage");
    routing_ = std::make_unique<HttpServiceProcess>(ROUTING_BINARY, url, prefix, "ops-routing");
    for (HttpServiceProcess* service : {intake_.get(), triage_.get(), routing_.get()}) {
      absl::Status started = service->Start();
      ASSERT_TRUE(started.ok()) << started;
    }
  }
  void TearDown() override {
    for (auto* service : {&routing_, &triage_, &intake_}) {
      if (*service != nullptr) {
        EXPECT_EQ((*service)->Stop(), 0);
      }
    }
  }

  // Submits both referrals; returns their ids.
  std::vector<std::string> SubmitBoth() {
    std::vector<std::string> ids;
    int n = 0;
    for (const std::string& body : {ReadFile(PORTAL_EXAMPLE), std::string(kSecondReferral)}) {
      httplib::Result created = intake_->Post(body, absl::StrCat("ops-test-", ++n));
      EXPECT_TRUE(created);
      if (!created) continue;
      EXPECT_EQ(created->status, 201) << created->body;
      google::protobuf::Struct answer = ParseJson(created->body);
      ids.push_back(answer.fields().at("referral_id").string_value());
    }
    return ids;
  }

  // Scrapes routing's /metrics until `done` holds (or 30 s pass); returns
  // the last scrape.
  std::string ScrapeRoutingUntil(const std::function<bool(const std::string&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    std::string metrics;
    do {
      metrics = routing_->Get("/metrics");
      if (done(metrics)) break;
      absl::SleepFor(absl::Milliseconds(100));
    } while (absl::Now() < deadline);
    return metrics;
  }

  std::unique_ptr<HttpServiceProcess> intake_;
  std::unique_ptr<HttpServiceProcess> triage_;
  std::unique_ptr<HttpServiceProcess> routing_;
};

TEST_F(OperationsHttpTest, MetricsCountRoutedReferralsWithoutPersonalData) {
  const std::string before = routing_->Get("/metrics");
  EXPECT_EQ(Sum(before, "routing_referrals_processed_total"), 0);
  EXPECT_THAT(before, HasSubstr("# TYPE routing_queue_waiting gauge"));
  EXPECT_EQ(Sum(before, "routing_redis_up"), 1);

  const std::vector<std::string> ids = SubmitBoth();
  ASSERT_EQ(ids.size(), 2u);
  const std::string routing = ScrapeRoutingUntil([](const std::string& metrics) {
    return Sum(metrics, "routing_referrals_processed_total") >= 2 &&
           Sum(metrics, "routing_consumer_processed_total") >= 2 &&
           Sum(metrics, "routing_queue_waiting") >= 2;
  });
  const std::string triage = triage_->Get("/metrics");

  // Triage: by kind and priority, its latency, its consumer.
  EXPECT_EQ(
      Sum(triage, "triage_referrals_processed_total", {"kind=\"ADULT_SAFEGUARDING_CONCERN\""}), 2);
  EXPECT_EQ(Sum(triage, "triage_received_to_triaged_seconds_count"), 2);
  EXPECT_EQ(Sum(triage, "triage_consumer_processed_total"), 2);
  EXPECT_EQ(Sum(triage, "triage_consumer_dead_lettered_total"), 0);
  EXPECT_EQ(Sum(triage, "triage_redis_up"), 1);

  // Routing: by kind, outcome, authority, team and queue; the harm in
  // Basildon goes to Essex, the harm in Southend to Southend.
  EXPECT_EQ(Sum(routing, "routing_referrals_processed_total"), 2);
  EXPECT_EQ(Sum(routing, "routing_referrals_processed_total",
                {"kind=\"ADULT_SAFEGUARDING_CONCERN\"", "outcome=\"ROUTING_OUTCOME_TEAM\"",
                 "authority=\"SOUTHEND\"", "queue=\"southend-front-door\""}),
            1);
  EXPECT_EQ(Sum(routing, "routing_referrals_processed_total", {"authority=\"ESSEX\""}), 1);
  EXPECT_EQ(Sum(routing, "routing_received_to_routed_seconds_count"), 2);
  EXPECT_EQ(Sum(routing, "routing_consumer_processed_total"), 2);
  EXPECT_EQ(Sum(routing, "routing_consumer_dead_lettered_total"), 0);
  // Scrape-time gauges from Redis.
  EXPECT_EQ(Sum(routing, "routing_queue_waiting"), 2);
  EXPECT_EQ(Sum(routing, "routing_queue_waiting", {"queue=\"southend-front-door\""}), 1);
  EXPECT_EQ(Sum(routing, "routing_queue_stream_entries"), 2);
  EXPECT_GE(Sum(routing, "routing_queue_oldest_waiting_seconds", {"queue=\"southend-front-door\""}),
            0);
  EXPECT_EQ(Sum(routing, "routing_queue_overdue"), 0);
  EXPECT_EQ(Sum(routing, "routing_dead_letters"), 0);
  EXPECT_EQ(Sum(routing, "routing_consumer_lag"), 0);
  EXPECT_EQ(Sum(routing, "routing_consumer_pending"), 0);
  EXPECT_EQ(Sum(routing, "routing_scrape_errors_total"), 0);

  const std::string intake = intake_->Get("/metrics");
  ExpectNoPersonalData(intake, "intake /metrics");
  ExpectNoPersonalData(triage, "triage /metrics");
  ExpectNoPersonalData(routing, "routing /metrics");
  for (const std::string& id : ids) {
    EXPECT_THAT(routing, Not(HasSubstr(id))) << "a referral id in a label";
  }
}

TEST_F(OperationsHttpTest, HealthzAnswersServingOnEveryService) {
  for (HttpServiceProcess* service : {intake_.get(), triage_.get(), routing_.get()}) {
    EXPECT_EQ(service->Get("/healthz"), R"({"status":"SERVING"})");
  }
}

TEST_F(OperationsHttpTest, DashboardJsonShowsQueuesAndReferralWithoutPersonalData) {
  const std::vector<std::string> ids = SubmitBoth();
  ASSERT_EQ(ids.size(), 2u);
  ScrapeRoutingUntil(
      [](const std::string& metrics) { return Sum(metrics, "routing_queue_waiting") >= 2; });

  const std::string queues = routing_->Get("/api/queues");
  google::protobuf::Struct parsed = ParseJson(queues);
  EXPECT_EQ(parsed.fields().at("dead_letters").number_value(), 0);
  EXPECT_EQ(parsed.fields().at("outcomes").struct_value().fields().at("TEAM").number_value(), 2);
  double waiting = 0;
  std::vector<std::string> authorities;
  for (const auto& authority : parsed.fields().at("authorities").list_value().values()) {
    authorities.push_back(authority.struct_value().fields().at("id").string_value());
    waiting += authority.struct_value().fields().at("waiting").number_value();
  }
  EXPECT_EQ(waiting, 2);
  EXPECT_THAT(authorities, ::testing::IsSupersetOf({"ESSEX", "SOUTHEND", "THURROCK", ""}));
  ExpectNoPersonalData(queues, "/api/queues");

  for (const std::string& id : ids) {
    const std::string body = routing_->Get("/api/referrals/" + id);
    google::protobuf::Struct referral = ParseJson(body);
    EXPECT_EQ(referral.fields().at("referral_id").string_value(), id);
    EXPECT_EQ(referral.fields().at("status").string_value(), "ROUTED");
    EXPECT_EQ(referral.fields().at("outcome").string_value(), "TEAM");
    EXPECT_GE(referral.fields().at("history").list_value().values_size(), 3);
    EXPECT_GE(referral.fields().at("reasons").list_value().values_size(), 1);
    ExpectNoPersonalData(body, "/api/referrals/{id}");
  }
  routing_->Get("/api/referrals/R-20000101-000000000000", 404);
  routing_->Get("/api/referrals/not%20an%20id", 400);

  const std::string page = routing_->Get("/dashboard");
  EXPECT_THAT(page, HasSubstr("/api/queues"));
  EXPECT_THAT(page, Not(HasSubstr("http://")));
  EXPECT_THAT(page, Not(HasSubstr("https://")));
  EXPECT_EQ(routing_->Get("/"), page);
}

}  // namespace
}  // namespace referrals
