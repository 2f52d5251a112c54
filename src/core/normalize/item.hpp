// Shared pieces of the six normalizers (src/core/normalize/*.cpp): tolerant readers of untrusted
// upstream JSON, the Format B item skeleton, and UTC dates.
//
// Upstream data is never trusted to have the documented shape: every reader here treats a missing,
// null or wrong-typed value as absent and returns null / "" / an empty array instead of throwing.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tako {
namespace normalize {

using nlohmann::json;

// ---- Reading untrusted JSON -------------------------------------------------------------------

// obj[key] when obj is an object that has it, else a null value. Chains safely:
// get(get(raw, "images"), "jpg").
const json &get(const json &obj, std::string_view key);

// The value itself when it is a non-empty string, else null. (Tako's `x || null` on strings.)
json text(const json &value);
// The first of `values` that is a non-empty string, else null. (Tako's `a || b || null`.)
template <typename... Values>
json first_text(const Values &...values) {
    json found;
    ((found.is_null() ? void(found = text(values)) : void()), ...);
    return found;
}
// The value when it is a string, even empty, else null. (Tako's plain copy of a text field.)
json string_or_null(const json &value);
// The string, or "" when the value is not a string.
std::string str(const json &value);
// The value when it is a number (not a boolean), else null. 0 stays 0.
json number(const json &value);
// The value when it is a boolean, else null.
json boolean(const json &value);
// The value when it is an array, else an empty array.
const json &array(const json &value);
// An array as is, a single object as a one-element array (feeds that collapse one-entry lists),
// anything else as an empty array.
json as_list(const json &value);
// The non-empty strings of an array, in order (other elements skipped).
json strings(const json &value);
// The numbers of an array, in order (other elements skipped).
json numbers(const json &value);
// For an array of objects: each one's non-empty string `key` ("name" of genres...), others skipped.
json names(const json &value, std::string_view key = "name");

// An upstream id as Format B's sourceId: a non-negative integer in decimal, or a non-empty string
// as is; "" when the value cannot be an id (the item is then skipped).
std::string id_string(const json &value);

// ASCII letters lower-cased (upstream enum words such as "TV").
std::string ascii_lower(std::string s);

// Math.round(x) / 10 (JavaScript's Math.round: halves go up), as Tako rounds ratings to one
// decimal; a whole result is an integer, as JSON.stringify writes it (80, not 80.0).
json tenths(double x);

// ---- Format B ---------------------------------------------------------------------------------

// An item with every Format B field: the given identity, title and detail path; titleOriginal,
// description, year, images.primary/thumbnail and urls.source null; gallery [] and details {}.
json make_item(std::string_view source, std::string_view type, const std::string &source_id,
               const std::string &title, const std::string &detail_path);

// Throws tako::Error 22P02 "unexpected {provider} response: {what}".
[[noreturn]] void throw_unexpected(std::string_view provider, const std::string &what);

// ---- Dates, always in UTC ---------------------------------------------------------------------

// The UTC calendar year of an ISO-8601 date or date-time: "2023-12-06",
// "2022-10-05T00:00:00+00:00", "2018-09-07T00:00:00-07:00" (an offset moves the instant, and so
// maybe the year, to UTC). Also "YYYY" and "YYYY-MM". nullopt for empty, malformed or impossible
// dates ("2023-02-30").
std::optional<int> utc_year(std::string_view iso);
// The same for a JSON value that may not be a string.
json utc_year_of(const json &value);

// Days since 1970-01-01 → the proleptic Gregorian civil date (any sign).
struct CivilDate {
    std::int64_t year;
    int month;
    int day;
};
CivilDate civil_from_days(std::int64_t days);
// Unix seconds (a JSON number) → UTC date; nullopt when the value is not a number or is absurd.
std::optional<CivilDate> utc_date_from_unix(const json &seconds);
// "YYYY-MM-DD" of a civil date (years 0..9999 only; others give "").
std::string iso_date(const CivilDate &date);

}  // namespace normalize
}  // namespace tako
