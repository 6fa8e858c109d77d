// WorklistStore against a real Redis: order, paging, filters, and claims
// (including many claimers at once).
#include "services/routing/worklist_store.h"

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/pipeline/events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/lifecycle_keys.h"
#include "tests/services/routing/lifecycle_test_util.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::testing::SeedReferral;
using referrals::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1700100000);

class WorklistStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connection_ = referrals::testing::ConnectToTestRedis();
    ASSERT_NE(connection_, nullptr);
  }

  void Seed(const std::string& id, referrals::v1::Priority priority, int received_minute) {
    SeedReferral seed;
    seed.referral_id = id;
    seed.priority = priority;
    seed.received = absl::FromUnixSeconds(1700000000) + absl::Minutes(received_minute);
    ASSERT_THAT(referrals::testing::SeedRoutedReferral(*connection_, keys_, seed), IsOk());
  }

  std::vector<std::string> Ids(const WorklistPage& page) {
    std::vector<std::string> ids;
    for (const auto& item : page.items) ids.push_back(item.referral_id());
    return ids;
  }

  Keys keys_{referrals::testing::UniqueKeyPrefix()};
  std::unique_ptr<RedisConnection> connection_;
  WorklistStore store_{keys_};
};

TEST_F(WorklistStoreTest, ListsByPriorityThenAge) {
  Seed("routine-old", referrals::v1::PRIORITY_ROUTINE, 0);
  Seed("urgent-new", referrals::v1::PRIORITY_URGENT, 30);
  Seed("emergency", referrals::v1::PRIORITY_EMERGENCY, 40);
  Seed("urgent-old", referrals::v1::PRIORITY_URGENT, 10);
  absl::StatusOr<WorklistPage> page = store_.List(*connection_, "ecc-north-east", "", 10, {}, kNow);
  ASSERT_THAT(page, IsOk());
  EXPECT_THAT(Ids(*page), ElementsAre("emergency", "urgent-old", "urgent-new", "routine-old"));
  EXPECT_EQ(page->items[0].priority(), referrals::v1::PRIORITY_EMERGENCY);
  EXPECT_EQ(page->next_page_token, "");
}

TEST_F(WorklistStoreTest, PagesFollowOnWithoutGapsOrRepeats) {
  for (int i = 0; i < 5; ++i) Seed(absl::StrCat("r", i), referrals::v1::PRIORITY_ROUTINE, i);
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<WorklistPage> page =
        store_.List(*connection_, "ecc-north-east", token, 2, {}, kNow);
    ASSERT_THAT(page, IsOk());
    for (const std::string& id : Ids(*page)) seen.push_back(id);
    token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_THAT(seen, ElementsAre("r0", "r1", "r2", "r3", "r4"));
}

TEST_F(WorklistStoreTest, FiltersByPriorityOverdueAndUnclaimed) {
  Seed("a", referrals::v1::PRIORITY_ROUTINE, 0);
  Seed("b", referrals::v1::PRIORITY_URGENT, 1);
  Seed("c", referrals::v1::PRIORITY_URGENT, 2);
  ASSERT_THAT(connection_->Command({"HSET", keys_.Referral("c"), kFieldOverdueMs, "1"}), IsOk());
  WorklistFilter urgent;
  urgent.priority = referrals::v1::PRIORITY_URGENT;
  EXPECT_THAT(Ids(*store_.List(*connection_, "ecc-north-east", "", 10, urgent, kNow)),
              ElementsAre("b", "c"));
  WorklistFilter overdue;
  overdue.overdue_only = true;
  EXPECT_THAT(Ids(*store_.List(*connection_, "ecc-north-east", "", 10, overdue, kNow)),
              ElementsAre("c"));
  ASSERT_THAT(store_.ClaimNext(*connection_, "ecc-north-east", "w1", absl::Minutes(5), kNow),
              IsOk());  // takes "b"
  WorklistFilter unclaimed;
  unclaimed.unclaimed_only = true;
  EXPECT_THAT(Ids(*store_.List(*connection_, "ecc-north-east", "", 10, unclaimed, kNow)),
              ElementsAre("c", "a"));
}

TEST_F(WorklistStoreTest, MalformedPageTokenIsInvalidArgument) {
  EXPECT_THAT(store_.List(*connection_, "ecc-north-east", "nonsense", 10, {}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(WorklistStoreTest, ClaimTakesTheFirstUnclaimedAndRecordsTheLease) {
  Seed("first", referrals::v1::PRIORITY_URGENT, 0);
  Seed("second", referrals::v1::PRIORITY_ROUTINE, 0);
  absl::StatusOr<referrals::v1::WorklistItem> one =
      store_.ClaimNext(*connection_, "ecc-north-east", "w1", absl::Minutes(5), kNow);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->referral_id(), "first");
  EXPECT_EQ(one->lease().holder(), "w1");
  EXPECT_EQ(FromTimestamp(one->lease().expires_time()), kNow + absl::Minutes(5));
  absl::StatusOr<referrals::v1::WorklistItem> two =
      store_.ClaimNext(*connection_, "ecc-north-east", "w2", absl::Minutes(5), kNow);
  ASSERT_THAT(two, IsOk());
  EXPECT_EQ(two->referral_id(), "second");
  EXPECT_THAT(store_.ClaimNext(*connection_, "ecc-north-east", "w3", absl::Minutes(5), kNow),
              StatusIs(absl::StatusCode::kNotFound));
  // After the first lease expires, it can be claimed again.
  absl::StatusOr<referrals::v1::WorklistItem> again = store_.ClaimNext(
      *connection_, "ecc-north-east", "w3", absl::Minutes(5), kNow + absl::Minutes(6));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->referral_id(), "first");
}

TEST_F(WorklistStoreTest, OnlyTheHolderRenewsOrReleases) {
  Seed("r1", referrals::v1::PRIORITY_ROUTINE, 0);
  ASSERT_THAT(store_.ClaimNext(*connection_, "ecc-north-east", "w1", absl::Minutes(5), kNow),
              IsOk());
  EXPECT_THAT(store_.Renew(*connection_, "r1", "w2", absl::Minutes(5), kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_.Release(*connection_, "r1", "w2"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<referrals::v1::WorklistItem> renewed =
      store_.Renew(*connection_, "r1", "w1", absl::Minutes(10), kNow + absl::Minutes(1));
  ASSERT_THAT(renewed, IsOk());
  EXPECT_EQ(FromTimestamp(renewed->lease().expires_time()), kNow + absl::Minutes(11));
  ASSERT_THAT(store_.Release(*connection_, "r1", "w1"), IsOk());
  absl::StatusOr<referrals::v1::WorklistItem> next =
      store_.ClaimNext(*connection_, "ecc-north-east", "w2", absl::Minutes(5), kNow);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->referral_id(), "r1");
  EXPECT_THAT(store_.Renew(*connection_, "missing", "w1", absl::Minutes(5), kNow),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(WorklistStoreTest, ConcurrentClaimersNeverGetTheSameReferral) {
  constexpr int kReferrals = 60;
  constexpr int kClaimers = 6;
  for (int i = 0; i < kReferrals; ++i) {
    Seed(absl::StrCat("r", i), referrals::v1::PRIORITY_ROUTINE, i);
  }
  absl::Mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClaimers; ++c) {
    threads.emplace_back([&, c] {
      std::unique_ptr<RedisConnection> connection = referrals::testing::ConnectToTestRedis();
      if (connection == nullptr) return;
      while (true) {
        absl::StatusOr<referrals::v1::WorklistItem> item = store_.ClaimNext(
            *connection, "ecc-north-east", absl::StrCat("w", c), absl::Minutes(5), kNow);
        if (!item.ok()) {
          EXPECT_EQ(item.status().code(), absl::StatusCode::kNotFound) << item.status();
          return;
        }
        absl::MutexLock lock(&mu);
        claimed.push_back(item->referral_id());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::set<std::string> distinct(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kReferrals));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kReferrals));
}

}  // namespace
}  // namespace referrals
