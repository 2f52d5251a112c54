// Checks on the URLs an administrator may configure (provider base URLs, the IGDB token URL).
#pragma once

#include <string>
#include <string_view>

namespace tako {

// True when `url` is an absolute http:// or https:// URL with a host, no credentials, query,
// fragment, whitespace or control bytes. Otherwise false, with the reason in `why`.
bool is_base_url(std::string_view url, std::string *why);

}  // namespace tako
