#include "core/cpp_only.hpp"

#include "core/retry.hpp"

#include "core/civil_date.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>

namespace tako {

namespace {

using std::chrono::milliseconds;

int month_index(std::string_view name) {
    static const std::array<std::string_view, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; ++i)
        if (kMonths[i] == name) return i + 1;
    return 0;
}

// Splits on spaces, commas, dashes and colons.
std::vector<std::string_view> tokens(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() &&
               (text[i] == ' ' || text[i] == ',' || text[i] == '-' || text[i] == ':'))
            ++i;
        std::size_t start = i;
        while (i < text.size() &&
               !(text[i] == ' ' || text[i] == ',' || text[i] == '-' || text[i] == ':'))
            ++i;
        if (i > start) out.push_back(text.substr(start, i - start));
    }
    return out;
}

std::optional<long> number(std::string_view digits) {
    if (digits.empty() || digits.size() > 9) return std::nullopt;
    long value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

// Seconds since the epoch of an HTTP-date in any of the three forms of RFC 9110, section 5.6.7.
std::optional<std::int64_t> parse_http_date(std::string_view text) {
    std::vector<std::string_view> t = tokens(text);
    long day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
    if (t.size() == 8 &&
        t[7] == "GMT") {  // "Sun, 06 Nov 1994 08:49:37 GMT" or "Sunday, 06-Nov-94 ..."
        auto d = number(t[1]), y = number(t[3]), h = number(t[4]), mi = number(t[5]),
             s = number(t[6]);
        month = month_index(t[2]);
        if (!d || !y || !h || !mi || !s || !month) return std::nullopt;
        day = *d, year = *y, hour = *h, minute = *mi, second = *s;
        if (t[3].size() == 2) year += year < 70 ? 2000 : 1900;  // RFC 850's two-digit year
    } else if (t.size() == 7) {  // asctime: "Sun Nov  6 08:49:37 1994"
        auto d = number(t[2]), h = number(t[3]), mi = number(t[4]), s = number(t[5]),
             y = number(t[6]);
        month = month_index(t[1]);
        if (!d || !y || !h || !mi || !s || !month) return std::nullopt;
        day = *d, year = *y, hour = *h, minute = *mi, second = *s;
    } else {
        return std::nullopt;
    }
    if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    // An HTTP-date's year has four digits (two in RFC 850). Found by test/fuzz/fuzz_retry_after:
    // a nine-digit year ("Sun, 01 Jan 999999997 00:00:00 GMT") overflowed the milliseconds of
    // parse_retry_after (undefined behaviour: the wait was whatever the product wrapped to).
    if (year > 9999) return std::nullopt;
    return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
           hour * 3600 + minute * 60 + second;
}

}  // namespace

bool retryable_status(long status) {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

bool retryable_failure(HttpFailure failure) {
    switch (failure) {
        case HttpFailure::Connect:
        case HttpFailure::ConnectTimeout:
        case HttpFailure::Timeout:
        case HttpFailure::Incomplete:
            return true;
        default:
            return false;
    }
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (auto seconds = number(value)) return milliseconds(*seconds * 1000);
    auto date = parse_http_date(value);
    if (!date) return std::nullopt;
    auto now_ms = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count();
    return milliseconds(std::max<std::int64_t>(0, *date * 1000 - now_ms));
}

milliseconds retry_delay(const RetryPolicy &policy, int next_attempt,
                         std::optional<milliseconds> retry_after, std::mt19937_64 &random) {
    if (retry_after) return std::min(*retry_after, policy.retry_after_cap);
    int doublings = std::clamp(next_attempt - 2, 0, 16);
    milliseconds ceiling =
        std::min(policy.max_delay, milliseconds(policy.base_delay.count() << doublings));
    std::uniform_int_distribution<long long> jitter(0, ceiling.count() / 2);
    return milliseconds(ceiling.count() - ceiling.count() / 2 + jitter(random));
}

}  // namespace tako
