// parse_igdb_token on the input (the body of Twitch's token response), then the token's expiry
// computed as fetch.cpp does (a tenth of the lifetime, at most five minutes, before Twitch's).
//
// Invariants: an accepted token is a non-empty string; its lifetime is within [0, one year] and
// usable as it is used (no overflow in the time arithmetic, which UBSan reports).
#include <algorithm>
#include <chrono>

#include "core/error.hpp"
#include "core/request/request.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    using namespace tako;
    using namespace tako::fuzz;
    try {
        IgdbToken token = parse_igdb_token(as_text(data, size));
        fuzz_check(!token.access_token.empty(), "token is not empty");
        fuzz_check(valid_utf8(token.access_token), "token is valid UTF-8");
        fuzz_check(
            token.expires_in_seconds >= 0 && token.expires_in_seconds <= kMaxIgdbTokenSeconds,
            "lifetime within [0, kMaxIgdbTokenSeconds]");
        // src/core/fetch/fetch.cpp, obtain_igdb_token():
        std::int64_t margin = std::min<std::int64_t>(300, token.expires_in_seconds / 10);
        auto expires = std::chrono::system_clock::from_time_t(1795546800) +
                       std::chrono::seconds(token.expires_in_seconds - margin);
        (void)expires;
    } catch (const Error &e) {
        fuzz_check(valid_utf8(e.what()) && printable(e.what()), "error message is printable UTF-8",
                   e.what());
    }
    return 0;
}
