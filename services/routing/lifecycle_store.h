// The receiving teams' changes to a referral record in Redis: reading the
// record with its lifecycle fields, and applying a lifecycle transition
// (accept, redirect, reject, complete, cancel) as one atomic Lua script.
//
// Each transition, atomically: checks the etag (the record's "version",
// which every change adds one to), the status against the state machine
// (referral_lifecycle.h) and any live lease held by someone else; sets the
// new status and fields; adds one to the version; appends a StageEntry
// (STAGE_LIFECYCLE, with the actor) to the history; writes a LifecycleEvent
// on the lifecycle stream; and moves the referral off its worklist (accept,
// reject, cancel) or onto another one (redirect). Free text (comments,
// redirect reasons) and actors go into the record only, never into logs or
// error messages.
//
// Thread-safe (no mutable state); a RedisConnection is used by one thread.
#ifndef SERVICES_ROUTING_LIFECYCLE_STORE_H_
#define SERVICES_ROUTING_LIFECYCLE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/data_keyring.h"
#include "common/domain/rules_config.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "referrals/v1/record.pb.h"

namespace referrals {

struct TransitionRequest {
  std::string referral_id;
  referrals::v1::LifecycleAction action = referrals::v1::LIFECYCLE_ACTION_UNSPECIFIED;
  int64_t etag = 0;   // 0: do not check
  std::string actor;  // who; personal data
  // The authenticated caller id (Caller::id) that asks; "" when
  // authentication is off. Recorded beside `actor`; not personal data.
  std::string caller_id;
  std::string to_queue;  // REDIRECT
  std::string comment;   // REDIRECT reason, REJECT comment, CANCEL reason
  referrals::v1::RejectReason reject_reason = referrals::v1::REJECT_REASON_UNSPECIFIED;
};

struct TransitionResult {
  referrals::v1::ReferralStatus status = referrals::v1::REFERRAL_STATUS_UNSPECIFIED;
  int64_t etag = 0;  // the record's version after the change
};

class LifecycleStore {
 public:
  // `config` is the rules in force: the queues a redirect may go to.
  // `keyring` opens the sealed referral for GetOpened; nullptr: a disabled
  // keyring.
  LifecycleStore(Keys keys, std::shared_ptr<const RulesConfig> config,
                 std::shared_ptr<const DataKeyring> keyring = nullptr);

  // The record with history and the lifecycle fields (etag, queue, lease,
  // overdue_time, respond_by, accepted_*, reject_reason, allowed_actions),
  // without the sealed referral opened (only one stored in clear before
  // issue 8 is filled in). Errors: NOT_FOUND; DATA_LOSS (unparsable record);
  // Redis errors.
  absl::StatusOr<referrals::v1::ReferralRecord> Get(RedisConnection& connection,
                                                    absl::string_view referral_id) const;

  // Get with the referral opened (in memory; empty once purged). Errors:
  // Get's, and NOT_FOUND / DATA_LOSS when the referral cannot be opened (the
  // message names the referral id and key id).
  absl::StatusOr<referrals::v1::ReferralRecord> GetOpened(RedisConnection& connection,
                                                          absl::string_view referral_id) const;

  // The referral a request id created, in the scope of the calling system
  // `client_id` (see Keys::Idempotency).
  // Errors: NOT_FOUND; Redis errors.
  absl::StatusOr<std::string> ReferralIdForRequest(RedisConnection& connection,
                                                   absl::string_view client_id,
                                                   absl::string_view request_id) const;
  // The same for the caller id "anonymous" (callers that named none).
  absl::StatusOr<std::string> ReferralIdForRequest(RedisConnection& connection,
                                                   absl::string_view request_id) const;

  // Applies `request` at `now`. The caller has checked required fields.
  // Errors: NOT_FOUND (no such referral); ABORTED (etag stale); and
  // FAILED_PRECONDITION when the status does not allow the action (the
  // message names both), when another claimer holds a live lease (accept,
  // redirect, reject), or for a redirect to a queue the rules do not know,
  // to the out-of-area queue or to the queue it is on; Redis errors.
  absl::StatusOr<TransitionResult> Transition(RedisConnection& connection,
                                              const TransitionRequest& request,
                                              absl::Time now) const;

  // Names of the team and authority of a queue of the rules in force (the
  // queue id itself when unknown). For ReferralOutcome.
  std::string TeamNameOf(absl::string_view queue) const;
  std::string AuthorityNameOf(absl::string_view queue) const;
  // The rules' authority id of a queue's team ("" for a queue no authority
  // owns, e.g. manual-triage, or an unknown one).
  std::string AuthorityIdOf(absl::string_view queue) const;

  const Keys& keys() const { return keys_; }

 private:
  Keys keys_;
  std::shared_ptr<const RulesConfig> config_;
  std::shared_ptr<const DataKeyring> keyring_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_LIFECYCLE_STORE_H_
