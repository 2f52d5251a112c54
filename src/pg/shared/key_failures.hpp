// Keys whose latest fetch failed, shared by every backend: tako_discover and the worker do not
// fetch them again for a minute. Kept outside any transaction (a failed tako_discover rolls back,
// its memory of the failure stays). A small table where a key's slot is its hash: a collision
// forgets the older failure, at the cost of one more upstream request. One LWLock of the tranche
// "tako_cache key failures" guards it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/fetch/health.hpp"

namespace tako::pg::shared {

void request_key_failures();
void attach_key_failures();

struct KeyFailure {
    Outcome outcome;
    std::string error;
    std::int64_t failed_ms;
};
void remember_failure(const std::string &key, Outcome outcome, const std::string &error,
                      std::int64_t now_ms);
void forget_failure(const std::string &key);
std::optional<KeyFailure> recent_failure(const std::string &key, std::int64_t since_ms);

}  // namespace tako::pg::shared
