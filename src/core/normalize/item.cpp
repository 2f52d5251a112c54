#include "core/cpp_only.hpp"

#include "core/normalize/item.hpp"

#include <cmath>
#include <cstdio>

#include "core/error.hpp"

namespace tako {
namespace normalize {

namespace {

const json kNull;

// Reads `count` decimal digits at s[pos]; -1 when they are not all digits or the text is too short.
int digits(std::string_view s, std::size_t pos, std::size_t count) {
    if (pos + count > s.size()) return -1;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

bool leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

// Parses "Thh:mm[:ss[.fff]][Z|±hh[:mm]|±hhmm]" at s[pos] (the 'T' or ' ' included) and returns
// the UTC minute of the day it denotes, which may fall before 0 or after 1439 when the offset
// moves the instant to the previous or next UTC day. nullopt when malformed.
std::optional<int> utc_minute_of_day(std::string_view s, std::size_t pos) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    int hour = digits(s, pos + 1, 2);
    if (hour < 0 || hour > 23 || pos + 3 >= s.size() || s[pos + 3] != ':') return std::nullopt;
    int minute = digits(s, pos + 4, 2);
    if (minute < 0 || minute > 59) return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
        int second = digits(s, pos + 1, 2);
        if (second < 0 || second > 60) return std::nullopt;
        pos += 3;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            std::size_t start = ++pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
            if (pos == start) return std::nullopt;
        }
    }
    int local = hour * 60 + minute;
    if (pos == s.size()) return local;  // no zone: read as UTC, never as the server's local time
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return local;
    if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
    const int sign = s[pos] == '+' ? 1 : -1;
    int offset_hours = digits(s, pos + 1, 2);
    if (offset_hours < 0 || offset_hours > 23) return std::nullopt;
    pos += 3;
    int offset_minutes = 0;
    if (pos < s.size()) {
        if (s[pos] == ':') ++pos;
        offset_minutes = digits(s, pos, 2);
        if (offset_minutes < 0 || offset_minutes > 59 || pos + 2 != s.size()) return std::nullopt;
    }
    return local - sign * (offset_hours * 60 + offset_minutes);
}

}  // namespace

const json &get(const json &obj, std::string_view key) {
    if (!obj.is_object()) return kNull;
    auto it = obj.find(key);
    return it == obj.end() ? kNull : *it;
}

json text(const json &value) {
    if (value.is_string() && !value.get_ref<const std::string &>().empty()) return value;
    return nullptr;
}

json string_or_null(const json &value) {
    return value.is_string() ? value : json(nullptr);
}

std::string str(const json &value) {
    return value.is_string() ? value.get<std::string>() : std::string();
}

json number(const json &value) {
    return value.is_number() ? value : json(nullptr);
}

json boolean(const json &value) {
    return value.is_boolean() ? value : json(nullptr);
}

const json &array(const json &value) {
    static const json kEmpty = json::array();
    return value.is_array() ? value : kEmpty;
}

json as_list(const json &value) {
    if (value.is_array()) return value;
    if (value.is_object()) return json::array({value});
    return json::array();
}

json strings(const json &value) {
    json out = json::array();
    for (const json &element : array(value))
        if (!text(element).is_null()) out.push_back(element);
    return out;
}

json numbers(const json &value) {
    json out = json::array();
    for (const json &element : array(value))
        if (element.is_number()) out.push_back(element);
    return out;
}

json names(const json &value, std::string_view key) {
    json out = json::array();
    for (const json &element : array(value)) {
        json name = text(get(element, key));
        if (!name.is_null()) out.push_back(std::move(name));
    }
    return out;
}

std::string id_string(const json &value) {
    if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
    if (value.is_number_integer()) {
        auto id = value.get<std::int64_t>();
        return id >= 0 ? std::to_string(id) : std::string();
    }
    if (value.is_number_float()) {
        double id = value.get<double>();
        // Only whole numbers a double holds exactly (JSON writers sometimes emit 550.0).
        if (id >= 0 && id <= 9007199254740992.0 && std::floor(id) == id)
            return std::to_string(static_cast<std::uint64_t>(id));
        return {};
    }
    return str(value);
}

std::string ascii_lower(std::string s) {
    for (char &c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

json tenths(double x) {
    const double rounded = std::floor(x + 0.5);
    if (std::fabs(rounded) < 1e15 && std::fmod(rounded, 10.0) == 0.0)
        return static_cast<std::int64_t>(rounded) / 10;
    return rounded / 10;
}

json make_item(std::string_view source, std::string_view type, const std::string &source_id,
               const std::string &title, const std::string &detail_path) {
    return json{
        {"id", std::string(source) + ":" + source_id},
        {"type", type},
        {"source", source},
        {"sourceId", source_id},
        {"title", title},
        {"titleOriginal", nullptr},
        {"description", nullptr},
        {"year", nullptr},
        {"images", {{"primary", nullptr}, {"thumbnail", nullptr}, {"gallery", json::array()}}},
        {"urls", {{"source", nullptr}, {"detail", detail_path}}},
        {"details", json::object()}};
}

void throw_unexpected(std::string_view provider, const std::string &what) {
    throw Error(sqlstate::kInvalidJson,
                "unexpected " + std::string(provider) + " response: " + what);
}

std::optional<int> utc_year(std::string_view s) {
    const int year = digits(s, 0, 4);
    if (year < 0) return std::nullopt;
    if (s.size() == 4) return year;
    if (s[4] != '-') return std::nullopt;
    const int month = digits(s, 5, 2);
    if (month < 1 || month > 12) return std::nullopt;
    if (s.size() == 7) return year;
    if (s.size() < 10 || s[7] != '-') return std::nullopt;
    const int day = digits(s, 8, 2);
    if (day < 1 || day > days_in_month(year, month)) return std::nullopt;
    if (s.size() == 10) return year;
    std::optional<int> minute = utc_minute_of_day(s, 10);
    if (!minute) return std::nullopt;
    // An offset moves the instant by less than a day, so only the first and last day of a year can
    // change year in UTC.
    if (*minute < 0 && month == 1 && day == 1) return year - 1;
    if (*minute >= 24 * 60 && month == 12 && day == 31) return year + 1;
    return year;
}

json utc_year_of(const json &value) {
    if (!value.is_string()) return nullptr;
    std::optional<int> year = utc_year(value.get_ref<const std::string &>());
    return year ? json(*year) : json(nullptr);
}

CivilDate civil_from_days(std::int64_t days) {
    // Howard Hinnant's days_from_civil inverse: eras of 400 years, March-based years.
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t doe = days - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::optional<CivilDate> utc_date_from_unix(const json &seconds) {
    // 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z: anything outside is not a release date.
    constexpr double kMin = -62167219200.0;
    constexpr double kMax = 253402300799.0;
    if (!seconds.is_number()) return std::nullopt;
    const double value = seconds.get<double>();
    if (!(value >= kMin && value <= kMax)) return std::nullopt;
    const auto whole = static_cast<std::int64_t>(std::floor(value));
    std::int64_t days = whole / 86400;
    if (whole % 86400 < 0) --days;  // floor division for instants before 1970
    return civil_from_days(days);
}

std::string iso_date(const CivilDate &date) {
    if (date.year < 0 || date.year > 9999) return {};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(date.year), date.month,
                  date.day);
    return buf;
}

}  // namespace normalize
}  // namespace tako
