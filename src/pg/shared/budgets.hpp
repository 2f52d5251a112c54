// The read-through budgets every backend shares: the new keys read-through may fetch per hour and
// provider (tako_cache.new_keys_per_hour), and whether this server's life has loaded the requests
// counted today from tako_request_usage. One LWLock of the tranche "tako_cache budgets" guards
// them. (The daily request budget is counted with each provider's health: provider_state.hpp.)
#pragma once

#include <cstdint>

#include "pg/shared/shared_state.hpp"

namespace tako::pg::shared {

void request_budgets();
void attach_budgets();

// Takes one of the new keys read-through may fetch this hour; false when they are all taken.
bool take_new_key(int provider, std::int64_t limit, std::int64_t now_ms);
std::int64_t new_keys_this_hour(int provider, std::int64_t now_ms);
// Gives back a key taken at `taken_ms` that was not spent (another request of the key was there).
void give_back_new_key(int provider, std::int64_t taken_ms);

// True the first time it is called in this server's life (or this session's, when not preloaded):
// that caller loads the counts kept in the table.
bool first_usage_load();

}  // namespace tako::pg::shared
