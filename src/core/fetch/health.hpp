// A provider's health, and the circuit breaker on it (SPEC §8): after `failures` consecutive
// provider-level failures (5xx, 429, network, timeout, TLS) the provider is paused for `pause`;
// automatic fetches (read-through, cron) skip it meanwhile, so an outage never turns into a storm
// of upstream calls. A success closes the breaker. Failures of one list (404, a bad body...) say
// nothing about the provider and do not count.
#pragma once

#include <cstdint>

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

// Counts one upstream request at `now_ms` (the count restarts every UTC day).
void count_request(ProviderHealth &health, std::int64_t now_ms);

inline bool paused(const ProviderHealth &health, std::int64_t now_ms) {
    return health.paused_until_ms > now_ms;
}

}  // namespace tako
