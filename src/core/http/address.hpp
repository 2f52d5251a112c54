// Which network addresses a provider may be reached at. A provider's host name is resolved by
// libcurl; before each connection the address it resolved to is checked here, so that a name
// pointing at the server's own network (loopback, private ranges, link-local such as a cloud's
// metadata service) is refused, unless a base URL names that very address (the tests' upstream on
// 127.0.0.1 does).
#pragma once

#include <string>

struct sockaddr;

namespace tako {

// True for addresses that are not on the public internet: unspecified, loopback, private
// (RFC 1918, fc00::/7), carrier-grade NAT, link-local, benchmarking, multicast, reserved; IPv4
// mapped into IPv6 is judged as IPv4. Unknown families count as internal.
bool is_internal_address(const sockaddr *address);

// The address as text ("127.0.0.1", "::1"); "" for an unknown family.
std::string address_text(const sockaddr *address);

// The canonical text of an IP literal ("[::1]" or "::1" → "::1", "127.0.0.1"), or "" when `host`
// is not one.
std::string ip_literal(const std::string &host);

}  // namespace tako
