#include "core/cpp_only.hpp"

#include "core/request/request.hpp"

namespace tako::request {

// Apple's RSS top charts for a country (docs/items.md, "What is fetched"): top albums, or top songs
// for a song chart (Tako always fetched albums: docs/decisions.md, D5). The country comes from the
// validated key (ISO 3166).
HttpRequest itunes(const ParsedKey &key, const UpstreamSettings &s) {
    const std::string feed = key.part("category") == "song" ? "topsongs" : "topalbums";
    HttpRequest r;
    r.url = s.itunes_base_url + "/" + key.part("country") + "/rss/" + feed +
            "/limit=" + std::to_string(list_page_size(key)) + "/json";
    return r;
}

}  // namespace tako::request
