#include "common/pipeline/dead_letter_store.h"

#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/redis/redis_script.h"
#include "referrals/v1/events.pb.h"

namespace referrals {
namespace {

// KEYS[1] dead-letter stream, KEYS[2] source stream, KEYS[3] replay audit
// stream. ARGV[1] dead-letter id, ARGV[2] its "event" field as read before
// (so what is re-added is exactly what was checked), ARGV[3] referral id,
// ARGV[4] original payload, ARGV[5] stage.
// Returns {1, new entry id}; 0 when the dead letter is gone (replayed or
// deleted meanwhile); -1 when it no longer holds the event read.
constexpr char kReplayScript[] = R"lua(
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return 0 end
local fields = found[1][2]
local event = false
for i = 1, #fields, 2 do
  if fields[i] == 'event' then event = fields[i + 1] end
end
if event ~= ARGV[2] then return -1 end
local id = redis.call('XADD', KEYS[2], '*', 'referral_id', ARGV[3], 'event', ARGV[4])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'dead_letter_id', ARGV[1], 'referral_id', ARGV[3],
           'stage', ARGV[5], 'stream', KEYS[2], 'entry_id', id)
return {1, id}
)lua";

const RedisScript& ReplayScript() {
  static const RedisScript* script = new RedisScript(kReplayScript);
  return *script;
}

// The fields of one dead-letter stream entry ([id, [field, value, ...]]).
struct RawDeadLetter {
  std::string id;
  std::string referral_id;
  std::string stage;
  std::string event;
  bool has_event = false;
};

RawDeadLetter ParseRaw(const RedisReply& raw) {
  RawDeadLetter letter;
  if (!raw.is_array() || raw.elements.size() < 2) return letter;
  letter.id = raw.elements[0].str;
  const RedisReply& fields = raw.elements[1];
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    const std::string& name = fields.elements[i].str;
    const std::string& value = fields.elements[i + 1].str;
    if (name == "referral_id") {
      letter.referral_id = value;
    } else if (name == "stage") {
      letter.stage = value;
    } else if (name == "event") {
      letter.event = value;
      letter.has_event = true;
    }
  }
  return letter;
}

DeadLetterInfo ToInfo(const RawDeadLetter& raw, referrals::v1::DeadLetter* parsed) {
  DeadLetterInfo info;
  info.id = raw.id;
  info.referral_id = raw.referral_id;
  info.stage = raw.stage;
  const std::optional<StreamId> id = StreamId::Parse(raw.id);
  if (id.has_value() && id->millis <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    info.dead_lettered_time = absl::FromUnixMillis(static_cast<int64_t>(id->millis));
  }
  referrals::v1::DeadLetter letter;
  if (!raw.has_event || !letter.ParseFromString(raw.event)) {
    info.readable = false;
    info.error = "the dead letter's event does not parse";
    return info;
  }
  if (!letter.stage().empty()) info.stage = letter.stage();
  info.source_stream = letter.stream();
  info.entry_id = letter.entry_id();
  info.error = letter.error();
  info.attempts = letter.attempts();
  if (letter.has_dead_lettered_time()) {
    info.dead_lettered_time = FromTimestamp(letter.dead_lettered_time());
  }
  if (parsed != nullptr) *parsed = std::move(letter);
  return info;
}

}  // namespace

DeadLetterStore::DeadLetterStore(Keys keys) : keys_(std::move(keys)) {}

absl::StatusOr<DeadLetterPage> DeadLetterStore::List(RedisConnection& connection,
                                                     const std::optional<StreamId>& after,
                                                     int page_size) const {
  if (page_size < 1) return absl::InvalidArgumentError("page_size must be at least 1");
  DeadLetterPage page;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (after.has_value() && after->millis == kMax && after->sequence == kMax) {
    return page;  // nothing can follow the largest id (and Redis rejects "(max")
  }
  // One more than asked, to know whether another page follows.
  const std::string start = after.has_value() ? absl::StrCat("(", after->ToString()) : "-";
  absl::StatusOr<RedisReply> reply =
      connection.Command({"XRANGE", keys_.DeadLetterStream(), start, "+", "COUNT",
                          absl::StrCat(static_cast<int64_t>(page_size) + 1)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array()) return absl::InternalError("XRANGE returned an unexpected reply");
  for (const RedisReply& raw : reply->elements) {
    if (static_cast<int>(page.dead_letters.size()) == page_size) {
      page.next_after = StreamId::Parse(page.dead_letters.back().id);
      break;
    }
    page.dead_letters.push_back(ToInfo(ParseRaw(raw), nullptr));
  }
  return page;
}

absl::StatusOr<ReplayResult> DeadLetterStore::Replay(RedisConnection& connection,
                                                     const StreamId& id) const {
  const std::string id_text = id.ToString();
  const std::string dead_letter_stream = keys_.DeadLetterStream();
  absl::StatusOr<RedisReply> reply =
      connection.Command({"XRANGE", dead_letter_stream, id_text, id_text});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.empty()) {
    return absl::NotFoundError(absl::StrCat("no dead letter ", id_text));
  }
  const RawDeadLetter raw = ParseRaw(reply->elements[0]);
  referrals::v1::DeadLetter letter;
  const DeadLetterInfo info = ToInfo(raw, &letter);
  if (!info.readable) {
    return absl::FailedPreconditionError(
        absl::StrCat("dead letter ", id_text, " does not parse; it cannot be replayed"));
  }
  // Only a stage's input stream under this prefix: the key comes from stored
  // data and must never let a replay write anywhere else.
  if (letter.stream() != keys_.SubmittedStream() && letter.stream() != keys_.TriagedStream()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dead letter ", id_text, " names a source stream that is not a pipeline stage's input"));
  }
  if (letter.payload().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("dead letter ", id_text, " has no payload to replay"));
  }

  const std::string replayed_stream = ReplayedStream();
  absl::StatusOr<RedisReply> replayed =
      ReplayScript().Run(connection, {dead_letter_stream, letter.stream(), replayed_stream},
                         {id_text, raw.event, raw.referral_id, letter.payload(), info.stage});
  if (!replayed.ok()) return replayed.status();
  if (replayed->type == RedisReply::Type::kInteger && replayed->integer == 0) {
    return absl::NotFoundError(absl::StrCat("no dead letter ", id_text));
  }
  if (replayed->type == RedisReply::Type::kInteger && replayed->integer == -1) {
    // Only if the stream was deleted and rebuilt between the read and the
    // script; the caller may list again and retry.
    return absl::AbortedError(absl::StrCat("dead letter ", id_text, " changed during replay"));
  }
  if (!replayed->is_array() || replayed->elements.size() != 2 ||
      !replayed->elements[1].is_string()) {
    return absl::InternalError("replay script returned an unexpected reply");
  }
  ReplayResult result;
  result.referral_id = raw.referral_id;
  result.stage = info.stage;
  result.source_stream = letter.stream();
  result.entry_id = replayed->elements[1].str;
  return result;
}

}  // namespace referrals
