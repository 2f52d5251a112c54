#include "core/cpp_only.hpp"

#include "core/request/request.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace tako {

namespace request {

namespace {

// Every field the normalizer reads (docs/decisions.md, D6: Tako asked for abbreviations and read
// names, and never asked for themes, modes, companies, screenshots or category).
constexpr const char *kFields =
    "id,name,slug,summary,url,cover.image_id,first_release_date,total_rating,total_rating_count,"
    "hypes,follows,category,genres.name,themes.name,game_modes.name,platforms.name,"
    "platforms.abbreviation,involved_companies.developer,involved_companies.publisher,"
    "involved_companies.company.name,screenshots.image_id";

}  // namespace

// IGDB /games with an Apicalypse body (docs/items.md, "What is fetched"), well-formed: every
// condition inside one `where`, platform ids only from the validated key (digits and commas), so
// nothing is injectable.
HttpRequest igdb(const ParsedKey &key, const UpstreamSettings &s, std::string_view token,
                 std::chrono::system_clock::time_point now) {
    require_setting(s.igdb_client_id, "tako_cache.igdb_client_id");
    require_setting(s.igdb_client_secret, "tako_cache.igdb_client_secret");
    const std::int64_t unix_now = unix_seconds(now);
    const std::string_view endpoint = key.endpoint();
    std::string where, sort;
    if (endpoint == "popular") {
        where = "total_rating_count >= 50";
        sort = "total_rating_count desc";
    } else if (endpoint == "trending") {
        where = "first_release_date >= " + std::to_string(unix_now - 90 * 86400) +
                " & first_release_date <= " + std::to_string(unix_now);
        sort = "hypes desc";
    } else {
        where = "first_release_date > " + std::to_string(unix_now);
        sort = "first_release_date asc";
    }
    const std::string platforms = key.part("platforms");
    if (platforms != "all") where += " & platforms = (" + platforms + ")";

    HttpRequest r;
    r.method = "POST";
    r.url = s.igdb_base_url + "/games";
    r.body = std::string("fields ") + kFields + "; where " + where + "; sort " + sort + "; limit " +
             std::to_string(list_page_size(key)) + ";";
    r.headers = {{"Client-ID", s.igdb_client_id},
                 {"Authorization", "Bearer " + std::string(token)},
                 {"Content-Type", "text/plain"}};
    return r;
}

}  // namespace request

HttpRequest build_igdb_token_request(const UpstreamSettings &s) {
    request::require_setting(s.igdb_client_id, "tako_cache.igdb_client_id");
    request::require_setting(s.igdb_client_secret, "tako_cache.igdb_client_secret");
    HttpRequest r;
    r.method = "POST";
    r.url = s.igdb_token_url;
    // In the body, not the query string (docs/decisions.md, D7): URLs end up in logs.
    r.body = "client_id=" + url_encode(s.igdb_client_id) +
             "&client_secret=" + url_encode(s.igdb_client_secret) +
             "&grant_type=client_credentials";
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
    return r;
}

IgdbToken parse_igdb_token(std::string_view body) {
    nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("access_token") ||
        !parsed["access_token"].is_string() ||
        parsed["access_token"].get_ref<const std::string &>().empty())
        throw Error(sqlstate::kInvalidJson, "unexpected Twitch token response: no access_token");
    IgdbToken token;
    token.access_token = parsed["access_token"].get<std::string>();
    token.expires_in_seconds = 3600;
    // Clamped (test/fuzz/fuzz_igdb_token checks this; its regression-* input): a huge expires_in,
    // or a negative one, or one past INT64_MAX (read as int64 it wrapped negative) overflowed the
    // expiry arithmetic of obtain_igdb_token in fetch.cpp: undefined behaviour, in practice a
    // token stored as expired long ago or as never expiring.
    if (parsed.contains("expires_in")) {
        const nlohmann::json &expires_in = parsed["expires_in"];
        if (expires_in.is_number_unsigned())
            token.expires_in_seconds = static_cast<std::int64_t>(
                std::min<std::uint64_t>(expires_in.get<std::uint64_t>(), kMaxIgdbTokenSeconds));
        else if (expires_in.is_number_integer())
            token.expires_in_seconds =
                std::clamp<std::int64_t>(expires_in.get<std::int64_t>(), 0, kMaxIgdbTokenSeconds);
    }
    return token;
}

}  // namespace tako
