// quote_for_message on the input after its first byte, with that byte as max_chars (0-255), and
// with the default limit.
//
// Invariants (error.hpp): the result is a double-quoted, valid UTF-8 string with no control byte;
// no raw invisible or bidi character; at most max_chars shown characters (each at most 6 bytes:
// "\u202E") plus "..."; printable ASCII without quote or backslash, within the limit, as is.
#include "core/error.hpp"
#include "fuzz_common.hpp"

namespace {

using namespace tako;
using namespace tako::fuzz;

bool invisible_at(const std::string &s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    if (i + 1 < s.size() && b(0) == 0xC2 && b(1) >= 0x80 && b(1) <= 0x9F) return true;  // C1
    if (i + 2 < s.size() && b(0) == 0xE2 && b(1) == 0x80 &&
        ((b(2) >= 0x8B && b(2) <= 0x8F) || (b(2) >= 0xA8 && b(2) <= 0xAE)))
        return true;  // U+200B-200F, U+2028-202E
    if (i + 2 < s.size() && b(0) == 0xE2 && b(1) == 0x81 && b(2) >= 0xA0 && b(2) <= 0xAF)
        return true;  // U+2060-206F
    if (i + 2 < s.size() && b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return true;  // BOM
    return false;
}

void check(std::string_view text, std::size_t max_chars) {
    const std::string q = quote_for_message(text, max_chars);
    fuzz_check(q.size() >= 2 && q.front() == '"' && q.back() == '"', "result is quoted", q);
    fuzz_check(valid_utf8(q), "result is valid UTF-8", q);
    fuzz_check(printable(q), "result has no control byte", q);
    for (std::size_t i = 0; i < q.size(); ++i)
        fuzz_check(!invisible_at(q, i), "result has no raw invisible character", q);
    fuzz_check(q.size() <= 2 + 6 * max_chars + 3, "result is bounded", q);
    bool plain = text.size() <= max_chars;
    for (unsigned char c : text) plain = plain && c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
    if (plain) fuzz_check(q == "\"" + std::string(text) + "\"", "plain text is kept", q);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text = as_text(data + 1, size - 1);
    try {
        check(text, data[0]);
        check(text, 64);
    } catch (const Error &) {
    }
    return 0;
}
