// How a finished transfer is judged: statuses, failures, error bodies with 200, Retry-After.
#include <gtest/gtest.h>

#include "core/fetch/verdict.hpp"

namespace tako {
namespace {

HttpResponse response(long status, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

const SystemTime kNow = std::chrono::system_clock::from_time_t(1795546800);

TEST(Verdict, SuccessKeepsTheParsedBody) {
    Verdict v = judge("tmdb", response(200, R"({"results":[]})"), kNow);
    EXPECT_EQ(v.outcome, Outcome::Ok);
    EXPECT_TRUE(v.body.contains("results"));
}

TEST(Verdict, StatusesToOutcomes) {
    EXPECT_EQ(judge("tmdb", response(401, "{}"), kNow).outcome, Outcome::AuthError);
    EXPECT_EQ(judge("tmdb", response(403, "{}"), kNow).outcome, Outcome::AuthError);
    EXPECT_EQ(judge("tmdb", response(404, "{}"), kNow).outcome, Outcome::HttpError);
    EXPECT_EQ(judge("tmdb", response(422, "{}"), kNow).outcome, Outcome::HttpError);
    EXPECT_EQ(judge("tmdb", response(429, "{}"), kNow).outcome, Outcome::RateLimited);
    EXPECT_EQ(judge("tmdb", response(500, "{}"), kNow).outcome, Outcome::ServerError);
    EXPECT_EQ(judge("tmdb", response(503, "oops"), kNow).outcome, Outcome::ServerError);
    EXPECT_TRUE(judge("tmdb", response(503, ""), kNow).retry);
    EXPECT_FALSE(judge("tmdb", response(404, ""), kNow).retry);
    EXPECT_FALSE(judge("tmdb", response(401, ""), kNow).retry);
}

TEST(Verdict, RetryAfterIsRead) {
    Verdict v = judge("jikan", response(429, "", {{"retry-after", "3"}}), kNow);
    EXPECT_TRUE(v.retry);
    EXPECT_EQ(v.retry_after, std::chrono::milliseconds(3000));
    v = judge("jikan", response(503, "", {{"retry-after", "Tue, 24 Nov 2026 19:00:10 GMT"}}), kNow);
    EXPECT_EQ(v.retry_after, std::chrono::milliseconds(10000));
}

TEST(Verdict, UpstreamMessageInTheError) {
    Verdict v = judge(
        "tmdb",
        response(
            401,
            R"({"status_code":7,"status_message":"Invalid API key: You must be granted a valid key.","success":false})"),
        kNow);
    EXPECT_NE(v.error.find("HTTP 401"), std::string::npos);
    EXPECT_NE(v.error.find("Invalid API key"), std::string::npos);
}

TEST(Verdict, DeezerErrorsWithStatus200) {
    Verdict v =
        judge("deezer",
              response(200, R"({"error":{"type":"DataException","message":"no data","code":800}})"),
              kNow);
    EXPECT_EQ(v.outcome, Outcome::UpstreamError);
    EXPECT_FALSE(v.retry);
    v = judge(
        "deezer",
        response(200,
                 R"({"error":{"type":"Exception","message":"Quota limit exceeded","code":4}})"),
        kNow);
    EXPECT_EQ(v.outcome, Outcome::RateLimited);
    EXPECT_TRUE(v.retry);
}

TEST(Verdict, MalformedBodyNamesItsContentType) {
    Verdict v = judge(
        "tmdb", response(200, "<html>Service Unavailable</html>", {{"content-type", "text/html"}}),
        kNow);
    EXPECT_EQ(v.outcome, Outcome::InvalidResponse);
    EXPECT_NE(v.error.find("content type text/html"), std::string::npos);
}

// Found by test/fuzz/fuzz_judge: the Content-Type (and a transfer error quoting the upstream, such
// as a refused redirect's Location) went into the error text raw: control bytes, NULs and invalid
// UTF-8 included.
TEST(Verdict, ResponseTextInTheErrorIsEscaped) {
    Verdict v = judge(
        "itunes",
        response(200, "not json", {{"content-type", std::string("tex\x01\0t\xFF\"/x", 10)}}), kNow);
    EXPECT_EQ(v.outcome, Outcome::InvalidResponse);
    EXPECT_NE(v.error.find("content type tex\\x01\\x00t\\xFF\\\"/x)"), std::string::npos)
        << v.error;
    HttpResponse r;
    r.failure = HttpFailure::Protocol;
    r.error = "redirect refused: http://evil.test/\r\n\xC0\x80";
    v = judge("tmdb", r, kNow);
    EXPECT_EQ(v.error, "protocol: redirect refused: http://evil.test/\\x0D\\x0A\\xC0\\x80");
}

TEST(Verdict, TransferFailures) {
    HttpResponse r;
    r.failure = HttpFailure::Timeout;
    r.error = "Operation timed out";
    Verdict v = judge("tmdb", r, kNow);
    EXPECT_EQ(v.outcome, Outcome::Timeout);
    EXPECT_TRUE(v.retry);
    r.failure = HttpFailure::TooLarge;
    EXPECT_EQ(judge("tmdb", r, kNow).outcome, Outcome::TooLarge);
    EXPECT_FALSE(judge("tmdb", r, kNow).retry);
    r.failure = HttpFailure::Tls;
    EXPECT_EQ(judge("tmdb", r, kNow).outcome, Outcome::TlsError);
    r.failure = HttpFailure::Incomplete;
    EXPECT_EQ(judge("tmdb", r, kNow).outcome, Outcome::NetworkError);
    EXPECT_TRUE(judge("tmdb", r, kNow).retry);
}

TEST(Verdict, SqlstatesOfOutcomes) {
    EXPECT_EQ(sqlstate_of(Outcome::Timeout), "57014");
    EXPECT_EQ(sqlstate_of(Outcome::NetworkError), "08006");
    EXPECT_EQ(sqlstate_of(Outcome::InvalidResponse), "22P02");
    EXPECT_EQ(sqlstate_of(Outcome::NotConfigured), "55000");
    EXPECT_EQ(sqlstate_of(Outcome::AuthError), "28000");
    EXPECT_EQ(std::string(to_string(Outcome::UpstreamError)), "upstream_error");
}

}  // namespace
}  // namespace tako
