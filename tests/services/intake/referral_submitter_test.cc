// ReferralSubmitter against real Redis, without any transport: validation,
// the store, request ids scoped per calling system, and the metrics of each
// outcome.
#include "services/intake/referral_submitter.h"

#include <string>

#include "absl/synchronization/notification.h"
#include "common/service/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"

namespace referrals {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

referrals::v1::Referral Valid(const std::string& request_id) {
  referrals::v1::Referral referral;
  referral.set_kind(referrals::v1::COMMUNITY_EQUIPMENT);
  referral.mutable_adult()->set_given_name("Synthetic");
  referral.mutable_adult()->mutable_home_address()->set_postcode("CO1 1XX");
  referral.mutable_referrer()->set_organisation("Example Care Ltd");
  referral.mutable_referrer()->set_phone("01206 000000");
  referral.set_concern("Synthetic: needs a raised toilet seat.");
  referral.set_consent(referrals::v1::CONSENT_GIVEN);
  referral.set_channel(referrals::v1::CHANNEL_API);
  referral.set_request_id(request_id);
  return referral;
}

class ReferralSubmitterTest : public ::testing::Test {
 protected:
  ReferralSubmitterTest()
      : store_(Keys(testing::UniqueKeyPrefix())),
        pool_(testing::RedisOptionsFromEnv(), 2),
        metrics_(*IntakeMetrics::Create(registry_)),
        submitter_(&store_, &pool_, absl::Now, ReferralLimits(), nullptr, &metrics_) {}

  SubmitResult Submit(referrals::v1::Referral referral, const std::string& client_id,
                      const std::string& prefix = "referral") {
    SubmitRequest request;
    request.referral = std::move(referral);
    request.client_id = client_id;
    request.correlation_id = "C-test";
    request.field_prefix = prefix;
    absl::Notification done;
    SubmitResult result;
    submitter_.Submit(std::move(request), [&](SubmitResult answer) {
      result = std::move(answer);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  ReferralStore store_;
  RedisWorkerPool pool_;
  MetricsRegistry registry_;
  IntakeMetrics metrics_;
  ReferralSubmitter submitter_;
};

TEST_F(ReferralSubmitterTest, StoresAndAnswersRetriesOfTheSameClientWithTheFirstReferral) {
  SubmitResult first = Submit(Valid("req-1"), "system-a");
  ASSERT_TRUE(first.status.ok()) << first.status;
  EXPECT_THAT(first.outcome.referral_id, StartsWith("R-"));
  EXPECT_FALSE(first.outcome.duplicate);
  EXPECT_EQ(first.outcome.correlation_id, "C-test");
  SubmitResult again = Submit(Valid("req-1"), "system-a");
  ASSERT_TRUE(again.status.ok()) << again.status;
  EXPECT_TRUE(again.outcome.duplicate);
  EXPECT_EQ(again.outcome.referral_id, first.outcome.referral_id);
}

TEST_F(ReferralSubmitterTest, RequestIdsOfDifferentClientsAreIndependent) {
  SubmitResult a = Submit(Valid("shared"), "system-a");
  SubmitResult b = Submit(Valid("shared"), "system-b");
  SubmitResult anonymous = Submit(Valid("shared"), "anonymous");
  ASSERT_TRUE(a.status.ok() && b.status.ok() && anonymous.status.ok());
  EXPECT_FALSE(b.outcome.duplicate);
  EXPECT_FALSE(anonymous.outcome.duplicate);
  EXPECT_NE(a.outcome.referral_id, b.outcome.referral_id);
  EXPECT_NE(a.outcome.referral_id, anonymous.outcome.referral_id);
  // Other content under a client's used id is refused for that client only.
  referrals::v1::Referral changed = Valid("shared");
  changed.set_concern("Synthetic: something else.");
  EXPECT_EQ(Submit(changed, "system-a").status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Submit(changed, "system-c").status.ok());
}

TEST_F(ReferralSubmitterTest, InvalidReferralListsTransportAndFieldViolationsAndStoresNothing) {
  referrals::v1::Referral referral = Valid("req-bad");
  referral.clear_adult();
  SubmitRequest request;
  request.referral = referral;
  request.field_prefix = "";
  request.transport_violations.push_back({"X-Client-Id", "is malformed"});
  absl::Notification done;
  SubmitResult result;
  submitter_.Submit(std::move(request), [&](SubmitResult answer) {
    result = std::move(answer);
    done.Notify();
  });
  // Rejected on the calling thread, before any Redis work.
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_EQ(result.status.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_GE(result.violations.size(), 2u);
  EXPECT_EQ(result.violations[0].field, "X-Client-Id");
  EXPECT_EQ(result.violations[1].field, "adult");
  // Retrying the id with a valid referral is a first submission.
  SubmitResult valid = Submit(Valid("req-bad"), "anonymous");
  ASSERT_TRUE(valid.status.ok());
  EXPECT_FALSE(valid.outcome.duplicate);
}

TEST_F(ReferralSubmitterTest, CountsOutcomesWithoutPersonalData) {
  ASSERT_TRUE(Submit(Valid("m-1"), "anonymous").status.ok());
  ASSERT_TRUE(Submit(Valid("m-1"), "anonymous").status.ok());
  referrals::v1::Referral bad = Valid("m-2");
  bad.mutable_adult()->mutable_home_address()->set_postcode("NOT A POSTCODE");
  EXPECT_FALSE(Submit(bad, "anonymous").status.ok());
  const std::string text = registry_.Render();
  EXPECT_THAT(text, HasSubstr("intake_referrals_accepted_total{kind=\"COMMUNITY_EQUIPMENT\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("intake_referrals_duplicate_total{kind=\"COMMUNITY_EQUIPMENT\"} 1\n"));
  // The gRPC "referral." prefix is not in the label: both transports agree.
  EXPECT_THAT(
      text,
      HasSubstr(
          "intake_referrals_rejected_total{first_field=\"adult.home_address.postcode\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("intake_submit_duration_seconds_count{transport=\"grpc\"} 3\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("NOT A POSTCODE")));
}

TEST_F(ReferralSubmitterTest, StoreDownIsUnavailableAndCounted) {
  RedisOptions dead = testing::RedisOptionsFromEnv();
  dead.port = 1;  // nothing listens there
  RedisWorkerPool dead_pool(dead, 1);
  ReferralSubmitter submitter(&store_, &dead_pool, absl::Now, ReferralLimits(), nullptr, &metrics_);
  SubmitRequest request;
  request.referral = Valid("down-1");
  absl::Notification done;
  SubmitResult result;
  submitter.Submit(std::move(request), [&](SubmitResult answer) {
    result = std::move(answer);
    done.Notify();
  });
  done.WaitForNotification();
  EXPECT_EQ(result.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(registry_.Render(),
              HasSubstr("intake_store_failures_total{code=\"UNAVAILABLE\"} 1\n"));
}

}  // namespace
}  // namespace referrals
