// Fetching lists: keys → upstream requests → outcomes (and normalized items), with rate limits,
// retries and the IGDB token, all transfers of a call running concurrently
// (docs/read-and-refresh.md).
//
// The environment (src/pg/fetch_environment.cpp in the extension) supplies what lives outside
// the core: cancel requests, the shared rate-limit slots, the shared IGDB token.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/http_types.hpp"
#include "core/key.hpp"
#include "core/request/request.hpp"
#include "core/retry.hpp"

namespace tako {

using SteadyTime = std::chrono::steady_clock::time_point;
using SystemTime = std::chrono::system_clock::time_point;

enum class Outcome {
    Ok,
    HttpError,     // 4xx other than 401/403/408/429, too many redirects
    AuthError,     // 401/403, or the token could not be obtained
    RateLimited,   // 429, or Deezer's quota error
    ServerError,   // 5xx
    NetworkError,  // DNS, refused, reset, incomplete body
    Timeout,       // connect or total timeout
    TlsError,
    TooLarge,         // over max_response_bytes
    InvalidResponse,  // not JSON, not the list shape, items not Format B
    UpstreamError,    // an error body with a success status (Deezer)
    Empty,            // empty list where the family is never empty
    NotConfigured,    // a needed API key is not set: nothing was sent
    CircuitOpen,      // the provider is paused after repeated failures: nothing was sent
    QuotaExhausted,   // the provider's daily request budget is spent: nothing (more) was sent
};

struct ListResult;

class FetchEnvironment {
public:
    virtual ~FetchEnvironment() = default;
    // True when the caller must stop (PostgreSQL: a cancel or terminate request is pending).
    virtual bool interrupted() = 0;
    // Reserves the provider's next request slot, not before `earliest`; returns its start time.
    virtual SteadyTime reserve_slot(std::string_view provider, SteadyTime earliest) = 0;
    // No request of the provider starts before `until` (after a 429 with Retry-After).
    virtual void hold_provider(std::string_view provider, SteadyTime until) = 0;
    // The current IGDB access token, if one is known and not about to expire.
    virtual std::optional<std::string> igdb_token(SystemTime now) = 0;
    virtual void store_igdb_token(const std::string &token, SystemTime expires) = 0;
    // Forgets `token` if it is still the current one (IGDB answered 401 with it).
    virtual void forget_igdb_token(const std::string &token) = 0;
    // Provider health (src/core/fetch/health.hpp): takes one upstream request from the provider's
    // daily budget and counts it, or returns false when the budget (what is left of it for this
    // fetch: read-through leaves the schedule its reserved share) is spent; the outcome of one
    // list (which also remembers, or forgets, the key's latest failure); until when the provider
    // is paused (a time in the past: it is not).
    virtual bool take_request(std::string_view provider, bool read_through) = 0;
    virtual void report_outcome(std::string_view provider, std::string_view key, Outcome outcome,
                                const std::string &error) = 0;
    virtual SystemTime paused_until(std::string_view provider) = 0;
    // A list is over (after report_outcome): what monitoring counts of it (none by default).
    virtual void report_list(const ListResult &) {}
};

// Thrown by fetch_lists when the environment reports an interrupt; every transfer is stopped.
struct Interrupted : std::exception {
    const char *what() const noexcept override { return "interrupted"; }
};

const char *to_string(Outcome outcome);
// SQLSTATE to raise when a caller turns this outcome into an error.
std::string_view sqlstate_of(Outcome outcome);

// One GET /anime/{id}/pictures made for the backdrops of Jikan lists (docs/items.md, backdrops).
struct FetchedPicture {
    long mal_id = 0;
    Outcome outcome = Outcome::Ok;
    // The backdrop (normalize_jikan_pictures); nullopt when the anime has no picture, or when the
    // request failed (outcome and error say why: such a result is not worth remembering).
    std::optional<std::string> url;
    std::string error;  // "" when ok
    long http_status = 0;
    int attempts = 0;

    bool ok() const { return outcome == Outcome::Ok; }
};

struct ListResult {
    std::string key;  // canonical
    std::string provider;
    Outcome outcome = Outcome::Ok;
    long http_status = 0;
    std::string error;        // "" when ok; never holds a credential
    nlohmann::json items;     // Format B array (normalizing fetches, when ok)
    nlohmann::json upstream;  // what upstream said of the list (core/envelope/upstream_meta.hpp)
    std::string raw;          // the response body, credentials redacted (raw fetches, when ok)
    std::size_t bytes = 0;
    int attempts = 0;
    SystemTime started{}, finished{};
    // The pictures requests this call made for the backdrops of this list's items (a list of an
    // enriching family, when ok): each anime once per call, reported with the first list that
    // needed it. A failed one leaves that anime's details.backdrop null and the list ok.
    std::vector<FetchedPicture> pictures;
    // Some item's backdrop was not known when the list was over: its picture is asked after the
    // lists, and a list handed over early (fetch_lists' `on_list`) has null there until then.
    bool backdrops_pending = false;
};

// What the fetch of one list may do: ask a provider the circuit breaker paused, and spend the
// schedule's share of the daily budget.
struct ListPolicy {
    bool respect_breaker = false;  // true: a provider paused by the circuit breaker is not asked
    bool read_through = false;     // true: a read's fetch (leaves the schedule its share)
};

struct FetchOptions {
    HttpOptions http;
    RetryPolicy retry;
    bool normalize = true;         // false: return the raw body (tako_fetch)
    bool respect_breaker = false;  // every list's policy, unless policy_of says otherwise
    bool read_through = false;
    // The policy of the list of index `i` of the call (a call that refreshes lists for several
    // reasons: the refresh worker); unset, every list has the two flags above.
    std::function<ListPolicy(std::size_t index)> policy_of;
    ListPolicy policy(std::size_t index) const {
        return policy_of ? policy_of(index) : ListPolicy{respect_breaker, read_through};
    }
    std::size_t max_per_provider = 8;  // transfers of one provider in flight at once
    // Jikan backdrops (docs/items.md): every item of an ok list of a family Tako enriches
    // (enriches_backdrops) gets details.backdrop, a URL or null. Anime found here (by MAL id;
    // nullopt: known to have no picture) are not asked for; the others are, with GET
    // /anime/{id}/pictures under Jikan's rate limits and request budget, after the lists.
    bool jikan_backdrops = true;
    std::map<long, std::optional<std::string>> known_backdrops;
    std::size_t max_pictures = 25;  // new pictures asked for one list at most (the rest: later)
};

// Fetches the lists of `keys` at once. `on_list`, when given, gets each list as soon as it is over
// (its answer normalized, the backdrops already known written, the others null), while the other
// lists are still being fetched; the results returned hold every list as it ends, the backdrops
// asked for after the lists written in. Throws Interrupted, and whatever `on_list` throws.
//
// `more`, when given, is asked between two looks at the transfers for keys to add to the call
// under way (the refresh worker's queue: a miss is not kept waiting for a slow list); their
// indexes follow the ones before, and it may add what it knows of their backdrops to `options`.
// A key added while pictures are asked is fetched beside them; its own pictures are asked once
// those are in.
using ListOver = std::function<void(std::size_t index, const ListResult &)>;
using MoreKeys = std::function<std::vector<ParsedKey>(FetchOptions &options)>;
std::vector<ListResult> fetch_lists(const std::vector<ParsedKey> &keys,
                                    const UpstreamSettings &settings, const FetchOptions &options,
                                    FetchEnvironment &env, const ListOver &on_list = nullptr,
                                    const MoreKeys &more = nullptr);

}  // namespace tako
