#include "core/cpp_only.hpp"

#include "core/normalize/jikan_pictures.hpp"

#include "core/normalize/item.hpp"
#include "core/normalize/normalize.hpp"

namespace tako {

std::optional<std::string> normalize_jikan_pictures(const nlohmann::json &raw) {
    using namespace normalize;
    constexpr std::string_view kWhat = "Jikan pictures";
    if (std::optional<UpstreamError> error = detect_upstream_error("jikan", 0, raw))
        throw_unexpected(kWhat, "an error body: " + error->message);
    const json &data = get(raw, "data");
    if (!data.is_array()) throw_unexpected(kWhat, "no \"data\" array");
    if (data.empty()) return std::nullopt;

    // Only the first picture counts, as in Tako: it is MyAnimeList's main visual. A first entry
    // without a URL is no picture, not a reason to show the second one.
    const json &first = data.front();
    const json &jpg = get(first, "jpg");
    const json &webp = get(first, "webp");
    const json url = first_text(get(jpg, "large_image_url"), get(jpg, "image_url"),
                                get(webp, "large_image_url"), get(webp, "image_url"));
    if (url.is_null()) return std::nullopt;
    return url.get<std::string>();
}

}  // namespace tako
