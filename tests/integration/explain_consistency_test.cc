// Issue 4's property: a referral is decided the same offline (what
// `referralctl explain` runs: LoadRoutingData with the default files, triage
// then routing at the receipt time) as through the running services. The
// three services run as real processes over a real Redis; every committed
// example and a set of generated variations (every kind, postcodes from each
// district's whole sectors, split and out-of-area sectors, unknown postcodes,
// harm elsewhere than home, risk flags) is submitted and routed, and the
// stored triage result and decision are compared field by field with the
// offline ones (all but the decision time).
#include <algorithm>
#include <dirent.h>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/pipeline/events.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "services/routing/routing_data.h"
#include "services/routing/stored_decision.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"

namespace referrals {
namespace {

using referrals::testing::ServiceProcess;
using referrals::v1::Referral;

struct Case {
  std::string name;  // for failure messages: the example file or variation
  Referral referral;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<Case> Examples() {
  std::vector<std::string> names;
  if (DIR* dir = opendir(EXAMPLES_DIR)) {
    while (const dirent* entry = readdir(dir)) {
      if (absl::EndsWith(entry->d_name, ".json")) names.push_back(entry->d_name);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  std::vector<Case> cases;
  for (const std::string& name : names) {
    Case c{name, {}};
    const auto status = google::protobuf::util::JsonStringToMessage(
        ReadText(absl::StrCat(EXAMPLES_DIR, "/", name)), &c.referral);
    EXPECT_TRUE(status.ok()) << name;
    c.referral.set_request_id(absl::StrCat("consistency-", name));
    cases.push_back(std::move(c));
  }
  return cases;
}

// Sector -> the districts it reaches, from the sector table.
std::map<std::string, std::vector<std::string>> Sectors() {
  std::map<std::string, std::vector<std::string>> sectors;
  std::istringstream lines(ReadText(REFERRALS_DEFAULT_SECTORS));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || absl::StartsWith(line, "sector,")) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() < 2) continue;
    sectors[fields[0]].push_back(fields[1]);
  }
  return sectors;
}

// Postcodes to route on: a unit (made up, so resolved by its sector) in one
// whole sector of each district, in every split sector of a few kinds, and
// postcodes no data knows.
std::vector<std::string> Postcodes(const std::set<std::string>& in_area_districts) {
  const auto sectors = Sectors();
  std::vector<std::string> postcodes;
  std::set<std::string> districts_seen;
  int out_of_area = 0, split_across_authorities = 0, split_within = 0;
  for (const auto& [sector, districts] : sectors) {
    if (districts.size() == 1) {
      const bool in_area = in_area_districts.count(districts[0]) > 0;
      if (in_area && districts_seen.insert(districts[0]).second) {
        postcodes.push_back(sector + "XX");
      } else if (!in_area && districts_seen.insert(districts[0]).second && out_of_area < 4) {
        ++out_of_area;
        postcodes.push_back(sector + "XX");
      }
      continue;
    }
    int in_area = 0;
    for (const std::string& d : districts) in_area += in_area_districts.count(d);
    if (in_area == static_cast<int>(districts.size()) && split_within < 2) {
      ++split_within;  // e.g. two Essex localities, or Essex and Southend
      postcodes.push_back(sector + "XX");
    } else if (in_area > 0 && in_area < static_cast<int>(districts.size()) &&
               split_across_authorities < 2) {
      ++split_across_authorities;  // in area and out of it
      postcodes.push_back(sector + "XX");
    }
  }
  postcodes.push_back("ZE1 0XX");  // an area the data does not cover
  postcodes.push_back("CM98 9XX");  // a covered area, an unknown sector
  return postcodes;
}

Referral Base(referrals::v1::ReferralKind kind, const std::string& home, int variation) {
  Referral referral;
  referral.set_kind(kind);
  referral.mutable_adult()->set_given_name("Synthetic");
  referral.mutable_adult()->set_family_name(absl::StrCat("Person", variation));
  referral.mutable_adult()->mutable_home_address()->set_postcode(home);
  referral.mutable_referrer()->set_organisation("Example Care Ltd");
  referral.mutable_referrer()->set_phone("01245 000000");
  referral.set_concern("Synthetic test concern.");
  referral.set_consent(referrals::v1::CONSENT_GIVEN);
  referral.set_channel(variation % 2 == 0 ? referrals::v1::CHANNEL_API
                                          : referrals::v1::CHANNEL_PORTAL);
  referral.set_request_id(absl::StrCat("consistency-variation-", variation));
  // Every combination of the four risk flags, in turn.
  referral.mutable_risk()->set_immediate_danger(variation & 1);
  referral.mutable_risk()->set_suspected_crime(variation & 2);
  referral.mutable_risk()->set_child_at_risk(variation & 4);
  referral.mutable_risk()->set_mental_health_crisis(variation & 8);
  return referral;
}

std::vector<Case> Variations(const std::set<std::string>& in_area_districts) {
  const std::vector<std::string> postcodes = Postcodes(in_area_districts);
  const int n = static_cast<int>(postcodes.size());
  const referrals::v1::ReferralKind kinds[] = {
      referrals::v1::ADULT_SAFEGUARDING_CONCERN, referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
      referrals::v1::COMMUNITY_EQUIPMENT, referrals::v1::SENSORY_SUPPORT,
      referrals::v1::CARE_TECHNOLOGY};
  std::vector<Case> cases;
  int variation = 0;
  // Each postcode once, the kinds in turn.
  for (int i = 0; i < n; ++i, ++variation) {
    const auto kind = kinds[i % 5];
    Referral referral = Base(kind, postcodes[i], variation);
    if (kind == referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN) {
      referral.mutable_service()->set_name("Example Lodge");
      referral.mutable_service()->mutable_address()->set_postcode(postcodes[(i + 3) % n]);
    }
    cases.push_back({absl::StrCat("variation ", variation, " ", postcodes[i], " ",
                                  referrals::v1::ReferralKind_Name(kind)),
                     std::move(referral)});
  }
  // Safeguarding with the harm elsewhere than home (inform rules), or of an
  // unknown place (residence decides).
  for (int j = 0; j < 12; ++j, ++variation) {
    const std::string& home = postcodes[(j * 2) % n];
    const std::string& harm = postcodes[(j * 5 + 3) % n];
    Referral referral = Base(referrals::v1::ADULT_SAFEGUARDING_CONCERN, home, variation);
    if (j % 4 == 3) {
      referral.mutable_harm_location()->set_unknown(true);
    } else {
      referral.mutable_harm_location()->mutable_address()->set_postcode(harm);
      referral.mutable_harm_location()->set_description("day centre");
    }
    cases.push_back({absl::StrCat("variation ", variation, " home ", home, " harm ",
                                  j % 4 == 3 ? "unknown" : harm),
                     std::move(referral)});
  }
  return cases;
}

bool IsFinal(referrals::v1::ReferralStatus status) {
  return status == referrals::v1::REFERRAL_STATUS_ROUTED ||
         status == referrals::v1::REFERRAL_STATUS_MANUAL_TRIAGE ||
         status == referrals::v1::REFERRAL_STATUS_OUT_OF_AREA;
}

class ExplainConsistencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const RedisOptions redis = testing::RedisOptionsFromEnv();
    const std::vector<std::string> args = {
        absl::StrCat("--redis=redis://", redis.host, ":", redis.port),
        absl::StrCat("--redis_prefix=", testing::UniqueKeyPrefix())};
    for (const char* name : {"intake", "triage", "routing"}) {
      const std::string binary = std::string(name) == "intake"   ? INTAKE_BINARY
                                 : std::string(name) == "triage" ? TRIAGE_BINARY
                                                                 : ROUTING_BINARY;
      auto process = std::make_unique<ServiceProcess>(
          binary, args, absl::StrCat(::testing::TempDir(), "/consistency-", name, ".log"));
      absl::Status started = process->Start();
      ASSERT_TRUE(started.ok()) << name << ": " << started;
      services_.push_back(std::move(process));
    }
    intake_ = referrals::v1::IntakeService::NewStub(testing::TestChannel(services_[0]->address()));

    // What `referralctl explain` loads without flags (the services' defaults).
    RoutingDataPaths paths;
    paths.rules = REFERRALS_DEFAULT_RULES;
    paths.postcode_sectors = REFERRALS_DEFAULT_SECTORS;
    paths.postcode_data = PostcodeDataPath("");
    paths.local_authorities = REFERRALS_DEFAULT_AUTHORITIES;
    absl::StatusOr<RoutingData> data = LoadRoutingData(paths);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = *std::move(data);
  }

  void TearDown() override {
    intake_.reset();
    for (auto& service : services_) {
      if (service->running()) {
        EXPECT_EQ(service->Stop(), 0);
      }
    }
  }

  std::string Submit(const Case& c) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    referrals::v1::SubmitReferralRequest request;
    *request.mutable_referral() = c.referral;
    referrals::v1::SubmitReferralResponse response;
    grpc::Status status = intake_->SubmitReferral(&context, request, &response);
    EXPECT_TRUE(status.ok()) << c.name << ": " << status.error_message();
    return response.referral_id();
  }

  bool WaitUntilRouted(const std::string& id, referrals::v1::ReferralRecord* record) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      referrals::v1::GetReferralRequest request;
      request.set_referral_id(id);
      referrals::v1::GetReferralResponse response;
      if (intake_->GetReferral(&context, request, &response).ok() &&
          IsFinal(response.referral().status())) {
        *record = response.referral();
        return true;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::vector<std::unique_ptr<ServiceProcess>> services_;
  std::unique_ptr<referrals::v1::IntakeService::Stub> intake_;
  RoutingData data_;
};

TEST_F(ExplainConsistencyTest, OfflineDecisionEqualsTheServicesDecision) {
  std::set<std::string> in_area;
  for (const auto& authority : data_.config->proto().authorities()) {
    in_area.insert(authority.district_codes().begin(), authority.district_codes().end());
  }
  std::vector<Case> cases = Examples();
  ASSERT_GE(cases.size(), 7u);
  for (Case& variation : Variations(in_area)) cases.push_back(std::move(variation));
  ASSERT_GE(cases.size(), 37u);

  std::vector<std::string> ids;
  for (const Case& c : cases) ids.push_back(Submit(c));

  std::map<std::string, int> outcomes;  // what the cases covered, for the log
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    ASSERT_FALSE(ids[i].empty());
    referrals::v1::ReferralRecord record;
    ASSERT_TRUE(WaitUntilRouted(ids[i], &record)) << ids[i] << " was not routed in time";
    ASSERT_TRUE(record.has_received_time());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(record.referral(),
                                                                   cases[i].referral));

    // The receipt time an operator sees (GetReferral, `referralctl get`) is
    // the one the services decided at.
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
        record.received_time(), record.decision().received_time()))
        << "record received_time " << record.received_time().ShortDebugString()
        << " != decision received_time " << record.decision().received_time().ShortDebugString();
    const absl::Time received = FromTimestamp(record.received_time());
    const referrals::v1::TriageResult triage =
        data_.triage->Classify(cases[i].referral, received);
    // What the services store keeps the postcode sector only (issue 8).
    const referrals::v1::RoutingDecision decision = StoredDecision(
        data_.engine->Decide(cases[i].referral, triage, received, absl::Now()), cases[i].referral);

    std::string triage_diff;
    google::protobuf::util::MessageDifferencer triage_differencer;
    triage_differencer.ReportDifferencesToString(&triage_diff);
    EXPECT_TRUE(triage_differencer.Compare(record.triage(), triage))
        << "stored triage vs offline:\n" << triage_diff;

    std::string diff;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.IgnoreField(
        referrals::v1::RoutingDecision::descriptor()->FindFieldByName("decided_time"));
    differencer.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differencer.Compare(record.decision(), decision))
        << "stored decision (services) vs offline (explain), " << ids[i] << ":\n"
        << diff;
    ++outcomes[absl::StrCat(referrals::v1::RoutingOutcome_Name(decision.outcome()), " ",
                            decision.queue())];
  }
  // The cases reach every kind of outcome.
  int teams = 0, manual = 0, out_of_area = 0;
  for (const auto& [outcome, count] : outcomes) {
    teams += absl::StartsWith(outcome, "ROUTING_OUTCOME_TEAM") ? count : 0;
    manual += absl::StartsWith(outcome, "ROUTING_OUTCOME_MANUAL_TRIAGE") ? count : 0;
    out_of_area += absl::StartsWith(outcome, "ROUTING_OUTCOME_OUT_OF_AREA") ? count : 0;
    std::cout << "  " << outcome << ": " << count << "\n";
  }
  EXPECT_GE(teams, 10);
  EXPECT_GE(manual, 4);
  EXPECT_GE(out_of_area, 3);
}

}  // namespace
}  // namespace referrals
