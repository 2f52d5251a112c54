#include "core/cpp_only.hpp"

#include "core/request/request.hpp"

namespace tako::request {

// TMDB lists, one page of 20 (docs/items.md, "What is fetched"). A v4 read access token (a JWT,
// "eyJ...") is sent as a Bearer token, a v3 key as the api_key parameter.
HttpRequest tmdb(const ParsedKey &key, const UpstreamSettings &s,
                 std::chrono::system_clock::time_point now) {
    require_setting(s.tmdb_api_key, "tako_cache.tmdb_api_key");
    const std::string category = key.category();  // movie | tv
    const std::string_view endpoint = key.endpoint();
    const bool bearer = s.tmdb_api_key.rfind("eyJ", 0) == 0;

    std::vector<std::pair<std::string, std::string>> params;
    if (!bearer) params.emplace_back("api_key", s.tmdb_api_key);
    params.emplace_back("language", s.tmdb_language);
    params.emplace_back("page", "1");

    std::string path;
    if (endpoint == "trending") {
        path = "/trending/" + category + "/" + key.period();
    } else if (endpoint == "popular") {
        path = "/" + category + "/popular";
    } else if (endpoint == "top-rated") {
        path = "/" + category + "/top_rated";
    } else if (key.part("list") == "on-the-air") {
        path = "/tv/on_the_air";
    } else if (key.part("list") == "airing-today") {
        path = "/tv/airing_today";
    } else {
        // Upcoming: what is released from today (UTC) on, most popular first.
        path = "/discover/" + category;
        params.emplace_back(category == "movie" ? "primary_release_date.gte" : "first_air_date.gte",
                            utc_date(now));
        params.emplace_back("sort_by", "popularity.desc");
    }
    HttpRequest r;
    r.url = s.tmdb_base_url + path + query(params);
    if (bearer) r.headers.emplace_back("Authorization", "Bearer " + s.tmdb_api_key);
    return r;
}

}  // namespace tako::request
