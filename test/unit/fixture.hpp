// The recorded upstream responses of test/fixtures (see SOURCES.md there), for the unit tests of
// the normalizers.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.hpp"
#include "core/format_b.hpp"
#include "core/normalize/normalize.hpp"

namespace tako::fixture {

using nlohmann::json;

// test/fixtures/{relative}, parsed. Throws (failing the test) when it is missing or malformed.
inline json load(const std::string &relative) {
    const std::string path = std::string(TAKO_FIXTURES_DIR) + "/" + relative;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read fixture " + path);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

// normalize_list, then validate_items on the result: a Format B violation throws and fails the
// test.
inline json normalized(std::string_view provider, const json &raw, std::string_view category = {},
                       std::string_view endpoint = {}) {
    json items = normalize_list(provider, endpoint, raw, category);
    validate_items(items, provider);
    return items;
}

inline json normalized_file(std::string_view provider, const std::string &relative,
                            std::string_view category = {}) {
    return normalized(provider, load(relative), category);
}

// {SQLSTATE, message} of the tako::Error `action` throws; {"none", ""} when it returns.
template <typename Action>
std::pair<std::string, std::string> thrown(Action &&action) {
    try {
        action();
    } catch (const Error &e) {
        return {e.sqlstate(), e.what()};
    }
    return {"none", ""};
}

inline std::pair<std::string, std::string> normalize_error(std::string_view provider,
                                                           const json &raw,
                                                           std::string_view category = {}) {
    return thrown([&] { normalize_list(provider, {}, raw, category); });
}

// Runs the scope with the process's local time zone set to `zone`, so that a year computed in local
// time instead of UTC would show.
class LocalTimeZone {
public:
    explicit LocalTimeZone(const char *zone) {
        const char *old = std::getenv("TZ");
        had_old_ = old != nullptr;
        if (had_old_) old_ = old;
        setenv("TZ", zone, 1);
        tzset();
    }
    ~LocalTimeZone() {
        if (had_old_)
            setenv("TZ", old_.c_str(), 1);
        else
            unsetenv("TZ");
        tzset();
    }
    LocalTimeZone(const LocalTimeZone &) = delete;
    LocalTimeZone &operator=(const LocalTimeZone &) = delete;

private:
    bool had_old_ = false;
    std::string old_;
};

}  // namespace tako::fixture
