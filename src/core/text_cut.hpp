// Text copied into a fixed buffer of shared memory: cut to fit with its terminator, on a UTF-8
// character boundary (the text ends up in SQL values). Pure, allocation-free: it runs under locks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace tako {

template <std::size_t N>
void copy_cut(char (&out)[N], std::string_view text) noexcept {
    std::size_t len = std::min(text.size(), N - 1);
    while (len > 0 && len < text.size() && (static_cast<unsigned char>(text[len]) & 0xC0) == 0x80)
        --len;
    std::memcpy(out, text.data(), len);
    out[len] = '\0';
}

}  // namespace tako
