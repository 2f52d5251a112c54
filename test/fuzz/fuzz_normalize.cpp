// normalize_list on the input (JSON text) for every provider/endpoint/category combination of the
// families table (and the NULL category, and one unknown category), each result passed through
// validate_items; also validate_items on the input itself; and, for each list it normalizes, the
// upstream metadata read from the same input and the response envelope rendered around the items.
// Jikan lists are normalized in both locales; the input also goes through the Jikan pictures
// normalizer (a /anime/{id}/pictures response).
//
// Invariants (normalize.hpp): normalize_list either throws tako::Error or returns an array of
// Format B items of its provider, which validate_items accepts and which dumps as valid JSON;
// the two locales give the same items but for the rating labels; upstream_meta never throws and
// gives an object; the envelope is valid JSON whose count and data are the items'.
// normalize_jikan_pictures (jikan_pictures.hpp) either throws tako::Error or gives no URL or a
// non-empty, valid UTF-8 one.
#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/envelope/envelope.hpp"
#include "core/envelope/upstream_meta.hpp"
#include "core/error.hpp"
#include "core/families.hpp"
#include "core/format_b.hpp"
#include "core/key.hpp"
#include "core/normalize/jikan_pictures.hpp"
#include "core/normalize/normalize.hpp"
#include "core/request/request.hpp"
#include "fuzz_common.hpp"

namespace {

using namespace tako;
using namespace tako::fuzz;

struct Combination {
    std::string provider, endpoint, category;
};

// Every (provider, endpoint, normalizer category) that a key of the families table leads to, as
// the extension computes it (normalizer_category of the parsed key), plus for each family the
// NULL category of tako_normalize() and a category no normalizer knows.
std::vector<Combination> make_combinations() {
    std::vector<Combination> out;
    auto add = [&](std::string provider, std::string endpoint, std::string category) {
        Combination c{std::move(provider), std::move(endpoint), std::move(category)};
        auto same = [&](const Combination &o) {
            return std::tie(o.provider, o.endpoint, o.category) ==
                   std::tie(c.provider, c.endpoint, c.category);
        };
        if (std::none_of(out.begin(), out.end(), same)) out.push_back(std::move(c));
    };
    for (const Family &family : families()) {
        const std::string base = std::string(family.provider) + ":" + std::string(family.endpoint);
        std::vector<std::string> keys = {base};
        const Slot &first = family.slots.front();
        if (first.kind == SlotKind::Choice)
            for (std::string_view choice : first.choices)
                keys.push_back(base + ":" + std::string(choice));
        if (first.kind == SlotKind::ItunesChart)
            for (const char *chart : {"fr-album", "us-song"}) keys.push_back(base + ":" + chart);
        for (const std::string &key : keys)
            add(std::string(family.provider), std::string(family.endpoint),
                normalizer_category(parse_key(key)));
        add(std::string(family.provider), std::string(family.endpoint), "");
        add(std::string(family.provider), std::string(family.endpoint), "podcasts");
    }
    return out;
}

const std::vector<Combination> &combinations() {
    static const std::vector<Combination> all = make_combinations();
    return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    nlohmann::json raw;
    try {
        raw = parse_json(as_text(data, size), "fuzz input");
    } catch (const Error &) {
        return 0;
    }
    try {
        validate_items(raw);
    } catch (const Error &) {
    }
    try {
        const std::optional<std::string> backdrop = normalize_jikan_pictures(raw);
        fuzz_check(!backdrop || (!backdrop->empty() && valid_utf8(*backdrop)),
                   "a backdrop is a non-empty UTF-8 string", backdrop.value_or(""));
    } catch (const Error &) {
    }
    for (const Combination &c : combinations()) {
        nlohmann::json items;
        try {
            items = normalize_list(c.provider, c.endpoint, raw, c.category);
        } catch (const Error &) {
            continue;
        }
        try {
            validate_items(items, c.provider);
        } catch (const Error &e) {
            fuzz_check(false, ("normalize_list(" + c.provider + ", " + c.endpoint + ", " +
                               c.category + ") returned items validate_items rejects: " + e.what())
                                  .c_str());
        }
        const std::string text = items.dump();
        fuzz_check(valid_utf8(text), "items dump as valid JSON");
        if (c.provider == "jikan") {
            NormalizeOptions english;
            english.locale = Locale::EnUS;
            nlohmann::json other = normalize_list(c.provider, c.endpoint, raw, c.category, english);
            fuzz_check(other.size() == items.size(), "both locales give as many items");
            for (std::size_t i = 0; i < items.size(); ++i) {
                nlohmann::json a = items[i], b = other[i];
                a["details"].erase("rating");
                b["details"].erase("rating");
                fuzz_check(a == b, "the locales differ in the rating labels only");
            }
        }

        const ParsedKey key = parse_key(c.provider + ":" + c.endpoint);
        const nlohmann::json upstream = upstream_meta(key, raw, "fr-FR", 0);
        fuzz_check(upstream.is_object(), "upstream_meta gives an object");
        EnvelopeInput in;
        in.key = &key;
        in.items = text;
        in.count = items.size();
        in.upstream = &upstream;
        const std::string envelope = render_envelope(in);
        nlohmann::json parsed = nlohmann::json::parse(envelope, nullptr, false);
        fuzz_check(
            !parsed.is_discarded() && parsed["count"] == items.size() && parsed["data"] == items,
            "the envelope is JSON around the items");
    }
    return 0;
}
