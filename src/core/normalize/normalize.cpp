// normalize_list: dispatch to the provider's normalizer (src/core/normalize/{provider}.cpp).
// detect_upstream_error: what each provider's error body says went wrong.
#include "core/cpp_only.hpp"

#include "core/normalize/normalize.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/normalize/item.hpp"
#include "core/normalize/providers.hpp"

namespace tako {

namespace {

using normalize::ascii_lower;
using normalize::get;
using normalize::json;
using Kind = UpstreamError::Kind;

// How the provider is named in messages; "" for an unknown provider.
std::string_view display_name(std::string_view provider) {
    if (provider == "tmdb") return "TMDB";
    if (provider == "jikan") return "Jikan";
    if (provider == "rawg") return "RAWG";
    if (provider == "igdb") return "IGDB";
    if (provider == "deezer") return "Deezer";
    if (provider == "itunes") return "iTunes";
    return {};
}

// Upstream text for a message: control and invisible characters escaped, cut at 200 characters.
std::string shown(const json &value) {
    if (value.is_number()) return value.dump();
    if (!value.is_string()) return {};
    const std::string quoted = quote_for_message(value.get_ref<const std::string &>(), 200);
    return quoted.substr(1, quoted.size() - 2);
}

long integer(const json &value, long fallback = 0) {
    return value.is_number_integer() ? value.get<long>() : fallback;
}

std::optional<Kind> kind_for_http(long status) {
    if (status == 401 || status == 403) return Kind::Auth;
    if (status == 404) return Kind::NotFound;
    if (status == 429) return Kind::RateLimited;
    if (status >= 500 && status <= 599) return Kind::Server;
    if (status == 408) return Kind::Other;  // a timeout, not a fault of the request
    if (status >= 400 && status <= 499) return Kind::BadRequest;
    return std::nullopt;
}

// The kind the body says, else the one the HTTP status says, else Other.
Kind kind_or(std::optional<Kind> from_body, long http_status) {
    if (from_body) return *from_body;
    return kind_for_http(http_status).value_or(Kind::Other);
}

using CodeGroups = std::vector<std::pair<Kind, std::vector<long>>>;

std::optional<Kind> kind_of_code(const CodeGroups &groups, long code) {
    for (const auto &[kind, codes] : groups)
        if (std::find(codes.begin(), codes.end(), code) != codes.end()) return kind;
    return std::nullopt;
}

// TMDB's status_code values (developer.themoviedb.org/docs/errors) by what they mean.
const CodeGroups kTmdbCodes = {
    {Kind::Auth, {3, 7, 10, 14, 16, 17, 30, 31, 32, 33, 35, 36, 38, 39, 45}},
    {Kind::RateLimited, {25}},
    {Kind::NotFound, {6, 21, 34, 37}},
    {Kind::Server, {9, 11, 15, 24, 43, 44, 46}},
    {Kind::BadRequest, {2, 4, 5, 8, 18, 19, 20, 22, 23, 26, 27, 28, 29, 41, 42, 47}},
};

// Deezer's error codes: 4 QUOTA (50 requests / 5 s), 200 PERMISSION, 300 TOKEN_INVALID,
// 800 DATA_NOT_FOUND, 700 SERVICE_BUSY, 100 ITEMS_LIMIT_EXCEEDED, 500/501 PARAMETER(_MISSING),
// 600 QUERY_INVALID.
const CodeGroups kDeezerCodes = {
    {Kind::RateLimited, {4}},
    {Kind::Auth, {200, 300}},
    {Kind::NotFound, {800}},
    {Kind::Server, {700}},
    {Kind::BadRequest, {100, 500, 501, 600}},
};

// {status_code, status_message[, success:false]}; codes 1, 12 and 13 report successes.
std::optional<UpstreamError> tmdb_error(long http_status, const json &body) {
    const json &code = get(body, "status_code");
    if (!code.is_number_integer() || get(body, "results").is_array()) return std::nullopt;
    const long n = code.get<long>();
    if (n == 1 || n == 12 || n == 13) return std::nullopt;
    return UpstreamError{
        kind_or(kind_of_code(kTmdbCodes, n), http_status),
        "TMDB status_code " + std::to_string(n) + ": " + shown(get(body, "status_message"))};
}

// {status, type, message, error[, report_url]}; status is the HTTP status Jikan answered with.
std::optional<UpstreamError> jikan_error(long http_status, const json &body) {
    const json &status = get(body, "status");
    if (!status.is_number_integer() || get(body, "data").is_array() ||
        !(get(body, "message").is_string() || get(body, "type").is_string()))
        return std::nullopt;
    const long code = status.get<long>();
    std::string message = "Jikan status " + std::to_string(code);
    if (get(body, "type").is_string()) message += " (" + shown(get(body, "type")) + ")";
    message += ": " + shown(get(body, "message"));
    if (get(body, "error").is_string()) message += ": " + shown(get(body, "error"));
    return UpstreamError{kind_or(kind_for_http(code), http_status), message};
}

// [{title, status, cause}] (query errors), or {message, ...} (authorization failures).
std::optional<UpstreamError> igdb_error(long http_status, const json &body) {
    if (body.is_array() && !body.empty()) {
        const json &first = body.front();
        if (!first.is_object() || first.contains("id") || !first.contains("status") ||
            !(first.contains("title") || first.contains("cause")))
            return std::nullopt;
        const long code = integer(get(first, "status"), http_status);
        std::string message =
            "IGDB status " + std::to_string(code) + " " + shown(get(first, "title"));
        if (get(first, "cause").is_string()) message += ": " + shown(get(first, "cause"));
        return UpstreamError{kind_or(kind_for_http(code), http_status), message};
    }
    const json &message = get(body, "message");
    if (!message.is_string() || body.contains("id")) return std::nullopt;
    std::optional<Kind> kind = kind_for_http(http_status);
    if (!kind && ascii_lower(message.get<std::string>()).rfind("authorization failure", 0) == 0)
        kind = Kind::Auth;
    return UpstreamError{kind.value_or(Kind::Other), "IGDB: " + shown(message)};
}

// {"error": {type, message, code}}, sent with HTTP 200.
std::optional<UpstreamError> deezer_error(long http_status, const json &body) {
    const json &error = get(body, "error");
    if (error.is_string())
        return UpstreamError{kind_or({}, http_status), "Deezer error: " + shown(error)};
    if (!error.is_object()) return std::nullopt;
    const long code = integer(get(error, "code"), -1);
    std::string message = "Deezer error " + (code >= 0 ? std::to_string(code) : std::string("?"));
    if (get(error, "type").is_string()) message += " (" + shown(get(error, "type")) + ")";
    message += ": " + shown(get(error, "message"));
    return UpstreamError{kind_or(kind_of_code(kDeezerCodes, code), http_status), message};
}

// {"error": "The key parameter is not provided"} or {"detail": "Not found."}.
std::optional<UpstreamError> rawg_error(long http_status, const json &body) {
    if (get(body, "results").is_array()) return std::nullopt;
    const json &error = get(body, "error");
    if (error.is_string()) {
        const bool about_key =
            ascii_lower(error.get<std::string>()).find("key") != std::string::npos;
        return UpstreamError{about_key ? Kind::Auth : kind_or({}, http_status),
                             "RAWG: " + shown(error)};
    }
    const json &detail = get(body, "detail");
    if (!detail.is_string()) return std::nullopt;
    const bool not_found =
        ascii_lower(detail.get<std::string>()).find("not found") != std::string::npos;
    return UpstreamError{not_found ? Kind::NotFound : kind_or({}, http_status),
                         "RAWG: " + shown(detail)};
}

}  // namespace

json normalize_list(std::string_view provider, std::string_view /*endpoint*/, const json &raw,
                    std::string_view category, const NormalizeOptions &options) {
    const std::string_view name = display_name(provider);
    if (name.empty()) throw_invalid("unknown provider " + quote_for_message(provider));
    // An error body (Deezer sends them with HTTP 200) is never an empty list.
    if (std::optional<UpstreamError> error = detect_upstream_error(provider, 0, raw))
        normalize::throw_unexpected(name, "an error body: " + error->message);

    if (provider == "tmdb") return normalize_tmdb(raw, category);
    if (provider == "jikan") return normalize_jikan(raw, category, options);
    if (provider == "rawg") return normalize_rawg(raw);
    if (provider == "igdb") return normalize_igdb(raw);
    if (provider == "deezer") return normalize_deezer(raw, category);
    return normalize_itunes(raw, category);
}

std::optional<UpstreamError> detect_upstream_error(std::string_view provider, long http_status,
                                                   const json &body) {
    // Only a body that is one of the provider's error shapes is an error here; the HTTP status
    // just refines its kind. A failure status with any other body is the caller's to judge.
    if (provider == "tmdb") return tmdb_error(http_status, body);
    if (provider == "jikan") return jikan_error(http_status, body);
    if (provider == "igdb") return igdb_error(http_status, body);
    if (provider == "deezer") return deezer_error(http_status, body);
    if (provider == "rawg") return rawg_error(http_status, body);
    return std::nullopt;  // iTunes feeds have no error body
}

}  // namespace tako
