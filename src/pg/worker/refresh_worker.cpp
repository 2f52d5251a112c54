// The refresh worker: one background worker per cluster, connected to tako_cache.database_name,
// that refreshes the keys of the refresh queue (refresh_queue.hpp) with the same fetch engine as
// tako_refresh_keys, outside every reader's transaction.
//
// A batch is three steps: a short transaction writes a 'running' refresh-log row per key (so an
// interrupted refresh is on record, and found again after a crash); the fetch runs in no
// transaction at all (it holds no lock: DROP EXTENSION and everything else go on meanwhile); then
// each list is saved (or its failure recorded) and its log row finished in a short transaction of
// its own, so that a failed save loses no other list.
// The worker sleeps on its latch: backends set it when they queue a key.
//
// It is never in the way of DROP DATABASE: the backend that drops the worker's database signals
// it to exit first (object access hook), and the postmaster restarts it later. On a hot standby it
// does not run at all (it starts when recovery ends).
#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/fetch/fetch.hpp"
#include "core/key.hpp"
#include "core/read/read_policy.hpp"
#include "pg/catalog/pictures.hpp"
#include "pg/datum.hpp"
#include "pg/fetch_environment.hpp"
#include "pg/settings.hpp"
#include "pg/shared/hit_counters.hpp"
#include "pg/shared/key_failures.hpp"
#include "pg/shared/refresh_queue.hpp"
#include "pg/worker/refresh_worker.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"
}

namespace tako::pg::worker {

namespace {

// Keys fetched together (concurrently, under the rate limits); fewer when their responses could
// take more than tako_cache.worker_fetch_memory.
constexpr std::size_t kBatch = 64;
constexpr int kRestartSeconds = 5;

object_access_hook_type previous_object_access = nullptr;

void on_object_access(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void *arg) {
    if (previous_object_access) previous_object_access(access, class_id, object_id, sub_id, arg);
    // DROP DATABASE waits (5 s, then fails) for every session in the database, the worker too:
    // the worker leaves at once. The postmaster starts it again a few seconds later (it then
    // waits for the DROP to end, and fails to start while its database does not exist).
    // Its hit counters go with it, rather than holding their slots for an hour.
    if (access == OAT_DROP && class_id == DatabaseRelationId) {
        queue::stop_worker_of(object_id, get_database_name(object_id));
        hits::forget_database(object_id);
    }
}

void detach(int, Datum) {
    queue::worker_detached();
}

// PostgreSQL only: the transaction of one step, with SPI and a snapshot.
void begin_step(const char *activity) {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, activity);
}

void commit_step() {
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    pgstat_report_stat(false);
    pgstat_report_activity(STATE_IDLE, nullptr);
}

// The schema of tako_cache's internal routines in this database (tako_cache from 1.9, the
// extension's own before) when it has the worker's functions; "" otherwise.
std::string extension_schema() {
    char *schema = nullptr;
    pg_call([&] {
        SPI_execute(
            "SELECT n.nspname FROM pg_catalog.pg_extension AS e "
            "JOIN pg_catalog.pg_depend AS d ON d.refobjid = e.oid AND d.deptype = 'e' "
            "AND d.refclassid = 'pg_catalog.pg_extension'::regclass "
            "AND d.classid = 'pg_catalog.pg_proc'::regclass "
            "JOIN pg_catalog.pg_proc AS p ON p.oid = d.objid AND p.proname = 'tako_worker_begin' "
            "JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace "
            "WHERE e.extname = 'tako_cache'",
            true, 1);
        if (SPI_processed == 1)
            schema = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    });
    return schema ? schema : "";
}

std::string qualified(const std::string &schema, const char *function) {
    std::string quoted;
    pg_call([&] { quoted = quote_identifier(schema.c_str()); });
    return quoted + "." + function;
}

// The keys of refreshes a previous worker left 'running' (marked interrupted now), queued again.
void recover(const std::string &schema) {
    const std::string sql =
        "SELECT cache_key, origin FROM " + qualified(schema, "tako_worker_recover") + "()";
    std::vector<std::pair<std::string, std::string>> keys;
    pg_call([&] { SPI_execute(sql.c_str(), false, 0); });
    for (uint64 i = 0; i < SPI_processed; ++i) {
        char *key = nullptr, *origin = nullptr;
        pg_call([&] {
            key = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
            origin = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
        });
        keys.emplace_back(key ? key : "", origin ? origin : "");
    }
    for (const auto &[key, origin] : keys) {
        queue::Reason reason = queue::Reason::Recovered;
        queue::reason_of(origin, reason);
        if (reason == queue::Reason::Miss) continue;  // nobody waits for it any more
        queue::enqueue_now(MyDatabaseId, key, queue::Reason::Recovered, nullptr);
    }
    if (!keys.empty())
        pg_call([&] {
            ereport(LOG, (errmsg("tako_cache refresh worker: %d interrupted refreshes queued again",
                                 static_cast<int>(keys.size()))));
        });
}

Datum text_datum(const std::string &value) {
    return text_result(value);
}

// One 'running' refresh-log row per key; returns their ids.
std::vector<std::int64_t> announce(const std::string &schema,
                                   const std::vector<queue::Taken> &batch) {
    const std::string sql = "SELECT " + qualified(schema, "tako_worker_begin") + "($1, $2)";
    std::vector<std::int64_t> ids;
    for (const queue::Taken &t : batch) {
        Datum args[2] = {text_datum(t.key), text_datum(queue::origin_of(t.reason))};
        Oid types[2] = {TEXTOID, TEXTOID};
        std::int64_t id = 0;
        pg_call([&] {
            SPI_execute_with_args(sql.c_str(), 2, types, args, nullptr, false, 1);
            bool isnull = true;
            Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
            id = isnull ? 0 : DatumGetInt64(d);
        });
        ids.push_back(id);
    }
    const std::string load = "SELECT " + qualified(schema, "tako_load_request_usage") + "()";
    pg_call([&] { SPI_execute(load.c_str(), false, 0); });
    return ids;
}

struct Applied {
    bool ok = false;
    std::string outcome, sqlstate, error;
    int http_status = 0, items = -1, attempts = 0;
    std::int64_t duration_ms = 0;

    queue::Report report() const {
        queue::Report r;
        r.ok = ok;
        r.outcome = outcome;
        r.sqlstate = sqlstate;
        r.error = error;
        r.http_status = http_status;
        r.items = items;
        r.attempts = attempts;
        r.duration_ms = duration_ms;
        return r;
    }
};

// Saves one fetched list (or records its failure) and finishes its log row: tako_apply_fetched.
Applied apply(const std::string &schema, const queue::Taken &t, std::int64_t log_id,
              const ListResult &r) {
    const bool ok = r.outcome == Outcome::Ok;
    const std::string sql = "SELECT " + qualified(schema, "tako_apply_fetched") +
                            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)::text";
    Oid types[14] = {TEXTOID, TEXTOID,        TEXTOID,        INT4OID, JSONBOID, TEXTOID, INT8OID,
                     INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TEXTOID,  INT8OID, JSONBOID};
    Datum args[14];
    char nulls[14];
    std::memset(nulls, ' ', sizeof nulls);
    args[0] = text_datum(r.key);
    args[1] = text_datum(r.provider);
    args[2] = text_datum(to_string(r.outcome));
    args[3] = Int32GetDatum(static_cast<int32>(r.http_status));
    if (r.http_status == 0) nulls[3] = 'n';
    args[4] = ok ? jsonb_result(r.items.dump()) : 0;
    if (!ok) nulls[4] = 'n';
    args[5] = ok ? 0 : text_datum(r.error);
    if (ok) nulls[5] = 'n';
    args[6] = Int64GetDatum(static_cast<int64>(r.bytes));
    args[7] = Int32GetDatum(r.attempts);
    args[8] = timestamptz_datum(r.started);
    args[9] = timestamptz_datum(r.finished);
    args[10] = ok ? 0 : text_datum(std::string(sqlstate_of(r.outcome)));
    if (ok) nulls[10] = 'n';
    args[11] = text_datum(queue::origin_of(t.reason));
    args[12] = Int64GetDatum(log_id);
    if (log_id == 0) nulls[12] = 'n';
    args[13] = ok ? jsonb_result(r.upstream.dump()) : 0;
    if (!ok) nulls[13] = 'n';
    char *text = nullptr;
    pg_call([&] {
        SPI_execute_with_args(sql.c_str(), 14, types, args, nulls, false, 1);
        text = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    });
    Applied out;
    const nlohmann::json result = nlohmann::json::parse(text ? text : "{}", nullptr, false);
    auto field = [&](const char *name) {
        return result.is_object() && result.contains(name) && result[name].is_string()
                   ? result[name].get<std::string>()
                   : std::string();
    };
    auto number = [&](const char *name, std::int64_t otherwise) {
        return result.is_object() && result.contains(name) && result[name].is_number_integer()
                   ? result[name].get<std::int64_t>()
                   : otherwise;
    };
    out.ok = field("status") == "ok";
    out.outcome = field("outcome");
    out.sqlstate = field("sqlstate");
    out.error = field("error");
    out.http_status = static_cast<int>(number("http_status", 0));
    out.items = static_cast<int>(number("items", -1));
    out.attempts = static_cast<int>(number("attempts", 0));
    out.duration_ms = number("duration_ms", 0);
    return out;
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A failed step: its transaction is rolled back with a WARNING, and the worker goes on. The keys
// the step was for (one list's save, or what is left of a batch) are finished as failed by the
// caller; their log rows stay 'running' until the next recovery marks them.
void report_failure(const char *what) {
    pg_call([&] {
        AbortCurrentTransaction();
        ereport(WARNING, (errmsg("tako_cache refresh worker: %s", what)));
    });
}

// Keys that failed a moment ago are not asked again before a minute has passed, when a read
// queued them (as tako_discover_fill does): they are finished with that failure, without a
// request. A refresh a session asks for (tako_refresh*, pg_cron) is always made.
std::vector<queue::Taken> without_recent_failures(std::vector<queue::Taken> batch) {
    std::vector<queue::Taken> kept;
    for (queue::Taken &t : batch) {
        auto failure = shared::recent_failure(t.key, unix_ms_now() - read_policy::kFailureMemoryMs);
        if (failure && queue::from_a_read(t.reason) && t.reason != queue::Reason::Miss) {
            queue::finish(t, false, to_string(failure->outcome), sqlstate_of(failure->outcome),
                          failure->error + " (failed less than a minute ago; not retried yet)");
            continue;
        }
        kept.push_back(std::move(t));
    }
    return kept;
}

// What a list may do, by why it is refreshed: a read's refresh spends read-through's share of
// the budget and skips a paused provider; one by hand asks a paused provider (as tako_refresh
// does in a session); a scheduled one does not.
ListPolicy policy_of(queue::Reason reason) {
    if (queue::from_a_read(reason)) return ListPolicy{true, true};
    return ListPolicy{reason != queue::Reason::Manual, false};
}

// One fetch of the worker: the keys taken from the queue at its start, and those taken while it
// runs (a miss is not kept waiting for a slow list). Index b: every key taken; index i: the keys
// fetched (fetch_lists' indexes), fetched[i] being their b.
struct Batch {
    std::string schema;
    std::vector<queue::Taken> taken;
    std::vector<std::int64_t> log_ids;
    std::vector<bool> finished;
    std::vector<std::size_t> fetched;
    std::vector<nlohmann::json> saved_items;  // per i: a list saved before its pictures came
    bool dropped = false;

    std::size_t unfinished() const {
        return static_cast<std::size_t>(std::count(finished.begin(), finished.end(), false));
    }
    void finish(std::size_t b, const queue::Report &report) {
        queue::finish(taken[b], report);
        finished[b] = true;
    }
    void finish(std::size_t b, bool ok, std::string_view outcome, std::string_view sqlstate,
                std::string_view error) {
        queue::finish(taken[b], ok, outcome, sqlstate, error);
        finished[b] = true;
    }
};

// In the step's transaction: takes up to `max` pending keys, writes their 'running' log rows,
// and returns those to fetch; what is known of their Jikan backdrops goes into `options`.
std::vector<ParsedKey> take_keys(Batch &batch, std::size_t max, FetchOptions &options) {
    std::vector<queue::Taken> taken =
        without_recent_failures(queue::take_pending(MyDatabaseId, max));
    std::vector<std::int64_t> log_ids;
    if (!taken.empty()) log_ids = announce(batch.schema, taken);
    std::vector<ParsedKey> keys;
    for (std::size_t k = 0; k < taken.size(); ++k) {
        const std::size_t b = batch.taken.size();
        batch.taken.push_back(std::move(taken[k]));
        batch.log_ids.push_back(log_ids[k]);
        batch.finished.push_back(false);
        try {
            keys.push_back(parse_key(batch.taken[b].key));
            batch.fetched.push_back(b);
            batch.saved_items.emplace_back();
        } catch (const Error &e) {
            batch.finish(b, false, "invalid_key", e.sqlstate(), e.what());
        }
    }
    for (auto &[id, backdrop] : pictures::known(batch.schema, keys))
        options.known_backdrops.emplace(id, backdrop);
    return keys;
}

void report_fetching(const Batch &batch) {
    std::string activity = "tako_cache: fetching";
    for (std::size_t b = 0; b < batch.taken.size() && activity.size() < 900; ++b)
        if (!batch.finished[b]) activity += " " + batch.taken[b].key;
    pg_call([&] { pgstat_report_activity(STATE_RUNNING, activity.c_str()); });
}

// Saves one list in a short transaction of its own, as soon as its answer is in, while the others
// are still being fetched: a slow key holds no other list, a list whose save fails loses no
// other, and the waiters of a list are answered as soon as it is saved. (One row per transaction:
// the order of the saves cannot deadlock with any other writer.)
void save_list(Batch &batch, std::size_t i, const ListResult &r) {
    const std::size_t b = batch.fetched[i];
    Applied applied;
    try {
        pg_call([] { begin_step("tako_cache: saving a refreshed list"); });
        if (extension_schema() != batch.schema) {
            // Dropped (or moved) while the lists were fetched: nothing to save them in.
            batch.dropped = true;
            applied = Applied{false, "not_installed", "55000",
                              "tako_cache was dropped while the worker fetched the list"};
        } else {
            applied = apply(batch.schema, batch.taken[b], batch.log_ids[b], r);
        }
        pg_call([] { commit_step(); });
    } catch (const PgError &e) {
        if (e.sqlstate() == std::string("57014")) throw;  // canceled: the batch stops
        // This list only: its log row stays 'running' until the next recovery marks it.
        report_failure(e.what());
        applied = Applied{false, "worker_error", e.sqlstate(),
                          std::string("could not save the list: ") + e.what()};
    }
    if (applied.ok && r.backdrops_pending) batch.saved_items[i] = r.items;
    batch.finish(b, applied.report());
    report_fetching(batch);  // active until the fetch is over (its pictures too)
    pg_call([] { CHECK_FOR_INTERRUPTS(); });
}

// One fetch: announce, fetch (no transaction), save each list as it comes; keys queued meanwhile
// join it. Returns false when there was nothing to do. Every key of `batch` is finished when it
// returns; when it throws, the caller finishes those that are not.
bool run_batch(Batch &batch, bool &recovered) {
    if (recovered && !queue::has_pending(MyDatabaseId)) return false;
    const std::size_t most = settings::worker_batch_keys(kBatch);
    pg_call([] { begin_step("tako_cache: announcing refreshes"); });
    batch.schema = extension_schema();
    if (batch.schema.empty()) {
        // tako_cache is not installed here (or not updated to a version with the worker).
        pg_call([] { commit_step(); });
        for (const queue::Taken &t : queue::take_pending(MyDatabaseId, most))
            queue::finish(t, false, "not_installed", "55000",
                          "tako_cache is not installed in the refresh worker's database");
        return false;
    }
    if (!recovered) {
        recover(batch.schema);
        recovered = true;
    }
    FetchOptions options = fetch_options();
    // Taken once this transaction runs: the keys one commit queued are all there by then.
    std::vector<ParsedKey> keys = take_keys(batch, most, options);
    pg_call([] { commit_step(); });
    if (keys.empty()) return queue::has_pending(MyDatabaseId);
    report_fetching(batch);
    options.policy_of = [&batch](std::size_t i) {
        return policy_of(batch.taken[batch.fetched[i]].reason);
    };

    // Keys queued while this fetch runs join it, as long as fewer than `most` lists are under way.
    auto more = [&batch, most](FetchOptions &more_options) {
        std::vector<ParsedKey> added;
        const std::size_t under_way = batch.unfinished();
        if (batch.dropped || under_way >= most || !queue::has_pending(MyDatabaseId)) return added;
        pg_call([] { begin_step("tako_cache: announcing refreshes"); });
        if (extension_schema() == batch.schema)
            added = take_keys(batch, most - under_way, more_options);
        pg_call([] { commit_step(); });
        report_fetching(batch);
        return added;
    };
    std::vector<ListResult> results;
    // SIGTERM stops it with the FATAL that ends the worker; the keys not finished are finished as
    // failed by the caller.
    results = run_fetch(
        keys, options, [&batch](std::size_t i, const ListResult &r) { save_list(batch, i, r); },
        more);
    if (batch.dropped) return true;

    // Then, in a transaction of their own: the requests counted, the Jikan pictures learned (the
    // next fetch does not ask for them again), and the lists saved before their pictures came
    // with the pictures written in (unless the list was saved again since).
    pg_call([] { begin_step("tako_cache: saving what the fetch learned"); });
    if (extension_schema() != batch.schema) {
        pg_call([] { commit_step(); });
        return true;
    }
    const std::string sync = "SELECT " + qualified(batch.schema, "tako_sync_request_usage") + "()";
    pg_call([&] { SPI_execute(sync.c_str(), false, 0); });
    pictures::save(batch.schema, results, "worker");
    for (std::size_t i = 0; i < results.size(); ++i)
        if (!batch.saved_items[i].is_null() && results[i].items != batch.saved_items[i])
            pictures::fill(batch.schema, results[i].key, batch.saved_items[i], results[i].items);
    pg_call([] { commit_step(); });
    return true;
}

void main_loop() {
    bool recovered = false;
    for (;;) {
        bool busy = false;
        Batch batch;
        try {
            busy = run_batch(batch, recovered);
        } catch (const std::exception &e) {
            for (std::size_t b = 0; b < batch.taken.size(); ++b)
                if (!batch.finished[b]) batch.finish(b, false, "worker_error", "XX000", e.what());
            report_failure(e.what());
        }
        if (busy) continue;  // more may be pending
        pg_call([] {
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 60000L,
                            PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
            CHECK_FOR_INTERRUPTS();
            if (ConfigReloadPending) {
                ConfigReloadPending = false;
                ProcessConfigFile(PGC_SIGHUP);
                queue::publish_worker_settings(settings::fetch_fingerprint());
            }
        });
    }
}

}  // namespace

void install() {
    previous_object_access = object_access_hook;
    object_access_hook = on_object_access;
    if (!settings::worker()) return;
    BackgroundWorker worker{};
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = kRestartSeconds;
    snprintf(worker.bgw_library_name, BGW_MAXLEN, "tako_cache");
    snprintf(worker.bgw_function_name, BGW_MAXLEN, "tako_refresh_worker_main");
    snprintf(worker.bgw_name, BGW_MAXLEN, "tako_cache refresh worker");
    snprintf(worker.bgw_type, BGW_MAXLEN, "tako_cache refresh worker");
    RegisterBackgroundWorker(&worker);
}

void run() {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    static char database[NAMEDATALEN];
    snprintf(database, sizeof database, "%s", settings::database_name().c_str());
    if (queue::worker_database_dropped(database)) {
        // Its database was dropped: try again in a minute, not at every restart interval.
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 60000L,
                        PG_WAIT_EXTENSION);
        CHECK_FOR_INTERRUPTS();
    }
    BackgroundWorkerInitializeConnection(database, nullptr, 0);
    pgstat_report_appname("tako_cache refresh worker");
    before_shmem_exit(detach, 0);
    queue::worker_attached(MyDatabaseId, MyProcPid, MyLatch);
    queue::publish_worker_settings(settings::fetch_fingerprint());
    // What a previous worker had taken and not finished is taken again.
    queue::requeue_in_flight();
    ereport(LOG, (errmsg("tako_cache refresh worker started in database \"%s\"", database)));
    invoke_void(main_loop);
}

}  // namespace tako::pg::worker

extern "C" {
PGDLLEXPORT void tako_refresh_worker_main(Datum);
void tako_refresh_worker_main(Datum) {
    tako::pg::worker::run();
    proc_exit(0);
}
}
