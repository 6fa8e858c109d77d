#include "common/crypto/data_keyring.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKeyA[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr char kKeyB[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

std::string Line(const std::string& id, const std::string& hex) { return id + " " + hex + "\n"; }

TEST(DataKeyring, ParsesKeysCommentsAndBlankLines) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse("# data keys\n\n" + Line("k2", kKeyB) +
                                                            "  " + Line("k1", kKeyA),
                                                        "keys.txt"));
  EXPECT_TRUE(keyring->IsEnabled());
  EXPECT_EQ(keyring->primary_key_id(), "k2");
  EXPECT_THAT(keyring->key_ids(), ::testing::ElementsAre("k2", "k1"));
}

TEST(DataKeyring, RejectsMalformedLineNamingFileAndLineNotKey) {
  EXPECT_THAT(DataKeyring::Parse("# c\n" + std::string("k1 ") + kKeyA + " extra\n", "keys.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("keys.txt line 2"), Not(HasSubstr(kKeyA)))));
  EXPECT_THAT(DataKeyring::Parse("k1\n", "keys.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keys.txt line 1")));
}

TEST(DataKeyring, RejectsWrongKeyLength) {
  const std::string short_key = std::string(kKeyA).substr(0, 62);
  EXPECT_THAT(DataKeyring::Parse(Line("k1", short_key), "keys.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("line 1"), HasSubstr("64 hex digits"),
                                        Not(HasSubstr(short_key)))));
  EXPECT_THAT(DataKeyring::Parse(Line("k1", std::string(kKeyA) + "00"), "keys.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DataKeyring, RejectsNonHexKey) {
  std::string bad = kKeyA;
  bad[10] = 'g';
  EXPECT_THAT(DataKeyring::Parse(Line("k1", bad), "keys.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
}

TEST(DataKeyring, RejectsDuplicateKeyId) {
  EXPECT_THAT(DataKeyring::Parse(Line("k1", kKeyA) + Line("k1", kKeyB), "keys.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("line 2"), HasSubstr("used twice"))));
}

TEST(DataKeyring, RejectsBadKeyIdAndEmptyFile) {
  EXPECT_THAT(DataKeyring::Parse(Line("k/1", kKeyA), "keys.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key id")));
  EXPECT_THAT(DataKeyring::Parse("# nothing\n", "keys.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no key")));
}

TEST(DataKeyring, LoadNamesMissingFile) {
  EXPECT_THAT(DataKeyring::Load("/nonexistent/keys.txt"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/keys.txt")));
}

TEST(DataKeyring, LoadsAFile) {
  const std::string path = ::testing::TempDir() + "/data_keyring_test_keys.txt";
  std::ofstream(path) << Line("k1", kKeyA);
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Load(path));
  EXPECT_EQ(keyring->primary_key_id(), "k1");
  std::remove(path.c_str());
}

TEST(DataKeyring, SealsWithFreshNonceAndOpens) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(Line("k1", kKeyA), "keys.txt"));
  ASSERT_OK_AND_ASSIGN(DataKeyring::Sealed one, keyring->Seal("Margaret Thistlewood", "R-1"));
  ASSERT_OK_AND_ASSIGN(DataKeyring::Sealed two, keyring->Seal("Margaret Thistlewood", "R-1"));
  EXPECT_EQ(one.key_id, "k1");
  EXPECT_EQ(one.nonce.size(), DataKeyring::kNonceBytes);
  EXPECT_NE(one.nonce, two.nonce);
  EXPECT_NE(one.ciphertext, two.ciphertext);
  EXPECT_THAT(one.ciphertext, Not(HasSubstr("Thistlewood")));
  ASSERT_OK_AND_ASSIGN(std::string opened, keyring->Open(one, "R-1"));
  EXPECT_EQ(opened, "Margaret Thistlewood");
}

TEST(DataKeyring, OldKeyStillOpensAfterRotation) {
  ASSERT_OK_AND_ASSIGN(auto before, DataKeyring::Parse(Line("k1", kKeyA), "keys.txt"));
  ASSERT_OK_AND_ASSIGN(DataKeyring::Sealed old_sealed, before->Seal("secret", "R-1"));
  ASSERT_OK_AND_ASSIGN(auto after,
                       DataKeyring::Parse(Line("k2", kKeyB) + Line("k1", kKeyA), "keys.txt"));
  EXPECT_EQ(after->primary_key_id(), "k2");
  ASSERT_OK_AND_ASSIGN(std::string opened, after->Open(old_sealed, "R-1"));
  EXPECT_EQ(opened, "secret");
  ASSERT_OK_AND_ASSIGN(DataKeyring::Sealed new_sealed, after->Seal("secret", "R-1"));
  EXPECT_EQ(new_sealed.key_id, "k2");
  // The old keyring does not know k2.
  EXPECT_THAT(before->Open(new_sealed, "R-1"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("k2")));
}

TEST(DataKeyring, TamperedCiphertextFails) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(Line("k1", kKeyA), "keys.txt"));
  ASSERT_OK_AND_ASSIGN(DataKeyring::Sealed sealed, keyring->Seal("secret", "R-1"));
  sealed.ciphertext[0] ^= 1;
  EXPECT_THAT(keyring->Open(sealed, "R-1"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(DataKeyring, OtherAssociatedDataFails) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(Line("k1", kKeyA), "keys.txt"));
  ASSERT_OK_AND_ASSIGN(DataKeyring::Sealed sealed, keyring->Seal("secret", "R-1"));
  EXPECT_THAT(keyring->Open(sealed, "R-2"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(DataKeyring, SameIdOtherKeyFails) {
  ASSERT_OK_AND_ASSIGN(auto a, DataKeyring::Parse(Line("k1", kKeyA), "keys.txt"));
  ASSERT_OK_AND_ASSIGN(auto b, DataKeyring::Parse(Line("k1", kKeyB), "keys.txt"));
  ASSERT_OK_AND_ASSIGN(DataKeyring::Sealed sealed, a->Seal("secret", "R-1"));
  EXPECT_THAT(b->Open(sealed, "R-1"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(DataKeyring, DisabledCannotSeal) {
  auto keyring = DataKeyring::Disabled();
  EXPECT_FALSE(keyring->IsEnabled());
  EXPECT_EQ(keyring->primary_key_id(), "");
  EXPECT_THAT(keyring->Seal("x", "R-1"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(DataKeyring, NewKeyLineParses) {
  ASSERT_OK_AND_ASSIGN(std::string line, DataKeyring::NewKeyLine("2026-11"));
  ASSERT_OK_AND_ASSIGN(std::string other, DataKeyring::NewKeyLine("2026-11"));
  EXPECT_NE(line, other);
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(line, "new"));
  EXPECT_EQ(keyring->primary_key_id(), "2026-11");
  EXPECT_THAT(DataKeyring::NewKeyLine("bad id"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace referrals
