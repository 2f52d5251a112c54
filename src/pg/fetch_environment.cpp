#include "pg/fetch_environment.hpp"

#include <algorithm>

#include "pg/error_boundary.hpp"
#include "pg/settings.hpp"
#include "pg/shared/key_failures.hpp"
#include "pg/shared/metrics.hpp"
#include "pg/shared/provider_state.hpp"
#include "pg/shared/shared_state.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/procsignal.h"
}

namespace tako::pg {

namespace {

std::int64_t to_us(SteadyTime t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

SteadyTime from_us(std::int64_t us) {
    return SteadyTime(std::chrono::microseconds(us));
}

std::int64_t unix_ms(SystemTime t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

PgFetchEnvironment::PgFetchEnvironment() {
    static bool warned = false;
    if (!shared::is_shared() && !warned) {
        warned = true;
        pg_call([] {
            ereport(
                WARNING,
                (errmsg("tako_cache is not in shared_preload_libraries: rate limits and the IGDB "
                        "token are kept per session, not shared by all sessions"),
                 errhint("Add tako_cache to shared_preload_libraries and restart the server.")));
        });
    }
}

bool PgFetchEnvironment::interrupted() {
    // A procsignal barrier (DROP DATABASE of any database, say, waits for every backend to close
    // its files) is absorbed while a fetch waits on the upstream, not only at the fetch's end: the
    // fetch touches no relation, so there is nothing to wait for.
    if (ProcSignalBarrierPending) pg_call([] { ProcessProcSignalBarrier(); });
    return QueryCancelPending || ProcDiePending;
}

SteadyTime PgFetchEnvironment::reserve_slot(std::string_view provider, SteadyTime earliest) {
    int index = shared::provider_index(provider);
    if (index < 0) return earliest;  // the Twitch token endpoint has no limit of ours
    return from_us(shared::reserve_slot(index, settings::rate_limit(provider), to_us(earliest)));
}

void PgFetchEnvironment::hold_provider(std::string_view provider, SteadyTime until) {
    int index = shared::provider_index(provider);
    if (index >= 0) shared::hold_until(index, to_us(until));
}

std::optional<std::string> PgFetchEnvironment::igdb_token(SystemTime now) {
    std::string token = shared::igdb_token(unix_ms(now));
    if (token.empty()) return std::nullopt;
    return token;
}

void PgFetchEnvironment::store_igdb_token(const std::string &token, SystemTime expires) {
    shared::store_igdb_token(token, unix_ms(expires));
}

void PgFetchEnvironment::forget_igdb_token(const std::string &token) {
    shared::forget_igdb_token(token);
}

bool PgFetchEnvironment::take_request(std::string_view provider, bool read_through) {
    int index = shared::provider_index(provider);
    if (index < 0) return true;  // the Twitch token endpoint is not one of the budgets
    return shared::take_request(index, settings::daily_budget(provider), read_through,
                                unix_ms(std::chrono::system_clock::now()));
}

void PgFetchEnvironment::report_outcome(std::string_view provider, std::string_view key,
                                        Outcome outcome, const std::string &error) {
    const std::int64_t now = unix_ms(std::chrono::system_clock::now());
    if (outcome == Outcome::Ok)
        shared::forget_failure(std::string(key));
    else if (outcome != Outcome::CircuitOpen)  // a pause is the provider's, not the key's
        shared::remember_failure(std::string(key), outcome, error, now);
    int index = shared::provider_index(provider);
    if (index < 0) return;
    BreakerPolicy policy{settings::breaker_failures(), settings::breaker_pause_ms()};
    if (shared::record_outcome(index, outcome, error, now, policy)) {
        std::string message = std::string(provider) + " paused for " +
                              std::to_string(policy.pause_ms / 1000) + " s after " +
                              std::to_string(policy.failures) + " consecutive failures";
        pg_call([&] {
            ereport(WARNING, (errmsg("tako_cache: %s", message.c_str()),
                              errdetail("last error: %s", error.c_str())));
        });
    }
}

SystemTime PgFetchEnvironment::paused_until(std::string_view provider) {
    int index = shared::provider_index(provider);
    if (index < 0) return SystemTime{};
    return SystemTime(std::chrono::milliseconds(shared::health(index).health.paused_until_ms));
}

// Monitoring: the list's outcome, and how long its requests took when one was sent.
void PgFetchEnvironment::report_list(const ListResult &list) {
    double seconds = -1.0;
    if (list.attempts > 0)
        seconds =
            std::max(0.0, std::chrono::duration<double>(list.finished - list.started).count());
    metrics::count_fetch(list.provider, list.outcome, seconds);
}

FetchOptions fetch_options() {
    FetchOptions options;
    options.http.connect_timeout_ms = settings::http_connect_timeout_ms();
    options.http.timeout_ms = settings::http_timeout_ms();
    options.http.max_bytes = static_cast<std::size_t>(settings::max_response_bytes());
    options.http.user_agent = "tako_cache/1.0 (PostgreSQL extension; +https://github.com/tako-api)";
    options.retry.max_attempts = settings::retry_attempts();
    options.http.proxy = settings::proxy();
    // Redirects may only lead to the configured providers (no request to any other host, ever).
    UpstreamSettings upstream = settings::upstream();
    for (const std::string *url :
         {&upstream.tmdb_base_url, &upstream.jikan_base_url, &upstream.rawg_base_url,
          &upstream.igdb_base_url, &upstream.deezer_base_url, &upstream.itunes_base_url,
          &upstream.igdb_token_url})
        if (std::string host = host_and_port(*url); !host.empty())
            options.http.allowed_hosts.push_back(host);
    options.retry.retry_after_cap = std::chrono::milliseconds(settings::retry_after_max_ms());
    return options;
}

std::vector<ListResult> run_fetch(const std::vector<ParsedKey> &keys, const FetchOptions &options,
                                  const ListOver &on_list, const MoreKeys &more) {
    PgFetchEnvironment env;
    std::vector<ListResult> results;
    bool interrupted = false;
    try {
        results = fetch_lists(keys, settings::upstream(), options, env, on_list, more);
    } catch (const Interrupted &) {
        interrupted = true;  // every transfer is already stopped; raise outside the handler
    }
    if (interrupted) raise_interrupt();
    return results;
}

void raise_interrupt() {
    pg_call([] { CHECK_FOR_INTERRUPTS(); });
    // The interrupt was held off (or already served): still stop, with the cancel SQLSTATE.
    throw Error(sqlstate::kQueryCanceled, "canceling statement: upstream fetch interrupted");
}

}  // namespace tako::pg
