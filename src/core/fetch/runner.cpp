#include "core/cpp_only.hpp"

#include "core/fetch/runner.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "core/error.hpp"
#include "core/http/http_engine.hpp"

namespace tako {

namespace {

using std::chrono::milliseconds;

// The longest the loop sleeps between two looks at the cancel flag: a cancel stops a refresh
// within about this much (docs/errors.md: a fetch stops soon after a cancel).
constexpr milliseconds kPollInterval{100};

}  // namespace

Runner::Runner(const FetchOptions &options, FetchEnvironment &env)
    : options_(options), env_(env), random_(std::random_device{}()) {}

void Runner::run(std::vector<Job *> &jobs, const Done &job_over) {
    struct Depth {
        int &depth;
        explicit Depth(int &d) : depth(++d) {}
        ~Depth() { --depth; }
    } depth(depth_);
    const bool outermost = depth_ == 1;
    HttpEngine engine(options_.http);
    std::map<std::string, std::deque<Job *>> waiting;
    std::map<std::string, std::size_t> in_flight_per_provider;
    std::map<HttpEngine::Id, Job *> in_flight;
    const SteadyTime begin = std::chrono::steady_clock::now();
    for (Job *job : jobs) {
        job->not_before = begin;
        job->slot.reset();
        waiting[job->provider].push_back(job);
    }
    std::size_t remaining = jobs.size();
    // A job is over for good: the caller hears of it at once.
    auto over = [&](Job *job) {
        job->finished = std::chrono::system_clock::now();
        --remaining;
        if (job->on_over)
            job->on_over(*job);
        else if (job_over)
            job_over(*job);
    };
    auto fail = [&](Job *job, Outcome outcome, std::string error) {
        job->verdict = Verdict{};
        job->verdict.outcome = outcome;
        job->verdict.error = std::move(error);
        over(job);
    };

    // The jobs added since the last look join the run.
    auto take_added = [&] {
        if (!outermost) return;
        if (tick_) tick_();
        const SteadyTime at = std::chrono::steady_clock::now();
        for (Job *job : added_) {
            job->not_before = at;
            job->slot.reset();
            waiting[job->provider].push_back(job);
            ++remaining;
        }
        added_.clear();
    };

    for (take_added(); remaining > 0; take_added()) {
        if (env_.interrupted()) {
            engine.abort_all();
            throw Interrupted();
        }
        SteadyTime now = std::chrono::steady_clock::now();
        SteadyTime wake = now + kPollInterval;
        for (auto &[provider, queue] : waiting) {
            while (!queue.empty() && in_flight_per_provider[provider] < options_.max_per_provider) {
                Job *job = queue.front();
                if (!job->slot)
                    job->slot = env_.reserve_slot(provider, std::max(job->not_before, now));
                if (*job->slot > now) {
                    wake = std::min(wake, *job->slot);
                    break;
                }
                queue.pop_front();
                if (job->attempts == 0) job->started = std::chrono::system_clock::now();
                if (!env_.take_request(provider,
                                       job->read_through.value_or(options_.read_through))) {
                    fail(job, Outcome::QuotaExhausted,
                         provider + "'s daily request budget is spent");
                    continue;
                }
                ++job->attempts;
                try {
                    in_flight[engine.start(job->request)] = job;
                    ++in_flight_per_provider[provider];
                } catch (const Error &e) {
                    fail(job, Outcome::NetworkError, e.what());
                }
            }
        }
        auto wait = std::chrono::duration_cast<milliseconds>(wake - now);
        for (HttpEngine::Done &done :
             engine.poll(std::clamp(wait, milliseconds(0), kPollInterval))) {
            auto it = in_flight.find(done.id);
            if (it == in_flight.end()) continue;
            Job *job = it->second;
            in_flight.erase(it);
            --in_flight_per_provider[job->provider];
            job->response = std::move(done.response);
            job->verdict = judge(job->provider, job->response, std::chrono::system_clock::now());
            if (job->verdict.retry && job->attempts < options_.retry.max_attempts) {
                milliseconds delay = retry_delay(options_.retry, job->attempts + 1,
                                                 job->verdict.retry_after, random_);
                SteadyTime retry_at = std::chrono::steady_clock::now() + delay;
                if (job->verdict.retry_after) env_.hold_provider(job->provider, retry_at);
                job->not_before = retry_at;
                job->slot.reset();
                waiting[job->provider].push_back(job);
            } else {
                over(job);
            }
        }
    }
}

}  // namespace tako
