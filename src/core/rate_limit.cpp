#include "core/cpp_only.hpp"

#include "core/rate_limit.hpp"

#include <algorithm>

namespace tako {

std::int64_t reserve_slot(RateLimitState &state, const RateLimit &limit, std::int64_t earliest_us) {
    std::int64_t start = std::max({earliest_us, state.hold_until_us, state.second_tat_us});
    const int per_minute = std::min(limit.per_minute, kMinuteWindowCapacity);
    if (per_minute > 0 && state.recent_count >= per_minute) {
        // The per_minute-th most recent start must be at least a minute before this one.
        int index =
            (state.recent_head - per_minute + kMinuteWindowCapacity) % kMinuteWindowCapacity;
        start = std::max(start, state.recent_us[index] + 60'000'000);
    }
    state.recent_us[state.recent_head] = start;
    state.recent_head = (state.recent_head + 1) % kMinuteWindowCapacity;
    state.recent_count = std::min(state.recent_count + 1, kMinuteWindowCapacity);
    if (limit.per_second > 0)
        state.second_tat_us = start + static_cast<std::int64_t>(1e6 / limit.per_second);
    return start;
}

void hold_until(RateLimitState &state, std::int64_t until_us) {
    state.hold_until_us = std::max(state.hold_until_us, until_us);
}

}  // namespace tako
