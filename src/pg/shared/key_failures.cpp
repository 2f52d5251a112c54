#include "pg/shared/key_failures.hpp"

#include <algorithm>
#include <cstring>

#include "core/text_cut.hpp"
#include "pg/shared/shared_part.hpp"

namespace tako::pg::shared {

namespace {

struct FailureSlot {
    char key[256];
    std::int64_t failed_ms;
    int outcome;
    char error[240];
};
constexpr int kFailureSlots = 512;

struct KeyFailures {
    FailureSlot slots[kFailureSlots]{};
};

SharedPart<KeyFailures> part("tako_cache key failures");

int slot_of(const std::string &key) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
    return static_cast<int>(h % kFailureSlots);
}

}  // namespace

void request_key_failures() {
    part.request();
}

void attach_key_failures() {
    part.attach();
}

void remember_failure(const std::string &key, Outcome outcome, const std::string &error,
                      std::int64_t now_ms) {
    if (key.size() >= sizeof(FailureSlot::key)) return;
    FailureSlot slot{};
    copy_cut(slot.key, key);
    copy_cut(slot.error, error);
    slot.failed_ms = now_ms;
    slot.outcome = static_cast<int>(outcome);
    const int index = slot_of(key);
    part.with([&](KeyFailures &f) { f.slots[index] = slot; });
}

void forget_failure(const std::string &key) {
    const int index = slot_of(key);
    part.with([&](KeyFailures &f) {
        if (std::strncmp(f.slots[index].key, key.c_str(), sizeof f.slots[index].key) == 0)
            f.slots[index].failed_ms = 0;
    });
}

std::optional<KeyFailure> recent_failure(const std::string &key, std::int64_t since_ms) {
    FailureSlot slot{};
    const int index = slot_of(key);
    part.with([&](KeyFailures &f) { slot = f.slots[index]; }, LW_SHARED);
    slot.key[sizeof slot.key - 1] = '\0';
    slot.error[sizeof slot.error - 1] = '\0';
    if (slot.failed_ms == 0 || slot.failed_ms < since_ms || key != slot.key) return std::nullopt;
    return KeyFailure{static_cast<Outcome>(slot.outcome), slot.error, slot.failed_ms};
}

}  // namespace tako::pg::shared
