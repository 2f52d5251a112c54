#include "core/cpp_only.hpp"

#include "core/fetch/health.hpp"

#include <algorithm>

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
    if (outcome == Outcome::NotConfigured || outcome == Outcome::CircuitOpen ||
        outcome == Outcome::QuotaExhausted)
        return false;
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

namespace {
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kHourMs = 3'600'000;
}  // namespace

std::int64_t read_through_limit(const DailyBudget &budget) {
    if (budget.limit <= 0) return 0;
    // At least one request, however small the budget: a budget of 1 is not "nothing".
    return std::max<std::int64_t>(1, budget.limit * (100 - budget.reserved_percent) / 100);
}

std::int64_t requests_today(const ProviderHealth &health, std::int64_t now_ms) {
    return health.requests_day == now_ms / kDayMs ? health.requests_today : 0;
}

bool take_request(ProviderHealth &health, const DailyBudget &budget, bool read_through,
                  std::int64_t now_ms) {
    const std::int64_t day = now_ms / kDayMs;
    if (day != health.requests_day) {
        health.requests_day = day;
        health.requests_today = 0;
    }
    const std::int64_t limit = read_through ? read_through_limit(budget) : budget.limit;
    if (limit > 0 && health.requests_today >= limit) return false;
    ++health.requests_today;
    return true;
}

void restore_requests(ProviderHealth &health, std::int64_t requests, std::int64_t now_ms) {
    const std::int64_t day = now_ms / kDayMs;
    if (day != health.requests_day) {
        health.requests_day = day;
        health.requests_today = 0;
    }
    health.requests_today = std::max(health.requests_today, requests);
}

bool take_one(HourlyCount &counter, std::int64_t limit, std::int64_t now_ms) {
    const std::int64_t hour = now_ms / kHourMs;
    if (hour != counter.hour) {
        counter.hour = hour;
        counter.count = 0;
    }
    if (counter.count >= limit) return false;
    ++counter.count;
    return true;
}

std::int64_t taken_this_hour(const HourlyCount &counter, std::int64_t now_ms) {
    return counter.hour == now_ms / kHourMs ? counter.count : 0;
}

void give_back_one(HourlyCount &counter, std::int64_t taken_ms) {
    if (counter.hour == taken_ms / kHourMs && counter.count > 0) --counter.count;
}

}  // namespace tako
