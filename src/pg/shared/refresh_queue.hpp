// The refresh queue: the keys the refresh worker (refresh_worker.cpp) is asked to refresh, in
// shared memory, one slot per key (a key asked for twice is queued once), bounded (a full queue
// refuses: the caller keeps what it has). Backends queue a key when their transaction commits
// (request_at_commit) and wake the worker through its latch; a read that has nothing to serve
// queues at once and waits for the worker's result (enqueue_now + wait_for).
//
// The queue is not durable: a crash-restart of the server empties it. What the worker has taken
// is durable (it writes a 'running' refresh-log row first and re-queues those of a dead worker);
// what was only queued is queued again by the next read of the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pg/postgres.hpp"

struct Latch;

namespace tako::pg::queue {

// Why a key is queued; also the refresh log's origin of its refresh. The first five come from
// reads (tako_queue_refresh, tako_discover): they spend read-through's share of a provider's
// budget and skip a key that failed less than a minute ago. Manual, Cron and Expired are the
// refreshes a session asks and waits for (tako_refresh*, the pg_cron jobs), as they would do them
// themselves: Manual asks a provider the circuit breaker paused, Cron and Expired do not.
enum class Reason : std::uint8_t {
    Stale = 1,
    Ahead,
    Miss,
    Queued,
    Recovered,
    Manual,
    Cron,
    Expired
};
const char *origin_of(Reason reason);
bool reason_of(std::string_view origin, Reason &out);
bool from_a_read(Reason reason);

std::size_t shmem_size();
void request_lwlocks();  // its LWLock tranche (shmem_request_hook)
void init_shmem(void *memory, bool found);
// True once the queue lives in shared memory (tako_cache preloaded).
bool is_shared();

// The worker serves `database`, is running, and the server is not in recovery.
bool available(Oid database);

enum class Queued { Added, AlreadyThere, NotThere, Full, NoWorker };
struct Ticket {
    int slot = -1;
    std::uint64_t serial = 0;
};
// Queues `key` now (Miss: the caller waits for it). Never throws or raises. The ticket's result is
// the result of that key's request only: a waiter never reads another request's.
// `wake`: set the worker's latch (false: the caller wakes it once after queueing several keys).
// `join_only`: only wait for a request of the key already queued or in flight (NotThere if none).
Queued enqueue_now(Oid database, std::string_view key, Reason reason, Ticket *ticket,
                   bool wake = true, bool join_only = false) noexcept;
void wake_worker() noexcept;

// Queues `key` when the current transaction commits (forgotten if it aborts).
void request_at_commit(std::string_view key, Reason reason);

// What the worker reported for a ticket.
struct Result {
    // WorkerGone: the worker went away, or the request's slot was started afresh before its
    // result was read; either way the caller fetches the list itself.
    enum class State { Done, WorkerGone, TimedOut } state = State::TimedOut;
    bool ok = false;
    char outcome[32] = {0};
    char sqlstate[6] = {0};
    char error[512] = {0};
    int http_status = 0;  // 0: no answer
    int items = -1;       // -1: nothing saved
    int attempts = 0;
    std::int64_t duration_ms = 0;
};
// PostgreSQL only (run it under pg_call): waits for the ticket's refresh, interruptibly.
void wait_for(const Ticket &ticket, int timeout_ms, Result *out);

// The worker's side.
void worker_attached(Oid database, int pid, Latch *latch);
// The fingerprint of the settings the worker fetches with (settings::fetch_fingerprint), published
// when it starts and at each reload: a session whose own differ fetches what it waits for itself.
void publish_worker_settings(std::uint64_t fingerprint) noexcept;
std::uint64_t worker_settings() noexcept;
void worker_detached() noexcept;
// Every slot the previous worker had taken and not finished goes back to pending.
void requeue_in_flight() noexcept;
struct Taken {
    int slot;
    std::uint64_t serial;
    std::string key;
    Reason reason;
};
bool has_pending(Oid database) noexcept;
std::vector<Taken> take_pending(Oid database, std::size_t max);
// What came of a key's refresh (tako_apply_fetched's result), for its waiters.
struct Report {
    bool ok = false;
    std::string_view outcome, sqlstate, error;
    int http_status = 0, items = -1, attempts = 0;
    std::int64_t duration_ms = 0;
};
void finish(const Taken &taken, const Report &report) noexcept;
void finish(const Taken &taken, bool ok, std::string_view outcome, std::string_view sqlstate,
            std::string_view error) noexcept;
// Forgets every pending key (a worker that cannot serve them: standby, no extension).
int drop_pending(Oid database) noexcept;
// Signals the worker to exit when `database` (its own) is being dropped, and remembers its name:
// a worker that starts while a database of that name was dropped lately waits before connecting
// (worker_database_dropped), instead of failing every few seconds.
void stop_worker_of(Oid database, const char *name) noexcept;
bool worker_database_dropped(const char *name) noexcept;

struct Stats {
    int worker_pid = 0;
    Oid database = InvalidOid;
    std::int64_t worker_started_us = 0;
    int pending = 0, in_flight = 0;
    std::uint64_t done = 0, failed = 0, refused = 0, worker_starts = 0;
    std::int64_t last_run_us = 0;
    std::string last_key, last_outcome;
};
Stats stats();

}  // namespace tako::pg::queue
