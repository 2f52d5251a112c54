// A provider's health, and the circuit breaker on it (docs/read-and-refresh.md): after `failures`
// consecutive provider-level failures (5xx, 429, network, timeout, TLS) the provider is paused for
// `pause`; automatic fetches (read-through, cron) skip it meanwhile, so an outage never turns into
// a storm of upstream calls. A success closes the breaker. Failures of one list (404, a bad
// body...) say nothing about the provider and do not count.
#pragma once

#include <cstdint>

#include "core/fetch/budget.hpp"
#include "core/fetch/fetch.hpp"

namespace tako {

struct BreakerPolicy {
    int failures = 5;
    std::int64_t pause_ms = 300000;
};

struct ProviderHealth {
    std::int64_t last_success_ms = 0;  // Unix milliseconds; 0: never
    std::int64_t last_error_ms = 0;
    int consecutive_failures = 0;
    std::int64_t paused_until_ms = 0;
    std::int64_t requests_day = 0;  // UTC day number of requests_today
    std::int64_t requests_today = 0;
};

// True for outcomes that mean the provider itself is unwell.
bool provider_failure(Outcome outcome);

// Updates `health` with the outcome of one list fetched at `now_ms`; returns true when this
// outcome opened the breaker.
bool record_outcome(ProviderHealth &health, Outcome outcome, std::int64_t now_ms,
                    const BreakerPolicy &policy);

// What read-through may use of a budget (0: unlimited).
std::int64_t read_through_limit(const DailyBudget &budget);

// Requests counted today at `now_ms` (0 once the UTC day has changed).
std::int64_t requests_today(const ProviderHealth &health, std::int64_t now_ms);

// Counts one upstream request at `now_ms` (the count restarts every UTC day) and returns true,
// or returns false and counts nothing when `budget` is spent for this request: the whole budget for
// scheduled and manual refreshes, read_through_limit() for read-through.
bool take_request(ProviderHealth &health, const DailyBudget &budget, bool read_through,
                  std::int64_t now_ms);

// Raises today's count to `requests` (restoring what was counted before a restart).
void restore_requests(ProviderHealth &health, std::int64_t requests, std::int64_t now_ms);

// Takes one of `limit` for the hour of `now_ms`; false when they are all taken this hour.
bool take_one(HourlyCount &counter, std::int64_t limit, std::int64_t now_ms);
std::int64_t taken_this_hour(const HourlyCount &counter, std::int64_t now_ms);
// Gives back one taken at `taken_ms` that was not needed after all (another session's request for
// the same key was already under way); nothing when the hour has turned since.
void give_back_one(HourlyCount &counter, std::int64_t taken_ms);

inline bool paused(const ProviderHealth &health, std::int64_t now_ms) {
    return health.paused_until_ms > now_ms;
}

}  // namespace tako
