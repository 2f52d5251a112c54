// parse_retry_after on the input (a Retry-After header value), at two fixed instants, and the
// delay retry_delay() derives from the result.
//
// Invariants: the wait is never negative; a value that is only digits gives that many seconds; the
// delay retry_delay() returns is within [0, retry_after_cap].
#include <random>

#include "core/error.hpp"
#include "core/retry.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    using namespace tako;
    using namespace tako::fuzz;
    using std::chrono::milliseconds;
    using std::chrono::system_clock;
    const std::string_view value = as_text(data, size);
    // 1994-11-06 08:49:37 UTC (RFC 9110's example date) and 2026-11-24 19:00:00 UTC.
    for (std::time_t now : {std::time_t{784111777}, std::time_t{1795546800}}) {
        try {
            std::optional<milliseconds> wait =
                parse_retry_after(value, system_clock::from_time_t(now));
            if (!wait) continue;
            fuzz_check(wait->count() >= 0, "Retry-After wait is not negative", value);
            RetryPolicy policy;
            std::mt19937_64 random(1);
            const milliseconds delay = retry_delay(policy, 2, wait, random);
            fuzz_check(delay.count() >= 0 && delay <= policy.retry_after_cap,
                       "retry delay within [0, cap]", value);
        } catch (const Error &) {
        }
    }
    return 0;
}
