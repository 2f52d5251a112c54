// Request budgets (core/fetch/health.hpp): a provider's daily budget, its share kept for the
// schedule, its renewal at UTC midnight and its restoration after a restart; the hourly count of
// new keys read-through may fetch.
#include <gtest/gtest.h>

#include "core/fetch/health.hpp"

namespace tako {
namespace {

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kNoon = 20'000 * kDay + 12 * kHour;  // some UTC day, 12:00

TEST(DailyBudget, ReadThroughLeavesTheReservedShare) {
    DailyBudget budget{100, 25};
    EXPECT_EQ(read_through_limit(budget), 75);
    EXPECT_EQ(read_through_limit(DailyBudget{0, 25}), 0);  // unlimited
    EXPECT_EQ(read_through_limit(DailyBudget{1, 90}), 1);  // never nothing
    EXPECT_EQ(read_through_limit(DailyBudget{10, 0}), 10);
    ProviderHealth h;
    int read_through = 0, scheduled = 0;
    while (take_request(h, budget, true, kNoon)) ++read_through;
    EXPECT_EQ(read_through, 75);
    while (take_request(h, budget, false, kNoon)) ++scheduled;
    EXPECT_EQ(scheduled, 25) << "the schedule still has its share when read-through is done";
    EXPECT_FALSE(take_request(h, budget, true, kNoon));
    EXPECT_EQ(requests_today(h, kNoon), 100);
}

TEST(DailyBudget, RenewsAtUtcMidnight) {
    DailyBudget budget{3, 0};
    ProviderHealth h;
    const std::int64_t before_midnight = kNoon + 12 * kHour - 1;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(take_request(h, budget, false, before_midnight));
    EXPECT_FALSE(take_request(h, budget, false, before_midnight));
    EXPECT_EQ(requests_today(h, before_midnight + 1), 0);
    EXPECT_TRUE(take_request(h, budget, false, before_midnight + 1)) << "a new UTC day";
    EXPECT_EQ(requests_today(h, before_midnight + 1), 1);
}

TEST(DailyBudget, UnlimitedStillCounts) {
    ProviderHealth h;
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(take_request(h, DailyBudget{}, true, kNoon));
    EXPECT_EQ(requests_today(h, kNoon), 1000);
}

TEST(DailyBudget, RestoredCountsAfterARestart) {
    ProviderHealth h;
    take_request(h, DailyBudget{}, false, kNoon);
    restore_requests(h, 40, kNoon);
    EXPECT_EQ(requests_today(h, kNoon), 40);
    restore_requests(h, 10, kNoon);  // never lowers
    EXPECT_EQ(requests_today(h, kNoon), 40);
    EXPECT_FALSE(take_request(h, DailyBudget{40, 0}, false, kNoon));
}

TEST(NewKeysPerHour, TakesUpToTheLimitThenRenewsEachHour) {
    HourlyCount c;
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(take_one(c, 5, kNoon + i));
    EXPECT_FALSE(take_one(c, 5, kNoon + 10));
    EXPECT_EQ(taken_this_hour(c, kNoon + 10), 5);
    EXPECT_EQ(taken_this_hour(c, kNoon + kHour), 0);
    EXPECT_TRUE(take_one(c, 5, kNoon + kHour));
    EXPECT_FALSE(take_one(c, 0, kNoon + kHour)) << "a limit of 0 lets no new key through";
}

TEST(NewKeysPerHour, OneGivenBackCanBeTakenAgainWithinItsHourOnly) {
    HourlyCount c;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(take_one(c, 3, kNoon + i));
    give_back_one(c, kNoon + 2);
    EXPECT_EQ(taken_this_hour(c, kNoon + 3), 2);
    EXPECT_TRUE(take_one(c, 3, kNoon + 4));
    EXPECT_FALSE(take_one(c, 3, kNoon + 5));
    give_back_one(c, kNoon - kHour);  // taken in the previous hour: this hour's count is kept
    EXPECT_EQ(taken_this_hour(c, kNoon + 5), 3);
    EXPECT_TRUE(take_one(c, 3, kNoon + kHour));
    give_back_one(c, kNoon + 5);  // taken before the hour turned: nothing to give back
    EXPECT_EQ(taken_this_hour(c, kNoon + kHour), 1);
    HourlyCount empty;
    give_back_one(empty, kNoon);
    EXPECT_EQ(taken_this_hour(empty, kNoon), 0) << "never below zero";
}

}  // namespace
}  // namespace tako
