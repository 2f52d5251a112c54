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
//
// Well-formed sequences only (RFC 3629, section 4, the table PostgreSQL and nlohmann::json also
// apply): found by test/fuzz/fuzz_quote, the lead/continuation bit patterns alone let through
// overlong forms (C0 80 is a hidden NUL, E0 80 AF a hidden "/"), UTF-16 surrogates (ED A0 80..ED BF
// BF) and code points past U+10FFFF (F4 90.., F5..F7 leads), all of them invalid UTF-8 that then
// reached error messages raw, and made json::dump() of such a message throw.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = static_cast<unsigned char>(s[i]);
    if (byte < 0x80) return 1;
    std::size_t len = byte >= 0xC2 && byte <= 0xDF   ? 2
                      : byte >= 0xE0 && byte <= 0xEF ? 3
                      : byte >= 0xF0 && byte <= 0xF4 ? 4
                                                     : 0;  // 80-C1, F5-FF never lead
    if (len == 0 || i + len > s.size()) return 0;
    // The second byte's range is narrower after E0 (no overlong), ED (no surrogate), F0 (no
    // overlong) and F4 (nothing past U+10FFFF).
    unsigned char low = 0x80, high = 0xBF;
    if (byte == 0xE0) low = 0xA0;
    if (byte == 0xED) high = 0x9F;
    if (byte == 0xF0) low = 0x90;
    if (byte == 0xF4) high = 0x8F;
    auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < low || second > high) return 0;
    for (std::size_t k = 2; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
    return len;
}

// Code point of the valid UTF-8 sequence of `len` bytes at s[i].
char32_t decode(std::string_view s, std::size_t i, std::size_t len) {
    auto byte = [&](std::size_t k) {
        return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]));
    };
    switch (len) {
        case 1:
            return byte(0);
        case 2:
            return ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
        case 3:
            return ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
        default:
            return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) |
                   (byte(3) & 0x3F);
    }
}

// Characters that are invisible or reorder text (C1 controls, zero-width and bidi marks): shown
// escaped so that a message cannot hide or disguise what was sent.
bool invisible(char32_t c) {
    return (c >= 0x80 && c <= 0x9F) || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF;
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
        } else if (invisible(decode(text, i, len))) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(decode(text, i, len)));
            out += buf;
            i += len;
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
