// A queue's worklist: the referrals awaiting action on it (a sorted set per
// queue, kept by the routing commit and the lifecycle transitions), in
// priority then age order, and the leases workers take on them.
//
// Claims are atomic per referral (a Lua script on the record): two claimers
// never both hold a live lease on one referral. Every lease change adds one
// to the record's version (etag). Claimer names are personal data: stored on
// the record, never logged or put in error messages.
//
// Thread-safe (no mutable state); a RedisConnection is used by one thread.
#ifndef SERVICES_ROUTING_WORKLIST_STORE_H_
#define SERVICES_ROUTING_WORKLIST_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "referrals/v1/lifecycle.pb.h"

namespace referrals {

struct WorklistFilter {
  referrals::v1::Priority priority = referrals::v1::PRIORITY_UNSPECIFIED;  // any
  bool overdue_only = false;
  bool unclaimed_only = false;  // no live lease at `now`
};

struct WorklistPage {
  std::vector<referrals::v1::WorklistItem> items;
  std::string next_page_token;  // empty on the last page
};

class WorklistStore {
 public:
  explicit WorklistStore(Keys keys);

  // Items of `queue`'s worklist after `page_token` (empty: from the start),
  // in order, that pass `filter` at `now`; at most `page_size` (>= 1). Reads
  // at most a bounded number of entries per call, so a filtered page may be
  // short with a token. Errors: INVALID_ARGUMENT (page_token not one this
  // returned); Redis errors.
  absl::StatusOr<WorklistPage> List(RedisConnection& connection, const std::string& queue,
                                    const std::string& page_token, int page_size,
                                    const WorklistFilter& filter, absl::Time now) const;

  // Leases the first item of `queue` nobody holds a live lease on to
  // `claimer` until now + lease. Errors: NOT_FOUND (nothing to claim);
  // Redis errors.
  absl::StatusOr<referrals::v1::WorklistItem> ClaimNext(RedisConnection& connection,
                                                        const std::string& queue,
                                                        const std::string& claimer,
                                                        absl::Duration lease, absl::Time now) const;

  // Extends `claimer`'s lease on the referral to now + lease (also when it
  // has expired, as long as nobody else claimed it since).
  // Errors: NOT_FOUND (no such referral); FAILED_PRECONDITION (not on a
  // worklist, or the lease is not `claimer`'s); Redis errors.
  absl::StatusOr<referrals::v1::WorklistItem> Renew(RedisConnection& connection,
                                                    const std::string& referral_id,
                                                    const std::string& claimer,
                                                    absl::Duration lease, absl::Time now) const;

  // Ends `claimer`'s lease. Errors as Renew. Returns the new etag.
  absl::StatusOr<int64_t> Release(RedisConnection& connection, const std::string& referral_id,
                                  const std::string& claimer) const;

  // Referrals flagged overdue and still awaiting action, oldest respond-by
  // first, at most `limit`, each with the queue it is on.
  // Errors: Redis errors.
  absl::StatusOr<std::vector<std::pair<std::string, referrals::v1::WorklistItem>>> ListOverdue(
      RedisConnection& connection, int limit) const;

 private:
  // The item for `referral_id` from its record; nullopt when the record is
  // gone.
  absl::StatusOr<std::optional<std::pair<std::string, referrals::v1::WorklistItem>>> ReadItem(
      RedisConnection& connection, const std::string& referral_id) const;

  Keys keys_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_WORKLIST_STORE_H_
