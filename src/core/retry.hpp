// When and how long to wait before trying an upstream request again (docs/errors.md, "Retries"):
// bounded attempts, exponential backoff with jitter on 429, 5xx and transient network errors,
// Retry-After honoured (delta-seconds or HTTP-date) but capped, never a retry of another 4xx.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "core/http/http_types.hpp"

namespace tako {

struct RetryPolicy {
    int max_attempts = 3;                              // including the first
    std::chrono::milliseconds base_delay{500};         // first backoff, doubled each time
    std::chrono::milliseconds max_delay{8000};         // backoff cap
    std::chrono::milliseconds retry_after_cap{30000};  // a longer Retry-After waits this much
};

// True for the statuses worth another try: 408, 429, 500, 502, 503, 504.
bool retryable_status(long status);
// True for failures that may pass: refused or reset connections, timeouts, incomplete bodies.
bool retryable_failure(HttpFailure failure);

// Seconds ("120") or an HTTP-date (IMF-fixdate, RFC 850 or asctime) → how long from `now` to wait
// (zero for a date in the past); nullopt when the value is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// The wait before attempt `next_attempt` (2 for the first retry): Retry-After when the server sent
// one (capped), otherwise exponential backoff with "equal jitter" (half fixed, half random).
std::chrono::milliseconds retry_delay(const RetryPolicy &policy, int next_attempt,
                                      std::optional<std::chrono::milliseconds> retry_after,
                                      std::mt19937_64 &random);

}  // namespace tako
