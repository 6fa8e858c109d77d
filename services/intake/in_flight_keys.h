// The idempotency keys whose first request is still being stored in this
// process, so a concurrent retry with the same key can be told "in progress"
// (HTTP 409) instead of queueing behind it.
//
// This is per process only. Across replicas the Redis submit script decides:
// two replicas storing the same key at once both reach the script, which is
// atomic; the first stores, the second gets the first's referral back (or
// ALREADY_EXISTS for a different body). Nothing is ever stored twice.
#ifndef SERVICES_INTAKE_IN_FLIGHT_KEYS_H_
#define SERVICES_INTAKE_IN_FLIGHT_KEYS_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace referrals {

class InFlightKeys {
 public:
  // Holds a key until destroyed. Movable; empty (held() false) when the key
  // was already in flight.
  class Claim {
   public:
    Claim() = default;
    Claim(Claim&& other) noexcept;
    Claim& operator=(Claim&& other) noexcept;
    ~Claim();
    bool held() const { return owner_ != nullptr; }

   private:
    friend class InFlightKeys;
    Claim(InFlightKeys* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    InFlightKeys* owner_ = nullptr;
    std::string key_;
  };

  // Claims `key` unless another Claim holds it. Thread-safe.
  Claim TryClaim(absl::string_view key);

  // How many keys are held now. Thread-safe.
  size_t size() const;

 private:
  void Release(const std::string& key);

  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace referrals

#endif  // SERVICES_INTAKE_IN_FLIGHT_KEYS_H_
