// tako_provider_health(): each provider's health and circuit breaker, from shared memory.
#include "pg/shared_state.hpp"

#include "pg/datum.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/tuplestore.h"
}

namespace tako::pg {

namespace {

// (provider, last_success_at, last_error_at, last_error, consecutive_failures, paused_until,
//  requests_today); times are NULL when they never happened.
Datum provider_health(FunctionCallInfo fcinfo) {
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    auto time_or_null = [](std::int64_t ms, bool &null) {
        null = ms == 0;
        return timestamptz_datum(
            std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
    };
    for (int i = 0; i < shared::kProviders; ++i) {
        shared::HealthSnapshot h = shared::health(i);
        Datum values[7];
        bool nulls[7] = {false};
        values[0] = text_result(shared::provider_name(i));
        values[1] = time_or_null(h.health.last_success_ms, nulls[1]);
        values[2] = time_or_null(h.health.last_error_ms, nulls[2]);
        nulls[3] = h.last_error.empty();
        values[3] = nulls[3] ? 0 : text_result(h.last_error);
        values[4] = Int32GetDatum(h.health.consecutive_failures);
        values[5] = time_or_null(h.health.paused_until_ms > now_ms ? h.health.paused_until_ms : 0,
                                 nulls[5]);
        values[6] = Int64GetDatum(
            h.health.requests_day == now_ms / 86'400'000 ? h.health.requests_today : 0);
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
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
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

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_provider_health, tako::pg::provider_health)
TAKO_FUNCTION(tako_recent_failure, tako::pg::recent_failure)
