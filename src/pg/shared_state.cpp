#include "pg/shared_state.hpp"

#include <cstring>

#include "pg/error_boundary.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
}

namespace tako::pg::shared {

namespace {

struct State {
    slock_t mutex{};
    RateLimitState limits[kProviders];
    char igdb_token[512]{};
    std::int64_t igdb_token_expires_unix_ms = 0;
};

State local_state;           // used when not preloaded
State *state = nullptr;      // shared memory, or &local_state
bool shared_memory = false;

shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

void request_shmem() {
    if (previous_request_hook) previous_request_hook();
    RequestAddinShmemSpace(sizeof(State));
}

void startup_shmem() {
    if (previous_startup_hook) previous_startup_hook();
    bool found = false;
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    auto *s = static_cast<State *>(ShmemInitStruct("tako_cache shared state", sizeof(State), &found));
    if (!found) {
        *s = State{};
        SpinLockInit(&s->mutex);
    }
    LWLockRelease(AddinShmemInitLock);
    state = s;
    shared_memory = true;
}

State &current() {
    if (!state) {
        local_state = State{};
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

constexpr const char *kProviderNames[kProviders] = {"tmdb", "jikan", "rawg", "igdb", "deezer", "itunes"};

}  // namespace

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

bool is_shared() { return shared_memory; }

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
        if (s.igdb_token_expires_unix_ms > now_unix_ms) std::memcpy(copy, s.igdb_token, sizeof copy);
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

void forget_igdb_token(const std::string &token) {
    locked([&](State &s) {
        if (token.size() < sizeof s.igdb_token && std::strncmp(s.igdb_token, token.c_str(), sizeof s.igdb_token) == 0)
            s.igdb_token_expires_unix_ms = 0;
    });
}

}  // namespace tako::pg::shared
