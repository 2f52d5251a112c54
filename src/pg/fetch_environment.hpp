// The FetchEnvironment of a backend: PostgreSQL's cancel flags, the shared rate limits and the
// shared IGDB token (src/pg/shared_state.cpp).
#pragma once

#include "core/fetch/fetch.hpp"

namespace tako::pg {

class PgFetchEnvironment : public FetchEnvironment {
public:
    PgFetchEnvironment();
    bool interrupted() override;
    SteadyTime reserve_slot(std::string_view provider, SteadyTime earliest) override;
    void hold_provider(std::string_view provider, SteadyTime until) override;
    std::optional<std::string> igdb_token(SystemTime now) override;
    void store_igdb_token(const std::string &token, SystemTime expires) override;
    void forget_igdb_token(const std::string &token) override;
    bool take_request(std::string_view provider, bool read_through) override;
    void report_outcome(std::string_view provider, std::string_view key, Outcome outcome,
                        const std::string &error) override;
    SystemTime paused_until(std::string_view provider) override;
    void report_list(const ListResult &list) override;
};

// What every fetch of this backend uses: settings' timeouts, size cap, retry policy.
FetchOptions fetch_options();

// fetch_lists with this backend's environment and settings (`on_list`: each list as soon as it is
// over; `more`: keys to add while it runs); an interrupt (cancel, timeout, terminate) is raised as
// PostgreSQL's own error once every transfer has stopped.
std::vector<ListResult> run_fetch(const std::vector<ParsedKey> &keys, const FetchOptions &options,
                                  const ListOver &on_list = nullptr,
                                  const MoreKeys &more = nullptr);

// Called after fetch_lists threw Interrupted: raises PostgreSQL's own error for the pending
// interrupt (57014 "canceling statement due to statement timeout" / "... user request", or the
// FATAL of a terminate request) as a C++ exception through pg_call.
[[noreturn]] void raise_interrupt();

}  // namespace tako::pg
