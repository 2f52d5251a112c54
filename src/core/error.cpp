#include "core/cpp_only.hpp"

#include "core/error.hpp"

#include <cstdio>

namespace tako {

namespace {

bool valid_sqlstate(std::string_view s) {
    if (s.size() != 5) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
    return true;
}

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not a valid one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = static_cast<unsigned char>(s[i]);
    std::size_t len = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3
                                      : (byte >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
    return len;
}

}  // namespace

Error::Error(std::string_view sqlstate, const std::string &message, std::string detail,
             std::string hint)
    : std::runtime_error(message), detail_(std::move(detail)), hint_(std::move(hint)) {
    std::string_view code = valid_sqlstate(sqlstate) ? sqlstate : sqlstate::kInternal;
    code.copy(sqlstate_, 5);
    sqlstate_[5] = '\0';
}

void throw_invalid(const std::string &message, std::string detail, std::string hint) {
    throw Error(sqlstate::kInvalidParameter, message, std::move(detail), std::move(hint));
}

std::string quote_for_message(std::string_view text, std::size_t max_chars) {
    std::string out = "\"";
    std::size_t shown = 0;
    for (std::size_t i = 0; i < text.size();) {
        if (shown == max_chars) {
            out += "...";
            break;
        }
        std::size_t len = utf8_sequence_length(text, i);
        auto byte = static_cast<unsigned char>(text[i]);
        if (len == 0 || byte < 0x20 || byte == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", byte);
            out += buf;
            i += 1;
        } else {
            if (byte == '"' || byte == '\\') out += '\\';
            out.append(text.substr(i, len));
            i += len;
        }
        ++shown;
    }
    out += '"';
    return out;
}

}  // namespace tako
