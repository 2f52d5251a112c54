// judge() on an HTTP response built from the input:
//
//   <provider> <status> [<failure>]      first line; failure: index into HttpFailure (0: none)
//   <name>: <value>                      header lines, names lower-cased as the engine does
//                                        an empty line
//   <body>                               the rest (for a failure: the transfer's error text)
//
// Invariants: the error text is printable UTF-8 (it is stored in the refresh log and shown in
// results and ERROR messages); a success comes with a 2xx status and a parsed body; a Retry-After
// wait is never negative; every outcome has a name and a five-character SQLSTATE.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/error.hpp"
#include "core/fetch/verdict.hpp"
#include "fuzz_common.hpp"

namespace {

using namespace tako;
using namespace tako::fuzz;

HttpResponse response_from(std::string_view text, std::string &provider) {
    HttpResponse r;
    std::size_t end = text.find('\n');
    std::string first(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);

    std::size_t space = first.find(' ');
    provider = first.substr(0, space);
    if (space != std::string::npos) {
        const char *rest = first.c_str() + space + 1;
        char *after = nullptr;
        r.status = std::strtol(rest, &after, 10);
        const long failure = std::strtol(after, nullptr, 10);
        const long failures = static_cast<long>(HttpFailure::Other) + 1;
        r.failure = static_cast<HttpFailure>(((failure % failures) + failures) % failures);
    }
    while (!text.empty()) {
        end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (line.empty()) break;
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name(line.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        r.headers.emplace_back(std::move(name), std::string(value));
    }
    r.body = std::string(text);
    // A failed transfer's explanation can quote the upstream (a refused redirect's Location).
    if (r.failure != HttpFailure::None) r.error = r.body;
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string provider;
    const HttpResponse r = response_from(as_text(data, size), provider);
    const SystemTime now = std::chrono::system_clock::from_time_t(1795546800);
    try {
        Verdict v = judge(provider, r, now);
        fuzz_check(valid_utf8(v.error) && printable(v.error), "verdict error is printable UTF-8",
                   v.error);
        if (v.outcome == Outcome::Ok) {
            fuzz_check(r.failure == HttpFailure::None && r.status >= 200 && r.status <= 299,
                       "success only for a 2xx response");
            fuzz_check(!v.body.is_discarded() && v.error.empty(), "success has a body, no error");
            fuzz_check(valid_utf8(v.body.dump()), "body dumps as valid JSON");
        } else {
            fuzz_check(!v.error.empty(), "a failure says why");
        }
        if (v.retry_after)
            fuzz_check(v.retry_after->count() >= 0, "Retry-After wait is not negative");
        fuzz_check(std::string_view(to_string(v.outcome)) != "unknown", "outcome has a name");
        fuzz_check(sqlstate_of(v.outcome).size() == 5, "outcome has a SQLSTATE");
    } catch (const Error &) {
    }
    return 0;
}
