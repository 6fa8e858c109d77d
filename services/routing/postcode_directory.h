// The postcode directory: which local authority district(s) a postcode is in.
//
// Built once at start-up from two kinds of reference data:
//   - the sector table (data/postcode_sectors.csv, made by
//     scripts/generate_sector_table.sh): for each postcode sector, the
//     districts it reaches and how many unit postcodes each holds;
//   - optionally, unit-level data giving each unit postcode its district: the
//     ONS Postcode Directory (ONSPD), the National Statistics Postcode Lookup
//     (NSPL) or an OS Code-Point Open release.
// A lookup answers at unit level when it can, else at sector level, and says
// which. Deciding what a sector-level answer is worth (one district or a
// split) is the caller's job; see DOMAIN.md, "Postcode data".
#ifndef SERVICES_ROUTING_POSTCODE_DIRECTORY_H_
#define SERVICES_ROUTING_POSTCODE_DIRECTORY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/domain/postcode.h"

namespace referrals {

// How specific a lookup's answer is.
enum class LookupLevel {
  kUnit,      // The unit postcode itself is in the unit data.
  kSector,    // The unit is not known, but its sector is in the sector table.
  kNotFound,  // Neither the unit nor its sector is known.
};

// A district (GSS code, e.g. "E07000075") and how many unit postcodes of the
// looked-up unit or sector it holds.
struct DistrictUnits {
  std::string district_code;
  int units = 0;

  bool operator==(const DistrictUnits&) const = default;
};

// The answer for one postcode.
struct PostcodeLookup {
  // The postcode that was looked up.
  Postcode postcode;
  LookupLevel level = LookupLevel::kNotFound;
  // kUnit: exactly one entry, the unit's district, with units == 1.
  // kSector: every district with units in the sector, most units first, ties
  //   by district code; more than one entry means the sector is split.
  // kNotFound: empty.
  std::vector<DistrictUnits> districts;
  // kUnit only: true when the unit data records the unit as terminated (no
  // longer in use; ONSPD/NSPL `doterm` set). Terminated units still resolve,
  // since they still appear on forms. OS Code-Point Open lists live units
  // only, so with it this is always false.
  bool terminated = false;
};

// What was loaded, for start-up logs and operators. Counts only; no postcodes.
struct LoadReport {
  // Sector table.
  int64_t sector_rows = 0;    // (sector, district) rows loaded
  int64_t sectors = 0;        // distinct sectors
  int64_t split_sectors = 0;  // sectors with more than one district

  // Unit data; all zero and empty when none was loaded.
  // "ONSPD", "NSPL", "ONSPD/NSPL" (a headed file not named after either and
  // whose columns do not tell) or "Code-Point Open".
  std::string unit_format;
  // Which columns were used, e.g. "header: postcode pcds (field 3), district
  // lad25cd (field 13), terminated doterm (field 5); 35 fields" (the August
  // 2025 layout), "header: ... district oslaua (field 8) ..." (legacy ONSPD)
  // or "no header: postcode Postcode (field 1), district
  // Admin_district_code (field 9); 10 fields" (Code-Point).
  std::string unit_layout;
  // The data's release: "ONSPD AUG 2025" (from file names such as
  // ONSPD_AUG_2025_UK.csv), "codepoint-open-2025.4.0" (from a Code-Point
  // release's Doc/metadata.txt), else the file or directory name.
  std::string unit_data_version;
  int64_t unit_rows_read = 0;     // data rows read (header and blank lines not counted)
  int64_t units_loaded = 0;       // units now resolvable at unit level
  int64_t units_terminated = 0;   // of units_loaded, how many are terminated
  int64_t unit_rows_skipped = 0;  // rows read but not loaded; the sum of the below
  // Skipped rows by reason: "no district code" (empty), "pseudo district
  // code" (e.g. E99999999), "not a unit postcode" (ONSPD/NSPL only, e.g.
  // "GIR 0AA"); only reasons that occurred, e.g. {"no district code": 61}.
  std::map<std::string, int64_t> skipped_by_reason;
  // Units loaded per postcode area ("CM" -> 18600, ...).
  std::map<std::string, int64_t> units_by_area;
  // Distinct district codes in the unit data.
  int64_t unit_districts = 0;

  // Every file read, in the order read: the sector table first.
  std::vector<std::string> files_read;
};

// An immutable, in-memory postcode directory. Thread-safe: after Create, any
// number of threads may call its const methods concurrently.
class PostcodeDirectory {
 public:
  // Loads the sector table from `sector_table_path` and, unless
  // `unit_data_path` is empty, unit-level data from `unit_data_path`.
  //
  // Sector table: CSV with lines starting with '#' as comments, one of which
  // must be `# data_version: <version>`; then the header
  // `sector,district_code,units`; then one row per (sector, district) with a
  // normalised sector ("SS9 1"), a GSS district code and a positive count.
  // Blank lines are ignored; a CR before the line end is tolerated.
  //
  // Unit data: a file, or a directory of files (a Code-Point release
  // directory holding Data/CSV/*.csv, an ONSPD/NSPL release directory holding
  // Data/*.csv, or any directory of *.csv files; not searched recursively).
  // Files are read in byte order of name and must all be of one format,
  // which each file's first non-blank line decides (files with no non-blank
  // line are read and contribute nothing):
  //   - ONSPD / NSPL: a header row. Columns are found by name (any case,
  //     quoted or not), not position, so the legacy layout and the August
  //     2025 one (and later years) both load: the postcode is `pcds`, else
  //     `pcd`, `pcd7`, `pcd2` or `pcd8`; the district is `ladNNcd` (the
  //     highest NN if several, e.g. lad26cd over lad25cd), else `laua`, else
  //     `oslaua`; termination is `doterm` (YYYYMM, empty when live; without
  //     the column every unit is taken as live; any other value is an
  //     error). Every row must have as many fields as the header, and every
  //     file as the first one's header (one release, e.g. the files of an
  //     ONSPD's Data/multi_csv). A file named ONSPD_... or NSPL... is of that
  //     format; otherwise an `oslaua` column says ONSPD and `laua` NSPL. Rows
  //     whose postcode is not a well-formed unit postcode are skipped and
  //     counted.
  //   - OS Code-Point Open: no header; ten fields (Postcode,
  //     Positional_quality_indicator, Eastings, Northings, Country_code,
  //     NHS_regional_HA_code, NHS_HA_code, Admin_county_code,
  //     Admin_district_code, Admin_ward_code). Recognised by a first field
  //     that is a unit postcode, or that is quoted on a line naming no
  //     postcode column. A malformed postcode is an error.
  // Fields may be double-quoted (a quoted field may hold commas). A UTF-8 byte
  // order mark, blank lines and CRs before line ends are tolerated. In every
  // format, rows with an empty district code (units without a grid
  // reference) or a pseudo code such as E99999999 (no district assigned)
  // are skipped and counted in the load report; such units resolve at sector
  // level.
  //
  // Errors (nothing is ever half loaded):
  //   INVALID_ARGUMENT  `sector_table_path` is empty; or a file cannot be
  //                     understood: the message names the file, the line
  //                     and the field, and why (a header without a postcode
  //                     or district column lists the columns it has; a
  //                     header naming a column it uses twice, a postcode
  //                     unit appearing twice in the unit data, files of
  //                     different formats or headers, and unit data from
  //                     which no unit loads are errors too);
  //   NOT_FOUND         a path does not exist, or a directory holds no CSV
  //                     files;
  //   PERMISSION_DENIED a file cannot be read for lack of permission;
  //   RESOURCE_EXHAUSTED more distinct district codes than the directory can
  //                     index (2,097,152);
  //   INTERNAL          any other read failure.
  static absl::StatusOr<std::unique_ptr<PostcodeDirectory>> Create(
      const std::string& sector_table_path, const std::string& unit_data_path);

  PostcodeDirectory(const PostcodeDirectory&) = delete;
  PostcodeDirectory& operator=(const PostcodeDirectory&) = delete;

  // Looks `postcode` up: at unit level if unit data was loaded and holds the
  // unit, else at sector level if the sector table holds its sector, else
  // not found. Never fails. Cheap: no I/O, hash lookups only.
  PostcodeLookup Lookup(const Postcode& postcode) const;

  // Which reference data answers lookups, to be recorded with every routing
  // decision: the sector table's data_version, and when unit data was
  // loaded, " + ", the unit data's version and its unit count, e.g.
  // "codepoint-open-2025.4.0-sectors + codepoint-open-2025.4.0 units (109169)"
  // or "... + ONSPD AUG 2025 units (2712345)" (see
  // LoadReport::unit_data_version; a Code-Point directory or file without
  // Doc/metadata.txt gives "codepoint units (N)").
  const std::string& data_version() const { return data_version_; }

  const LoadReport& load_report() const { return report_; }

 private:
  PostcodeDirectory() = default;

  // Unit postcodes: an open-addressing hash table (linear probing) whose
  // slots each hold a whole entry in 64 bits, the packed postcode, a
  // terminated bit and the index of its district in `district_codes_`; 0
  // marks an empty slot. At most 3/4 full, so 2.7 million UK units fit in 4M
  // slots (32 MB), and a lookup usually touches one cache line. Details in
  // the .cc file.
  struct UnitTable {
    std::vector<uint64_t> slots;  // size a power of two, or empty
    int shift = 0;                // 64 - log2(slots.size())
    size_t size = 0;              // occupied slots
  };
  UnitTable units_;
  // Sectors, keyed by packed sector (outward code and inward digit).
  absl::flat_hash_map<uint64_t, std::vector<DistrictUnits>> sectors_;
  std::vector<std::string> district_codes_;
  std::string sector_version_;
  std::string unit_version_;  // empty when no unit data
  std::string data_version_;  // see data_version(); set once by Create
  LoadReport report_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_POSTCODE_DIRECTORY_H_
