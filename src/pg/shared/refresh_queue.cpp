#include "pg/shared/refresh_queue.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <utility>

#include "core/queue/slot_choice.hpp"
#include "core/text_cut.hpp"
#include "pg/error_boundary.hpp"

extern "C" {
#include <signal.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace tako::pg::queue {

namespace {

struct Slot {
    SlotState state = SlotState::Free;
    Reason reason = Reason::Queued;
    Oid database = InvalidOid;
    std::uint64_t serial = 0;  // new for every request that starts the slot afresh
    std::int64_t queued_us = 0;
    std::int64_t done_us = 0;  // when it became Done: its result is kept a while for its waiters
    char key[256] = {0};
    // The last refresh's result (state Done), for the sessions waiting on it.
    bool ok = false;
    char outcome[32] = {0};
    char sqlstate[6] = {0};
    char error[512] = {0};
    int http_status = 0, items = -1, attempts = 0;
    std::int64_t duration_ms = 0;
};
constexpr int kSlots = 1024;
// Longer than the worker's restart interval (refresh_worker.cpp).
constexpr int kWorkerGoneMs = 15000;
// A finished request's result stays in its slot this long before the slot may serve another key:
// its waiters (woken at once, or within a second) read it long before.
constexpr std::int64_t kKeepResultUs = 60LL * 1000 * 1000;

// The queue. `lock` (an LWLock of its own tranche, "tako_cache refresh queue") protects every
// field and slot: the worker's identity, the slots' states, keys and results, the counters. It is
// held for scans of the slots (1,024, no allocation), never across a wait or an upstream request.
// `done` wakes the sessions waiting for results.
struct Queue {
    ConditionVariable done{};  // broadcast at every finished refresh
    std::uint64_t next_serial = 0;
    int worker_pid = 0;
    Oid worker_database = InvalidOid;
    Latch *worker_latch = nullptr;
    std::uint64_t worker_settings = 0;
    std::int64_t worker_started_us = 0;
    std::uint64_t worker_starts = 0;
    std::uint64_t done_count = 0, failed_count = 0, refused_count = 0;
    std::int64_t last_run_us = 0;
    char last_key[256] = {0};
    char last_outcome[32] = {0};
    char dropped_database[NAMEDATALEN] = {0};  // the worker's database, when it was dropped
    Slot slots[kSlots];
};

Queue *queue = nullptr;  // shared memory only: without preloading there is no worker
LWLock *lock = nullptr;
constexpr const char *kTranche = "tako_cache refresh queue";

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

template <typename Fn>
void locked(Fn &&fn, LWLockMode mode = LW_EXCLUSIVE) {
    LWLockAcquire(lock, mode);
    fn(*queue);
    LWLockRelease(lock);
}

// The slot of `key` (core/queue/slot_choice.hpp: its own, else a free one, else the oldest Done
// one whose result has been kept long enough for its waiters); -1 if full.
int find_slot(Queue &q, Oid database, std::string_view key, std::int64_t now) {
    auto view = [&q](std::size_t i) {
        const Slot &s = q.slots[i];
        return SlotView{s.state, s.database, std::string_view(s.key), s.done_us};
    };
    return choose_slot(kSlots, view, database, key, now, kKeepResultUs);
}

// Keys this transaction asked for, queued when it commits.
std::vector<std::pair<std::string, Reason>> at_commit;

void on_transaction_end(XactEvent event, void *) {
    if (event == XACT_EVENT_COMMIT && !at_commit.empty()) {
        // Every key first, then one wake-up: the worker takes them in one batch.
        for (const auto &[key, reason] : at_commit)
            enqueue_now(MyDatabaseId, key, reason, nullptr, false);
        at_commit.clear();
        wake_worker();
    } else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
               event == XACT_EVENT_PREPARE) {
        // A prepared transaction may still roll back, and commits later, maybe in another
        // session: its requests are forgotten (the next read of a stale list asks again),
        // never left for this session's next commit.
        at_commit.clear();
    }
}

}  // namespace

const char *origin_of(Reason reason) {
    switch (reason) {
        case Reason::Stale:
            return "stale";
        case Reason::Ahead:
            return "ahead";
        case Reason::Miss:
            return "miss";
        case Reason::Queued:
            return "queued";
        case Reason::Recovered:
            return "recovered";
        case Reason::Manual:
            return "manual";
        case Reason::Cron:
            return "cron";
        case Reason::Expired:
            return "expired";
    }
    return "queued";
}

bool reason_of(std::string_view origin, Reason &out) {
    for (Reason r : {Reason::Stale, Reason::Ahead, Reason::Miss, Reason::Queued, Reason::Recovered,
                     Reason::Manual, Reason::Cron, Reason::Expired})
        if (origin == origin_of(r)) {
            out = r;
            return true;
        }
    return false;
}

bool from_a_read(Reason reason) {
    return reason != Reason::Manual && reason != Reason::Cron && reason != Reason::Expired;
}

std::size_t shmem_size() {
    return sizeof(Queue);
}

void request_lwlocks() {
    RequestNamedLWLockTranche(kTranche, 1);
}

void init_shmem(void *memory, bool found) {
    auto *q = static_cast<Queue *>(memory);
    if (!found) {
        new (q) Queue();
        ConditionVariableInit(&q->done);
    }
    lock = &GetNamedLWLockTranche(kTranche)[0].lock;
    queue = q;
}

bool is_shared() {
    return queue != nullptr;
}

bool available(Oid database) {
    if (!queue || RecoveryInProgress()) return false;
    bool up = false;
    locked([&](Queue &q) { up = q.worker_pid != 0 && q.worker_database == database; }, LW_SHARED);
    return up;
}

void wake_worker() noexcept {
    if (!queue) return;
    Latch *latch = nullptr;
    locked([&](Queue &q) { latch = q.worker_latch; });
    if (latch) SetLatch(latch);
}

Queued enqueue_now(Oid database, std::string_view key, Reason reason, Ticket *ticket, bool wake,
                   bool join_only) noexcept {
    if (!queue) return Queued::NoWorker;
    if (key.size() >= sizeof(Slot::key)) return Queued::Full;
    Queued result = Queued::NoWorker;
    Latch *latch = nullptr;
    const std::int64_t now = now_us();
    locked([&](Queue &q) {
        if (q.worker_pid == 0 || q.worker_database != database) return;
        int i = find_slot(q, database, key, now);
        if (i < 0) {
            ++q.refused_count;
            result = Queued::Full;
            return;
        }
        Slot &s = q.slots[i];
        const bool queued = (s.state == SlotState::Pending || s.state == SlotState::InFlight) &&
                            s.database == database && key == s.key;
        if (queued) {
            // A read that waits is more urgent than a refresh-ahead: it keeps the slot, now Miss.
            // A refresh a session waits for is done as that session would do it, if not begun.
            if (reason == Reason::Miss && from_a_read(s.reason)) s.reason = Reason::Miss;
            if (!from_a_read(reason) && s.state == SlotState::Pending) s.reason = reason;
            result = Queued::AlreadyThere;
        } else if (join_only) {
            result = Queued::NotThere;
            return;
        } else {
            s = Slot();
            s.state = SlotState::Pending;
            s.reason = reason;
            s.database = database;
            s.serial = ++q.next_serial;
            s.queued_us = now;
            std::memcpy(s.key, key.data(), key.size());
            result = Queued::Added;
            latch = q.worker_latch;
        }
        if (ticket) *ticket = Ticket{i, s.serial};
    });
    if (wake && latch) SetLatch(latch);
    return result;
}

void request_at_commit(std::string_view key, Reason reason) {
    static bool registered = false;
    if (!registered) {
        pg_call([] { RegisterXactCallback(on_transaction_end, nullptr); });
        registered = true;
    }
    for (const auto &queued : at_commit)
        if (queued.first == key) return;
    at_commit.emplace_back(std::string(key), reason);
}

void wait_for(const Ticket &ticket, int timeout_ms, Result *out) {
    TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
    TimestampTz gone_since = 0;
    ConditionVariablePrepareToSleep(&queue->done);
    for (;;) {
        bool finished = false, gone = false, lost = false;
        LWLockAcquire(lock, LW_SHARED);
        const Slot &s = queue->slots[ticket.slot];
        if (s.serial != ticket.serial) {
            // Started afresh since (the same key asked for again, or a result kept its minute
            // and the slot went to another key): this request's result is gone. Never taken for
            // another request's: the caller fetches the list itself.
            lost = true;
        } else if (s.state == SlotState::Done) {
            finished = true;
            out->ok = s.ok;
            std::memcpy(out->outcome, s.outcome, sizeof out->outcome);
            std::memcpy(out->sqlstate, s.sqlstate, sizeof out->sqlstate);
            std::memcpy(out->error, s.error, sizeof out->error);
            out->http_status = s.http_status;
            out->items = s.items;
            out->attempts = s.attempts;
            out->duration_ms = s.duration_ms;
        } else if (queue->worker_pid == 0) {
            gone = true;
        }
        LWLockRelease(lock);
        if (finished) {
            out->state = Result::State::Done;
            break;
        }
        if (lost) {
            out->state = Result::State::WorkerGone;
            break;
        }
        // A worker that dies comes back within its restart interval and takes the key again; one
        // that stays away longer is not coming back soon: the caller fetches the list itself.
        const TimestampTz now = GetCurrentTimestamp();
        if (!gone)
            gone_since = 0;
        else if (gone_since == 0)
            gone_since = now;
        else if (TimestampDifferenceExceeds(gone_since, now, kWorkerGoneMs)) {
            out->state = Result::State::WorkerGone;
            break;
        }
        long left = TimestampDifferenceMilliseconds(now, deadline);
        if (left <= 0) {
            out->state = Result::State::TimedOut;
            break;
        }
        // Wakes at every finished refresh, and at least once a second; interrupts are served.
        ConditionVariableTimedSleep(&queue->done, std::min(left, 1000L), PG_WAIT_EXTENSION);
    }
    ConditionVariableCancelSleep();
}

void worker_attached(Oid database, int pid, Latch *latch) {
    locked([&](Queue &q) {
        q.worker_pid = pid;
        q.worker_database = database;
        q.worker_latch = latch;
        q.worker_started_us = now_us();
        ++q.worker_starts;
        q.dropped_database[0] = '\0';
    });
}

void publish_worker_settings(std::uint64_t fingerprint) noexcept {
    if (!queue) return;
    locked([&](Queue &q) { q.worker_settings = fingerprint; });
}

std::uint64_t worker_settings() noexcept {
    if (!queue) return 0;
    std::uint64_t fingerprint = 0;
    locked([&](Queue &q) { fingerprint = q.worker_settings; }, LW_SHARED);
    return fingerprint;
}

void worker_detached() noexcept {
    if (!queue) return;
    locked([&](Queue &q) {
        q.worker_pid = 0;
        q.worker_latch = nullptr;
    });
    ConditionVariableBroadcast(&queue->done);
}

void requeue_in_flight() noexcept {
    locked([&](Queue &q) {
        for (Slot &s : q.slots)
            if (s.state == SlotState::InFlight) s.state = SlotState::Pending;
    });
}

bool has_pending(Oid database) noexcept {
    bool found = false;
    locked(
        [&](Queue &q) {
            for (const Slot &s : q.slots)
                if (s.state == SlotState::Pending && s.database == database) {
                    found = true;
                    break;
                }
        },
        LW_SHARED);
    return found;
}

std::vector<Taken> take_pending(Oid database, std::size_t max) {
    std::vector<Taken> taken;
    taken.reserve(max);
    // Misses first (a session waits for them), then the oldest.
    Taken found[kSlots / 8];
    std::size_t n = 0;
    int order[kSlots];
    int count = 0;
    locked([&](Queue &q) {
        for (int i = 0; i < kSlots; ++i)
            if (q.slots[i].state == SlotState::Pending && q.slots[i].database == database)
                order[count++] = i;
        std::sort(order, order + count, [&](int a, int b) {
            const Slot &x = q.slots[a], &y = q.slots[b];
            if ((x.reason == Reason::Miss) != (y.reason == Reason::Miss))
                return x.reason == Reason::Miss;
            return x.queued_us < y.queued_us;
        });
        for (int k = 0; k < count && n < max && n < kSlots / 8; ++k) {
            Slot &s = q.slots[order[k]];
            s.state = SlotState::InFlight;
            found[n].slot = order[k];
            found[n].serial = s.serial;
            found[n].reason = s.reason;
            // The key is copied below, after the lock: nothing that can allocate (and throw)
            // runs while it is held.
            ++n;
        }
    });
    for (std::size_t k = 0; k < n; ++k) {
        Taken t = found[k];
        t.key = queue->slots[t.slot].key;  // stable: only the worker changes an in-flight slot
        taken.push_back(std::move(t));
    }
    return taken;
}

void finish(const Taken &taken, const Report &report) noexcept {
    const std::int64_t now = now_us();
    locked([&](Queue &q) {
        Slot &s = q.slots[taken.slot];
        if (s.serial != taken.serial || s.state != SlotState::InFlight) return;  // finished
        s.state = SlotState::Done;
        s.done_us = now;
        s.ok = report.ok;
        copy_cut(s.outcome, report.outcome);
        copy_cut(s.sqlstate, report.sqlstate);
        copy_cut(s.error, report.error);
        s.http_status = report.http_status;
        s.items = report.items;
        s.attempts = report.attempts;
        s.duration_ms = report.duration_ms;
        ++(report.ok ? q.done_count : q.failed_count);
        q.last_run_us = now;
        copy_cut(q.last_key, taken.key);
        copy_cut(q.last_outcome, report.outcome);
    });
    ConditionVariableBroadcast(&queue->done);
}

void finish(const Taken &taken, bool ok, std::string_view outcome, std::string_view sqlstate,
            std::string_view error) noexcept {
    Report report;
    report.ok = ok;
    report.outcome = outcome;
    report.sqlstate = sqlstate;
    report.error = error;
    finish(taken, report);
}

int drop_pending(Oid database) noexcept {
    int dropped = 0;
    const std::int64_t now = now_us();
    locked([&](Queue &q) {
        for (Slot &s : q.slots)
            if (s.state == SlotState::Pending && s.database == database) {
                s.state = SlotState::Done;
                s.done_us = now;
                s.ok = false;
                copy_cut(s.outcome, "not_refreshed");
                copy_cut(s.sqlstate, "55000");
                copy_cut(s.error, "the refresh worker cannot refresh lists now");
                ++dropped;
            }
    });
    if (dropped) ConditionVariableBroadcast(&queue->done);
    return dropped;
}

void stop_worker_of(Oid database, const char *name) noexcept {
    if (!queue) return;
    int pid = 0;
    locked([&](Queue &q) {
        if (q.worker_database != database) return;
        pid = q.worker_pid;
        copy_cut(q.dropped_database, name ? name : "");
    });
    if (pid != 0) kill(pid, SIGTERM);
}

bool worker_database_dropped(const char *name) noexcept {
    if (!queue) return false;
    bool dropped = false;
    locked([&](Queue &q) { dropped = std::strcmp(q.dropped_database, name) == 0; }, LW_SHARED);
    return dropped;
}

Stats stats() {
    Stats out;
    if (!queue) return out;
    char last_key[256], last_outcome[32];
    locked(
        [&](Queue &q) {
            out.worker_pid = q.worker_pid;
            out.database = q.worker_database;
            out.worker_started_us = q.worker_started_us;
            out.worker_starts = q.worker_starts;
            for (const Slot &s : q.slots) {
                if (s.state == SlotState::Pending) ++out.pending;
                if (s.state == SlotState::InFlight) ++out.in_flight;
            }
            out.done = q.done_count;
            out.failed = q.failed_count;
            out.refused = q.refused_count;
            out.last_run_us = q.last_run_us;
            std::memcpy(last_key, q.last_key, sizeof last_key);
            std::memcpy(last_outcome, q.last_outcome, sizeof last_outcome);
        },
        LW_SHARED);
    out.last_key = last_key;
    out.last_outcome = last_outcome;
    return out;
}

}  // namespace tako::pg::queue
