#include "core/cpp_only.hpp"

#include "core/key.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace tako {

namespace {

std::string join(const std::vector<std::string_view> &items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += separator;
        out += items[i];
    }
    return out;
}

// The ids of a platform list ("187,4,4" → 4, 187: numeric order, each once), or nullopt when it is
// not a list of at most kMaxPlatformIds distinct ids of up to nine digits without leading zeros.
std::optional<std::vector<long>> platform_ids(std::string_view value) {
    std::vector<long> ids;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = value.find(',', start);
        std::string_view id =
            value.substr(start, comma == std::string_view::npos ? comma : comma - start);
        if (id.empty() || id.size() > 9 || id[0] == '0') return std::nullopt;
        if (!std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        ids.push_back(std::stol(std::string(id)));
        if (ids.size() > 4 * kMaxPlatformIds) return std::nullopt;  // before dedup: bounded work
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.size() > kMaxPlatformIds) return std::nullopt;
    return ids;
}

bool is_platform_list(std::string_view value) {
    return value == "all" || platform_ids(value).has_value();
}

// The one form of a platform list: "all", or its ids in numeric order, each once.
std::string canonical_platforms(std::string_view value) {
    if (value == "all") return "all";
    const std::optional<std::vector<long>> ids = platform_ids(value);
    std::string out;
    for (long id : *ids) out += (out.empty() ? "" : ",") + std::to_string(id);
    return out;
}

bool is_itunes_chart(std::string_view value) {
    return value.size() > 3 && value[2] == '-' && is_country_code(value.substr(0, 2)) &&
           (value.substr(3) == "album" || value.substr(3) == "song");
}

bool accepts(const Slot &slot, std::string_view value) {
    switch (slot.kind) {
        case SlotKind::Choice:
            return std::find(slot.choices.begin(), slot.choices.end(), value) != slot.choices.end();
        case SlotKind::Platforms:
            return is_platform_list(value);
        case SlotKind::ItunesChart:
            return is_itunes_chart(value);
    }
    return false;
}

std::string describe(const Slot &slot) {
    std::string what;
    switch (slot.kind) {
        case SlotKind::Choice: {
            std::vector<std::string_view> shown;
            for (std::string_view c : slot.choices)
                if (c != slot.omitted_value) shown.push_back(c);
            what = join(shown, ", ");
            break;
        }
        case SlotKind::Platforms:
            what = "all, or up to " + std::to_string(kMaxPlatformIds) +
                   " comma-separated numeric platform ids such as 4,187";
            break;
        case SlotKind::ItunesChart:
            what =
                "{cc}-album or {cc}-song, cc an ISO 3166 country code in lower case, such as "
                "fr-album";
            break;
    }
    return std::string(slot.name) + " (" + what + ")";
}

std::vector<std::string_view> split(std::string_view key) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t colon = key.find(':', start);
        parts.push_back(key.substr(start, colon == std::string_view::npos ? colon : colon - start));
        if (colon == std::string_view::npos) return parts;
        start = colon + 1;
    }
}

[[noreturn]] void bad_key(std::string_view key, const std::string &problem, std::string detail = {},
                          std::string hint = {}) {
    throw_invalid("invalid cache key " + quote_for_message(key) + ": " + problem, std::move(detail),
                  std::move(hint));
}

}  // namespace

std::string ParsedKey::part(std::string_view name) const {
    for (const auto &[slot, value] : parts) {
        if (slot == name) return value;
        if (slot == "chart" && name == "country") return value.substr(0, 2);
        if (slot == "chart" && name == "category") return value.substr(3);
    }
    return {};
}

std::string ParsedKey::params_json() const {
    nlohmann::json params = nlohmann::json::object();
    for (const auto &[slot, value] : parts) {
        if (slot == "chart") {
            params["country"] = value.substr(0, 2);
            params["category"] = value.substr(3);
        } else {
            params[slot] = value;
        }
    }
    return params.dump();
}

ParsedKey parse_key(std::string_view key) {
    if (key.empty()) throw_invalid("cache key must not be empty");
    if (key.size() > kMaxKeyLength)
        throw_invalid("cache key is too long (" + std::to_string(key.size()) + " bytes, at most " +
                      std::to_string(kMaxKeyLength) + ")");

    const std::vector<std::string_view> parts = split(key);
    for (std::size_t i = 0; i < parts.size(); ++i)
        if (parts[i].empty())
            bad_key(key, "part " + std::to_string(i + 1) + " is empty",
                    "Parts are separated by a single \":\" and none may be empty.");

    std::string_view provider = parts[0];
    const auto &known = providers();
    if (std::find(known.begin(), known.end(), provider) == known.end())
        bad_key(key, "unknown provider " + quote_for_message(provider), {},
                "Valid providers: " + join(known, ", ") + ".");

    std::vector<std::string_view> endpoints;
    for (const Family &f : families())
        if (f.provider == provider) endpoints.push_back(f.endpoint);
    if (parts.size() < 2)
        bad_key(key, "missing endpoint", {},
                "Endpoints of " + std::string(provider) + ": " + join(endpoints, ", ") + ".");
    const Family *family = find_family(provider, parts[1]);
    if (!family)
        bad_key(key,
                "unknown endpoint " + quote_for_message(parts[1]) + " for provider " +
                    std::string(provider),
                {}, "Endpoints of " + std::string(provider) + ": " + join(endpoints, ", ") + ".");

    // Each part goes into the first slot, at or after the current one, that accepts it; the slots
    // skipped on the way keep their defaults. Values of different slots of one family never
    // overlap, so this is unambiguous.
    const std::vector<Slot> &slots = family->slots;
    std::vector<std::optional<std::string>> values(slots.size());
    std::size_t next = 0;
    for (std::size_t i = 2; i < parts.size(); ++i) {
        std::size_t j = next;
        while (j < slots.size() && !accepts(slots[j], parts[i])) ++j;
        if (j == slots.size()) {
            if (next == slots.size())
                bad_key(key, "unexpected part " + quote_for_message(parts[i]),
                        "Keys of this family have the form " + std::string(family->pattern) + ".");
            std::string expected;
            for (std::size_t k = next; k < slots.size(); ++k)
                expected += (k > next ? "; or " : "") + describe(slots[k]);
            bad_key(key,
                    "invalid " + std::string(slots[next].name) + " " + quote_for_message(parts[i]),
                    "Expected " + expected + ". Keys of this family have the form " +
                        std::string(family->pattern) + ".");
        }
        values[j] = std::string(parts[i]);
        next = j + 1;
    }

    ParsedKey parsed;
    parsed.family = family;
    parsed.key = std::string(provider) + ":" + std::string(family->endpoint);
    for (std::size_t k = 0; k < slots.size(); ++k) {
        std::string value = values[k] ? *values[k] : std::string(slots[k].default_value);
        if (value.empty() || value == slots[k].omitted_value) continue;
        if (slots[k].kind == SlotKind::Platforms) value = canonical_platforms(value);
        if (!slots[k].requires_category.empty() &&
            parsed.part("category") != slots[k].requires_category)
            bad_key(key,
                    quote_for_message(value) + " needs category " +
                        std::string(slots[k].requires_category),
                    "Keys of this family have the form " + std::string(family->pattern) + ".");
        parsed.key += ":" + value;
        parsed.parts.emplace_back(slots[k].name, std::move(value));
    }
    return parsed;
}

std::string build_key(const std::optional<std::string> &provider,
                      const std::optional<std::string> &endpoint, const KeyArguments &args) {
    for (const auto &[name, value] :
         {std::pair{"provider", &provider}, std::pair{"endpoint", &endpoint}}) {
        if (!*value) throw Error(sqlstate::kNullValue, std::string(name) + " must not be null");
        if ((*value)->empty()) throw_invalid(std::string(name) + " must not be empty");
    }

    const std::pair<std::string_view, const std::optional<std::string> *> named[] = {
        {"provider", &provider},  {"endpoint", &endpoint}, {"category", &args.category},
        {"period", &args.period}, {"type", &args.type},    {"filter", &args.filter},
        {"day", &args.day},       {"sfw", &args.sfw}};
    std::string key;
    for (const auto &[name, value] : named) {
        if (!*value || (*value)->empty()) continue;
        if (name == "sfw" && **value == "all") continue;
        if ((*value)->find(':') != std::string::npos)
            throw_invalid("invalid " + std::string(name) + " " + quote_for_message(**value) +
                          ": key parts must not contain \":\"");
        if (key.size() + (*value)->size() > kMaxKeyLength)
            throw_invalid("cache key is too long (more than " + std::to_string(kMaxKeyLength) +
                          " bytes)");
        if (!key.empty()) key += ':';
        key += **value;
    }
    return parse_key(key).key;
}

}  // namespace tako
