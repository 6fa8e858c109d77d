#include "services/intake/referral_store.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/referral_sealing.h"
#include "common/pipeline/events.h"
#include "common/pipeline/record_reader.h"
#include "common/redis/redis_script.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "referrals/v1/events.pb.h"

namespace referrals {
namespace {

using referrals::v1::ReferralRecord;

// KEYS[1] request-id hash, KEYS[2] record hash, KEYS[3] history list,
// KEYS[4] submitted stream.
// ARGV[1] referral id, ARGV[2] fingerprint, ARGV[3] sealed referral, ARGV[4]
// received micros, ARGV[5] correlation id, ARGV[6] status, ARGV[7] history
// entry, ARGV[8] submitted event, ARGV[9] request id, ARGV[10] client id.
// Returns {1, id, fingerprint} when stored, {0, id, fingerprint} for a
// request id already claimed (nothing written).
constexpr char kSubmitScript[] = R"lua(
local existing = redis.call('HMGET', KEYS[1], 'referral_id', 'fingerprint')
if existing[1] then
  return {0, existing[1], existing[2]}
end
redis.call('HSET', KEYS[1], 'referral_id', ARGV[1], 'fingerprint', ARGV[2])
redis.call('HSET', KEYS[2], 'sealed_referral', ARGV[3], 'received_us', ARGV[4],
           'correlation_id', ARGV[5], 'status', ARGV[6], 'request_id', ARGV[9],
           'client_id', ARGV[10])
redis.call('RPUSH', KEYS[3], ARGV[7])
redis.call('XADD', KEYS[4], '*', 'referral_id', ARGV[1], 'event', ARGV[8])
return {1, ARGV[1], ARGV[2]}
)lua";

const RedisScript& SubmitScript() {
  static const RedisScript* script = new RedisScript(kSubmitScript);
  return *script;
}

std::string DeterministicBytes(const google::protobuf::MessageLite& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

}  // namespace

ReferralStore::ReferralStore(Keys keys, std::shared_ptr<const DataKeyring> keyring)
    : keys_(std::move(keys)),
      keyring_(keyring != nullptr ? std::move(keyring)
                                  : std::shared_ptr<const DataKeyring>(DataKeyring::Disabled())) {}

std::string ReferralFingerprint(const referrals::v1::Referral& referral) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : DeterministicBytes(referral)) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrCat(absl::Hex(hash, absl::kZeroPad16));
}

absl::StatusOr<SubmitOutcome> ReferralStore::Submit(RedisConnection& connection,
                                                    const NewReferral& in) const {
  // The fingerprint is a 64-bit hash of the content, kept beside the request
  // id to tell a retry from a reuse; it reveals nothing readable.
  const std::string fingerprint = ReferralFingerprint(in.referral);
  const referrals::v1::EncryptedReferral sealed =
      SealReferral(*keyring_, in.referral_id, in.referral);
  const std::string referral_bytes = sealed.SerializeAsString();
  const std::string received_us = absl::StrCat(absl::ToUnixMicros(in.received_time));
  const std::string status = absl::StrCat(referrals::v1::REFERRAL_STATUS_RECEIVED);

  referrals::v1::StageEntry history;
  history.set_stage(referrals::v1::STAGE_INTAKE);
  history.set_status(referrals::v1::REFERRAL_STATUS_RECEIVED);
  *history.mutable_time() = ToTimestamp(in.received_time);
  history.set_summary(absl::StrCat("Received through ",
                                   referrals::v1::Channel_Name(in.referral.channel()),
                                   "; validated and stored"));
  history.set_worker("intake");

  referrals::v1::ReferralSubmitted event;
  *event.mutable_meta() = NewEventMeta(in.referral_id, in.correlation_id, in.received_time);
  *event.mutable_sealed_referral() = sealed;
  *event.mutable_received_time() = ToTimestamp(in.received_time);

  const std::string idempotency_key = keys_.Idempotency(in.client_id, in.referral.request_id());
  const std::string record_key = keys_.Referral(in.referral_id);
  const std::string history_key = keys_.History(in.referral_id);
  const std::string submitted_stream = keys_.SubmittedStream();
  const std::string history_bytes = history.SerializeAsString();
  const std::string event_bytes = event.SerializeAsString();

  absl::StatusOr<RedisReply> reply = SubmitScript().Run(
      connection, {idempotency_key, record_key, history_key, submitted_stream},
      {in.referral_id, fingerprint, referral_bytes, received_us, in.correlation_id, status,
       history_bytes, event_bytes, in.referral.request_id(), in.client_id});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() != 3) {
    return absl::InternalError("submit script returned an unexpected reply");
  }

  SubmitOutcome outcome;
  outcome.referral_id = reply->elements[1].str;
  if (reply->elements[0].integer == 1) {
    outcome.status = referrals::v1::REFERRAL_STATUS_RECEIVED;
    outcome.received_time = in.received_time;
    outcome.correlation_id = in.correlation_id;
    return outcome;
  }

  if (reply->elements[2].str != fingerprint) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id was already used for referral ", outcome.referral_id,
                     " with different content; use a new request_id for a new referral"));
  }
  outcome.duplicate = true;
  absl::StatusOr<RedisReply> existing =
      connection.Command({"HMGET", keys_.Referral(outcome.referral_id), kFieldStatus,
                          kFieldReceivedMicros, kFieldCorrelationId});
  if (!existing.ok()) return existing.status();
  if (existing->is_array() && existing->elements.size() == 3) {
    int status_value = 0;
    int64_t micros = 0;
    if (absl::SimpleAtoi(existing->elements[0].str, &status_value) &&
        referrals::v1::ReferralStatus_IsValid(status_value)) {
      outcome.status = static_cast<referrals::v1::ReferralStatus>(status_value);
    }
    if (absl::SimpleAtoi(existing->elements[1].str, &micros)) {
      outcome.received_time = absl::FromUnixMicros(micros);
    }
    outcome.correlation_id = existing->elements[2].str;
  }
  return outcome;
}

absl::StatusOr<ReferralRecord> ReferralStore::Get(RedisConnection& connection,
                                                  absl::string_view referral_id) const {
  return ReadReferralRecord(connection, keys_, referral_id, keyring_.get());
}

}  // namespace referrals
