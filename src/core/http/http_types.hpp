// Plain values describing an HTTP exchange; no libcurl here, so request builders and tests can use
// them without a transfer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tako {

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// Why a transfer produced no usable HTTP response.
enum class HttpFailure {
    None,
    Dns,               // host name did not resolve
    Connect,           // connection refused or unreachable
    ConnectTimeout,    // no connection within http_connect_timeout_ms
    Timeout,           // whole transfer over http_timeout_ms
    Tls,               // handshake or certificate failure
    TooLarge,          // body over max_response_bytes
    Incomplete,        // connection reset, or closed before the announced length
    TooManyRedirects,  // more than 3 redirects, or a loop
    RedirectRefused,   // a redirect to a host that is not one of the allowed hosts
    Protocol,          // bad URL scheme, bad content encoding, malformed HTTP
    Aborted,           // stopped by a cancel request
    Other,
};

const char *to_string(HttpFailure failure);

struct HttpResponse {
    HttpFailure failure = HttpFailure::None;
    std::string error;  // libcurl's explanation when failure != None
    long status = 0;
    std::string body;                                          // decoded (gzip undone)
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    double seconds = 0;

    // The last value of header `name` (lower case), or "".
    std::string header(std::string_view name) const;
};

struct HttpOptions {
    // Hosts ("host:port", lower case) a redirect may lead to; empty: any. The PostgreSQL layer
    // allows only the configured providers' hosts, so the server never contacts anything else.
    std::vector<std::string> allowed_hosts;
    // Connections go only to public addresses (address.hpp), or to the internal address a
    // request's URL names as an IP literal (http://127.0.0.1:8080/...): a host *name* that
    // resolves to an internal address is refused before connecting.
    // The proxy every request goes through ("scheme://host:port"), or "" for none. Never taken from
    // the server's environment (http_proxy and the like are ignored). Through a proxy, the proxy
    // resolves the names; the proxy's own address is checked like any other.
    std::string proxy;
    long connect_timeout_ms = 2000;
    long timeout_ms = 10000;
    std::size_t max_bytes = 16 * 1024 * 1024;
    long max_redirects = 3;
    std::string user_agent = "tako_cache/1.0";
};

// "host:port" (lower case, default port filled) of an absolute http(s) URL, or "" if it has none.
std::string host_and_port(std::string_view url);

// RFC 3986 percent-encoding of a query or path component (unreserved characters kept).
std::string url_encode(std::string_view text);

}  // namespace tako
