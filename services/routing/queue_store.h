// Reads of the destination queues (one Redis stream per queue) for
// operations staff: depth and age, and following a queue live.
#ifndef SERVICES_ROUTING_QUEUE_STORE_H_
#define SERVICES_ROUTING_QUEUE_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/domain/rules_config.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "referrals/v1/routing_service.pb.h"

namespace referrals {

class QueueStore {
 public:
  QueueStore(Keys keys, std::shared_ptr<const RulesConfig> config);

  // Every queue of every team in the rules, in file order, with its depth
  // and the age of its oldest entry at `now`. One round trip.
  // Errors: Redis errors.
  absl::StatusOr<std::vector<referrals::v1::QueueSummary>> ListQueues(RedisConnection& connection,
                                                                      absl::Time now) const;

  // Entries of `queue` after `after_id` ("0" for all, "$" for only new
  // ones), waiting up to `block` for one to arrive. Entries that do not parse
  // are skipped. Errors: Redis errors.
  struct QueueEntry {
    std::string id;
    referrals::v1::ReferralRouted event;
  };
  absl::StatusOr<std::vector<QueueEntry>> Read(RedisConnection& connection,
                                               const std::string& queue,
                                               const std::string& after_id, absl::Duration block,
                                               int count) const;

  // The running totals the routing commits keep (Keys::Counters), e.g.
  // {"signpost:POLICE": 12}. Errors: Redis errors.
  absl::StatusOr<std::map<std::string, int64_t>> Counters(RedisConnection& connection) const;

  // The id of the newest entry on `queue`, or "0-0" when it is empty.
  absl::StatusOr<std::string> NewestId(RedisConnection& connection,
                                       const std::string& queue) const;

  bool IsKnownQueue(absl::string_view queue) const {
    return config_->FindTeamByQueue(queue) != nullptr;
  }

 private:
  Keys keys_;
  std::shared_ptr<const RulesConfig> config_;
};

// The time encoded in a stream entry id ("1700000000123-0" -> its ms).
absl::Time TimeOfEntryId(absl::string_view entry_id);

}  // namespace referrals

#endif  // SERVICES_ROUTING_QUEUE_STORE_H_
