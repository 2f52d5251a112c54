#include "core/cpp_only.hpp"

#include "core/request/request.hpp"

namespace tako::request {

// Jikan lists, one page of 25 (its maximum), the same request for a key whichever Tako route
// produced it (docs/decisions.md, D8). sfw "sfw" → sfw=true; "nsfw" → sfw=false, plus rating=rx on
// /top/anime, the only list endpoint that documents `rating` (docs/decisions.md, D9: it is not sent
// to /seasons). tv/movie top lists are one request with type= (Tako's three-page episode filter was
// broken: docs/decisions.md, D10).
HttpRequest jikan(const ParsedKey &key, const UpstreamSettings &s) {
    const std::string_view endpoint = key.endpoint();
    const std::string sfw = key.part("sfw");
    std::vector<std::pair<std::string, std::string>> params = {
        {"page", "1"}, {"limit", std::to_string(list_page_size(key))}};
    std::string path;
    if (endpoint == "top") {
        const std::string category = key.category();
        if (category == "manga") {
            path = "/top/manga";
        } else {
            path = "/top/anime";
            params.emplace_back("sfw", sfw == "sfw" ? "true" : "false");
            if (category == "tv" || category == "movie") {
                params.emplace_back("filter", "bypopularity");
                params.emplace_back("type", category);
            }
            if (sfw == "nsfw") params.emplace_back("rating", "rx");
        }
    } else if (endpoint == "schedule") {
        path = "/schedules";
        params.emplace_back("sfw", "false");
        if (key.part("day") != "all") params.emplace_back("filter", key.part("day"));
    } else {  // trending = the current season, upcoming = the next one
        path = endpoint == "trending" ? "/seasons/now" : "/seasons/upcoming";
        params.emplace_back("sfw", sfw == "sfw" ? "true" : "false");
        if (key.category() != "all") params.emplace_back("filter", key.category());
    }
    HttpRequest r;
    r.url = s.jikan_base_url + path + query(params);
    return r;
}

}  // namespace tako::request

namespace tako {

HttpRequest build_jikan_pictures_request(const UpstreamSettings &settings, long mal_id) {
    HttpRequest r;
    r.url = settings.jikan_base_url + "/anime/" + std::to_string(mal_id) + "/pictures";
    r.headers.emplace_back("Accept", "application/json");
    return r;
}

bool enriches_backdrops(const ParsedKey &key) {
    if (key.provider() != "jikan") return false;
    const std::string_view endpoint = key.endpoint();
    if (endpoint != "top" && endpoint != "trending" && endpoint != "upcoming") return false;
    const std::string category = key.category();
    return category == "tv" || category == "movie";
}

}  // namespace tako
