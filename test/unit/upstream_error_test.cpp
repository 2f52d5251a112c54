// detect_upstream_error: each provider's error bodies (recorded ones from test/fixtures, the others
// as providers.md documents them), the HTTP-status fallback, and list bodies that are no error.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace tako {
namespace {

using Kind = UpstreamError::Kind;
using nlohmann::json;

// "Kind: message" of the error found, or "none".
std::string detected(std::string_view provider, long http_status, const json &body) {
    std::optional<UpstreamError> error = detect_upstream_error(provider, http_status, body);
    if (!error) return "none";
    const char *kinds[] = {"Auth", "RateLimited", "NotFound", "BadRequest", "Server", "Other"};
    return std::string(kinds[static_cast<int>(error->kind)]) + ": " + error->message;
}

TEST(UpstreamError, TmdbRecordedErrors) {
    const json invalid_key = fixture::load("tmdb/error-invalid-api-key__tmdb-api-rs.json");
    EXPECT_EQ(detected("tmdb", 401, invalid_key),
              "Auth: TMDB status_code 7: Invalid API key: You must be granted a valid key.");
    // The body decides even without the HTTP status.
    EXPECT_EQ(detected("tmdb", 0, invalid_key).rfind("Auth: ", 0), 0u);
    EXPECT_EQ(
        detected("tmdb", 404, fixture::load("tmdb/error-resource-not-found__tmdb-api-rs.json")),
        "NotFound: TMDB status_code 34: The resource you requested could not be found.");
}

TEST(UpstreamError, TmdbStatusCodes) {
    auto body = [](int code, const char *message) {
        return json{{"success", false}, {"status_code", code}, {"status_message", message}};
    };
    EXPECT_EQ(detected("tmdb", 429,
                       body(25, "Your request count (41) is over the allowed limit of (40).")),
              "RateLimited: TMDB status_code 25: Your request count (41) is over the allowed limit "
              "of (40).");
    EXPECT_EQ(detected("tmdb", 401, body(10, "Suspended API key")).rfind("Auth", 0), 0u);
    EXPECT_EQ(detected("tmdb", 401, body(30, "Invalid username")).rfind("Auth", 0), 0u);
    EXPECT_EQ(
        detected("tmdb", 503, body(46, "The API is undergoing maintenance.")).rfind("Server", 0),
        0u);
    EXPECT_EQ(detected("tmdb", 504, body(24, "timed out")).rfind("Server", 0), 0u);
    EXPECT_EQ(detected("tmdb", 400, body(22, "Invalid page")).rfind("BadRequest", 0), 0u);
    EXPECT_EQ(detected("tmdb", 404, body(6, "Invalid id")).rfind("NotFound", 0), 0u);
    // An unknown code: the HTTP status decides, else Other.
    EXPECT_EQ(detected("tmdb", 500, body(99, "new")), "Server: TMDB status_code 99: new");
    EXPECT_EQ(detected("tmdb", 200, body(99, "new")), "Other: TMDB status_code 99: new");
    // Success codes and list bodies are no error.
    EXPECT_EQ(detected("tmdb", 200, body(1, "Success.")), "none");
    EXPECT_EQ(detected("tmdb", 200, fixture::load("tmdb/movie-popular__tmdb-api-rs.json")), "none");
    EXPECT_EQ(detected("tmdb", 200, fixture::load("tmdb/configuration__themoviedbapi-java.json")),
              "none");
}

TEST(UpstreamError, OnlyErrorBodiesAreErrors) {
    // A failure status with a body that is none of the provider's error shapes is for the caller
    // (which has the status) to judge; iTunes feeds have no error body at all.
    for (const char *provider : {"tmdb", "jikan", "rawg", "igdb", "deezer", "itunes", "nope"})
        for (long status : {0L, 200L, 401L, 404L, 429L, 503L}) {
            EXPECT_EQ(detected(provider, status, nullptr), "none") << provider << status;
            EXPECT_EQ(detected(provider, status, json::object()), "none") << provider << status;
            EXPECT_EQ(detected(provider, status, json("Too Many Requests")), "none") << provider;
        }
    EXPECT_EQ(
        detected("itunes", 200,
                 fixture::load("itunes/legacy-rss-topalbums-limit2__front-end-challenge.json")),
        "none");
    EXPECT_EQ(detected("itunes", 500, json{{"error", "x"}}), "none");
    // An error body whose own code says nothing known: the HTTP status gives the kind.
    EXPECT_EQ(detected("deezer", 503, json{{"error", {{"code", 12345}, {"message", "m"}}}}),
              "Server: Deezer error 12345: m");
    EXPECT_EQ(detected("igdb", 429, json{{"message", "Too many requests"}}),
              "RateLimited: IGDB: Too many requests");
    EXPECT_EQ(detected("igdb", 200, json{{"message", "Something else"}}),
              "Other: IGDB: Something else");
}

TEST(UpstreamError, Jikan) {
    EXPECT_EQ(detected("jikan", 404, fixture::load("jikan/error-404-anime__jikanpy.json")),
              "NotFound: Jikan status 404 (HttpException): Not Found");
    EXPECT_EQ(
        detected("jikan", 429, json::parse(R"({"status":429,"type":"RateLimitException",
        "message":"You are being rate limited by Jikan","error":null})")),
        "RateLimited: Jikan status 429 (RateLimitException): You are being rate limited by Jikan");
    EXPECT_EQ(
        detected("jikan", 503, json::parse(R"({"status":503,"type":"BadResponseException",
        "message":"Jikan could not connect to MyAnimeList","error":"timeout",
        "report_url":"https://github.com/jikan-me/jikan-rest/issues"})")),
        "Server: Jikan status 503 (BadResponseException): Jikan could not connect to MyAnimeList: "
        "timeout");
    EXPECT_EQ(detected("jikan", 400, json::parse(R"({"status":400,"type":"ValidationException",
        "message":"Invalid filter"})"))
                  .rfind("BadRequest", 0),
              0u);
    EXPECT_EQ(detected("jikan", 200, fixture::load("jikan/top-anime-type-tv__jikanpy.json")),
              "none");
    EXPECT_EQ(detected("jikan", 200, json{{"message", "not Jikan's shape"}}), "none");
}

TEST(UpstreamError, Igdb) {
    EXPECT_EQ(detected("igdb", 400, json::parse(R"([{"title":"Syntax Error","status":400,
        "cause":"Expecting a STRING as input, surround your input with quotes"}])")),
              "BadRequest: IGDB status 400 Syntax Error: Expecting a STRING as input, surround "
              "your input with quotes");
    const json auth = json::parse(R"({"message":"Authorization Failure. Have you tried:",
        "Tip 1":"Ensure you are sending Authorization and Client-ID as headers.",
        "Docs":"https://api-docs.igdb.com/#authentication"})");
    EXPECT_EQ(detected("igdb", 401, auth), "Auth: IGDB: Authorization Failure. Have you tried:");
    EXPECT_EQ(detected("igdb", 0, auth).rfind("Auth: ", 0), 0u);
    EXPECT_EQ(detected("igdb", 200, fixture::load("igdb/games-list__henry-sarabia-igdb.json")),
              "none");
    EXPECT_EQ(detected("igdb", 200, fixture::load("igdb/covers-list__henry-sarabia-igdb.json")),
              "none");
    EXPECT_EQ(detected("igdb", 200, json::array()), "none");
}

TEST(UpstreamError, DeezerErrorsComeWithHttp200) {
    EXPECT_EQ(
        detected("deezer", 200, fixture::load("deezer/error-album-not-found__deezer-python.json")),
        "NotFound: Deezer error 800 (DataException): no data");
    auto error = [](int code, const char *type, const char *message) {
        return json{{"error", {{"type", type}, {"message", message}, {"code", code}}}};
    };
    EXPECT_EQ(detected("deezer", 200, error(4, "Exception", "Quota limit exceeded")),
              "RateLimited: Deezer error 4 (Exception): Quota limit exceeded");
    EXPECT_EQ(detected("deezer", 200, error(300, "OAuthException", "Invalid OAuth access token.")),
              "Auth: Deezer error 300 (OAuthException): Invalid OAuth access token.");
    EXPECT_EQ(detected("deezer", 200, error(700, "Exception", "Service busy")).rfind("Server", 0),
              0u);
    EXPECT_EQ(detected("deezer", 200, error(600, "DataException", "Invalid query"))
                  .rfind("BadRequest", 0),
              0u);
    EXPECT_EQ(detected("deezer", 200, error(12345, "Exception", "new")),
              "Other: Deezer error 12345 (Exception): new");
    EXPECT_EQ(detected("deezer", 200, fixture::load("deezer/chart-0__deezer-python.json")), "none");
    EXPECT_EQ(detected("deezer", 200, fixture::load("deezer/chart-0-tracks__deezer-python.json")),
              "none");
}

TEST(UpstreamError, Rawg) {
    EXPECT_EQ(detected("rawg", 401, json{{"error", "The key parameter is not provided"}}),
              "Auth: RAWG: The key parameter is not provided");
    EXPECT_EQ(detected("rawg", 200, json{{"error", "Invalid API key"}}).rfind("Auth", 0), 0u);
    EXPECT_EQ(detected("rawg", 500, json{{"error", "Something broke"}}),
              "Server: RAWG: Something broke");
    EXPECT_EQ(detected("rawg", 404, json{{"detail", "Not found."}}), "NotFound: RAWG: Not found.");
    EXPECT_EQ(detected("rawg", 404, json{{"detail", "Invalid page."}}),
              "NotFound: RAWG: Invalid page.");
    EXPECT_EQ(detected("rawg", 200, fixture::load("rawg/games__rawgclient-cs.json")), "none");
}

TEST(UpstreamError, MessagesAreSafeToShow) {
    // Control and bidi characters from an upstream body are escaped; long texts are cut.
    std::string message =
        detected("tmdb", 401, json{{"status_code", 7}, {"status_message", "bad\nkey\u202e"}});
    EXPECT_EQ(message, "Auth: TMDB status_code 7: bad\\x0Akey\\u202E");
    std::string long_text(5000, 'x');
    std::string cut = detected("rawg", 500, json{{"error", long_text}});
    EXPECT_LT(cut.size(), 300u);
    EXPECT_EQ(cut.substr(cut.size() - 3), "...");
}

}  // namespace
}  // namespace tako
