// intake_service: takes referrals in over gRPC and stores them with their
// `submitted` event.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/keys.h"
#include "common/service/grpc_server.h"
#include "common/service/log.h"
#include "common/service/redis_health.h"
#include "common/service/redis_worker_pool.h"
#include "common/service/service_flags.h"
#include "common/service/signals.h"
#include "services/intake/intake_service.h"
#include "services/intake/referral_store.h"
#include "services/triage/triage_rules.h"

ABSL_FLAG(int, redis_workers, 4, "threads (each with a Redis connection) that store referrals");
ABSL_FLAG(std::string, rules, REFERRALS_DEFAULT_RULES,
          "rules (file or directory of versions): the signposts returned on submission");

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

  ReferralStore store{Keys(absl::GetFlag(FLAGS_redis_prefix))};
  RedisWorkerPool pool(*redis, absl::GetFlag(FLAGS_redis_workers));
  IntakeServiceImpl service(&store, &pool, absl::Now, ReferralLimits(),
                            std::make_shared<const TriageRules>(*catalog));

  absl::StatusOr<StartedServer> started =
      StartGrpcServer(absl::GetFlag(FLAGS_listen), {&service}, ServerTlsOptionsFromFlags(),
                      absl::GetFlag(FLAGS_health_listen));
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
  Log(LogLevel::kInfo, "started",
      {{"port", absl::StrCat(started->port)}, {"redis", absl::StrCat(redis->host, ":", redis->port)}});

  const int signal_number = WaitForTerminationSignal();
  Log(LogLevel::kInfo, "stopping", {{"signal", absl::StrCat(signal_number)}});
  // Stop taking calls; calls in flight get the grace period to finish.
  started->server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  pool.Shutdown();
  health.reset();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}
