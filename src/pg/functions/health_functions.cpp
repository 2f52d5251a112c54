// tako_provider_health(): each provider's health, circuit breaker and budgets, from shared memory;
// the budget calls of tako_discover_fill and of the usage kept across restarts.
#include "pg/shared/budgets.hpp"
#include "pg/shared/key_failures.hpp"
#include "pg/shared/provider_state.hpp"

#include "pg/datum.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/tuplestore.h"
}

namespace tako::pg {

namespace {

// The provider named by text argument `n`.
int provider_arg(FunctionCallInfo fcinfo, int n) {
    std::optional<std::string> provider = text_arg(fcinfo, n);
    if (!provider) throw Error(sqlstate::kNullValue, "provider must not be null");
    int index = shared::provider_index(*provider);
    if (index < 0) throw_invalid("unknown provider " + quote_for_message(*provider));
    return index;
}

// (provider, last_success_at, last_error_at, last_error, consecutive_failures, paused_until,
//  requests_today, daily_budget, read_through_budget, new_keys_per_hour, new_keys_this_hour);
// times are NULL when they never happened, budgets NULL when unlimited.
Datum provider_health(FunctionCallInfo fcinfo) {
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    const std::int64_t now_ms = shared::now_unix_ms();
    auto time_or_null = [](std::int64_t ms, bool &null) {
        null = ms == 0;
        return timestamptz_datum(
            std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
    };
    for (int i = 0; i < shared::kProviders; ++i) {
        shared::HealthSnapshot h = shared::health(i);
        Datum values[11];
        bool nulls[11] = {false};
        values[0] = text_result(shared::provider_name(i));
        values[1] = time_or_null(h.health.last_success_ms, nulls[1]);
        values[2] = time_or_null(h.health.last_error_ms, nulls[2]);
        nulls[3] = h.last_error.empty();
        values[3] = nulls[3] ? 0 : text_result(h.last_error);
        values[4] = Int32GetDatum(h.health.consecutive_failures);
        values[5] = time_or_null(h.health.paused_until_ms > now_ms ? h.health.paused_until_ms : 0,
                                 nulls[5]);
        values[6] = Int64GetDatum(requests_today(h.health, now_ms));
        const DailyBudget budget = settings::daily_budget(shared::provider_name(i));
        nulls[7] = nulls[8] = budget.limit == 0;
        values[7] = Int64GetDatum(budget.limit);
        values[8] = Int64GetDatum(read_through_limit(budget));
        values[9] = Int32GetDatum(settings::new_keys_per_hour());
        values[10] = Int64GetDatum(shared::new_keys_this_hour(i, now_ms));
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    }
    return 0;
}

// tako_recent_failure(key text, within_ms integer) → (outcome, error, failed_at, sqlstate) of the
// key's latest failed fetch if it is at most `within_ms` old; no row otherwise.
Datum recent_failure(FunctionCallInfo fcinfo) {
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    std::optional<std::string> key = text_arg(fcinfo, 0);
    if (!key || PG_ARGISNULL(1))
        throw Error(sqlstate::kNullValue, "key and within_ms must not be null");
    const std::int64_t now_ms = shared::now_unix_ms();
    auto failure = shared::recent_failure(*key, now_ms - PG_GETARG_INT32(1));
    if (!failure) return 0;
    Datum values[4] = {text_result(to_string(failure->outcome)), text_result(failure->error),
                       timestamptz_datum(std::chrono::system_clock::time_point(
                           std::chrono::milliseconds(failure->failed_ms))),
                       text_result(sqlstate_of(failure->outcome))};
    bool nulls[4] = {false};
    pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    return 0;
}

// tako_take_new_key(provider text) → boolean: takes one of the new keys read-through may fetch
// this hour from the provider (tako_cache.new_keys_per_hour, shared by all sessions); false when
// they are all taken.
Datum take_new_key(FunctionCallInfo fcinfo) {
    const int provider = provider_arg(fcinfo, 0);
    return BoolGetDatum(
        shared::take_new_key(provider, settings::new_keys_per_hour(), shared::now_unix_ms()));
}

// tako_restore_request_usage(provider text, requests bigint): raises the provider's count of
// requests today to `requests` (the count the table kept across a restart).
Datum restore_request_usage(FunctionCallInfo fcinfo) {
    const int provider = provider_arg(fcinfo, 0);
    if (PG_ARGISNULL(1)) throw Error(sqlstate::kNullValue, "requests must not be null");
    shared::restore_requests(provider, PG_GETARG_INT64(1), shared::now_unix_ms());
    return 0;
}

// tako_first_usage_load() → boolean: true once per server life (per session without preloading),
// for the caller that must load the counts kept in tako_request_usage.
Datum first_usage_load(FunctionCallInfo) {
    return BoolGetDatum(shared::first_usage_load());
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_provider_health, tako::pg::provider_health)
TAKO_FUNCTION(tako_recent_failure, tako::pg::recent_failure)
TAKO_FUNCTION(tako_take_new_key, tako::pg::take_new_key)
TAKO_FUNCTION(tako_restore_request_usage, tako::pg::restore_request_usage)
TAKO_FUNCTION(tako_first_usage_load, tako::pg::first_usage_load)
