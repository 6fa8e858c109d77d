// intake_service: takes referrals in over gRPC (and, with --http_listen, over
// HTTP from the portal) and stores them with their `submitted` event.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/data_key_flags.h"
#include "common/pipeline/keys.h"
#include "common/service/auth/auth_flags.h"
#include "common/service/auth/rate_limiter.h"
#include "common/service/grpc_server.h"
#include "common/service/http_server.h"
#include "common/service/log.h"
#include "common/service/metrics.h"
#include "common/service/redis_health.h"
#include "common/service/redis_worker_pool.h"
#include "common/service/service_flags.h"
#include "common/service/signals.h"
#include "services/intake/http_intake.h"
#include "services/intake/intake_metrics.h"
#include "services/intake/intake_service.h"
#include "services/intake/referral_store.h"
#include "services/intake/referral_submitter.h"
#include "services/triage/triage_rules.h"

ABSL_FLAG(int, redis_workers, 4, "threads (each with a Redis connection) that store referrals");
ABSL_FLAG(std::string, rules, REFERRALS_DEFAULT_RULES,
          "rules (file or directory of versions): the signposts returned on submission");
ABSL_FLAG(std::string, http_listen, "",
          "HOST:PORT for the portal's HTTP intake, /metrics and /healthz (port 0 picks a free "
          "one); empty: no HTTP listener");
ABSL_FLAG(std::string, http_port_file, "", "write the HTTP port bound to this file");
ABSL_FLAG(double, submit_rate_per_client, 0,
          "submissions per second each calling system may make on average (gRPC "
          "RESOURCE_EXHAUSTED, HTTP 429 beyond); 0: unlimited");
ABSL_FLAG(double, submit_burst, 20, "submissions a calling system may make at once");
ABSL_FLAG(int64_t, http_max_body_bytes, 256 * 1024,
          "largest HTTP request body accepted (larger: 413)");

int main(int argc, char** argv) {
  using namespace referrals;
  BlockTerminationSignals();
  absl::ParseCommandLine(argc, argv);
  SetLogService("intake");

  absl::StatusOr<RedisOptions> redis = RedisOptionsFromFlags();
  if (!redis.ok()) {
    Log(LogLevel::kError, "bad_flags", {{"error", std::string(redis.status().message())}});
    return 2;
  }

  absl::StatusOr<std::shared_ptr<const RulesCatalog>> catalog =
      RulesCatalog::Load(absl::GetFlag(FLAGS_rules));
  if (!catalog.ok()) {
    Log(LogLevel::kError, "rules_invalid", {{"error", std::string(catalog.status().message())}});
    return 2;
  }

  // Issue 8: personal data sealed at rest (in clear only on loopback).
  absl::StatusOr<std::shared_ptr<const DataKeyring>> keyring =
      DataKeyringFromFlags({absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_http_listen),
                            absl::GetFlag(FLAGS_health_listen)});
  if (!keyring.ok()) {
    Log(LogLevel::kError, "data_key_failed", {{"error", std::string(keyring.status().message())}});
    return 2;
  }
  ReferralStore store{Keys(absl::GetFlag(FLAGS_redis_prefix)), *keyring};
  RedisWorkerPool pool(*redis, absl::GetFlag(FLAGS_redis_workers));
  MetricsRegistry metrics_registry;
  absl::StatusOr<IntakeMetrics> metrics = IntakeMetrics::Create(metrics_registry);
  if (!metrics.ok()) {
    Log(LogLevel::kError, "metrics_failed", {{"error", std::string(metrics.status().message())}});
    return 1;
  }
  ReferralSubmitter submitter(&store, &pool, absl::Now, ReferralLimits(),
                              std::make_shared<const TriageRules>(*catalog), &*metrics);
  // Issue 8: bearer tokens (open only on loopback) and submission limits.
  absl::StatusOr<std::unique_ptr<Authorizer>> authorizer =
      AuthorizerFromFlags({absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_http_listen)});
  if (!authorizer.ok()) {
    Log(LogLevel::kError, "auth_failed", {{"error", std::string(authorizer.status().message())}});
    return 2;
  }
  if (absl::GetFlag(FLAGS_submit_rate_per_client) < 0 || absl::GetFlag(FLAGS_submit_burst) < 1) {
    Log(LogLevel::kError, "bad_flags",
        {{"error", "--submit_rate_per_client must be >= 0 and --submit_burst >= 1"}});
    return 2;
  }
  RateLimiter submit_limiter({.rate_per_second = absl::GetFlag(FLAGS_submit_rate_per_client),
                              .burst = absl::GetFlag(FLAGS_submit_burst)});
  IntakeServiceImpl service(&submitter, authorizer->get(), &submit_limiter);

  absl::StatusOr<StartedServer> started = StartGrpcServer(
      absl::GetFlag(FLAGS_listen), {&service}, ServerTlsOptionsFromFlags(),
      absl::GetFlag(FLAGS_health_listen), absl::GetFlag(FLAGS_grpc_max_request_bytes));
  if (!started.ok()) {
    Log(LogLevel::kError, "listen_failed", {{"error", std::string(started.status().message())}});
    return 1;
  }
  if (absl::Status written = WritePortFile(absl::GetFlag(FLAGS_port_file), started->port);
      !written.ok()) {
    Log(LogLevel::kError, "port_file_failed", {{"error", std::string(written.message())}});
    return 1;
  }
  auto health = std::make_unique<RedisHealthMonitor>(*redis, started->health());

  // The portal's HTTP listener, with /metrics and /healthz (which reads the
  // same Redis health as the gRPC health service).
  RedisHealthMonitor* health_monitor = health.get();
  std::unique_ptr<HttpIntake> http_intake;
  std::unique_ptr<HttpServer> http_server;
  if (!absl::GetFlag(FLAGS_http_listen).empty()) {
    if (absl::Status added = metrics_registry.AddCallbackGauge(
            "intake_redis_up", "1 while Redis answers the health monitor's PING, else 0.",
            [health_monitor] { return health_monitor->redis_reachable() ? 1.0 : 0.0; });
        !added.ok()) {
      Log(LogLevel::kError, "metrics_failed", {{"error", std::string(added.message())}});
      return 1;
    }
    absl::StatusOr<std::unique_ptr<HttpIntake>> created = HttpIntake::Create(
        &submitter, &metrics_registry, &*metrics,
        [health_monitor] { return health_monitor->redis_reachable(); },
        HttpIntake::Options{.authorizer = authorizer->get(), .limiter = &submit_limiter});
    if (!created.ok()) {
      Log(LogLevel::kError, "metrics_failed", {{"error", std::string(created.status().message())}});
      return 1;
    }
    http_intake = *std::move(created);
    HttpServer::Options http_options;
    http_options.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_http_max_body_bytes));
    http_options.tls = ServerTlsOptionsFromFlags();  // the gRPC listener's too
    http_server = std::make_unique<HttpServer>(http_options);
    http_intake->Register(http_server->server());
    if (absl::Status listening = http_server->Start(absl::GetFlag(FLAGS_http_listen));
        !listening.ok()) {
      Log(LogLevel::kError, "http_listen_failed", {{"error", std::string(listening.message())}});
      return 1;
    }
    if (absl::Status written =
            WritePortFile(absl::GetFlag(FLAGS_http_port_file), http_server->port());
        !written.ok()) {
      Log(LogLevel::kError, "port_file_failed", {{"error", std::string(written.message())}});
      return 1;
    }
  }
  Log(LogLevel::kInfo, "started",
      {{"port", absl::StrCat(started->port)},
       {"http_port", absl::StrCat(http_server != nullptr ? http_server->port() : 0)},
       {"redis", absl::StrCat(redis->host, ":", redis->port)}});

  // SIGHUP: reload the tokens file (the old set stays if it is invalid).
  const int signal_number =
      WaitForTerminationSignal([auth = authorizer->get()] { auth->ReloadTokens().IgnoreError(); });
  Log(LogLevel::kInfo, "stopping", {{"signal", absl::StrCat(signal_number)}});
  // Stop taking calls; calls in flight get the grace period to finish.
  started->server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  // Requests in hand finish (the pool is still running); then no more.
  if (http_server != nullptr) http_server->Stop();
  pool.Shutdown();
  health.reset();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}
