// routing_service: routes each triaged referral (consumer group "routing" on
// stream:triaged) to its destination queue, and serves postcode checks, dry
// runs and the queue views.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/data_key_flags.h"
#include "common/pipeline/consumer_metrics.h"
#include "common/pipeline/dead_letter_store.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stream_consumer.h"
#include "common/service/auth/auth_flags.h"
#include "common/service/grpc_server.h"
#include "common/service/http_server.h"
#include "common/service/log.h"
#include "common/service/metrics.h"
#include "common/service/redis_health.h"
#include "common/service/redis_worker_pool.h"
#include "common/service/service_flags.h"
#include "common/service/signals.h"
#include "services/routing/lifecycle_store.h"
#include "services/routing/operations_reader.h"
#include "services/routing/overdue_sweeper.h"
#include "services/routing/postcode_directory.h"
#include "services/routing/queue_store.h"
#include "services/routing/retention_sweeper.h"
#include "services/routing/routing_data.h"
#include "services/routing/routing_engine.h"
#include "services/routing/routing_http.h"
#include "services/routing/routing_metrics.h"
#include "services/routing/routing_service.h"
#include "services/routing/routing_worker.h"
#include "services/routing/worklist_store.h"

ABSL_FLAG(std::string, rules, REFERRALS_DEFAULT_RULES,
          "rules: a text RoutingConfig file, or a directory of them, one per version");
ABSL_FLAG(std::string, postcode_sectors, REFERRALS_DEFAULT_SECTORS,
          "the project's postcode sector table (data/postcode_sectors.csv)");
ABSL_FLAG(std::string, postcode_data, "",
          "unit-level postcode data: ONSPD, NSPL or OS Code-Point Open, a file or a directory; "
          "default $REFERRALS_POSTCODE_DATA; without either, the sector table alone decides");
ABSL_FLAG(std::string, local_authorities, REFERRALS_DEFAULT_AUTHORITIES,
          "GSS district table naming the council to contact out of area");
ABSL_FLAG(std::string, consumer, "", "consumer name in the group; default routing-HOST-PID");
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
ABSL_FLAG(int, redis_workers, 2, "threads (each with a Redis connection) serving queue reads");
ABSL_FLAG(int, retention_days, 0,
          "remove the personal data of referrals closed (completed, rejected, cancelled) this "
          "many days ago; 0: keep it (the PurgePersonalData RPC still works)");
ABSL_FLAG(int64_t, retention_sweep_ms, 3600000,
          "how often the retention sweeper looks for closed referrals past --retention_days");
ABSL_FLAG(int64_t, overdue_sweep_ms, 30000,
          "how often to look for referrals awaiting acceptance past their respond-by time "
          "(flagged overdue and escalated once each); 0: never");
ABSL_FLAG(std::string, http_listen, "",
          "HOST:PORT for the operations dashboard (/), its JSON (/api/...), /metrics and "
          "/healthz (port 0 picks a free one); empty: no HTTP listener");
ABSL_FLAG(std::string, http_port_file, "", "write the HTTP port bound to this file");

namespace {

// What postcode data was loaded, for operators: counts, format, versions;
// file paths come from configuration. No postcodes.
void LogPostcodeData(const referrals::PostcodeDirectory& directory, const std::string& unit_path,
                     absl::Duration load_time) {
  using referrals::Log;
  using referrals::LogLevel;
  const referrals::LoadReport& report = directory.load_report();
  if (unit_path.empty()) {
    Log(LogLevel::kInfo, "postcode_data_loaded",
        {{"data_version", directory.data_version()},
         {"sectors", absl::StrCat(report.sectors)},
         {"split_sectors", absl::StrCat(report.split_sectors)},
         {"unit_data", "none (sector level only)"},
         {"load_ms", absl::StrCat(absl::ToInt64Milliseconds(load_time))}});
    return;
  }
  std::string skipped;
  for (const auto& [reason, count] : report.skipped_by_reason) {
    absl::StrAppend(&skipped, skipped.empty() ? "" : ", ", reason, ": ", count);
  }
  Log(LogLevel::kInfo, "postcode_data_loaded",
      {{"data_version", directory.data_version()},
       {"sectors", absl::StrCat(report.sectors)},
       {"split_sectors", absl::StrCat(report.split_sectors)},
       {"unit_data", unit_path},
       {"unit_format", report.unit_format},
       {"unit_layout", report.unit_layout},
       {"unit_data_version", report.unit_data_version},
       {"unit_files", absl::StrCat(report.files_read.size() - 1)},
       {"unit_rows_read", absl::StrCat(report.unit_rows_read)},
       {"units_loaded", absl::StrCat(report.units_loaded)},
       {"units_terminated", absl::StrCat(report.units_terminated)},
       {"unit_rows_skipped", absl::StrCat(report.unit_rows_skipped)},
       {"skipped_by_reason", skipped.empty() ? "none" : skipped},
       {"unit_districts", absl::StrCat(report.unit_districts)},
       {"load_ms", absl::StrCat(absl::ToInt64Milliseconds(load_time))}});
}

}  // namespace

int main(int argc, char** argv) {
  using namespace referrals;
  BlockTerminationSignals();
  absl::ParseCommandLine(argc, argv);
  SetLogService("routing");

  absl::StatusOr<RedisOptions> redis = RedisOptionsFromFlags();
  if (!redis.ok()) {
    Log(LogLevel::kError, "bad_flags", {{"error", std::string(redis.status().message())}});
    return 2;
  }
  RoutingDataPaths paths;
  paths.rules = absl::GetFlag(FLAGS_rules);
  paths.postcode_sectors = absl::GetFlag(FLAGS_postcode_sectors);
  paths.postcode_data = PostcodeDataPath(absl::GetFlag(FLAGS_postcode_data));
  paths.local_authorities = absl::GetFlag(FLAGS_local_authorities);
  const absl::Time load_start = absl::Now();
  absl::StatusOr<RoutingData> data = LoadRoutingData(paths);
  if (!data.ok()) {
    Log(LogLevel::kError, "routing_data_invalid",
        {{"error", std::string(data.status().message())}});
    return 2;
  }
  LogPostcodeData(data->engine->resolver().directory(), paths.postcode_data,
                  absl::Now() - load_start);
  const std::shared_ptr<const RulesConfig>& config = data->config;
  const std::shared_ptr<const RoutingEngine>& engine = data->engine;
  const std::shared_ptr<const TriageRules>& triage = data->triage;
  const std::string data_version = engine->resolver().directory().data_version();
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
    consumer = absl::StrCat("routing-", host, "-", getpid());
  }
  MetricsRegistry metrics_registry;
  absl::StatusOr<RoutingMetrics> metrics = RoutingMetrics::Create(metrics_registry);
  if (!metrics.ok()) {
    Log(LogLevel::kError, "metrics_failed", {{"error", std::string(metrics.status().message())}});
    return 1;
  }

  // Issue 8: the referral is sealed at rest; routing opens it in memory.
  absl::StatusOr<std::shared_ptr<const DataKeyring>> keyring =
      DataKeyringFromFlags({absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_http_listen),
                            absl::GetFlag(FLAGS_health_listen)});
  if (!keyring.ok()) {
    Log(LogLevel::kError, "data_key_failed", {{"error", std::string(keyring.status().message())}});
    return 2;
  }

  std::vector<std::unique_ptr<RoutingWorker>> workers;
  std::vector<std::unique_ptr<StreamConsumer>> consumers;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_consumers)); ++i) {
    const std::string name = i == 0 ? consumer : absl::StrCat(consumer, "-", i);
    workers.push_back(std::make_unique<RoutingWorker>(keys, engine, name, absl::Now, *keyring));
    workers.back()->set_observer(
        [&metrics](const referrals::v1::ReferralRouted& routed) { metrics->Observe(routed); });
    StreamConsumerOptions options = consumer_options;
    options.stream = keys.TriagedStream();
    options.group = std::string(kRoutingGroup);
    options.consumer = name;
    options.dead_letter_stream = keys.DeadLetterStream();
    options.stage = "routing";
    RoutingWorker* worker = workers.back().get();
    consumers.push_back(std::make_unique<StreamConsumer>(
        *redis, options,
        StreamConsumer::BatchHandler(
            [worker](RedisConnection& connection, absl::Span<const StreamEntry> entries) {
              return worker->HandleBatch(connection, entries);
            })));
  }

  QueueStore queues(keys, config);
  DeadLetterStore dead_letters(keys);
  RedisWorkerPool pool(*redis, absl::GetFlag(FLAGS_redis_workers));
  LifecycleStore lifecycle(keys, config, *keyring);
  WorklistStore worklists(keys);
  // Issue 8: bearer tokens (open only on loopback).
  absl::StatusOr<std::unique_ptr<Authorizer>> authorizer =
      AuthorizerFromFlags({absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_http_listen)});
  if (!authorizer.ok()) {
    Log(LogLevel::kError, "auth_failed", {{"error", std::string(authorizer.status().message())}});
    return 2;
  }
  // Issue 8: retention of personal data after closing.
  const int retention_days = absl::GetFlag(FLAGS_retention_days);
  const int64_t retention_sweep_ms = absl::GetFlag(FLAGS_retention_sweep_ms);
  if (retention_days < 0 || retention_sweep_ms <= 0) {
    Log(LogLevel::kError, "bad_flags",
        {{"error", "retention_days must not be negative and retention_sweep_ms must be > 0"}});
    return 2;
  }
  RetentionSweeper retention(keys, absl::Hours(24) * retention_days);
  RoutingServiceImpl service(triage, engine, &queues, &dead_letters, &pool, *redis,
                             LifecycleStores{&lifecycle, &worklists, &retention},
                             authorizer->get());
  const int64_t sweep_ms = absl::GetFlag(FLAGS_overdue_sweep_ms);
  if (sweep_ms < 0) {
    Log(LogLevel::kError, "bad_flags", {{"error", "overdue_sweep_ms must not be negative"}});
    return 2;
  }
  OverdueSweeper sweeper(keys);
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

  // The operations dashboard, /metrics and /healthz (the same Redis health
  // as the gRPC health service).
  std::vector<const StreamConsumer*> consumer_list;
  for (const auto& c : consumers) consumer_list.push_back(c.get());
  absl::StatusOr<std::unique_ptr<ConsumerMetrics>> consumer_metrics =
      ConsumerMetrics::Create(metrics_registry, "routing", consumer_list);
  RedisHealthMonitor* health_monitor = health.get();
  absl::Status gauge_added = metrics_registry.AddCallbackGauge(
      "routing_redis_up", "1 while Redis answers the health monitor's PING, else 0.",
      [health_monitor] { return health_monitor->redis_reachable() ? 1.0 : 0.0; });
  if (!consumer_metrics.ok() || !gauge_added.ok()) {
    Log(LogLevel::kError, "metrics_failed",
        {{"error", std::string(!consumer_metrics.ok() ? consumer_metrics.status().message()
                                                      : gauge_added.message())}});
    return 1;
  }
  OperationsReader operations(keys, config);
  RoutingHttp::Options http_options;
  http_options.redis = *redis;
  http_options.authorizer = authorizer->get();
  RoutingHttp routing_http(
      &operations, &lifecycle, &*metrics, &metrics_registry, consumer_metrics->get(),
      [health_monitor] { return health_monitor->redis_reachable(); }, http_options);
  std::unique_ptr<HttpServer> http_server;
  if (!absl::GetFlag(FLAGS_http_listen).empty()) {
    HttpServer::Options http_server_options;
    http_server_options.tls = ServerTlsOptionsFromFlags();  // the gRPC listener's too
    http_server = std::make_unique<HttpServer>(http_server_options);
    routing_http.Register(http_server->server());
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
  if (sweep_ms > 0) sweeper.Start(*redis, absl::Milliseconds(sweep_ms));
  if (retention_days > 0) {
    retention.Start(*redis, absl::Milliseconds(retention_sweep_ms));
    Log(LogLevel::kInfo, "retention_enabled", {{"days", absl::StrCat(retention_days)}});
  }
  Log(LogLevel::kInfo, "started",
      {{"port", absl::StrCat(started->port)},
       {"http_port", absl::StrCat(http_server != nullptr ? http_server->port() : 0)},
       {"consumer", consumer},
       {"rules_version", config->version()},
       {"rules_versions", data->rules->Describe()},
       {"postcode_data", data_version}});

  // SIGHUP: reload the tokens file (the old set stays if it is invalid).
  const int signal_number =
      WaitForTerminationSignal([auth = authorizer->get()] { auth->ReloadTokens().IgnoreError(); });
  Log(LogLevel::kInfo, "stopping", {{"signal", absl::StrCat(signal_number)}});
  for (auto& c : consumers) c->Stop();
  sweeper.Stop();
  retention.Stop();
  service.StopWatches();
  started->server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  if (http_server != nullptr) http_server->Stop();
  pool.Shutdown();
  health.reset();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}
