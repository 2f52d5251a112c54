#include "pg/shared_state.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <new>

#include "pg/error_boundary.hpp"
#include "pg/hit_counters.hpp"
#include "pg/refresh_queue.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
}

namespace tako::pg::shared {

namespace {

// One remembered failure; a small table where a key's slot is its hash (a collision just
// forgets the older failure: the cost is one more upstream request).
struct FailureSlot {
    char key[256];
    std::int64_t failed_ms;
    int outcome;
    char error[240];
};
constexpr int kFailureSlots = 512;

struct State {
    slock_t mutex{};
    RateLimitState limits[kProviders];
    char igdb_token[512]{};
    std::int64_t igdb_token_expires_unix_ms = 0;
    ProviderHealth health[kProviders];
    char last_error[kProviders][256]{};
    FailureSlot failures[kFailureSlots]{};
    HourlyCount new_keys[kProviders];
    bool usage_loaded = false;
};

State local_state;       // used when not preloaded
State *state = nullptr;  // shared memory, or &local_state
bool shared_memory = false;

shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

void request_shmem() {
    if (previous_request_hook) previous_request_hook();
    RequestAddinShmemSpace(sizeof(State));
    RequestAddinShmemSpace(queue::shmem_size());
    RequestAddinShmemSpace(hits::shmem_size());
    hits::request_lwlocks();
    queue::request_lwlocks();
}

void startup_shmem() {
    if (previous_startup_hook) previous_startup_hook();
    bool found = false;
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    auto *s =
        static_cast<State *>(ShmemInitStruct("tako_cache shared state", sizeof(State), &found));
    if (!found) {
        new (s) State();
        SpinLockInit(&s->mutex);
    }
    void *q = ShmemInitStruct("tako_cache refresh queue", queue::shmem_size(), &found);
    queue::init_shmem(q, found);
    void *h = ShmemInitStruct("tako_cache hit counters", hits::shmem_size(), &found);
    hits::init_shmem(h, found);
    LWLockRelease(AddinShmemInitLock);
    state = s;
    shared_memory = true;
}

State &current() {
    if (!state) {
        SpinLockInit(&local_state.mutex);
        state = &local_state;
    }
    return *state;
}

// Runs `fn` (plain arithmetic and copies: it cannot throw or ereport) under the spinlock.
template <typename Fn>
void locked(Fn &&fn) {
    State &s = current();
    SpinLockAcquire(&s.mutex);
    fn(s);
    SpinLockRelease(&s.mutex);
}

}  // namespace

constexpr const char *kProviderNames[kProviders] = {"tmdb", "jikan",  "rawg",
                                                    "igdb", "deezer", "itunes"};

int provider_index(std::string_view provider) {
    for (int i = 0; i < kProviders; ++i)
        if (provider == kProviderNames[i]) return i;
    return -1;
}

void install_hooks() {
    previous_request_hook = shmem_request_hook;
    shmem_request_hook = [] { invoke_void(request_shmem); };
    previous_startup_hook = shmem_startup_hook;
    shmem_startup_hook = [] { invoke_void(startup_shmem); };
}

bool is_shared() {
    return shared_memory;
}

std::int64_t reserve_slot(int provider, const RateLimit &limit, std::int64_t earliest_us) {
    std::int64_t start = earliest_us;
    locked([&](State &s) { start = tako::reserve_slot(s.limits[provider], limit, earliest_us); });
    return start;
}

void hold_until(int provider, std::int64_t until_us) {
    locked([&](State &s) { tako::hold_until(s.limits[provider], until_us); });
}

std::string igdb_token(std::int64_t now_unix_ms) {
    char copy[sizeof(State::igdb_token)] = {0};
    locked([&](State &s) {
        if (s.igdb_token_expires_unix_ms > now_unix_ms)
            std::memcpy(copy, s.igdb_token, sizeof copy);
    });
    copy[sizeof copy - 1] = '\0';
    return copy;
}

void store_igdb_token(const std::string &token, std::int64_t expires_unix_ms) {
    if (token.size() >= sizeof(State::igdb_token)) return;  // not cached; fetched again next time
    locked([&](State &s) {
        std::memset(s.igdb_token, 0, sizeof s.igdb_token);
        std::memcpy(s.igdb_token, token.data(), token.size());
        s.igdb_token_expires_unix_ms = expires_unix_ms;
    });
}

const char *provider_name(int provider) {
    return kProviderNames[provider];
}

bool take_request(int provider, const DailyBudget &budget, bool read_through, std::int64_t now_ms) {
    bool taken = false;
    locked([&](State &s) {
        taken = tako::take_request(s.health[provider], budget, read_through, now_ms);
    });
    return taken;
}

void restore_requests(int provider, std::int64_t requests, std::int64_t now_ms) {
    locked([&](State &s) { tako::restore_requests(s.health[provider], requests, now_ms); });
}

bool first_usage_load() {
    bool first = false;
    locked([&](State &s) {
        first = !s.usage_loaded;
        s.usage_loaded = true;
    });
    return first;
}

std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool take_new_key(int provider, std::int64_t limit, std::int64_t now_ms) {
    bool taken = false;
    locked([&](State &s) { taken = take_one(s.new_keys[provider], limit, now_ms); });
    return taken;
}

void give_back_new_key(int provider, std::int64_t taken_ms) {
    locked([&](State &s) { give_back_one(s.new_keys[provider], taken_ms); });
}

std::int64_t new_keys_this_hour(int provider, std::int64_t now_ms) {
    std::int64_t n = 0;
    locked([&](State &s) { n = taken_this_hour(s.new_keys[provider], now_ms); });
    return n;
}

bool record_outcome(int provider, Outcome outcome, const std::string &error, std::int64_t now_ms,
                    const BreakerPolicy &policy) {
    // Cut on a UTF-8 boundary before taking the lock: only a copy happens under it.
    char text[sizeof(State::last_error[0])] = {0};
    std::size_t len = std::min(error.size(), sizeof text - 1);
    while (len > 0 && len < error.size() && (static_cast<unsigned char>(error[len]) & 0xC0) == 0x80)
        --len;
    std::memcpy(text, error.data(), len);
    bool opened = false;
    locked([&](State &s) {
        opened = tako::record_outcome(s.health[provider], outcome, now_ms, policy);
        if (outcome != Outcome::Ok && outcome != Outcome::CircuitOpen &&
            outcome != Outcome::NotConfigured && outcome != Outcome::QuotaExhausted)
            std::memcpy(s.last_error[provider], text, sizeof text);
    });
    return opened;
}

HealthSnapshot health(int provider) {
    HealthSnapshot snapshot;
    char text[sizeof(State::last_error[0])] = {0};
    locked([&](State &s) {
        snapshot.health = s.health[provider];
        std::memcpy(text, s.last_error[provider], sizeof text);
    });
    text[sizeof text - 1] = '\0';
    snapshot.last_error = text;
    return snapshot;
}

namespace {

int failure_slot(const std::string &key) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
    return static_cast<int>(h % kFailureSlots);
}

void copy_cut(char *out, std::size_t size, const std::string &text) {
    std::size_t len = std::min(text.size(), size - 1);
    while (len > 0 && len < text.size() && (static_cast<unsigned char>(text[len]) & 0xC0) == 0x80)
        --len;
    std::memcpy(out, text.data(), len);
    out[len] = '\0';
}

}  // namespace

void remember_failure(const std::string &key, Outcome outcome, const std::string &error,
                      std::int64_t now_ms) {
    if (key.size() >= sizeof(FailureSlot::key)) return;
    FailureSlot slot{};
    copy_cut(slot.key, sizeof slot.key, key);
    copy_cut(slot.error, sizeof slot.error, error);
    slot.failed_ms = now_ms;
    slot.outcome = static_cast<int>(outcome);
    int index = failure_slot(key);
    locked([&](State &s) { s.failures[index] = slot; });
}

void forget_failure(const std::string &key) {
    int index = failure_slot(key);
    locked([&](State &s) {
        if (std::strncmp(s.failures[index].key, key.c_str(), sizeof s.failures[index].key) == 0)
            s.failures[index].failed_ms = 0;
    });
}

std::optional<KeyFailure> recent_failure(const std::string &key, std::int64_t since_ms) {
    FailureSlot slot{};
    int index = failure_slot(key);
    locked([&](State &s) { slot = s.failures[index]; });
    slot.key[sizeof slot.key - 1] = '\0';
    slot.error[sizeof slot.error - 1] = '\0';
    if (slot.failed_ms == 0 || slot.failed_ms < since_ms || key != slot.key) return std::nullopt;
    return KeyFailure{static_cast<Outcome>(slot.outcome), slot.error, slot.failed_ms};
}

void forget_igdb_token(const std::string &token) {
    locked([&](State &s) {
        if (token.size() < sizeof s.igdb_token &&
            std::strncmp(s.igdb_token, token.c_str(), sizeof s.igdb_token) == 0)
            s.igdb_token_expires_unix_ms = 0;
    });
}

}  // namespace tako::pg::shared
