#include "pg/shared/hit_counters.hpp"

#include <atomic>
#include <cstring>
#include <new>

#include "pg/postgres.hpp"

extern "C" {
#include "storage/lwlock.h"
}

namespace tako::pg::hits {

namespace {

// One slot. `tag` says whose it is: 0 free, kClaiming while it changes hands, else the hash of
// (database, key). `word` packs the tenant's generation (high 24 bits) and its unflushed hits (low
// 40 bits), so that a hit is one compare-and-swap that fails if the slot changed hands since the
// hit looked at it: a hit is never counted for another key, and never lost to a reclaim (it is
// then counted again in the slot the key moved to).
struct Slot {
    std::atomic<std::uint64_t> tag{0};
    std::atomic<std::uint64_t> word{0};
    std::atomic<std::int64_t> last_us{0};  // Unix microseconds of the latest hit
    std::uint32_t database = 0;            // written only while tag is 0 or kClaiming
    char key[256]{};
};

constexpr std::uint64_t kClaiming = ~std::uint64_t{0};
constexpr int kHitsBits = 40;
constexpr std::uint64_t kHitsMask = (std::uint64_t{1} << kHitsBits) - 1;
constexpr int kSlots = 8192;
constexpr int kProbes = 64;
constexpr std::int64_t kReclaimAfterUs = 3600LL * 1000 * 1000;  // an hour without a hit

std::uint32_t generation_of(std::uint64_t word) {
    return static_cast<std::uint32_t>(word >> kHitsBits);
}
std::uint64_t hits_of(std::uint64_t word) {
    return word & kHitsMask;
}
std::uint64_t next_generation(std::uint64_t word) {  // the next tenant's word: no hits yet
    return (static_cast<std::uint64_t>((generation_of(word) + 1) & 0xFFFFFF)) << kHitsBits;
}

// The shared table. `lock` (its own tranche) serialises the slots' changes of hands: claims,
// frees and reclaims. Hits and reads of pending counts take no lock.
struct Table {
    std::atomic<std::uint64_t> skipped{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> reclaimed{0};
    Slot slots[kSlots];
};

constexpr const char *kTranche = "tako_cache hit counters";
Table *table = nullptr;
LWLock *lock = nullptr;
std::uint64_t skipped_here = 0;  // without preloading: this session's

std::uint64_t tag_of(std::uint32_t database, std::string_view key) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over the database id and the key
    for (int i = 0; i < 4; ++i) h = (h ^ ((database >> (8 * i)) & 0xFF)) * 1099511628211ULL;
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
    return (h == 0 || h == kClaiming) ? 1 : h;
}

bool holds(const Slot &s, std::uint32_t database, std::string_view key) {
    return s.database == database && std::memcmp(s.key, key.data(), key.size()) == 0 &&
           s.key[key.size()] == '\0';
}

enum class Added { Yes, NotHere, Moved };

// One hit in slot `s` if it is the key's: the word is read before the tag is checked, so the
// compare-and-swap fails if the slot changed hands in between.
Added add(Slot &s, std::uint64_t tag, std::uint32_t database, std::string_view key,
          std::int64_t now_us) {
    std::uint64_t word = s.word.load();
    if (s.tag.load() != tag || !holds(s, database, key)) return Added::NotHere;
    while (hits_of(word) < kHitsMask) {
        if (s.word.compare_exchange_weak(word, word + 1)) {
            s.last_us.store(now_us, std::memory_order_relaxed);
            return Added::Yes;
        }
        if (s.tag.load() != tag) return Added::Moved;
    }
    return Added::Yes;  // 2^40 unflushed hits: the counter saturates
}

// Under `lock`: gives slot `s` to a new tenant.
void hand_over(Slot &s, std::uint64_t tag, std::uint32_t database, std::string_view key,
               std::int64_t now_us) {
    s.tag.store(kClaiming);
    const std::uint64_t old = s.word.load();
    s.word.store(next_generation(old));
    s.database = database;
    std::memcpy(s.key, key.data(), key.size());
    s.key[key.size()] = '\0';
    s.last_us.store(now_us);
    s.tag.store(tag);
}

}  // namespace

std::size_t shmem_size() {
    return sizeof(Table);
}

void request_lwlocks() {
    RequestNamedLWLockTranche(kTranche, 1);
}

void init_shmem(void *memory, bool found) {
    auto *t = static_cast<Table *>(memory);
    if (!found) new (t) Table();
    lock = &GetNamedLWLockTranche(kTranche)[0].lock;
    table = t;
}

void count(std::uint32_t database, std::string_view key, std::int64_t now_us) noexcept {
    if (!table) {
        ++skipped_here;
        return;
    }
    if (key.size() >= sizeof(Slot::key)) {
        table->skipped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const std::uint64_t tag = tag_of(database, key);
    for (int attempt = 0; attempt < 4; ++attempt) {
        // Lock-free: the key's slot, wherever it is among its probes.
        bool moved = false;
        for (int probe = 0; probe < kProbes && !moved; ++probe) {
            Slot &s = table->slots[(tag + probe) % kSlots];
            switch (add(s, tag, database, key, now_us)) {
                case Added::Yes:
                    return;
                case Added::Moved:
                    moved = true;
                    break;
                case Added::NotHere:
                    break;
            }
        }
        if (moved) continue;
        // A key without a slot: claim one under the lock (once per key and flush), looking again
        // first (another backend may have claimed it meanwhile). A free slot, else the one idle
        // for longest if it has been idle for an hour (its unflushed hits are dropped, and said).
        LWLockAcquire(lock, LW_EXCLUSIVE);
        Slot *found = nullptr, *free_slot = nullptr, *idle = nullptr;
        for (int probe = 0; probe < kProbes && !found; ++probe) {
            Slot &s = table->slots[(tag + probe) % kSlots];
            const std::uint64_t t = s.tag.load();
            if (t == tag && holds(s, database, key))
                found = &s;
            else if (t == 0 && !free_slot)
                free_slot = &s;
            else if (t != 0 && s.last_us.load() < now_us - kReclaimAfterUs &&
                     (!idle || s.last_us.load() < idle->last_us.load()))
                idle = &s;
        }
        if (!found && free_slot) {
            hand_over(*free_slot, tag, database, key, now_us);
            found = free_slot;
        } else if (!found && idle) {
            table->dropped.fetch_add(hits_of(idle->word.load()), std::memory_order_relaxed);
            table->reclaimed.fetch_add(1, std::memory_order_relaxed);
            hand_over(*idle, tag, database, key, now_us);
            found = idle;
        }
        LWLockRelease(lock);
        if (!found) break;
    }
    table->skipped.fetch_add(1, std::memory_order_relaxed);
}

std::vector<Pending> pending(std::uint32_t database) {
    std::vector<Pending> out;
    if (!table) return out;
    for (int i = 0; i < kSlots; ++i) {
        Slot &s = table->slots[i];
        const std::uint64_t tag = s.tag.load();
        if (tag == 0 || tag == kClaiming || s.database != database) continue;
        const std::uint64_t word = s.word.load();
        char key[sizeof s.key];
        std::memcpy(key, s.key, sizeof key);
        key[sizeof key - 1] = '\0';
        const std::int64_t last = s.last_us.load();
        // A slot that changed hands while it was copied is left to the next look.
        if (s.tag.load() != tag || generation_of(s.word.load()) != generation_of(word)) continue;
        if (hits_of(word) == 0) continue;
        out.push_back(Pending{i, generation_of(word), key, hits_of(word), last});
    }
    return out;
}

void flushed(int slot, std::uint32_t generation, std::uint64_t hits) noexcept {
    if (!table || slot < 0 || slot >= kSlots) return;
    Slot &s = table->slots[slot];
    std::uint64_t word = s.word.load();
    do {
        // Reclaimed since the flush took it: those hits were counted as dropped; nothing to do.
        if (generation_of(word) != generation) return;
    } while (!s.word.compare_exchange_weak(word, word - std::min(hits_of(word), hits)));
    // Free the slot if nothing was hit since: under the lock, the slot first marked as changing
    // hands, so that a hit racing with the free fails its compare-and-swap and claims afresh.
    LWLockAcquire(lock, LW_EXCLUSIVE);
    const std::uint64_t tag = s.tag.load();
    if (tag != 0 && tag != kClaiming) {
        std::uint64_t now = s.word.load();
        s.tag.store(kClaiming);
        if (generation_of(now) == generation && hits_of(now) == 0 &&
            s.word.compare_exchange_strong(now, next_generation(now)))
            s.tag.store(0);
        else
            s.tag.store(tag);
    }
    LWLockRelease(lock);
}

void forget_database(std::uint32_t database) noexcept {
    if (!table) return;
    LWLockAcquire(lock, LW_EXCLUSIVE);
    for (Slot &s : table->slots) {
        const std::uint64_t tag = s.tag.load();
        if (tag == 0 || tag == kClaiming || s.database != database) continue;
        s.tag.store(kClaiming);  // a racing hit fails its compare-and-swap and claims afresh
        const std::uint64_t word = s.word.exchange(next_generation(s.word.load()));
        table->dropped.fetch_add(hits_of(word), std::memory_order_relaxed);
        s.tag.store(0);
    }
    LWLockRelease(lock);
}

Stats stats() {
    Stats out;
    out.shared = table != nullptr;
    if (!table) {
        out.skipped = static_cast<std::int64_t>(skipped_here);
        return out;
    }
    out.slots = kSlots;
    for (const Slot &s : table->slots) {
        const std::uint64_t tag = s.tag.load(std::memory_order_relaxed);
        if (tag != 0) ++out.used;
    }
    out.skipped = static_cast<std::int64_t>(table->skipped.load());
    out.dropped = static_cast<std::int64_t>(table->dropped.load());
    out.reclaimed = static_cast<std::int64_t>(table->reclaimed.load());
    return out;
}

int slot_count() {
    return kSlots;
}

}  // namespace tako::pg::hits
