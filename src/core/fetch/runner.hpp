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

private:
    const FetchOptions &options_;
    FetchEnvironment &env_;
    std::mt19937_64 random_;
};

}  // namespace tako
