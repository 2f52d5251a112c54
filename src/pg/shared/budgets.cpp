#include "pg/shared/budgets.hpp"

#include "core/fetch/health.hpp"
#include "pg/shared/shared_part.hpp"

namespace tako::pg::shared {

namespace {

struct Budgets {
    HourlyCount new_keys[kProviders];
    bool usage_loaded = false;
};

SharedPart<Budgets> part("tako_cache budgets");

}  // namespace

void request_budgets() {
    part.request();
}

void attach_budgets() {
    part.attach();
}

bool take_new_key(int provider, std::int64_t limit, std::int64_t now_ms) {
    bool taken = false;
    part.with([&](Budgets &b) { taken = take_one(b.new_keys[provider], limit, now_ms); });
    return taken;
}

void give_back_new_key(int provider, std::int64_t taken_ms) {
    part.with([&](Budgets &b) { give_back_one(b.new_keys[provider], taken_ms); });
}

std::int64_t new_keys_this_hour(int provider, std::int64_t now_ms) {
    std::int64_t n = 0;
    part.with([&](Budgets &b) { n = taken_this_hour(b.new_keys[provider], now_ms); }, LW_SHARED);
    return n;
}

bool first_usage_load() {
    bool first = false;
    part.with([&](Budgets &b) {
        first = !b.usage_loaded;
        b.usage_loaded = true;
    });
    return first;
}

}  // namespace tako::pg::shared
