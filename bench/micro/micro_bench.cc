// micro_bench: Google Benchmark microbenchmarks of the pure parts of the
// pipeline, each cycling through a precomputed set of varied inputs (see
// bench_data.h) so that one input's branches are not learnt:
//   postcode parsing (well-formed, malformed), postcode lookup (unit data,
//   sector table), location resolution, referral validation, triage, the
//   routing decision, protobuf encode/decode of a Referral and of a
//   ReferralRouted event, and the security work on every call (issue 8):
//   sealing and opening a referral, verifying a bearer token.
// Targets (issue 7): a unit lookup <= 200 ns, a routing decision <= 2 us.
//
//   micro_bench [--benchmark_filter=REGEX] [--benchmark_min_time=SECONDS] ...
//
// Unit data is the Code-Point Open release at $REFERRALS_CODEPOINT_DIR when
// set, else a synthetic one of the same size and format. Results have no
// assertions; ctest only checks that it runs (label "bench").
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bench/micro/bench_data.h"
#include "benchmark/benchmark.h"
#include "common/crypto/data_keyring.h"
#include "common/crypto/referral_sealing.h"
#include "common/domain/postcode.h"
#include "common/domain/referral_validator.h"
#include "common/service/auth/authorizer.h"
#include "common/service/auth/token_store.h"

namespace referrals::bench {
namespace {

const BenchData* data = nullptr;

// Next index into a vector of `size` inputs.
inline size_t Next(size_t i, size_t size) { return i + 1 == size ? 0 : i + 1; }

void BM_ParsePostcode_WellFormed(benchmark::State& state) {
  const std::vector<std::string>& inputs = data->well_formed_postcodes;
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<Postcode> postcode = ParsePostcode(inputs[i]);
    benchmark::DoNotOptimize(postcode);
    i = Next(i, inputs.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParsePostcode_WellFormed);

void BM_ParsePostcode_Malformed(benchmark::State& state) {
  const std::vector<std::string>& inputs = data->malformed_postcodes;
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<Postcode> postcode = ParsePostcode(inputs[i]);
    benchmark::DoNotOptimize(postcode);
    i = Next(i, inputs.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParsePostcode_Malformed);

// Lookup of a parsed postcode, result (with its district vector) included.
void Lookup(benchmark::State& state, const PostcodeDirectory& directory,
            const std::vector<Postcode>& inputs) {
  size_t i = 0;
  for (auto _ : state) {
    PostcodeLookup lookup = directory.Lookup(inputs[i]);
    benchmark::DoNotOptimize(lookup);
    i = Next(i, inputs.size());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PostcodeLookup_Unit(benchmark::State& state) {
  Lookup(state, *data->unit_directory, data->unit_sample);
}
BENCHMARK(BM_PostcodeLookup_Unit);

void BM_PostcodeLookup_Sector(benchmark::State& state) {
  Lookup(state, data->routing.engine->resolver().directory(), data->sector_sample);
}
BENCHMARK(BM_PostcodeLookup_Sector);

// LocationResolver::Resolve from text: parse, lookup, authority, locality.
void Resolve(benchmark::State& state, const LocationResolver& resolver,
             const std::vector<std::string>& inputs) {
  size_t i = 0;
  for (auto _ : state) {
    auto resolution = resolver.Resolve(inputs[i]);
    benchmark::DoNotOptimize(resolution);
    i = Next(i, inputs.size());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LocationResolve_Sector(benchmark::State& state) {
  Resolve(state, data->routing.engine->resolver(), data->sector_texts);
}
BENCHMARK(BM_LocationResolve_Sector);

void BM_LocationResolve_Unit(benchmark::State& state) {
  Resolve(state, data->unit_engine->resolver(), data->unit_texts);
}
BENCHMARK(BM_LocationResolve_Unit);

void BM_ValidateReferral(benchmark::State& state) {
  const std::vector<DecisionInput>& inputs = data->inputs;
  size_t i = 0;
  for (auto _ : state) {
    FieldViolations violations = ValidateReferral(inputs[i].referral, data->today);
    benchmark::DoNotOptimize(violations);
    i = Next(i, inputs.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateReferral);

void BM_TriageClassify(benchmark::State& state) {
  const std::vector<DecisionInput>& inputs = data->inputs;
  const TriageRules& triage = *data->routing.triage;
  size_t i = 0;
  for (auto _ : state) {
    referrals::v1::TriageResult result = triage.Classify(inputs[i].referral, inputs[i].received);
    benchmark::DoNotOptimize(result);
    i = Next(i, inputs.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TriageClassify);

// The whole decision: rules version, location resolution, team, office
// hours, out-of-hours contact, authorities to inform, response target.
void Decide(benchmark::State& state, const RoutingEngine& engine,
            const std::vector<DecisionInput>& inputs) {
  size_t i = 0;
  for (auto _ : state) {
    const DecisionInput& input = inputs[i];
    referrals::v1::RoutingDecision decision =
        engine.Decide(input.referral, input.triage, input.received, input.received);
    benchmark::DoNotOptimize(decision);
    i = Next(i, inputs.size());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RoutingDecide_Sector(benchmark::State& state) {
  Decide(state, *data->routing.engine, data->inputs);
}
BENCHMARK(BM_RoutingDecide_Sector);

void BM_RoutingDecide_Unit(benchmark::State& state) {
  Decide(state, *data->unit_engine, data->unit_inputs);
}
BENCHMARK(BM_RoutingDecide_Unit);

template <typename Message>
void Encode(benchmark::State& state, const std::vector<Message>& messages) {
  std::string bytes;
  size_t i = 0;
  int64_t total = 0;
  for (auto _ : state) {
    messages[i].SerializeToString(&bytes);
    benchmark::DoNotOptimize(bytes);
    total += static_cast<int64_t>(bytes.size());
    i = Next(i, messages.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(total);
}

template <typename Message>
void Decode(benchmark::State& state, const std::vector<std::string>& inputs) {
  size_t i = 0;
  int64_t total = 0;
  for (auto _ : state) {
    Message message;
    const bool parsed = message.ParseFromString(inputs[i]);
    benchmark::DoNotOptimize(parsed);
    benchmark::DoNotOptimize(message);
    total += static_cast<int64_t>(inputs[i].size());
    i = Next(i, inputs.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(total);
}

std::vector<referrals::v1::Referral> Referrals() {
  std::vector<referrals::v1::Referral> referrals;
  for (const DecisionInput& input : data->inputs) referrals.push_back(input.referral);
  return referrals;
}

void BM_ReferralEncode(benchmark::State& state) {
  static const std::vector<referrals::v1::Referral> referrals = Referrals();
  Encode(state, referrals);
}
BENCHMARK(BM_ReferralEncode);

void BM_ReferralDecode(benchmark::State& state) {
  Decode<referrals::v1::Referral>(state, data->referral_bytes);
}
BENCHMARK(BM_ReferralDecode);

void BM_ReferralRoutedEncode(benchmark::State& state) { Encode(state, data->routed); }
BENCHMARK(BM_ReferralRoutedEncode);

void BM_ReferralRoutedDecode(benchmark::State& state) {
  Decode<referrals::v1::ReferralRouted>(state, data->routed_bytes);
}
BENCHMARK(BM_ReferralRoutedDecode);

// Personal data at rest: what intake adds per referral (seal) and triage and
// routing per event (open).
const DataKeyring& BenchKeyring() {
  static const DataKeyring* keyring = [] {
    absl::StatusOr<std::unique_ptr<DataKeyring>> parsed =
        DataKeyring::Parse(DataKeyring::NewKeyLine("bench").value(), "bench");
    return parsed->release();
  }();
  return *keyring;
}

void BM_SealReferral(benchmark::State& state) {
  static const std::vector<referrals::v1::Referral> referrals = Referrals();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(SealReferral(BenchKeyring(), "R-20261207-0123456789ab", referrals[i]));
    i = Next(i, referrals.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SealReferral);

void BM_OpenReferral(benchmark::State& state) {
  static const std::vector<referrals::v1::EncryptedReferral> sealed = [] {
    std::vector<referrals::v1::EncryptedReferral> out;
    for (const referrals::v1::Referral& referral : Referrals()) {
      out.push_back(SealReferral(BenchKeyring(), "R-20261207-0123456789ab", referral));
    }
    return out;
  }();
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<referrals::v1::Referral> opened =
        OpenReferral(BenchKeyring(), "R-20261207-0123456789ab", sealed[i]);
    if (!opened.ok()) state.SkipWithError("a sealed referral did not open");
    benchmark::DoNotOptimize(opened);
    i = Next(i, sealed.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenReferral);

// Every authenticated call: the bearer token checked against the tokens
// file's salted hashes (state.range(0) lines), and the role against the
// method's row.
void BM_AuthorizeToken(benchmark::State& state) {
  std::string file;
  std::vector<std::string> tokens;
  for (int64_t n = 0; n < state.range(0); ++n) {
    absl::StatusOr<TokenStore::NewToken> made =
        TokenStore::MakeToken(absl::StrCat("caller-", n), Role::kOperations, "");
    if (!made.ok()) return state.SkipWithError("cannot make a token");
    absl::StrAppend(&file, made->line, "\n");
    tokens.push_back(absl::StrCat("Bearer ", made->token));
  }
  absl::StatusOr<std::unique_ptr<TokenStore>> store = TokenStore::Parse(file, "bench");
  if (!store.ok()) return state.SkipWithError("cannot parse the tokens");
  const Authorizer authorizer(*std::move(store));
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<Caller> caller = authorizer.Authorize("RoutingService/ListQueues", tokens[i]);
    if (!caller.ok()) state.SkipWithError("a valid token was refused");
    benchmark::DoNotOptimize(caller);
    i = Next(i, tokens.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthorizeToken)->Arg(10)->Arg(200);

}  // namespace
}  // namespace referrals::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  absl::StatusOr<std::unique_ptr<const referrals::bench::BenchData>> data =
      referrals::bench::LoadBenchData();
  if (!data.ok()) {
    std::cerr << "micro_bench: cannot load its inputs: " << data.status() << "\n";
    return 1;
  }
  referrals::bench::data = data->get();
  benchmark::AddCustomContext("unit_data", (*data)->unit_source);
  benchmark::AddCustomContext("rules", (*data)->routing.rules->Describe());
  benchmark::AddCustomContext("decision_inputs", (*data)->outcome_mix);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
