#include "services/routing/local_authorities.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace referrals {
namespace {

constexpr const char* kColumns[] = {"lad_code", "lad_name", "county_code",
                                    "adult_social_care_authority"};
constexpr size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);

bool IsGssCode(absl::string_view code) {
  if (code.size() != 9 || !absl::ascii_isupper(code[0])) return false;
  return std::all_of(code.begin() + 1, code.end(), [](char c) { return absl::ascii_isdigit(c); });
}

absl::Status LineError(absl::string_view path, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

// Splits one CSV line (RFC 4180, without line breaks inside fields).
// Returns false on a malformed quoted field.
bool SplitCsvLine(absl::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;  // no closing quote
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') return false;  // text after the closing quote
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return false;  // quote inside an unquoted field
        field.push_back(line[i++]);
      }
    }
    fields->push_back(field);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) {
    return absl::NotFoundError(absl::StrCat("local authority table ", path, " does not exist"));
  }
  if (std::filesystem::is_directory(status)) {
    return absl::InvalidArgumentError(
        absl::StrCat("local authority table ", path, " is a directory"));
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat("cannot read local authority table ", path));
    }
    return absl::InternalError(absl::StrCat("cannot open local authority table ", path));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat("error reading ", path));
  return std::move(contents).str();
}

}  // namespace

absl::StatusOr<LocalAuthorities> LocalAuthorities::LoadCsv(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFile(path);
  if (!contents.ok()) return contents.status();

  LocalAuthorities table;
  bool have_header = false;
  int line_number = 0;
  std::vector<std::string> fields;
  absl::string_view rest = *contents;
  while (!rest.empty()) {
    ++line_number;
    const size_t end = rest.find('\n');
    absl::string_view line = rest.substr(0, end);
    rest = end == absl::string_view::npos ? absl::string_view() : rest.substr(end + 1);
    absl::ConsumeSuffix(&line, "\r");
    if (line.empty() || line.front() == '#') continue;

    if (!SplitCsvLine(line, &fields)) {
      return LineError(path, line_number, "has a malformed quoted field");
    }
    if (!have_header) {
      const bool matches =
          fields.size() == kColumnCount && std::equal(fields.begin(), fields.end(), kColumns);
      if (!matches) {
        return LineError(
            path, line_number,
            absl::StrCat("expected the header line \"", absl::StrJoin(kColumns, ","), "\""));
      }
      have_header = true;
      continue;
    }
    if (fields.size() != kColumnCount) {
      return LineError(path, line_number,
                       absl::StrCat("has ", fields.size(), " fields, expected ", kColumnCount));
    }
    LocalAuthority authority{fields[0], fields[1], fields[2], fields[3]};
    if (!IsGssCode(authority.code)) {
      return LineError(path, line_number,
                       "field 1 (lad_code) is not a GSS code (a capital letter and eight digits)");
    }
    if (absl::StripAsciiWhitespace(authority.name).empty()) {
      return LineError(path, line_number, "field 2 (lad_name) is empty");
    }
    if (!authority.county_code.empty() && !IsGssCode(authority.county_code)) {
      return LineError(path, line_number, "field 3 (county_code) is neither empty nor a GSS code");
    }
    if (absl::StripAsciiWhitespace(authority.adult_social_care_authority).empty()) {
      return LineError(path, line_number, "field 4 (adult_social_care_authority) is empty");
    }
    if (!table.by_code_.try_emplace(authority.code, table.authorities_.size()).second) {
      return LineError(path, line_number,
                       absl::StrCat("field 1 (lad_code) repeats ", authority.code));
    }
    table.authorities_.push_back(std::move(authority));
  }
  if (!have_header) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no header line \"", absl::StrJoin(kColumns, ","), "\""));
  }
  if (table.authorities_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has no rows"));
  }
  return table;
}

const LocalAuthority* LocalAuthorities::Find(absl::string_view lad_code) const {
  auto it = by_code_.find(lad_code);
  return it == by_code_.end() ? nullptr : &authorities_[it->second];
}

}  // namespace referrals
