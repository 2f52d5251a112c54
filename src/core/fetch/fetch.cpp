#include "core/cpp_only.hpp"

#include "core/fetch/fetch.hpp"

#include <algorithm>
#include <ctime>

#include "core/envelope/upstream_meta.hpp"
#include "core/error.hpp"
#include "core/fetch/backdrops.hpp"
#include "core/fetch/runner.hpp"
#include "core/format_b.hpp"
#include "core/normalize/normalize.hpp"

namespace tako {

namespace {

SystemTime system_now() {
    return std::chrono::system_clock::now();
}

// Gets a Twitch token for IGDB, stores it in the environment, returns it; or the reason it failed.
struct TokenAttempt {
    std::optional<std::string> token;
    Outcome outcome = Outcome::Ok;
    std::string error;
};

TokenAttempt obtain_igdb_token(const UpstreamSettings &settings, Runner &runner,
                               FetchEnvironment &env) {
    Job job;
    job.provider = "twitch";
    job.request = build_igdb_token_request(settings);
    std::vector<Job *> jobs = {&job};
    runner.run(jobs);
    if (job.verdict.outcome != Outcome::Ok)
        return {
            std::nullopt,
            job.verdict.outcome == Outcome::HttpError ? Outcome::AuthError : job.verdict.outcome,
            "IGDB token request failed: " + job.verdict.error};
    try {
        IgdbToken token = parse_igdb_token(job.response.body);
        // Renew a little before Twitch's expiry (a tenth of the lifetime, at most five minutes).
        std::int64_t margin = std::min<std::int64_t>(300, token.expires_in_seconds / 10);
        env.store_igdb_token(
            token.access_token,
            system_now() + std::chrono::seconds(token.expires_in_seconds - margin));
        return {token.access_token, Outcome::Ok, {}};
    } catch (const Error &e) {
        return {std::nullopt, Outcome::AuthError,
                std::string("IGDB token request failed: ") + e.what()};
    }
}

void fail(ListResult &result, Outcome outcome, std::string error) {
    result.outcome = outcome;
    result.error = std::move(error);
    if (result.started == SystemTime{}) result.started = result.finished = system_now();
}

// Turns a finished job into its result: the verdict, then (for a success) the items.
void finish(ListResult &result, const ParsedKey &key, Job &job, const UpstreamSettings &settings,
            const FetchOptions &options) {
    result.attempts = job.attempts;
    result.started = job.started;
    result.finished = job.finished;
    result.http_status = job.response.status;
    result.bytes = job.response.body.size();
    if (job.verdict.outcome != Outcome::Ok) {
        std::string error = redact_secrets(job.verdict.error, settings);
        if (job.attempts > 1) error += " (after " + std::to_string(job.attempts) + " attempts)";
        fail(result, job.verdict.outcome, std::move(error));
        return;
    }
    if (!options.normalize) {
        result.raw = redact_secrets(std::move(job.response.body), settings);
        return;
    }
    try {
        NormalizeOptions normalize_options;
        normalize_options.locale = settings.locale;
        result.items = normalize_list(key.provider(), key.endpoint(), job.verdict.body,
                                      normalizer_category(key), normalize_options);
        validate_items(result.items, key.provider());
        result.upstream = upstream_meta(
            key, job.verdict.body, settings.tmdb_language,
            std::chrono::duration_cast<std::chrono::microseconds>(job.finished.time_since_epoch())
                .count());
    } catch (const Error &e) {
        fail(result, Outcome::InvalidResponse, e.what());
        return;
    }
    if (result.items.empty() && never_empty(key))
        fail(result, Outcome::Empty,
             "upstream returned an empty list for a list that is never empty");
}

}  // namespace

std::vector<ListResult> fetch_lists(const std::vector<ParsedKey> &keys,
                                    const UpstreamSettings &settings, const FetchOptions &options,
                                    FetchEnvironment &env, const ListOver &on_list) {
    std::vector<ListResult> results(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        results[i].key = keys[i].key;
        results[i].provider = std::string(keys[i].provider());
    }
    Runner runner(options, env);
    // A list is over: its outcome counts for its provider's health, and it is handed over at once.
    auto over = [&](std::size_t i) {
        add_known_backdrops(keys[i], results[i], options);
        env.report_outcome(results[i].provider, results[i].key, results[i].outcome,
                           results[i].error);
        if (on_list) on_list(i, results[i]);
    };

    // Providers paused by the circuit breaker are not asked at all.
    std::vector<bool> skipped(keys.size(), false);
    if (options.respect_breaker) {
        for (std::size_t i = 0; i < keys.size(); ++i) {
            SystemTime until = env.paused_until(results[i].provider);
            if (until <= system_now()) continue;
            std::time_t t = std::chrono::system_clock::to_time_t(until);
            std::tm parts{};
            gmtime_r(&t, &parts);
            char when[32];
            std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &parts);
            fail(results[i], Outcome::CircuitOpen,
                 results[i].provider + " is paused after repeated failures until " + when);
            skipped[i] = true;
            over(i);
        }
    }

    // IGDB needs a Twitch token first; one is shared by every backend until it expires.
    std::optional<std::string> token;
    TokenAttempt token_failure;
    auto needs_token = [&](std::size_t i) { return !skipped[i] && keys[i].provider() == "igdb"; };
    bool any_igdb = false;
    for (std::size_t i = 0; i < keys.size(); ++i) any_igdb = any_igdb || needs_token(i);
    if (any_igdb) {
        try {
            token = env.igdb_token(system_now());
            if (!token) {
                token_failure = obtain_igdb_token(settings, runner, env);
                token = token_failure.token;
            }
        } catch (const Error &e) {  // credentials not configured
            token_failure = {std::nullopt, Outcome::NotConfigured, e.what()};
        }
    }

    std::vector<Job> jobs(keys.size());
    std::vector<Job *> to_run;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (skipped[i]) continue;
        if (needs_token(i) && !token) {
            fail(results[i], token_failure.outcome, token_failure.error);
            over(i);
            continue;
        }
        try {
            jobs[i].request =
                build_list_request(keys[i], settings, token.value_or(""), system_now());
        } catch (const Error &e) {
            fail(results[i], Outcome::NotConfigured, e.what());
            over(i);
            continue;
        }
        jobs[i].index = i;
        jobs[i].provider = results[i].provider;
        to_run.push_back(&jobs[i]);
    }
    // Each list is over as soon as its answer is in, but an IGDB 401 (renewed below).
    auto unauthorized_answer = [](const Job &job) {
        return job.provider == "igdb" && job.response.status == 401;
    };
    runner.run(to_run, [&](Job &job) {
        if (unauthorized_answer(job)) return;
        finish(results[job.index], keys[job.index], job, settings, options);
        over(job.index);
    });

    // IGDB said 401: the token was revoked or expired early. Renew it once and try those again.
    std::vector<Job *> unauthorized;
    for (Job *job : to_run)
        if (unauthorized_answer(*job)) unauthorized.push_back(job);
    if (!unauthorized.empty()) {
        env.forget_igdb_token(*token);
        TokenAttempt renewed = obtain_igdb_token(settings, runner, env);
        if (renewed.token) {
            std::vector<std::pair<int, SystemTime>> before;
            for (Job *job : unauthorized) {
                before.emplace_back(job->attempts, job->started);
                job->request =
                    build_list_request(keys[job->index], settings, *renewed.token, system_now());
                job->attempts = 0;
            }
            runner.run(unauthorized);
            for (std::size_t k = 0; k < unauthorized.size(); ++k) {
                unauthorized[k]->attempts += before[k].first;
                unauthorized[k]->started = before[k].second;
            }
        }
    }

    for (Job *job : unauthorized) {
        finish(results[job->index], keys[job->index], *job, settings, options);
        over(job->index);
    }
    // Jikan backdrops: after the lists, since their items say which anime to ask about.
    add_backdrops(keys, results, settings, options, runner);
    return results;
}

}  // namespace tako
