// detect_upstream_error on the input (JSON text) for every provider (and an unknown one) with
// the HTTP statuses the fetch path sees: 0 (normalize_list's check), 200, 4xx, 5xx and oddities.
//
// Invariant: an error's message is printable UTF-8 (it goes into refresh results, the refresh log
// and ERROR messages), its kind one of the enum's.
#include <climits>

#include "core/error.hpp"
#include "core/families.hpp"
#include "core/format_b.hpp"
#include "core/normalize/normalize.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    using namespace tako;
    using namespace tako::fuzz;
    nlohmann::json body;
    try {
        body = parse_json(as_text(data, size), "fuzz input");
    } catch (const Error &) {
        return 0;
    }
    std::vector<std::string_view> names = providers();
    names.push_back("unknown");
    for (std::string_view provider : names) {
        for (long status : {0L, 200L, 204L, 301L, 400L, 401L, 403L, 404L, 408L, 422L, 429L, 500L,
                            503L, 599L, 600L, -1L, LONG_MAX, LONG_MIN}) {
            try {
                auto error = detect_upstream_error(provider, status, body);
                if (!error) continue;
                fuzz_check(valid_utf8(error->message) && printable(error->message),
                           "upstream error message is printable UTF-8", error->message);
                const int kind = static_cast<int>(error->kind);
                fuzz_check(kind >= 0 && kind <= static_cast<int>(UpstreamError::Kind::Other),
                           "upstream error kind");
            } catch (const Error &) {
            }
        }
    }
    return 0;
}
