// What a read of a list does (pure): the one read-through policy of tako_cache. The C hit path
// asks it whether a row is served as a hit; tako_discover_fill (PL/pgSQL, as the extension's owner)
// asks it for every other step and carries each step out: it gathers the facts, asks, does what it
// is told (queue a refresh, take the key's single-flight lock, read the row again, spend a new key
// of the hour, fetch), records what came of it in the facts, and asks again, until the answer
// serves something or raises. Nothing here reads a setting, a table or a clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tako::read_policy {

// A key whose fetch failed is not fetched again, by a session or the worker, for this long (its
// readers get the list stale, or the error); the refresh worker and tako_recent_failure use it too.
constexpr std::int64_t kFailureMemoryMs = 60000;
// How long a miss waits for the session that fetches the same key (without the refresh worker).
constexpr int kMissFlightWaitMs = 1000;

enum class Mode { Hybrid, DbOnly, ApiOnly };       // tako_cache.mode
enum class Row { Missing, Fresh, Expired };        // the key's row, as this statement sees it
enum class Flight { NotTried, Held, Busy };        // this session's single-flight lock of the key
enum class Queue { NotTried, Queued, Refused };    // asking the worker to refresh a stale list
enum class Budget { NotAsked, Granted, Refused };  // a new key of the hour (not cached, not warm)
enum class Fetched { NotYet, Saved, Unsaved, Failed, BudgetSpent };  // what the fetch came to

struct Facts {
    bool enabled = true;  // tako_cache.enabled
    Mode mode = Mode::Hybrid;
    bool read_only = false;  // a standby, or a read-only transaction: nothing may be written
    Row row = Row::Missing;
    bool reread = false;            // the row was read again after the single flight was taken
    bool failed_recently = false;   // the key failed less than kFailureMemoryMs ago
    bool provider_paused = false;   // its provider's circuit breaker is open
    bool worker_serves = false;     // the refresh worker serves this database
    bool sees_worker_saves = true;  // read committed: this statement sees what the worker saves
    bool worker_declined = false;   // the worker could not take the fetch (queue full, worker gone)
    bool in_block = false;          // the statement runs in a transaction block
    bool warm = false;  // cached or a warm key: fetching it spends no new key of the hour
    Flight flight = Flight::NotTried;
    Queue queue = Queue::NotTried;
    Budget budget = Budget::NotAsked;
    Fetched fetched = Fetched::NotYet;
};

enum class Action {
    Bypass,        // the cache is disabled: fetch, serve, save nothing
    ServeHit,      // serve the row as a hit (counted unless read-only)
    ServeStale,    // serve the expired row, saying why (`reason`)
    NotCached,     // no row, and nothing may be fetched (db_only, or read-only)
    QueueRefresh,  // ask the refresh worker to refresh the list when this transaction commits
    TakeFlight,    // take the key's single-flight lock, waiting `wait_ms` at most
    Reread,        // read the row again (the session that held the flight may have saved it)
    TakeNewKey,    // spend one of the provider's new keys of the hour
    Fetch,         // fetch the list: by `fetcher`
    ServeSaved,    // serve the row the fetch saved (read it again)
    ServeFetched,  // serve what was fetched, which was not saved
    RefuseBudget,  // ERROR TK429: the provider's new keys of the hour are spent
    RaiseError,    // ERROR: the upstream failed (now, or a moment ago) and there is no row
};

enum class StaleReason {
    None,        // db_only: served as it is
    Failure,     // the key failed a moment ago, or its provider is paused
    Queued,      // its refresh is queued for the worker
    InBlock,     // without the worker, nothing is saved inside a transaction block
    FlightBusy,  // another session is refreshing it
    Error,       // the fetch failed (stale-if-error)
};

enum class Fetcher {
    Worker,          // the refresh worker, one request per key however many wait
    Session,         // this session, which saves what it fetched
    SessionUnsaved,  // this session, saving nothing (a transaction block, or another holds the
                     // flight)
};

struct Decision {
    Action action = Action::RaiseError;
    StaleReason reason = StaleReason::None;  // ServeStale
    int wait_ms = 0;                         // TakeFlight
    Fetcher fetcher = Fetcher::Session;      // Fetch
    bool count_hit = false;                  // ServeHit, ServeStale
    bool warn_no_worker = false;  // Fetch by a session of a database the worker does not serve
};

Decision decide(const Facts &facts);

// Whether a fresh row is served as a hit, as the C hit path asks before it reads the row (the
// other facts do not matter then).
inline bool serves_fresh_rows(bool enabled, Mode mode) {
    Facts f;
    f.enabled = enabled;
    f.mode = mode;
    f.row = Row::Fresh;
    return decide(f).action == Action::ServeHit;
}

// The names tako_discover_fill uses (lower case, as in the facts it passes and the JSON it reads).
std::optional<Mode> parse_mode(std::string_view);
std::optional<Row> parse_row(std::string_view);
std::optional<Flight> parse_flight(std::string_view);
std::optional<Queue> parse_queue(std::string_view);
std::optional<Budget> parse_budget(std::string_view);
std::optional<Fetched> parse_fetched(std::string_view);
std::string_view name(Action);
std::string_view name(StaleReason);
std::string_view name(Fetcher);

}  // namespace tako::read_policy
