// The read-through policy (core/read/read_policy.hpp), case by case, and whole reads: a scripted
// world answers each step the way tako_discover_fill's calls would, until the read serves or
// raises.
#include "core/read/read_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace tako::read_policy;

namespace {

// What the calls of a read come to, when the policy asks for them.
struct World {
    bool queue_accepts = true;
    bool flight_free = true;
    Row row_after_flight = Row::Missing;  // what a read after the single flight finds
    bool budget_left = true;
    Fetched fetch_result = Fetched::Saved;
    bool worker_takes = true;
};

// Runs a read to its end; the steps it took, by name, the last one the outcome.
std::vector<std::string> run(Facts f, const World &w) {
    std::vector<std::string> steps;
    for (int i = 0; i < 20; ++i) {
        const Decision d = decide(f);
        std::string step(name(d.action));
        if (d.action == Action::ServeStale) step += ":" + std::string(name(d.reason));
        if (d.action == Action::TakeFlight) step += ":" + std::to_string(d.wait_ms);
        if (d.action == Action::Fetch) step += ":" + std::string(name(d.fetcher));
        steps.push_back(step);
        switch (d.action) {
            case Action::QueueRefresh:
                f.queue = w.queue_accepts ? Queue::Queued : Queue::Refused;
                break;
            case Action::TakeFlight:
                f.flight = w.flight_free ? Flight::Held : Flight::Busy;
                break;
            case Action::Reread:
                f.reread = true;
                f.row = w.row_after_flight;
                break;
            case Action::TakeNewKey:
                f.budget = w.budget_left ? Budget::Granted : Budget::Refused;
                break;
            case Action::Fetch:
                if (d.fetcher == Fetcher::Worker && !w.worker_takes) {
                    f.worker_declined = true;
                } else if (d.fetcher == Fetcher::SessionUnsaved &&
                           w.fetch_result == Fetched::Saved) {
                    f.fetched = Fetched::Unsaved;
                } else {
                    f.fetched = w.fetch_result;
                }
                break;
            default:
                return steps;
        }
    }
    steps.push_back("no end");
    return steps;
}

using Steps = std::vector<std::string>;

Facts with_worker(Row row) {
    Facts f;
    f.row = row;
    f.worker_serves = true;
    f.warm = row != Row::Missing;
    return f;
}

Facts without_worker(Row row) {
    Facts f = with_worker(row);
    f.worker_serves = false;
    return f;
}

}  // namespace

TEST(ReadPolicy, DisabledBypassesTheCache) {
    Facts f = with_worker(Row::Fresh);
    f.enabled = false;
    EXPECT_EQ(decide(f).action, Action::Bypass);
}

TEST(ReadPolicy, FreshRowIsAHitCountedUnlessReadOnly) {
    Facts f = with_worker(Row::Fresh);
    Decision d = decide(f);
    EXPECT_EQ(d.action, Action::ServeHit);
    EXPECT_TRUE(d.count_hit);
    f.read_only = true;
    d = decide(f);
    EXPECT_EQ(d.action, Action::ServeHit);
    EXPECT_FALSE(d.count_hit);
}

TEST(ReadPolicy, ApiOnlyFetchesEvenAFreshRow) {
    Facts f = with_worker(Row::Fresh);
    f.mode = Mode::ApiOnly;
    EXPECT_EQ(run(f, World{}), (Steps{"fetch:worker", "serve_saved"}));
    f.worker_serves = false;
    EXPECT_EQ(run(f, World{}), (Steps{"fetch:session", "serve_saved"}));
}

TEST(ReadPolicy, DbOnlyServesWhatIsThereAndFetchesNothing) {
    Facts f = with_worker(Row::Expired);
    f.mode = Mode::DbOnly;
    const Decision d = decide(f);
    EXPECT_EQ(d.action, Action::ServeStale);
    EXPECT_EQ(d.reason, StaleReason::None);
    f.row = Row::Missing;
    EXPECT_EQ(decide(f).action, Action::NotCached);
}

TEST(ReadPolicy, ReadOnlyIsDbOnlyWhateverTheMode) {
    for (Mode mode : {Mode::Hybrid, Mode::ApiOnly}) {
        Facts f = with_worker(Row::Missing);
        f.mode = mode;
        f.read_only = true;
        EXPECT_EQ(decide(f).action, Action::NotCached);
        f.row = Row::Expired;
        const Decision d = decide(f);
        EXPECT_EQ(d.action, Action::ServeStale);
        EXPECT_FALSE(d.count_hit);
    }
}

TEST(ReadPolicy, StaleWithTheWorkerIsServedAndItsRefreshQueued) {
    EXPECT_EQ(run(with_worker(Row::Expired), World{}),
              (Steps{"queue_refresh", "serve_stale:queued"}));
}

TEST(ReadPolicy, StaleAfterAFailureOrPauseIsServedWithoutQueueing) {
    Facts f = with_worker(Row::Expired);
    f.failed_recently = true;
    EXPECT_EQ(run(f, World{}), (Steps{"serve_stale:failure"}));
    f.failed_recently = false;
    f.provider_paused = true;
    EXPECT_EQ(run(f, World{}), (Steps{"serve_stale:failure"}));
}

TEST(ReadPolicy, StaleInRepeatableReadIsQueuedForTheWorkerToo) {
    Facts f = with_worker(Row::Expired);
    f.sees_worker_saves = false;
    EXPECT_EQ(run(f, World{}), (Steps{"queue_refresh", "serve_stale:queued"}));
}

TEST(ReadPolicy, StaleWithoutTheWorkerIsRefreshedUnderTheSingleFlight) {
    World w;
    w.queue_accepts = false;
    EXPECT_EQ(run(without_worker(Row::Expired), w),
              (Steps{"queue_refresh", "take_flight:0", "fetch:session", "serve_saved"}));
    w.flight_free = false;
    EXPECT_EQ(run(without_worker(Row::Expired), w),
              (Steps{"queue_refresh", "take_flight:0", "serve_stale:flight_busy"}));
}

TEST(ReadPolicy, StaleWithoutTheWorkerInATransactionBlockIsServedStale) {
    Facts f = without_worker(Row::Expired);
    f.in_block = true;
    World w;
    w.queue_accepts = false;
    EXPECT_EQ(run(f, w), (Steps{"queue_refresh", "serve_stale:in_block"}));
}

TEST(ReadPolicy, StaleWithoutTheWorkerAfterAFailureServesTheError) {
    Facts f = without_worker(Row::Expired);
    f.failed_recently = true;
    EXPECT_EQ(run(f, World{}), (Steps{"take_flight:0", "serve_stale:error"}));
}

TEST(ReadPolicy, MissWithTheWorkerIsFetchedByIt) {
    EXPECT_EQ(run(with_worker(Row::Missing), World{}), (Steps{"fetch:worker", "serve_saved"}));
    World w;
    w.fetch_result = Fetched::BudgetSpent;  // the worker spends the budget of a new key
    EXPECT_EQ(run(with_worker(Row::Missing), w), (Steps{"fetch:worker", "refuse_budget"}));
    w.fetch_result = Fetched::Failed;
    EXPECT_EQ(run(with_worker(Row::Missing), w), (Steps{"fetch:worker", "raise_error"}));
}

TEST(ReadPolicy, MissTheWorkerCannotTakeIsFetchedByTheSession) {
    World w;
    w.worker_takes = false;
    EXPECT_EQ(run(with_worker(Row::Missing), w),
              (Steps{"fetch:worker", "take_flight:1000", "reread", "take_new_key", "fetch:session",
                     "serve_saved"}));
}

TEST(ReadPolicy, MissWithoutTheWorkerWaitsForTheSingleFlightThenReadsAgain) {
    World w;
    w.row_after_flight = Row::Fresh;  // the session that held it saved the list
    EXPECT_EQ(run(without_worker(Row::Missing), w),
              (Steps{"take_flight:1000", "reread", "serve_hit"}));
    w.row_after_flight = Row::Missing;
    EXPECT_EQ(
        run(without_worker(Row::Missing), w),
        (Steps{"take_flight:1000", "reread", "take_new_key", "fetch:session", "serve_saved"}));
}

TEST(ReadPolicy, MissWithoutTheWorkerWhoseFlightIsBusyIsServedUnsaved) {
    World w;
    w.flight_free = false;
    EXPECT_EQ(
        run(without_worker(Row::Missing), w),
        (Steps{"take_flight:1000", "take_new_key", "fetch:session_unsaved", "serve_fetched"}));
}

TEST(ReadPolicy, MissInATransactionBlockWithoutTheWorkerSavesNothing) {
    Facts f = without_worker(Row::Missing);
    f.in_block = true;
    EXPECT_EQ(run(f, World{}), (Steps{"take_new_key", "fetch:session_unsaved", "serve_fetched"}));
}

TEST(ReadPolicy, ANewKeyNeedsTheBudgetAWarmKeyDoesNot) {
    World w;
    w.budget_left = false;
    Facts f = without_worker(Row::Missing);
    f.in_block = true;
    EXPECT_EQ(run(f, w), (Steps{"take_new_key", "refuse_budget"}));
    f.warm = true;
    EXPECT_EQ(run(f, w), (Steps{"fetch:session_unsaved", "serve_fetched"}));
}

TEST(ReadPolicy, AMissThatFailedAMomentAgoIsNotFetched) {
    Facts f = with_worker(Row::Missing);
    f.failed_recently = true;
    EXPECT_EQ(run(f, World{}), (Steps{"raise_error"}));
    f = without_worker(Row::Missing);
    f.failed_recently = true;
    EXPECT_EQ(run(f, World{}), (Steps{"take_flight:1000", "reread", "raise_error"}));
}

TEST(ReadPolicy, StaleIfErrorAfterAFailedFetch) {
    Facts f = with_worker(Row::Expired);
    f.mode = Mode::ApiOnly;
    World w;
    w.fetch_result = Fetched::Failed;
    EXPECT_EQ(run(f, w), (Steps{"fetch:worker", "serve_stale:error"}));
}

TEST(ReadPolicy, OnlyASessionOfADatabaseWithoutTheWorkerIsWarned) {
    Facts f = without_worker(Row::Missing);
    f.in_block = true;
    f.warm = true;
    EXPECT_TRUE(decide(f).warn_no_worker);
    f = with_worker(Row::Missing);
    f.sees_worker_saves = false;  // repeatable read: the worker is there, not for this snapshot
    f.in_block = true;
    f.warm = true;
    const Decision d = decide(f);
    EXPECT_EQ(d.action, Action::Fetch);
    EXPECT_EQ(d.fetcher, Fetcher::SessionUnsaved);
    EXPECT_FALSE(d.warn_no_worker);
}

TEST(ReadPolicy, NamesRoundTrip) {
    EXPECT_EQ(parse_mode("db_only"), Mode::DbOnly);
    EXPECT_EQ(parse_row("expired"), Row::Expired);
    EXPECT_EQ(parse_flight("busy"), Flight::Busy);
    EXPECT_EQ(parse_queue("refused"), Queue::Refused);
    EXPECT_EQ(parse_budget("granted"), Budget::Granted);
    EXPECT_EQ(parse_fetched("budget_spent"), Fetched::BudgetSpent);
    EXPECT_FALSE(parse_mode("Hybrid").has_value());
    EXPECT_FALSE(parse_row("").has_value());
    EXPECT_EQ(name(Action::TakeFlight), "take_flight");
    EXPECT_EQ(name(StaleReason::FlightBusy), "flight_busy");
    EXPECT_EQ(name(Fetcher::SessionUnsaved), "session_unsaved");
}
