// Structured logging: one JSON object per line on stderr.
//
// Fields carry ids and routing facts only: referral ids, correlation ids,
// queue names, stages, counts. Never names, addresses, dates of birth or the
// concern text; callers are responsible for what they pass, and the field set
// is kept small on purpose so that a review can see every call.
#ifndef COMMON_SERVICE_LOG_H_
#define COMMON_SERVICE_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace referrals {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Sets the "service" field of every line (e.g. "intake"). Call once, early.
void SetLogService(absl::string_view service);

// Writes {"ts":..., "level":..., "service":..., "event": event, k: v, ...}.
// Thread-safe; each line is written with one write call.
void Log(LogLevel level, absl::string_view event,
         std::initializer_list<std::pair<absl::string_view, std::string>> fields = {});

// Fields kept to be logged later (e.g. once a batch has been committed).
using LogFields = std::vector<std::pair<std::string, std::string>>;

// As above, with fields held in a vector.
void Log(LogLevel level, absl::string_view event, const LogFields& fields);

}  // namespace referrals

#endif  // COMMON_SERVICE_LOG_H_
