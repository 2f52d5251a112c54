// Counters for monitoring (tako_metrics(), monitoring/postgres_exporter.yaml), in shared memory:
// reads by result (fresh hit, stale serve, miss) and upstream list fetches by outcome, per
// provider, with a histogram of the fetches' durations. Monotonic since the server started (a
// restart resets them, as Prometheus expects of a counter), for the whole server. Lock-free: a
// read adds one to an atomic, never takes a lock. Without preloading, this backend's own.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/fetch/fetch.hpp"
#include "pg/shared/shared_state.hpp"

namespace tako::pg::metrics {

// Shared memory this part asks for, and its attachment (shared_state.cpp's hooks).
void request();
void attach();

enum class Read { Hit, Stale, Miss };
inline constexpr int kReads = 3;
const char *name(Read read);

// Outcomes of fetch.hpp's Outcome, in its order (QuotaExhausted is the last).
inline constexpr int kOutcomes = static_cast<int>(Outcome::QuotaExhausted) + 1;
// Upper bounds of the duration histogram's buckets, in seconds (+Inf is the count).
inline constexpr std::array<double, 10> kBuckets = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// One read of `key` (its provider is what comes before the first ':'; others are not counted).
void count_read(std::string_view key, Read read) noexcept;
// One list fetched from `provider` with `outcome`; `seconds` < 0: no request was sent (nothing
// observed in the histogram).
void count_fetch(std::string_view provider, Outcome outcome, double seconds) noexcept;

struct Snapshot {
    std::uint64_t reads[shared::kProviders][kReads];
    std::uint64_t fetches[shared::kProviders][kOutcomes];
    std::uint64_t buckets[shared::kProviders][kBuckets.size()];  // not cumulative
    std::uint64_t observed[shared::kProviders];                  // the histogram's count
    std::uint64_t duration_us[shared::kProviders];               // the histogram's sum
};
Snapshot snapshot() noexcept;

}  // namespace tako::pg::metrics
