// The refresh queue's choice of a slot (core/queue/slot_choice.hpp): a request's result is read
// only by that request's waiters, because no other key takes its slot while they may still read it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/queue/slot_choice.hpp"

namespace tako {
namespace {

constexpr std::int64_t kKeep = 60'000'000;  // the queue's: a minute
constexpr std::int64_t kNow = 1'000'000'000'000;

struct Slot {
    SlotState state = SlotState::Free;
    std::uint32_t database = 0;
    std::string key;
    std::int64_t done_us = 0;
};

int choose(const std::vector<Slot> &slots, std::uint32_t database, const std::string &key,
           std::int64_t now = kNow) {
    auto view = [&](std::size_t i) {
        return SlotView{slots[i].state, slots[i].database, slots[i].key, slots[i].done_us};
    };
    return choose_slot(slots.size(), view, database, key, now, kKeep);
}

TEST(QueueSlot, AKeyReusesItsOwnSlotInEveryState) {
    for (SlotState state : {SlotState::Pending, SlotState::InFlight, SlotState::Done}) {
        std::vector<Slot> slots(4);
        slots[2] = {state, 5, "tmdb:popular:movie", kNow - 1};
        EXPECT_EQ(choose(slots, 5, "tmdb:popular:movie"), 2);
    }
}

TEST(QueueSlot, TheSameKeyOfAnotherDatabaseIsAnotherRequest) {
    std::vector<Slot> slots(3);
    slots[0] = {SlotState::Pending, 5, "tmdb:popular:movie", 0};
    EXPECT_EQ(choose(slots, 6, "tmdb:popular:movie"), 1);
}

TEST(QueueSlot, ANewKeyTakesTheFirstFreeSlotBeforeAnyDoneOne) {
    std::vector<Slot> slots(4);
    slots[0] = {SlotState::Done, 5, "a", kNow - 10 * kKeep};
    slots[1] = {SlotState::InFlight, 5, "b", 0};
    EXPECT_EQ(choose(slots, 5, "c"), 2);
}

TEST(QueueSlot, AResultIsKeptForItsWaitersBeforeAnotherKeyTakesItsSlot) {
    std::vector<Slot> slots(2);
    slots[0] = {SlotState::Done, 5, "a", kNow - kKeep + 1};  // finished less than a minute ago
    slots[1] = {SlotState::Pending, 5, "b", 0};
    EXPECT_EQ(choose(slots, 5, "c"), -1) << "full: no slot whose result may still be read";
    slots[0].done_us = kNow - kKeep - 1;
    EXPECT_EQ(choose(slots, 5, "c"), 0);
}

TEST(QueueSlot, TheOldestKeptResultGoesFirst) {
    std::vector<Slot> slots(4);
    slots[0] = {SlotState::Done, 5, "a", kNow - 2 * kKeep};
    slots[1] = {SlotState::Done, 5, "b", kNow - 5 * kKeep};
    slots[2] = {SlotState::Done, 5, "c", kNow - 3 * kKeep};
    slots[3] = {SlotState::InFlight, 5, "d", 0};
    EXPECT_EQ(choose(slots, 5, "e"), 1);
}

TEST(QueueSlot, PendingAndInFlightSlotsAreNeverTaken) {
    std::vector<Slot> slots(2);
    slots[0] = {SlotState::Pending, 5, "a", kNow - 10 * kKeep};
    slots[1] = {SlotState::InFlight, 5, "b", kNow - 10 * kKeep};
    EXPECT_EQ(choose(slots, 5, "c"), -1);
}

TEST(QueueSlot, AKeyFindsItsSlotPastFreeOnes) {
    std::vector<Slot> slots(5);
    slots[4] = {SlotState::Pending, 5, "a", 0};
    EXPECT_EQ(choose(slots, 5, "a"), 4) << "not the free slot 0: one request per key";
}

}  // namespace
}  // namespace tako
