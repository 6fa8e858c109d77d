#include "services/intake/caller_identity.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::testing::StartsWith;

TEST(CallerIdentity, ClientIdAcceptsNamesOfSystems) {
  EXPECT_TRUE(IsValidClientId("essex-portal"));
  EXPECT_TRUE(IsValidClientId("southend.case_mgmt-2"));
  EXPECT_TRUE(IsValidClientId(std::string(64, 'a')));
}

TEST(CallerIdentity, ClientIdRejectsEmptyLongAndOtherCharacters) {
  EXPECT_FALSE(IsValidClientId(""));
  EXPECT_FALSE(IsValidClientId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidClientId("has space"));
  EXPECT_FALSE(IsValidClientId("colon:scoped"));  // ':' separates key parts
  EXPECT_FALSE(IsValidClientId("new\nline"));
  EXPECT_FALSE(IsValidClientId("caf\xc3\xa9"));
}

TEST(CallerIdentity, CorrelationIdIsKeptWhenValid) {
  EXPECT_EQ(CorrelationIdOrNew("portal-7f3a/2"), "portal-7f3a/2");
  EXPECT_EQ(CorrelationIdOrNew(std::string(64, 'c')), std::string(64, 'c'));
}

TEST(CallerIdentity, CorrelationIdIsMintedWhenMissingOrInvalid) {
  for (const std::string& bad : {std::string(), std::string(65, 'c'), std::string("a b"),
                                 std::string("tab\there"), std::string("\x7f")}) {
    const std::string minted = CorrelationIdOrNew(bad);
    EXPECT_THAT(minted, StartsWith("C-")) << bad;
    EXPECT_EQ(minted.size(), 18u);
    EXPECT_TRUE(IsValidCorrelationId(minted));
  }
  EXPECT_NE(CorrelationIdOrNew(""), CorrelationIdOrNew(""));
}

}  // namespace
}  // namespace referrals
