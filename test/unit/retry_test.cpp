// Retry policy: which failures are retried, Retry-After in both forms, backoff with jitter.
#include <gtest/gtest.h>

#include <set>

#include "core/retry.hpp"

namespace tako {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// 1994-11-06 08:49:37 UTC, the RFC's example date.
const system_clock::time_point kRfcDate = system_clock::from_time_t(784111777);

TEST(Retry, StatusesWorthAnotherTry) {
    for (long status : {408L, 429L, 500L, 502L, 503L, 504L})
        EXPECT_TRUE(retryable_status(status)) << status;
    for (long status : {200L, 301L, 400L, 401L, 403L, 404L, 422L, 501L})
        EXPECT_FALSE(retryable_status(status)) << status;
}

TEST(Retry, TransientFailuresOnly) {
    EXPECT_TRUE(retryable_failure(HttpFailure::Connect));
    EXPECT_TRUE(retryable_failure(HttpFailure::Timeout));
    EXPECT_TRUE(retryable_failure(HttpFailure::ConnectTimeout));
    EXPECT_TRUE(retryable_failure(HttpFailure::Incomplete));
    EXPECT_FALSE(retryable_failure(HttpFailure::Dns));
    EXPECT_FALSE(retryable_failure(HttpFailure::Tls));
    EXPECT_FALSE(retryable_failure(HttpFailure::TooLarge));
    EXPECT_FALSE(retryable_failure(HttpFailure::TooManyRedirects));
    EXPECT_FALSE(retryable_failure(HttpFailure::Aborted));
}

TEST(RetryAfter, DeltaSeconds) {
    EXPECT_EQ(parse_retry_after("120", kRfcDate), milliseconds(120000));
    EXPECT_EQ(parse_retry_after(" 0 ", kRfcDate), milliseconds(0));
    EXPECT_EQ(parse_retry_after("-1", kRfcDate), std::nullopt);
    EXPECT_EQ(parse_retry_after("1.5", kRfcDate), std::nullopt);
    EXPECT_EQ(parse_retry_after("", kRfcDate), std::nullopt);
    EXPECT_EQ(parse_retry_after("soon", kRfcDate), std::nullopt);
}

TEST(RetryAfter, HttpDatesInAllThreeForms) {
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", kRfcDate), milliseconds(10000));
    EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", kRfcDate), milliseconds(60000));
    EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:39 1994", kRfcDate), milliseconds(2000));
    EXPECT_EQ(parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", kRfcDate), milliseconds(86400000));
}

TEST(RetryAfter, PastDatesMeanNow) {
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", system_clock::now()),
              milliseconds(0));
}

TEST(RetryAfter, MalformedDates) {
    EXPECT_EQ(parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", kRfcDate), std::nullopt);
    EXPECT_EQ(parse_retry_after("Sun, 32 Nov 1994 08:49:37 GMT", kRfcDate), std::nullopt);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 25:49:37 GMT", kRfcDate), std::nullopt);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 PST", kRfcDate), std::nullopt);
}

// Found by test/fuzz/fuzz_retry_after: a nine-digit year overflowed the wait in milliseconds.
TEST(RetryAfter, YearsPastFourDigitsAreMalformed) {
    EXPECT_EQ(parse_retry_after("Sun, 01 Jan 999999997 00:00:00 GMT", kRfcDate), std::nullopt);
    EXPECT_EQ(parse_retry_after("Sun Jan  1 00:00:00 10000", kRfcDate), std::nullopt);
    EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", kRfcDate),
              milliseconds((253402300799LL - 784111777LL) * 1000));
}

TEST(RetryDelay, RetryAfterWinsButIsCapped) {
    RetryPolicy policy;
    policy.retry_after_cap = milliseconds(30000);
    std::mt19937_64 random(1);
    EXPECT_EQ(retry_delay(policy, 2, milliseconds(2000), random), milliseconds(2000));
    EXPECT_EQ(retry_delay(policy, 2, milliseconds(3600000), random), milliseconds(30000));
}

TEST(RetryDelay, ExponentialWithJitterWithinBounds) {
    RetryPolicy policy;  // 500 ms, doubled, capped at 8 s
    std::mt19937_64 random(42);
    for (int round = 0; round < 200; ++round) {
        for (int attempt = 2; attempt <= 8; ++attempt) {
            long ceiling = std::min<long>(8000, 500L << (attempt - 2));
            long delay = retry_delay(policy, attempt, std::nullopt, random).count();
            EXPECT_GE(delay, ceiling - ceiling / 2) << attempt;
            EXPECT_LE(delay, ceiling) << attempt;
        }
    }
}

TEST(RetryDelay, JitterSpreadsRetries) {
    RetryPolicy policy;
    std::mt19937_64 random(7);
    std::set<long> seen;
    for (int i = 0; i < 50; ++i) seen.insert(retry_delay(policy, 4, std::nullopt, random).count());
    EXPECT_GT(seen.size(), 20u);
}

}  // namespace
}  // namespace tako
