#include "services/intake/in_flight_keys.h"

#include <utility>

#include "gtest/gtest.h"

namespace referrals {
namespace {

TEST(InFlightKeys, SecondClaimOfAHeldKeyFails) {
  InFlightKeys keys;
  InFlightKeys::Claim first = keys.TryClaim("portal\nkey-1");
  ASSERT_TRUE(first.held());
  EXPECT_FALSE(keys.TryClaim("portal\nkey-1").held());
  EXPECT_TRUE(keys.TryClaim("other\nkey-1").held());  // another client's key
  EXPECT_EQ(keys.size(), 1u);                         // the temporary claim above was released
}

TEST(InFlightKeys, KeyIsFreeAgainWhenTheClaimEnds) {
  InFlightKeys keys;
  {
    InFlightKeys::Claim claim = keys.TryClaim("k");
    ASSERT_TRUE(claim.held());
    EXPECT_EQ(keys.size(), 1u);
  }
  EXPECT_EQ(keys.size(), 0u);
  EXPECT_TRUE(keys.TryClaim("k").held());
}

TEST(InFlightKeys, MovedClaimReleasesOnce) {
  InFlightKeys keys;
  InFlightKeys::Claim outer;
  {
    InFlightKeys::Claim inner = keys.TryClaim("k");
    outer = std::move(inner);
  }
  EXPECT_TRUE(outer.held());
  EXPECT_FALSE(keys.TryClaim("k").held());
  outer = InFlightKeys::Claim();
  EXPECT_TRUE(keys.TryClaim("k").held());
}

}  // namespace
}  // namespace referrals
