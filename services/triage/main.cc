// triage_service: classifies each submitted referral (consumer group
// "triage" on stream:submitted) and serves the dry-run Triage RPC.
#include <cstdint>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/data_key_flags.h"
#include "common/domain/rules_config.h"
#include "common/pipeline/consumer_metrics.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stream_consumer.h"
#include "common/service/auth/auth_flags.h"
#include "common/service/grpc_server.h"
#include "common/service/http_server.h"
#include "common/service/log.h"
#include "common/service/metrics.h"
#include "common/service/ops_http.h"
#include "common/service/redis_health.h"
#include "common/service/service_flags.h"
#include "common/service/signals.h"
#include "services/triage/triage_metrics.h"
#include "services/triage/triage_rules.h"
#include "services/triage/triage_service.h"
#include "services/triage/triage_worker.h"

ABSL_FLAG(std::string, rules, REFERRALS_DEFAULT_RULES,
          "rules: a text RoutingConfig file, or a directory of them, one per version");
ABSL_FLAG(std::string, consumer, "", "consumer name in the group; default triage-HOST-PID");
ABSL_FLAG(int, consumers, 1, "consumer threads in this process");
ABSL_FLAG(int, claim_idle_ms, 30000,
          "claim entries another consumer left pending this long (it probably died)");
ABSL_FLAG(int, batch_size, 64, "entries read per XREADGROUP");
ABSL_FLAG(int, max_attempts, 5,
          "deliveries (across replicas) of an entry that keeps failing before it is "
          "dead-lettered; at least 1");
ABSL_FLAG(int64_t, consumer_expiry_seconds, 3600,
          "remove other consumers of the group idle this long with nothing pending; at least "
          "the claim idle time; 0: never");
ABSL_FLAG(int64_t, trim_retention_seconds, 86400,
          "trim input entries older than this that every group has finished with; 0: never");
ABSL_FLAG(std::string, http_listen, "",
          "HOST:PORT for /metrics and /healthz (port 0 picks a free one); empty: no HTTP listener");
ABSL_FLAG(std::string, http_port_file, "", "write the HTTP port bound to this file");

int main(int argc, char** argv) {
  using namespace referrals;
  BlockTerminationSignals();
  absl::ParseCommandLine(argc, argv);
  SetLogService("triage");

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
  Log(LogLevel::kInfo, "rules_loaded", {{"versions", (*catalog)->Describe()}});
  auto rules = std::make_shared<const TriageRules>(*catalog);
  const Keys keys(absl::GetFlag(FLAGS_redis_prefix));

  // The consumer options every replica shares, checked before anything starts.
  StreamConsumerOptions consumer_options;
  consumer_options.batch_size = absl::GetFlag(FLAGS_batch_size);
  consumer_options.claim_min_idle = absl::Milliseconds(absl::GetFlag(FLAGS_claim_idle_ms));
  consumer_options.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  const int64_t expiry_seconds = absl::GetFlag(FLAGS_consumer_expiry_seconds);
  const int64_t retention_seconds = absl::GetFlag(FLAGS_trim_retention_seconds);
  consumer_options.consumer_expiry =
      expiry_seconds == 0 ? absl::InfiniteDuration() : absl::Seconds(expiry_seconds);
  consumer_options.trim_retention =
      retention_seconds == 0 ? absl::InfiniteDuration() : absl::Seconds(retention_seconds);
  absl::Status valid =
      expiry_seconds < 0 || retention_seconds < 0
          ? absl::InvalidArgumentError(
                "consumer_expiry_seconds and trim_retention_seconds must not be negative")
          : ValidateStreamConsumerOptions(consumer_options);
  if (!valid.ok()) {
    Log(LogLevel::kError, "bad_flags", {{"error", std::string(valid.message())}});
    return 2;
  }

  std::string consumer = absl::GetFlag(FLAGS_consumer);
  if (consumer.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    consumer = absl::StrCat("triage-", host, "-", getpid());
  }

  MetricsRegistry metrics_registry;
  absl::StatusOr<TriageMetrics> metrics = TriageMetrics::Create(metrics_registry);
  if (!metrics.ok()) {
    Log(LogLevel::kError, "metrics_failed", {{"error", std::string(metrics.status().message())}});
    return 1;
  }

  // Issue 8: the referral is sealed at rest; triage opens it in memory.
  absl::StatusOr<std::shared_ptr<const DataKeyring>> keyring =
      DataKeyringFromFlags({absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_http_listen),
                            absl::GetFlag(FLAGS_health_listen)});
  if (!keyring.ok()) {
    Log(LogLevel::kError, "data_key_failed", {{"error", std::string(keyring.status().message())}});
    return 2;
  }

  std::vector<std::unique_ptr<TriageWorker>> workers;
  std::vector<std::unique_ptr<StreamConsumer>> consumers;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_consumers)); ++i) {
    const std::string name = i == 0 ? consumer : absl::StrCat(consumer, "-", i);
    workers.push_back(std::make_unique<TriageWorker>(keys, rules, name, absl::Now, *keyring));
    workers.back()->set_observer(
        [&metrics](const TriageWorker::Triaged& triaged) { metrics->Observe(triaged); });
    StreamConsumerOptions options = consumer_options;
    options.stream = keys.SubmittedStream();
    options.group = std::string(kTriageGroup);
    options.consumer = name;
    options.dead_letter_stream = keys.DeadLetterStream();
    options.stage = "triage";
    TriageWorker* worker = workers.back().get();
    consumers.push_back(std::make_unique<StreamConsumer>(
        *redis, options,
        StreamConsumer::BatchHandler(
            [worker](RedisConnection& connection, absl::Span<const StreamEntry> entries) {
              return worker->HandleBatch(connection, entries);
            })));
  }

  // Issue 8: bearer tokens (open only on loopback).
  absl::StatusOr<std::unique_ptr<Authorizer>> authorizer =
      AuthorizerFromFlags({absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_http_listen)});
  if (!authorizer.ok()) {
    Log(LogLevel::kError, "auth_failed", {{"error", std::string(authorizer.status().message())}});
    return 2;
  }
  TriageServiceImpl service(rules, authorizer->get());
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

  // /metrics and /healthz (the same Redis health as the gRPC health service).
  std::vector<const StreamConsumer*> consumer_list;
  for (const auto& c : consumers) consumer_list.push_back(c.get());
  absl::StatusOr<std::unique_ptr<ConsumerMetrics>> consumer_metrics =
      ConsumerMetrics::Create(metrics_registry, "triage", consumer_list);
  RedisHealthMonitor* health_monitor = health.get();
  absl::Status gauge_added = metrics_registry.AddCallbackGauge(
      "triage_redis_up", "1 while Redis answers the health monitor's PING, else 0.",
      [health_monitor] { return health_monitor->redis_reachable() ? 1.0 : 0.0; });
  if (!consumer_metrics.ok() || !gauge_added.ok()) {
    Log(LogLevel::kError, "metrics_failed",
        {{"error", std::string(!consumer_metrics.ok() ? consumer_metrics.status().message()
                                                      : gauge_added.message())}});
    return 1;
  }
  std::unique_ptr<HttpServer> http_server;
  if (!absl::GetFlag(FLAGS_http_listen).empty()) {
    HttpServer::Options http_server_options;
    http_server_options.tls = ServerTlsOptionsFromFlags();  // the gRPC listener's too
    http_server = std::make_unique<HttpServer>(http_server_options);
    ConsumerMetrics* consumer_stats = consumer_metrics->get();
    RegisterOpsRoutes(
        http_server->server(), &metrics_registry, authorizer->get(),
        [health_monitor] { return health_monitor->redis_reachable(); },
        [consumer_stats] { consumer_stats->Update(); });
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
  for (auto& c : consumers) c->Start();
  Log(LogLevel::kInfo, "started",
      {{"port", absl::StrCat(started->port)},
       {"http_port", absl::StrCat(http_server != nullptr ? http_server->port() : 0)},
       {"consumer", consumer},
       {"rules_versions", (*catalog)->Describe()}});

  // SIGHUP: reload the tokens file (the old set stays if it is invalid).
  const int signal_number =
      WaitForTerminationSignal([auth = authorizer->get()] { auth->ReloadTokens().IgnoreError(); });
  Log(LogLevel::kInfo, "stopping", {{"signal", absl::StrCat(signal_number)}});
  // Finish the entry in hand and stop reading; what is unread stays in the
  // stream for the next start or another replica.
  for (auto& c : consumers) c->Stop();
  started->server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  if (http_server != nullptr) http_server->Stop();
  health.reset();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}
