// What a list's upstream response says about the list beyond its items (totals, page, season...),
// captured when the list is fetched and stored beside the items (discovery_cache.upstream), so that
// the response envelope (core/envelope/envelope.hpp) can report it on every later hit.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/key.hpp"

namespace tako {

// The upstream metadata of the raw list response `raw` of `key`, fetched at `fetched_unix_us` with
// TMDB language `tmdb_language`. Keys (each only when upstream sent it):
//   every provider  fetchedAt   when the list was fetched upstream (ISO 8601, UTC, milliseconds)
//   tmdb            total, page, totalPages, lang
//   jikan           total, page, perPage, hasMore; season, year (seasonal lists: the items' season)
//   deezer          total
//   itunes          updated     the feed's own "updated" text, as sent
// Never throws on an unexpected shape: what cannot be read is left out.
nlohmann::json upstream_meta(const ParsedKey &key, const nlohmann::json &raw,
                             const std::string &tmdb_language, std::int64_t fetched_unix_us);

// `unix_us` as JavaScript's Date.prototype.toISOString writes it: "2026-11-30T17:39:01.123Z".
std::string iso8601_ms(std::int64_t unix_us);

}  // namespace tako
