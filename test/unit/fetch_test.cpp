// fetch_lists (core/fetch/fetch.hpp) against the loopback HTTP server (loopback_server.hpp):
// retries, Retry-After, no retry of a 404, the rate-limit slots, interruption, the IGDB token flow
// and credential redaction; the Jikan backdrop enrichment (docs/items.md). The environment is a
// real in-memory implementation of FetchEnvironment (rate limits by core/rate_limit.hpp), standing
// where PostgreSQL's shared memory stands in the extension; libcurl and the network are real.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/fetch/fetch.hpp"
#include "core/key.hpp"
#include "core/normalize/jikan_pictures.hpp"
#include "core/rate_limit.hpp"
#include "loopback_server.hpp"

namespace tako {
namespace {

using std::chrono::milliseconds;
using test::Clock;
using test::LoopbackServer;
using test::Reply;
using namespace std::chrono_literals;

std::string fixture_text(const std::string &relative) {
    std::ifstream in(std::string(TAKO_FIXTURES_DIR) + "/" + relative, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read fixture " + relative);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

long long ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration_cast<milliseconds>(to - from).count();
}

// Everything fetch_lists asks of its environment, in memory. Per-provider rate limits use the same
// arithmetic as the extension's shared memory (core/rate_limit.hpp).
class TestEnvironment : public FetchEnvironment {
public:
    std::map<std::string, RateLimit> limits;  // providers without an entry are not limited
    std::function<bool()> interrupt = [] { return false; };

    // What happened.
    std::atomic<int> interrupt_checks{0};
    std::map<std::string, int> requests_counted;
    std::map<std::string, int> budget;  // requests a provider may still take (absent: unlimited)
    std::vector<bool> read_through_flags;
    std::vector<std::pair<std::string, SteadyTime>> holds;
    std::vector<std::string> stored_tokens, forgotten_tokens;
    std::vector<std::tuple<std::string, std::string, Outcome>> outcomes;

    // The shared IGDB token.
    std::optional<std::string> token;
    SystemTime token_expires{};
    SystemTime paused{};

    bool interrupted() override {
        ++interrupt_checks;
        return interrupt();
    }
    SteadyTime reserve_slot(std::string_view provider, SteadyTime earliest) override {
        auto limit = limits.find(std::string(provider));
        if (limit == limits.end()) return earliest;
        RateLimitState &state = states_[std::string(provider)];
        return from_us(tako::reserve_slot(state, limit->second, to_us(earliest)));
    }
    void hold_provider(std::string_view provider, SteadyTime until) override {
        holds.emplace_back(std::string(provider), until);
        tako::hold_until(states_[std::string(provider)], to_us(until));
    }
    std::optional<std::string> igdb_token(SystemTime now) override {
        if (token && now < token_expires) return token;
        return std::nullopt;
    }
    void store_igdb_token(const std::string &value, SystemTime expires) override {
        stored_tokens.push_back(value);
        token = value;
        token_expires = expires;
    }
    void forget_igdb_token(const std::string &value) override {
        forgotten_tokens.push_back(value);
        if (token == value) token.reset();
    }
    bool take_request(std::string_view provider, bool read_through) override {
        read_through_flags.push_back(read_through);
        auto left = budget.find(std::string(provider));
        if (left != budget.end() && left->second-- <= 0) return false;
        ++requests_counted[std::string(provider)];
        return true;
    }
    void report_outcome(std::string_view provider, std::string_view key, Outcome outcome,
                        const std::string &) override {
        outcomes.emplace_back(std::string(provider), std::string(key), outcome);
    }
    SystemTime paused_until(std::string_view) override { return paused; }

private:
    static std::int64_t to_us(SteadyTime t) {
        return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    }
    static SteadyTime from_us(std::int64_t us) { return SteadyTime(std::chrono::microseconds(us)); }
    std::map<std::string, RateLimitState> states_;
};

class FetchLists : public ::testing::Test {
protected:
    FetchLists() {
        const std::string base = server.base();
        settings.tmdb_base_url = base + "/tmdb";
        settings.jikan_base_url = base + "/jikan";
        settings.rawg_base_url = base + "/rawg";
        settings.igdb_base_url = base + "/igdb";
        settings.deezer_base_url = base + "/deezer";
        settings.itunes_base_url = base + "/itunes";
        settings.igdb_token_url = base + "/oauth2/token";
        settings.igdb_client_id = "test-client-id";
        settings.igdb_client_secret = "test-client-secret";
        settings.rawg_api_key = "rawg-secret-key-123";

        options.http.connect_timeout_ms = 5000;
        options.http.timeout_ms = 10000;
        options.retry.max_attempts = 3;
        options.retry.base_delay = 20ms;  // short backoff: the tests stay fast
        options.retry.max_delay = 100ms;
        options.retry.retry_after_cap = 5000ms;
    }

    std::vector<ListResult> fetch(const std::vector<std::string> &keys) {
        std::vector<ParsedKey> parsed;
        for (const std::string &key : keys) parsed.push_back(parse_key(key));
        return fetch_lists(parsed, settings, options, env);
    }
    ListResult fetch_one(const std::string &key) {
        std::vector<ListResult> results = fetch({key});
        EXPECT_EQ(results.size(), 1u);
        return results.empty() ? ListResult{} : results[0];
    }

    const std::string deezer_albums = fixture_text("deezer/chart-0-albums__deezer-python.json");
    const std::string igdb_games = fixture_text("igdb/games-list__henry-sarabia-igdb.json");
    LoopbackServer server;
    UpstreamSettings settings;
    FetchOptions options;
    TestEnvironment env;
};

std::string token_body(const std::string &token) {
    return R"({"access_token":")" + token + R"(","expires_in":5000000,"token_type":"bearer"})";
}

TEST_F(FetchLists, Success) {
    server.on("/deezer/chart/0/albums", Reply::json(200, deezer_albums));
    ListResult r = fetch_one("deezer:charts:albums");
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.key, "deezer:charts:albums");
    EXPECT_EQ(r.http_status, 200);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.items.size(), 10u);
    EXPECT_EQ(r.bytes, deezer_albums.size());
    EXPECT_LE(r.started, r.finished);
    ASSERT_EQ(server.count("/deezer/chart/0/albums"), 1u);
    EXPECT_EQ(server.requests("/deezer/chart/0/albums")[0].target,
              "/deezer/chart/0/albums?limit=25");
    EXPECT_EQ(env.requests_counted["deezer"], 1);
    ASSERT_EQ(env.outcomes.size(), 1u);
    EXPECT_EQ(std::get<2>(env.outcomes[0]), Outcome::Ok);
}

TEST_F(FetchLists, RetriesAfterA503ThenSucceeds) {
    server.on("/deezer/chart/0/albums",
              std::vector<Reply>{Reply::json(503, "{}"), Reply::json(200, deezer_albums)});
    ListResult r = fetch_one("deezer:charts:albums");
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.attempts, 2);
    EXPECT_EQ(r.items.size(), 10u);
    EXPECT_EQ(server.count("/deezer/chart/0/albums"), 2u);
    EXPECT_EQ(env.requests_counted["deezer"], 2);
}

TEST_F(FetchLists, ASpentBudgetSendsNothing) {
    server.on("/deezer/chart/0/albums", Reply::json(200, deezer_albums));
    env.budget["deezer"] = 0;
    ListResult r = fetch_one("deezer:charts:albums");
    EXPECT_EQ(r.outcome, Outcome::QuotaExhausted);
    EXPECT_EQ(r.attempts, 0);
    EXPECT_NE(r.error.find("deezer's daily request budget is spent"), std::string::npos) << r.error;
    EXPECT_EQ(server.count("/deezer/chart/0/albums"), 0u);
    EXPECT_EQ(sqlstate_of(r.outcome), "TK429");
    EXPECT_STREQ(to_string(r.outcome), "quota_exhausted");
}

TEST_F(FetchLists, ABudgetSpentOnTheWayStopsTheRetries) {
    server.on("/deezer/chart/0/albums", Reply::json(503, "{}"));
    env.budget["deezer"] = 2;
    ListResult r = fetch_one("deezer:charts:albums");
    EXPECT_EQ(r.outcome, Outcome::QuotaExhausted);
    EXPECT_EQ(r.attempts, 2);
    EXPECT_NE(r.error.find("(after 2 attempts)"), std::string::npos) << r.error;
    EXPECT_EQ(server.count("/deezer/chart/0/albums"), 2u);
}

TEST_F(FetchLists, TheBudgetIsAskedForWhatTheFetchIs) {
    server.on("/deezer/chart/0/albums", Reply::json(200, deezer_albums));
    fetch_one("deezer:charts:albums");
    options.read_through = true;
    fetch_one("deezer:charts:albums");
    EXPECT_EQ(env.read_through_flags, (std::vector<bool>{false, true}));
}

TEST_F(FetchLists, RetriesAfterAResetConnection) {
    server.on("/deezer/chart/0/albums", std::vector<Reply>{Reply::failing(Reply::Fault::Reset),
                                                           Reply::json(200, deezer_albums)});
    ListResult r = fetch_one("deezer:charts:albums");
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.attempts, 2);
}

TEST_F(FetchLists, GivesUpAfterMaxAttempts) {
    server.on("/deezer/chart/0/albums", Reply::json(503, "{}"));
    ListResult r = fetch_one("deezer:charts:albums");
    EXPECT_EQ(r.outcome, Outcome::ServerError);
    EXPECT_EQ(r.http_status, 503);
    EXPECT_EQ(r.attempts, 3);
    EXPECT_NE(r.error.find("after 3 attempts"), std::string::npos) << r.error;
    EXPECT_EQ(server.count("/deezer/chart/0/albums"), 3u);
}

TEST_F(FetchLists, NoRetryAfterA404) {
    server.on("/deezer/chart/0/albums", Reply::json(404, R"({"error":"nope"})"));
    ListResult r = fetch_one("deezer:charts:albums");
    EXPECT_EQ(r.outcome, Outcome::HttpError);
    EXPECT_EQ(r.http_status, 404);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(server.count("/deezer/chart/0/albums"), 1u);
}

TEST_F(FetchLists, RetryAfterIsHonoured) {
    server.on("/deezer/chart/0/albums",
              std::vector<Reply>{Reply::json(429, "{}").with_header("Retry-After", "1"),
                                 Reply::json(200, deezer_albums)});
    const Clock::time_point start = Clock::now();
    ListResult r = fetch_one("deezer:charts:albums");
    const long long elapsed = ms_between(start, Clock::now());
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.attempts, 2);
    EXPECT_GE(elapsed, 1000);  // the backoff alone would be 10-20 ms
    EXPECT_LT(elapsed, 4500);  // and not the 5 s cap
    std::vector<test::RecordedRequest> seen = server.requests("/deezer/chart/0/albums");
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_GE(ms_between(seen[0].at, seen[1].at), 1000);
    // The provider's other requests are held back too.
    ASSERT_EQ(env.holds.size(), 1u);
    EXPECT_EQ(env.holds[0].first, "deezer");
}

TEST_F(FetchLists, RetryAfterIsCapped) {
    options.retry.retry_after_cap = 300ms;
    server.on("/deezer/chart/0/albums",
              std::vector<Reply>{Reply::json(503, "{}").with_header("Retry-After", "3600"),
                                 Reply::json(200, deezer_albums)});
    const Clock::time_point start = Clock::now();
    ListResult r = fetch_one("deezer:charts:albums");
    const long long elapsed = ms_between(start, Clock::now());
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.attempts, 2);
    EXPECT_GE(elapsed, 300);
    EXPECT_LT(elapsed, 4000);
}

TEST_F(FetchLists, RateLimitSpacesAProvidersRequests) {
    env.limits["deezer"] = RateLimit{5, 0};  // one start every 200 ms
    for (const char *section : {"albums", "tracks", "artists"})
        server.on(std::string("/deezer/chart/0/") + section,
                  Reply::json(200, fixture_text(std::string("deezer/chart-0-") + section +
                                                "__deezer-python.json")));
    const Clock::time_point start = Clock::now();
    std::vector<ListResult> results =
        fetch({"deezer:charts:albums", "deezer:charts:tracks", "deezer:charts:artists"});
    ASSERT_EQ(results.size(), 3u);
    for (const ListResult &r : results)
        EXPECT_EQ(r.outcome, Outcome::Ok) << r.key << ": " << r.error;
    std::vector<test::RecordedRequest> seen = server.requests();
    ASSERT_EQ(seen.size(), 3u);
    // The third start is at least two spacings after the first slot (which is not before `start`).
    EXPECT_GE(ms_between(start, seen[2].at), 400);
}

TEST_F(FetchLists, AtMostMaxPerProviderInFlight) {
    options.max_per_provider = 1;
    for (const char *section : {"albums", "tracks", "artists"})
        server.on(std::string("/deezer/chart/0/") + section,
                  Reply::json(200, fixture_text(std::string("deezer/chart-0-") + section +
                                                "__deezer-python.json"))
                      .after(150ms));
    std::vector<ListResult> results =
        fetch({"deezer:charts:albums", "deezer:charts:tracks", "deezer:charts:artists"});
    for (const ListResult &r : results)
        EXPECT_EQ(r.outcome, Outcome::Ok) << r.key << ": " << r.error;
    std::vector<test::RecordedRequest> seen = server.requests();
    ASSERT_EQ(seen.size(), 3u);
    // One after the other: each request arrives after the previous one was answered.
    EXPECT_GE(ms_between(seen[0].at, seen[1].at), 150);
    EXPECT_GE(ms_between(seen[1].at, seen[2].at), 150);
}

TEST_F(FetchLists, InterruptStopsQuickly) {
    server.on("/deezer/chart/0/albums", Reply::failing(Reply::Fault::Hang));
    options.http.timeout_ms = 60000;
    const Clock::time_point start = Clock::now();
    env.interrupt = [&] { return Clock::now() - start > 300ms; };
    EXPECT_THROW(fetch({"deezer:charts:albums", "deezer:charts:tracks"}), Interrupted);
    const long long elapsed = ms_between(start, Clock::now());
    EXPECT_GE(elapsed, 300);
    EXPECT_LT(elapsed, 2500) << "a cancel must stop a fetch within ~100 ms of being seen";
    // The hanging transfer was stopped: its connection is closed.
    EXPECT_TRUE(server.wait_until([&] { return server.connections_open() == 0; }));
}

TEST_F(FetchLists, InterruptBeforeAnythingIsSent) {
    env.interrupt = [] { return true; };
    server.on("/deezer/chart/0/albums", Reply::json(200, deezer_albums));
    EXPECT_THROW(fetch({"deezer:charts:albums"}), Interrupted);
    EXPECT_EQ(server.connections_accepted(), 0);
}

TEST_F(FetchLists, InterruptDuringARetryBackoff) {
    options.retry.retry_after_cap = 30000ms;
    server.on("/deezer/chart/0/albums", Reply::json(503, "{}").with_header("Retry-After", "30"));
    std::atomic<bool> stop{false};
    env.interrupt = [&] {
        if (server.count("/deezer/chart/0/albums") > 0) stop = true;
        return stop.load();
    };
    const Clock::time_point start = Clock::now();
    EXPECT_THROW(fetch({"deezer:charts:albums"}), Interrupted);
    EXPECT_LT(ms_between(start, Clock::now()), 5000);  // not the 30 s Retry-After
    EXPECT_EQ(server.count("/deezer/chart/0/albums"), 1u);
}

// ---- IGDB ----------------------------------------------------------------------------------

TEST_F(FetchLists, IgdbGetsATokenThenTheGames) {
    server.on("/oauth2/token", Reply::json(200, token_body("token-1")));
    server.on("/igdb/games", Reply::json(200, igdb_games));
    ListResult r = fetch_one("igdb:popular:all");
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.items.size(), 5u);
    EXPECT_EQ(r.attempts, 1);

    std::vector<test::RecordedRequest> seen = server.requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].path, "/oauth2/token");
    EXPECT_EQ(seen[0].method, "POST");
    EXPECT_EQ(seen[0].target, "/oauth2/token");  // the secret is in the body, not the URL
    EXPECT_EQ(
        seen[0].body,
        "client_id=test-client-id&client_secret=test-client-secret&grant_type=client_credentials");
    EXPECT_EQ(seen[0].header("content-type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(seen[1].path, "/igdb/games");
    EXPECT_EQ(seen[1].method, "POST");
    EXPECT_EQ(seen[1].header("authorization"), "Bearer token-1");
    EXPECT_EQ(seen[1].header("client-id"), "test-client-id");
    EXPECT_NE(seen[1].body.find("where total_rating_count >= 50"), std::string::npos)
        << seen[1].body;
    ASSERT_EQ(env.stored_tokens, std::vector<std::string>{"token-1"});
    EXPECT_GT(env.token_expires, std::chrono::system_clock::now());
}

TEST_F(FetchLists, IgdbReusesAStoredToken) {
    env.token = "shared-token";
    env.token_expires = std::chrono::system_clock::now() + std::chrono::hours(1);
    server.on("/oauth2/token", Reply::json(500, "{}"));  // must not be asked
    server.on("/igdb/games", Reply::json(200, igdb_games));
    std::vector<ListResult> results = fetch({"igdb:popular:all", "igdb:trending:all"});
    for (const ListResult &r : results)
        EXPECT_EQ(r.outcome, Outcome::Ok) << r.key << ": " << r.error;
    EXPECT_EQ(server.count("/oauth2/token"), 0u);
    for (const test::RecordedRequest &seen : server.requests("/igdb/games"))
        EXPECT_EQ(seen.header("authorization"), "Bearer shared-token");
}

TEST_F(FetchLists, Igdb401RenewsTheTokenOnce) {
    server.on("/oauth2/token", std::vector<Reply>{Reply::json(200, token_body("token-1")),
                                                  Reply::json(200, token_body("token-2"))});
    server.on("/igdb/games", std::vector<Reply>{Reply::json(401, R"({"message":"expired"})"),
                                                Reply::json(200, igdb_games)});
    ListResult r = fetch_one("igdb:popular:all");
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.attempts, 2);  // the 401 and the retry with the new token
    EXPECT_EQ(server.count("/oauth2/token"), 2u);
    std::vector<test::RecordedRequest> games = server.requests("/igdb/games");
    ASSERT_EQ(games.size(), 2u);
    EXPECT_EQ(games[0].header("authorization"), "Bearer token-1");
    EXPECT_EQ(games[1].header("authorization"), "Bearer token-2");
    EXPECT_EQ(env.forgotten_tokens, std::vector<std::string>{"token-1"});
    EXPECT_EQ(env.stored_tokens, (std::vector<std::string>{"token-1", "token-2"}));
    EXPECT_EQ(env.token, "token-2");
}

TEST_F(FetchLists, Igdb401TwiceIsAnAuthErrorWithoutALoop) {
    server.on("/oauth2/token", std::vector<Reply>{Reply::json(200, token_body("token-1")),
                                                  Reply::json(200, token_body("token-2"))});
    server.on("/igdb/games", Reply::json(401, R"({"message":"no"})"));
    ListResult r = fetch_one("igdb:popular:all");
    EXPECT_EQ(r.outcome, Outcome::AuthError);
    EXPECT_EQ(r.http_status, 401);
    EXPECT_EQ(server.count("/oauth2/token"), 2u);  // renewed once, not again
    EXPECT_EQ(server.count("/igdb/games"), 2u);
}

TEST_F(FetchLists, IgdbTokenRefusedIsAnAuthError) {
    server.on("/oauth2/token", Reply::json(400, R"({"status":400,"message":"invalid client"})"));
    server.on("/igdb/games", Reply::json(200, igdb_games));
    ListResult r = fetch_one("igdb:popular:all");
    EXPECT_EQ(r.outcome, Outcome::AuthError);
    EXPECT_NE(r.error.find("token"), std::string::npos) << r.error;
    EXPECT_EQ(server.count("/igdb/games"), 0u);
    EXPECT_TRUE(env.stored_tokens.empty());
}

TEST_F(FetchLists, IgdbWithoutCredentialsSendsNothing) {
    settings.igdb_client_secret.clear();
    server.on("/oauth2/token", Reply::json(200, token_body("token-1")));
    ListResult r = fetch_one("igdb:popular:all");
    EXPECT_EQ(r.outcome, Outcome::NotConfigured);
    EXPECT_EQ(server.connections_accepted(), 0);
}

// ---- raw fetches ---------------------------------------------------------------------------

TEST_F(FetchLists, RawBodyHasCredentialsRedacted) {
    options.normalize = false;
    server.on("/rawg/games",
              Reply::json(200, R"({"count":0,"next":"https://api.rawg.io/api/games?key=)" +
                                   settings.rawg_api_key + R"(&page=2","results":[]})"));
    ListResult r = fetch_one("rawg:popular:all");
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.raw.find(settings.rawg_api_key), std::string::npos) << r.raw;
    EXPECT_NE(r.raw.find("REDACTED"), std::string::npos) << r.raw;
    ASSERT_EQ(server.count("/rawg/games"), 1u);
    EXPECT_NE(server.requests("/rawg/games")[0].target.find("key=" + settings.rawg_api_key),
              std::string::npos);
}

TEST_F(FetchLists, OneFailureDoesNotStopTheOthers) {
    server.on("/deezer/chart/0/albums", Reply::json(200, deezer_albums));
    server.on("/deezer/chart/0/tracks", Reply::json(404, "{}"));
    server.on("/deezer/chart/0/artists", Reply::json(200, "not json"));
    std::vector<ListResult> results =
        fetch({"deezer:charts:albums", "deezer:charts:tracks", "deezer:charts:artists"});
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].outcome, Outcome::Ok) << results[0].error;
    EXPECT_EQ(results[1].outcome, Outcome::HttpError);
    EXPECT_EQ(results[2].outcome, Outcome::InvalidResponse);
    EXPECT_EQ(env.outcomes.size(), 3u);
}

// ---- Jikan backdrops (docs/items.md) --------------------------------------------------------

std::string pictures_path(long id) {
    return "/jikan/anime/" + std::to_string(id) + "/pictures";
}

// A Jikan list of anime with these MAL ids (and their titles), as /seasons and /top send them.
std::string jikan_list(const std::vector<long> &ids) {
    nlohmann::json data = nlohmann::json::array();
    for (long id : ids)
        data.push_back({{"mal_id", id}, {"title", "Anime " + std::to_string(id)}, {"type", "TV"}});
    return nlohmann::json{{"pagination", {{"has_next_page", false}}}, {"data", data}}.dump();
}

// A pictures response whose first picture's large JPEG is https://pictures.test/{id}.jpg.
std::string pictures_of(long id) {
    const std::string url = "https://pictures.test/" + std::to_string(id);
    return nlohmann::json{
        {"data",
         {{{"jpg", {{"image_url", url + "s.jpg"}, {"large_image_url", url + ".jpg"}}},
           {"webp", {{"large_image_url", url + ".webp"}}}}}}}
        .dump();
}

const nlohmann::json &backdrop_of(const ListResult &r, std::size_t i) {
    return r.items.at(i).at("details").at("backdrop");
}

TEST_F(FetchLists, JikanBackdropsAskOnlyForUnknownAnime) {
    // A real seasons recording (25 anime) for jikan:trending:tv, a family Tako enriches.
    const nlohmann::json season =
        nlohmann::json::parse(fixture_text("jikan/seasons-now__jikanpy.json"));
    std::vector<long> ids;
    for (const nlohmann::json &anime : season["data"]) ids.push_back(anime["mal_id"].get<long>());
    ASSERT_EQ(ids.size(), 25u);
    server.on("/jikan/seasons/now", Reply::json(200, season.dump()));
    const std::string recorded = fixture_text("jikan/anime-pictures__reactive-jikan.json");
    for (long id : ids) server.on(pictures_path(id), Reply::json(200, recorded));
    options.known_backdrops[ids[0]] = "https://known.test/0.jpg";
    options.known_backdrops[ids[1]] = std::nullopt;  // known to have no picture

    ListResult r = fetch_one("jikan:trending:tv");
    ASSERT_EQ(r.outcome, Outcome::Ok) << r.error;
    ASSERT_EQ(r.items.size(), 25u);
    EXPECT_EQ(server.count(pictures_path(ids[0])), 0u);
    EXPECT_EQ(server.count(pictures_path(ids[1])), 0u);
    for (std::size_t i = 2; i < ids.size(); ++i) EXPECT_EQ(server.count(pictures_path(ids[i])), 1u);
    // Every item has a backdrop: known, known as none, or fetched.
    EXPECT_EQ(backdrop_of(r, 0), "https://known.test/0.jpg");
    EXPECT_EQ(backdrop_of(r, 1), nullptr);
    for (std::size_t i = 2; i < ids.size(); ++i)
        EXPECT_EQ(backdrop_of(r, i), "https://cdn.myanimelist.net/images/anime/8/36343l.jpg") << i;
    // Not images.backdrop: not a Format B image (docs/decisions.md, D4).
    EXPECT_FALSE(r.items[2]["images"].contains("backdrop"));
    // The pictures fetched are reported, for the extension to remember.
    ASSERT_EQ(r.pictures.size(), 23u);
    for (std::size_t k = 0; k < r.pictures.size(); ++k) {
        EXPECT_EQ(r.pictures[k].mal_id, ids[k + 2]);
        EXPECT_TRUE(r.pictures[k].ok()) << r.pictures[k].error;
        EXPECT_EQ(r.pictures[k].url, "https://cdn.myanimelist.net/images/anime/8/36343l.jpg");
        EXPECT_EQ(r.pictures[k].http_status, 200);
        EXPECT_EQ(r.pictures[k].attempts, 1);
    }
    // Through the same request accounting as the lists; one outcome: the list's.
    EXPECT_EQ(env.requests_counted["jikan"], 24);
    ASSERT_EQ(env.outcomes.size(), 1u);
    EXPECT_EQ(std::get<2>(env.outcomes[0]), Outcome::Ok);
    EXPECT_EQ(server.requests(pictures_path(ids[2]))[0].header("accept"), "application/json");
}

TEST_F(FetchLists, JikanBackdropsSurviveFailingPictures) {
    server.on("/jikan/top/anime", Reply::json(200, jikan_list({1, 2, 3, 4, 5, 6})));
    server.on(pictures_path(1), Reply::json(200, pictures_of(1)));
    server.on(pictures_path(2), Reply::json(500, "{}"));  // every attempt
    // Path 3 is not served: the test server answers 404 with a JSON error.
    server.on(pictures_path(4), Reply::json(200, "<html>not JSON</html>"));
    server.on(pictures_path(5), Reply::json(200, R"({"data":[]})"));  // no picture
    server.on(pictures_path(6), Reply::failing(Reply::Fault::Reset));
    ListResult r = fetch_one("jikan:top:movie");
    ASSERT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.error, "");
    ASSERT_EQ(r.items.size(), 6u);
    EXPECT_EQ(backdrop_of(r, 0), "https://pictures.test/1.jpg");
    for (std::size_t i = 1; i < 6; ++i) EXPECT_EQ(backdrop_of(r, i), nullptr) << i;

    ASSERT_EQ(r.pictures.size(), 6u);
    std::map<long, FetchedPicture> by_id;
    for (const FetchedPicture &p : r.pictures) by_id[p.mal_id] = p;
    EXPECT_TRUE(by_id[1].ok());
    EXPECT_EQ(by_id[2].outcome, Outcome::ServerError);
    EXPECT_EQ(by_id[2].attempts, 3);  // retried like a list
    EXPECT_EQ(by_id[2].http_status, 500);
    EXPECT_NE(by_id[2].error.find("after 3 attempts"), std::string::npos) << by_id[2].error;
    EXPECT_EQ(by_id[3].outcome, Outcome::HttpError);
    EXPECT_EQ(by_id[3].http_status, 404);
    EXPECT_EQ(by_id[3].url, std::nullopt);
    EXPECT_EQ(by_id[4].outcome, Outcome::InvalidResponse);
    EXPECT_TRUE(by_id[5].ok());  // answered: the anime has no picture, worth remembering
    EXPECT_EQ(by_id[5].url, std::nullopt);
    EXPECT_EQ(by_id[6].outcome, Outcome::NetworkError);
    EXPECT_FALSE(by_id[6].error.empty());
    ASSERT_EQ(env.outcomes.size(), 1u);
    EXPECT_EQ(std::get<2>(env.outcomes[0]), Outcome::Ok);
}

TEST_F(FetchLists, JikanBackdropsOnlyForTheFamiliesTakoEnriches) {
    server.on("/jikan/seasons/now", Reply::json(200, jikan_list({1, 2})));
    server.on("/jikan/seasons/upcoming", Reply::json(200, jikan_list({1, 2})));
    server.on("/jikan/schedules", Reply::json(200, jikan_list({1, 2})));
    server.on("/jikan/top/anime", Reply::json(200, jikan_list({1, 2})));
    server.on(pictures_path(1), Reply::json(200, pictures_of(1)));
    server.on(pictures_path(2), Reply::json(200, pictures_of(2)));
    // All anime, other types, schedules and the anime top: no backdrops, no pictures requests.
    std::vector<ListResult> plain = fetch(
        {"jikan:trending:all", "jikan:trending:ova", "jikan:schedule:monday", "jikan:top:anime"});
    for (const ListResult &r : plain) {
        ASSERT_EQ(r.outcome, Outcome::Ok) << r.key << ": " << r.error;
        EXPECT_FALSE(r.items[0]["details"].contains("backdrop")) << r.key;
        EXPECT_TRUE(r.pictures.empty()) << r.key;
    }
    EXPECT_EQ(server.count(pictures_path(1)), 0u);
    // Every sfw variant of the enriched families is enriched.
    for (const char *key : {"jikan:trending:movie:sfw", "jikan:upcoming:tv:nsfw", "jikan:top:tv"}) {
        ListResult r = fetch_one(key);
        ASSERT_EQ(r.outcome, Outcome::Ok) << key << ": " << r.error;
        EXPECT_EQ(backdrop_of(r, 1), "https://pictures.test/2.jpg") << key;
    }
    // Switched off: nothing asked, no backdrop.
    options.jikan_backdrops = false;
    const std::size_t asked = server.count(pictures_path(1));
    ListResult off = fetch_one("jikan:top:tv");
    EXPECT_FALSE(off.items[0]["details"].contains("backdrop"));
    EXPECT_EQ(server.count(pictures_path(1)), asked);
    // Raw fetches are not enriched either.
    options.jikan_backdrops = true;
    options.normalize = false;
    ListResult raw = fetch_one("jikan:top:tv");
    EXPECT_EQ(raw.outcome, Outcome::Ok);
    EXPECT_TRUE(raw.pictures.empty());
    EXPECT_EQ(server.count(pictures_path(1)), asked);
}

TEST_F(FetchLists, JikanBackdropsAskOnceForAnAnimeInTwoLists) {
    server.on("/jikan/top/anime", Reply::json(200, jikan_list({1, 2, 3})));
    server.on("/jikan/seasons/upcoming", Reply::json(200, jikan_list({3, 4})));
    for (long id : {1, 2, 3, 4}) server.on(pictures_path(id), Reply::json(200, pictures_of(id)));
    std::vector<ListResult> results = fetch({"jikan:top:tv", "jikan:upcoming:tv"});
    ASSERT_EQ(results.size(), 2u);
    for (long id : {1, 2, 3, 4}) EXPECT_EQ(server.count(pictures_path(id)), 1u) << id;
    EXPECT_EQ(backdrop_of(results[0], 2), "https://pictures.test/3.jpg");
    EXPECT_EQ(backdrop_of(results[1], 0), "https://pictures.test/3.jpg");
    // Reported once, with the first list that needed it.
    ASSERT_EQ(results[0].pictures.size(), 3u);
    ASSERT_EQ(results[1].pictures.size(), 1u);
    EXPECT_EQ(results[1].pictures[0].mal_id, 4);
}

TEST_F(FetchLists, JikanBackdropsAFailedListAsksNothing) {
    server.on("/jikan/top/anime", Reply::json(404, R"({"status":404,"type":"HttpException",
        "message":"Not Found","error":null})"));
    server.on(pictures_path(1), Reply::json(200, pictures_of(1)));
    ListResult r = fetch_one("jikan:top:tv");
    EXPECT_EQ(r.outcome, Outcome::HttpError);
    EXPECT_TRUE(r.pictures.empty());
    EXPECT_EQ(server.count(pictures_path(1)), 0u);
}

TEST_F(FetchLists, JikanBackdropsUnderTheRateLimitAndBudget) {
    env.limits["jikan"] = RateLimit{5, 0};  // one start every 200 ms
    server.on("/jikan/top/anime", Reply::json(200, jikan_list({1, 2, 3})));
    for (long id : {1, 2, 3}) server.on(pictures_path(id), Reply::json(200, pictures_of(id)));
    const Clock::time_point start = Clock::now();
    ListResult r = fetch_one("jikan:top:tv");
    ASSERT_EQ(r.outcome, Outcome::Ok) << r.error;
    std::vector<test::RecordedRequest> seen = server.requests();
    ASSERT_EQ(seen.size(), 4u);  // the list, then three pictures
    EXPECT_EQ(seen[0].path, "/jikan/top/anime");
    for (std::size_t i = 1; i < seen.size(); ++i)
        EXPECT_GE(ms_between(seen[i - 1].at, seen[i].at), 150) << i;
    EXPECT_GE(ms_between(start, seen[3].at), 450);

    // A budget spent on the way: the list stays ok, the pictures left are not asked.
    env.limits.clear();
    env.budget["jikan"] = 2;  // the list and one picture
    server.on("/jikan/seasons/upcoming", Reply::json(200, jikan_list({1, 2, 3})));
    ListResult spent = fetch_one("jikan:upcoming:movie");
    ASSERT_EQ(spent.outcome, Outcome::Ok) << spent.error;
    ASSERT_EQ(spent.pictures.size(), 3u);
    int quota = 0;
    for (const FetchedPicture &p : spent.pictures) quota += p.outcome == Outcome::QuotaExhausted;
    EXPECT_EQ(quota, 2);
}

TEST_F(FetchLists, JikanBackdropsInterruptStopsQuickly) {
    server.on("/jikan/top/anime", Reply::json(200, jikan_list({1, 2})));
    server.on(pictures_path(1), Reply::failing(Reply::Fault::Hang));
    server.on(pictures_path(2), Reply::failing(Reply::Fault::Hang));
    options.http.timeout_ms = 60000;
    std::atomic<bool> stop{false};
    Clock::time_point asked{};
    env.interrupt = [&] {
        if (!stop && server.count(pictures_path(1)) > 0) {
            stop = true;
            asked = Clock::now();
        }
        return stop.load();
    };
    EXPECT_THROW(fetch({"jikan:top:tv"}), Interrupted);
    EXPECT_TRUE(stop);
    EXPECT_LT(ms_between(asked, Clock::now()), 1500);
    EXPECT_TRUE(server.wait_until([&] { return server.connections_open() == 0; }));
}

TEST_F(FetchLists, TheLocaleSettingPicksTheLabels) {
    const std::string monday = fixture_text("jikan/schedules-monday__jikanpy.json");
    server.on("/jikan/schedules", Reply::json(200, monday));
    EXPECT_EQ(fetch_one("jikan:schedule:monday").items[0]["details"]["rating"]["label"],
              "Tous publics");  // Tako's default, fr-FR
    settings.locale = Locale::EnUS;
    EXPECT_EQ(fetch_one("jikan:schedule:monday").items[0]["details"]["rating"]["label"],
              "All Ages");
}

// ---- Each list handed over as soon as it is over ---------------------------------------------

TEST_F(FetchLists, EachListIsHandedOverAsSoonAsItsAnswerIsIn) {
    server.on("/deezer/chart/0/albums", Reply::json(200, deezer_albums).after(800ms));
    server.on("/deezer/chart/0/tracks", Reply::json(404, "{}"));
    server.on("/deezer/chart/0/artists", Reply::json(200, deezer_albums));
    std::vector<ParsedKey> keys;
    for (const char *key :
         {"deezer:charts:albums", "deezer:charts:tracks", "deezer:charts:artists"})
        keys.push_back(parse_key(key));
    std::vector<std::pair<std::size_t, Outcome>> handed;
    std::size_t slow_answers_seen_then = 99;
    const std::vector<ListResult> results =
        fetch_lists(keys, settings, options, env, [&](std::size_t i, const ListResult &r) {
            handed.emplace_back(i, r.outcome);
            if (handed.size() == 2) slow_answers_seen_then = server.count("/deezer/chart/0/albums");
        });
    // The failed list and the fast one first, while the slow one's answer was still on its way.
    ASSERT_EQ(handed.size(), 3u);
    EXPECT_EQ(handed[2], std::make_pair(std::size_t{0}, Outcome::Ok));
    EXPECT_NE(handed[0].first, 0u);
    EXPECT_NE(handed[1].first, 0u);
    EXPECT_EQ(slow_answers_seen_then, 1u);  // asked, not answered: the handover did not wait
    EXPECT_EQ(results[1].outcome, Outcome::HttpError);
    EXPECT_EQ(env.outcomes.size(), 3u);  // each list's outcome counted once
}

TEST_F(FetchLists, AListWhoseProviderIsPausedIsHandedOverAtOnce) {
    env.paused = std::chrono::system_clock::now() + std::chrono::hours(1);
    options.respect_breaker = true;
    std::vector<std::size_t> handed;
    fetch_lists({parse_key("deezer:charts:albums")}, settings, options, env,
                [&](std::size_t i, const ListResult &r) {
                    EXPECT_EQ(r.outcome, Outcome::CircuitOpen);
                    handed.push_back(i);
                });
    EXPECT_EQ(handed, std::vector<std::size_t>{0});
    EXPECT_EQ(server.count("/deezer/chart/0/albums"), 0u);
}

TEST_F(FetchLists, AnEnrichedJikanListIsHandedOverBeforeItsPictures) {
    server.on("/jikan/top/anime", Reply::json(200, jikan_list({1, 2, 3})));
    server.on(pictures_path(1), Reply::json(200, pictures_of(1)).after(300ms));
    server.on(pictures_path(2), Reply::json(200, pictures_of(2)).after(300ms));
    options.known_backdrops[3] = "https://known.test/3.jpg";
    nlohmann::json handed_items;
    bool pending = false;
    std::size_t pictures_asked_then = 99;
    const std::vector<ListResult> results = fetch_lists(
        {parse_key("jikan:top:movie")}, settings, options, env,
        [&](std::size_t, const ListResult &r) {
            handed_items = r.items;
            pending = r.backdrops_pending;
            pictures_asked_then = server.count(pictures_path(1)) + server.count(pictures_path(2));
        });
    // Handed over with the backdrop already known, the others null, before any picture was asked.
    ASSERT_EQ(handed_items.size(), 3u);
    EXPECT_EQ(pictures_asked_then, 0u);
    EXPECT_TRUE(pending);
    EXPECT_EQ(handed_items[0]["details"]["backdrop"], nullptr);
    EXPECT_EQ(handed_items[1]["details"]["backdrop"], nullptr);
    EXPECT_EQ(handed_items[2]["details"]["backdrop"], "https://known.test/3.jpg");
    // The results hold the pictures asked for afterwards.
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(backdrop_of(results[0], 0), "https://pictures.test/1.jpg");
    EXPECT_EQ(backdrop_of(results[0], 1), "https://pictures.test/2.jpg");
    EXPECT_EQ(backdrop_of(results[0], 2), "https://known.test/3.jpg");
    EXPECT_EQ(results[0].pictures.size(), 2u);
}

TEST_F(FetchLists, AListAsksForAtMostMaxPicturesNewOnes) {
    server.on("/jikan/top/anime", Reply::json(200, jikan_list({1, 2, 3, 4, 5})));
    for (long id = 1; id <= 5; ++id)
        server.on(pictures_path(id), Reply::json(200, pictures_of(id)));
    options.known_backdrops[2] = std::nullopt;
    options.max_pictures = 2;
    const ListResult r = fetch_one("jikan:top:movie");
    ASSERT_EQ(r.outcome, Outcome::Ok) << r.error;
    // 1 and 3 asked (2 is known), 4 and 5 left for a later fetch: null until then.
    EXPECT_EQ(server.count(pictures_path(1)) + server.count(pictures_path(3)), 2u);
    EXPECT_EQ(server.count(pictures_path(4)) + server.count(pictures_path(5)), 0u);
    EXPECT_EQ(backdrop_of(r, 0), "https://pictures.test/1.jpg");
    EXPECT_EQ(backdrop_of(r, 2), "https://pictures.test/3.jpg");
    EXPECT_EQ(backdrop_of(r, 3), nullptr);
    EXPECT_EQ(backdrop_of(r, 4), nullptr);
}

// ---- Keys added to a fetch under way (the refresh worker's queue) ------------------------------

TEST_F(FetchLists, AKeyAddedWhileASlowListIsFetchedIsOverBeforeIt) {
    server.on("/deezer/chart/0/tracks", Reply::json(200, deezer_albums).after(1500ms));
    server.on("/deezer/chart/0/albums", Reply::json(200, deezer_albums));
    bool added = false;
    std::vector<std::size_t> handed;
    std::size_t slow_answered_then = 99;
    const std::vector<ListResult> results = fetch_lists(
        {parse_key("deezer:charts:tracks")}, settings, options, env,
        [&](std::size_t i, const ListResult &) {
            handed.push_back(i);
            if (i == 1) slow_answered_then = handed.size();
        },
        [&](FetchOptions &) {
            std::vector<ParsedKey> more;
            // Once the slow request is on its way: a miss arrives.
            if (!added && server.count("/deezer/chart/0/tracks") == 1) {
                added = true;
                more.push_back(parse_key("deezer:charts:albums"));
            }
            return more;
        });
    // The added key got the next index, was fetched at once and handed over first.
    ASSERT_TRUE(added);
    EXPECT_EQ(handed, (std::vector<std::size_t>{1, 0}));
    EXPECT_EQ(slow_answered_then, 1u);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1].key, "deezer:charts:albums");
    EXPECT_EQ(results[1].outcome, Outcome::Ok);
    EXPECT_GE(results[0].finished - results[1].finished, std::chrono::milliseconds(1000));
}

TEST_F(FetchLists, AListAddedWhilePicturesAreAskedGetsItsOwnAfterThem) {
    server.on("/jikan/top/anime", Reply::json(200, jikan_list({1, 2})));
    server.on(pictures_path(1), Reply::json(200, pictures_of(1)).after(800ms));
    server.on(pictures_path(2), Reply::json(200, pictures_of(2)));
    bool added = false;
    std::vector<std::size_t> handed;
    const std::vector<ListResult> results = fetch_lists(
        {parse_key("jikan:top:movie")}, settings, options, env,
        [&](std::size_t i, const ListResult &) { handed.push_back(i); },
        [&](FetchOptions &) {
            std::vector<ParsedKey> more;
            // While the first list's pictures are asked: another enriched list of the same anime.
            if (!added && server.count(pictures_path(1)) == 1) {
                added = true;
                more.push_back(parse_key("jikan:top:tv"));
            }
            return more;
        });
    ASSERT_TRUE(added);
    EXPECT_EQ(handed, (std::vector<std::size_t>{0, 1}));
    ASSERT_EQ(results.size(), 2u);
    ASSERT_EQ(results[1].outcome, Outcome::Ok);
    // Its backdrops are there once the first list's pictures are in, none asked twice.
    EXPECT_EQ(backdrop_of(results[1], 0), "https://pictures.test/1.jpg");
    EXPECT_EQ(backdrop_of(results[1], 1), "https://pictures.test/2.jpg");
    EXPECT_EQ(server.count(pictures_path(1)), 1u);
    EXPECT_EQ(server.count(pictures_path(2)), 1u);
    EXPECT_EQ(backdrop_of(results[0], 0), "https://pictures.test/1.jpg");
}

TEST_F(FetchLists, EachListHasItsOwnPolicy) {
    env.paused = std::chrono::system_clock::now() + std::chrono::hours(1);
    server.on("/deezer/chart/0/tracks", Reply::json(200, deezer_albums));
    server.on("/deezer/chart/0/albums", Reply::json(200, deezer_albums));
    // The first list is a read's (skips a paused provider), the second one asked by hand.
    options.policy_of = [](std::size_t i) {
        return i == 0 ? ListPolicy{true, true} : ListPolicy{false, false};
    };
    const std::vector<ListResult> results =
        fetch_lists({parse_key("deezer:charts:tracks"), parse_key("deezer:charts:albums")},
                    settings, options, env);
    EXPECT_EQ(results[0].outcome, Outcome::CircuitOpen);
    EXPECT_EQ(results[1].outcome, Outcome::Ok);
    EXPECT_EQ(server.count("/deezer/chart/0/tracks"), 0u);
    EXPECT_EQ(env.read_through_flags, std::vector<bool>{false});
}

}  // namespace
}  // namespace tako
