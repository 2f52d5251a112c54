#include "core/envelope/response_head.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/civil_date.hpp"
#include "core/error.hpp"

namespace tako {

namespace {

using nlohmann::json;

// "2026-12-06T21:00:00.000Z" (what the envelope writes: core/envelope/upstream_meta.hpp) in
// microseconds since the Unix epoch; nullopt for anything else.
std::optional<std::int64_t> unix_us_of_iso(const std::string &text) {
    int y, mo, d, h, mi, s, ms, used = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &s, &ms,
                    &used) != 7 ||
        used != static_cast<int>(text.size()) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return std::nullopt;
    const std::int64_t seconds =
        days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
        mi * 60 + s;
    return seconds * 1000000 + ms * 1000;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string_view opaque(std::string_view tag) {
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    return tag;
}

}  // namespace

std::string etag_of(std::int64_t data_version, std::int64_t saved_unix_us) {
    return "W/\"" + std::to_string(data_version) + "-" + std::to_string(saved_unix_us) + "\"";
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    const std::string_view want = opaque(etag);
    while (!if_none_match.empty()) {
        const std::size_t comma = if_none_match.find(',');
        const std::string_view tag = trim(if_none_match.substr(0, comma));
        if (tag == "*" || (!tag.empty() && opaque(tag) == want)) return true;
        if (comma == std::string_view::npos) break;
        if_none_match.remove_prefix(comma + 1);
    }
    return false;
}

std::int64_t fresh_seconds(std::int64_t expires_unix_us, std::int64_t now_unix_us) {
    return expires_unix_us > now_unix_us ? (expires_unix_us - now_unix_us) / 1000000 : 0;
}

ResponseHead head_of_envelope(std::string_view envelope, std::int64_t now_unix_us) {
    const json body = json::parse(envelope, nullptr, false);
    if (!body.is_object() || !body.contains("meta") || !body["meta"].is_object())
        throw Error(sqlstate::kInvalidJson, "not a tako_cache envelope");
    const json &meta = body["meta"];
    ResponseHead head;
    if (body.value("success", false) == false) {
        head.status = 404;
        head.cache = "MISS";
        return head;
    }
    if (meta.value("stale", false)) {
        head.cache = "STALE";
        return head;
    }
    head.cache = meta.value("cached", false) ? "HIT" : "MISS";
    const json &expires = meta.contains("expiresAt") ? meta["expiresAt"] : json();
    if (expires.is_string())
        if (auto us = unix_us_of_iso(expires.get<std::string>()))
            head.max_age = fresh_seconds(*us, now_unix_us);
    return head;
}

}  // namespace tako
