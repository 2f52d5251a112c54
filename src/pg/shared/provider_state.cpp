#include "pg/shared/provider_state.hpp"

#include <algorithm>
#include <cstring>

#include "core/text_cut.hpp"
#include "pg/shared/shared_part.hpp"

namespace tako::pg::shared {

namespace {

struct Providers {
    RateLimitState limits[kProviders];
    ProviderHealth health[kProviders];
    char last_error[kProviders][256]{};
    char igdb_token[512]{};
    std::int64_t igdb_token_expires_unix_ms = 0;
};

SharedPart<Providers> part("tako_cache providers");

}  // namespace

void request_provider_state() {
    part.request();
}

void attach_provider_state() {
    part.attach();
}

std::int64_t reserve_slot(int provider, const RateLimit &limit, std::int64_t earliest_us) {
    std::int64_t start = earliest_us;
    part.with(
        [&](Providers &p) { start = tako::reserve_slot(p.limits[provider], limit, earliest_us); });
    return start;
}

void hold_until(int provider, std::int64_t until_us) {
    part.with([&](Providers &p) { tako::hold_until(p.limits[provider], until_us); });
}

std::string igdb_token(std::int64_t now_unix_ms) {
    char copy[sizeof(Providers::igdb_token)] = {0};
    part.with(
        [&](Providers &p) {
            if (p.igdb_token_expires_unix_ms > now_unix_ms)
                std::memcpy(copy, p.igdb_token, sizeof copy);
        },
        LW_SHARED);
    copy[sizeof copy - 1] = '\0';
    return copy;
}

void store_igdb_token(const std::string &token, std::int64_t expires_unix_ms) {
    if (token.size() >= sizeof(Providers::igdb_token)) return;  // not kept; fetched again next time
    char copy[sizeof(Providers::igdb_token)] = {0};
    std::memcpy(copy, token.data(), token.size());
    part.with([&](Providers &p) {
        std::memcpy(p.igdb_token, copy, sizeof copy);
        p.igdb_token_expires_unix_ms = expires_unix_ms;
    });
}

void forget_igdb_token(const std::string &token) {
    if (token.size() >= sizeof(Providers::igdb_token)) return;
    part.with([&](Providers &p) {
        if (std::strncmp(p.igdb_token, token.c_str(), sizeof p.igdb_token) == 0)
            p.igdb_token_expires_unix_ms = 0;
    });
}

bool take_request(int provider, const DailyBudget &budget, bool read_through, std::int64_t now_ms) {
    bool taken = false;
    part.with([&](Providers &p) {
        taken = tako::take_request(p.health[provider], budget, read_through, now_ms);
    });
    return taken;
}

void restore_requests(int provider, std::int64_t requests, std::int64_t now_ms) {
    part.with([&](Providers &p) { tako::restore_requests(p.health[provider], requests, now_ms); });
}

bool record_outcome(int provider, Outcome outcome, const std::string &error, std::int64_t now_ms,
                    const BreakerPolicy &policy) {
    char text[sizeof(Providers::last_error[0])];
    copy_cut(text, error);
    const bool keep_text = outcome != Outcome::Ok && outcome != Outcome::CircuitOpen &&
                           outcome != Outcome::NotConfigured && outcome != Outcome::QuotaExhausted;
    bool opened = false;
    part.with([&](Providers &p) {
        opened = tako::record_outcome(p.health[provider], outcome, now_ms, policy);
        if (keep_text) std::memcpy(p.last_error[provider], text, sizeof text);
    });
    return opened;
}

HealthSnapshot health(int provider) {
    HealthSnapshot snapshot;
    char text[sizeof(Providers::last_error[0])] = {0};
    part.with(
        [&](Providers &p) {
            snapshot.health = p.health[provider];
            std::memcpy(text, p.last_error[provider], sizeof text);
        },
        LW_SHARED);
    text[sizeof text - 1] = '\0';
    snapshot.last_error = text;
    return snapshot;
}

}  // namespace tako::pg::shared
