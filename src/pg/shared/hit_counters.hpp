// Hit counters of tako_get_cached / tako_discover, in shared memory: one slot per (database, key),
// counted with one compare-and-swap, never a row written and never a lock taken on a hit.
// tako_flush_hits() adds them to discovery_cache; a flushed slot is freed at its commit, and a slot
// left unflushed for an hour is reclaimed when a new key needs room, so the number of distinct keys
// ever read does not matter. A hit that finds no slot (the table full of keys read in the last
// hour, or tako_cache not preloaded) is not counted: it is counted as skipped, and the stats say
// so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tako::pg::hits {

// Shared memory this module asks for, and its LWLock tranche (shmem_request_hook).
std::size_t shmem_size();
void request_lwlocks();
// Attaches to (and on first call initialises) the slots (shmem_startup_hook, under
// AddinShmemInitLock).
void init_shmem(void *memory, bool found);

// Counts one hit of `key` in `database`. Never fails and never blocks on a caller's lock.
void count(std::uint32_t database, std::string_view key, std::int64_t now_us) noexcept;

// The hits of `database` not yet flushed. `generation` identifies the slot's tenant: a slot freed
// and given to another key since has another one.
struct Pending {
    int slot;
    std::uint32_t generation;
    std::string key;
    std::uint64_t hits;
    std::int64_t last_us;
};
std::vector<Pending> pending(std::uint32_t database);

// Frees every slot of a database being dropped (its unflushed hits are counted as dropped), so
// that the keys of a dropped database do not hold slots for an hour.
void forget_database(std::uint32_t database) noexcept;

// Subtracts hits a committed flush wrote to the table, and frees the slot when none are left.
void flushed(int slot, std::uint32_t generation, std::uint64_t hits) noexcept;

struct Stats {
    bool shared = false;         // counted in shared memory (tako_cache preloaded)
    std::int64_t slots = 0;      // slots in all
    std::int64_t used = 0;       // slots holding a key
    std::int64_t skipped = 0;    // hits not counted: no slot (since start; this session's when
                                 // not preloaded)
    std::int64_t dropped = 0;    // hits of slots reclaimed before they were flushed
    std::int64_t reclaimed = 0;  // slots reclaimed by age
};
Stats stats();

// Test-only: the number of slots, so that tests can fill them.
int slot_count();

}  // namespace tako::pg::hits
