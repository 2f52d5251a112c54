// Jikan backdrop enrichment for fetch_lists: after the lists, the items of the
// families Tako enriches get details.backdrop, the first picture of GET /anime/{id}/pictures.
#pragma once

#include <deque>

#include "core/fetch/fetch.hpp"
#include "core/fetch/runner.hpp"

namespace tako {

// Writes into each item of an ok list whose key enriches_backdrops (when options.jikan_backdrops
// and options.normalize) the backdrop options.known_backdrops knows, or null; sets
// backdrops_pending when some anime's picture is not known (add_backdrops asks for it).
void add_known_backdrops(const ParsedKey &key, ListResult &result, const FetchOptions &options);

// For each ok list of `results` whose key enriches_backdrops (when options.jikan_backdrops and
// options.normalize): asks Jikan, through `runner` (so under Jikan's rate limits, retries and
// request budget), for the pictures of the anime not in options.known_backdrops, each anime once
// whatever the number of lists it is in, options.max_pictures at most for a list; writes
// details.backdrop (a URL, or null: no picture yet, or its request failed) into every item of those
// lists, and each request made into the
// ListResult::pictures of the first list that needed it. A failed picture never fails a list.
// Only the lists from index `from` on (those of an earlier call are done). Throws Interrupted, as
// Runner::run does.
void add_backdrops(const std::deque<ParsedKey> &keys, std::deque<ListResult> &results,
                   const UpstreamSettings &settings, const FetchOptions &options, Runner &runner,
                   std::size_t from = 0);

}  // namespace tako
