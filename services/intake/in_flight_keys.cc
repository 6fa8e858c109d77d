#include "services/intake/in_flight_keys.h"

#include <utility>

namespace referrals {

InFlightKeys::Claim::Claim(Claim&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), key_(std::move(other.key_)) {}

InFlightKeys::Claim& InFlightKeys::Claim::operator=(Claim&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Release(key_);
    owner_ = std::exchange(other.owner_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

InFlightKeys::Claim::~Claim() {
  if (owner_ != nullptr) owner_->Release(key_);
}

InFlightKeys::Claim InFlightKeys::TryClaim(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  if (!keys_.insert(std::string(key)).second) return Claim();
  return Claim(this, std::string(key));
}

size_t InFlightKeys::size() const {
  absl::MutexLock lock(&mu_);
  return keys_.size();
}

void InFlightKeys::Release(const std::string& key) {
  absl::MutexLock lock(&mu_);
  keys_.erase(key);
}

}  // namespace referrals
