#include <algorithm>
#include <climits>
#include <string>

#include "core/families.hpp"
#include "core/normalize/locale.hpp"
#include "core/url.hpp"
#include "pg/error_boundary.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/guc.h"
}

namespace tako::pg::settings {

namespace {

bool enabled_ = true;
int mode_ = static_cast<int>(Mode::Hybrid);
char *base_urls_[6];
char *igdb_token_url_;
char *proxy_;
char *tmdb_api_key_;
char *tmdb_language_;
char *locale_;
char *rawg_api_key_;
char *igdb_client_id_;
char *igdb_client_secret_;
int http_connect_timeout_ms_ = 2000;
int http_timeout_ms_ = 10000;
int max_response_bytes_ = 16 * 1024 * 1024;
char *schedule_timezone_;
int retry_attempts_ = 3;
int retry_after_max_ms_ = 30000;
int jikan_per_minute_ = 60;
int breaker_failures_ = 5;
int breaker_pause_ms_ = 300000;

// Requests per second per provider (the defaults of docs/settings.md), in the order of kBaseUrls.
double per_second_[6] = {40, 3, 5, 4, 10, 5};
// Requests per UTC day per provider (0: unlimited), in the order of kBaseUrls: the providers'
// published quotas where they have one. RAWG's free plan allows 20,000 requests a month (660 a
// day); TMDB, Jikan, IGDB, Deezer and iTunes publish rate limits only (the *_requests_per_second).
int daily_requests_[6] = {0, 0, 660, 0, 0, 0};
int scheduled_reserve_percent_ = 25;
int new_keys_per_hour_ = 20;
bool worker_ = true;
char *database_name_;
int refresh_ahead_percent_ = 20;
int render_cache_kb_ = 16384;
int worker_fetch_memory_kb_ = 256 * 1024;

const struct config_enum_entry kModes[] = {{"hybrid", static_cast<int>(Mode::Hybrid), false},
                                           {"api_only", static_cast<int>(Mode::ApiOnly), false},
                                           {"db_only", static_cast<int>(Mode::DbOnly), false},
                                           {nullptr, 0, false}};

struct ProviderUrl {
    const char *provider;
    const char *default_url;
};
const ProviderUrl kBaseUrls[6] = {
    {"tmdb", "https://api.themoviedb.org/3"}, {"jikan", "https://api.jikan.moe/v4"},
    {"rawg", "https://api.rawg.io/api"},      {"igdb", "https://api.igdb.com/v4"},
    {"deezer", "https://api.deezer.com"},     {"itunes", "https://itunes.apple.com"}};

// GUC check hooks are called by PostgreSQL: they must neither throw nor ereport while a C++ object
// is alive, so the C++ check runs first and the reason is copied to a plain buffer.
bool check_url(char **newval, void **, GucSource) {
    char reason[160] = {0};
    bool ok = true;
    try {
        std::string why;
        ok = *newval == nullptr || **newval == '\0' || is_base_url(*newval, &why);
        if (!ok) why.copy(reason, sizeof reason - 1);
    } catch (...) {
        ok = false;
    }
    if (!ok) GUC_check_errdetail("%s", reason[0] ? reason : "invalid URL");
    return ok;
}

bool check_timezone(char **newval, void **, GucSource) {
    if (*newval == nullptr || pg_tzset(*newval) == nullptr) {
        GUC_check_errdetail(
            "\"%s\" is not a time zone known to PostgreSQL (see pg_timezone_names).",
            *newval ? *newval : "");
        return false;
    }
    return true;
}

bool check_locale(char **newval, void **, GucSource) {
    char reason[200] = {0};
    bool ok = true;
    try {
        std::string why = locale_problem(*newval ? *newval : "");
        ok = why.empty();
        if (!ok) why.copy(reason, sizeof reason - 1);
    } catch (...) {
        ok = false;
    }
    if (!ok) GUC_check_errdetail("%s", reason[0] ? reason : "invalid locale");
    return ok;
}

void define_secret(const char *name, const char *description, char **variable) {
    // Superuser-only: ordinary roles can neither set nor SHOW it, and pg_settings hides it from
    // them.
    DefineCustomStringVariable(name, description, nullptr, variable, "", PGC_SUSET,
                               GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
}

std::string value(const char *setting) {
    return setting ? setting : "";
}

}  // namespace

// The refresh worker's postmaster settings.
void define_worker_settings() {
    DefineCustomBoolVariable("tako_cache.worker",
                             "Starts the refresh worker (needs shared_preload_libraries).", nullptr,
                             &worker_, true, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "tako_cache.database_name", "Database whose lists the refresh worker refreshes.", nullptr,
        &database_name_, "postgres", PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
}

void define() {
    DefineCustomBoolVariable("tako_cache.enabled",
                             "Serves and fills the discovery cache; off bypasses it.", nullptr,
                             &enabled_, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomEnumVariable("tako_cache.mode",
                             "Read-through mode of tako_discover: hybrid, api_only or db_only.",
                             nullptr, &mode_, static_cast<int>(Mode::Hybrid), kModes, PGC_SUSET, 0,
                             nullptr, nullptr, nullptr);
    for (int i = 0; i < 6; ++i) {
        // Names live as long as the process: DefineCustom*Variable keeps the pointer.
        static char names[6][64];
        snprintf(names[i], sizeof names[i], "tako_cache.%s_base_url", kBaseUrls[i].provider);
        DefineCustomStringVariable(
            names[i], "Base URL of the provider's API; request paths are appended.", nullptr,
            &base_urls_[i], kBaseUrls[i].default_url, PGC_SUSET, 0, check_url, nullptr, nullptr);
    }
    DefineCustomStringVariable("tako_cache.igdb_token_url",
                               "Twitch OAuth endpoint that issues IGDB client-credentials tokens.",
                               nullptr, &igdb_token_url_, "https://id.twitch.tv/oauth2/token",
                               PGC_SUSET, 0, check_url, nullptr, nullptr);
    define_secret("tako_cache.tmdb_api_key",
                  "TMDB API key (v3 key) or read access token (v4, sent as a Bearer token).",
                  &tmdb_api_key_);
    define_secret("tako_cache.rawg_api_key", "RAWG API key.", &rawg_api_key_);
    // Hidden like a key: a proxy URL can carry credentials.
    define_secret("tako_cache.proxy",
                  "Proxy for every upstream request (scheme://[user:password@]host:port); empty: "
                  "none. The server's http_proxy environment is never used.",
                  &proxy_);
    define_secret("tako_cache.igdb_client_id", "Twitch client id for IGDB.", &igdb_client_id_);
    define_secret("tako_cache.igdb_client_secret", "Twitch client secret for IGDB.",
                  &igdb_client_secret_);
    DefineCustomStringVariable("tako_cache.tmdb_language", "Language of TMDB lists (language=...).",
                               nullptr, &tmdb_language_, "fr-FR", PGC_SUSET, 0, nullptr, nullptr,
                               nullptr);
    DefineCustomStringVariable("tako_cache.locale",
                               "Language of the labels the normalizers write (fr-FR, Tako's, or "
                               "en-US).",
                               nullptr, &locale_, "fr-FR", PGC_SUSET, 0, check_locale, nullptr,
                               nullptr);
    DefineCustomIntVariable("tako_cache.http_connect_timeout_ms",
                            "Time allowed to connect to an upstream API.", nullptr,
                            &http_connect_timeout_ms_, 2000, 1, 600000, PGC_SUSET, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "tako_cache.http_timeout_ms", "Time allowed for a whole upstream request.", nullptr,
        &http_timeout_ms_, 10000, 1, 3600000, PGC_SUSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("tako_cache.max_response_bytes",
                            "Largest upstream response accepted; larger ones are refused.", nullptr,
                            &max_response_bytes_, 16 * 1024 * 1024, 1024, INT_MAX, PGC_SUSET,
                            GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "tako_cache.schedule_timezone", "Time zone of the refresh slots' local times.", nullptr,
        &schedule_timezone_, "UTC", PGC_SUSET, 0, check_timezone, nullptr, nullptr);
    for (int i = 0; i < 6; ++i) {
        static char names[6][64];
        snprintf(names[i], sizeof names[i], "tako_cache.%s_requests_per_second",
                 kBaseUrls[i].provider);
        DefineCustomRealVariable(
            names[i], "Requests per second allowed to the provider, across all sessions.", nullptr,
            &per_second_[i], per_second_[i], 0.01, 10000, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    }
    for (int i = 0; i < 6; ++i) {
        static char names[6][64];
        snprintf(names[i], sizeof names[i], "tako_cache.%s_daily_requests", kBaseUrls[i].provider);
        DefineCustomIntVariable(names[i],
                                "Requests per UTC day allowed to the provider, across all sessions "
                                "and restarts (0: unlimited).",
                                nullptr, &daily_requests_[i], daily_requests_[i], 0, INT_MAX,
                                PGC_SUSET, 0, nullptr, nullptr, nullptr);
    }
    DefineCustomIntVariable("tako_cache.scheduled_reserve_percent",
                            "Share of each daily request budget that read-through may not use: "
                            "kept for the scheduled refreshes.",
                            nullptr, &scheduled_reserve_percent_, 25, 0, 90, PGC_SUSET, 0, nullptr,
                            nullptr, nullptr);
    DefineCustomIntVariable("tako_cache.new_keys_per_hour",
                            "Keys neither cached nor warm that read-through may fetch per hour and "
                            "provider, across all sessions (0: none).",
                            nullptr, &new_keys_per_hour_, 20, 0, 1000000, PGC_SUSET, 0, nullptr,
                            nullptr, nullptr);
    DefineCustomIntVariable(
        "tako_cache.jikan_requests_per_minute",
        "Requests per minute allowed to Jikan, across all sessions (0: no limit).", nullptr,
        &jikan_per_minute_, 60, 0, kMinuteWindowCapacity, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("tako_cache.retry_attempts",
                            "Attempts per upstream request, the first included, on 429, 5xx and "
                            "transient network errors.",
                            nullptr, &retry_attempts_, 3, 1, 10, PGC_SUSET, 0, nullptr, nullptr,
                            nullptr);
    DefineCustomIntVariable("tako_cache.retry_after_max_ms",
                            "Longest wait a Retry-After header may impose before the next attempt.",
                            nullptr, &retry_after_max_ms_, 30000, 0, 600000, PGC_SUSET, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "tako_cache.breaker_failures",
        "Consecutive failed lists (5xx, 429, network, timeout) that pause a provider.", nullptr,
        &breaker_failures_, 5, 1, 1000, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "tako_cache.breaker_pause_ms",
        "How long a failing provider is paused for read-through and scheduled refreshes.", nullptr,
        &breaker_pause_ms_, 300000, 1000, 86400000, PGC_SUSET, GUC_UNIT_MS, nullptr, nullptr,
        nullptr);
    // The refresh worker (src/pg/refresh_worker.cpp): started by the postmaster, so both are fixed
    // at server start, like pg_cron's cron.database_name; they exist only when tako_cache is
    // preloaded (PostgreSQL refuses postmaster settings later, and without preloading there is no
    // worker).
    if (process_shared_preload_libraries_in_progress) define_worker_settings();
    DefineCustomIntVariable("tako_cache.refresh_ahead_percent",
                            "Last part of a list's TTL, in percent, in which a read queues its "
                            "refresh with the worker (0: no refresh-ahead).",
                            nullptr, &refresh_ahead_percent_, 20, 0, 90, PGC_SUSET, 0, nullptr,
                            nullptr, nullptr);
    DefineCustomIntVariable(
        "tako_cache.render_cache_size",
        "Memory each backend may keep of the lists it rendered for hits (in its "
        "own memory context, \"tako_cache render cache\"); beyond it the "
        "renderings are dropped and made again as hits need them.",
        nullptr, &render_cache_kb_, 16384, 256, 1048576, PGC_SUSET, GUC_UNIT_KB, nullptr, nullptr,
        nullptr);
    DefineCustomIntVariable(
        "tako_cache.worker_fetch_memory",
        "Memory the refresh worker's responses in flight may take: a batch fetches at most this "
        "divided by tako_cache.max_response_bytes lists at once (at least one, at most 64).",
        nullptr, &worker_fetch_memory_kb_, 256 * 1024, 1024, INT_MAX, PGC_SIGHUP, GUC_UNIT_KB,
        nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("tako_cache");
}

bool enabled() {
    return enabled_;
}
Mode mode() {
    return static_cast<Mode>(mode_);
}

std::string base_url(std::string_view provider) {
    for (int i = 0; i < 6; ++i) {
        if (provider != kBaseUrls[i].provider) continue;
        std::string url = value(base_urls_[i]);
        while (!url.empty() && url.back() == '/') url.pop_back();
        return url;
    }
    throw Error(sqlstate::kInternal, "no base URL setting for provider " + std::string(provider));
}

std::string igdb_token_url() {
    return value(igdb_token_url_);
}
std::string proxy() {
    return value(proxy_);
}
std::string tmdb_api_key() {
    return value(tmdb_api_key_);
}
std::string tmdb_language() {
    return value(tmdb_language_);
}
std::string rawg_api_key() {
    return value(rawg_api_key_);
}
std::string igdb_client_id() {
    return value(igdb_client_id_);
}
std::string igdb_client_secret() {
    return value(igdb_client_secret_);
}
int http_connect_timeout_ms() {
    return http_connect_timeout_ms_;
}
int http_timeout_ms() {
    return http_timeout_ms_;
}
int max_response_bytes() {
    return max_response_bytes_;
}
std::string schedule_timezone() {
    return value(schedule_timezone_);
}
int retry_attempts() {
    return retry_attempts_;
}
int breaker_failures() {
    return breaker_failures_;
}
int breaker_pause_ms() {
    return breaker_pause_ms_;
}
int retry_after_max_ms() {
    return retry_after_max_ms_;
}

RateLimit rate_limit(std::string_view provider) {
    RateLimit limit;
    for (int i = 0; i < 6; ++i)
        if (provider == kBaseUrls[i].provider) limit.per_second = per_second_[i];
    if (provider == "jikan") limit.per_minute = jikan_per_minute_;
    return limit;
}

DailyBudget daily_budget(std::string_view provider) {
    DailyBudget budget;
    for (int i = 0; i < 6; ++i)
        if (provider == kBaseUrls[i].provider) budget.limit = daily_requests_[i];
    budget.reserved_percent = scheduled_reserve_percent_;
    return budget;
}

int new_keys_per_hour() {
    return new_keys_per_hour_;
}

Locale locale() {
    return locale_from_setting(value(locale_));
}

bool worker() {
    return worker_;
}
std::string database_name() {
    return value(database_name_);
}
std::size_t worker_batch_keys(std::size_t most) {
    const std::size_t memory = static_cast<std::size_t>(worker_fetch_memory_kb_) * 1024;
    const std::size_t per_list = static_cast<std::size_t>(max_response_bytes_);
    return std::clamp<std::size_t>(memory / per_list, 1, most);
}

std::size_t render_cache_bytes() {
    return static_cast<std::size_t>(render_cache_kb_) * 1024;
}
int refresh_ahead_percent() {
    return refresh_ahead_percent_;
}

UpstreamSettings upstream() {
    UpstreamSettings s;
    s.tmdb_base_url = base_url("tmdb");
    s.jikan_base_url = base_url("jikan");
    s.rawg_base_url = base_url("rawg");
    s.igdb_base_url = base_url("igdb");
    s.deezer_base_url = base_url("deezer");
    s.itunes_base_url = base_url("itunes");
    s.igdb_token_url = igdb_token_url();
    s.tmdb_api_key = tmdb_api_key();
    s.tmdb_language = tmdb_language();
    s.locale = locale();
    s.rawg_api_key = rawg_api_key();
    s.igdb_client_id = igdb_client_id();
    s.igdb_client_secret = igdb_client_secret();
    return s;
}

}  // namespace tako::pg::settings

namespace tako::pg::settings {

std::uint64_t fetch_fingerprint() {
    // FNV-1a over each value, each followed by a separator no value holds.
    std::uint64_t hash = 14695981039346656037ULL;
    auto add = [&hash](std::string_view text) {
        for (unsigned char c : text) {
            hash ^= c;
            hash *= 1099511628211ULL;
        }
        hash ^= 0xff;
        hash *= 1099511628211ULL;
    };
    auto add_int = [&add](long long v) { add(std::to_string(v)); };
    for (char *url : base_urls_) add(value(url));
    for (char *text : {igdb_token_url_, proxy_, tmdb_api_key_, tmdb_language_, locale_,
                       rawg_api_key_, igdb_client_id_, igdb_client_secret_})
        add(value(text));
    for (int v : {http_connect_timeout_ms_, http_timeout_ms_, max_response_bytes_, retry_attempts_,
                  retry_after_max_ms_, jikan_per_minute_, breaker_failures_, breaker_pause_ms_,
                  scheduled_reserve_percent_})
        add_int(v);
    for (double v : per_second_) add(std::to_string(v));
    for (int v : daily_requests_) add_int(v);
    return hash;
}

}  // namespace tako::pg::settings
