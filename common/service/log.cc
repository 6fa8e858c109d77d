#include "common/service/log.h"

#include <cstdio>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace referrals {
namespace {

std::string& ServiceName() {
  static std::string* name = new std::string("referrals");
  return *name;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void AppendJsonString(std::string* out, absl::string_view value) {
  out->push_back('"');
  for (char c : value) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

void SetLogService(absl::string_view service) { ServiceName() = std::string(service); }

namespace {

template <typename Fields>
void WriteLine(LogLevel level, absl::string_view event, const Fields& fields) {
  std::string line = "{\"ts\":";
  AppendJsonString(&line,
                   absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  line.append(",\"level\":");
  AppendJsonString(&line, LevelName(level));
  line.append(",\"service\":");
  AppendJsonString(&line, ServiceName());
  line.append(",\"event\":");
  AppendJsonString(&line, event);
  for (const auto& [key, value] : fields) {
    line.push_back(',');
    AppendJsonString(&line, key);
    line.push_back(':');
    AppendJsonString(&line, value);
  }
  line.append("}\n");
  // One write per line so lines from different threads do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace

void Log(LogLevel level, absl::string_view event,
         std::initializer_list<std::pair<absl::string_view, std::string>> fields) {
  WriteLine(level, event, fields);
}

void Log(LogLevel level, absl::string_view event, const LogFields& fields) {
  WriteLine(level, event, fields);
}

}  // namespace referrals
