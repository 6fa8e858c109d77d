#include "common/domain/referral_validator.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/domain/postcode.h"

namespace referrals {
namespace {

using ::referrals::v1::Address;
using ::referrals::v1::CalendarDate;
using ::referrals::v1::Location;
using ::referrals::v1::Referral;
using ::referrals::v1::ReferralKind;

// Fixed by standards rather than policy, so not in ReferralLimits.
constexpr int kMaxEmailChars = 254;  // RFC 5321 forward-path limit
constexpr int kMinPhoneDigits = 6;
constexpr int kMaxPhoneDigits = 20;
constexpr int kMaxCqcLocationDigits = 12;

// ---------------------------------------------------------------------------
// What each kind routes on, and so which locations it requires.

enum class RoutesOn {
  kResidence,    // adult.home_address
  kPlaceOfHarm,  // harm_location, else adult.home_address when absent/unknown
  kService,      // service.address
};

struct KindRule {
  ReferralKind kind;
  RoutesOn routes_on;
  absl::string_view plural;  // used in descriptions: "is required for ..."
};

constexpr KindRule kKindRules[] = {
    {referrals::v1::ADULT_SAFEGUARDING_CONCERN, RoutesOn::kPlaceOfHarm,
     "adult safeguarding concerns"},
    {referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN, RoutesOn::kService,
     "organisational safeguarding concerns"},
    {referrals::v1::COMMUNITY_EQUIPMENT, RoutesOn::kResidence, "community equipment referrals"},
    {referrals::v1::SENSORY_SUPPORT, RoutesOn::kResidence, "sensory support referrals"},
    {referrals::v1::CARE_TECHNOLOGY, RoutesOn::kResidence, "care technology referrals"},
};

// The rule for `kind`, or nullptr when the kind is unset or unknown (then no
// kind-specific requirement applies; the kind itself is reported).
const KindRule* FindKindRule(int kind) {
  for (const KindRule& rule : kKindRules) {
    if (rule.kind == kind) return &rule;
  }
  return nullptr;
}

bool RoutesOnIs(const KindRule* rule, RoutesOn routes_on) {
  return rule != nullptr && rule->routes_on == routes_on;
}

// ---------------------------------------------------------------------------
// Collecting violations.

struct Context {
  const ReferralLimits& limits;
  absl::CivilDay today;
  const KindRule* kind_rule;  // nullptr when the kind is unset or unknown
  FieldViolations& violations;

  void Add(std::string field, std::string description) const {
    violations.push_back({std::move(field), std::move(description)});
  }
};

std::string Join(absl::string_view parent, absl::string_view child) {
  if (parent.empty()) return std::string(child);
  return absl::StrCat(parent, ".", child);
}

// ---------------------------------------------------------------------------
// Text: UTF-8, control characters, blankness and length in code points.

// Decodes the code point at the front of `text` strictly (no overlong forms,
// surrogates or values above U+10FFFF) and removes its bytes. Returns -1,
// leaving `text` as it was, when the bytes are not valid UTF-8.
int32_t PopCodePoint(absl::string_view& text) {
  const auto lead = static_cast<unsigned char>(text.front());
  if (lead < 0x80) {
    text.remove_prefix(1);
    return lead;
  }
  size_t length;
  int32_t code_point;
  int32_t smallest;  // anything below this has a shorter (canonical) form
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
    smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
    smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
    smallest = 0x10000;
  } else {
    return -1;  // a continuation byte or 0xF8..0xFF
  }
  if (text.size() < length) return -1;
  for (size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) != 0x80) return -1;
    code_point = (code_point << 6) | (byte & 0x3F);
  }
  if (code_point < smallest || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return -1;
  }
  text.remove_prefix(length);
  return code_point;
}

// Unicode category Cc: C0 controls, DEL and C1 controls.
bool IsControl(int32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

bool IsLineBreakOrTab(int32_t code_point) {
  return code_point == '\n' || code_point == '\r' || code_point == '\t';
}

// ASCII white space and the Unicode space separators.
bool IsSpace(int32_t code_point) {
  return code_point == ' ' || (code_point >= 0x09 && code_point <= 0x0D) || code_point == 0xA0 ||
         code_point == 0x1680 || (code_point >= 0x2000 && code_point <= 0x200A) ||
         code_point == 0x2028 || code_point == 0x2029 || code_point == 0x202F ||
         code_point == 0x205F || code_point == 0x3000;
}

struct TextScan {
  bool valid_utf8 = true;
  bool has_control = false;  // other than line breaks and tabs when allowed
  bool blank = true;         // empty or white space only
  int64_t code_points = 0;
};

TextScan Scan(absl::string_view text, bool allow_line_breaks) {
  TextScan scan;
  while (!text.empty()) {
    const int32_t code_point = PopCodePoint(text);
    if (code_point < 0) {
      scan.valid_utf8 = false;
      scan.blank = false;
      return scan;
    }
    ++scan.code_points;
    if (IsControl(code_point) && !(allow_line_breaks && IsLineBreakOrTab(code_point))) {
      scan.has_control = true;
    }
    if (!IsSpace(code_point)) scan.blank = false;
  }
  return scan;
}

bool IsBlank(absl::string_view text) { return Scan(text, /*allow_line_breaks=*/true).blank; }

struct TextRule {
  int max_chars;
  bool allow_line_breaks = false;  // \n, \r and \t (free text only)
};

// Records at most one violation for `value`: not valid UTF-8, a control
// character, or more than `rule.max_chars` code points. Returns whether the
// value passed. Says nothing about whether a value is required.
bool CheckText(const Context& ctx, const std::string& path, absl::string_view value,
               TextRule rule) {
  const TextScan scan = Scan(value, rule.allow_line_breaks);
  if (!scan.valid_utf8) {
    ctx.Add(path, "must be valid UTF-8");
    return false;
  }
  if (scan.has_control) {
    ctx.Add(path, rule.allow_line_breaks
                      ? "must not contain control characters other than line breaks and tabs"
                      : "must not contain control characters");
    return false;
  }
  if (scan.code_points > rule.max_chars) {
    ctx.Add(path, absl::StrCat("must be at most ", rule.max_chars, " characters"));
    return false;
  }
  return true;
}

// Like CheckText, and records `required` when the value is blank.
void CheckRequiredText(const Context& ctx, const std::string& path, absl::string_view value,
                       TextRule rule, absl::string_view required = "is required") {
  if (IsBlank(value)) {
    ctx.Add(path, std::string(required));
    return;
  }
  CheckText(ctx, path, value, rule);
}

// ---------------------------------------------------------------------------
// Formats.

// `required` is empty when the postcode is optional here; otherwise it is the
// description recorded when the postcode is missing.
void CheckPostcode(const Context& ctx, const std::string& path, absl::string_view value,
                   absl::string_view required) {
  if (IsBlank(value)) {
    if (!required.empty()) {
      ctx.Add(path, std::string(required));
      return;
    }
    if (value.empty()) return;
    // White space or similar where a postcode was given: let the parser say.
  }
  const absl::StatusOr<Postcode> parsed = ParsePostcode(value);
  if (!parsed.ok()) {
    // The parser's reason names what is wrong and never echoes the input.
    const absl::string_view reason = parsed.status().message();
    ctx.Add(path, reason.empty() ? "is not a valid UK postcode" : std::string(reason));
  }
}

bool IsPhoneCharacter(char c) {
  return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == ' ' || c == '+' || c == '(' ||
         c == ')' || c == '-';
}

void CheckPhone(const Context& ctx, const std::string& path, absl::string_view phone) {
  if (phone.empty()) return;
  if (!absl::c_all_of(phone, IsPhoneCharacter)) {
    ctx.Add(path, "must contain only digits, spaces and the characters + ( ) -");
    return;
  }
  const auto digits = absl::c_count_if(
      phone, [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
  if (digits < kMinPhoneDigits || digits > kMaxPhoneDigits) {
    ctx.Add(path, absl::StrCat("must have between ", kMinPhoneDigits, " and ", kMaxPhoneDigits,
                               " digits"));
  }
}

// What is wrong with the shape of `email`, or an empty string when nothing is.
absl::string_view EmailProblem(absl::string_view email) {
  if (absl::c_any_of(email,
                     [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); })) {
    return "must not contain spaces";
  }
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || email.find('@', at + 1) != absl::string_view::npos) {
    return "must contain exactly one @";
  }
  if (at == 0) return "must have a local part before the @";
  const std::vector<absl::string_view> labels = absl::StrSplit(email.substr(at + 1), '.');
  if (labels.size() < 2 || absl::c_any_of(labels, [](absl::string_view l) { return l.empty(); })) {
    return "must have a dotted domain after the @, such as example.org";
  }
  return "";
}

void CheckEmail(const Context& ctx, const std::string& path, absl::string_view email) {
  if (email.empty()) return;
  if (!CheckText(ctx, path, email, {kMaxEmailChars})) return;
  const absl::string_view problem = EmailProblem(email);
  if (!problem.empty()) ctx.Add(path, std::string(problem));
}

// "1-" followed by 1..12 digits, e.g. "1-123456789".
bool IsCqcLocationId(absl::string_view id) {
  if (!absl::ConsumePrefix(&id, "1-")) return false;
  return !id.empty() && id.size() <= kMaxCqcLocationDigits && absl::c_all_of(id, [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// Printable ASCII without space: 0x21..0x7E.
bool IsRequestIdCharacter(char c) { return c >= 0x21 && c <= 0x7E; }

// ---------------------------------------------------------------------------
// Messages, in the proto's field order.

void CheckEnum(const Context& ctx, const std::string& path, int value, bool (*is_valid)(int),
               absl::string_view noun) {
  if (value == 0) {
    ctx.Add(path, "is required");
  } else if (!is_valid(value)) {
    ctx.Add(path, absl::StrCat("is not a known ", noun));
  }
}

bool IsEmptyAddress(const Address& address) {
  return absl::c_all_of(address.lines(), [](const std::string& line) { return IsBlank(line); }) &&
         IsBlank(address.town()) && IsBlank(address.postcode());
}

void CheckAddress(const Context& ctx, const std::string& path, const Address& address,
                  absl::string_view postcode_required) {
  const TextRule short_text{ctx.limits.max_short_text_chars};
  const std::string lines_path = Join(path, "lines");
  if (address.lines_size() > ctx.limits.max_address_lines) {
    ctx.Add(lines_path, absl::StrCat("must have at most ", ctx.limits.max_address_lines, " lines"));
  }
  for (int i = 0; i < address.lines_size(); ++i) {
    CheckText(ctx, absl::StrCat(lines_path, "[", i, "]"), address.lines(i), short_text);
  }
  CheckText(ctx, Join(path, "town"), address.town(), short_text);
  CheckPostcode(ctx, Join(path, "postcode"), address.postcode(), postcode_required);
}

void CheckDateOfBirth(const Context& ctx, const std::string& path, const CalendarDate& date) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return;  // sent empty: not given
  const absl::CivilDay day(date.year(), date.month(), date.day());  // normalises out-of-range parts
  if (day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    ctx.Add(path, "must be a real calendar date with year, month and day all set");
    return;
  }
  if (day > ctx.today) {
    ctx.Add(path, "must not be in the future");
    return;
  }
  const int max_age = ctx.limits.max_age_years;
  const absl::CivilDay earliest(ctx.today.year() - max_age, ctx.today.month(), ctx.today.day());
  if (day < earliest) ctx.Add(path, absl::StrCat("must be at most ", max_age, " years ago"));
}

// The description for a missing home postcode, or empty when it is optional.
std::string HomePostcodeRequirement(const Context& ctx, const Referral& referral) {
  if (RoutesOnIs(ctx.kind_rule, RoutesOn::kResidence)) {
    return absl::StrCat("is required for ", ctx.kind_rule->plural,
                        ": where the adult lives decides routing");
  }
  const bool place_of_harm_unknown =
      !referral.has_harm_location() || referral.harm_location().unknown();
  if (RoutesOnIs(ctx.kind_rule, RoutesOn::kPlaceOfHarm) && place_of_harm_unknown) {
    return absl::StrCat("is required for ", ctx.kind_rule->plural,
                        " when the place of harm is absent or unknown: where the adult lives "
                        "then decides routing");
  }
  return "";
}

void CheckAdult(const Context& ctx, const std::string& path, const Referral& referral) {
  if (!referral.has_adult()) {
    ctx.Add(path, "is required");
    return;
  }
  const v1::Adult& adult = referral.adult();
  if (IsBlank(adult.given_name()) && IsBlank(adult.family_name())) {
    ctx.Add(path, "must have a given name or a family name");
  }
  const TextRule name{ctx.limits.max_name_chars};
  CheckText(ctx, Join(path, "given_name"), adult.given_name(), name);
  CheckText(ctx, Join(path, "family_name"), adult.family_name(), name);
  if (adult.has_date_of_birth()) {
    CheckDateOfBirth(ctx, Join(path, "date_of_birth"), adult.date_of_birth());
  }
  CheckAddress(ctx, Join(path, "home_address"), adult.home_address(),
               HomePostcodeRequirement(ctx, referral));
}

void CheckHarmLocation(const Context& ctx, const std::string& path, const Referral& referral) {
  if (!referral.has_harm_location()) return;
  const Location& location = referral.harm_location();
  const std::string address_path = Join(path, "address");
  std::string postcode_required;
  if (location.unknown()) {
    if (!IsEmptyAddress(location.address())) {
      ctx.Add(address_path, "must be empty when unknown is true");
    }
  } else if (RoutesOnIs(ctx.kind_rule, RoutesOn::kPlaceOfHarm)) {
    postcode_required = absl::StrCat("is required for ", ctx.kind_rule->plural,
                                     ": the place of harm decides routing (set unknown when "
                                     "the place is not known)");
  }
  CheckAddress(ctx, address_path, location.address(), postcode_required);
  CheckText(ctx, Join(path, "description"), location.description(),
            {ctx.limits.max_short_text_chars});
}

void CheckReferrer(const Context& ctx, const std::string& path, const Referral& referral) {
  if (!referral.has_referrer()) {
    ctx.Add(path, "is required");
    return;
  }
  const v1::Referrer& referrer = referral.referrer();
  if (IsBlank(referrer.name()) && IsBlank(referrer.organisation())) {
    ctx.Add(path, "must have a name or an organisation");
  }
  if (IsBlank(referrer.phone()) && IsBlank(referrer.email())) {
    ctx.Add(path, "must have a phone number or an email address");
  }
  const TextRule short_text{ctx.limits.max_short_text_chars};
  CheckText(ctx, Join(path, "name"), referrer.name(), {ctx.limits.max_name_chars});
  CheckText(ctx, Join(path, "organisation"), referrer.organisation(), short_text);
  CheckText(ctx, Join(path, "role"), referrer.role(), short_text);
  CheckPhone(ctx, Join(path, "phone"), referrer.phone());
  CheckEmail(ctx, Join(path, "email"), referrer.email());
}

void CheckService(const Context& ctx, const std::string& path, const Referral& referral) {
  const bool decides_routing = RoutesOnIs(ctx.kind_rule, RoutesOn::kService);
  if (!referral.has_service()) {
    if (decides_routing) ctx.Add(path, absl::StrCat("is required for ", ctx.kind_rule->plural));
    return;
  }
  const v1::Service& service = referral.service();
  const TextRule short_text{ctx.limits.max_short_text_chars};
  const std::string name_path = Join(path, "name");
  std::string postcode_required;
  if (decides_routing) {
    CheckRequiredText(ctx, name_path, service.name(), short_text,
                      absl::StrCat("is required for ", ctx.kind_rule->plural));
    postcode_required = absl::StrCat("is required for ", ctx.kind_rule->plural,
                                     ": the service's address decides routing");
  } else {
    CheckText(ctx, name_path, service.name(), short_text);
  }
  CheckAddress(ctx, Join(path, "address"), service.address(), postcode_required);
  if (!service.cqc_location_id().empty() && !IsCqcLocationId(service.cqc_location_id())) {
    ctx.Add(Join(path, "cqc_location_id"),
            absl::StrCat("must be a CQC location id: 1- followed by 1 to ", kMaxCqcLocationDigits,
                         " digits"));
  }
}

void CheckRequestId(const Context& ctx, const std::string& path, absl::string_view id) {
  if (id.empty()) {
    ctx.Add(path, "is required");
  } else if (!absl::c_all_of(id, IsRequestIdCharacter)) {
    ctx.Add(path, "must contain only printable ASCII characters, without spaces");
  } else if (id.size() > static_cast<size_t>(ctx.limits.max_request_id_chars)) {
    ctx.Add(path, absl::StrCat("must be at most ", ctx.limits.max_request_id_chars, " characters"));
  }
}

}  // namespace

FieldViolations ValidateReferral(const referrals::v1::Referral& referral, absl::CivilDay today,
                                 absl::string_view prefix, const ReferralLimits& limits) {
  FieldViolations violations;
  const Context ctx{limits, today, FindKindRule(referral.kind()), violations};

  CheckEnum(ctx, Join(prefix, "kind"), referral.kind(), v1::ReferralKind_IsValid, "referral kind");
  CheckAdult(ctx, Join(prefix, "adult"), referral);
  CheckHarmLocation(ctx, Join(prefix, "harm_location"), referral);
  CheckReferrer(ctx, Join(prefix, "referrer"), referral);
  CheckService(ctx, Join(prefix, "service"), referral);
  CheckRequiredText(ctx, Join(prefix, "concern"), referral.concern(),
                    {limits.max_concern_chars, /*allow_line_breaks=*/true});
  // risk: flags only, nothing to validate.
  CheckEnum(ctx, Join(prefix, "consent"), referral.consent(), v1::Consent_IsValid, "consent value");
  CheckEnum(ctx, Join(prefix, "channel"), referral.channel(), v1::Channel_IsValid, "channel");
  CheckRequestId(ctx, Join(prefix, "request_id"), referral.request_id());
  return violations;
}

}  // namespace referrals
