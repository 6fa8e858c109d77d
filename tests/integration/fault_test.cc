// Fault injection, "nothing lost, nothing twice": the three services as real
// processes over real Redis, with a service SIGKILLed or SIGTERMed, Redis
// SIGKILLed and restarted, replicas sharing a group and poison entries, while
// referrals flow. After each run every referral intake answered OK must be on
// exactly one destination queue, once, and no request id may have produced
// two referrals.
//
// Tests that never restart Redis use the shared server (REDIS_URL) under a
// key prefix of their own; tests that restart it run their own redis-server
// (RedisServerProcess) with `appendfsync always`: Redis then fsyncs every
// write before it replies, so "intake answered OK" implies "on disk", which
// is what these tests assert. With `everysec` a crash may lose up to a
// second or two of acknowledged writes (more when fsync lags and Redis
// postpones its writes), and an OK'd referral could vanish.
//
// REFERRALS_FAULT_SCALE (default 1.0) scales the referral counts, e.g. 0.25
// under the sanitizers.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <grpcpp/grpcpp.h>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/referral_sealing.h"
#include "common/pipeline/events.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stream_consumer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/events.pb.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "referrals/v1/record.pb.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"

namespace referrals {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using referrals::testing::RedisServerProcess;
using referrals::testing::ServiceProcess;
using referrals::v1::Referral;

constexpr int kClientThreads = 4;
constexpr int kGraceSeconds = 3;  // --shutdown_grace_seconds for every service
constexpr int kClaimIdleMs = 500;

// REFERRALS_FAULT_SCALE times `count`, at least 40.
int Scaled(int count) {
  static const double scale = [] {
    double value = 1.0;
    const char* env = std::getenv("REFERRALS_FAULT_SCALE");
    if (env != nullptr && *env != '\0' && (!absl::SimpleAtod(env, &value) || value <= 0)) {
      ADD_FAILURE() << "REFERRALS_FAULT_SCALE must be a positive number, got " << env;
      value = 1.0;
    }
    return value;
  }();
  return std::max(40, static_cast<int>(count * scale));
}

// Synthetic referrals, as in pipeline_test.cc, spread over kinds and the
// team, split-sector (manual triage) and out-of-area outcomes.
Referral MakeReferral(int i, const std::string& request_id) {
  static const char* const kPostcodes[] = {"CO2 7AB", "SS1 2AB",  "CM2 6AB",
                                           "CB2 1AB", "RM17 6AB", "CM1 4ZZ"};
  static const referrals::v1::ReferralKind kKinds[] = {
      referrals::v1::COMMUNITY_EQUIPMENT, referrals::v1::SENSORY_SUPPORT,
      referrals::v1::CARE_TECHNOLOGY, referrals::v1::ADULT_SAFEGUARDING_CONCERN};
  Referral referral;
  referral.set_kind(kKinds[i % 4]);
  referral.mutable_adult()->set_given_name("Synthetic");
  referral.mutable_adult()->set_family_name(absl::StrCat("Person ", i));
  referral.mutable_adult()->mutable_home_address()->set_postcode(kPostcodes[i % 6]);
  if (kKinds[i % 4] == referrals::v1::ADULT_SAFEGUARDING_CONCERN && i % 3 == 0) {
    referral.mutable_harm_location()->mutable_address()->set_postcode(kPostcodes[(i + 1) % 6]);
  }
  referral.mutable_referrer()->set_organisation("Example Care Ltd");
  referral.mutable_referrer()->set_phone("01245 000000");
  referral.set_concern("Synthetic fault-test concern.");
  referral.set_consent(referrals::v1::CONSENT_GIVEN);
  referral.set_channel(referrals::v1::CHANNEL_API);
  referral.set_request_id(request_id);
  return referral;
}

bool Retryable(grpc::StatusCode code) {
  // UNAVAILABLE: intake down, restarting, or Redis down. DEADLINE_EXCEEDED
  // and CANCELLED: the outcome is unknown. All are safe to retry with the
  // same request id.
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::CANCELLED;
}

// Where intake is now: a restarted intake listens on a new port.
class IntakeEndpoint {
 public:
  void Set(std::string address) {
    absl::MutexLock lock(&mu_);
    address_ = std::move(address);
  }
  std::string Get() const {
    absl::MutexLock lock(&mu_);
    return address_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string address_;
};

// Submits `count` referrals with unique request ids from several threads,
// like portals would: an UNAVAILABLE (or unknown) outcome is retried with
// the same request id, against wherever intake is by then, until intake
// answers OK.
class ReferralLoad {
 public:
  ReferralLoad(const IntakeEndpoint* intake, std::string tag, int count)
      : intake_(intake), tag_(std::move(tag)), count_(count), ids_(count) {}
  // A test that failed half-way must not wait for every request to give up.
  ~ReferralLoad() {
    stop_ = true;
    Join();
  }

  void Start() {
    for (int t = 0; t < kClientThreads; ++t) threads_.emplace_back([this] { Client(); });
  }
  void Join() {
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  std::string RequestId(int i) const { return absl::StrCat(tag_, "-", i); }
  int count() const { return count_; }
  int64_t accepted() const { return accepted_.load(); }
  // After Join(): the referral id intake gave each request (empty if none).
  const std::vector<std::string>& ids() const { return ids_; }
  int64_t retried_requests() const { return retried_requests_.load(); }
  int64_t unavailable_answers() const { return unavailable_answers_.load(); }
  int64_t duplicate_answers() const { return duplicate_answers_.load(); }
  std::vector<std::string> failures() const {
    absl::MutexLock lock(&mu_);
    return failures_;
  }

 private:
  void Client() {
    std::string address;
    std::unique_ptr<referrals::v1::IntakeService::Stub> stub;
    for (int i = next_++; i < count_ && !stop_; i = next_++) {
      referrals::v1::SubmitReferralRequest request;
      *request.mutable_referral() = MakeReferral(i, RequestId(i));
      const absl::Time give_up = absl::Now() + absl::Seconds(60);
      absl::Duration backoff = absl::Milliseconds(10);
      bool retried = false;
      while (!stop_) {
        if (std::string now = intake_->Get(); now != address || stub == nullptr) {
          address = now;
          stub = referrals::v1::IntakeService::NewStub(testing::TestChannel(address));
        }
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
        referrals::v1::SubmitReferralResponse response;
        const grpc::Status status = stub->SubmitReferral(&context, request, &response);
        if (status.ok()) {
          ids_[i] = response.referral_id();
          if (response.duplicate()) ++duplicate_answers_;
          ++accepted_;
          break;
        }
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) ++unavailable_answers_;
        if (!Retryable(status.error_code()) || absl::Now() > give_up) {
          absl::MutexLock lock(&mu_);
          failures_.push_back(absl::StrCat(RequestId(i), ": ", status.error_code(), " ",
                                           status.error_message()));
          break;
        }
        if (!retried) ++retried_requests_;
        retried = true;
        absl::SleepFor(backoff);
        backoff = std::min(backoff * 2, absl::Milliseconds(200));
      }
    }
  }

  const IntakeEndpoint* const intake_;
  const std::string tag_;
  const int count_;
  std::vector<std::string> ids_;  // each index written by one thread only
  std::atomic<int> next_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> accepted_{0};
  std::atomic<int64_t> retried_requests_{0};
  std::atomic<int64_t> unavailable_answers_{0};
  std::atomic<int64_t> duplicate_answers_{0};
  mutable absl::Mutex mu_;
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

// What a run's end state shows.
struct Outcome {
  int64_t accepted = 0;     // referrals intake answered OK for
  int64_t queued = 0;       // entries on destination queues
  int64_t lost = 0;         // accepted, on no queue
  int64_t duplicated = 0;   // accepted, on a queue more than once (or on two)
  int64_t unexpected = 0;   // queued, never accepted by a client
  int64_t split_requests = 0;  // request ids with more than one referral
  std::map<std::string, int> by_worker;  // triage and routing steps per consumer
};

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = testing::UniqueKeyPrefix();
    char dir_template[] = "/tmp/referrals-fault-XXXXXX";
    const char* dir = mkdtemp(dir_template);
    ASSERT_NE(dir, nullptr);
    log_dir_ = dir;
  }

  void TearDown() override {
    // SIGTERM must always drain to exit 0; stop in pipeline order.
    for (ServiceProcess* service : AllServices()) {
      if (service->running()) {
        EXPECT_EQ(service->Stop(), 0) << "service logs in " << log_dir_;
      }
    }
    if (HasFailure()) {
      std::cout << "[fault] service logs kept in " << log_dir_ << "\n";
    } else {
      std::error_code ignored;
      std::filesystem::remove_all(log_dir_, ignored);
      // The shared server outlives this test: leave nothing behind in it.
      if (redis_ != nullptr && own_redis_ == nullptr) DeleteKeys();
    }
  }

  // Connects to the shared server (REDIS_URL) or, with `own`, to a
  // RedisServerProcess that the test will crash.
  void ConnectRedis(RedisServerProcess* own = nullptr) {
    own_redis_ = own;
    redis_options_ = own != nullptr ? own->options() : testing::RedisOptionsFromEnv();
    redis_url_ = absl::StrCat("redis://", redis_options_.host, ":", redis_options_.port);
    auto connection = RedisConnection::Connect(redis_options_);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
  }

  // A service on this test's Redis and prefix; not started.
  ServiceProcess* AddService(const char* binary, const std::string& name) {
    std::vector<std::string> args = {absl::StrCat("--redis=", redis_url_),
                                     absl::StrCat("--redis_prefix=", prefix_),
                                     absl::StrCat("--shutdown_grace_seconds=", kGraceSeconds)};
    if (name != "intake") {
      // Consumer names must be stable across restarts (a restarted consumer
      // re-reads its own pending entries first) and distinct per replica.
      args.push_back(absl::StrCat("--consumer=", name));
      args.push_back(absl::StrCat("--claim_idle_ms=", kClaimIdleMs));
    }
    services_.push_back(std::make_unique<ServiceProcess>(
        binary, std::move(args), absl::StrCat(log_dir_, "/", name, ".log")));
    return services_.back().get();
  }

  // Intake, triage and routing, one each, started.
  void StartPipeline() {
    intake_ = AddService(INTAKE_BINARY, "intake");
    triage_ = AddService(TRIAGE_BINARY, "triage-a");
    routing_ = AddService(ROUTING_BINARY, "routing-a");
    for (ServiceProcess* service : {intake_, triage_, routing_}) {
      absl::Status started = service->Start();
      ASSERT_TRUE(started.ok()) << started;
    }
    endpoint_.Set(intake_->address());
  }

  std::vector<ServiceProcess*> AllServices() {
    std::vector<ServiceProcess*> all;
    for (auto& service : services_) all.push_back(service.get());
    return all;
  }

  std::string Key(absl::string_view name) const { return absl::StrCat(prefix_, name); }

  // XLEN, or -1 while Redis cannot say (it may be down on purpose).
  int64_t Length(const std::string& key) {
    auto reply = redis_->Command({"XLEN", key});
    return reply.ok() ? reply->integer : -1;
  }
  int64_t Submitted() { return Length(Key("stream:submitted")); }
  int64_t Triaged() { return Length(Key("stream:triaged")); }
  int64_t Routed() { return Length(Key("stream:routed")); }

  // Entries delivered to `group` and not acknowledged; -1 on error.
  int64_t Pending(const std::string& stream, const std::string& group) {
    auto reply = redis_->Command({"XPENDING", stream, group});
    if (!reply.ok() || !reply->is_array() || reply->elements.empty()) return -1;
    return reply->elements[0].integer;
  }

  std::vector<StreamEntry> Range(const std::string& key) {
    auto reply = redis_->Command({"XRANGE", key, "-", "+"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? ParseStreamEntries(*reply) : std::vector<StreamEntry>{};
  }

  // Every referral id on every destination queue, with how often.
  std::map<std::string, int> QueuedIds() {
    std::map<std::string, int> counts;
    auto keys = redis_->Command({"KEYS", Key("queue:*")});
    EXPECT_TRUE(keys.ok()) << keys.status();
    if (!keys.ok()) return counts;
    for (const RedisReply& key : keys->elements) {
      for (const StreamEntry& entry : Range(key.str)) ++counts[entry.referral_id];
    }
    return counts;
  }

  // Polls `done` every 10 ms until it holds or `timeout` passes.
  static bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return done();
  }

  // Waits for the pipeline to settle, then checks that every id in
  // `accepted` (index = request number of `load`) is on exactly one queue
  // once, that nothing else is, that each request id produced exactly one
  // referral and each referral's history has one entry per stage, and that
  // nothing is left pending or dead-lettered.
  Outcome ExpectExactlyOnce(const ReferralLoad& load) {
    Outcome outcome;
    std::set<std::string> accepted;
    for (const std::string& id : load.ids()) {
      if (!id.empty()) accepted.insert(id);
    }
    outcome.accepted = static_cast<int64_t>(accepted.size());
    EXPECT_THAT(load.failures(), ::testing::IsEmpty());
    EXPECT_EQ(load.accepted(), load.count()) << "every request is eventually answered OK";
    EXPECT_EQ(outcome.accepted, load.count()) << "distinct requests got distinct referrals";

    const bool settled = WaitFor(
        [&] {
          return Routed() >= outcome.accepted &&
                 Pending(Key("stream:submitted"), kTriageGroup) == 0 &&
                 Pending(Key("stream:triaged"), kRoutingGroup) == 0;
        },
        absl::Seconds(60));
    EXPECT_TRUE(settled) << "routed " << Routed() << " of " << outcome.accepted
                         << "; logs in " << log_dir_;

    const std::map<std::string, int> queued = QueuedIds();
    for (const auto& [id, times] : queued) {
      outcome.queued += times;
      if (!accepted.contains(id)) ++outcome.unexpected;
    }
    for (const std::string& id : accepted) {
      auto found = queued.find(id);
      if (found == queued.end()) {
        ++outcome.lost;
        if (outcome.lost <= 5) ADD_FAILURE() << "lost: " << id;
      } else if (found->second > 1) {
        ++outcome.duplicated;
        if (outcome.duplicated <= 5) ADD_FAILURE() << "queued " << found->second << "x: " << id;
      }
    }
    EXPECT_EQ(outcome.lost, 0);
    EXPECT_EQ(outcome.duplicated, 0);
    EXPECT_EQ(outcome.unexpected, 0);
    EXPECT_EQ(outcome.queued, outcome.accepted);
    EXPECT_EQ(Routed(), outcome.accepted) << "stream:routed has one event per referral";
    EXPECT_EQ(Triaged(), outcome.accepted) << "stream:triaged has one event per referral";
    EXPECT_EQ(Length(Key("stream:deadletter")), 0) << "no good referral is dead-lettered";

    // Intake's own output: one submitted event per referral, and each
    // request id behind exactly one referral, the one its caller was told.
    std::map<std::string, std::set<std::string>> by_request;
    const std::vector<StreamEntry> submitted = Range(Key("stream:submitted"));
    for (const StreamEntry& entry : submitted) {
      referrals::v1::ReferralSubmitted event;
      EXPECT_TRUE(event.ParseFromString(entry.payload)) << entry.id;
      // The services run without a data key: the referral is "sealed" in
      // clear (key id empty), which any keyring opens.
      absl::StatusOr<referrals::v1::Referral> referral = OpenReferral(
          *DataKeyring::Disabled(), entry.referral_id, event.sealed_referral());
      EXPECT_TRUE(referral.ok()) << referral.status();
      if (referral.ok()) by_request[referral->request_id()].insert(entry.referral_id);
    }
    EXPECT_EQ(static_cast<int64_t>(submitted.size()), outcome.accepted);
    for (int i = 0; i < load.count(); ++i) {
      const std::set<std::string>& ids = by_request[load.RequestId(i)];
      if (ids.size() != 1) {
        ++outcome.split_requests;
        if (outcome.split_requests <= 5) {
          ADD_FAILURE() << load.RequestId(i) << " produced " << ids.size() << " referrals";
        }
      } else {
        EXPECT_EQ(*ids.begin(), load.ids()[i]) << load.RequestId(i);
      }
    }
    EXPECT_EQ(outcome.split_requests, 0);

    outcome.by_worker = ExpectOneHistoryEntryPerStage(accepted);
    return outcome;
  }

  // Every referral's history: intake, triage, routing, once each. Returns
  // how many triage and routing steps each worker (consumer name) did.
  std::map<std::string, int> ExpectOneHistoryEntryPerStage(const std::set<std::string>& ids) {
    std::map<std::string, int> by_worker;
    std::vector<std::string> all(ids.begin(), ids.end());
    int bad = 0;
    for (size_t start = 0; start < all.size(); start += 500) {
      std::vector<std::vector<std::string>> commands;
      for (size_t i = start; i < std::min(all.size(), start + 500); ++i) {
        commands.push_back({"LRANGE", Key(absl::StrCat("referral:", all[i], ":history")), "0",
                            "-1"});
      }
      auto replies = redis_->Pipeline(commands);
      EXPECT_TRUE(replies.ok()) << replies.status();
      if (!replies.ok()) return by_worker;
      for (size_t r = 0; r < replies->size(); ++r) {
        std::vector<referrals::v1::Stage> stages;
        for (const RedisReply& item : (*replies)[r].elements) {
          referrals::v1::StageEntry entry;
          EXPECT_TRUE(entry.ParseFromString(item.str));
          stages.push_back(entry.stage());
          if (entry.stage() != referrals::v1::STAGE_INTAKE) ++by_worker[entry.worker()];
        }
        const std::vector<referrals::v1::Stage> want = {
            referrals::v1::STAGE_INTAKE, referrals::v1::STAGE_TRIAGE, referrals::v1::STAGE_ROUTING};
        if (stages != want && ++bad <= 5) {
          ADD_FAILURE() << all[start + r] << " has " << stages.size() << " history entries";
        }
      }
    }
    EXPECT_EQ(bad, 0) << "referrals whose history is not exactly intake, triage, routing";
    return by_worker;
  }

  void PrintOutcome(const std::string& what, const ReferralLoad& load, const Outcome& outcome) {
    std::cout << "[fault] " << what << ": submitted " << load.count() << " from "
              << kClientThreads << " threads, accepted " << outcome.accepted << ", retried "
              << load.retried_requests() << " requests (" << load.unavailable_answers()
              << " UNAVAILABLE answers, " << load.duplicate_answers()
              << " duplicate answers), queued " << outcome.queued << ", lost " << outcome.lost
              << ", duplicated " << outcome.duplicated << ", request ids with two referrals "
              << outcome.split_requests << std::endl;
  }

  void DeleteKeys() {
    std::string cursor = "0";
    do {
      auto reply = redis_->Command({"SCAN", cursor, "MATCH", Key("*"), "COUNT", "1000"});
      if (!reply.ok() || reply->elements.size() != 2) return;
      cursor = reply->elements[0].str;
      std::vector<std::string_view> unlink = {"UNLINK"};
      for (const RedisReply& key : reply->elements[1].elements) unlink.push_back(key.str);
      if (unlink.size() > 1) (void)redis_->Command(unlink);
    } while (cursor != "0");
  }

  std::string prefix_;
  std::string log_dir_;
  RedisOptions redis_options_;
  std::string redis_url_;
  RedisServerProcess* own_redis_ = nullptr;
  std::unique_ptr<RedisConnection> redis_;
  std::vector<std::unique_ptr<ServiceProcess>> services_;
  ServiceProcess* intake_ = nullptr;
  ServiceProcess* triage_ = nullptr;
  ServiceProcess* routing_ = nullptr;
  IntakeEndpoint endpoint_;
};

// --- 1 and 5: a service SIGKILLed, or SIGTERMed, mid-flow ----------------

enum class Stage { kIntake, kTriage, kRouting };
enum class Fault { kKill, kTerm };
struct ServiceFault {
  Stage stage;
  Fault fault;
};

std::string StageName(Stage stage) {
  switch (stage) {
    case Stage::kIntake:
      return "intake";
    case Stage::kTriage:
      return "triage";
    case Stage::kRouting:
      return "routing";
  }
  return "?";
}

// Readable in test listings: "SIGKILL triage".
void PrintTo(const ServiceFault& fault, std::ostream* out) {
  *out << (fault.fault == Fault::kKill ? "SIGKILL " : "SIGTERM ") << StageName(fault.stage);
}

class ServiceFaultTest : public FaultTest, public ::testing::WithParamInterface<ServiceFault> {};

TEST_P(ServiceFaultTest, EveryAcceptedReferralIsQueuedExactlyOnce) {
  const ServiceFault param = GetParam();
  const bool kill = param.fault == Fault::kKill;
  ConnectRedis();
  StartPipeline();

  ReferralLoad load(&endpoint_, absl::StrCat("fault-", StageName(param.stage)),
                    Scaled(kill ? 2000 : 1200));
  ServiceProcess* target = param.stage == Stage::kIntake   ? intake_
                           : param.stage == Stage::kTriage ? triage_
                                                           : routing_;
  // How far the target stage has got: accepted, triaged or routed.
  std::function<int64_t()> progress = [&]() -> int64_t {
    switch (param.stage) {
      case Stage::kIntake:
        return load.accepted();
      case Stage::kTriage:
        return Triaged();
      case Stage::kRouting:
        return Routed();
    }
    return 0;
  };
  const std::string unit = param.stage == Stage::kIntake   ? "accepted"
                           : param.stage == Stage::kTriage ? "triaged"
                                                           : "routed";
  absl::BitGen gen;
  const int64_t fault_at = absl::Uniform<int64_t>(gen, load.count() * 15 / 100,
                                                  load.count() * 60 / 100);
  load.Start();
  ASSERT_TRUE(WaitFor([&] { return progress() >= fault_at; }, absl::Seconds(60)))
      << unit << " " << progress() << "; logs in " << log_dir_;

  const int64_t submitted_at = Submitted(), triaged_at = Triaged(), routed_at = Routed();
  const absl::Time fault_time = absl::Now();
  if (kill) {
    target->Kill();
  } else {
    // Drains: stops reading, finishes the entry in hand, lets in-flight calls
    // finish within the grace period, and exits 0.
    const int exit_code = target->Stop(absl::Seconds(kGraceSeconds + 2));
    EXPECT_EQ(exit_code, 0) << "SIGTERM must drain and exit 0 within the grace period";
  }
  const absl::Duration stop_took = absl::Now() - fault_time;
  const int64_t at = progress();
  // Entries the stopped consumer had read and not acknowledged: a restart
  // re-reads them (same consumer name) before anything new.
  int64_t left_pending = 0;
  if (param.stage == Stage::kTriage) left_pending = Pending(Key("stream:submitted"), kTriageGroup);
  if (param.stage == Stage::kRouting) left_pending = Pending(Key("stream:triaged"), kRoutingGroup);
  EXPECT_LT(at, load.count()) << "the fault must land mid-flow";
  std::cout << "[fault] " << (kill ? "SIGKILL " : "SIGTERM ") << StageName(param.stage)
            << " after " << at << " of " << load.count() << " " << unit
            << " (submitted " << submitted_at << ", triaged " << triaged_at << ", routed "
            << routed_at << ")"
            << (param.stage == Stage::kIntake ? ""
                                              : absl::StrCat(", left ", left_pending, " pending"))
            << (kill ? "" : absl::StrCat(", exited 0 in ", absl::FormatDuration(stop_took)))
            << std::endl;

  // After a crash the consumer comes back under its own name and re-reads
  // what it left pending. After a drain it comes back under a new name, as a
  // default (host-pid) name would: the entries its predecessor left pending
  // are claimed after --claim_idle_ms.
  if (!kill && param.stage == Stage::kTriage) {
    target = triage_ = AddService(TRIAGE_BINARY, "triage-a2");
  } else if (!kill && param.stage == Stage::kRouting) {
    target = routing_ = AddService(ROUTING_BINARY, "routing-a2");
  }
  absl::Status restarted = target->Start();
  ASSERT_TRUE(restarted.ok()) << restarted;
  if (target == intake_) endpoint_.Set(intake_->address());
  load.Join();

  const Outcome outcome = ExpectExactlyOnce(load);
  PrintOutcome(absl::StrCat(kill ? "SIGKILL " : "SIGTERM ", StageName(param.stage)), load,
               outcome);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, ServiceFaultTest,
    ::testing::Values(ServiceFault{Stage::kIntake, Fault::kKill},
                      ServiceFault{Stage::kTriage, Fault::kKill},
                      ServiceFault{Stage::kRouting, Fault::kKill},
                      ServiceFault{Stage::kIntake, Fault::kTerm},
                      ServiceFault{Stage::kTriage, Fault::kTerm},
                      ServiceFault{Stage::kRouting, Fault::kTerm}),
    [](const ::testing::TestParamInfo<ServiceFault>& info) {
      return absl::StrCat(info.param.fault == Fault::kKill ? "Kill" : "Term",
                          StageName(info.param.stage));
    });

// --- 2 and 3: Redis SIGKILLed and restarted from its AOF -------------------

// /dev/shm when there is one: with the data on tmpfs, "always" costs no real
// fsync (on this disk one per commit held each consumer to ~100 entries/s),
// and a process crash loses nothing written there.
std::string MemoryBackedDir() {
  std::error_code error;
  return std::filesystem::is_directory("/dev/shm", error) && access("/dev/shm", W_OK) == 0
             ? "/dev/shm"
             : "/tmp";
}

class RedisFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    absl::Status started = redis_server_.Start();
    ASSERT_TRUE(started.ok()) << started;
    ConnectRedis(&redis_server_);
  }

  void TearDown() override {
    FaultTest::TearDown();  // services first: they exit cleanly while Redis is up
    if (redis_server_.running()) {
      EXPECT_EQ(redis_server_.Stop(), 0);
    }
  }

  RedisServerProcess redis_server_{"always", MemoryBackedDir()};
};

TEST_F(RedisFaultTest, EveryAcceptedReferralSurvivesAndIsRoutedOnce) {
  StartPipeline();
  ReferralLoad load(&endpoint_, "redis-restart", Scaled(1500));
  absl::BitGen gen;
  const int64_t kill_at =
      absl::Uniform<int64_t>(gen, load.count() * 20 / 100, load.count() * 60 / 100);
  load.Start();
  ASSERT_TRUE(WaitFor([&] { return load.accepted() >= kill_at; }, absl::Seconds(60)));

  const int64_t routed_before = Routed();
  redis_server_.Kill();
  const int64_t accepted_at = load.accepted();
  const absl::Time killed = absl::Now();
  // Down long enough for every service to notice and every client to be
  // refused at least once.
  absl::SleepFor(absl::Seconds(1));
  absl::Status restarted = redis_server_.Start();
  ASSERT_TRUE(restarted.ok()) << restarted;
  const absl::Duration down = absl::Now() - killed;
  // Everything intake had answered OK for is back: one submitted event each.
  // (The first command on the old connection finds it dead and fails.)
  int64_t reloaded = -1;
  WaitFor([&] { return (reloaded = Submitted()) >= 0; }, absl::Seconds(5));
  EXPECT_GE(reloaded, accepted_at);
  std::cout << "[fault] Redis SIGKILLed after " << accepted_at << " of " << load.count()
            << " accepted (" << routed_before << " routed), restarted from its AOF "
            << "(appendfsync always) after " << absl::FormatDuration(down) << " with "
            << reloaded << " submitted events" << std::endl;
  EXPECT_LT(accepted_at, load.count()) << "the kill must land mid-flow";
  load.Join();

  // The services reconnected by themselves: none exited, all serve again.
  for (ServiceProcess* service : AllServices()) {
    EXPECT_FALSE(service->Exited()) << "a service died with Redis; logs in " << log_dir_;
    EXPECT_TRUE(WaitFor(
        [&] {
          absl::StatusOr<bool> serving = testing::CheckServing(service->address());
          return serving.ok() && *serving;
        },
        absl::Seconds(10)));
  }
  const Outcome outcome = ExpectExactlyOnce(load);
  EXPECT_GT(load.unavailable_answers(), 0) << "clients must have met the outage";
  PrintOutcome("Redis restart", load, outcome);
}

TEST_F(RedisFaultTest, HealthIsNotServingAndSubmitUnavailableWhileRedisIsDown) {
  StartPipeline();
  auto stub = referrals::v1::IntakeService::NewStub(testing::TestChannel(intake_->address()));
  auto submit = [&](const std::string& request_id, referrals::v1::SubmitReferralResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    referrals::v1::SubmitReferralRequest request;
    *request.mutable_referral() = MakeReferral(7, request_id);
    return stub->SubmitReferral(&context, request, response);
  };
  // SERVING (true) or NOT_SERVING (false) as the health service answers;
  // nullopt if the check itself failed (it must answer without Redis too).
  auto health = [&](ServiceProcess* service) -> std::optional<bool> {
    absl::StatusOr<bool> status = testing::CheckServing(service->address(), absl::Seconds(2));
    if (!status.ok()) return std::nullopt;
    return *status;
  };
  for (ServiceProcess* service : AllServices()) EXPECT_EQ(health(service), true);

  redis_server_.Kill();
  const absl::Time killed = absl::Now();
  for (ServiceProcess* service : AllServices()) {
    EXPECT_TRUE(WaitFor([&] { return health(service) == false; }, absl::Seconds(10)))
        << "health stays SERVING without Redis";
  }
  std::cout << "[fault] health NOT_SERVING on all three services "
            << absl::FormatDuration(absl::Now() - killed) << " after Redis was killed"
            << std::endl;
  // Never OK while Redis is down: each attempt is UNAVAILABLE, with the hint
  // to retry with the same request id.
  constexpr int kAttempts = 10;
  for (int i = 0; i < kAttempts; ++i) {
    referrals::v1::SubmitReferralResponse response;
    const grpc::Status status = submit(absl::StrCat("while-down-", i % 3), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("retry with the same request_id"));
    EXPECT_TRUE(response.referral_id().empty());
    absl::SleepFor(absl::Milliseconds(50));
  }
  for (ServiceProcess* service : AllServices()) EXPECT_EQ(health(service), false);

  absl::Status restarted = redis_server_.Start();
  ASSERT_TRUE(restarted.ok()) << restarted;
  const absl::Time back = absl::Now();
  for (ServiceProcess* service : AllServices()) {
    EXPECT_TRUE(WaitFor([&] { return health(service) == true; }, absl::Seconds(10)))
        << "health does not come back with Redis";
  }
  std::cout << "[fault] health SERVING again " << absl::FormatDuration(absl::Now() - back)
            << " after Redis restarted; " << kAttempts
            << " submits while down: all UNAVAILABLE" << std::endl;

  // The callers retry with the same request ids: one referral each, routed.
  std::vector<std::string> ids;
  for (int r = 0; r < 3; ++r) {
    referrals::v1::SubmitReferralResponse first, again;
    ASSERT_TRUE(submit(absl::StrCat("while-down-", r), &first).ok());
    ASSERT_TRUE(submit(absl::StrCat("while-down-", r), &again).ok());
    EXPECT_FALSE(first.duplicate()) << "nothing was stored while Redis was down";
    EXPECT_TRUE(again.duplicate());
    EXPECT_EQ(again.referral_id(), first.referral_id());
    ids.push_back(first.referral_id());
  }
  ASSERT_TRUE(WaitFor([&] { return Routed() == 3; }, absl::Seconds(20)));
  std::map<std::string, int> queued = QueuedIds();
  EXPECT_THAT(queued, UnorderedElementsAre(std::pair<const std::string, int>(ids[0], 1),
                                           std::pair<const std::string, int>(ids[1], 1),
                                           std::pair<const std::string, int>(ids[2], 1)));
  EXPECT_EQ(Submitted(), 3);
}

// --- 4: two replicas each of triage and routing share the work ------------

TEST_F(FaultTest, TwoReplicasOfEachStageShareTheWorkAndRouteEachReferralOnce) {
  ConnectRedis();
  intake_ = AddService(INTAKE_BINARY, "intake");
  for (const char* name : {"triage-a", "triage-b"}) AddService(TRIAGE_BINARY, name);
  for (const char* name : {"routing-a", "routing-b"}) AddService(ROUTING_BINARY, name);
  for (ServiceProcess* service : AllServices()) {
    absl::Status started = service->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  endpoint_.Set(intake_->address());
  ReferralLoad load(&endpoint_, "replicas", Scaled(1500));
  load.Start();
  load.Join();
  const Outcome outcome = ExpectExactlyOnce(load);
  PrintOutcome("two replicas each", load, outcome);

  // The history names the consumer that did each step.
  std::map<std::string, int> by_worker = outcome.by_worker;
  for (const char* name : {"triage-a", "triage-b", "routing-a", "routing-b"}) {
    EXPECT_GT(by_worker[name], 0) << name << " did no work";
  }
  EXPECT_EQ(by_worker["triage-a"] + by_worker["triage-b"], outcome.accepted);
  EXPECT_EQ(by_worker["routing-a"] + by_worker["routing-b"], outcome.accepted);
  std::cout << "[fault] work shared: triage-a " << by_worker["triage-a"] << ", triage-b "
            << by_worker["triage-b"] << ", routing-a " << by_worker["routing-a"]
            << ", routing-b " << by_worker["routing-b"] << std::endl;
}

// --- 6: poison entries on each input stream --------------------------------

TEST_F(FaultTest, PoisonEntriesAreDeadLetteredAckedAndTheConsumersCarryOn) {
  ConnectRedis();
  StartPipeline();
  ReferralLoad before(&endpoint_, "before-poison", 20);
  before.Start();
  before.Join();
  ASSERT_TRUE(WaitFor([&] { return Routed() == 20; }, absl::Seconds(20)));

  // A referral id no intake ever stored, in well-formed events.
  const std::string ghost = "R-20260101-0000000000aa";
  const absl::Time now = absl::Now();
  referrals::v1::ReferralSubmitted submitted;
  *submitted.mutable_meta() = NewEventMeta(ghost, "C-fault-test", now);
  *submitted.mutable_referral() = MakeReferral(1, "ghost-1");
  *submitted.mutable_received_time() = ToTimestamp(now);
  referrals::v1::ReferralTriaged triaged;
  *triaged.mutable_meta() = NewEventMeta(ghost, "C-fault-test", now);
  *triaged.mutable_referral() = submitted.referral();
  *triaged.mutable_received_time() = ToTimestamp(now);
  triaged.mutable_triage()->set_priority(referrals::v1::PRIORITY_ROUTINE);
  const std::string garbage = "not a protobuf \xff\xff\xff";

  struct Poison {
    std::string stream;
    std::string stage;
    std::string referral_id;
    std::string payload;
    std::string error;  // expected in the dead letter's error
    std::string entry_id;
  };
  std::vector<Poison> poisons = {
      {Key("stream:submitted"), "triage", "R-20260101-0000000000bb", garbage,
       "not a ReferralSubmitted event", ""},
      {Key("stream:submitted"), "triage", ghost, submitted.SerializeAsString(),
       "no referral record", ""},
      {Key("stream:triaged"), "routing", "R-20260101-0000000000cc", garbage,
       "not a ReferralTriaged event", ""},
      {Key("stream:triaged"), "routing", ghost, triaged.SerializeAsString(),
       "no referral record", ""},
  };
  for (Poison& poison : poisons) {
    auto added = redis_->Command(
        {"XADD", poison.stream, "*", "referral_id", poison.referral_id, "event", poison.payload});
    ASSERT_TRUE(added.ok()) << added.status();
    poison.entry_id = added->str;
  }
  // Good referrals after the poison: each consumer must get past it.
  ReferralLoad after(&endpoint_, "after-poison", 20);
  after.Start();
  after.Join();
  ASSERT_TRUE(WaitFor([&] { return Routed() == 40; }, absl::Seconds(20)))
      << "routed " << Routed() << "; logs in " << log_dir_;
  ASSERT_TRUE(WaitFor([&] { return Length(Key("stream:deadletter")) == 4; }, absl::Seconds(10)));

  // Each poison entry is dead-lettered once, with its stage and error...
  struct Letter {
    std::map<std::string, std::string> fields;  // of the dead-letter entry
    referrals::v1::DeadLetter letter;
  };
  // By the poison entry's stream and id (ids repeat across streams).
  std::map<std::string, Letter> letters;
  auto dead = redis_->Command({"XRANGE", Key("stream:deadletter"), "-", "+"});
  ASSERT_TRUE(dead.ok()) << dead.status();
  for (const RedisReply& raw : dead->elements) {
    Letter letter;
    for (size_t i = 0; i + 1 < raw.elements[1].elements.size(); i += 2) {
      letter.fields[raw.elements[1].elements[i].str] = raw.elements[1].elements[i + 1].str;
    }
    ASSERT_TRUE(letter.letter.ParseFromString(letter.fields["event"]));
    const std::string source = letter.letter.stream() + " " + letter.letter.entry_id();
    EXPECT_TRUE(letters.emplace(source, std::move(letter)).second) << "dead-lettered twice";
  }
  for (const Poison& poison : poisons) {
    SCOPED_TRACE(poison.stream + " " + poison.entry_id + " " + poison.error);
    const std::string source = poison.stream + " " + poison.entry_id;
    ASSERT_TRUE(letters.contains(source));
    const referrals::v1::DeadLetter& letter = letters[source].letter;
    EXPECT_EQ(letters[source].fields["stage"], poison.stage);
    EXPECT_EQ(letters[source].fields["referral_id"], poison.referral_id);
    EXPECT_EQ(letter.stage(), poison.stage);
    EXPECT_THAT(letter.error(), HasSubstr(poison.error));
    EXPECT_EQ(letter.payload(), poison.payload);
    EXPECT_GE(letter.attempts(), 1);
  }
  // ... and acknowledged: nothing pending in either group.
  EXPECT_EQ(Pending(Key("stream:submitted"), kTriageGroup), 0);
  EXPECT_EQ(Pending(Key("stream:triaged"), kRoutingGroup), 0);
  // The ghost got nowhere: no record, not triaged on, on no queue.
  auto exists = redis_->Command({"EXISTS", Key(absl::StrCat("referral:", ghost))});
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(exists->integer, 0);
  int ghost_triaged = 0;
  for (const StreamEntry& entry : Range(Key("stream:triaged"))) ghost_triaged += entry.referral_id == ghost;
  EXPECT_EQ(ghost_triaged, 1) << "only the injected one";
  // Every good referral, before and after the poison, on a queue once.
  std::map<std::string, int> queued = QueuedIds();
  EXPECT_EQ(queued.size(), 40u);
  for (const ReferralLoad* load : {&before, &after}) {
    for (const std::string& id : load->ids()) EXPECT_EQ(queued[id], 1) << id;
  }
  std::cout << "[fault] poison: 4 entries injected (garbage and an unknown referral on each "
               "input stream), 4 dead-lettered with stage and error, 0 pending, 40 good "
               "referrals around them routed once each"
            << std::endl;
}

}  // namespace
}  // namespace referrals
