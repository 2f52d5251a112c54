// What tako_discover_http tells a route besides the envelope: ETags, If-None-Match, max-age, and
// the head of an answer that was not a fresh hit (from the envelope the read-through returned).
#include <gtest/gtest.h>

#include <string>

#include "core/envelope/response_head.hpp"
#include "core/error.hpp"

namespace tako {
namespace {

constexpr std::int64_t kNowUs = 1767323045678000;  // 2026-01-02T03:04:05.678Z

TEST(ResponseHead, EtagNamesTheVersionAndWhenItWasSaved) {
    EXPECT_EQ(etag_of(42, 1767323045678000), "W/\"42-1767323045678000\"");
    EXPECT_NE(etag_of(42, 1767323045678000), etag_of(43, 1767323045678000));
    // The same sequence number after a reinstall is another tag.
    EXPECT_NE(etag_of(42, 1767323045678000), etag_of(42, 1767323045678001));
}

TEST(ResponseHead, IfNoneMatchComparesWeaklyInAList) {
    const std::string tag = etag_of(7, 100);
    EXPECT_TRUE(etag_matches(tag, tag));
    EXPECT_TRUE(etag_matches("\"7-100\"", tag));  // W/ is ignored on either side
    EXPECT_TRUE(etag_matches("W/\"1-1\", W/\"7-100\"", tag));
    EXPECT_TRUE(etag_matches("W/\"1-1\",W/\"7-100\" ", tag));
    EXPECT_TRUE(etag_matches("*", tag));
    EXPECT_FALSE(etag_matches("", tag));
    EXPECT_FALSE(etag_matches("W/\"7-10\"", tag));
    EXPECT_FALSE(etag_matches("W/\"7-1000\"", tag));
    EXPECT_FALSE(etag_matches("W/\"1-1\", W/\"8-100\"", tag));
    EXPECT_FALSE(etag_matches(",,", tag));
}

TEST(ResponseHead, FreshSecondsNeverNegative) {
    EXPECT_EQ(fresh_seconds(kNowUs + 3600 * 1000000LL, kNowUs), 3600);
    EXPECT_EQ(fresh_seconds(kNowUs + 1999999, kNowUs), 1);  // whole seconds, rounded down
    EXPECT_EQ(fresh_seconds(kNowUs, kNowUs), 0);
    EXPECT_EQ(fresh_seconds(kNowUs - 5000000, kNowUs), 0);
}

TEST(ResponseHead, AListFetchedNowIsAMissFreshUntilItExpires) {
    const ResponseHead head =
        head_of_envelope(R"({"success":true,"data":[],"meta":{"cached":false,"stale":false,)"
                         R"("expiresAt":"2026-01-02T04:04:05.678Z"}})",
                         kNowUs);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.cache, "MISS");
    EXPECT_EQ(head.max_age, 3600);
}

TEST(ResponseHead, AStaleServeIsNotToBeKept) {
    const ResponseHead head =
        head_of_envelope(R"({"success":true,"data":[1],"meta":{"cached":true,"stale":true,)"
                         R"("expiresAt":"2026-01-02T02:04:05.678Z"}})",
                         kNowUs);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.cache, "STALE");
    EXPECT_EQ(head.max_age, 0);
}

TEST(ResponseHead, AStoredListTheReadFoundFreshIsAHit) {
    // Another session saved the list while this read waited for its single flight.
    const ResponseHead head = head_of_envelope(
        R"({"success":true,"meta":{"cached":true,"stale":false,"expiresAt":"2026-01-03T03:04:05.678Z"}})",
        kNowUs);
    EXPECT_EQ(head.cache, "HIT");
    EXPECT_EQ(head.max_age, 86400);
    // Across a month and a year's end.
    EXPECT_EQ(
        head_of_envelope(R"({"success":true,"meta":{"expiresAt":"2027-01-01T00:00:00.000Z"}})",
                         1767225599000000)  // 2025-12-31T23:59:59Z
            .max_age,
        365 * 86400 + 1);
}

TEST(ResponseHead, ADbOnlyMissIsNotFound) {
    const ResponseHead head = head_of_envelope(
        R"({"success":false,"data":[],"meta":{"cached":false,"stale":false,"expiresAt":null}})",
        kNowUs);
    EXPECT_EQ(head.status, 404);
    EXPECT_EQ(head.cache, "MISS");
    EXPECT_EQ(head.max_age, 0);
}

TEST(ResponseHead, AnExpiryItCannotReadKeepsNothing) {
    EXPECT_EQ(
        head_of_envelope(R"({"success":true,"meta":{"expiresAt":"tomorrow"}})", kNowUs).max_age, 0);
    EXPECT_EQ(head_of_envelope(R"({"success":true,"meta":{"expiresAt":null}})", kNowUs).max_age, 0);
    EXPECT_EQ(head_of_envelope(R"({"success":true,"meta":{}})", kNowUs).cache, "MISS");
}

TEST(ResponseHead, NotAnEnvelopeIsAnError) {
    EXPECT_THROW(head_of_envelope("[1,2]", kNowUs), Error);
    EXPECT_THROW(head_of_envelope("{\"success\":true}", kNowUs), Error);
    EXPECT_THROW(head_of_envelope("not json", kNowUs), Error);
}

}  // namespace
}  // namespace tako
