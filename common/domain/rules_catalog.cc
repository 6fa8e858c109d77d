#include "common/domain/rules_catalog.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace referrals {

absl::StatusOr<std::shared_ptr<const RulesCatalog>> RulesCatalog::Load(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error || !fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat("rules path ", path, " does not exist"));
  }
  std::vector<std::string> files;
  if (fs::is_directory(status)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
      if (entry.is_regular_file() && entry.path().extension() == ".textproto") {
        files.push_back(entry.path().string());
      }
    }
    if (error) {
      return absl::NotFoundError(absl::StrCat("cannot list ", path, ": ", error.message()));
    }
    if (files.empty()) {
      return absl::NotFoundError(absl::StrCat("rules directory ", path,
                                              " holds no .textproto files"));
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }

  std::vector<std::shared_ptr<const RulesConfig>> versions;
  std::vector<std::string> problems;
  for (const std::string& file : files) {
    absl::StatusOr<std::shared_ptr<const RulesConfig>> config = RulesConfig::LoadFile(file);
    if (!config.ok()) {
      if (config.status().code() == absl::StatusCode::kNotFound) return config.status();
      problems.emplace_back(config.status().message());
      continue;
    }
    versions.push_back(*std::move(config));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return FromVersions(std::move(versions));
}

absl::StatusOr<std::shared_ptr<const RulesCatalog>> RulesCatalog::FromVersions(
    std::vector<std::shared_ptr<const RulesConfig>> versions) {
  if (versions.empty()) return absl::InvalidArgumentError("no rules version given");
  std::sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
    return a->effective_from() < b->effective_from();
  });
  std::vector<std::string> problems;
  for (size_t i = 0; i < versions.size(); ++i) {
    for (size_t j = i + 1; j < versions.size(); ++j) {
      if (versions[i]->version() == versions[j]->version()) {
        problems.push_back(absl::StrCat("rules version \"", versions[i]->version(),
                                        "\" is loaded twice"));
      }
    }
    if (i > 0 && versions[i]->effective_from() == versions[i - 1]->effective_from()) {
      problems.push_back(absl::StrCat("rules versions \"", versions[i - 1]->version(), "\" and \"",
                                      versions[i]->version(), "\" both take effect on ",
                                      versions[i]->proto().effective_from()));
    }
    if (versions[i]->time_zone() != versions[0]->time_zone()) {
      problems.push_back(absl::StrCat("rules version \"", versions[i]->version(),
                                      "\" uses time zone ", versions[i]->proto().time_zone(),
                                      ", others ", versions[0]->proto().time_zone()));
    }
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return std::shared_ptr<const RulesCatalog>(new RulesCatalog(std::move(versions)));
}

std::shared_ptr<const RulesCatalog> RulesCatalog::Single(std::shared_ptr<const RulesConfig> config) {
  return std::shared_ptr<const RulesCatalog>(new RulesCatalog({std::move(config)}));
}

const std::shared_ptr<const RulesConfig>& RulesCatalog::InForceAt(absl::Time time) const {
  // The first version that starts after `time`; the one before it is in force.
  auto later = std::upper_bound(
      versions_.begin(), versions_.end(), time,
      [](absl::Time t, const auto& version) { return t < version->effective_from(); });
  if (later == versions_.begin()) return versions_.front();
  return *(later - 1);
}

std::shared_ptr<const RulesConfig> RulesCatalog::Find(absl::string_view version) const {
  for (const auto& config : versions_) {
    if (config->version() == version) return config;
  }
  return nullptr;
}

std::string RulesCatalog::Describe() const {
  std::vector<std::string> parts;
  for (const auto& config : versions_) {
    parts.push_back(absl::StrCat(config->version(), " (from ", config->proto().effective_from(), ")"));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace referrals
