// tako_cache's settings (docs/settings.md), registered by _PG_init.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/fetch/budget.hpp"
#include "core/rate_limit.hpp"
#include "core/read/read_policy.hpp"
#include "core/request/request.hpp"

namespace tako::pg::settings {

void define();

using Mode = read_policy::Mode;  // tako_cache.mode: what the read-through policy reads

bool enabled();
Mode mode();
// The configured base URL of a provider, without a trailing slash.
std::string base_url(std::string_view provider);
std::string igdb_token_url();
std::string proxy();  // "" for none
std::string tmdb_api_key();
std::string tmdb_language();
// The labels' language (tako_cache.locale).
Locale locale();
std::string rawg_api_key();
std::string igdb_client_id();
std::string igdb_client_secret();
int http_connect_timeout_ms();
int http_timeout_ms();
int max_response_bytes();
std::string schedule_timezone();
// Requests per second (and per minute, for Jikan) allowed to a provider, across all sessions.
RateLimit rate_limit(std::string_view provider);
int retry_attempts();
int retry_after_max_ms();
int breaker_failures();
int breaker_pause_ms();
// A provider's daily request budget and the share kept for the schedule (docs/read-and-refresh.md,
// "Budgets").
DailyBudget daily_budget(std::string_view provider);
// New keys read-through may fetch per hour and provider.
int new_keys_per_hour();
// The refresh worker: whether it starts, its database, and the refresh-ahead window.
bool worker();
std::string database_name();
int refresh_ahead_percent();
std::size_t render_cache_bytes();  // tako_cache.render_cache_size
// How many of at most `most` lists a worker batch fetches at once: tako_cache.worker_fetch_memory
// over tako_cache.max_response_bytes, at least one.
std::size_t worker_batch_keys(std::size_t most);
// Everything the request builders need, read from the settings above.
UpstreamSettings upstream();
// A fingerprint of every setting a fetch reads (addresses, credentials, language, timeouts, size
// cap, retries, rate limits, budgets, the breaker): equal in two processes when they would fetch
// a list the same way. The refresh worker publishes its own; a session whose own differ (a SET,
// ALTER ROLE ... SET) fetches what it waits for itself, so a fetch always follows the values of
// the session that waits for it.
std::uint64_t fetch_fingerprint();

}  // namespace tako::pg::settings
