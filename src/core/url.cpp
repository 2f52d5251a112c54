#include "core/cpp_only.hpp"

#include "core/url.hpp"

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
    return true;
}

}  // namespace tako
