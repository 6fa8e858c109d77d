// Inputs for the microbenchmarks, built once before any benchmark runs: the
// routing data as the service loads it (rules, sector table, district table),
// unit-level postcode data (the real Code-Point release named by
// $REFERRALS_CODEPOINT_DIR, else a synthetic one in the same format), and
// varied inputs for each benchmark to cycle through (so no single input's
// branches are learnt by the predictor). Deterministic apart from event ids.
#ifndef BENCH_MICRO_BENCH_DATA_H_
#define BENCH_MICRO_BENCH_DATA_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/domain/postcode.h"
#include "referrals/v1/decision.pb.h"
#include "referrals/v1/events.pb.h"
#include "referrals/v1/referral.pb.h"
#include "services/routing/postcode_directory.h"
#include "services/routing/routing_data.h"

namespace referrals::bench {

// One referral as a stage sees it: the referral, when it was received, and
// triage's classification of it.
struct DecisionInput {
  referrals::v1::Referral referral;
  absl::Time received;
  referrals::v1::TriageResult triage;
};

struct BenchData {
  // Sector table only: the service's default configuration.
  RoutingData routing;
  // Unit data (Code-Point format) over the same sector table, and an engine
  // resolving through it.
  std::shared_ptr<const PostcodeDirectory> unit_directory;
  std::shared_ptr<const RoutingEngine> unit_engine;
  // What unit data was loaded, e.g. "Code-Point Open at DIR (109230 units)".
  std::string unit_source;

  // Postcode text: well-formed units in varied case and spacing, outward
  // shapes from A9 to AA9A; and malformed text of every kind the parser
  // rejects.
  std::vector<std::string> well_formed_postcodes;
  std::vector<std::string> malformed_postcodes;
  // A shuffled sample of the units in the unit data, parsed.
  std::vector<Postcode> unit_sample;
  // Units of sectors in the sector table (1 in 16 outside it), parsed.
  std::vector<Postcode> sector_sample;
  // Postcode text for LocationResolver::Resolve: sector-table postcodes
  // (some outside it) in varied case and spacing; and the unit sample's.
  std::vector<std::string> sector_texts;
  std::vector<std::string> unit_texts;

  // Valid referrals: the examples/referrals/*.json files and variants of
  // them (other postcodes, risk flags, receipt times over both rules
  // versions, in and out of office hours). `unit_inputs` are the same with
  // postcodes from the unit sample, triaged by the same rules.
  std::vector<DecisionInput> inputs;
  std::vector<DecisionInput> unit_inputs;
  absl::CivilDay today;  // for ValidateReferral

  // ReferralRouted events as routing writes them (one per input), and both
  // messages in wire form.
  std::vector<referrals::v1::ReferralRouted> routed;
  std::vector<std::string> referral_bytes;
  std::vector<std::string> routed_bytes;

  // What the decision inputs decide, e.g. "sector: TEAM 400, MANUAL_TRIAGE
  // 80, OUT_OF_AREA 32; unit: ...", so a run shows its mix.
  std::string outcome_mix;
};

// Loads and builds everything; an error names what failed.
absl::StatusOr<std::unique_ptr<const BenchData>> LoadBenchData();

}  // namespace referrals::bench

#endif  // BENCH_MICRO_BENCH_DATA_H_
