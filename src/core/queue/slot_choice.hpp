// Which slot of the refresh queue a request of a key takes (pure; the queue itself, in shared
// memory, is src/pg/shared/refresh_queue.cpp). The rule that keeps a request's result for its own
// waiters: a key reuses its own slot whatever its state; a new key takes a free slot, else the slot
// whose result has been kept longest, once it has been kept `keep_us` (its waiters, woken at once
// or within a second, have read it by then); never a pending or in-flight slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tako {

enum class SlotState : std::uint8_t { Free = 0, Pending, InFlight, Done };

struct SlotView {
    SlotState state;
    std::uint32_t database;
    std::string_view key;
    std::int64_t done_us;  // when it became Done
};

// `view(i)` describes slot i of `count`. Returns the chosen slot, or -1 when the queue is full.
// Allocates nothing (it runs under the queue's lock).
template <typename View>
int choose_slot(std::size_t count, View &&view, std::uint32_t database, std::string_view key,
                std::int64_t now_us, std::int64_t keep_us) {
    int free_slot = -1, done_slot = -1;
    std::int64_t done_oldest = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const SlotView s = view(i);
        if (s.state == SlotState::Free) {
            if (free_slot < 0) free_slot = static_cast<int>(i);
            continue;
        }
        if (s.database == database && s.key == key) return static_cast<int>(i);
        if (s.state == SlotState::Done && s.done_us < now_us - keep_us &&
            (done_slot < 0 || s.done_us < done_oldest)) {
            done_slot = static_cast<int>(i);
            done_oldest = s.done_us;
        }
    }
    return free_slot >= 0 ? free_slot : done_slot;
}

}  // namespace tako
