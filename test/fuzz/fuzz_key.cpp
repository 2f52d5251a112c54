// parse_key on the whole input, and build_key on the input cut into lines: provider, endpoint,
// category, period, type, filter, day, sfw (a missing line, or a line "\N", is NULL).
//
// Invariants: an accepted key's canonical form is printable, at most kMaxKeyLength bytes, starts
// with "{provider}:{endpoint}" and is its own canonical form; build_key returns a canonical key;
// a rejection's message, detail and hint are printable UTF-8 (they go into a PostgreSQL ERROR).
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/key.hpp"
#include "fuzz_common.hpp"

namespace {

using namespace tako;
using namespace tako::fuzz;

void check_error(const Error &e) {
    fuzz_check(valid_utf8(e.what()) && printable(e.what()), "error message is printable UTF-8",
               e.what());
    fuzz_check(valid_utf8(e.detail()) && printable(e.detail()), "error detail is printable UTF-8",
               e.detail());
    fuzz_check(valid_utf8(e.hint()) && printable(e.hint()), "error hint is printable UTF-8",
               e.hint());
}

void check_canonical(const std::string &key) {
    fuzz_check(!key.empty() && key.size() <= kMaxKeyLength, "canonical key length", key);
    fuzz_check(printable(key) && valid_utf8(key), "canonical key is printable", key);
    ParsedKey again = parse_key(key);  // a canonical key is always accepted...
    fuzz_check(again.key == key, "canonical key is its own canonical form", key);  // ...as is
    fuzz_check(
        key.rfind(std::string(again.provider()) + ":" + std::string(again.endpoint()), 0) == 0,
        "canonical key starts with provider:endpoint", key);
    fuzz_check(valid_utf8(again.params_json()), "params_json is valid", key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view text = as_text(data, size);
    try {
        ParsedKey parsed = parse_key(text);
        fuzz_check(parsed.family != nullptr, "parsed key has a family");
        check_canonical(parsed.key);
        fuzz_check(parsed.ttl_seconds() > 0, "ttl is positive", parsed.key);
    } catch (const Error &e) {
        check_error(e);
    }

    std::vector<std::optional<std::string>> parts(8);
    const std::vector<std::string> given = lines(text);
    for (std::size_t i = 0; i < given.size() && i < parts.size(); ++i)
        if (given[i] != "\\N") parts[i] = given[i];
    KeyArguments args;
    args.category = parts[2];
    args.period = parts[3];
    args.type = parts[4];
    args.filter = parts[5];
    args.day = parts[6];
    args.sfw = parts[7];
    try {
        check_canonical(build_key(parts[0], parts[1], args));
    } catch (const Error &e) {
        check_error(e);
    }
    return 0;
}
