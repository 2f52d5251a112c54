#include "core/read/read_policy.hpp"

#include <initializer_list>
#include <utility>

namespace tako::read_policy {
namespace {

Decision act(Action action) {
    Decision d;
    d.action = action;
    return d;
}

Decision serve_row(Action action, StaleReason reason, const Facts &f) {
    Decision d = act(action);
    d.reason = reason;
    d.count_hit = !f.read_only;
    return d;
}

Decision stale(StaleReason reason, const Facts &f) {
    return serve_row(Action::ServeStale, reason, f);
}

// Stale-if-error: the row if there is one, else the error.
Decision failed(const Facts &f) {
    return f.row == Row::Missing ? act(Action::RaiseError) : stale(StaleReason::Error, f);
}

Decision take_flight(int wait_ms) {
    Decision d = act(Action::TakeFlight);
    d.wait_ms = wait_ms;
    return d;
}

Decision fetch(Fetcher fetcher, const Facts &f) {
    Decision d = act(Action::Fetch);
    d.fetcher = fetcher;
    d.warn_no_worker = fetcher != Fetcher::Worker && !f.worker_serves;
    return d;
}

}  // namespace

Decision decide(const Facts &f) {
    if (!f.enabled) return act(Action::Bypass);
    // On a standby or in a read-only transaction nothing can be saved: the cache as it is.
    const Mode mode = f.read_only ? Mode::DbOnly : f.mode;

    // After a fetch: what it came to.
    switch (f.fetched) {
        case Fetched::Saved:
            return act(Action::ServeSaved);
        case Fetched::Unsaved:
            return act(Action::ServeFetched);
        case Fetched::BudgetSpent:
            return act(Action::RefuseBudget);
        case Fetched::Failed:
            return failed(f);
        case Fetched::NotYet:
            break;
    }

    if (f.row == Row::Fresh && mode != Mode::ApiOnly)
        return serve_row(Action::ServeHit, StaleReason::None, f);
    if (mode == Mode::DbOnly) {
        return f.row == Row::Missing ? act(Action::NotCached) : stale(StaleReason::None, f);
    }

    // The worker fetches for this session unless its snapshot could not see what the worker saves
    // (or the worker could not take it: then the session fetches it, as without the worker).
    const bool worker = f.worker_serves && f.sees_worker_saves && !f.worker_declined;
    if (mode == Mode::Hybrid) {
        // Stale-while-revalidate: with the worker, an expired list is served at once and its
        // refresh queued; a recent failure or its provider's pause says why it is still stale, and
        // nothing is queued then (the refresh would fail now).
        if (f.row == Row::Expired) {
            if (f.failed_recently || f.provider_paused) {
                if (f.worker_serves) return stale(StaleReason::Failure, f);
            } else if (f.queue == Queue::NotTried) {
                return act(Action::QueueRefresh);
            } else if (f.queue == Queue::Queued) {
                return stale(StaleReason::Queued, f);
            }
        }
        if (!worker) {
            // This session fetches the list itself, one session at a time per key.
            if (f.row == Row::Expired) {
                // A save inside a transaction block would hold the row's lock until the caller
                // ends it: served stale (a read outside a block, or the hourly pass, refreshes it).
                if (f.in_block) return stale(StaleReason::InBlock, f);
                if (f.flight == Flight::NotTried) return take_flight(0);
                if (f.flight == Flight::Busy) return stale(StaleReason::FlightBusy, f);
            } else if (!f.in_block) {
                // A miss waits for the session that fetches it, a second at most, then reads the
                // row it saved (or fetches the list too, saving nothing).
                if (f.flight == Flight::NotTried) return take_flight(kMissFlightWaitMs);
                if (f.flight == Flight::Held && !f.reread) return act(Action::Reread);
            }
        }
        // A key that just failed is not fetched again before kFailureMemoryMs.
        if (f.failed_recently) return failed(f);
    }

    if (worker) return fetch(Fetcher::Worker, f);
    if (!f.warm) {
        if (f.budget == Budget::NotAsked) return act(Action::TakeNewKey);
        if (f.budget == Budget::Refused) return act(Action::RefuseBudget);
    }
    const bool unsaved = f.in_block || f.flight == Flight::Busy;
    return fetch(unsaved ? Fetcher::SessionUnsaved : Fetcher::Session, f);
}

namespace {

// Each enum's names, once: parse_* reads them, name() writes them.
template <typename E>
using Names = std::initializer_list<std::pair<std::string_view, E>>;

const Names<Mode> kModes{
    {"hybrid", Mode::Hybrid}, {"db_only", Mode::DbOnly}, {"api_only", Mode::ApiOnly}};
const Names<Row> kRows{{"missing", Row::Missing}, {"fresh", Row::Fresh}, {"expired", Row::Expired}};
const Names<Flight> kFlights{
    {"not_tried", Flight::NotTried}, {"held", Flight::Held}, {"busy", Flight::Busy}};
const Names<Queue> kQueues{
    {"not_tried", Queue::NotTried}, {"queued", Queue::Queued}, {"refused", Queue::Refused}};
const Names<Budget> kBudgets{
    {"not_asked", Budget::NotAsked}, {"granted", Budget::Granted}, {"refused", Budget::Refused}};
const Names<Fetched> kFetched{{"not_yet", Fetched::NotYet},
                              {"saved", Fetched::Saved},
                              {"unsaved", Fetched::Unsaved},
                              {"failed", Fetched::Failed},
                              {"budget_spent", Fetched::BudgetSpent}};
const Names<Action> kActions{{"bypass", Action::Bypass},
                             {"serve_hit", Action::ServeHit},
                             {"serve_stale", Action::ServeStale},
                             {"not_cached", Action::NotCached},
                             {"queue_refresh", Action::QueueRefresh},
                             {"take_flight", Action::TakeFlight},
                             {"reread", Action::Reread},
                             {"take_new_key", Action::TakeNewKey},
                             {"fetch", Action::Fetch},
                             {"serve_saved", Action::ServeSaved},
                             {"serve_fetched", Action::ServeFetched},
                             {"refuse_budget", Action::RefuseBudget},
                             {"raise_error", Action::RaiseError}};
const Names<StaleReason> kReasons{{"none", StaleReason::None},
                                  {"failure", StaleReason::Failure},
                                  {"queued", StaleReason::Queued},
                                  {"in_block", StaleReason::InBlock},
                                  {"flight_busy", StaleReason::FlightBusy},
                                  {"error", StaleReason::Error}};
const Names<Fetcher> kFetchers{{"worker", Fetcher::Worker},
                               {"session", Fetcher::Session},
                               {"session_unsaved", Fetcher::SessionUnsaved}};

template <typename E>
std::optional<E> parse(const Names<E> &names, std::string_view text) {
    for (const auto &[n, value] : names) {
        if (n == text) return value;
    }
    return std::nullopt;
}

template <typename E>
std::string_view name_of(const Names<E> &names, E value) {
    for (const auto &[n, v] : names) {
        if (v == value) return n;
    }
    return "?";
}

}  // namespace

std::optional<Mode> parse_mode(std::string_view s) {
    return parse(kModes, s);
}
std::optional<Row> parse_row(std::string_view s) {
    return parse(kRows, s);
}
std::optional<Flight> parse_flight(std::string_view s) {
    return parse(kFlights, s);
}
std::optional<Queue> parse_queue(std::string_view s) {
    return parse(kQueues, s);
}
std::optional<Budget> parse_budget(std::string_view s) {
    return parse(kBudgets, s);
}
std::optional<Fetched> parse_fetched(std::string_view s) {
    return parse(kFetched, s);
}
std::string_view name(Action a) {
    return name_of(kActions, a);
}
std::string_view name(StaleReason r) {
    return name_of(kReasons, r);
}
std::string_view name(Fetcher f) {
    return name_of(kFetchers, f);
}

}  // namespace tako::read_policy
