// Runs a set of upstream requests to completion: each provider's requests start on its
// rate-limit slots, at most `max_per_provider` at a time, failures worth it are retried after
// their backoff, and every transfer of the set shares one libcurl multi handle.
#pragma once

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/fetch/fetch.hpp"
#include "core/fetch/verdict.hpp"

namespace tako {

struct Job {
    std::size_t index = 0;  // into the caller's results
    std::string provider;   // for rate limits ("twitch" has none)
    HttpRequest request;
    int attempts = 0;
    HttpResponse response;  // of the last attempt
    Verdict verdict;
    SystemTime started{}, finished{};
    // What its request spends of the provider's daily budget (nullopt: FetchOptions::read_through).
    std::optional<bool> read_through;
    // Called when this job is over, instead of the `job_over` of the run it ends in (a job added
    // while a run is under way, whose caller is not that run's).
    std::function<void(Job &)> on_over;
    // Scheduling state.
    SteadyTime not_before{};
    std::optional<SteadyTime> slot;
};

class Runner {
public:
    Runner(const FetchOptions &options, FetchEnvironment &env);
    // Runs every job until it succeeds, fails for good or runs out of attempts; `job_over`, when
    // given, is called with each job as soon as it is over (the others go on meanwhile). Throws
    // Interrupted (after stopping every transfer) when the environment asks to stop, and what
    // `job_over` throws.
    using Done = std::function<void(Job &)>;
    void run(std::vector<Job *> &jobs, const Done &job_over = nullptr);

    // Called between two looks at the transfers of a run (not of a run started inside another):
    // it may add() jobs, which that run then carries out with the others.
    void set_tick(std::function<void()> tick) { tick_ = std::move(tick); }
    // A job for the run under way (its on_over says when it is over).
    void add(Job *job) { added_.push_back(job); }

private:
    const FetchOptions &options_;
    FetchEnvironment &env_;
    std::mt19937_64 random_;
    std::function<void()> tick_;
    std::vector<Job *> added_;
    int depth_ = 0;  // runs under way (a run may start another: an IGDB token)
};

}  // namespace tako
