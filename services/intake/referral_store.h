// Intake's Redis side: stores a referral and its `submitted` event in one
// atomic step, idempotent on the caller's request id, and reads referrals
// back with their history.
#ifndef SERVICES_INTAKE_REFERRAL_STORE_H_
#define SERVICES_INTAKE_REFERRAL_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/data_keyring.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "referrals/v1/record.pb.h"
#include "referrals/v1/referral.pb.h"

namespace referrals {

struct NewReferral {
  std::string referral_id;
  // The calling system; scopes `referral.request_id` (see
  // Keys::Idempotency). A valid client id (caller_identity.h).
  std::string client_id = "anonymous";
  std::string correlation_id;
  absl::Time received_time;
  referrals::v1::Referral referral;
};

struct SubmitOutcome {
  std::string referral_id;
  bool duplicate = false;  // the request id was seen before
  referrals::v1::ReferralStatus status = referrals::v1::REFERRAL_STATUS_UNSPECIFIED;
  absl::Time received_time;
  std::string correlation_id;
};

class ReferralStore {
 public:
  // `keyring` seals the referral in the record and the event (issue 8);
  // nullptr: a disabled keyring (stored in clear, key id empty).
  explicit ReferralStore(Keys keys, std::shared_ptr<const DataKeyring> keyring = nullptr);

  // Stores the referral record, its first history entry, the request id's
  // claim and the `submitted` event, all or nothing (one Lua script). The
  // referral is sealed (referral_sealing.h) in both the record's
  // "sealed_referral" field and the event: never stored in clear. If the
  // request id was already used by the same client with the same content,
  // stores nothing and returns the original referral (duplicate = true).
  // Request ids of different clients are independent.
  // Errors: ALREADY_EXISTS (request id used with different content);
  // UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED from Redis (for
  // UNAVAILABLE and DEADLINE_EXCEEDED the outcome is unknown: retrying with
  // the same request id is safe).
  absl::StatusOr<SubmitOutcome> Submit(RedisConnection& connection,
                                       const NewReferral& referral) const;

  // Reads a referral with its status, triage, decision and history, the
  // referral opened (empty once retention purged it).
  // Errors: NOT_FOUND; Redis errors; DATA_LOSS if the record is corrupt or
  // fails authentication; NOT_FOUND also for a key id the keyring lacks
  // (the message names the key id).
  absl::StatusOr<referrals::v1::ReferralRecord> Get(RedisConnection& connection,
                                                    absl::string_view referral_id) const;

  const Keys& keys() const { return keys_; }

 private:
  Keys keys_;
  std::shared_ptr<const DataKeyring> keyring_;
};

// A stable fingerprint of a referral's content (FNV-1a 64 over its
// deterministic serialization), used to tell a retry from a reuse of a
// request id.
std::string ReferralFingerprint(const referrals::v1::Referral& referral);

}  // namespace referrals

#endif  // SERVICES_INTAKE_REFERRAL_STORE_H_
