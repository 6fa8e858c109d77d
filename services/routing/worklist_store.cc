#include "services/routing/worklist_store.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/pipeline/events.h"
#include "common/redis/redis_script.h"
#include "referrals/v1/decision.pb.h"
#include "referrals/v1/record.pb.h"
#include "services/routing/lifecycle_keys.h"
#include "services/routing/referral_lifecycle.h"

namespace referrals {
namespace {

using referrals::v1::WorklistItem;

// KEYS[1] record, KEYS[2] the worklist it must be on.
// ARGV[1] referral id, ARGV[2] claimer, ARGV[3] now ms, ARGV[4] lease end ms,
// ARGV[5] "claim" | "renew" | "release".
// Returns {1, version}; {-1} no record, {-2} not on that worklist, {-3}
// claim: someone holds a live lease; renew/release: not the holder.
constexpr char kLeaseScript[] = R"lua(
local rec = redis.call('HMGET', KEYS[1], 'status', 'lease_holder', 'lease_until_ms')
if not rec[1] then return {-1, 0} end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {-2, 0} end
local mode = ARGV[5]
if mode == 'claim' then
  if rec[2] and tonumber(rec[3] or '0') > tonumber(ARGV[3]) then return {-3, 0} end
  redis.call('HSET', KEYS[1], 'lease_holder', ARGV[2], 'lease_until_ms', ARGV[4])
elseif mode == 'renew' then
  if rec[2] ~= ARGV[2] then return {-3, 0} end
  redis.call('HSET', KEYS[1], 'lease_until_ms', ARGV[4])
else
  if rec[2] ~= ARGV[2] then return {-3, 0} end
  redis.call('HDEL', KEYS[1], 'lease_holder', 'lease_until_ms')
end
return {1, redis.call('HINCRBY', KEYS[1], 'version', 1)}
)lua";

const RedisScript& LeaseScript() {
  static const RedisScript* script = new RedisScript(kLeaseScript);
  return *script;
}

int64_t ToInt64(const RedisReply& reply) {
  int64_t value = 0;
  return reply.is_string() && absl::SimpleAtoi(reply.str, &value) ? value : 0;
}

// The record fields an item needs, in HMGET order.
const std::vector<std::string_view>& ItemFields() {
  static const auto* fields =
      new std::vector<std::string_view>{kFieldStatus,       kFieldVersion,        kFieldQueue,
                                        kFieldRespondByMs,  kFieldOverdueMs,      kFieldLeaseHolder,
                                        kFieldLeaseUntilMs, kFieldReceivedMicros, kFieldDecision};
  return *fields;
}

std::vector<std::string> HmGet(const std::string& key) {
  std::vector<std::string> argv = {"HMGET", key};
  for (std::string_view field : ItemFields()) argv.emplace_back(field);
  return argv;
}

// The item from an HMGET reply; nullopt when the record is gone. `queue`
// gets the record's queue.
std::optional<WorklistItem> ItemOf(const std::string& referral_id, const RedisReply& reply,
                                   std::string* queue) {
  if (!reply.is_array() || reply.elements.size() != ItemFields().size() ||
      reply.elements[0].is_nil()) {
    return std::nullopt;
  }
  const std::vector<RedisReply>& v = reply.elements;
  WorklistItem item;
  item.set_referral_id(referral_id);
  const int64_t status = ToInt64(v[0]);
  if (referrals::v1::ReferralStatus_IsValid(static_cast<int>(status))) {
    item.set_status(static_cast<referrals::v1::ReferralStatus>(status));
  }
  item.set_etag(ToInt64(v[1]));
  if (queue != nullptr) *queue = v[2].str;
  if (ToInt64(v[3]) > 0)
    *item.mutable_respond_by() = ToTimestamp(absl::FromUnixMillis(ToInt64(v[3])));
  item.set_overdue(!v[4].is_nil());
  if (!v[5].is_nil()) {
    item.mutable_lease()->set_holder(v[5].str);
    *item.mutable_lease()->mutable_expires_time() =
        ToTimestamp(absl::FromUnixMillis(ToInt64(v[6])));
  }
  *item.mutable_received_time() = ToTimestamp(absl::FromUnixMicros(ToInt64(v[7])));
  referrals::v1::RoutingDecision decision;
  if (v[8].is_string() && decision.ParseFromString(v[8].str)) {
    item.set_priority(decision.priority());
  }
  return item;
}

bool LeaseLive(const WorklistItem& item, absl::Time now) {
  return item.has_lease() && FromTimestamp(item.lease().expires_time()) > now;
}

struct Token {
  int64_t score = 0;
  std::string member;
};

std::optional<Token> ParseToken(const std::string& text) {
  std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 1));
  Token token;
  if (!absl::SimpleAtoi(parts.first, &token.score) || parts.second.empty()) return std::nullopt;
  token.member = parts.second;
  return token;
}

constexpr int kChunk = 100;
constexpr int kMaxScanned = 2000;

}  // namespace

WorklistStore::WorklistStore(Keys keys) : keys_(std::move(keys)) {}

absl::StatusOr<WorklistPage> WorklistStore::List(RedisConnection& connection,
                                                 const std::string& queue,
                                                 const std::string& page_token, int page_size,
                                                 const WorklistFilter& filter,
                                                 absl::Time now) const {
  std::optional<Token> after;
  if (!page_token.empty()) {
    after = ParseToken(page_token);
    if (!after.has_value())
      return absl::InvalidArgumentError("page_token is not one this returned");
  }
  std::string min = "-inf";
  std::string max = "+inf";
  if (filter.priority != referrals::v1::PRIORITY_UNSPECIFIED) {
    const int64_t band_start = WorklistScore(filter.priority, absl::UnixEpoch());
    min = absl::StrCat(band_start);
    max = absl::StrCat("(", band_start + kWorklistBand);
  }
  if (after.has_value()) min = absl::StrCat(after->score);
  const std::string key = WorklistKey(keys_, queue);

  WorklistPage page;
  int scanned = 0;
  int offset = 0;
  std::string last_scanned;
  while (true) {
    absl::StatusOr<RedisReply> range =
        connection.Command({"ZRANGEBYSCORE", key, min, max, "WITHSCORES", "LIMIT",
                            absl::StrCat(offset), absl::StrCat(kChunk)});
    if (!range.ok()) return range.status();
    if (range->type == RedisReply::Type::kError) return StatusFromRedisError(range->str);
    const size_t got = range->elements.size() / 2;
    offset += static_cast<int>(got);
    std::vector<std::pair<std::string, int64_t>> candidates;
    for (size_t i = 0; i < got; ++i) {
      const std::string& member = range->elements[2 * i].str;
      int64_t score = 0;
      double as_double = 0;
      if (absl::SimpleAtod(range->elements[2 * i + 1].str, &as_double)) {
        score = static_cast<int64_t>(as_double);
      }
      if (after.has_value() && score == after->score && member <= after->member) continue;
      candidates.emplace_back(member, score);
    }
    std::vector<std::string> record_keys;
    std::vector<std::vector<std::string>> commands;
    record_keys.reserve(candidates.size());
    for (const auto& candidate : candidates) record_keys.push_back(keys_.Referral(candidate.first));
    for (const std::string& record_key : record_keys) commands.push_back(HmGet(record_key));
    absl::StatusOr<std::vector<RedisReply>> replies =
        commands.empty() ? std::vector<RedisReply>{} : connection.Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (size_t i = 0; i < candidates.size(); ++i) {
      ++scanned;
      last_scanned = absl::StrCat(candidates[i].second, ":", candidates[i].first);
      std::optional<WorklistItem> item = ItemOf(candidates[i].first, (*replies)[i], nullptr);
      if (!item.has_value() || !IsAwaitingAction(item->status())) continue;
      item->set_priority(PriorityOfScore(candidates[i].second));
      if (filter.overdue_only && !item->overdue()) continue;
      if (filter.unclaimed_only && LeaseLive(*item, now)) continue;
      page.items.push_back(*std::move(item));
      if (static_cast<int>(page.items.size()) == page_size) {
        // More may follow: the next page starts after this item.
        page.next_page_token = last_scanned;
        return page;
      }
    }
    if (got < static_cast<size_t>(kChunk)) return page;  // the end
    if (scanned >= kMaxScanned) {
      page.next_page_token = last_scanned;
      return page;
    }
  }
}

absl::StatusOr<WorklistItem> WorklistStore::ClaimNext(RedisConnection& connection,
                                                      const std::string& queue,
                                                      const std::string& claimer,
                                                      absl::Duration lease, absl::Time now) const {
  const std::string key = WorklistKey(keys_, queue);
  const std::string now_ms = absl::StrCat(absl::ToUnixMillis(now));
  const std::string until_ms = absl::StrCat(absl::ToUnixMillis(now + lease));
  for (int offset = 0;; offset += kChunk) {
    absl::StatusOr<RedisReply> range = connection.Command(
        {"ZRANGE", key, absl::StrCat(offset), absl::StrCat(offset + kChunk - 1)});
    if (!range.ok()) return range.status();
    if (range->type == RedisReply::Type::kError) return StatusFromRedisError(range->str);
    for (const RedisReply& member : range->elements) {
      const std::string record_key = keys_.Referral(member.str);
      // Atomic per referral: of concurrent claimers, one wins, the others
      // see the live lease and move on.
      absl::StatusOr<RedisReply> claimed = LeaseScript().Run(
          connection, {record_key, key}, {member.str, claimer, now_ms, until_ms, "claim"});
      if (!claimed.ok()) return claimed.status();
      if (claimed->is_array() && !claimed->elements.empty() && claimed->elements[0].integer == 1) {
        absl::StatusOr<std::optional<std::pair<std::string, WorklistItem>>> item =
            ReadItem(connection, member.str);
        if (!item.ok()) return item.status();
        if (item->has_value()) return (*item)->second;
      }
    }
    if (range->elements.size() < static_cast<size_t>(kChunk)) break;
  }
  return absl::NotFoundError(absl::StrCat("nothing to claim on queue ", queue));
}

absl::StatusOr<std::optional<std::pair<std::string, WorklistItem>>> WorklistStore::ReadItem(
    RedisConnection& connection, const std::string& referral_id) const {
  const std::vector<std::string> command = HmGet(keys_.Referral(referral_id));
  absl::StatusOr<RedisReply> reply =
      connection.Command(std::vector<std::string_view>(command.begin(), command.end()));
  if (!reply.ok()) return reply.status();
  if (reply->type == RedisReply::Type::kError) return StatusFromRedisError(reply->str);
  std::string queue;
  std::optional<WorklistItem> item = ItemOf(referral_id, *reply, &queue);
  if (!item.has_value()) return std::optional<std::pair<std::string, WorklistItem>>();
  return std::make_optional(std::make_pair(queue, *std::move(item)));
}

absl::StatusOr<WorklistItem> WorklistStore::Renew(RedisConnection& connection,
                                                  const std::string& referral_id,
                                                  const std::string& claimer, absl::Duration lease,
                                                  absl::Time now) const {
  absl::StatusOr<std::optional<std::pair<std::string, WorklistItem>>> item =
      ReadItem(connection, referral_id);
  if (!item.ok()) return item.status();
  if (!item->has_value()) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
  const std::string& queue = (*item)->first;
  if (queue.empty() || !IsAwaitingAction((*item)->second.status())) {
    return absl::FailedPreconditionError(absl::StrCat("referral is ",
                                                      StatusName((*item)->second.status()),
                                                      ": not on a worklist, so it has no lease"));
  }
  absl::StatusOr<RedisReply> renewed =
      LeaseScript().Run(connection, {keys_.Referral(referral_id), WorklistKey(keys_, queue)},
                        {referral_id, claimer, absl::StrCat(absl::ToUnixMillis(now)),
                         absl::StrCat(absl::ToUnixMillis(now + lease)), "renew"});
  if (!renewed.ok()) return renewed.status();
  const int64_t code =
      renewed->is_array() && !renewed->elements.empty() ? renewed->elements[0].integer : 0;
  if (code == -1) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
  if (code == -2) return absl::FailedPreconditionError("referral left its worklist meanwhile");
  if (code == -3) return absl::FailedPreconditionError("the lease is not held by this claimer");
  if (code != 1) return absl::InternalError("lease script returned an unexpected reply");
  item = ReadItem(connection, referral_id);
  if (!item.ok()) return item.status();
  if (!item->has_value()) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
  return (*item)->second;
}

absl::StatusOr<int64_t> WorklistStore::Release(RedisConnection& connection,
                                               const std::string& referral_id,
                                               const std::string& claimer) const {
  absl::StatusOr<std::optional<std::pair<std::string, WorklistItem>>> item =
      ReadItem(connection, referral_id);
  if (!item.ok()) return item.status();
  if (!item->has_value()) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
  const std::string& queue = (*item)->first;
  if (queue.empty() || !IsAwaitingAction((*item)->second.status())) {
    return absl::FailedPreconditionError(absl::StrCat("referral is ",
                                                      StatusName((*item)->second.status()),
                                                      ": not on a worklist, so it has no lease"));
  }
  absl::StatusOr<RedisReply> released =
      LeaseScript().Run(connection, {keys_.Referral(referral_id), WorklistKey(keys_, queue)},
                        {referral_id, claimer, "0", "0", "release"});
  if (!released.ok()) return released.status();
  const int64_t code =
      released->is_array() && released->elements.size() == 2 ? released->elements[0].integer : 0;
  if (code == -1) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
  if (code == -2) return absl::FailedPreconditionError("referral left its worklist meanwhile");
  if (code == -3) return absl::FailedPreconditionError("the lease is not held by this claimer");
  if (code != 1) return absl::InternalError("lease script returned an unexpected reply");
  return released->elements[1].integer;
}

absl::StatusOr<std::vector<std::pair<std::string, WorklistItem>>> WorklistStore::ListOverdue(
    RedisConnection& connection, int limit) const {
  absl::StatusOr<RedisReply> range =
      connection.Command({"ZRANGE", OverdueKey(keys_), "0", absl::StrCat(limit - 1)});
  if (!range.ok()) return range.status();
  if (range->type == RedisReply::Type::kError) return StatusFromRedisError(range->str);
  std::vector<std::pair<std::string, WorklistItem>> out;
  for (const RedisReply& member : range->elements) {
    absl::StatusOr<std::optional<std::pair<std::string, WorklistItem>>> item =
        ReadItem(connection, member.str);
    if (!item.ok()) return item.status();
    if (!item->has_value() || !IsAwaitingAction((*item)->second.status())) continue;
    out.push_back(**std::move(item));
  }
  return out;
}

}  // namespace referrals
