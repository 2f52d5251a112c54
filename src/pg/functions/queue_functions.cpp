// SQL functions of the refresh queue: tako_queue_refresh(key, origin), tako_worker_fetch(key),
// tako_queue_stats(). tako_discover_fill calls the first two; none is PUBLIC's.
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/envelope/upstream_meta.hpp"
#include "core/error.hpp"
#include "core/key.hpp"
#include "pg/shared/refresh_queue.hpp"

#include "pg/datum.hpp"
#include "pg/settings.hpp"
#include "pg/shared/budgets.hpp"
#include "pg/worker/worker_notice.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
}

namespace tako::pg {

namespace {

ParsedKey parsed_key_arg(FunctionCallInfo fcinfo) {
    std::optional<std::string> key = text_arg(fcinfo, 0);
    if (!key) throw Error(sqlstate::kNullValue, "cache key must not be null");
    return parse_key(*key);
}

std::string key_arg(FunctionCallInfo fcinfo) {
    return parsed_key_arg(fcinfo).key;
}

// The worker can refresh lists for this session: it serves this database, this transaction could
// see what it saves, and it fetches with this session's values of the settings a fetch reads.
bool worker_serves_this_session() {
    return queue::available(MyDatabaseId) && !XactReadOnly &&
           queue::worker_settings() == settings::fetch_fingerprint();
}

// tako_queue_refresh(key text, origin text DEFAULT 'queued') → boolean: asks the refresh worker to
// refresh `key` when the calling transaction commits. False (nothing queued) when no worker serves
// this database.
Datum queue_refresh(FunctionCallInfo fcinfo) {
    const std::string key = key_arg(fcinfo);
    queue::Reason reason = queue::Reason::Queued;
    if (PG_NARGS() > 1) {
        std::optional<std::string> origin = text_arg(fcinfo, 1);
        if (origin && (!queue::reason_of(*origin, reason) || !queue::from_a_read(reason)))
            throw_invalid("invalid origin " + quote_for_message(*origin) +
                          " (stale, ahead, miss, queued or recovered)");
    }
    if (!worker_serves_this_session()) {
        warn_no_worker();
        return BoolGetDatum(false);
    }
    queue::request_at_commit(key, reason);
    return BoolGetDatum(true);
}

// tako_worker_fetch(key text, new_key boolean DEFAULT false) → jsonb: has the refresh worker
// refresh `key` now and waits for it ({status, outcome, error, sqlstate}, as tako_refresh). NULL
// when the worker cannot do it for this session: then the caller fetches the list itself. A
// snapshot taken for the whole transaction (REPEATABLE READ) would not see the worker's save: those
// sessions fetch themselves too.
//
// This is the single flight of misses: every caller of a key waits for the one request of it in
// the queue, which no role can hold (an advisory lock any role can take is not used). `new_key`:
// the key is neither cached nor a warm key, so its request spends one of the provider's new keys
// this hour (tako_cache.new_keys_per_hour), once per request: a caller that finds the key already
// queued joins it and spends nothing; when none is left, the answer is the budget's error
// (outcome "new_key_budget", SQLSTATE TK429), unless a request of the key is already under way.
Datum worker_fetch(FunctionCallInfo fcinfo) {
    const ParsedKey parsed = parsed_key_arg(fcinfo);
    const std::string &key = parsed.key;
    const bool new_key = PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
    if (!worker_serves_this_session() || IsolationUsesXactSnapshot()) {
        warn_no_worker();
        fcinfo->isnull = true;
        return 0;
    }
    const int provider = new_key ? shared::provider_index(parsed.provider()) : -1;
    const std::int64_t taken_ms = shared::now_unix_ms();
    const bool took =
        provider >= 0 && shared::take_new_key(provider, settings::new_keys_per_hour(), taken_ms);
    queue::Ticket ticket;
    const queue::Queued queued = queue::enqueue_now(MyDatabaseId, key, queue::Reason::Miss, &ticket,
                                                    true, provider >= 0 && !took);
    if (took && queued != queue::Queued::Added) shared::give_back_new_key(provider, taken_ms);
    if (queued == queue::Queued::NotThere) {
        nlohmann::json out = nlohmann::json::object();
        out["key"] = key;
        out["status"] = "error";
        out["outcome"] = "new_key_budget";
        out["sqlstate"] = "TK429";
        out["error"] = "new-key budget spent";
        return jsonb_result(out.dump());
    }
    if (queued == queue::Queued::Full || queued == queue::Queued::NoWorker) {
        fcinfo->isnull = true;
        return 0;
    }
    // As long as the engine may take: every attempt's timeout, and the waits between them.
    const int timeout_ms = settings::retry_attempts() *
                               (settings::http_timeout_ms() + settings::http_connect_timeout_ms()) +
                           settings::retry_after_max_ms() + 10000;
    queue::Result result;
    pg_call([&] { queue::wait_for(ticket, timeout_ms, &result); });
    if (result.state == queue::Result::State::WorkerGone) {
        fcinfo->isnull = true;
        return 0;
    }
    nlohmann::json out = nlohmann::json::object();
    out["key"] = key;
    // This caller found the request already queued or under way, and waited for it.
    out["joined"] = queued == queue::Queued::AlreadyThere;
    if (result.state == queue::Result::State::TimedOut) {
        out["status"] = "error";
        out["outcome"] = "timeout";
        out["sqlstate"] = "57014";
        out["error"] = "the refresh worker has not finished the fetch after " +
                       std::to_string(timeout_ms / 1000) + " s";
    } else {
        out["status"] = result.ok ? "ok" : "error";
        out["outcome"] = result.ok ? "ok" : result.outcome;
        out["sqlstate"] = result.ok ? nlohmann::json() : nlohmann::json(result.sqlstate);
        out["error"] = result.ok ? nlohmann::json() : nlohmann::json(result.error);
    }
    return jsonb_result(out.dump());
}

// One key's result as tako_apply_fetched gives it.
nlohmann::json refresh_result(const std::string &key, const queue::Result &r) {
    auto or_null = [](auto value, bool is_null) {
        return is_null ? nlohmann::json() : nlohmann::json(value);
    };
    nlohmann::json out = nlohmann::json::object();
    out["key"] = key;
    out["status"] = r.ok ? "ok" : "error";
    out["outcome"] = r.outcome;
    out["http_status"] = or_null(r.http_status, r.http_status == 0);
    out["items"] = or_null(r.items, r.items < 0);
    out["attempts"] = r.attempts;
    out["duration_ms"] = r.duration_ms;
    out["error"] = or_null(std::string(r.error), r.error[0] == '\0');
    out["sqlstate"] = or_null(std::string(r.sqlstate), r.ok || r.sqlstate[0] == '\0');
    return out;
}

// tako_worker_refresh(keys text[], origin text) → jsonb: has the refresh worker refresh `keys`
// (canonical) for a session that waits for them: tako_refresh_keys and the pg_cron procedures
// (origin manual, cron or expired). One element per key, in order: tako_apply_fetched's result,
// or null where the session refreshes the key itself (the queue was full, the worker went away).
// NULL when the worker does not refresh for this session: none serves this database, the caller's
// settings differ from the worker's, or the caller is in a transaction block (its saves belong to
// its transaction), has written in this transaction (its row locks could hold the worker's saves)
// or has a snapshot for the whole transaction (it could not see the saves).
//
// A key already queued or in flight is joined (one request). A cancel or statement_timeout stops
// the wait; the worker still refreshes the keys.
Datum worker_refresh(FunctionCallInfo fcinfo) {
    auto texts = text_array_arg(fcinfo, 0);
    if (!texts) throw Error(sqlstate::kNullValue, "keys must not be null");
    std::vector<std::string> keys;
    for (const auto &text : *texts) {
        if (!text) throw Error(sqlstate::kNullValue, "keys must not contain NULL");
        keys.push_back(parse_key(*text).key);
    }
    const std::optional<std::string> origin = text_arg(fcinfo, 1);
    queue::Reason reason = queue::Reason::Manual;
    if (!origin || !queue::reason_of(*origin, reason) || queue::from_a_read(reason) ||
        !worker_serves_this_session() || IsolationUsesXactSnapshot() || IsTransactionBlock() ||
        TransactionIdIsValid(GetTopTransactionIdIfAny())) {
        fcinfo->isnull = true;
        return 0;
    }
    std::vector<queue::Ticket> tickets(keys.size());
    std::vector<bool> queued(keys.size(), false);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const queue::Queued q =
            queue::enqueue_now(MyDatabaseId, keys[i], reason, &tickets[i], false);
        queued[i] = q == queue::Queued::Added || q == queue::Queued::AlreadyThere;
    }
    queue::wake_worker();
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        queue::Result result;
        // No deadline of its own: the worker takes as long as the lists take (a statement_timeout
        // or a cancel ends the wait); WorkerGone when the worker is away for good.
        if (queued[i]) pg_call([&] { queue::wait_for(tickets[i], 24 * 3600 * 1000, &result); });
        if (!queued[i] || result.state != queue::Result::State::Done)
            out.push_back(nullptr);
        else
            out.push_back(refresh_result(keys[i], result));
    }
    return jsonb_result(out.dump());
}

nlohmann::json time_or_null(std::int64_t unix_us) {
    if (unix_us == 0) return nullptr;
    return iso8601_ms(unix_us);
}

// tako_queue_stats() → jsonb: the worker and its queue.
Datum queue_stats(FunctionCallInfo fcinfo) {
    (void)fcinfo;
    const queue::Stats s = queue::stats();
    nlohmann::json out = nlohmann::json::object();
    out["worker_running"] = s.worker_pid != 0;
    out["worker_pid"] = s.worker_pid != 0 ? nlohmann::json(s.worker_pid) : nlohmann::json();
    out["worker_database"] = settings::database_name();
    out["serves_this_database"] = s.worker_pid != 0 && s.database == MyDatabaseId;
    out["worker_started_at"] = time_or_null(s.worker_started_us);
    out["worker_starts"] = s.worker_starts;
    out["pending"] = s.pending;
    out["in_flight"] = s.in_flight;
    out["done"] = s.done;
    out["failed"] = s.failed;
    out["refused"] = s.refused;
    out["last_run_at"] = time_or_null(s.last_run_us);
    out["last_key"] = s.last_key.empty() ? nlohmann::json() : nlohmann::json(s.last_key);
    out["last_outcome"] =
        s.last_outcome.empty() ? nlohmann::json() : nlohmann::json(s.last_outcome);
    return jsonb_result(out.dump());
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_queue_refresh, tako::pg::queue_refresh)
TAKO_FUNCTION(tako_worker_fetch, tako::pg::worker_fetch)
TAKO_FUNCTION(tako_queue_stats, tako::pg::queue_stats)
TAKO_FUNCTION(tako_worker_refresh, tako::pg::worker_refresh)
