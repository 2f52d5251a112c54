// GCRA spacing of a provider's requests: per second, per minute with bursts, holds after a 429.
#include <gtest/gtest.h>

#include <vector>

#include "core/rate_limit.hpp"

namespace tako {
namespace {

constexpr std::int64_t kSecond = 1'000'000;

TEST(RateLimit, SpacesRequestsPerSecond) {
    RateLimitState state;
    RateLimit limit{4, 0};
    std::int64_t now = 100 * kSecond;
    EXPECT_EQ(reserve_slot(state, limit, now), now);
    EXPECT_EQ(reserve_slot(state, limit, now), now + kSecond / 4);
    EXPECT_EQ(reserve_slot(state, limit, now), now + kSecond / 2);
    // Later requests are not penalised by past idle time.
    EXPECT_EQ(reserve_slot(state, limit, now + 10 * kSecond), now + 10 * kSecond);
}

TEST(RateLimit, JikanThreePerSecondAndSixtyPerMinute) {
    RateLimitState state;
    RateLimit limit{3, 60};
    std::int64_t now = 0;
    std::int64_t last = 0;
    for (int i = 0; i < 60; ++i) last = reserve_slot(state, limit, now);
    // 60 requests spaced by a third of a second: the minute budget is not yet binding.
    EXPECT_EQ(last, 59 * (kSecond / 3));
    // The 61st must wait until a minute after the first, the 62nd a minute after the second.
    EXPECT_EQ(reserve_slot(state, limit, now), 60 * kSecond);
    EXPECT_EQ(reserve_slot(state, limit, now), 60 * kSecond + kSecond / 3);
}

TEST(RateLimit, NoMinuteWindowEverHoldsMoreThanTheLimit) {
    RateLimitState state;
    RateLimit limit{100, 10};
    std::vector<std::int64_t> starts;
    for (int i = 0; i < 200; ++i) starts.push_back(reserve_slot(state, limit, (i % 7) * kSecond));
    for (std::size_t i = 0; i < starts.size(); ++i) {
        int in_window = 0;
        for (std::size_t j = i; j < starts.size() && starts[j] < starts[i] + 60 * kSecond; ++j)
            ++in_window;
        EXPECT_LE(in_window, 10) << "window starting at request " << i;
    }
}

TEST(RateLimit, NothingStartsBeforeAHold) {
    RateLimitState state;
    RateLimit limit{40, 0};
    hold_until(state, 5 * kSecond);
    EXPECT_EQ(reserve_slot(state, limit, 0), 5 * kSecond);
    EXPECT_EQ(reserve_slot(state, limit, 0), 5 * kSecond + kSecond / 40);
    hold_until(state, 1 * kSecond);  // an earlier hold never shortens a later one
    EXPECT_EQ(reserve_slot(state, limit, 0), 5 * kSecond + 2 * (kSecond / 40));
}

TEST(RateLimit, EarliestIsRespected) {
    RateLimitState state;
    RateLimit limit{10, 0};
    EXPECT_EQ(reserve_slot(state, limit, 7 * kSecond), 7 * kSecond);
    EXPECT_EQ(reserve_slot(state, limit, 0), 7 * kSecond + kSecond / 10);
}

}  // namespace
}  // namespace tako
