#include "tests/services/routing/synthetic_postcode_files.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace referrals::testing {
namespace {

// As published: ONSPD FEB 2023 (the layout used until August 2025).
const std::vector<std::string> kOnspdLegacy = {
    "pcd",    "pcd2",     "pcds",   "dointr",  "doterm",   "oscty",    "ced",     "oslaua",
    "osward", "parish",   "usertype", "oseast1m", "osnrth1m", "osgrdind", "oshlthau", "nhser",
    "ctry",   "rgn",      "streg",  "pcon",    "eer",      "teclec",   "ttwa",    "pct",
    "itl",    "statsward", "oa01",  "casward", "park",     "lsoa01",   "msoa01",  "ur01ind",
    "oac01",  "oa11",     "lsoa11", "msoa11",  "wz11",     "sicbl",    "bua11",   "buasd11",
    "ru11ind", "oac11",   "lat",    "long",    "lep1",     "lep2",     "pfa",     "imd",
    "calncv", "icb",      "oa21",   "lsoa21",  "msoa21"};

// As published: NSPL 2024 (the layout used until August 2025).
const std::vector<std::string> kNsplLegacy = {
    "pcd",   "pcd2",  "pcds",   "dointr", "doterm", "usertype", "oseast1m", "osnrth1m", "osgrdind",
    "oa21",  "cty",   "ced",    "laua",   "ward",   "nhser",    "ctry",     "rgn",      "pcon",
    "ttwa",  "itl",   "npark",  "lsoa21", "msoa21", "wz11",     "sicbl",    "bua24",    "ruc21",
    "oac11", "lat",   "long",   "lep1",   "lep2",   "pfa",      "imd",      "icb"};

// As published from August 2025 (year-suffixed names; lad25cd).
const std::vector<std::string> kAug2025 = {
    "pcd7",     "pcd8",     "pcds",     "dointr",    "doterm",  "usrtypind", "east1m",
    "north1m",  "gridind",  "oa21cd",   "cty25cd",   "ced25cd", "lad25cd",   "wd25cd",
    "nhser24cd", "ctry25cd", "rgn25cd", "pcon24cd",  "ttwa15cd", "itl25cd",  "npark16cd",
    "lsoa21cd", "msoa21cd", "wz11cd",   "sicbl24cd", "bua24cd", "ruc21ind",  "oac11ind",
    "lat",      "long",     "lep21cd1", "lep21cd2",  "pfa23cd", "imd20ind",  "icb23cd"};

// What a column holds, so a row is built without looking names up.
enum class Role { kPcd7, kPcd8, kPcds, kDointr, kDoterm, kDistrict, kNumber, kCountry, kOther };

Role RoleOf(absl::string_view name) {
  if (name == "pcd" || name == "pcd7") return Role::kPcd7;
  if (name == "pcd2" || name == "pcd8") return Role::kPcd8;
  if (name == "pcds") return Role::kPcds;
  if (name == "dointr") return Role::kDointr;
  if (name == "doterm") return Role::kDoterm;
  if (name == "oslaua" || name == "laua" || name == "lad25cd") return Role::kDistrict;
  if (name == "lat" || name == "long") return Role::kNumber;
  if (absl::StartsWith(name, "ctry")) return Role::kCountry;
  return Role::kOther;
}

// The padded forms: pcd/pcd7 is 7 characters ("SS9 1AA", "CM131AB",
// "E1  6AN"), pcd2/pcd8 is 8 ("SS9  1AA", "CM13 1AB", "E1   6AN").
std::string Padded(absl::string_view postcode, size_t width) {
  const size_t space = postcode.find(' ');
  const absl::string_view outward = postcode.substr(0, space);
  const absl::string_view inward = postcode.substr(space + 1);
  const size_t used = outward.size() + inward.size();
  return absl::StrCat(outward, std::string(used < width ? width - used : 0, ' '), inward);
}

void AppendQuoted(std::string& row, absl::string_view value) {
  absl::StrAppend(&row, "\"", value, "\"");
}

}  // namespace

const std::vector<std::string>& OnsColumns(OnsLayout layout) {
  switch (layout) {
    case OnsLayout::kOnspdLegacy:
      return kOnspdLegacy;
    case OnsLayout::kNsplLegacy:
      return kNsplLegacy;
    case OnsLayout::kAug2025:
      break;
  }
  return kAug2025;
}

std::string OnsHeader(OnsLayout layout) { return absl::StrJoin(OnsColumns(layout), ","); }

std::string OnsRow(OnsLayout layout, const SyntheticUnit& unit,
                   const std::map<std::string, std::string>& overrides) {
  const std::vector<std::string>& columns = OnsColumns(layout);
  std::string row;
  row.reserve(columns.size() * 12);
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i != 0) row.push_back(',');
    if (!overrides.empty()) {
      if (auto it = overrides.find(columns[i]); it != overrides.end()) {
        AppendQuoted(row, it->second);
        continue;
      }
    }
    switch (RoleOf(columns[i])) {
      case Role::kPcd7:
        AppendQuoted(row, Padded(unit.postcode, 7));
        break;
      case Role::kPcd8:
        AppendQuoted(row, Padded(unit.postcode, 8));
        break;
      case Role::kPcds:
        AppendQuoted(row, unit.postcode);
        break;
      case Role::kDointr:
        AppendQuoted(row, "198001");
        break;
      case Role::kDoterm:
        AppendQuoted(row, unit.doterm);
        break;
      case Role::kDistrict:
        AppendQuoted(row, unit.district);
        break;
      case Role::kNumber:
        row.append(columns[i] == "lat" ? "51.572431" : "0.627953");  // unquoted, as ONS writes them
        break;
      case Role::kCountry:
        AppendQuoted(row, "E92000001");
        break;
      case Role::kOther:
        AppendQuoted(row, "E99999999");
        break;
    }
  }
  return row;
}

std::string OnsFile(OnsLayout layout, const std::vector<SyntheticUnit>& units) {
  std::string file = absl::StrCat(OnsHeader(layout), "\n");
  for (const SyntheticUnit& unit : units) absl::StrAppend(&file, OnsRow(layout, unit), "\n");
  return file;
}

void ForEachSyntheticUkUnit(int64_t count, const std::function<void(const SyntheticUnit&)>& fn) {
  // The UK's postcode areas; Scotland, Wales, Northern Ireland and the
  // Crown dependencies get their countries' code letters.
  static constexpr const char* kAreas[] = {
      "AB", "AL", "B",  "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF",
      "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT",
      "DY", "E",  "EC", "EH", "EN", "EX", "FK", "FY", "G",  "GL", "GU", "GY", "HA", "HD", "HG",
      "HP", "HR", "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L",
      "LA", "LD", "LE", "LL", "LN", "LS", "LU", "M",  "ME", "MK", "ML", "N",  "NE", "NG", "NN",
      "NP", "NR", "NW", "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S",
      "SA", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA",
      "TD", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W",  "WA", "WC", "WD", "WF", "WN", "WR",
      "WS",  "WV", "YO", "ZE"};
  static constexpr absl::string_view kScotland = "AB DD DG EH FK G HS IV KA KW KY ML PA PH TD ZE";
  static constexpr absl::string_view kWales = "CF LD LL NP SA";
  // Inward letters never include C, I, K, M, O or V.
  static constexpr absl::string_view kLetters = "ABDEFGHJLNPQRSTUWXYZ";
  constexpr int kDistricts = 29;  // outward codes AA1 .. AA29 per area
  constexpr int kSectors = 10;
  constexpr size_t kAreaCount = sizeof(kAreas) / sizeof(kAreas[0]);
  const int64_t sectors = static_cast<int64_t>(kAreaCount) * kDistricts * kSectors;
  const int64_t per_sector = std::min<int64_t>((count + sectors - 1) / sectors, 400);

  SyntheticUnit unit;
  int64_t made = 0;
  for (size_t a = 0; a < kAreaCount && made < count; ++a) {
    const std::string area = kAreas[a];
    const auto in = [&](absl::string_view list) {
      for (absl::string_view code : absl::StrSplit(list, ' ')) {
        if (code == area) return true;
      }
      return false;
    };
    for (int d = 1; d <= kDistricts && made < count; ++d) {
      // One district code per outward code, about 300 in all.
      const int n = static_cast<int>((a * kDistricts + d) % 300) + 1;
      if (area == "GY" || area == "JE") {
        unit.district = "L99999999";
      } else if (area == "IM") {
        unit.district = "M99999999";
      } else if (area == "BT") {
        unit.district = absl::StrFormat("N09%06d", n);
      } else if (in(kScotland)) {
        unit.district = absl::StrFormat("S12%06d", n);
      } else if (in(kWales)) {
        unit.district = absl::StrFormat("W06%06d", n);
      } else {
        unit.district = absl::StrFormat("E0%d%06d", 6 + n % 4, n);
      }
      for (int s = 0; s < kSectors && made < count; ++s) {
        for (int64_t u = 0; u < per_sector && made < count; ++u, ++made) {
          unit.postcode = absl::StrCat(area, d, " ", s, std::string(1, kLetters[u / 20]),
                                       std::string(1, kLetters[u % 20]));
          unit.doterm = made % 3 == 2 ? "201806" : "";
          fn(unit);
        }
      }
    }
  }
}

absl::Status WriteSyntheticUkFile(const std::string& path, OnsLayout layout, int64_t count) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  out << OnsHeader(layout) << "\n";
  ForEachSyntheticUkUnit(count, [&](const SyntheticUnit& unit) {
    out << OnsRow(layout, unit) << "\n";
  });
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("error writing ", path));
  return absl::OkStatus();
}

}  // namespace referrals::testing
