// Per-provider request spacing (docs/settings.md: the rate limits). Per second: requests are spaced
// evenly (a GCRA cell without burst). Per minute: an exact sliding window over the last starts, so
// that no 60 s window ever holds more than the limit (a GCRA burst allowance would let ~2x through
// in the first minute). The state is plain data: the PostgreSQL layer keeps one per provider in
// shared memory, so the limit holds across every backend at once.
#pragma once

#include <cstdint>

namespace tako {

// The most starts a per-minute window can count exactly.
inline constexpr int kMinuteWindowCapacity = 128;

struct RateLimit {
    double per_second = 0;  // 0: no per-second limit
    int per_minute = 0;     // 0: no per-minute limit (Jikan has both: 3/s and 60/min); at most
                            // kMinuteWindowCapacity
};

struct RateLimitState {
    std::int64_t second_tat_us = 0;  // the earliest start the per-second spacing allows
    std::int64_t hold_until_us = 0;  // nothing starts before this (set after a 429)
    std::int64_t recent_us[kMinuteWindowCapacity] = {};  // ring of the latest starts, oldest first
    int recent_head = 0;                                 // where the next start is written
    int recent_count = 0;                                // how many entries of the ring are in use
};

// Reserves the next slot for one request that may not start before `earliest_us`, and returns
// the time (same clock, microseconds) at which it may start. Starts are spaced by 1/per_second,
// and at most per_minute of them fall within any 60 s.
std::int64_t reserve_slot(RateLimitState &state, const RateLimit &limit, std::int64_t earliest_us);

// Pushes every later reservation to at least `until_us` (a 429 with Retry-After slows all
// backends).
void hold_until(RateLimitState &state, std::int64_t until_us);

}  // namespace tako
