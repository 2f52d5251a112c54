#include "core/cpp_only.hpp"

#include "core/fetch/fetch.hpp"

#include <algorithm>
#include <ctime>
#include <deque>
#include <iterator>
#include <map>

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

namespace {

// One call of fetch_lists: its lists (more may be added while it runs), their jobs and results.
// Deques: a list's key, result and job stay where they are while others are added.
class ListFetch {
public:
    ListFetch(const UpstreamSettings &settings, const FetchOptions &options, FetchEnvironment &env,
              const ListOver &on_list)
        : settings_(settings),
          options_(options),
          env_(env),
          on_list_(on_list),
          runner_(options_, env) {}

    std::vector<ListResult> run(const std::vector<ParsedKey> &keys, const MoreKeys &more) {
        std::vector<Job *> to_run;
        for (const ParsedKey &key : keys)
            if (Job *job = prepare(key)) to_run.push_back(job);
        if (more)
            runner_.set_tick([this, &more] {
                for (ParsedKey &key : more(options_))
                    if (Job *job = prepare(std::move(key))) runner_.add(job);
            });
        runner_.run(to_run);
        renew_token_and_retry();
        // Jikan backdrops: after the lists, since their items say which anime to ask about; then
        // those of the lists added while they were asked (each such run ends with its lists over).
        for (std::size_t from = 0; from < keys_.size();) {
            const std::size_t upto = keys_.size();
            add_backdrops(keys_, results_, settings_, options_, runner_, from);
            // What was learned is known to the next round: no anime is asked twice.
            for (std::size_t i = from; i < upto; ++i)
                for (const FetchedPicture &picture : results_[i].pictures)
                    if (picture.ok()) options_.known_backdrops[picture.mal_id] = picture.url;
            from = upto;
        }
        return {std::make_move_iterator(results_.begin()), std::make_move_iterator(results_.end())};
    }

private:
    // A list is over: its outcome counts for its provider's health, and it is handed over at once.
    void over(std::size_t i) {
        add_known_backdrops(keys_[i], results_[i], options_);
        env_.report_outcome(results_[i].provider, results_[i].key, results_[i].outcome,
                            results_[i].error);
        env_.report_list(results_[i]);
        if (on_list_) on_list_(i, results_[i]);
    }

    // A new list of the call: its job, or nullptr when it is over before any request (its provider
    // is paused, IGDB has no token, a credential is missing).
    Job *prepare(ParsedKey key) {
        const std::size_t i = keys_.size();
        keys_.push_back(std::move(key));
        results_.emplace_back();
        jobs_.emplace_back();
        ListResult &result = results_[i];
        result.key = keys_[i].key;
        result.provider = std::string(keys_[i].provider());
        const ListPolicy policy = options_.policy(i);
        if (policy.respect_breaker) {
            // Providers paused by the circuit breaker are not asked at all.
            const SystemTime until = env_.paused_until(result.provider);
            if (until > system_now()) {
                std::time_t t = std::chrono::system_clock::to_time_t(until);
                std::tm parts{};
                gmtime_r(&t, &parts);
                char when[32];
                std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &parts);
                fail(result, Outcome::CircuitOpen,
                     result.provider + " is paused after repeated failures until " + when);
                over(i);
                return nullptr;
            }
        }
        if (keys_[i].provider() == "igdb" && !igdb_token()) {
            fail(result, token_failure_.outcome, token_failure_.error);
            over(i);
            return nullptr;
        }
        Job &job = jobs_[i];
        try {
            job.request =
                build_list_request(keys_[i], settings_, token_.value_or(""), system_now());
        } catch (const Error &e) {
            fail(result, Outcome::NotConfigured, e.what());
            over(i);
            return nullptr;
        }
        job.index = i;
        job.provider = result.provider;
        job.read_through = policy.read_through;
        job.on_over = [this](Job &done) { list_over(done); };
        return &job;
    }

    // IGDB needs a Twitch token first; one is shared by every backend until it expires. Asked
    // once per call (a failure stands for the lists added later).
    bool igdb_token() {
        if (token_) return true;
        if (token_asked_) return false;
        token_asked_ = true;
        try {
            token_ = env_.igdb_token(system_now());
            if (!token_) {
                token_failure_ = obtain_igdb_token(settings_, runner_, env_);
                token_ = token_failure_.token;
            }
        } catch (const Error &e) {  // credentials not configured
            token_failure_ = {std::nullopt, Outcome::NotConfigured, e.what()};
        }
        return token_.has_value();
    }

    // Each list is over as soon as its answer is in, but an IGDB 401 before the token is renewed.
    void list_over(Job &job) {
        if (!renewed_ && job.provider == "igdb" && job.response.status == 401) {
            unauthorized_.push_back(&job);
            return;
        }
        if (auto before = retried_.find(&job); before != retried_.end()) {
            job.attempts += before->second.first;
            job.started = before->second.second;
        }
        finish(results_[job.index], keys_[job.index], job, settings_, options_);
        over(job.index);
    }

    // IGDB said 401: the token was revoked or expired early. Renew it once and try those again.
    void renew_token_and_retry() {
        renewed_ = true;
        if (unauthorized_.empty()) return;
        env_.forget_igdb_token(*token_);
        TokenAttempt renewed = obtain_igdb_token(settings_, runner_, env_);
        if (!renewed.token) {
            for (Job *job : unauthorized_) list_over(*job);
            return;
        }
        token_ = renewed.token;
        for (Job *job : unauthorized_) {
            retried_[job] = {job->attempts, job->started};
            job->request =
                build_list_request(keys_[job->index], settings_, *renewed.token, system_now());
            job->attempts = 0;
        }
        runner_.run(unauthorized_);
    }

    const UpstreamSettings &settings_;
    FetchOptions options_;  // a copy: keys added later bring their known backdrops
    FetchEnvironment &env_;
    const ListOver &on_list_;
    Runner runner_;
    std::deque<ParsedKey> keys_;
    std::deque<ListResult> results_;
    std::deque<Job> jobs_;
    std::optional<std::string> token_;
    TokenAttempt token_failure_;
    bool token_asked_ = false;
    bool renewed_ = false;
    std::vector<Job *> unauthorized_;
    std::map<const Job *, std::pair<int, SystemTime>> retried_;  // attempts and start before 401
};

}  // namespace

std::vector<ListResult> fetch_lists(const std::vector<ParsedKey> &keys,
                                    const UpstreamSettings &settings, const FetchOptions &options,
                                    FetchEnvironment &env, const ListOver &on_list,
                                    const MoreKeys &more) {
    return ListFetch(settings, options, env, on_list).run(keys, more);
}

}  // namespace tako
