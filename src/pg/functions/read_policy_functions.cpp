// tako_read_step(key text, learned jsonb) → jsonb: the next step of a read that is not a fresh hit,
// as core/read/read_policy.hpp decides it. tako_discover_fill calls it in a loop: the facts this
// session knows (settings, transaction, the worker, the key's recent failure, its provider's pause)
// are gathered here; what the read learned so far (the row, the single flight, the queue, the
// budget, the fetch) comes in `learned`. Answers {action, reason, wait_ms, fetcher, count_hit},
// with the key's recent failure ({outcome, error, sqlstate, failed_at, retry_at}) and its
// provider's pause ({paused_until}) when there is one, for the words a stale read or an error says.
#include <nlohmann/json.hpp>

#include "core/envelope/upstream_meta.hpp"
#include "core/error.hpp"
#include "core/fetch/fetch.hpp"
#include "core/key.hpp"
#include "core/read/read_policy.hpp"
#include "pg/datum.hpp"
#include "pg/settings.hpp"
#include "pg/shared/key_failures.hpp"
#include "pg/shared/metrics.hpp"
#include "pg/shared/provider_state.hpp"
#include "pg/shared/refresh_queue.hpp"
#include "pg/shared/shared_state.hpp"
#include "pg/worker/worker_notice.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
}

namespace tako::pg {

namespace {

namespace rp = read_policy;

// One learned fact: absent means not yet learned (the parser's default); a value the policy does
// not know is a caller's bug, reported as such.
template <typename T, typename Parse>
void learn(const nlohmann::json &learned, const char *field, Parse parse, T *into) {
    auto it = learned.find(field);
    if (it == learned.end() || it->is_null()) return;
    if (!it->is_string()) throw_invalid(std::string("tako_read_step: ") + field + " must be text");
    std::optional<T> value = parse(it->get<std::string>());
    if (!value) throw_invalid(std::string("tako_read_step: unknown ") + field + " " + it->dump());
    *into = *value;
}

bool flag(const nlohmann::json &learned, const char *field) {
    auto it = learned.find(field);
    return it != learned.end() && it->is_boolean() && it->get<bool>();
}

// Monitoring: a read that tako_discover_fill ends with this step (each read ends with one) was a
// hit, a stale serve or a miss; the other steps lead to another.
void count_read(const std::string &key, rp::Action action) {
    switch (action) {
        case rp::Action::ServeHit:
            metrics::count_read(key, metrics::Read::Hit);
            return;
        case rp::Action::ServeStale:
            metrics::count_read(key, metrics::Read::Stale);
            return;
        case rp::Action::Bypass:
        case rp::Action::NotCached:
        case rp::Action::ServeSaved:
        case rp::Action::ServeFetched:
        case rp::Action::RefuseBudget:
        case rp::Action::RaiseError:
            metrics::count_read(key, metrics::Read::Miss);
            return;
        case rp::Action::QueueRefresh:
        case rp::Action::TakeFlight:
        case rp::Action::Reread:
        case rp::Action::TakeNewKey:
        case rp::Action::Fetch:
            return;
    }
}

Datum read_step(FunctionCallInfo fcinfo) {
    std::optional<std::string> key_text = text_arg(fcinfo, 0);
    if (!key_text) throw Error(sqlstate::kNullValue, "cache key must not be null");
    const ParsedKey key = parse_key(*key_text);
    const nlohmann::json learned =
        nlohmann::json::parse(jsonb_arg(fcinfo, 1).value_or("{}"), nullptr, false);
    if (!learned.is_object()) throw_invalid("tako_read_step: learned must be a JSON object");

    rp::Facts f;
    f.enabled = settings::enabled();
    f.mode = settings::mode();
    pg_call([&] {
        f.read_only = RecoveryInProgress() || XactReadOnly;
        f.sees_worker_saves = !IsolationUsesXactSnapshot();
        f.in_block = IsTransactionBlock();
    });
    f.worker_serves = queue::available(MyDatabaseId);
    const std::int64_t now_ms = shared::now_unix_ms();
    const std::optional<shared::KeyFailure> failure =
        shared::recent_failure(key.key, now_ms - rp::kFailureMemoryMs);
    f.failed_recently = failure.has_value();
    const int provider = shared::provider_index(key.provider());
    const std::int64_t paused_until_ms =
        provider >= 0 ? shared::health(provider).health.paused_until_ms : 0;
    f.provider_paused = paused_until_ms > now_ms;

    learn(learned, "row", rp::parse_row, &f.row);
    learn(learned, "flight", rp::parse_flight, &f.flight);
    learn(learned, "queue", rp::parse_queue, &f.queue);
    learn(learned, "budget", rp::parse_budget, &f.budget);
    learn(learned, "fetched", rp::parse_fetched, &f.fetched);
    f.reread = flag(learned, "reread");
    f.warm = flag(learned, "warm");
    f.worker_declined = flag(learned, "worker_declined");

    const rp::Decision d = rp::decide(f);
    count_read(key.key, d.action);
    if (d.warn_no_worker) warn_no_worker();
    nlohmann::json out = nlohmann::json::object();
    out["action"] = rp::name(d.action);
    out["reason"] = rp::name(d.reason);
    out["wait_ms"] = d.wait_ms;
    out["fetcher"] = rp::name(d.fetcher);
    out["count_hit"] = d.count_hit;
    if (failure) {
        out["failure"] = {
            {"outcome", to_string(failure->outcome)},
            {"error", failure->error},
            {"sqlstate", std::string(sqlstate_of(failure->outcome))},
            {"failed_at", iso8601_ms(failure->failed_ms * 1000)},
            {"retry_at", iso8601_ms((failure->failed_ms + rp::kFailureMemoryMs) * 1000)}};
    }
    if (f.provider_paused) out["paused_until"] = iso8601_ms(paused_until_ms * 1000);
    return jsonb_result(out.dump());
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_read_step, tako::pg::read_step)
