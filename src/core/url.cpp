#include "core/cpp_only.hpp"

#include "core/url.hpp"

#include <curl/curl.h>

#include <memory>
#include <string>

namespace tako {

bool is_base_url(std::string_view url, std::string *why) {
    auto reject = [&](const char *reason) {
        if (why) *why = reason;
        return false;
    };
    std::string_view rest;
    if (url.substr(0, 7) == "http://")
        rest = url.substr(7);
    else if (url.substr(0, 8) == "https://")
        rest = url.substr(8);
    else
        return reject("the URL must start with http:// or https://");
    for (unsigned char c : url)
        if (c <= 0x20 || c >= 0x7F)
            return reject("the URL must not contain spaces or control bytes");
    std::string_view host = rest.substr(0, rest.find('/'));
    if (host.empty()) return reject("the URL has no host");
    if (host.find('@') != std::string_view::npos)
        return reject("credentials in the URL are not allowed");
    if (url.find_first_of("?#") != std::string_view::npos)
        return reject("a query string or fragment is not allowed");
    // Last, the parser that will use the URL must accept it: found by test/fuzz/fuzz_url, the
    // checks above let through hosts libcurl refuses ("https://)", "http://a:99999", "http://[x]"),
    // so a bad setting was accepted and every later request failed with a URL error.
    std::unique_ptr<CURLU, void (*)(CURLU *)> parsed(curl_url(), curl_url_cleanup);
    if (!parsed) return reject("out of memory");
    if (curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK)
        return reject("the URL is malformed (libcurl cannot parse it)");
    return true;
}

}  // namespace tako
