// Shared by the libFuzzer targets of test/fuzz (one fuzz_*.cpp per target, see README.md).
//
// A target calls the code under test on the input and catches tako::Error, and only that: a
// tako::Error is the core's way of rejecting bad input. Any other exception escapes and libFuzzer
// reports it ("deadly signal" after std::terminate), as it does a crash or a sanitizer report.
// A broken invariant (a result the header of the code promises never to return) is reported with
// fuzz_check(), which prints what was wrong and aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tako::fuzz {

inline std::string_view as_text(const std::uint8_t *data, std::size_t size) {
    return {reinterpret_cast<const char *>(data), size};
}

// Aborts, naming the broken invariant, when `ok` is false.
inline void fuzz_check(bool ok, const char *invariant, std::string_view value = {}) {
    if (ok) return;
    std::fprintf(stderr, "\n*** fuzz invariant broken: %s\n", invariant);
    if (!value.empty())
        std::fprintf(stderr, "*** value (%zu bytes): %.*s\n", value.size(),
                     static_cast<int>(value.size() < 2000 ? value.size() : 2000), value.data());
    std::abort();
}

// True when `text` is valid UTF-8, by nlohmann's own rules (those of every JSON the extension
// writes: a string that fails here would make json::dump() throw type_error 316).
inline bool valid_utf8(const std::string &text) {
    try {
        (void)nlohmann::json(text).dump();
        return true;
    } catch (const nlohmann::json::type_error &) {
        return false;
    }
}

// No C0 control byte and no DEL: what may go into a message or a log line.
inline bool printable(std::string_view text) {
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7F) return false;
    return true;
}

// The input cut at each '\n' (the last line may be empty).
inline std::vector<std::string> lines(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        std::size_t end = text.find('\n', start);
        out.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

}  // namespace tako::fuzz
