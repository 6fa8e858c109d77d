#include "services/routing/postcode_directory.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
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
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/domain/postcode.h"

namespace referrals {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kSectorHeader = "sector,district_code,units";
constexpr absl::string_view kVersionPrefix = "# data_version:";
constexpr absl::string_view kNoDistrict = "no district code";

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

// Unit table slots: key << kValueBits | district index. A key is never 0, so
// neither is a used slot.
constexpr int kValueBits = 64 - kCharBits * static_cast<int>(kMaxKeyChars);  // 22
constexpr uint64_t kValueMask = (uint64_t{1} << kValueBits) - 1;
constexpr size_t kMaxDistricts = size_t{1} << kValueBits;
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

absl::Status FileError(absl::string_view path, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

absl::Status FieldError(absl::string_view path, int line, int field_index,
                        absl::string_view field_name, absl::string_view what) {
  return FileError(path, line,
                   absl::StrCat("field ", field_index + 1, " (", field_name, ") ", what));
}

// Reads a whole file. NOT_FOUND when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat(what, " ", path, " does not exist"));
  }
  if (fs::is_directory(status)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is a directory"));
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat("cannot read ", what, " ", path));
    }
    return absl::InternalError(absl::StrCat("cannot open ", what, " ", path));
  }
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

// Splits `line` at commas into exactly `expected` fields; fewer or more is
// an error. Strips double quotes around a field; a quote anywhere else is an
// error (Code-Point fields never contain commas or quotes).
absl::Status SplitFields(absl::string_view path, int line_number, absl::string_view line,
                         int expected, absl::string_view* fields) {
  int count = 0;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    absl::string_view field = line.substr(
        start, comma == absl::string_view::npos ? absl::string_view::npos : comma - start);
    if (count == expected) {
      return FileError(path, line_number,
                       absl::StrCat("has more than ", expected, " comma-separated fields"));
    }
    fields[count++] = field;
    if (comma == absl::string_view::npos) break;
    start = comma + 1;
  }
  if (count != expected) {
    return FileError(path, line_number,
                     absl::StrCat("has ", count, " comma-separated fields, expected ", expected));
  }
  for (int i = 0; i < expected; ++i) {
    absl::string_view& field = fields[i];
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
      field = field.substr(1, field.size() - 2);
    }
    if (field.find('"') != absl::string_view::npos) {
      return FieldError(path, line_number, i, kCodePointNames[i], "has unbalanced quotes");
    }
  }
  return absl::OkStatus();
}

// Parses a sector field: it must be a normalised sector, "SS9 1".
bool IsNormalisedSector(absl::string_view text) {
  absl::StatusOr<Postcode> postcode = ParsePostcode(absl::StrCat(text, "AA"));
  return postcode.ok() && postcode->Sector() == text;
}

// Lists the Code-Point CSV files under `path` (see Create), in byte order.
absl::StatusOr<std::vector<std::string>> ListUnitFiles(const std::string& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat("unit data ", path, " does not exist"));
  }
  if (!fs::is_directory(status)) return std::vector<std::string>{path};

  fs::path dir = path;
  if (fs::is_directory(dir / "Data" / "CSV", error)) dir = dir / "Data" / "CSV";
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

// "codepoint-open-2025.4.0 units" when `path` is a Code-Point release with
// Doc/metadata.txt naming its version, else "codepoint units".
std::string DescribeUnitData(const std::string& path) {
  std::error_code error;
  const fs::path metadata = fs::path(path) / "Doc" / "metadata.txt";
  if (!fs::is_regular_file(metadata, error)) return "codepoint units";
  absl::StatusOr<std::string> contents = ReadFile(metadata.string(), "metadata");
  if (!contents.ok()) return "codepoint units";
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
  return plausible ? absl::StrCat("codepoint-open-", version, " units") : "codepoint units";
}

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

    // Code-Point rows are about 100 bytes; reserving from the file sizes
    // avoids rehashing a large table while loading.
    uintmax_t total_bytes = 0;
    for (const std::string& file : *files) {
      std::error_code error;
      const uintmax_t size = fs::file_size(file, error);
      if (!error) total_bytes += size;
    }
    UnitTable& units = directory->units_;
    Rehash(units.slots, units.shift, SlotsFor(static_cast<size_t>(total_bytes / 100)));

    absl::flat_hash_map<std::string, uint32_t> district_index;
    for (const std::string& path : *files) {
      absl::StatusOr<std::string> contents = ReadFile(path, "unit data file");
      if (!contents.ok()) return contents.status();
      report.files_read.push_back(path);
      absl::Status status = ForEachLine(*contents, [&](int line_number, absl::string_view line) {
        if (line.empty()) return absl::OkStatus();
        std::array<absl::string_view, kCodePointFields> fields;
        absl::Status split = SplitFields(path, line_number, line, kCodePointFields, fields.data());
        if (!split.ok()) return split;
        ++report.unit_rows_read;

        absl::StatusOr<Postcode> postcode = ParsePostcode(fields[kCodePointPostcode]);
        if (!postcode.ok()) {
          return FieldError(
              path, line_number, kCodePointPostcode, kCodePointNames[kCodePointPostcode],
              absl::StrCat("is not a unit postcode (", postcode.status().message(), ")"));
        }
        const absl::string_view district = fields[kCodePointDistrict];
        if (district.empty()) {
          ++report.unit_rows_skipped;
          ++report.skipped_by_reason[std::string(kNoDistrict)];
          return absl::OkStatus();
        }
        if (!IsGssCode(district)) {
          return FieldError(path, line_number, kCodePointDistrict,
                            kCodePointNames[kCodePointDistrict],
                            "is not a GSS code (a capital letter and eight digits)");
        }
        auto [it, inserted] = district_index.try_emplace(district, 0);
        if (inserted) {
          if (directory->district_codes_.size() >= kMaxDistricts) {
            return absl::ResourceExhaustedError(absl::StrCat(path, ":", line_number, ": more than ",
                                                             kMaxDistricts, " district codes"));
          }
          it->second = static_cast<uint32_t>(directory->district_codes_.size());
          directory->district_codes_.emplace_back(district);
        }
        uint64_t key = 0;
        PackUnitKey(*postcode, &key);  // Always fits: ParsePostcode succeeded.
        if (!InsertUnit(units.slots, units.shift, units.size, key, it->second)) {
          return FieldError(path, line_number, kCodePointPostcode,
                            kCodePointNames[kCodePointPostcode],
                            "repeats a postcode unit already loaded");
        }
        ++report.units_loaded;
        ++report.units_by_area[postcode->Area()];
        return absl::OkStatus();
      });
      if (!status.ok()) return status;
    }
    report.unit_districts = static_cast<int64_t>(directory->district_codes_.size());
    directory->unit_version_ =
        absl::StrCat(DescribeUnitData(unit_data_path), " (", report.units_loaded, ")");
  }
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
        result.districts.push_back(DistrictUnits{district_codes_[slots[i] & kValueMask], 1});
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

std::string PostcodeDirectory::data_version() const {
  if (unit_version_.empty()) return sector_version_;
  return absl::StrCat(sector_version_, " + ", unit_version_);
}

}  // namespace referrals
