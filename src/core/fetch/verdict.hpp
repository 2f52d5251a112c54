// How one finished transfer is judged: success, a failure with its cause, and whether another
// attempt may help.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/fetch/fetch.hpp"

namespace tako {

struct Verdict {
    Outcome outcome = Outcome::Ok;
    std::string error;
    bool retry = false;
    std::optional<std::chrono::milliseconds> retry_after;
    nlohmann::json body;  // the parsed body of a successful response
};

Verdict judge(std::string_view provider, const HttpResponse &response, SystemTime now);

}  // namespace tako
