#include "core/http/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

namespace tako {

namespace {

bool internal_v4(std::uint32_t a) {  // host byte order
    auto in = [a](std::uint32_t net, int bits) {
        return bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits));
    };
    return in(0x00000000, 8)      // 0.0.0.0/8 "this network"
           || in(0x0A000000, 8)   // 10/8
           || in(0x64400000, 10)  // 100.64/10 carrier-grade NAT
           || in(0x7F000000, 8)   // 127/8 loopback
           || in(0xA9FE0000, 16)  // 169.254/16 link-local (cloud metadata)
           || in(0xAC100000, 12)  // 172.16/12
           || in(0xC0000000, 24)  // 192.0.0/24 IETF protocol assignments
           || in(0xC0A80000, 16)  // 192.168/16
           || in(0xC6120000, 15)  // 198.18/15 benchmarking
           || in(0xE0000000, 4)   // 224/4 multicast
           || in(0xF0000000, 4);  // 240/4 reserved, broadcast
}

}  // namespace

bool is_internal_address(const sockaddr *address) {
    if (!address) return true;
    if (address->sa_family == AF_INET) {
        sockaddr_in v4;
        std::memcpy(&v4, address, sizeof v4);
        return internal_v4(ntohl(v4.sin_addr.s_addr));
    }
    if (address->sa_family == AF_INET6) {
        sockaddr_in6 v6;
        std::memcpy(&v6, address, sizeof v6);
        const unsigned char *b = v6.sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        if (std::memcmp(b, mapped, 12) == 0) {
            std::uint32_t a = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                              (std::uint32_t{b[14]} << 8) | b[15];
            return internal_v4(a);
        }
        bool zero_prefix = true;
        for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
        if (zero_prefix && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
        if ((b[0] & 0xFE) == 0xFC) return true;                      // fc00::/7 unique local
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return true;      // fe80::/10 link-local
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return true;      // fec0::/10 site-local
        if (b[0] == 0xFF) return true;                               // ff00::/8 multicast
        return false;
    }
    return true;
}

std::string address_text(const sockaddr *address) {
    char text[INET6_ADDRSTRLEN] = {0};
    if (address && address->sa_family == AF_INET) {
        sockaddr_in v4;
        std::memcpy(&v4, address, sizeof v4);
        if (inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text)) return text;
    } else if (address && address->sa_family == AF_INET6) {
        sockaddr_in6 v6;
        std::memcpy(&v6, address, sizeof v6);
        if (inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text)) return text;
    }
    return "";
}

std::string ip_literal(const std::string &host) {
    std::string h = host;
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    char text[INET6_ADDRSTRLEN] = {0};
    in_addr v4;
    if (inet_pton(AF_INET, h.c_str(), &v4) == 1 && inet_ntop(AF_INET, &v4, text, sizeof text))
        return text;
    in6_addr v6;
    if (inet_pton(AF_INET6, h.c_str(), &v6) == 1 && inet_ntop(AF_INET6, &v6, text, sizeof text))
        return text;
    return "";
}

}  // namespace tako
