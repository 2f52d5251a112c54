#include "pg/shared/metrics.hpp"

#include <atomic>
#include <new>

#include "pg/postgres.hpp"

extern "C" {
#include "storage/shmem.h"
}

namespace tako::pg::metrics {

namespace {

// Each provider's counters on cache lines of their own: backends reading different providers do
// not contend.
struct alignas(64) ProviderCounters {
    std::atomic<std::uint64_t> reads[kReads];
    std::atomic<std::uint64_t> fetches[kOutcomes];
    std::atomic<std::uint64_t> buckets[kBuckets.size()];
    std::atomic<std::uint64_t> observed;
    std::atomic<std::uint64_t> duration_us;
};

struct Counters {
    ProviderCounters providers[shared::kProviders];
};

constexpr const char *kName = "tako_cache metrics";
Counters local;  // without preloading
Counters *counters = &local;

void add(std::atomic<std::uint64_t> &counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_release);
}

}  // namespace

void request() {
    RequestAddinShmemSpace(sizeof(Counters));
}

void attach() {
    bool found = false;
    void *memory = ShmemInitStruct(kName, sizeof(Counters), &found);
    if (!found) new (memory) Counters();
    counters = static_cast<Counters *>(memory);
}

const char *name(Read read) {
    switch (read) {
        case Read::Hit:
            return "hit";
        case Read::Stale:
            return "stale";
        case Read::Miss:
            break;
    }
    return "miss";
}

void count_read(std::string_view key, Read read) noexcept {
    const int provider = shared::provider_index(key.substr(0, key.find(':')));
    if (provider < 0) return;
    add(counters->providers[provider].reads[static_cast<int>(read)]);
}

void count_fetch(std::string_view provider, Outcome outcome, double seconds) noexcept {
    const int p = shared::provider_index(provider);
    const int o = static_cast<int>(outcome);
    if (p < 0 || o < 0 || o >= kOutcomes) return;
    ProviderCounters &c = counters->providers[p];
    add(c.fetches[o]);
    if (seconds < 0) return;
    // The count first: a scrape that sees a bucket's observation sees it counted (a histogram's
    // buckets never exceed its count).
    add(c.observed);
    add(c.duration_us, static_cast<std::uint64_t>(seconds * 1e6 + 0.5));
    for (std::size_t b = 0; b < kBuckets.size(); ++b)
        if (seconds <= kBuckets[b]) {
            add(c.buckets[b]);
            break;
        }
}

Snapshot snapshot() noexcept {
    Snapshot s{};
    for (int p = 0; p < shared::kProviders; ++p) {
        const ProviderCounters &c = counters->providers[p];
        // The buckets before the count: the count read after them is never behind them.
        for (std::size_t b = 0; b < kBuckets.size(); ++b)
            s.buckets[p][b] = c.buckets[b].load(std::memory_order_acquire);
        s.observed[p] = c.observed.load(std::memory_order_acquire);
        s.duration_us[p] = c.duration_us.load(std::memory_order_acquire);
        for (int r = 0; r < kReads; ++r) s.reads[p][r] = c.reads[r].load(std::memory_order_relaxed);
        for (int o = 0; o < kOutcomes; ++o)
            s.fetches[p][o] = c.fetches[o].load(std::memory_order_relaxed);
    }
    return s;
}

}  // namespace tako::pg::metrics
