#include "core/cpp_only.hpp"

#include "core/envelope/envelope.hpp"

#include <utility>

#include "core/envelope/upstream_meta.hpp"
#include "core/error.hpp"
#include "core/normalize/item.hpp"
#include "core/request/request.hpp"

namespace tako {

namespace {

using nlohmann::json;
using normalize::get;

// A JSON object written field by field, in order; values are JSON values or ready JSON text.
class ObjectText {
public:
    ObjectText &add(std::string_view name, const json &value) {
        return add_text(name, value.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    ObjectText &add_text(std::string_view name, std::string_view text) {
        out_ += out_.size() == 1 ? "\"" : ",\"";
        out_ += name;
        out_ += "\":";
        out_ += text;
        return *this;
    }
    std::string done() {
        out_ += '}';
        return std::move(out_);
    }

private:
    std::string out_ = "{";
};

json iso_or_null(const std::optional<std::int64_t> &unix_us) {
    return unix_us ? json(iso8601_ms(*unix_us)) : json(nullptr);
}

// A count upstream reported, else `fallback`.
json number_or(const json &upstream, const char *name, std::size_t fallback) {
    const json &value = get(upstream, name);
    return value.is_number_integer() ? value : json(fallback);
}

const char *domain_of(std::string_view provider) {
    if (provider == "tmdb") return "media";
    if (provider == "jikan") return "anime-manga";
    if (provider == "deezer" || provider == "itunes") return "music";
    return "videogames";
}

// {page, limit, hasMore} of the upstream page, as JSON text (TMDB: limit = the items returned,
// as Tako; Jikan: its per_page).
std::string pagination_text(const json &page, const json &limit, bool more) {
    return ObjectText().add("page", page).add("limit", limit).add("hasMore", more).done();
}

std::string tmdb_pagination(const json &up, std::size_t count) {
    const json &page = get(up, "page"), &pages = get(up, "totalPages");
    const bool more = page.is_number_integer() && pages.is_number_integer() &&
                      page.get<std::int64_t>() < pages.get<std::int64_t>();
    return pagination_text(page.is_number_integer() ? page : json(1), count, more);
}

std::string jikan_pagination(const json &up, const ParsedKey &key) {
    const json &more = get(up, "hasMore");
    return pagination_text(number_or(up, "page", 1), number_or(up, "perPage", list_page_size(key)),
                           more.is_boolean() && more.get<bool>());
}

// The fields of `meta` before tako_cache's own, per family (Tako's names and order).
void family_meta(ObjectText &meta, const ParsedKey &key, const json &up) {
    const std::string_view provider = key.provider(), endpoint = key.endpoint();
    const std::string category = key.category(), sfw = key.part("sfw");
    const int limit = list_page_size(key);
    if (provider == "tmdb") {
        const std::string list = key.part("list");
        if (list.empty()) meta.add("category", category);
        if (endpoint == "trending") meta.add("period", key.period());
        meta.add("limit", limit).add("page", 1);
        if (get(up, "lang").is_string()) meta.add("lang", get(up, "lang"));
        meta.add("autoTrad", false);
    } else if (provider == "jikan") {
        if (endpoint == "top" && (category == "anime" || category == "manga")) {
            meta.add("autoTrad", false);
            if (sfw != "sfw") meta.add("note", "Contenu adulte NON filtré");
            if (!sfw.empty()) meta.add("sfw", sfw);
            if (category == "manga") meta.add("translated", false);
            return;
        }
        if (endpoint == "trending") {
            if (get(up, "season").is_string()) meta.add("season", get(up, "season"));
            if (get(up, "year").is_number_integer()) meta.add("year", get(up, "year"));
        }
        if (endpoint == "schedule") {
            meta.add("day", key.part("day"));
        } else if (endpoint == "top") {
            meta.add("category", category).add("filter", "bypopularity");
        } else {
            meta.add("filter", category == "all" ? json(nullptr) : json(category));
        }
        if (!sfw.empty()) meta.add("sfw", sfw);
        meta.add("limit", limit).add("page", 1).add("autoTrad", false);
    } else if (provider == "rawg" || provider == "igdb") {
        if (provider == "igdb") meta.add("limit", limit).add("offset", 0);
        if (provider == "rawg") meta.add("page", 1);
        meta.add("platforms", key.part("platforms")).add("genres", "all");
        static const std::pair<const char *, const char *> kOrdering[] = {
            {"rawg:trending", "recently_added"},
            {"rawg:upcoming", "released"},
            {"igdb:popular", "popularity"},
            {"igdb:trending", "hypes"},
            {"igdb:upcoming", "first_release_date"}};
        const std::string family = std::string(provider) + ":" + std::string(endpoint);
        for (const auto &[name, ordering] : kOrdering)
            if (family == name) meta.add("ordering", ordering);
    } else if (provider == "deezer") {
        meta.add("category", category).add("limit", limit);
    } else if (provider == "itunes") {
        std::string country = key.part("country");
        for (char &c : country) c = static_cast<char>(c - 'a' + 'A');  // validated: a-z only
        meta.add("country", country).add("category", key.part("category")).add("limit", limit);
        if (get(up, "updated").is_string()) meta.add("updated", get(up, "updated"));
    }
}

}  // namespace

std::string compact_json(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            out += c;
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
            out += c;
        } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            out += c;
        }
    }
    if (in_string) throw Error(sqlstate::kInvalidJson, "unterminated JSON string");
    return out;
}

std::string render_envelope(const EnvelopeInput &in) {
    static const json kEmpty = json::object();
    const ParsedKey &key = *in.key;
    const json &up = in.upstream ? *in.upstream : kEmpty;
    const std::string_view provider = key.provider(), endpoint = key.endpoint();
    const std::size_t count = in.items ? in.count : 0;
    const bool jikan_top = provider == "jikan" && endpoint == "top" &&
                           (key.category() == "anime" || key.category() == "manga");

    ObjectText body;
    body.add("success", in.items.has_value())
        .add("provider", provider)
        .add("domain", domain_of(provider));
    if (jikan_top)
        body.add("type", "top-" + key.category());
    else if (provider == "tmdb")
        body.add("endpoint", key.part("list").empty() ? std::string(endpoint) : key.part("list"));
    else
        body.add("endpoint", endpoint);

    std::string pagination = "null";
    json total = count;
    if (provider == "tmdb") {
        const std::string list = key.part("list"), category = key.category();
        std::string query = list;
        if (query.empty()) {
            query = std::string(endpoint) + "-" + category;
            if (endpoint == "trending") query += "-" + key.period();
        }
        body.add("query", query).add("searchType", category);
        total = number_or(up, "total", count);
        pagination = tmdb_pagination(up, count);
    } else {
        body.add("query", nullptr);
        if (jikan_top) {
            body.add("contentType", key.category());
            total = number_or(up, "total", count);
        } else if (provider == "deezer") {
            total = number_or(up, "total", count);
        }
        if (provider == "jikan") pagination = jikan_pagination(up, key);
    }
    if (!in.items) pagination = "null";
    body.add("total", in.items ? total : json(0)).add("count", count);
    body.add_text("data", in.items ? *in.items : std::string_view("[]"));
    body.add_text("pagination", pagination);

    ObjectText meta;
    const json &fetched = get(up, "fetchedAt");
    meta.add("fetchedAt", fetched.is_string() ? fetched : iso_or_null(in.saved_unix_us));
    family_meta(meta, key, up);
    meta.add("cached", in.cached)
        .add("cacheKey", key.key)
        .add("stale", in.stale)
        .add("expiresAt", iso_or_null(in.expires_unix_us));
    if (in.error) meta.add("error", *in.error);
    body.add_text("meta", meta.done());
    return body.done();
}

}  // namespace tako
