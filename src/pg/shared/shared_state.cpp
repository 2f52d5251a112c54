#include "pg/shared/shared_state.hpp"

#include <chrono>

#include "pg/shared/budgets.hpp"
#include "pg/shared/hit_counters.hpp"
#include "pg/shared/key_failures.hpp"
#include "pg/shared/metrics.hpp"
#include "pg/shared/provider_state.hpp"
#include "pg/shared/refresh_queue.hpp"

#include "pg/error_boundary.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
}

namespace tako::pg::shared {

namespace {

bool shared_memory = false;

shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

// Every part's memory and LWLock tranche.
void request_shmem() {
    if (previous_request_hook) previous_request_hook();
    request_provider_state();
    request_budgets();
    request_key_failures();
    RequestAddinShmemSpace(queue::shmem_size());
    queue::request_lwlocks();
    RequestAddinShmemSpace(hits::shmem_size());
    hits::request_lwlocks();
    metrics::request();
}

void startup_shmem() {
    if (previous_startup_hook) previous_startup_hook();
    bool found = false;
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    attach_provider_state();
    attach_budgets();
    attach_key_failures();
    void *q = ShmemInitStruct("tako_cache refresh queue", queue::shmem_size(), &found);
    queue::init_shmem(q, found);
    void *h = ShmemInitStruct("tako_cache hit counters", hits::shmem_size(), &found);
    hits::init_shmem(h, found);
    metrics::attach();
    LWLockRelease(AddinShmemInitLock);
    shared_memory = true;
}

constexpr const char *kProviderNames[kProviders] = {"tmdb", "jikan",  "rawg",
                                                    "igdb", "deezer", "itunes"};

}  // namespace

int provider_index(std::string_view provider) {
    for (int i = 0; i < kProviders; ++i)
        if (provider == kProviderNames[i]) return i;
    return -1;
}

const char *provider_name(int provider) {
    return kProviderNames[provider];
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

std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace tako::pg::shared
