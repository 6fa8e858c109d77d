#include "services/routing/postcode_directory.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/domain/postcode.h"

namespace referrals {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kSectorHeader = "sector,district_code,units";
constexpr absl::string_view kVersionPrefix = "# data_version:";
constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Skip reasons (LoadReport::skipped_by_reason keys).
constexpr absl::string_view kNoDistrict = "no district code";
constexpr absl::string_view kPseudoDistrict = "pseudo district code";
constexpr absl::string_view kNotAUnit = "not a unit postcode";

// Code-Point Open columns (no header row in the files).
constexpr int kCodePointFields = 10;
constexpr int kCodePointPostcode = 0;
constexpr int kCodePointDistrict = 8;
constexpr std::array<absl::string_view, kCodePointFields> kCodePointNames = {
    "Postcode",
    "Positional_quality_indicator",
    "Eastings",
    "Northings",
    "Country_code",
    "NHS_regional_HA_code",
    "NHS_HA_code",
    "Admin_county_code",
    "Admin_district_code",
    "Admin_ward_code"};

// ONSPD/NSPL postcode columns, most preferred first: `pcds` is the
// normalised form; the others are padded variants of it.
constexpr std::array<absl::string_view, 5> kPostcodeColumns = {"pcds", "pcd", "pcd7", "pcd2",
                                                               "pcd8"};

// Keys. A postcode's letters and digits (no spaces), at most 7 for a unit
// and 5 for a sector, are packed 6 bits each (A-Z as 1-26, 0-9 as 27-36), in
// order. No character packs to 0, so different strings give different,
// non-zero keys of at most 42 bits.
constexpr int kCharBits = 6;
constexpr size_t kMaxKeyChars = 7;

// The 6-bit code of an upper-case letter or a digit; -1 for anything else.
int CharCode(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A' + 1;
  if (c >= '0' && c <= '9') return c - '0' + 27;
  return -1;
}

// Packs `outward` and the first `inward_length` characters of `inward`.
// Returns false when they are too many, too few or not upper-case letters
// and digits (only possible for a Postcode not made by ParsePostcode).
bool PackKey(absl::string_view outward, absl::string_view inward, size_t inward_length,
             uint64_t* key) {
  if (inward.size() < inward_length) return false;
  const size_t length = outward.size() + inward_length;
  if (length == 0 || length > kMaxKeyChars) return false;
  uint64_t packed = 0;
  for (size_t i = 0; i < length; ++i) {
    const int code = CharCode(i < outward.size() ? outward[i] : inward[i - outward.size()]);
    if (code < 0) return false;
    packed = (packed << kCharBits) | static_cast<uint64_t>(code);
  }
  *key = packed;
  return true;
}

bool PackUnitKey(const Postcode& postcode, uint64_t* key) {
  return PackKey(postcode.outward, postcode.inward, 3, key);
}

bool PackSectorKey(const Postcode& postcode, uint64_t* key) {
  return PackKey(postcode.outward, postcode.inward, 1, key);
}

// Postcode areas ("SS", "E") as 1 + 27 * first letter + second letter (0 when
// none), for counting units per area without building strings per row.
constexpr int kAreaSlots = 27 * 27;

std::string AreaName(int area) {
  std::string name(1, static_cast<char>('A' + area / 27 - 1));
  if (area % 27 != 0) name.push_back(static_cast<char>('A' + area % 27 - 1));
  return name;
}

// Packs a unit postcode written as `text` into its key and area, accepting
// exactly what ParsePostcode accepts (any case, spaces anywhere) and giving
// the key PackUnitKey gives for its result, without allocating: loading
// millions of rows goes through here. False when ParsePostcode would fail.
bool PackUnitText(absl::string_view text, uint64_t* key, int* area) {
  std::array<char, kMaxKeyChars> chars;
  size_t n = 0;
  for (char c : text) {
    if (c == ' ') continue;
    if (n == chars.size()) return false;
    c = absl::ascii_toupper(static_cast<unsigned char>(c));
    if (CharCode(c) < 0) return false;
    chars[n++] = c;
  }
  if (n < 5) return false;  // "A99AA"
  // Inward: a digit and two letters.
  const char* inward = &chars[n - 3];
  if (!absl::ascii_isdigit(inward[0]) || !absl::ascii_isalpha(inward[1]) ||
      !absl::ascii_isalpha(inward[2])) {
    return false;
  }
  // Outward: one or two letters, a digit, then optionally a letter or digit.
  const size_t outward = n - 3;
  size_t letters = 0;
  while (letters < outward && absl::ascii_isalpha(chars[letters])) ++letters;
  if (letters < 1 || letters > 2) return false;
  const size_t rest = outward - letters;
  if (rest < 1 || rest > 2 || !absl::ascii_isdigit(chars[letters])) return false;

  uint64_t packed = 0;
  for (size_t i = 0; i < n; ++i) {
    packed = (packed << kCharBits) | static_cast<uint64_t>(CharCode(chars[i]));
  }
  *key = packed;
  *area = CharCode(chars[0]) * 27 + (letters == 2 ? CharCode(chars[1]) : 0);
  return true;
}

// Unit table slots: key << kValueBits | terminated << kDistrictBits |
// district index. A key is never 0, so neither is a used slot.
constexpr int kValueBits = 64 - kCharBits * static_cast<int>(kMaxKeyChars);  // 22
constexpr int kDistrictBits = kValueBits - 1;                                // 21
constexpr uint64_t kTerminatedBit = uint64_t{1} << kDistrictBits;
constexpr uint64_t kDistrictMask = kTerminatedBit - 1;
constexpr size_t kMaxDistricts = size_t{1} << kDistrictBits;
constexpr size_t kMinSlots = 16;
// Fibonacci hashing: the top bits of key * 2^64/phi pick the home slot.
constexpr uint64_t kHashMultiplier = 0x9E3779B97F4A7C15ull;

size_t HomeSlot(uint64_t key, int shift) {
  return static_cast<size_t>((key * kHashMultiplier) >> shift);
}

// Places `slot_value` (known not to be present) in `slots`.
void PlaceSlot(std::vector<uint64_t>& slots, int shift, uint64_t slot_value) {
  const size_t mask = slots.size() - 1;
  size_t i = HomeSlot(slot_value >> kValueBits, shift);
  while (slots[i] != 0) i = (i + 1) & mask;
  slots[i] = slot_value;
}

// Resizes `slots` to at least `min_slots` slots (a power of two).
void Rehash(std::vector<uint64_t>& slots, int& shift, size_t min_slots) {
  size_t capacity = kMinSlots;
  int log2 = 4;
  while (capacity < min_slots) {
    capacity <<= 1;
    ++log2;
  }
  if (capacity <= slots.size()) return;
  std::vector<uint64_t> old = std::exchange(slots, std::vector<uint64_t>(capacity, 0));
  shift = 64 - log2;
  for (uint64_t slot_value : old) {
    if (slot_value != 0) PlaceSlot(slots, shift, slot_value);
  }
}

// Slots needed to hold `entries` at a load factor of at most 3/4.
size_t SlotsFor(size_t entries) { return entries + entries / 3 + 1; }

// Inserts `key` -> `value`; false if `key` is already present.
bool InsertUnit(std::vector<uint64_t>& slots, int& shift, size_t& size, uint64_t key,
                uint64_t value) {
  if (SlotsFor(size + 1) > slots.size()) Rehash(slots, shift, slots.size() * 2);
  const size_t mask = slots.size() - 1;
  size_t i = HomeSlot(key, shift);
  while (slots[i] != 0) {
    if ((slots[i] >> kValueBits) == key) return false;
    i = (i + 1) & mask;
  }
  slots[i] = (key << kValueBits) | value;
  ++size;
  return true;
}

// A GSS code: one capital letter and eight digits ("E07000075").
bool IsGssCode(absl::string_view code) {
  if (code.size() != 9 || !absl::ascii_isupper(code[0])) return false;
  return std::all_of(code.begin() + 1, code.end(), [](char c) { return absl::ascii_isdigit(c); });
}

// ONS pseudo codes ("E99999999", "L99999999", ...) stand for "no district
// assigned" (e.g. the Channel Islands and the Isle of Man in ONSPD).
bool IsPseudoCode(absl::string_view gss_code) { return absl::EndsWith(gss_code, "99999999"); }

// `doterm`: empty (live) or YYYYMM.
bool IsYearMonth(absl::string_view text) {
  return text.size() == 6 &&
         std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); });
}

absl::Status FileError(absl::string_view path, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

absl::Status FieldError(absl::string_view path, int line, int field_index,
                        absl::string_view field_name, absl::string_view what) {
  return FileError(path, line,
                   absl::StrCat("field ", field_index + 1, " (", field_name, ") ", what));
}

// Checks that `path` names a readable regular file. NOT_FOUND when it does
// not exist.
absl::Status CheckFile(const std::string& path, absl::string_view what) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat(what, " ", path, " does not exist"));
  }
  if (fs::is_directory(status)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is a directory"));
  }
  return absl::OkStatus();
}

absl::Status OpenError(const std::string& path, absl::string_view what, int error_number) {
  if (error_number == EACCES) {
    return absl::PermissionDeniedError(absl::StrCat("cannot read ", what, " ", path));
  }
  return absl::InternalError(absl::StrCat("cannot open ", what, " ", path));
}

// Reads a whole (small) file. NOT_FOUND when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  if (absl::Status status = CheckFile(path, what); !status.ok()) return status;
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return OpenError(path, what, errno);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat("error reading ", what, " ", path));
  return std::move(contents).str();
}

// Calls `fn(line_number, line)` for each line of `contents` (1-based, without
// the line end or a CR before it), stopping at the first error.
template <typename Fn>
absl::Status ForEachLine(absl::string_view contents, Fn fn) {
  int line_number = 0;
  while (!contents.empty()) {
    ++line_number;
    const size_t end = contents.find('\n');
    absl::string_view line = contents.substr(0, end);
    contents = end == absl::string_view::npos ? absl::string_view() : contents.substr(end + 1);
    absl::ConsumeSuffix(&line, "\r");
    absl::Status status = fn(line_number, line);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// Like ForEachLine over the file at `path`, read in blocks: a full ONSPD is
// over a gigabyte, and holding it whole would dwarf the table built from it.
template <typename Fn>
absl::Status ForEachFileLine(const std::string& path, absl::string_view what, Fn fn) {
  if (absl::Status status = CheckFile(path, what); !status.ok()) return status;
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (file == nullptr) return OpenError(path, what, errno);

  std::string buffer(size_t{1} << 20, '\0');
  size_t begin = 0;  // unprocessed bytes are [begin, end)
  size_t end = 0;
  int line_number = 0;
  bool eof = false;
  while (true) {
    const char* data = buffer.data();
    while (const void* newline = std::memchr(data + begin, '\n', end - begin)) {
      const size_t at = static_cast<size_t>(static_cast<const char*>(newline) - data);
      absl::string_view line(data + begin, at - begin);
      begin = at + 1;
      absl::ConsumeSuffix(&line, "\r");
      if (absl::Status status = fn(++line_number, line); !status.ok()) return status;
    }
    if (eof) {
      if (begin == end) return absl::OkStatus();
      absl::string_view line(data + begin, end - begin);  // no final line end
      absl::ConsumeSuffix(&line, "\r");
      begin = end;
      if (absl::Status status = fn(++line_number, line); !status.ok()) return status;
      continue;
    }
    // Keep the partial line; grow only for a line longer than the buffer.
    std::memmove(buffer.data(), buffer.data() + begin, end - begin);
    end -= begin;
    begin = 0;
    if (end == buffer.size()) buffer.resize(buffer.size() * 2);
    const size_t read = std::fread(buffer.data() + end, 1, buffer.size() - end, file.get());
    if (read == 0) {
      if (std::ferror(file.get())) {
        return absl::InternalError(absl::StrCat("error reading ", what, " ", path));
      }
      eof = true;
    }
    end += read;
  }
}

// Splits a CSV `line` into `fields`. A field may be double-quoted, and then
// may hold commas; "" inside quotes stands for a quote and is left doubled in
// the view (no field the loader uses can hold one: such a value fails its
// check). Returns -1, or the 0-based index of a field with misplaced quotes.
int SplitCsvLine(absl::string_view line, std::vector<absl::string_view>& fields) {
  fields.clear();
  const char* p = line.data();
  const char* const end = p + line.size();
  while (true) {
    const int index = static_cast<int>(fields.size());
    if (p < end && *p == '"') {
      const char* const start = ++p;
      while (true) {
        const char* quote = static_cast<const char*>(std::memchr(p, '"', end - p));
        if (quote == nullptr) return index;  // unterminated
        if (quote + 1 < end && quote[1] == '"') {
          p = quote + 2;
          continue;
        }
        fields.emplace_back(start, static_cast<size_t>(quote - start));
        p = quote + 1;
        break;
      }
      if (p == end) return -1;
      if (*p != ',') return index;  // text after the closing quote
      ++p;
    } else {
      const char* const start = p;
      while (p < end && *p != ',') {
        if (*p == '"') return index;
        ++p;
      }
      fields.emplace_back(start, static_cast<size_t>(p - start));
      if (p == end) return -1;
      ++p;
    }
  }
}

// Parses a sector field: it must be a normalised sector, "SS9 1".
bool IsNormalisedSector(absl::string_view text) {
  absl::StatusOr<Postcode> postcode = ParsePostcode(absl::StrCat(text, "AA"));
  return postcode.ok() && postcode->Sector() == text;
}

// Lists the unit data files under `path` (see Create), in byte order.
absl::StatusOr<std::vector<std::string>> ListUnitFiles(const std::string& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat("unit data ", path, " does not exist"));
  }
  if (!fs::is_directory(status)) return std::vector<std::string>{path};

  // A Code-Point release keeps its files in Data/CSV, an ONSPD or NSPL
  // release in Data (with per-area copies in Data/multi_csv, not read).
  fs::path dir = path;
  if (fs::is_directory(dir / "Data" / "CSV", error)) {
    dir = dir / "Data" / "CSV";
  } else if (fs::is_directory(dir / "Data", error)) {
    dir = dir / "Data";
  }
  std::vector<std::string> files;
  fs::directory_iterator it(dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot list unit data directory ", dir.string(), ": ", error.message()));
  }
  for (const fs::directory_entry& entry : it) {
    std::error_code entry_error;
    if (!entry.is_regular_file(entry_error)) continue;
    if (absl::EqualsIgnoreCase(entry.path().extension().string(), ".csv")) {
      files.push_back(entry.path().string());
    }
  }
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat("no CSV files in unit data directory ", dir.string()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// "codepoint-open-2025.4.0" when `path` is a Code-Point release with
// Doc/metadata.txt naming its version, else "".
std::string CodePointVersion(const std::string& path) {
  std::error_code error;
  const fs::path metadata = fs::path(path) / "Doc" / "metadata.txt";
  if (!fs::is_regular_file(metadata, error)) return "";
  absl::StatusOr<std::string> contents = ReadFile(metadata.string(), "metadata");
  if (!contents.ok()) return "";
  std::string version;
  ForEachLine(*contents, [&version](int, absl::string_view line) {
    if (absl::ConsumePrefix(&line, "DATASET VERSION NUMBER:") && version.empty()) {
      version = std::string(absl::StripAsciiWhitespace(line));
    }
    return absl::OkStatus();
  }).IgnoreError();
  const bool plausible =
      !version.empty() && std::all_of(version.begin(), version.end(),
                                      [](char c) { return absl::ascii_isdigit(c) || c == '.'; });
  return plausible ? absl::StrCat("codepoint-open-", version) : "";
}

// The format and release an ONS file name states: ONSPD_AUG_2025_UK.csv
// (or ..._UK_CM.csv) gives {"ONSPD", "ONSPD AUG 2025"}, NSPL21_FEB_2024_UK.csv
// {"NSPL", "NSPL21 FEB 2024"}; other names give empty strings.
std::pair<std::string, std::string> OnsNameOf(const std::string& path) {
  const std::string name = absl::AsciiStrToUpper(fs::path(path).stem().string());
  std::string format;
  if (absl::StartsWith(name, "ONSPD")) {
    format = "ONSPD";
  } else if (absl::StartsWith(name, "NSPL")) {
    format = "NSPL";
  } else {
    return {};
  }
  // PRODUCT[NN]_MMM_YYYY...
  size_t i = format.size();
  while (i < name.size() && absl::ascii_isdigit(name[i])) ++i;
  const absl::string_view rest = absl::string_view(name).substr(i);
  const bool dated = rest.size() >= 9 && rest[0] == '_' && rest[4] == '_' &&
                     std::all_of(rest.begin() + 1, rest.begin() + 4,
                                 [](char c) { return absl::ascii_isupper(c); }) &&
                     std::all_of(rest.begin() + 5, rest.begin() + 9,
                                 [](char c) { return absl::ascii_isdigit(c); }) &&
                     (rest.size() == 9 || rest[9] == '_');
  if (!dated) return {format, ""};
  return {format, absl::StrCat(name.substr(0, i), " ", rest.substr(1, 3), " ", rest.substr(5, 4))};
}

// The last component of `path`, ignoring a trailing slash.
std::string PathName(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

// Reads unit data files into the unit table; see PostcodeDirectory::Create
// for the formats. One instance per Create; files in order.
class UnitLoader {
 public:
  UnitLoader(std::vector<uint64_t>& slots, int& shift, size_t& size,
             std::vector<std::string>& district_codes, LoadReport& report, uintmax_t total_bytes)
      : slots_(slots),
        shift_(shift),
        size_(size),
        district_codes_(district_codes),
        report_(report),
        total_bytes_(total_bytes) {
    units_by_area_.fill(0);
  }

  absl::Status LoadFile(const std::string& path) {
    file_ = path;
    file_kind_ = Kind::kNone;
    report_.files_read.push_back(path);
    return ForEachFileLine(path, "unit data file", [this](int line_number, absl::string_view line) {
      if (line_number == 1) absl::ConsumePrefix(&line, kUtf8Bom);
      if (line.empty()) return absl::OkStatus();
      if (file_kind_ == Kind::kNone) return FirstLine(line_number, line);
      return Row(line_number, line);
    });
  }

  // Completes the load report once every file is read. Returns how
  // data_version() describes the unit data, e.g. "ONSPD AUG 2025 units".
  absl::StatusOr<std::string> Finish(const std::string& unit_data_path) {
    if (report_.units_loaded == 0) {
      std::string skipped;
      for (const auto& [reason, count] : report_.skipped_by_reason) {
        absl::StrAppend(&skipped, skipped.empty() ? "; skipped: " : ", ", reason, " ", count);
      }
      return absl::InvalidArgumentError(
          absl::StrCat("unit data ", unit_data_path, ": no unit loaded from ",
                       report_.unit_rows_read, " data rows", skipped));
    }
    const std::string name = PathName(unit_data_path);
    std::string description;
    if (kind_ == Kind::kCodePoint) {
      report_.unit_format = "Code-Point Open";
      report_.unit_data_version = CodePointVersion(unit_data_path);
      description = report_.unit_data_version.empty()
                        ? "codepoint units"
                        : absl::StrCat(report_.unit_data_version, " units");
      if (report_.unit_data_version.empty()) report_.unit_data_version = name;
    } else {
      report_.unit_format = format_.empty() ? "ONSPD/NSPL" : format_;
      report_.unit_data_version = release_.empty() || mixed_releases_ ? name : release_;
      description = absl::StrCat(report_.unit_data_version, " units");
    }
    for (int area = 0; area < kAreaSlots; ++area) {
      if (units_by_area_[area] != 0) report_.units_by_area[AreaName(area)] = units_by_area_[area];
    }
    report_.unit_districts = static_cast<int64_t>(district_codes_.size());
    return description;
  }

 private:
  enum class Kind { kNone, kHeaded, kCodePoint };

  // Decides the file's format from its first non-blank line.
  absl::Status FirstLine(int line_number, absl::string_view line) {
    const int bad = SplitCsvLine(line, fields_);
    const bool quoted = line.front() == '"';
    uint64_t key = 0;
    int area = 0;
    bool code_point = !fields_.empty() && PackUnitText(fields_[0], &key, &area);
    if (!code_point && quoted) {
      code_point = std::none_of(fields_.begin(), fields_.end(), [](absl::string_view field) {
        return PostcodeColumnRank(ColumnName(field)) >= 0;
      });
    }
    file_kind_ = code_point ? Kind::kCodePoint : Kind::kHeaded;
    if (kind_ != Kind::kNone && kind_ != file_kind_) {
      return FileError(
          file_, line_number,
          absl::StrCat("is ", Describe(file_kind_), " but ", first_file_, " is ", Describe(kind_),
                       "; unit data files must all be of one format"));
    }
    if (file_kind_ == Kind::kCodePoint) {
      if (kind_ == Kind::kNone) {
        kind_ = Kind::kCodePoint;
        first_file_ = file_;
        field_count_ = kCodePointFields;
        postcode_field_ = kCodePointPostcode;
        district_field_ = kCodePointDistrict;
        doterm_field_ = -1;
        report_.unit_layout = absl::StrCat(
            "no header: postcode ", kCodePointNames[kCodePointPostcode], " (field ",
            kCodePointPostcode + 1, "), district ", kCodePointNames[kCodePointDistrict], " (field ",
            kCodePointDistrict + 1, "); ", kCodePointFields, " fields");
      }
      return Row(line_number, line);
    }
    if (bad >= 0) {
      return FieldError(file_, line_number, bad, "header", "has unbalanced quotes");
    }
    return Header(line_number);
  }

  // The header row of a headed file, split into `fields_`: finds the
  // columns, and checks it against the first file's.
  absl::Status Header(int line_number) {
    std::vector<std::string> display;
    std::vector<std::string> names;
    display.reserve(fields_.size());
    names.reserve(fields_.size());
    for (absl::string_view field : fields_) {
      display.emplace_back(absl::StripAsciiWhitespace(field));
      names.push_back(absl::AsciiStrToLower(display.back()));
    }
    int postcode = -1, postcode_rank = -1;
    int district = -1, district_rank = -1;
    int doterm = -1;
    auto twice = [&](int first, int second) {
      return FileError(file_, line_number,
                       absl::StrCat("the header names column ", display[second], " twice (fields ",
                                    first + 1, " and ", second + 1, ")"));
    };
    for (int i = 0; i < static_cast<int>(names.size()); ++i) {
      // Postcode: lower rank preferred; district: higher rank preferred.
      if (const int rank = PostcodeColumnRank(names[i]); rank >= 0) {
        if (rank == postcode_rank) return twice(postcode, i);
        if (postcode < 0 || rank < postcode_rank) postcode = i, postcode_rank = rank;
      }
      if (const int rank = DistrictColumnRank(names[i]); rank >= 0) {
        if (rank == district_rank) return twice(district, i);
        if (rank > district_rank) district = i, district_rank = rank;
      }
      if (names[i] == "doterm") {
        if (doterm >= 0) return twice(doterm, i);
        doterm = i;
      }
    }
    if (postcode < 0 || district < 0) {
      return FileError(
          file_, line_number,
          absl::StrCat("the header has no ",
                       postcode < 0 ? "postcode column (pcds, pcd, pcd7, pcd2 or pcd8)"
                                    : "district column (ladNNcd such as lad25cd, laua or oslaua)",
                       "; its columns are: ", absl::StrJoin(display, ", ")));
    }

    if (kind_ == Kind::kHeaded) {
      if (names != header_) {
        return FileError(file_, line_number,
                         absl::StrCat("the header differs from that of ", first_file_,
                                      "; unit data files must be of one release and layout"));
      }
    } else {
      kind_ = Kind::kHeaded;
      first_file_ = file_;
      header_ = std::move(names);
      header_display_ = std::move(display);
      field_count_ = static_cast<int>(header_.size());
      postcode_field_ = postcode;
      district_field_ = district;
      doterm_field_ = doterm;
      report_.unit_layout = absl::StrCat(
          "header: postcode ", header_display_[postcode], " (field ", postcode + 1, "), district ",
          header_display_[district], " (field ", district + 1, "), ",
          doterm >= 0
              ? absl::StrCat("terminated ", header_display_[doterm], " (field ", doterm + 1, ")")
              : std::string("no doterm column (all units live)"),
          "; ", field_count_, " fields");
    }

    // The format and release, from the file's name, else its columns.
    auto [format, release] = OnsNameOf(file_);
    if (format.empty()) {
      if (std::find(header_.begin(), header_.end(), "oslaua") != header_.end()) {
        format = "ONSPD";
      } else if (std::find(header_.begin(), header_.end(), "laua") != header_.end()) {
        format = "NSPL";
      }
    }
    if (!format.empty()) {
      if (!format_.empty() && format != format_) {
        return FileError(file_, line_number,
                         absl::StrCat("is ", format, " but ", format_file_, " is ", format_,
                                      "; unit data files must all be of one format"));
      }
      format_ = format;
      format_file_ = file_;
    }
    if (first_file_ == file_) {
      release_ = release;
    } else if (release != release_) {
      mixed_releases_ = true;
    }
    return absl::OkStatus();
  }

  // A data row (of either format).
  absl::Status Row(int line_number, absl::string_view line) {
    if (const int bad = SplitCsvLine(line, fields_); bad >= 0) {
      return FieldError(file_, line_number, bad, FieldName(bad), "has unbalanced quotes");
    }
    if (static_cast<int>(fields_.size()) != field_count_) {
      return FileError(
          file_, line_number,
          absl::StrCat("has ", fields_.size(), " comma-separated fields, expected ", field_count_,
                       kind_ == Kind::kHeaded ? " (as many as the header)" : ""));
    }
    ++report_.unit_rows_read;

    const absl::string_view postcode = fields_[postcode_field_];
    uint64_t key = 0;
    int area = 0;
    if (!PackUnitText(postcode, &key, &area)) {
      // ONSPD and NSPL hold a few non-geographic codes such as "GIR 0AA";
      // Code-Point only units, so a bad one means a damaged file.
      if (kind_ == Kind::kHeaded) return Skip(kNotAUnit);
      const absl::Status parsed = ParsePostcode(postcode).status();
      return FieldError(file_, line_number, postcode_field_, FieldName(postcode_field_),
                        absl::StrCat("is not a unit postcode (", parsed.message(), ")"));
    }
    const absl::string_view district = fields_[district_field_];
    if (district.empty()) return Skip(kNoDistrict);
    if (!IsGssCode(district)) {
      return FieldError(file_, line_number, district_field_, FieldName(district_field_),
                        "is not a GSS code (a capital letter and eight digits)");
    }
    if (IsPseudoCode(district)) return Skip(kPseudoDistrict);
    bool terminated = false;
    if (doterm_field_ >= 0 && !fields_[doterm_field_].empty()) {
      if (!IsYearMonth(fields_[doterm_field_])) {
        return FieldError(file_, line_number, doterm_field_, FieldName(doterm_field_),
                          "is neither empty nor a year and month (YYYYMM)");
      }
      terminated = true;
    }

    if (!reserved_) Reserve(line.size());
    uint32_t index = last_district_index_;
    if (district != last_district_) {
      auto [it, inserted] = district_index_.try_emplace(district, 0);
      if (inserted) {
        if (district_codes_.size() >= kMaxDistricts) {
          return absl::ResourceExhaustedError(absl::StrCat(file_, ":", line_number, ": more than ",
                                                           kMaxDistricts, " district codes"));
        }
        it->second = static_cast<uint32_t>(district_codes_.size());
        district_codes_.emplace_back(district);
      }
      index = it->second;
      last_district_index_ = index;
      last_district_.assign(district.data(), district.size());
    }
    if (!InsertUnit(slots_, shift_, size_, key, index | (terminated ? kTerminatedBit : 0))) {
      return FieldError(file_, line_number, postcode_field_, FieldName(postcode_field_),
                        "repeats a postcode unit already loaded");
    }
    ++report_.units_loaded;
    if (terminated) ++report_.units_terminated;
    ++units_by_area_[area];
    return absl::OkStatus();
  }

  absl::Status Skip(absl::string_view reason) {
    ++report_.unit_rows_skipped;
    ++report_.skipped_by_reason[std::string(reason)];
    return absl::OkStatus();
  }

  // Sizes the table once, from the first row's length and the bytes to
  // read, so that a large load rarely rehashes. Capped: the estimate only
  // saves time, and a wrong one must not take gigabytes.
  void Reserve(size_t row_length) {
    reserved_ = true;
    constexpr uintmax_t kMaxEstimate = uintmax_t{8} << 20;  // UK: about 2.7 million
    const uintmax_t rows = std::min<uintmax_t>(total_bytes_ / (row_length + 1), kMaxEstimate);
    Rehash(slots_, shift_, SlotsFor(static_cast<size_t>(rows)));
  }

  absl::string_view FieldName(int index) const {
    if (kind_ == Kind::kCodePoint) {
      return index < kCodePointFields ? kCodePointNames[index] : "beyond the last column";
    }
    return index < static_cast<int>(header_display_.size())
               ? absl::string_view(header_display_[index])
               : absl::string_view("beyond the header");
  }

  // 100 + NN for `ladNNcd`, 1 for `laua`, 0 for `oslaua`; -1 for others.
  static int DistrictColumnRank(absl::string_view name) {
    if (name == "laua") return 1;
    if (name == "oslaua") return 0;
    if (name.size() == 7 && absl::StartsWith(name, "lad") && absl::EndsWith(name, "cd") &&
        absl::ascii_isdigit(name[3]) && absl::ascii_isdigit(name[4])) {
      return 100 + (name[3] - '0') * 10 + (name[4] - '0');
    }
    return -1;
  }

  // A header field as a column name: without surrounding spaces, lower case.
  static std::string ColumnName(absl::string_view field) {
    return absl::AsciiStrToLower(absl::StripAsciiWhitespace(field));
  }

  // 0 for `pcds`, 1 for `pcd`, ... (kPostcodeColumns order); -1 for others.
  static int PostcodeColumnRank(absl::string_view name) {
    for (size_t i = 0; i < kPostcodeColumns.size(); ++i) {
      if (name == kPostcodeColumns[i]) return static_cast<int>(i);
    }
    return -1;
  }

  static absl::string_view Describe(Kind kind) {
    return kind == Kind::kCodePoint ? "OS Code-Point Open (no header row)"
                                    : "ONSPD/NSPL (a header row)";
  }

  std::vector<uint64_t>& slots_;
  int& shift_;
  size_t& size_;
  std::vector<std::string>& district_codes_;
  LoadReport& report_;
  const uintmax_t total_bytes_;

  Kind kind_ = Kind::kNone;  // of every file so far
  std::string first_file_;   // the file that set kind_
  std::string file_;         // the file being read
  Kind file_kind_ = Kind::kNone;

  // Where the fields are; the same for every file (see Header).
  int field_count_ = 0;
  int postcode_field_ = -1;
  int district_field_ = -1;
  int doterm_field_ = -1;                    // -1: no termination column
  std::vector<std::string> header_;          // column names, headed files
  std::vector<std::string> header_display_;  // as written, for messages

  std::string format_;       // "ONSPD", "NSPL" or "" (not told)
  std::string format_file_;  // the file that told format_
  std::string release_;      // from the first file's name, e.g. "ONSPD AUG 2025"
  bool mixed_releases_ = false;

  absl::flat_hash_map<std::string, uint32_t> district_index_;
  std::string last_district_;
  uint32_t last_district_index_ = 0;
  bool reserved_ = false;
  std::array<int64_t, kAreaSlots> units_by_area_;
  std::vector<absl::string_view> fields_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PostcodeDirectory>> PostcodeDirectory::Create(
    const std::string& sector_table_path, const std::string& unit_data_path) {
  if (sector_table_path.empty()) {
    return absl::InvalidArgumentError("the sector table path is empty");
  }
  std::unique_ptr<PostcodeDirectory> directory(new PostcodeDirectory());
  LoadReport& report = directory->report_;

  // The sector table.
  {
    const std::string& path = sector_table_path;
    absl::StatusOr<std::string> contents = ReadFile(path, "sector table");
    if (!contents.ok()) return contents.status();
    report.files_read.push_back(path);

    bool have_header = false;
    int version_line = 0;
    absl::Status status = ForEachLine(*contents, [&](int line_number, absl::string_view line) {
      if (line.empty()) return absl::OkStatus();
      if (line.front() == '#') {
        if (absl::ConsumePrefix(&line, kVersionPrefix)) {
          if (version_line != 0) {
            return FileError(
                path, line_number,
                absl::StrCat("second data_version line (first on line ", version_line, ")"));
          }
          version_line = line_number;
          directory->sector_version_ = std::string(absl::StripAsciiWhitespace(line));
          if (directory->sector_version_.empty()) {
            return FileError(path, line_number, "data_version is empty");
          }
        }
        return absl::OkStatus();
      }
      if (!have_header) {
        if (line != kSectorHeader) {
          return FileError(path, line_number,
                           absl::StrCat("expected the header line \"", kSectorHeader, "\""));
        }
        have_header = true;
        return absl::OkStatus();
      }
      std::array<absl::string_view, 3> fields;
      {
        int count = 0;
        size_t start = 0;
        while (true) {
          const size_t comma = line.find(',', start);
          if (count == 3) {
            return FileError(path, line_number, "has more than 3 comma-separated fields");
          }
          fields[count++] = line.substr(
              start, comma == absl::string_view::npos ? absl::string_view::npos : comma - start);
          if (comma == absl::string_view::npos) break;
          start = comma + 1;
        }
        if (count != 3) {
          return FileError(path, line_number,
                           absl::StrCat("has ", count, " comma-separated fields, expected 3"));
        }
      }
      if (!IsNormalisedSector(fields[0])) {
        return FieldError(path, line_number, 0, "sector",
                          "is not a normalised postcode sector such as \"SS9 1\"");
      }
      if (!IsGssCode(fields[1])) {
        return FieldError(path, line_number, 1, "district_code",
                          "is not a GSS code (a capital letter and eight digits)");
      }
      int units = 0;
      if (!absl::SimpleAtoi(fields[2], &units) || units <= 0) {
        return FieldError(path, line_number, 2, "units", "is not a positive whole number");
      }
      // IsNormalisedSector succeeded, so this parses and packs.
      Postcode sector_postcode = *ParsePostcode(absl::StrCat(fields[0], "AA"));
      uint64_t key = 0;
      PackSectorKey(sector_postcode, &key);
      std::vector<DistrictUnits>& districts = directory->sectors_[key];
      for (const DistrictUnits& existing : districts) {
        if (existing.district_code == fields[1]) {
          return FileError(path, line_number, "repeats a (sector, district_code) pair");
        }
      }
      districts.push_back(DistrictUnits{std::string(fields[1]), units});
      ++report.sector_rows;
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    if (!have_header) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": no header line \"", kSectorHeader, "\""));
    }
    if (version_line == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": no \"", kVersionPrefix, " <version>\" comment line"));
    }
    if (report.sector_rows == 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": has no data rows"));
    }
    for (auto& [key, districts] : directory->sectors_) {
      std::sort(districts.begin(), districts.end(),
                [](const DistrictUnits& a, const DistrictUnits& b) {
                  if (a.units != b.units) return a.units > b.units;
                  return a.district_code < b.district_code;
                });
      if (districts.size() > 1) ++report.split_sectors;
    }
    report.sectors = static_cast<int64_t>(directory->sectors_.size());
  }

  // Unit data.
  if (!unit_data_path.empty()) {
    absl::StatusOr<std::vector<std::string>> files = ListUnitFiles(unit_data_path);
    if (!files.ok()) return files.status();
    uintmax_t total_bytes = 0;
    for (const std::string& file : *files) {
      std::error_code error;
      const uintmax_t size = fs::file_size(file, error);
      if (!error) total_bytes += size;
    }
    UnitTable& units = directory->units_;
    UnitLoader loader(units.slots, units.shift, units.size, directory->district_codes_, report,
                      total_bytes);
    for (const std::string& file : *files) {
      if (absl::Status status = loader.LoadFile(file); !status.ok()) return status;
    }
    absl::StatusOr<std::string> description = loader.Finish(unit_data_path);
    if (!description.ok()) return description.status();
    directory->unit_version_ = absl::StrCat(*description, " (", report.units_loaded, ")");
  }
  directory->data_version_ =
      directory->unit_version_.empty()
          ? directory->sector_version_
          : absl::StrCat(directory->sector_version_, " + ", directory->unit_version_);
  return directory;
}

PostcodeLookup PostcodeDirectory::Lookup(const Postcode& postcode) const {
  PostcodeLookup result;
  result.postcode = postcode;
  uint64_t key = 0;
  if (units_.size != 0 && PackUnitKey(postcode, &key)) {
    const std::vector<uint64_t>& slots = units_.slots;
    const size_t mask = slots.size() - 1;
    for (size_t i = HomeSlot(key, units_.shift); slots[i] != 0; i = (i + 1) & mask) {
      if ((slots[i] >> kValueBits) == key) {
        result.level = LookupLevel::kUnit;
        result.terminated = (slots[i] & kTerminatedBit) != 0;
        result.districts.push_back(DistrictUnits{district_codes_[slots[i] & kDistrictMask], 1});
        return result;
      }
    }
  }
  if (PackSectorKey(postcode, &key)) {
    if (auto it = sectors_.find(key); it != sectors_.end()) {
      result.level = LookupLevel::kSector;
      result.districts = it->second;
      return result;
    }
  }
  result.level = LookupLevel::kNotFound;
  return result;
}

}  // namespace referrals
