// Upstream requests per key family (docs/items.md, "What is fetched"): what to send to fetch the
// list of a key, with the Tako routes' behaviour and the decisions of docs/decisions.md. One file
// per provider in src/core/request/.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/http_types.hpp"
#include "core/key.hpp"
#include "core/normalize/locale.hpp"

namespace tako {

// What request builders need from the tako_cache.* settings.
struct UpstreamSettings {
    std::string tmdb_base_url, jikan_base_url, rawg_base_url, igdb_base_url, deezer_base_url,
        itunes_base_url;  // without a trailing slash
    std::string igdb_token_url;
    std::string tmdb_api_key, tmdb_language, rawg_api_key, igdb_client_id, igdb_client_secret;
    Locale locale = kDefaultLocale;  // the language of the items' labels (tako_cache.locale)
};

// The request for the list of `key`. `igdb_token` is the Twitch access token (IGDB keys only).
// Throws tako::Error 55000 when a credential the provider needs is not configured.
HttpRequest build_list_request(const ParsedKey &key, const UpstreamSettings &settings,
                               std::string_view igdb_token,
                               std::chrono::system_clock::time_point now);

// GET {jikan}/anime/{mal_id}/pictures: the backdrop of one anime of an enriched list.
HttpRequest build_jikan_pictures_request(const UpstreamSettings &settings, long mal_id);

// Whether the items of `key`'s lists carry details.backdrop: the families Tako enriches with
// /anime/{id}/pictures (docs/items.md, backdrops), Jikan top, trending and upcoming of tv or movie,
// whatever their sfw part.
bool enriches_backdrops(const ParsedKey &key);

// Twitch client-credentials grant for IGDB; the secret goes in the body, never in the URL.
HttpRequest build_igdb_token_request(const UpstreamSettings &settings);

// The longest token lifetime believed (Twitch's app tokens last about 60 days).
inline constexpr std::int64_t kMaxIgdbTokenSeconds = 366 * 86400;

struct IgdbToken {
    std::string access_token;
    // Twitch's expires_in within [0, kMaxIgdbTokenSeconds]; 3600 when it sends none.
    std::int64_t expires_in_seconds = 0;
};
// Throws tako::Error 22P02 when the body is not a token response.
IgdbToken parse_igdb_token(std::string_view body);

// The `category` argument of normalize_list for this key (tmdb movie|tv, jikan anime|manga...).
std::string normalizer_category(const ParsedKey &key);

// How many items one list request asks for (the one page tako_cache fetches): TMDB's fixed 20,
// Jikan 25, RAWG 20, IGDB 20, Deezer 25, iTunes 25. The response envelope reports it as meta.limit.
int list_page_size(const ParsedKey &key);

// Whether an empty list from upstream can only be a failure for this key (TMDB lists, charts,
// unfiltered lists...), rather than a legitimately empty filter.
bool never_empty(const ParsedKey &key);

// `text` with every configured credential replaced by "REDACTED" (RAWG echoes its key in "next").
std::string redact_secrets(std::string text, const UpstreamSettings &settings);

namespace request {
// Per-provider builders (src/core/request/<provider>.cpp), called by build_list_request.
HttpRequest tmdb(const ParsedKey &key, const UpstreamSettings &s,
                 std::chrono::system_clock::time_point now);
HttpRequest jikan(const ParsedKey &key, const UpstreamSettings &s);
HttpRequest rawg(const ParsedKey &key, const UpstreamSettings &s,
                 std::chrono::system_clock::time_point now);
HttpRequest igdb(const ParsedKey &key, const UpstreamSettings &s, std::string_view token,
                 std::chrono::system_clock::time_point now);
HttpRequest deezer(const ParsedKey &key, const UpstreamSettings &s);
HttpRequest itunes(const ParsedKey &key, const UpstreamSettings &s);

// "?a=1&b=2" from name/value pairs, values percent-encoded; empty values are left out.
std::string query(const std::vector<std::pair<std::string, std::string>> &params);
// "YYYY-MM-DD" of `time` in UTC, `days` later.
std::string utc_date(std::chrono::system_clock::time_point time, int days = 0);
std::int64_t unix_seconds(std::chrono::system_clock::time_point time);
// Throws tako::Error 55000 naming the setting when `value` is empty.
void require_setting(const std::string &value, const char *setting);
}  // namespace request

}  // namespace tako
