#include "common/pipeline/record_reader.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/referral_sealing.h"
#include "common/pipeline/events.h"

namespace referrals {
namespace {

int64_t ToInt64(const std::string& text) {
  int64_t value = 0;
  return absl::SimpleAtoi(text, &value) ? value : 0;
}

}  // namespace

absl::StatusOr<referrals::v1::ReferralRecord> ReadReferralRecord(RedisConnection& connection,
                                                                 const Keys& keys,
                                                                 absl::string_view referral_id,
                                                                 const DataKeyring* keyring) {
  absl::StatusOr<std::vector<RedisReply>> replies = connection.Pipeline({
      {"HGETALL", keys.Referral(referral_id)},
      {"LRANGE", keys.History(referral_id), "0", "-1"},
  });
  if (!replies.ok()) return replies.status();
  const RedisReply& fields = (*replies)[0];
  const RedisReply& history = (*replies)[1];
  if (fields.type == RedisReply::Type::kError) return StatusFromRedisError(fields.str);
  if (!fields.is_array() || fields.elements.empty()) {
    return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
  }
  referrals::v1::ReferralRecord record;
  record.set_referral_id(std::string(referral_id));
  bool parsed = true;
  std::string lease_holder;
  std::optional<referrals::v1::EncryptedReferral> sealed;
  int64_t lease_until_ms = 0;
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    const std::string& name = fields.elements[i].str;
    const std::string& value = fields.elements[i + 1].str;
    if (name == kFieldReferral) {
      parsed &= record.mutable_referral()->ParseFromString(value);
    } else if (name == kFieldSealedReferral) {
      sealed.emplace();
      parsed &= sealed->ParseFromString(value);
      record.set_data_key_id(sealed->key_id());
    } else if (name == kFieldPurgedMs) {
      *record.mutable_personal_data_purged_time() =
          ToTimestamp(absl::FromUnixMillis(ToInt64(value)));
    } else if (name == kFieldStatus) {
      const int64_t status = ToInt64(value);
      if (referrals::v1::ReferralStatus_IsValid(static_cast<int>(status))) {
        record.set_status(static_cast<referrals::v1::ReferralStatus>(status));
      }
    } else if (name == kFieldReceivedMicros) {
      *record.mutable_received_time() = ToTimestamp(absl::FromUnixMicros(ToInt64(value)));
    } else if (name == kFieldCorrelationId) {
      record.set_correlation_id(value);
    } else if (name == kFieldTriage) {
      parsed &= record.mutable_triage()->ParseFromString(value);
    } else if (name == kFieldDecision) {
      parsed &= record.mutable_decision()->ParseFromString(value);
    } else if (name == kFieldVersion) {
      record.set_etag(ToInt64(value));
    } else if (name == kFieldQueue) {
      record.set_queue(value);
    } else if (name == kFieldRespondByMs) {
      if (ToInt64(value) > 0) {
        *record.mutable_respond_by() = ToTimestamp(absl::FromUnixMillis(ToInt64(value)));
      }
    } else if (name == kFieldLeaseHolder) {
      lease_holder = value;
    } else if (name == kFieldLeaseUntilMs) {
      lease_until_ms = ToInt64(value);
    } else if (name == kFieldOverdueMs) {
      *record.mutable_overdue_time() = ToTimestamp(absl::FromUnixMillis(ToInt64(value)));
    } else if (name == kFieldAcceptedBy) {
      record.set_accepted_by(value);
    } else if (name == kFieldAcceptedMs) {
      *record.mutable_accepted_time() = ToTimestamp(absl::FromUnixMillis(ToInt64(value)));
    } else if (name == kFieldRejectReason) {
      const int64_t reason = ToInt64(value);
      if (referrals::v1::RejectReason_IsValid(static_cast<int>(reason))) {
        record.set_reject_reason(static_cast<referrals::v1::RejectReason>(reason));
      }
    }
  }
  if (!lease_holder.empty()) {
    record.mutable_lease()->set_holder(lease_holder);
    *record.mutable_lease()->mutable_expires_time() =
        ToTimestamp(absl::FromUnixMillis(lease_until_ms));
  }
  if (history.is_array()) {
    for (const RedisReply& entry : history.elements) {
      parsed &= record.add_history()->ParseFromString(entry.str);
    }
  }
  if (!parsed) return absl::DataLossError(absl::StrCat("referral ", referral_id, " is corrupt"));
  if (sealed.has_value() && keyring != nullptr) {
    absl::StatusOr<referrals::v1::Referral> opened =
        OpenStoredReferral(*keyring, referral_id, *sealed);
    if (!opened.ok()) return opened.status();
    *record.mutable_referral() = *std::move(opened);
  }
  return record;
}

}  // namespace referrals
