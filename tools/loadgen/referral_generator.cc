#include "tools/loadgen/referral_generator.h"

#include <fstream>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace referrals::loadgen {
namespace {

using referrals::v1::Referral;

// SplitMix64: tiny, fast and good enough for picking a mix; seeded per
// referral so referral i never depends on how many came before it.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n).
  size_t Below(size_t n) { return static_cast<size_t>(Unit() * static_cast<double>(n)); }
  bool Chance(double p) { return Unit() < p; }

 private:
  uint64_t state_;
};

// Letters a postcode's inward code may end in (no C, I, K, M, O, V).
constexpr char kInwardLetters[] = "ABDEFGHJLNPQRSTUWXYZ";

// Synthetic sentences only: nothing here describes a real person or place.
constexpr const char* kConcernSentences[] = {
    "Synthetic load-test referral: no real person is described here.",
    "The referrer noticed unexplained bruising on both forearms during a routine visit.",
    "Neighbours report that the adult has not been seen collecting shopping for several days.",
    "The adult said a family member takes their bank card and does not return it.",
    "Care staff found medication from the previous week still in the dosette box.",
    "The home was cold and there was little food in the kitchen on the last two visits.",
    "The adult appeared frightened when a visitor arrived and asked staff to stay in the room.",
    "A fall at night left the adult on the floor until the morning carer arrived.",
    "The adult uses a walking frame and is struggling with the stairs to the bathroom.",
    "Hearing has deteriorated and the adult no longer hears the doorbell or the telephone.",
    "Sight loss means the adult cannot read letters or the labels on medicines.",
    "A pendant alarm and a falls detector were discussed and the adult would like both.",
    "Grab rails by the toilet and a raised seat would help the adult stay independent.",
    "The adult's partner is the main carer and says they are exhausted and not coping.",
    "Agency staff changed three times this month and nobody knew the care plan.",
    "Call bells on the unit were not answered for long periods during the night shift.",
    "There are concerns that a younger relative living at the address may also be at risk.",
    "The adult has said they feel hopeless and the referrer is worried about their safety.",
    "Money has been withdrawn in large amounts and the adult cannot say what it was for.",
    "The referrer has discussed the concern with the adult, who agreed to this referral.",
    "A previous referral was made last year and the same pattern appears to be repeating.",
    "The GP surgery has been informed and will review the adult at the next appointment.",
};

constexpr const char* kOrganisations[] = {
    "Example Home Care Ltd",         "Example GP Surgery",
    "Example Housing Association",   "Example Hospital Discharge Team",
    "Example Day Centre",            "Example Community Nursing Team",
    "Example Reablement Service",    "Example Advocacy Project",
};
constexpr const char* kRoles[] = {"Registered manager", "Care worker", "Practice nurse",
                                  "Support worker",     "Social prescriber", "Ward sister",
                                  "Housing officer",    ""};
constexpr const char* kPlaces[] = {"own home", "care home", "day centre", "hospital ward",
                                   "supported living", "public place"};
constexpr const char* kStreets[] = {"Example Road", "Sample Street", "Test Lane", "Placeholder Way",
                                    "Fictional Close", "Synthetic Avenue"};

template <typename T, size_t N>
const T& Pick(Rng& rng, const T (&items)[N]) {
  return items[rng.Below(N)];
}

std::string UnitPostcode(Rng& rng, const std::string& sector) {
  std::string postcode = sector;
  postcode.push_back(kInwardLetters[rng.Below(sizeof(kInwardLetters) - 1)]);
  postcode.push_back(kInwardLetters[rng.Below(sizeof(kInwardLetters) - 1)]);
  // Callers type postcodes in every style; the router normalises them.
  if (rng.Chance(0.1)) return absl::AsciiStrToLower(postcode);
  if (rng.Chance(0.1)) postcode.erase(postcode.find(' '), 1);
  return postcode;
}

std::string Concern(Rng& rng) {
  // Most referrals are a paragraph or two; some are long accounts.
  const double u = rng.Unit();
  const size_t target = u < 0.6   ? 300 + rng.Below(700)
                        : u < 0.9 ? 1000 + rng.Below(2000)
                                  : 3000 + rng.Below(5000);
  std::string text = kConcernSentences[0];
  while (text.size() < target) {
    text.append(rng.Chance(0.15) ? "\n\n" : " ");
    text.append(kConcernSentences[1 + rng.Below(std::size(kConcernSentences) - 1)]);
  }
  return text;
}

}  // namespace

const char* AreaName(Area area) {
  switch (area) {
    case Area::kEssex:
      return "essex";
    case Area::kSouthend:
      return "southend";
    case Area::kThurrock:
      return "thurrock";
    case Area::kSplit:
      return "split";
    case Area::kOutOfArea:
      return "out_of_area";
    case Area::kCount:
      break;
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<ReferralGenerator>> ReferralGenerator::Create(
    std::shared_ptr<const RoutingData> data, const std::string& sector_table, uint64_t seed) {
  std::ifstream in(sector_table);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", sector_table));
  std::set<std::string> sectors;  // ordered, so pools do not depend on file order
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || absl::StartsWith(line, "sector,")) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (!fields.empty()) sectors.insert(std::string(absl::StripAsciiWhitespace(fields[0])));
  }
  std::unique_ptr<ReferralGenerator> generator(new ReferralGenerator(std::move(data), seed));
  // Bucket each sector by what the service's own resolver makes of it.
  for (const std::string& sector : sectors) {
    auto resolution = generator->data_->engine->resolver().Resolve(absl::StrCat(sector, "XX"));
    if (!resolution.ok()) continue;
    Area area = Area::kCount;
    switch (resolution->outcome()) {
      case referrals::v1::LOCATION_OUTCOME_IN_AREA:
        if (resolution->authority_id() == "ESSEX") area = Area::kEssex;
        if (resolution->authority_id() == "SOUTHEND") area = Area::kSouthend;
        if (resolution->authority_id() == "THURROCK") area = Area::kThurrock;
        break;
      case referrals::v1::LOCATION_OUTCOME_SPLIT:
        area = Area::kSplit;
        break;
      case referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA:
        area = Area::kOutOfArea;
        break;
      default:
        break;
    }
    if (area != Area::kCount) generator->pools_[static_cast<int>(area)].push_back(sector);
  }
  for (int a = 0; a < static_cast<int>(Area::kCount); ++a) {
    if (generator->pools_[a].empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(sector_table, " has no sector for area ", AreaName(static_cast<Area>(a))));
    }
  }
  return generator;
}

Referral ReferralGenerator::Make(uint64_t i, absl::string_view request_id) const {
  Rng rng(seed_ * 0x100000001b3ull ^ (i + 1) * 0x9e3779b97f4a7c15ull);
  auto pick_area = [&rng] {
    const double u = rng.Unit();
    return u < 0.70   ? Area::kEssex
           : u < 0.80 ? Area::kSouthend
           : u < 0.88 ? Area::kThurrock
           : u < 0.94 ? Area::kSplit
                      : Area::kOutOfArea;
  };
  auto postcode_in = [&](Area area) {
    const std::vector<std::string>& pool = pools_[static_cast<int>(area)];
    return UnitPostcode(rng, pool[rng.Below(pool.size())]);
  };
  auto fill_address = [&](referrals::v1::Address* address, Area area) {
    address->add_lines(absl::StrCat(1 + rng.Below(200), " ", Pick(rng, kStreets)));
    if (rng.Chance(0.3)) address->add_lines(absl::StrCat("Flat ", 1 + rng.Below(40)));
    address->set_town("Exampleton");
    address->set_postcode(postcode_in(area));
  };

  Referral referral;
  const double k = rng.Unit();
  const referrals::v1::ReferralKind kind = k < 0.45   ? referrals::v1::ADULT_SAFEGUARDING_CONCERN
                                           : k < 0.50 ? referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN
                                           : k < 0.72 ? referrals::v1::COMMUNITY_EQUIPMENT
                                           : k < 0.82 ? referrals::v1::SENSORY_SUPPORT
                                                      : referrals::v1::CARE_TECHNOLOGY;
  referral.set_kind(kind);

  referrals::v1::Adult* adult = referral.mutable_adult();
  adult->set_given_name(absl::StrCat("Synthetic", rng.Below(1000)));
  adult->set_family_name(absl::StrCat("Testperson", rng.Below(100000)));
  if (rng.Chance(0.8)) {
    adult->mutable_date_of_birth()->set_year(1930 + static_cast<int>(rng.Below(75)));
    adult->mutable_date_of_birth()->set_month(1 + static_cast<int>(rng.Below(12)));
    adult->mutable_date_of_birth()->set_day(1 + static_cast<int>(rng.Below(28)));
  }

  const Area deciding = pick_area();
  if (kind == referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN) {
    // The service's address decides; the adult may have none on file.
    referrals::v1::Service* service = referral.mutable_service();
    service->set_name(absl::StrCat("Example Lodge ", rng.Below(500)));
    fill_address(service->mutable_address(), deciding);
    if (rng.Chance(0.5)) service->set_cqc_location_id(absl::StrCat("1-", 100000000 + rng.Below(899999999)));
    if (rng.Chance(0.5)) fill_address(adult->mutable_home_address(), pick_area());
  } else if (kind == referrals::v1::ADULT_SAFEGUARDING_CONCERN) {
    const double where = rng.Unit();
    if (where < 0.6) {
      // Harm somewhere known; a fifth of the time the adult lives elsewhere,
      // so another authority must be informed.
      referrals::v1::Location* harm = referral.mutable_harm_location();
      fill_address(harm->mutable_address(), deciding);
      harm->set_description(Pick(rng, kPlaces));
      fill_address(adult->mutable_home_address(), rng.Chance(0.2) ? pick_area() : deciding);
    } else {
      if (where < 0.7) referral.mutable_harm_location()->set_unknown(true);
      fill_address(adult->mutable_home_address(), deciding);
    }
    referrals::v1::RiskIndicators* risk = referral.mutable_risk();
    risk->set_immediate_danger(rng.Chance(0.08));
    risk->set_suspected_crime(rng.Chance(0.20));
    risk->set_child_at_risk(rng.Chance(0.06));
    risk->set_mental_health_crisis(rng.Chance(0.07));
  } else {
    fill_address(adult->mutable_home_address(), deciding);
    if (rng.Chance(0.02)) referral.mutable_risk()->set_mental_health_crisis(true);
  }

  referrals::v1::Referrer* referrer = referral.mutable_referrer();
  const uint64_t referrer_number = rng.Below(5000);
  if (rng.Chance(0.8)) referrer->set_name(absl::StrCat("Referrer ", referrer_number));
  referrer->set_organisation(Pick(rng, kOrganisations));
  referrer->set_role(Pick(rng, kRoles));
  if (rng.Chance(0.85)) referrer->set_phone(absl::StrCat("01245 ", 100000 + rng.Below(800000)));
  if (referrer->phone().empty() || rng.Chance(0.5)) {
    referrer->set_email(absl::StrCat("referrer", referrer_number, "@example.org"));
  }

  referral.set_concern(Concern(rng));
  const double c = rng.Unit();
  referral.set_consent(c < 0.75   ? referrals::v1::CONSENT_GIVEN
                       : c < 0.85 ? referrals::v1::CONSENT_NOT_OBTAINED_LACKS_CAPACITY
                       : c < 0.95 ? referrals::v1::CONSENT_NOT_OBTAINED_RISK
                                  : referrals::v1::CONSENT_REFUSED);
  referral.set_channel(rng.Chance(0.6) ? referrals::v1::CHANNEL_PORTAL : referrals::v1::CHANNEL_API);
  referral.set_request_id(std::string(request_id));
  return referral;
}

}  // namespace referrals::loadgen
