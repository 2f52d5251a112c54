// HttpEngine over real HTTP on loopback (test/unit/loopback_server.hpp): libcurl is not mocked.
// Headers, gzip, chunked and close-delimited bodies, the size cap, timeouts, refused, cut and
// reset connections, redirects, schemes other than http(s), concurrency, abort_all, request
// bodies and headers. Time bounds are generous: these are behaviours, not benchmarks.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/http/http_engine.hpp"
#include "loopback_server.hpp"

namespace tako {
namespace {

using std::chrono::milliseconds;
using test::Clock;
using test::LoopbackServer;
using test::Reply;
using namespace std::chrono_literals;

HttpOptions test_options() {
    HttpOptions options;
    options.connect_timeout_ms = 5000;
    options.timeout_ms = 10000;
    return options;
}

HttpRequest get(std::string url) {
    HttpRequest request;
    request.url = std::move(url);
    return request;
}

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// Polls until no transfer runs (at most `limit`), returning what finished.
std::vector<HttpEngine::Done> drain(HttpEngine &engine, milliseconds limit = 15000ms) {
    std::vector<HttpEngine::Done> all;
    const Clock::time_point deadline = Clock::now() + limit;
    while (engine.running() > 0 && Clock::now() < deadline)
        for (HttpEngine::Done &done : engine.poll(50ms)) all.push_back(std::move(done));
    return all;
}

// One transfer on a fresh engine, to its end.
HttpResponse fetch(const HttpRequest &request, const HttpOptions &options = test_options()) {
    HttpEngine engine(options);
    const HttpEngine::Id id = engine.start(request);
    std::vector<HttpEngine::Done> done = drain(engine);
    if (done.size() != 1 || done[0].id != id) {
        ADD_FAILURE() << "the transfer of " << request.url << " did not finish";
        HttpResponse none;
        none.failure = HttpFailure::Other;
        return none;
    }
    return std::move(done[0].response);
}

std::string repeated(std::string_view piece, std::size_t bytes) {
    std::string out;
    while (out.size() < bytes) out += piece;
    out.resize(bytes);
    return out;
}

// ---- responses -----------------------------------------------------------------------------

TEST(HttpEngine, OkWithLowerCasedHeadersAndBody) {
    LoopbackServer server;
    server.on("/hello", Reply::json(200, R"({"ok":true})")
                            .with_header("X-Custom-Header", "Some Value")
                            .with_header("X-Repeated", "first")
                            .with_header("X-REPEATED", "second"));
    HttpResponse r = fetch(get(server.url("/hello?a=1")));
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"ok":true})");
    EXPECT_TRUE(r.error.empty());
    EXPECT_EQ(r.header("x-custom-header"), "Some Value");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("x-repeated"), "second");  // the last value
    EXPECT_EQ(r.header("X-Custom-Header"), "");   // names are stored lower-cased
    for (const auto &[name, value] : r.headers)
        for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
    EXPECT_GT(r.seconds, 0);
    ASSERT_EQ(server.count("/hello"), 1u);
    EXPECT_EQ(server.requests("/hello")[0].target, "/hello?a=1");
    EXPECT_EQ(server.requests("/hello")[0].method, "GET");
}

TEST(HttpEngine, ErrorStatusesAreResponsesNotFailures) {
    LoopbackServer server;
    server.on("/missing", Reply::json(404, R"({"status":"not found"})"));
    server.on("/down", Reply::json(503, "{}").with_header("Retry-After", "7"));
    HttpResponse missing = fetch(get(server.url("/missing")));
    EXPECT_EQ(missing.failure, HttpFailure::None);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, R"({"status":"not found"})");
    HttpResponse down = fetch(get(server.url("/down")));
    EXPECT_EQ(down.failure, HttpFailure::None);
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(down.header("retry-after"), "7");
}

TEST(HttpEngine, GzipBodyIsDecoded) {
    LoopbackServer server;
    const std::string body = "[" + repeated(R"({"id":1,"title":"a title"},)", 60000) + "0]";
    Reply reply = Reply::json(200, body);
    reply.gzip = true;
    server.on("/gz", reply);
    ASSERT_LT(test::gzip_encode(body).size(), body.size() / 10);  // really compressed on the wire

    HttpResponse r = fetch(get(server.url("/gz")));
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    EXPECT_EQ(r.header("content-encoding"), "gzip");
    EXPECT_EQ(r.body, body);
    ASSERT_EQ(server.count("/gz"), 1u);
    EXPECT_NE(server.requests("/gz")[0].header("accept-encoding").find("gzip"), std::string::npos);
}

TEST(HttpEngine, GzipInChunksIsDecoded) {
    LoopbackServer server;
    const std::string body = repeated("chunked and compressed ", 30000);
    Reply reply = Reply::json(200, body);
    reply.gzip = true;
    reply.framing = Reply::Framing::Chunked;
    reply.chunk_size = 97;
    server.on("/gz", reply);
    HttpResponse r = fetch(get(server.url("/gz")));
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    EXPECT_EQ(r.body, body);
}

TEST(HttpEngine, BadGzipIsAProtocolFailure) {
    LoopbackServer server;
    server.on("/bad", Reply::json(200, "this is not gzip at all, whatever the header says")
                          .with_header("Content-Encoding", "gzip"));
    HttpResponse r = fetch(get(server.url("/bad")));
    EXPECT_EQ(r.failure, HttpFailure::Protocol) << r.error;
    EXPECT_FALSE(r.error.empty());
}

TEST(HttpEngine, ChunkedAndCloseDelimitedBodies) {
    LoopbackServer server;
    const std::string body = repeated("0123456789", 10000);
    Reply chunked = Reply::json(200, body);
    chunked.framing = Reply::Framing::Chunked;
    chunked.chunk_size = 333;
    server.on("/chunked", chunked);
    Reply closed = Reply::json(200, body);
    closed.framing = Reply::Framing::Close;
    server.on("/closed", closed);

    HttpResponse a = fetch(get(server.url("/chunked")));
    EXPECT_EQ(a.failure, HttpFailure::None) << a.error;
    EXPECT_EQ(a.body, body);
    HttpResponse b = fetch(get(server.url("/closed")));
    EXPECT_EQ(b.failure, HttpFailure::None) << b.error;
    EXPECT_EQ(b.body, body);
}

// ---- the size cap --------------------------------------------------------------------------

class SizeCap : public ::testing::Test {
protected:
    HttpOptions capped() {
        HttpOptions options = test_options();
        options.max_bytes = 1000;
        return options;
    }
    LoopbackServer server;
};

TEST_F(SizeCap, ABodyOfExactlyTheCapPasses) {
    server.on("/exact", Reply::json(200, std::string(1000, 'x')));
    HttpResponse r = fetch(get(server.url("/exact")), capped());
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    EXPECT_EQ(r.body.size(), 1000u);
}

TEST_F(SizeCap, AnnouncedLengthOverTheCap) {
    server.on("/big", Reply::json(200, std::string(1001, 'x')));
    HttpResponse r = fetch(get(server.url("/big")), capped());
    EXPECT_EQ(r.failure, HttpFailure::TooLarge) << r.error;
    EXPECT_NE(r.error.find("larger than 1000 bytes"), std::string::npos) << r.error;
    EXPECT_LE(r.body.size(), 1000u);
}

TEST_F(SizeCap, ChunkedBodyOverTheCapWithoutContentLength) {
    Reply reply = Reply::json(200, std::string(200000, 'x'));
    reply.framing = Reply::Framing::Chunked;
    reply.chunk_size = 100;
    server.on("/big", reply);
    HttpResponse r = fetch(get(server.url("/big")), capped());
    EXPECT_EQ(r.failure, HttpFailure::TooLarge) << r.error;
    EXPECT_LE(r.body.size(), 1000u);
}

TEST_F(SizeCap, CloseDelimitedBodyOverTheCap) {
    Reply reply = Reply::json(200, std::string(200000, 'x'));
    reply.framing = Reply::Framing::Close;
    server.on("/big", reply);
    HttpResponse r = fetch(get(server.url("/big")), capped());
    EXPECT_EQ(r.failure, HttpFailure::TooLarge) << r.error;
    EXPECT_LE(r.body.size(), 1000u);
}

TEST_F(SizeCap, AppliesToTheDecodedBody) {
    // A few hundred bytes on the wire (under the cap), 512 KB once decoded: a gzip bomb.
    Reply reply = Reply::json(200, std::string(1 << 19, 'a'));
    reply.gzip = true;
    server.on("/bomb", reply);
    ASSERT_LT(test::gzip_encode(reply.body).size(), 1000u);
    HttpResponse r = fetch(get(server.url("/bomb")), capped());
    EXPECT_EQ(r.failure, HttpFailure::TooLarge) << r.error;
    EXPECT_LE(r.body.size(), 1000u);
}

// ---- failures ------------------------------------------------------------------------------

TEST(HttpEngine, TotalTimeout) {
    LoopbackServer server;
    server.on("/hang", Reply::failing(Reply::Fault::Hang));
    Reply slow_body = Reply::json(200, std::string(100, 'x'));  // announced, never sent
    slow_body.fault = Reply::Fault::HangAfterHeaders;
    server.on("/slow-body", slow_body);
    HttpOptions options = test_options();
    options.timeout_ms = 400;
    for (const char *path : {"/hang", "/slow-body"}) {
        const Clock::time_point start = Clock::now();
        HttpResponse r = fetch(get(server.url(path)), options);
        const long long elapsed = ms_since(start);
        EXPECT_EQ(r.failure, HttpFailure::Timeout) << path << ": " << r.error;
        EXPECT_GE(elapsed, 350) << path;
        EXPECT_LT(elapsed, 5000) << path;
    }
    // The timed-out connections were closed, not kept.
    EXPECT_TRUE(server.wait_until([&] { return server.connections_open() == 0; }));
}

TEST(HttpEngine, ConnectionRefused) {
    test::RefusingPort nobody;
    const Clock::time_point start = Clock::now();
    HttpResponse r = fetch(get("http://127.0.0.1:" + std::to_string(nobody.port()) + "/x"));
    EXPECT_EQ(r.failure, HttpFailure::Connect) << r.error;
    EXPECT_EQ(r.status, 0);
    EXPECT_FALSE(r.error.empty());
    EXPECT_LT(ms_since(start), 4000);  // refused at once, not a connect timeout
}

TEST(HttpEngine, BodyShorterThanItsContentLengthIsIncomplete) {
    LoopbackServer server;
    Reply reply = Reply::json(200, std::string(5000, 'x'));
    reply.fault = Reply::Fault::Truncate;
    reply.truncate_at = 1000;
    server.on("/cut", reply);
    HttpResponse r = fetch(get(server.url("/cut")));
    EXPECT_EQ(r.failure, HttpFailure::Incomplete) << r.error;
}

TEST(HttpEngine, ResetConnectionIsIncomplete) {
    LoopbackServer server;
    server.on("/rst", Reply::failing(Reply::Fault::Reset));
    HttpResponse r = fetch(get(server.url("/rst")));
    EXPECT_EQ(r.failure, HttpFailure::Incomplete) << r.error;
    EXPECT_EQ(r.status, 0);
}

TEST(HttpEngine, ConnectionClosedWithoutAnswerIsIncomplete) {
    LoopbackServer server;
    server.on("/nothing", Reply::failing(Reply::Fault::CloseEarly));
    HttpResponse r = fetch(get(server.url("/nothing")));
    EXPECT_EQ(r.failure, HttpFailure::Incomplete) << r.error;
}

// ---- redirects and schemes -----------------------------------------------------------------

TEST(HttpEngine, FollowsRedirectsUpToTheLimit) {
    LoopbackServer server;
    server.on("/a", Reply::redirect(302, "/b"));              // relative
    server.on("/b", Reply::redirect(301, server.url("/c")));  // absolute
    server.on("/c", Reply::redirect(307, "c2?x=1"));          // relative to /c
    server.on("/c2", Reply::json(200, "final").with_header("X-Final", "yes"));
    HttpResponse r = fetch(get(server.url("/a")));  // three redirects: the default limit
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "final");
    EXPECT_EQ(r.header("x-final"), "yes");
    EXPECT_EQ(r.header("location"), "");  // only the final response's headers are kept
    EXPECT_EQ(server.count("/c2"), 1u);
    EXPECT_EQ(server.requests("/c2")[0].target, "/c2?x=1");
}

TEST(HttpEngine, MoreRedirectsThanTheLimit) {
    LoopbackServer server;
    server.on("/loop", Reply::redirect(302, "/loop"));
    server.on("/once", Reply::redirect(302, "/ok"));
    server.on("/ok", Reply::json(200, "{}"));
    HttpOptions options = test_options();
    options.max_redirects = 3;
    HttpResponse r = fetch(get(server.url("/loop")), options);
    EXPECT_EQ(r.failure, HttpFailure::TooManyRedirects) << r.error;
    EXPECT_EQ(server.count("/loop"), 4u);  // the request and three redirects followed

    options.max_redirects = 0;
    HttpResponse once = fetch(get(server.url("/once")), options);
    EXPECT_EQ(once.failure, HttpFailure::TooManyRedirects) << once.error;
    EXPECT_EQ(server.count("/ok"), 0u);
}

TEST(HttpEngine, OnlyHttpSchemesAreFetched) {
    LoopbackServer server;
    const std::string port = std::to_string(server.port());
    for (const std::string &url :
         {"ftp://127.0.0.1:" + port + "/x", std::string("file:///etc/passwd"),
          "gopher://127.0.0.1:" + port + "/", "dict://127.0.0.1:" + port + "/d:x",
          "telnet://127.0.0.1:" + port, "scp://127.0.0.1:" + port + "/etc/passwd"}) {
        HttpResponse r;
        try {
            r = fetch(get(url));
        } catch (const Error &) {  // refused when started: as good
            continue;
        }
        EXPECT_EQ(r.failure, HttpFailure::Protocol) << url << ": " << r.error;
        EXPECT_TRUE(r.body.empty()) << url;
    }
    EXPECT_EQ(server.connections_accepted(), 0);  // nothing was even connected
}

TEST(HttpEngine, RedirectToAnotherSchemeIsRefused) {
    LoopbackServer server;
    const std::string port = std::to_string(server.port());
    server.on("/to-file", Reply::redirect(302, "file:///etc/passwd"));
    server.on("/to-ftp", Reply::redirect(302, "ftp://127.0.0.1:" + port + "/x"));
    for (const char *path : {"/to-file", "/to-ftp"}) {
        HttpResponse r = fetch(get(server.url(path)));
        EXPECT_EQ(r.failure, HttpFailure::Protocol) << path << ": " << r.error;
        EXPECT_EQ(r.body.find("root:"), std::string::npos);
    }
    EXPECT_EQ(server.requests().size(), 2u);  // the redirects were not followed
}

TEST(HttpEngine, RedirectsOnlyToAllowedHosts) {
    LoopbackServer server;
    LoopbackServer other;
    const std::string port = std::to_string(server.port());
    server.on("/relative", Reply::redirect(302, "/ok"));
    server.on("/absolute", Reply::redirect(301, "HTTP://127.0.0.1:" + port + "/ok"));
    server.on("/other-port", Reply::redirect(302, other.url("/ok")));
    server.on("/other-name", Reply::redirect(307, "http://localhost:" + port + "/ok"));
    server.on("/ok", Reply::json(200, "ok"));
    other.on("/ok", Reply::json(200, "other"));
    HttpOptions options = test_options();
    options.allowed_hosts = {"127.0.0.1:" + port};

    for (const char *path : {"/relative", "/absolute"}) {
        HttpResponse r = fetch(get(server.url(path)), options);
        EXPECT_EQ(r.failure, HttpFailure::None) << path << ": " << r.error;
        EXPECT_EQ(r.body, "ok") << path;
    }
    for (const char *path : {"/other-port", "/other-name"}) {
        HttpResponse r = fetch(get(server.url(path)), options);
        EXPECT_EQ(r.failure, HttpFailure::RedirectRefused) << path << ": " << r.error;
        EXPECT_TRUE(r.body.empty()) << path;
    }
    EXPECT_EQ(other.connections_accepted(), 0);  // never contacted
    EXPECT_EQ(server.count("/ok"), 2u);          // only by the two allowed redirects

    options.allowed_hosts.clear();  // none listed: any host
    HttpResponse r = fetch(get(server.url("/other-port")), options);
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    EXPECT_EQ(r.body, "other");
}

// ---- many transfers ------------------------------------------------------------------------

TEST(HttpEngine, TransfersRunConcurrently) {
    LoopbackServer server;
    server.on("/slow", Reply::json(200, "{}").after(300ms));
    HttpEngine engine(test_options());
    const Clock::time_point start = Clock::now();
    std::set<HttpEngine::Id> ids;
    for (int i = 0; i < 20; ++i)
        ids.insert(engine.start(get(server.url("/slow?i=" + std::to_string(i)))));
    EXPECT_EQ(ids.size(), 20u);
    EXPECT_EQ(engine.running(), 20u);
    std::vector<HttpEngine::Done> done = drain(engine);
    const long long elapsed = ms_since(start);
    ASSERT_EQ(done.size(), 20u);
    for (const HttpEngine::Done &d : done) {
        EXPECT_EQ(ids.erase(d.id), 1u) << "unknown or repeated id " << d.id;
        EXPECT_EQ(d.response.failure, HttpFailure::None) << d.response.error;
        EXPECT_EQ(d.response.status, 200);
    }
    EXPECT_GE(elapsed, 290);
    EXPECT_LT(elapsed, 3000) << "20 x 300 ms one after the other would take 6 s";
    EXPECT_EQ(server.count("/slow"), 20u);
}

TEST(HttpEngine, FailuresDoNotDisturbOtherTransfers) {
    LoopbackServer server;
    server.on("/ok", Reply::json(200, "fine").after(100ms));
    server.on("/rst", Reply::failing(Reply::Fault::Reset));
    server.on("/big", Reply::json(200, std::string(5000, 'x')));
    HttpOptions options = test_options();
    options.max_bytes = 1000;
    HttpEngine engine(options);
    const HttpEngine::Id ok1 = engine.start(get(server.url("/ok")));
    const HttpEngine::Id rst = engine.start(get(server.url("/rst")));
    const HttpEngine::Id big = engine.start(get(server.url("/big")));
    const HttpEngine::Id ok2 = engine.start(get(server.url("/ok")));
    std::map<HttpEngine::Id, HttpResponse> by_id;
    for (HttpEngine::Done &d : drain(engine)) by_id[d.id] = std::move(d.response);
    ASSERT_EQ(by_id.size(), 4u);
    EXPECT_EQ(by_id[ok1].body, "fine");
    EXPECT_EQ(by_id[ok2].body, "fine");
    EXPECT_EQ(by_id[rst].failure, HttpFailure::Incomplete);
    EXPECT_EQ(by_id[big].failure, HttpFailure::TooLarge);
}

TEST(HttpEngine, AbortAllStopsTransfersInFlight) {
    LoopbackServer server;
    server.on("/hang", Reply::failing(Reply::Fault::Hang));
    server.on("/after", Reply::json(200, "after"));
    HttpEngine engine(test_options());
    for (int i = 0; i < 5; ++i) engine.start(get(server.url("/hang")));
    const Clock::time_point deadline = Clock::now() + 5000ms;
    while (server.count("/hang") < 5 && Clock::now() < deadline)
        EXPECT_TRUE(engine.poll(20ms).empty());
    ASSERT_EQ(server.count("/hang"), 5u);
    EXPECT_EQ(engine.running(), 5u);

    engine.abort_all();
    EXPECT_EQ(engine.running(), 0u);
    EXPECT_TRUE(engine.poll(50ms).empty());  // aborted transfers report nothing
    // Their connections are closed, not kept for reuse.
    EXPECT_TRUE(server.wait_until([&] { return server.connections_open() == 0; }))
        << server.connections_open() << " connections still open";

    // The engine still works afterwards.
    engine.start(get(server.url("/after")));
    std::vector<HttpEngine::Done> done = drain(engine);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].response.body, "after");
}

TEST(HttpEngine, DestroyedWithTransfersInFlight) {
    LoopbackServer server;
    server.on("/hang", Reply::failing(Reply::Fault::Hang));
    {
        HttpEngine engine(test_options());
        for (int i = 0; i < 3; ++i) engine.start(get(server.url("/hang")));
        const Clock::time_point deadline = Clock::now() + 5000ms;
        while (server.count("/hang") < 3 && Clock::now() < deadline) engine.poll(20ms);
        ASSERT_EQ(server.count("/hang"), 3u);
    }  // every handle freed (ASan/LSan would tell), every connection closed
    EXPECT_TRUE(server.wait_until([&] { return server.connections_open() == 0; }));
}

TEST(HttpEngine, PollWithNothingRunningWaits) {
    HttpEngine engine(test_options());
    const Clock::time_point start = Clock::now();
    EXPECT_TRUE(engine.poll(100ms).empty());
    EXPECT_GE(ms_since(start), 80);
    EXPECT_LT(ms_since(start), 3000);
}

// ---- what is sent --------------------------------------------------------------------------

TEST(HttpEngine, PostBodyAndRequestHeadersReachTheServer) {
    LoopbackServer server;
    server.on("/echo", Reply::json(200, "{}"));
    HttpOptions options = test_options();
    options.user_agent = "tako_cache/test";
    HttpRequest request;
    request.method = "POST";
    request.url = server.url("/echo");
    static const char kBody[] = "fields a,b; where x = \"y\";\0binary\xff";
    request.body = std::string(kBody, sizeof kBody - 1);  // NUL and a non-UTF-8 byte included
    request.headers = {{"Client-ID", "client-1"},
                       {"Authorization", "Bearer token-1"},
                       {"Content-Type", "text/plain"}};
    HttpResponse r = fetch(request, options);
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    ASSERT_EQ(server.count("/echo"), 1u);
    test::RecordedRequest seen = server.requests("/echo")[0];
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.body, request.body);  // byte for byte, NUL included
    EXPECT_EQ(seen.header("content-length"), std::to_string(request.body.size()));
    EXPECT_EQ(seen.header("client-id"), "client-1");
    EXPECT_EQ(seen.header("authorization"), "Bearer token-1");
    EXPECT_EQ(seen.header("content-type"), "text/plain");
    EXPECT_EQ(seen.header("user-agent"), "tako_cache/test");
}

TEST(HttpEngine, LargePostBody) {
    LoopbackServer server;
    server.on("/echo", Reply::json(200, "{}"));
    HttpRequest request;
    request.method = "POST";
    request.url = server.url("/echo");
    request.body = repeated("client_id=abc&client_secret=def&", 300000);
    HttpResponse r = fetch(request);
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    ASSERT_EQ(server.count("/echo"), 1u);
    EXPECT_EQ(server.requests("/echo")[0].body, request.body);
}

TEST(HttpEngine, GetSendsNoBody) {
    LoopbackServer server;
    server.on("/get", Reply::json(200, "{}"));
    HttpRequest request = get(server.url("/get"));
    request.headers = {{"Accept", "application/json"}};
    HttpResponse r = fetch(request);
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    ASSERT_EQ(server.count("/get"), 1u);
    test::RecordedRequest seen = server.requests("/get")[0];
    EXPECT_EQ(seen.method, "GET");
    EXPECT_TRUE(seen.body.empty());
    EXPECT_EQ(seen.header("content-length"), "");
    EXPECT_EQ(seen.header("accept"), "application/json");
    EXPECT_EQ(seen.header("user-agent"), HttpOptions{}.user_agent);
}

TEST(HttpEngine, UnsupportedMethodIsRefused) {
    LoopbackServer server;
    HttpEngine engine(test_options());
    HttpRequest request = get(server.url("/x"));
    request.method = "DELETE";
    EXPECT_THROW(engine.start(request), Error);
    EXPECT_EQ(engine.running(), 0u);
    EXPECT_EQ(server.connections_accepted(), 0);
}

}  // namespace
}  // namespace tako
