#include "bench/micro/bench_data.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/domain/referral_validator.h"
#include "common/pipeline/events.h"
#include "google/protobuf/util/json_util.h"
#include "services/routing/local_authorities.h"
#include "services/routing/location_resolver.h"

namespace referrals::bench {
namespace {

namespace fs = std::filesystem;
using referrals::v1::Referral;

// Sizes of the input sets. Powers of two, large enough that the branch
// predictor cannot learn a sequence.
constexpr size_t kPostcodeTexts = 4096;
constexpr size_t kMalformed = 1024;
constexpr size_t kUnitSample = 65536;
constexpr size_t kReferrals = 512;

// Letters of inward codes (never C, I, K, M, O or V).
constexpr absl::string_view kInwardLetters = "ABDEFGHJLNPQRSTUWXYZ";

// Units outside the sector table's areas, of every outward shape (A9, A99,
// AA9, AA99, A9A, AA9A).
constexpr const char* kElsewhere[] = {"SW1A 1AA", "EC1A 1BB", "W1A 0AX", "M1 1AE",  "B33 8TH",
                                      "CR2 6XH",  "DN55 1PT", "L1 8JQ",  "G2 1DY",  "BT1 5GS",
                                      "CF10 1EP", "NW1 6XE",  "N1C 4AG", "OX1 2JD", "LS1 4DY"};

struct SectorRow {
  std::string sector;  // "SS9 1"
  std::string district;
  int units = 0;
};

absl::StatusOr<std::vector<SectorRow>> ReadSectorTable(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<SectorRow> rows;
  std::string line;
  bool header = false;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripSuffix(line, "\r");
    if (text.empty() || text.front() == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    std::vector<std::string> fields = absl::StrSplit(text, ',');
    SectorRow row;
    if (fields.size() != 3 || !absl::SimpleAtoi(fields[2], &row.units)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": not a sector row"));
    }
    row.sector = std::move(fields[0]);
    row.district = std::move(fields[1]);
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no sectors"));
  return rows;
}

// `normalised` ("SS9 1AA") in a random case and spacing, as forms give it.
std::string Vary(absl::string_view normalised, std::mt19937_64& rng) {
  std::string text(normalised);
  switch (rng() % 3) {
    case 0:
      break;
    case 1:
      absl::AsciiStrToLower(&text);
      break;
    default:
      for (char& c : text) {
        if (rng() % 2 == 0) c = absl::ascii_tolower(c);
      }
  }
  const size_t space = text.find(' ');
  const std::string outward = text.substr(0, space);
  const std::string inward = text.substr(space + 1);
  switch (rng() % 5) {
    case 0:
      return text;
    case 1:
      return outward + inward;
    case 2:
      return absl::StrCat(outward, "  ", inward);
    case 3:
      return absl::StrCat(" ", outward, " ", inward, " ");
    default: {
      std::string scattered;
      for (char c : outward + inward) {
        scattered.push_back(c);
        if (rng() % 3 == 0) scattered.push_back(' ');
      }
      return scattered;
    }
  }
}

// A random unit of a random sector of the table (1 in 16 from elsewhere).
std::string RandomUnit(const std::vector<SectorRow>& rows, std::mt19937_64& rng) {
  if (rng() % 16 == 0) return kElsewhere[rng() % std::size(kElsewhere)];
  const SectorRow& row = rows[rng() % rows.size()];
  return absl::StrCat(row.sector, kInwardLetters.substr(rng() % kInwardLetters.size(), 1),
                      kInwardLetters.substr(rng() % kInwardLetters.size(), 1));
}

// Malformed text derived from `good`: each kind of mistake the parser names.
std::string Malform(const std::string& good, std::mt19937_64& rng) {
  const size_t space = good.find(' ');
  switch (rng() % 8) {
    case 0:
      return rng() % 2 == 0 ? "" : "   ";
    case 1:  // too short, or cut mid-outward
      return good.substr(0, 1 + rng() % (good.size() - 2));
    case 2: {  // punctuation
      std::string bad = good;
      bad[rng() % bad.size()] = "-./,#'"[rng() % 6];
      return bad;
    }
    case 3:  // inward starting with a letter
      return absl::StrCat(good.substr(0, space), " X", good.substr(space + 2));
    case 4:  // outward starting with a digit
      return absl::StrCat("1", good);
    case 5:  // too long
      return absl::StrCat(good, "X");
    case 6: {  // non-ASCII letter (UTF-8)
      std::string bad = good;
      bad.insert(rng() % bad.size(), "\xc3\x89");
      return bad;
    }
    default: {  // letters only
      std::string bad;
      for (int i = 0; i < 7; ++i) bad.push_back(static_cast<char>('A' + rng() % 26));
      return bad;
    }
  }
}

// A synthetic OS Code-Point Open release (no header; ten quoted-code
// fields; one file per area under Data/CSV) with the sector table's units:
// each sector gets as many units in each district as the table says, with
// made-up inward letters. Written to a temporary directory, loaded, deleted.
absl::StatusOr<std::unique_ptr<PostcodeDirectory>> LoadSyntheticCodePoint(
    const std::vector<SectorRow>& rows, std::vector<std::string>* units) {
  const fs::path pattern = fs::temp_directory_path() / "micro_bench_codepoint_XXXXXX";
  std::string dir_name = pattern.string();
  if (mkdtemp(dir_name.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot make a temporary directory ", dir_name));
  }
  const fs::path dir = dir_name;
  std::map<std::string, std::string> files;  // area -> contents
  absl::flat_hash_map<std::string, int> used;  // sector -> units made
  for (const SectorRow& row : rows) {
    const std::string area(row.sector.substr(0, row.sector.find_first_of("0123456789")));
    std::string& file = files[absl::AsciiStrToLower(area)];
    int& next = used[row.sector];
    for (int i = 0; i < row.units && next < 400; ++i, ++next) {
      std::string unit = absl::StrCat(row.sector, kInwardLetters.substr(next / 20, 1),
                                      kInwardLetters.substr(next % 20, 1));
      absl::StrAppend(&file, "\"", unit, "\",10,583000,186000,\"E92000001\",\"E19000001\",",
                      "\"E18000006\",\"\",\"", row.district, "\",\"E05000001\"\n");
      units->push_back(std::move(unit));
    }
  }
  std::error_code error;
  fs::create_directories(dir / "Data" / "CSV", error);
  absl::Status status = absl::OkStatus();
  for (const auto& [area, contents] : files) {
    std::ofstream out(dir / "Data" / "CSV" / absl::StrCat(area, ".csv"), std::ios::binary);
    out << contents;
    if (!out.good()) status = absl::InternalError(absl::StrCat("cannot write under ", dir_name));
  }
  absl::StatusOr<std::unique_ptr<PostcodeDirectory>> directory =
      status.ok() ? PostcodeDirectory::Create(REFERRALS_DEFAULT_SECTORS, dir.string())
                  : absl::StatusOr<std::unique_ptr<PostcodeDirectory>>(status);
  fs::remove_all(dir, error);
  return directory;
}

// Loads a real Code-Point release and lists its units (the first field of
// every row of every file it read).
absl::StatusOr<std::unique_ptr<PostcodeDirectory>> LoadCodePoint(const std::string& path,
                                                                 std::vector<std::string>* units) {
  absl::StatusOr<std::unique_ptr<PostcodeDirectory>> directory =
      PostcodeDirectory::Create(REFERRALS_DEFAULT_SECTORS, path);
  if (!directory.ok()) return directory.status();
  const std::vector<std::string>& files = (*directory)->load_report().files_read;
  for (size_t f = 1; f < files.size(); ++f) {
    std::ifstream in(files[f]);
    std::string line;
    while (std::getline(in, line)) {
      absl::string_view first = absl::string_view(line).substr(0, line.find(','));
      absl::ConsumePrefix(&first, "\"");
      absl::ConsumeSuffix(&first, "\"");
      units->emplace_back(first);
    }
  }
  return directory;
}

absl::StatusOr<std::vector<Referral>> LoadExamples(const std::string& dir) {
  std::vector<fs::path> paths;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".json") paths.push_back(entry.path());
  }
  if (error || paths.empty()) {
    return absl::NotFoundError(absl::StrCat("no example referrals (*.json) in ", dir));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Referral> referrals;
  for (const fs::path& path : paths) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    Referral referral;
    if (const auto parsed = google::protobuf::util::JsonStringToMessage(text.str(), &referral);
        !parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": ", parsed.ToString()));
    }
    referrals.push_back(std::move(referral));
  }
  return referrals;
}

// Variants of the examples: 3 in 4 with other postcodes from `pick`, risk
// flags at random, receipt times from 2025-11-03 to 2027-02-28 (both rules
// versions, office hours, nights, weekends, bank holidays). Each is
// validated and triaged.
absl::StatusOr<std::vector<DecisionInput>> MakeInputs(
    const std::vector<Referral>& examples, const TriageRules& triage, absl::CivilDay today,
    const std::function<std::string()>& pick, std::mt19937_64& rng) {
  const absl::Time first = absl::FromCivil(absl::CivilDay(2025, 11, 3), absl::UTCTimeZone());
  const absl::Time last = absl::FromCivil(absl::CivilDay(2027, 2, 28), absl::UTCTimeZone());
  const uint64_t span = static_cast<uint64_t>(absl::ToInt64Seconds(last - first));
  std::vector<DecisionInput> inputs;
  for (size_t i = 0; i < kReferrals; ++i) {
    DecisionInput input;
    Referral& referral = input.referral;
    referral = examples[i % examples.size()];
    if (i >= examples.size() && rng() % 4 != 0) {
      if (!referral.adult().home_address().postcode().empty()) {
        referral.mutable_adult()->mutable_home_address()->set_postcode(pick());
      }
      if (!referral.harm_location().address().postcode().empty()) {
        referral.mutable_harm_location()->mutable_address()->set_postcode(pick());
      }
      if (!referral.service().address().postcode().empty()) {
        referral.mutable_service()->mutable_address()->set_postcode(pick());
      }
    }
    if (i >= examples.size()) {
      referrals::v1::RiskIndicators* risk = referral.mutable_risk();
      risk->set_immediate_danger(rng() % 10 == 0);
      risk->set_suspected_crime(rng() % 10 == 0);
      risk->set_child_at_risk(rng() % 10 == 0);
      risk->set_mental_health_crisis(rng() % 10 == 0);
      referral.set_request_id(absl::StrCat("bench-", i));
    }
    if (FieldViolations violations = ValidateReferral(referral, today); !violations.empty()) {
      return absl::InternalError(absl::StrCat("bench referral ", i, " is invalid: ",
                                              violations.front().field, " ",
                                              violations.front().description));
    }
    input.received = first + absl::Seconds(static_cast<int64_t>(rng() % span));
    input.triage = triage.Classify(referral, input.received);
    inputs.push_back(std::move(input));
  }
  return inputs;
}

}  // namespace

absl::StatusOr<std::unique_ptr<const BenchData>> LoadBenchData() {
  auto data = std::make_unique<BenchData>();
  std::mt19937_64 rng(20261123);

  RoutingDataPaths paths{REFERRALS_DEFAULT_RULES, REFERRALS_DEFAULT_SECTORS, "",
                         REFERRALS_DEFAULT_AUTHORITIES};
  absl::StatusOr<RoutingData> routing = LoadRoutingData(paths);
  if (!routing.ok()) return routing.status();
  data->routing = *std::move(routing);
  absl::StatusOr<std::vector<SectorRow>> rows = ReadSectorTable(REFERRALS_DEFAULT_SECTORS);
  if (!rows.ok()) return rows.status();

  // Unit data.
  std::vector<std::string> units;
  absl::StatusOr<std::unique_ptr<PostcodeDirectory>> unit_directory;
  const char* codepoint_dir = std::getenv("REFERRALS_CODEPOINT_DIR");
  if (codepoint_dir != nullptr && *codepoint_dir != '\0') {
    unit_directory = LoadCodePoint(codepoint_dir, &units);
    if (!unit_directory.ok()) return unit_directory.status();
    data->unit_source = absl::StrCat("Code-Point Open at ", codepoint_dir, " (",
                                     (*unit_directory)->load_report().units_loaded, " units)");
  } else {
    unit_directory = LoadSyntheticCodePoint(*rows, &units);
    if (!unit_directory.ok()) return unit_directory.status();
    data->unit_source =
        absl::StrCat("synthetic Code-Point format, the sector table's sectors (",
                     (*unit_directory)->load_report().units_loaded,
                     " units; set REFERRALS_CODEPOINT_DIR for the real release)");
  }
  data->unit_directory = *std::move(unit_directory);
  absl::StatusOr<LocalAuthorities> authorities =
      LocalAuthorities::LoadCsv(REFERRALS_DEFAULT_AUTHORITIES);
  if (!authorities.ok()) return authorities.status();
  data->unit_engine = std::make_shared<const RoutingEngine>(
      data->routing.rules,
      std::make_shared<const LocationResolver>(
          data->routing.config, data->unit_directory,
          std::make_shared<const LocalAuthorities>(*std::move(authorities))));

  // Units that load (Code-Point has a few without a district, which resolve
  // at sector level only), shuffled.
  std::shuffle(units.begin(), units.end(), rng);
  for (const std::string& unit : units) {
    if (data->unit_sample.size() == kUnitSample) break;
    absl::StatusOr<Postcode> postcode = ParsePostcode(unit);
    if (postcode.ok() && data->unit_directory->Lookup(*postcode).level == LookupLevel::kUnit) {
      data->unit_sample.push_back(*std::move(postcode));
    }
  }
  if (data->unit_sample.empty()) return absl::InternalError("no unit resolves at unit level");

  // Postcode text.
  while (data->well_formed_postcodes.size() < kPostcodeTexts) {
    const std::string unit = RandomUnit(*rows, rng);
    data->well_formed_postcodes.push_back(Vary(unit, rng));
    data->sector_texts.push_back(Vary(unit, rng));
    data->sector_sample.push_back(*ParsePostcode(unit));
    const Postcode& sampled = data->unit_sample[rng() % data->unit_sample.size()];
    data->unit_texts.push_back(Vary(sampled.Normalised(), rng));
  }
  for (const std::string& text : data->well_formed_postcodes) {
    if (!ParsePostcode(text).ok()) return absl::InternalError("a well-formed input does not parse");
  }
  while (data->malformed_postcodes.size() < kMalformed) {
    std::string bad = Malform(RandomUnit(*rows, rng), rng);
    if (!ParsePostcode(bad).ok()) data->malformed_postcodes.push_back(std::move(bad));
  }

  // Referrals.
  absl::StatusOr<std::vector<Referral>> examples = LoadExamples(EXAMPLES_DIR);
  if (!examples.ok()) return examples.status();
  data->today = absl::CivilDay(2026, 11, 23);
  // Postcodes for referrals to Essex, Southend and Thurrock: a candidate
  // outside them (half the table's sectors are in London, Hertfordshire or
  // Cambridgeshire) is kept 1 time in 5.
  const auto realistic = [&](const LocationResolver& resolver,
                             const std::function<std::string()>& candidate) {
    return [&resolver, candidate, &rng] {
      for (;;) {
        std::string postcode = candidate();
        absl::StatusOr<referrals::v1::LocationResolution> where = resolver.Resolve(postcode);
        if (where.ok() && (where->outcome() != referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA ||
                           rng() % 5 == 0)) {
          return postcode;
        }
      }
    };
  };
  absl::StatusOr<std::vector<DecisionInput>> inputs =
      MakeInputs(*examples, *data->routing.triage, data->today,
                 realistic(data->routing.engine->resolver(),
                           [&] { return Vary(RandomUnit(*rows, rng), rng); }),
                 rng);
  if (!inputs.ok()) return inputs.status();
  data->inputs = *std::move(inputs);
  inputs = MakeInputs(*examples, *data->routing.triage, data->today,
                      realistic(data->unit_engine->resolver(),
                                [&] {
                                  return rng() % 8 == 0
                                             ? RandomUnit(*rows, rng)
                                             : data->unit_sample[rng() % data->unit_sample.size()]
                                                   .Normalised();
                                }),
                      rng);
  if (!inputs.ok()) return inputs.status();
  data->unit_inputs = *std::move(inputs);

  // Events, as routing writes them.
  for (const DecisionInput& input : data->inputs) {
    const absl::Time now = input.received + absl::Seconds(2);
    referrals::v1::ReferralRouted routed;
    *routed.mutable_meta() = NewEventMeta(NewReferralId(input.received), NewRandomId("C-"), now);
    routed.set_kind(input.referral.kind());
    *routed.mutable_decision() =
        data->routing.engine->Decide(input.referral, input.triage, input.received, now);
    *routed.mutable_received_time() = ToTimestamp(input.received);
    data->referral_bytes.push_back(input.referral.SerializeAsString());
    data->routed_bytes.push_back(routed.SerializeAsString());
    data->routed.push_back(std::move(routed));
  }
  const auto mix = [](const RoutingEngine& engine, const std::vector<DecisionInput>& inputs) {
    std::map<std::string, int> outcomes;
    int informs = 0;
    for (const DecisionInput& input : inputs) {
      const referrals::v1::RoutingDecision decision =
          engine.Decide(input.referral, input.triage, input.received, input.received);
      ++outcomes[std::string(absl::StripPrefix(
          referrals::v1::RoutingOutcome_Name(decision.outcome()), "ROUTING_OUTCOME_"))];
      informs += !decision.to_be_informed().empty();
    }
    std::string text;
    for (const auto& [outcome, count] : outcomes) absl::StrAppend(&text, outcome, " ", count, ", ");
    return absl::StrCat(text, "inform ", informs);
  };
  data->outcome_mix = absl::StrCat("sector: ", mix(*data->routing.engine, data->inputs),
                                   "; unit: ", mix(*data->unit_engine, data->unit_inputs));
  return std::unique_ptr<const BenchData>(std::move(data));
}

}  // namespace referrals::bench
