// routing_service: routes each triaged referral (consumer group "routing" on
// stream:triaged) to its destination queue, and serves postcode checks, dry
// runs and the queue views.
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stream_consumer.h"
#include "common/service/grpc_server.h"
#include "common/service/log.h"
#include "common/service/redis_health.h"
#include "common/service/redis_worker_pool.h"
#include "common/service/service_flags.h"
#include "common/service/signals.h"
#include "services/routing/queue_store.h"
#include "services/routing/routing_data.h"
#include "services/routing/routing_engine.h"
#include "services/routing/routing_service.h"
#include "services/routing/routing_worker.h"

ABSL_FLAG(std::string, rules, REFERRALS_DEFAULT_RULES, "routing rules file (text RoutingConfig)");
ABSL_FLAG(std::string, postcode_sectors, REFERRALS_DEFAULT_SECTORS,
          "the project's postcode sector table (data/postcode_sectors.csv)");
ABSL_FLAG(std::string, postcode_data, "",
          "unit-level postcode data (OS Code-Point Open directory or file); default "
          "$REFERRALS_POSTCODE_DATA; without it, sector-level only");
ABSL_FLAG(std::string, local_authorities, REFERRALS_DEFAULT_AUTHORITIES,
          "GSS district table naming the council to contact out of area");
ABSL_FLAG(std::string, consumer, "", "consumer name in the group; default routing-HOST-PID");
ABSL_FLAG(int, consumers, 1, "consumer threads in this process");
ABSL_FLAG(int, claim_idle_ms, 30000,
          "claim entries another consumer left pending this long (it probably died)");
ABSL_FLAG(int, batch_size, 64, "entries read per XREADGROUP");
ABSL_FLAG(int, redis_workers, 2, "threads (each with a Redis connection) serving queue reads");

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
  paths.postcode_data = absl::GetFlag(FLAGS_postcode_data);
  paths.local_authorities = absl::GetFlag(FLAGS_local_authorities);
  if (paths.postcode_data.empty()) {
    const char* env = std::getenv("REFERRALS_POSTCODE_DATA");
    if (env != nullptr) paths.postcode_data = env;
  }
  absl::StatusOr<RoutingData> data = LoadRoutingData(paths);
  if (!data.ok()) {
    Log(LogLevel::kError, "routing_data_invalid", {{"error", std::string(data.status().message())}});
    return 2;
  }
  const std::shared_ptr<const RulesConfig>& config = data->config;
  const std::shared_ptr<const RoutingEngine>& engine = data->engine;
  const std::shared_ptr<const TriageRules>& triage = data->triage;
  const std::string data_version = engine->resolver().directory().data_version();
  const Keys keys(absl::GetFlag(FLAGS_redis_prefix));

  std::string consumer = absl::GetFlag(FLAGS_consumer);
  if (consumer.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    consumer = absl::StrCat("routing-", host, "-", getpid());
  }
  std::vector<std::unique_ptr<RoutingWorker>> workers;
  std::vector<std::unique_ptr<StreamConsumer>> consumers;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_consumers)); ++i) {
    const std::string name = i == 0 ? consumer : absl::StrCat(consumer, "-", i);
    workers.push_back(std::make_unique<RoutingWorker>(keys, engine, name));
    StreamConsumerOptions options;
    options.stream = keys.TriagedStream();
    options.group = std::string(kRoutingGroup);
    options.consumer = name;
    options.dead_letter_stream = keys.DeadLetterStream();
    options.stage = "routing";
    options.batch_size = absl::GetFlag(FLAGS_batch_size);
    options.claim_min_idle = absl::Milliseconds(absl::GetFlag(FLAGS_claim_idle_ms));
    RoutingWorker* worker = workers.back().get();
    consumers.push_back(std::make_unique<StreamConsumer>(
        *redis, options, [worker](RedisConnection& connection, const StreamEntry& entry) {
          return worker->Handle(connection, entry);
        }));
  }

  QueueStore queues(keys, config);
  RedisWorkerPool pool(*redis, absl::GetFlag(FLAGS_redis_workers));
  RoutingServiceImpl service(triage, engine, &queues, &pool, *redis);
  absl::StatusOr<StartedServer> started = StartGrpcServer(absl::GetFlag(FLAGS_listen), {&service});
  if (!started.ok()) {
    Log(LogLevel::kError, "listen_failed", {{"error", std::string(started.status().message())}});
    return 1;
  }
  if (absl::Status written = WritePortFile(absl::GetFlag(FLAGS_port_file), started->port);
      !written.ok()) {
    Log(LogLevel::kError, "port_file_failed", {{"error", std::string(written.message())}});
    return 1;
  }
  auto health = std::make_unique<RedisHealthMonitor>(
      *redis, started->server->GetHealthCheckService());
  for (auto& c : consumers) c->Start();
  Log(LogLevel::kInfo, "started",
      {{"port", absl::StrCat(started->port)},
       {"consumer", consumer},
       {"rules_version", config->version()},
       {"postcode_data", data_version}});

  const int signal_number = WaitForTerminationSignal();
  Log(LogLevel::kInfo, "stopping", {{"signal", absl::StrCat(signal_number)}});
  for (auto& c : consumers) c->Stop();
  service.StopWatches();
  started->server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  pool.Shutdown();
  health.reset();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}
