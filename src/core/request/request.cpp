#include "core/cpp_only.hpp"

#include "core/request/request.hpp"

#include <ctime>

#include "core/error.hpp"
#include "core/format_b.hpp"

namespace tako {

namespace request {

std::string query(const std::vector<std::pair<std::string, std::string>> &params) {
    std::string out;
    for (const auto &[name, value] : params) {
        if (value.empty()) continue;
        out += out.empty() ? '?' : '&';
        out += url_encode(name) + "=" + url_encode(value);
    }
    return out;
}

std::string utc_date(std::chrono::system_clock::time_point time, int days) {
    std::time_t t = std::chrono::system_clock::to_time_t(time + std::chrono::hours(24 * days));
    std::tm parts{};
    gmtime_r(&t, &parts);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &parts);
    return buf;
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

void require_setting(const std::string &value, const char *setting) {
    if (value.empty())
        throw Error(sqlstate::kPrerequisiteState, std::string(setting) + " is not set", {},
                    std::string("Set it in postgresql.conf or with ALTER SYSTEM SET ") + setting +
                        " = '...'; then SELECT pg_reload_conf().");
}

}  // namespace request

HttpRequest build_list_request(const ParsedKey &key, const UpstreamSettings &settings,
                               std::string_view igdb_token,
                               std::chrono::system_clock::time_point now) {
    std::string_view provider = key.provider();
    HttpRequest r;
    if (provider == "tmdb")
        r = request::tmdb(key, settings, now);
    else if (provider == "jikan")
        r = request::jikan(key, settings);
    else if (provider == "rawg")
        r = request::rawg(key, settings, now);
    else if (provider == "igdb")
        r = request::igdb(key, settings, igdb_token, now);
    else if (provider == "deezer")
        r = request::deezer(key, settings);
    else if (provider == "itunes")
        r = request::itunes(key, settings);
    else
        throw Error(sqlstate::kInternal,
                    "no request builder for provider " + std::string(provider));
    r.headers.emplace_back("Accept", "application/json");
    return r;
}

std::string normalizer_category(const ParsedKey &key) {
    std::string_view provider = key.provider();
    if (provider == "jikan")
        return key.endpoint() == "top" && key.category() == "manga" ? "manga" : "anime";
    return key.category();
}

int list_page_size(const ParsedKey &key) {
    std::string_view provider = key.provider();
    if (provider == "jikan" || provider == "deezer" || provider == "itunes") return 25;
    return 20;  // tmdb (its fixed page), rawg, igdb
}

bool never_empty(const ParsedKey &key) {
    std::string_view provider = key.provider();
    if (provider == "tmdb" || provider == "deezer" || provider == "itunes") return true;
    if (provider == "rawg" || provider == "igdb") return key.part("platforms") == "all";
    if (key.endpoint() == "top") return key.part("sfw") != "nsfw";
    if (key.endpoint() == "schedule") return key.part("day") == "all";
    return key.category() == "all" && key.part("sfw").empty();  // jikan trending/upcoming
}

std::string redact_secrets(std::string text, const UpstreamSettings &settings) {
    for (const std::string *secret : {&settings.tmdb_api_key, &settings.rawg_api_key,
                                      &settings.igdb_client_id, &settings.igdb_client_secret}) {
        if (secret->size() < 4) continue;  // too short to be a real credential; never match noise
        for (const std::string &form : {*secret, url_encode(*secret)}) {
            std::size_t at = 0;
            while ((at = text.find(form, at)) != std::string::npos) {
                text.replace(at, form.size(), "REDACTED");
                at += 8;
            }
        }
    }
    return text;
}

}  // namespace tako
