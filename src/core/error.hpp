// The one exception type of tako_cache. It carries a SQLSTATE so that the PostgreSQL boundary
// (src/pg/error_boundary.cpp) can raise the right error code; the core stays PostgreSQL-free by
// spelling SQLSTATEs as their five-character text.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tako {

namespace sqlstate {
inline constexpr std::string_view kInvalidParameter = "22023";  // invalid_parameter_value
inline constexpr std::string_view kNullValue = "22004";         // null_value_not_allowed
inline constexpr std::string_view kInvalidJson = "22P02";       // invalid_text_representation
inline constexpr std::string_view kConnectionException = "08000";
inline constexpr std::string_view kConnectionFailure = "08006";
inline constexpr std::string_view kUnableToConnect = "08001";
inline constexpr std::string_view kQueryCanceled = "57014";
inline constexpr std::string_view kPrerequisiteState = "55000";  // object_not_in_prerequisite_state
inline constexpr std::string_view kInsufficientPrivilege = "42501";
inline constexpr std::string_view kOutOfMemory = "53200";
inline constexpr std::string_view kInternal = "XX000";
// tako_cache's own: a request budget is spent (a provider's daily requests, or the new keys
// read-through may fetch this hour). The Tako route answers HTTP 429.
inline constexpr std::string_view kBudgetSpent = "TK429";
}  // namespace sqlstate

class Error : public std::runtime_error {
public:
    Error(std::string_view sqlstate, const std::string &message, std::string detail = {},
          std::string hint = {});

    // Always five characters from [0-9A-Z].
    const char *sqlstate() const noexcept { return sqlstate_; }
    const std::string &detail() const noexcept { return detail_; }
    const std::string &hint() const noexcept { return hint_; }

private:
    char sqlstate_[6];
    std::string detail_;
    std::string hint_;
};

// Shorthand for the most common error: a bad argument (22023).
[[noreturn]] void throw_invalid(const std::string &message, std::string detail = {},
                                std::string hint = {});

// Renders untrusted text for an error message: control bytes and quotes escaped, invalid UTF-8
// shown as \xNN, long values cut with "...", so a message never carries raw attacker bytes.
std::string quote_for_message(std::string_view text, std::size_t max_chars = 64);

}  // namespace tako
