#include "core/cpp_only.hpp"

#include "core/request/request.hpp"

namespace tako::request {

// Deezer's overall chart (genre 0), one section, 25 entries (docs/items.md, "What is fetched").
HttpRequest deezer(const ParsedKey &key, const UpstreamSettings &s) {
    HttpRequest r;
    r.url = s.deezer_base_url + "/chart/0/" + key.category() +
            query({{"limit", std::to_string(list_page_size(key))}});
    return r;
}

}  // namespace tako::request
