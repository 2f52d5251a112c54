// Which addresses a provider may be reached at (core/http/address.hpp), and the engine refusing a
// host name that resolves to an internal address, over real loopback connections.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "core/http/address.hpp"
#include "core/http/http_engine.hpp"
#include "loopback_server.hpp"

namespace tako {
namespace {

bool internal(const std::string &text) {
    sockaddr_storage storage{};
    if (text.find(':') != std::string::npos) {
        auto *v6 = reinterpret_cast<sockaddr_in6 *>(&storage);
        v6->sin6_family = AF_INET6;
        EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr), 1) << text;
    } else {
        auto *v4 = reinterpret_cast<sockaddr_in *>(&storage);
        v4->sin_family = AF_INET;
        EXPECT_EQ(inet_pton(AF_INET, text.c_str(), &v4->sin_addr), 1) << text;
    }
    const auto *address = reinterpret_cast<const sockaddr *>(&storage);
    EXPECT_EQ(address_text(address), text);
    return is_internal_address(address);
}

TEST(Address, InternalRangesAreInternal) {
    for (const char *a : {"127.0.0.1",
                          "127.255.0.9",
                          "10.1.2.3",
                          "172.16.0.1",
                          "172.31.255.255",
                          "192.168.1.1",
                          "169.254.169.254",
                          "100.64.0.1",
                          "0.0.0.0",
                          "198.18.0.1",
                          "224.0.0.1",
                          "255.255.255.255",
                          "::1",
                          "::",
                          "fc00::1",
                          "fd12:3456::1",
                          "fe80::1",
                          "ff02::1",
                          "::ffff:127.0.0.1",
                          "::ffff:10.0.0.1"})
        EXPECT_TRUE(internal(a)) << a;
}

TEST(Address, PublicAddressesAreNot) {
    for (const char *a :
         {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "192.169.0.1", "100.128.0.1",
          "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8"})
        EXPECT_FALSE(internal(a)) << a;
}

TEST(Address, UnknownFamiliesAreInternal) {
    sockaddr unknown{};
    unknown.sa_family = AF_UNIX;
    EXPECT_TRUE(is_internal_address(&unknown));
    EXPECT_TRUE(is_internal_address(nullptr));
}

TEST(Address, IpLiterals) {
    EXPECT_EQ(ip_literal("127.0.0.1"), "127.0.0.1");
    EXPECT_EQ(ip_literal("[::1]"), "::1");
    EXPECT_EQ(ip_literal("0:0::1"), "::1");
    EXPECT_EQ(ip_literal("localhost"), "");
    EXPECT_EQ(ip_literal("api.themoviedb.org"), "");
}

HttpResponse fetch(const std::string &url, const HttpOptions &options) {
    HttpEngine engine(options);
    HttpRequest request;
    request.url = url;
    const HttpEngine::Id id = engine.start(request);
    for (int i = 0; i < 200; ++i)
        for (HttpEngine::Done &done : engine.poll(std::chrono::milliseconds(50)))
            if (done.id == id) return std::move(done.response);
    ADD_FAILURE() << "no answer for " << url;
    return {};
}

// A URL that names the loopback address is fetched; a host name resolving to it is refused
// before any connection, whatever the redirect rules.
TEST(Address, AHostNameResolvingToLoopbackIsRefused) {
    test::LoopbackServer server;
    server.on("/ok", test::Reply::json(200, "ok"));
    HttpOptions options;
    HttpResponse named = fetch(server.url("/ok"), options);
    EXPECT_EQ(named.failure, HttpFailure::None) << named.error;
    HttpResponse by_name =
        fetch("http://localhost:" + std::to_string(server.port()) + "/ok", options);
    EXPECT_EQ(by_name.failure, HttpFailure::Connect);
    EXPECT_NE(by_name.error.find("an internal address that no base URL names"), std::string::npos)
        << by_name.error;
    EXPECT_EQ(server.count("/ok"), 1u);
}

// Requests go through the configured proxy, and through no other: "" means none.
TEST(Address, TheConfiguredProxyIsUsed) {
    test::LoopbackServer proxy;
    proxy.on("http://192.0.2.1/list", test::Reply::json(200, "via proxy"));
    HttpOptions options;
    options.proxy = proxy.base();
    HttpResponse r = fetch("http://192.0.2.1/list", options);
    EXPECT_EQ(r.failure, HttpFailure::None) << r.error;
    EXPECT_EQ(r.body, "via proxy");
    EXPECT_EQ(proxy.count("http://192.0.2.1/list"), 1u);
}

}  // namespace
}  // namespace tako
