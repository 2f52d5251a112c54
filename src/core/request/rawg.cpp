#include "core/cpp_only.hpp"

#include "core/request/request.hpp"

namespace tako::request {

// RAWG /games, 20 per page (docs/items.md, "What is fetched"): popular = metacritic 70-100 by
// rating, trending = most added, upcoming = released from today to a year ahead, soonest first.
HttpRequest rawg(const ParsedKey &key, const UpstreamSettings &s,
                 std::chrono::system_clock::time_point now) {
    require_setting(s.rawg_api_key, "tako_cache.rawg_api_key");
    const std::string platforms = key.part("platforms");
    std::vector<std::pair<std::string, std::string>> params = {
        {"key", s.rawg_api_key},
        {"page", "1"},
        {"page_size", std::to_string(list_page_size(key))},
        {"platforms", platforms == "all" ? "" : platforms}};
    const std::string_view endpoint = key.endpoint();
    if (endpoint == "popular") {
        params.emplace_back("metacritic", "70,100");
        params.emplace_back("ordering", "-rating");
    } else if (endpoint == "trending") {
        params.emplace_back("ordering", "-added");
    } else {
        params.emplace_back("dates", utc_date(now) + "," + utc_date(now, 365));
        params.emplace_back("ordering", "released");
    }
    HttpRequest r;
    r.url = s.rawg_base_url + "/games" + query(params);
    return r;
}

}  // namespace tako::request
