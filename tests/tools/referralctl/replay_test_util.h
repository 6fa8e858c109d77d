// Helpers the `referralctl replay` tests share: running referralctl with its
// stdout and stderr apart, a modified rules version, and the personal data
// the example referrals hold (which replay must never print).
#ifndef TESTS_TOOLS_REFERRALCTL_REPLAY_TEST_UTIL_H_
#define TESTS_TOOLS_REFERRALCTL_REPLAY_TEST_UTIL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "referrals/v1/referral.pb.h"

namespace referrals::testing {

struct CtlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `binary` with `args` (already shell-quoted).
inline CtlResult RunCtl(const std::string& binary, const std::string& args) {
  CtlResult result;
  const std::string err_path =
      absl::StrCat(::testing::TempDir(), "/referralctl-stderr-", ::getpid(), ".txt");
  const std::string command = absl::StrCat(binary, " ", args, " 2>'", err_path, "'");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = ReadText(err_path);
  std::filesystem::remove(err_path);
  return result;
}

// Version 2026.11-1 as version "2026.11-2" without its community equipment
// rule, so Essex equipment referrals fall through to the locality teams
// (team.essex.locality.*) and nothing else changes. Written to `path`.
inline void WriteRulesWithoutEquipmentRule(const std::string& source, const std::string& path) {
  std::string text = ReadText(source);
  const std::string rule = "team_rules {\n  id: \"team.essex.equipment\"";
  const size_t start = text.find(rule);
  ASSERT_NE(start, std::string::npos) << "no equipment rule in " << source;
  const size_t end = text.find("}\n", start);
  ASSERT_NE(end, std::string::npos);
  text.erase(start, end + 2 - start);
  const std::string version = "version: \"2026.11-1\"";
  ASSERT_NE(text.find(version), std::string::npos);
  text = absl::StrReplaceAll(text, {{version, "version: \"2026.11-2\""}});
  std::ofstream(path, std::ios::binary) << text;
}

// Every personal or free-text value of the referral in `json_path`: names,
// address lines, towns, postcodes (as written and without the space),
// referrer contacts, the service name and the concern.
inline std::vector<std::string> PersonalValues(const std::string& json_path) {
  referrals::v1::Referral referral;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(ReadText(json_path), &referral).ok())
      << json_path;
  std::vector<std::string> values;
  auto add = [&](const std::string& value) {
    if (!value.empty()) values.push_back(value);
  };
  auto add_address = [&](const referrals::v1::Address& address) {
    for (const std::string& line : address.lines()) add(line);
    add(address.town());
    add(address.postcode());
    add(absl::StrReplaceAll(address.postcode(), {{" ", ""}}));
  };
  add(referral.adult().given_name());
  add(referral.adult().family_name());
  add_address(referral.adult().home_address());
  add_address(referral.harm_location().address());
  add(referral.harm_location().description());
  add(referral.referrer().name());
  add(referral.referrer().organisation());
  add(referral.referrer().phone());
  add(referral.referrer().email());
  add(referral.service().name());
  add_address(referral.service().address());
  add(referral.concern());
  add(referral.request_id());
  return values;
}

}  // namespace referrals::testing

#endif  // TESTS_TOOLS_REFERRALCTL_REPLAY_TEST_UTIL_H_
