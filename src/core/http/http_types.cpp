#include "core/cpp_only.hpp"

#include "core/http/http_types.hpp"

#include <algorithm>
#include <cctype>

#include "core/http/curl_handles.hpp"

namespace tako {

const char *to_string(HttpFailure failure) {
    switch (failure) {
        case HttpFailure::None:
            return "none";
        case HttpFailure::Dns:
            return "dns";
        case HttpFailure::Connect:
            return "connect";
        case HttpFailure::ConnectTimeout:
            return "connect timeout";
        case HttpFailure::Timeout:
            return "timeout";
        case HttpFailure::Tls:
            return "tls";
        case HttpFailure::TooLarge:
            return "too large";
        case HttpFailure::Incomplete:
            return "incomplete";
        case HttpFailure::TooManyRedirects:
            return "too many redirects";
        case HttpFailure::RedirectRefused:
            return "redirect refused";
        case HttpFailure::Protocol:
            return "protocol";
        case HttpFailure::Aborted:
            return "aborted";
        case HttpFailure::Other:
            return "other";
    }
    return "other";
}

std::string HttpResponse::header(std::string_view name) const {
    for (auto it = headers.rbegin(); it != headers.rend(); ++it)
        if (it->first == name) return it->second;
    return {};
}

std::string host_and_port(std::string_view url) {
    curl::Url parsed(curl_url());
    if (!parsed) return {};
    std::string text(url);
    if (curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return {};
    char *host = nullptr, *port = nullptr;
    if (curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK) return {};
    curl::String host_owner(host);
    if (curl_url_get(parsed.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        return {};
    curl::String port_owner(port);
    std::string out = std::string(host) + ":" + port;
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string url_encode(std::string_view text) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
    }
    return out;
}

}  // namespace tako
