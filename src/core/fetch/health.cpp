#include "core/cpp_only.hpp"

#include "core/fetch/health.hpp"

namespace tako {

bool provider_failure(Outcome outcome) {
    switch (outcome) {
        case Outcome::ServerError:
        case Outcome::RateLimited:
        case Outcome::NetworkError:
        case Outcome::Timeout:
        case Outcome::TlsError:
            return true;
        default:
            return false;
    }
}

bool record_outcome(ProviderHealth &health, Outcome outcome, std::int64_t now_ms,
                    const BreakerPolicy &policy) {
    if (outcome == Outcome::Ok) {
        health.last_success_ms = now_ms;
        health.consecutive_failures = 0;
        health.paused_until_ms = 0;
        return false;
    }
    if (outcome == Outcome::NotConfigured || outcome == Outcome::CircuitOpen) return false;
    health.last_error_ms = now_ms;
    if (!provider_failure(outcome)) return false;
    ++health.consecutive_failures;
    // Half-open after a pause: one more failure pauses again at once.
    if (health.consecutive_failures >= policy.failures && !paused(health, now_ms)) {
        health.paused_until_ms = now_ms + policy.pause_ms;
        return true;
    }
    return false;
}

void count_request(ProviderHealth &health, std::int64_t now_ms) {
    std::int64_t day = now_ms / 86'400'000;
    if (day != health.requests_day) {
        health.requests_day = day;
        health.requests_today = 0;
    }
    ++health.requests_today;
}

}  // namespace tako
