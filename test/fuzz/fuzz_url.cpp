// is_base_url on the input, checked against libcurl's own URL parser (the one that will use the
// URL).
//
// Invariants (url.hpp): an accepted URL starts with http:// or https://, has no byte outside
// 0x21-0x7E, and libcurl parses it as a URL with a host and no user, password, query or fragment;
// a rejected one comes with a reason; the answer does not depend on whether `why` is asked for.
#include <curl/curl.h>

#include "core/error.hpp"
#include "core/url.hpp"
#include "fuzz_common.hpp"

namespace {

using namespace tako::fuzz;

// The URL part `what` as libcurl sees it, or "" when it has none.
std::string part(CURLU *url, CURLUPart what) {
    char *value = nullptr;
    if (curl_url_get(url, what, &value, 0) != CURLUE_OK || !value) return {};
    std::string out(value);
    curl_free(value);
    return out;
}

void check_with_curl(const std::string &text) {
    CURLU *url = curl_url();
    if (!url) return;
    const CURLUcode rc = curl_url_set(url, CURLUPART_URL, text.c_str(), 0);
    fuzz_check(rc == CURLUE_OK, "libcurl parses an accepted URL", text);
    fuzz_check(!part(url, CURLUPART_HOST).empty(), "libcurl finds its host", text);
    fuzz_check(part(url, CURLUPART_USER).empty() && part(url, CURLUPART_PASSWORD).empty(),
               "no credentials", text);
    fuzz_check(part(url, CURLUPART_QUERY).empty() && part(url, CURLUPART_FRAGMENT).empty(),
               "no query or fragment", text);
    const std::string scheme = part(url, CURLUPART_SCHEME);
    fuzz_check(scheme == "http" || scheme == "https", "scheme is http or https", text);
    curl_url_cleanup(url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view text = as_text(data, size);
    try {
        std::string why;
        const bool ok = tako::is_base_url(text, &why);
        fuzz_check(ok == tako::is_base_url(text, nullptr), "same answer without why", text);
        if (!ok) {
            fuzz_check(!why.empty(), "a rejection says why", text);
            return 0;
        }
        fuzz_check(text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0, "scheme", text);
        for (unsigned char c : text) fuzz_check(c > 0x20 && c < 0x7F, "no space or control", text);
        check_with_curl(std::string(text));
    } catch (const tako::Error &) {
    }
    return 0;
}
