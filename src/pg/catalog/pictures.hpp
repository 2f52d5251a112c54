// Jikan backdrops kept in tako_jikan_pictures: what a fetch knows before it asks
// /anime/{id}/pictures, and what it learned after. Both run SQL of the extension's `schema` in
// the caller's transaction; before 1.4 (no such table) they do nothing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/fetch/fetch.hpp"
#include "core/key.hpp"

namespace tako::pg::pictures {

// The backdrops fetched within the table's TTL, by MAL id (nullopt: the anime has no picture),
// when one of `keys` is a family Tako enriches; else an empty map (nothing to read).
std::map<long, std::optional<std::string>> known(const std::string &schema,
                                                 const std::vector<ParsedKey> &keys);

// Saves the pictures the fetch asked for (the failed ones go to tako_refresh_log, under the
// pseudo-key jikan:pictures:<id>); nothing on a standby or in a read-only transaction.
void save(const std::string &schema, const std::vector<ListResult> &results,
          const std::string &origin);

// A list saved before its pictures came (`saved`), written again with them (`filled`), unless it
// was saved again since (tako_fill_backdrops: no newer list is replaced, no lock waited for long).
void fill(const std::string &schema, const std::string &key, const nlohmann::json &saved,
          const nlohmann::json &filled);

}  // namespace tako::pg::pictures
