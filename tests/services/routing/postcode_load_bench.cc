// postcode_load_bench: how long PostcodeDirectory::Create takes and how much
// memory the loaded directory holds, for a synthetic UK-sized ONSPD file or
// for real unit data.
//
//   postcode_load_bench [UNITS [LAYOUT]]
//       writes a synthetic ONSPD file of UNITS units (default 2,700,000) in
//       LAYOUT (aug2025, the default; onspd-legacy; nspl-legacy) to a temporary
//       directory, loads it, times lookups of a sample of its units, and
//       deletes it;
//   postcode_load_bench --load PATH
//       loads PATH (any unit data Create accepts, e.g. a Code-Point release)
//       and times lookups of a sample of its units;
//   postcode_load_bench --write DIR [UNITS]
//       only writes the synthetic file (August 2025 layout) into DIR, kept,
//       and prints its path: for measuring a whole service with it
//       (scripts/measure_routing_memory.sh).
//
// Prints one line per figure: rows, units, terminated, load ms, RSS growth
// (MB) of the process across Create, and lookup ns. The file is written in a
// separate step before the measurement, so RSS reflects only the load.
// Run on a quiet machine; the figures are for README.md.
#include <unistd.h>

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/domain/postcode.h"
#include "services/routing/postcode_directory.h"
#include "tests/services/routing/synthetic_postcode_files.h"

namespace referrals {
namespace {

namespace fs = std::filesystem;
using referrals::testing::OnsLayout;

// A /proc/self/status figure in kB ("VmRSS", "VmHWM"); -1 if unavailable.
int64_t StatusKb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      int64_t kb = -1;
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      return absl::SimpleAtoi(digits, &kb) ? kb : -1;
    }
  }
  return -1;
}

double Mb(int64_t kb) { return static_cast<double>(kb) / 1024.0; }

// CPU time of this process in ms: on a shared machine, steadier than the
// wall clock, which also counts time spent waiting for a CPU.
double CpuMs() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Loads `path`, printing the figures; returns the directory (null on error).
std::unique_ptr<PostcodeDirectory> Load(const std::string& path) {
  const int64_t rss_before = StatusKb("VmRSS");
  const double cpu_start = CpuMs();
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<PostcodeDirectory>> directory =
      PostcodeDirectory::Create(REFERRALS_DEFAULT_SECTORS, path);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double cpu_ms = CpuMs() - cpu_start;
  const int64_t rss_after = StatusKb("VmRSS");
  const int64_t peak = StatusKb("VmHWM");
  if (!directory.ok()) {
    std::cerr << "load failed: " << directory.status() << "\n";
    return nullptr;
  }
  const LoadReport& report = (*directory)->load_report();
  std::error_code error;
  uintmax_t bytes = 0;
  for (size_t i = 1; i < report.files_read.size(); ++i) {
    bytes += fs::file_size(report.files_read[i], error);
  }
  std::cout << "unit data:        " << path << "\n"
            << "format:           " << report.unit_format << "\n"
            << "layout:           " << report.unit_layout << "\n"
            << "data_version:     " << (*directory)->data_version() << "\n"
            << "files:            " << report.files_read.size() - 1 << " ("
            << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MB)\n"
            << "rows:             " << report.unit_rows_read << "\n"
            << "units:            " << report.units_loaded << "\n"
            << "terminated:       " << report.units_terminated << "\n"
            << "skipped:          " << report.unit_rows_skipped << "\n"
            << "load ms:          "
            << std::chrono::duration<double, std::milli>(elapsed).count() << " wall, " << cpu_ms
            << " CPU\n"
            << "RSS growth MB:    " << Mb(rss_after - rss_before) << " (RSS " << Mb(rss_before)
            << " -> " << Mb(rss_after) << ", peak " << Mb(peak) << ")\n";
  return *std::move(directory);
}

// Times Lookup over `sample` (parsed postcodes: the cost the resolver pays
// per referral after parsing, result building included).
void TimeLookups(const PostcodeDirectory& directory, const std::vector<Postcode>& sample) {
  constexpr int kRounds = 5;
  int64_t unit_hits = 0;
  const double cpu_start = CpuMs();
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    for (const Postcode& postcode : sample) {
      unit_hits += directory.Lookup(postcode).level == LookupLevel::kUnit;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double lookups = kRounds * static_cast<double>(sample.size());
  std::cout << "lookup ns:        "
            << std::chrono::duration<double, std::nano>(elapsed).count() / lookups << " wall, "
            << (CpuMs() - cpu_start) * 1e6 / lookups << " CPU (" << sample.size() << " units x "
            << kRounds << ", " << unit_hits << " unit-level answers)\n";
}

// Loads `path` and times lookups of every 7th line's first field, which is
// the postcode in Code-Point (Postcode) and ONSPD/NSPL (pcd, pcd7) files.
int LoadPath(const std::string& path) {
  std::unique_ptr<PostcodeDirectory> directory = Load(path);
  if (directory == nullptr) return 1;
  std::vector<Postcode> sample;
  const std::vector<std::string>& files = directory->load_report().files_read;
  for (size_t f = 1; f < files.size(); ++f) {
    std::ifstream in(files[f]);
    std::string line;
    for (int64_t i = 0; std::getline(in, line); ++i) {
      if (i % 7 != 0) continue;
      absl::string_view first = absl::string_view(line).substr(0, line.find(','));
      absl::ConsumePrefix(&first, "\"");
      absl::ConsumeSuffix(&first, "\"");
      if (absl::StatusOr<Postcode> postcode = ParsePostcode(first); postcode.ok()) {
        sample.push_back(*std::move(postcode));
      }
    }
  }
  TimeLookups(*directory, sample);
  return 0;
}

int Synthetic(int64_t units, OnsLayout layout) {
  char pattern[] = "/tmp/postcode_load_bench_XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    std::cerr << "cannot make a temporary directory\n";
    return 1;
  }
  const fs::path dir = pattern;
  // Named as ONS names its releases, so the version is read from the name.
  const char* name = layout == OnsLayout::kAug2025        ? "ONSPD_AUG_2025_UK.csv"
                     : layout == OnsLayout::kOnspdLegacy ? "ONSPD_FEB_2023_UK.csv"
                                                         : "NSPL21_FEB_2024_UK.csv";
  const std::string file = (dir / name).string();
  const auto write_start = std::chrono::steady_clock::now();
  if (absl::Status written = referrals::testing::WriteSyntheticUkFile(file, layout, units);
      !written.ok()) {
    std::cerr << written << "\n";
    fs::remove_all(dir);
    return 1;
  }
  std::cout << "generated in ms:  "
            << std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                         write_start)
                   .count()
            << "\n";
  std::unique_ptr<PostcodeDirectory> directory = Load(file);
  fs::remove_all(dir);
  if (directory == nullptr) return 1;

  // Every 7th unit: a spread over the whole table.
  std::vector<Postcode> sample;
  referrals::testing::ForEachSyntheticUkUnit(units, [&, i = 0](const auto& unit) mutable {
    if (i++ % 7 == 0) sample.push_back(*ParsePostcode(unit.postcode));
  });
  TimeLookups(*directory, sample);
  return 0;
}

}  // namespace
}  // namespace referrals

int main(int argc, char** argv) {
  using referrals::testing::OnsLayout;
  if (argc == 3 && std::string(argv[1]) == "--load") {
    return referrals::LoadPath(argv[2]);
  }
  if ((argc == 3 || argc == 4) && std::string(argv[1]) == "--write") {
    int64_t count = 2'700'000;
    if (argc == 4 && (!absl::SimpleAtoi(argv[3], &count) || count <= 0)) {
      std::cerr << "usage: postcode_load_bench --write DIR [UNITS]\n";
      return 2;
    }
    const std::string file = (std::filesystem::path(argv[2]) / "ONSPD_AUG_2025_UK.csv").string();
    if (absl::Status written =
            referrals::testing::WriteSyntheticUkFile(file, OnsLayout::kAug2025, count);
        !written.ok()) {
      std::cerr << written << "\n";
      return 1;
    }
    std::cout << file << "\n";
    return 0;
  }
  int64_t units = 2'700'000;
  if (argc >= 2 && (!absl::SimpleAtoi(argv[1], &units) || units <= 0)) {
    std::cerr << "usage: postcode_load_bench [UNITS [aug2025|onspd-legacy|nspl-legacy]]\n"
                 "       postcode_load_bench --load PATH\n"
                 "       postcode_load_bench --write DIR [UNITS]\n";
    return 2;
  }
  OnsLayout layout = OnsLayout::kAug2025;
  if (argc >= 3) {
    const std::string name = argv[2];
    if (name == "onspd-legacy") {
      layout = OnsLayout::kOnspdLegacy;
    } else if (name == "nspl-legacy") {
      layout = OnsLayout::kNsplLegacy;
    } else if (name != "aug2025") {
      std::cerr << "unknown layout " << name << "\n";
      return 2;
    }
  }
  return referrals::Synthetic(units, layout);
}
