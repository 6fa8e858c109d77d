// Where everything lives in Redis. Every key starts with a prefix (default
// "referrals:"), so several deployments or tests can share one server.
#ifndef COMMON_PIPELINE_KEYS_H_
#define COMMON_PIPELINE_KEYS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace referrals {

class Keys {
 public:
  explicit Keys(std::string prefix = "referrals:") : prefix_(std::move(prefix)) {}

  // Streams between the stages, and the event logs.
  std::string SubmittedStream() const { return prefix_ + "stream:submitted"; }
  std::string TriagedStream() const { return prefix_ + "stream:triaged"; }
  std::string RoutedStream() const { return prefix_ + "stream:routed"; }
  std::string DeadLetterStream() const { return prefix_ + "stream:deadletter"; }
  // Routed referrals that other authorities must be told of: the same
  // ReferralRouted event as on the queue, whose decision lists them in
  // to_be_informed. Their teams watch this stream.
  std::string NotificationsStream() const { return prefix_ + "stream:notifications"; }
  // Counts kept with the stage commits (field -> count), e.g.
  // "signpost:POLICE"; see StageCommit::counters.
  std::string Counters() const { return prefix_ + "counters"; }
  // An audit entry for every dead letter replayed (see dead_letter_store.h).
  std::string ReplayedStream() const { return prefix_ + "stream:replayed"; }
  // One stream per destination queue.
  std::string QueueStream(absl::string_view queue) const {
    return prefix_ + "queue:" + std::string(queue);
  }

  // Hash: referral, status, times, triage, decision, per-stage done markers.
  std::string Referral(absl::string_view referral_id) const {
    return prefix_ + "referral:" + std::string(referral_id);
  }
  // List of serialized StageEntry, oldest first.
  std::string History(absl::string_view referral_id) const {
    return prefix_ + "referral:" + std::string(referral_id) + ":history";
  }
  // Hash: the referral a caller's request id created, and its fingerprint.
  std::string Idempotency(absl::string_view request_id) const {
    return prefix_ + "request:" + std::string(request_id);
  }
  // The same, scoped to the calling system `client_id` (which must not
  // contain ':'), so two systems' request ids never collide. The anonymous
  // client ("anonymous", callers that name none) keeps the unscoped key
  // above, so claims stored before client ids existed still match.
  std::string Idempotency(absl::string_view client_id, absl::string_view request_id) const {
    if (client_id == "anonymous") return Idempotency(request_id);
    return prefix_ + "client:" + std::string(client_id) + ":request:" + std::string(request_id);
  }

  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
};

// Consumer group names.
inline constexpr char kTriageGroup[] = "triage";
inline constexpr char kRoutingGroup[] = "routing";

// Fields of the referral hash.
// The referral in clear: records written before issue 8 only (read, never
// written now).
inline constexpr char kFieldReferral[] = "referral";
// The referral as a serialized EncryptedReferral (common/crypto/
// referral_sealing.h); removed with the other personal fields by retention.
inline constexpr char kFieldSealedReferral[] = "sealed_referral";
// When retention removed the personal fields (ms since the epoch).
inline constexpr char kFieldPurgedMs[] = "purged_ms";
// When the referral reached a final status (completed, rejected, cancelled;
// ms since the epoch): what retention counts from.
inline constexpr char kFieldClosedMs[] = "closed_ms";
inline constexpr char kFieldStatus[] = "status";
inline constexpr char kFieldReceivedMicros[] = "received_us";
inline constexpr char kFieldCorrelationId[] = "correlation_id";
inline constexpr char kFieldTriage[] = "triage";
inline constexpr char kFieldDecision[] = "decision";
// Fields the lifecycle adds to the referral hash (services/routing/lifecycle_store.cc).
inline constexpr char kFieldVersion[] = "version";            // the etag
inline constexpr char kFieldQueue[] = "queue";                // current queue
inline constexpr char kFieldRespondByMs[] = "respond_by_ms";  // "0": none
inline constexpr char kFieldLeaseHolder[] = "lease_holder";
inline constexpr char kFieldLeaseUntilMs[] = "lease_until_ms";
inline constexpr char kFieldOverdueMs[] = "overdue_ms";
inline constexpr char kFieldAcceptedBy[] = "accepted_by";
inline constexpr char kFieldAcceptedMs[] = "accepted_ms";
inline constexpr char kFieldRejectReason[] = "reject_reason";

// Current event schema version; consumers dead-letter anything newer.
// 2 (issue 8): events carry the referral sealed (events.proto).
inline constexpr int kEventSchemaVersion = 2;

}  // namespace referrals

#endif  // COMMON_PIPELINE_KEYS_H_
