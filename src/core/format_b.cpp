#include "core/cpp_only.hpp"

#include "core/format_b.hpp"

#include <array>

#include "core/error.hpp"

namespace tako {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 11> kItemFields = {
    "id",   "type",   "source", "sourceId", "title",      "titleOriginal",
    "year", "images", "urls",   "details",  "description"};

class ItemChecker {
public:
    ItemChecker(const json &item, std::size_t index) : item_(item), index_(index) {}

    [[noreturn]] void fail(const std::string &field, const std::string &problem) const {
        throw_invalid("data[" + std::to_string(index_) + "]" + (field.empty() ? "" : "." + field) +
                          " " + problem,
                      {},
                      "Items must follow Tako's Format B: {id, type, source, sourceId, title, "
                      "titleOriginal, description, year, images, urls, details}.");
    }

    const json &member(const json &object, std::string_view name, const std::string &path) const {
        auto it = object.find(name);
        if (it == object.end()) fail(path, "is missing");
        return *it;
    }

    const std::string &string(const json &object, std::string_view name, const std::string &path,
                              bool non_empty) const {
        const json &value = member(object, name, path);
        if (!value.is_string()) fail(path, "must be a string");
        if (non_empty && value.get_ref<const std::string &>().empty())
            fail(path, "must not be empty");
        return value.get_ref<const std::string &>();
    }

    void optional_string(const json &object, std::string_view name, const std::string &path) const {
        const json &value = member(object, name, path);
        if (!value.is_null() && !value.is_string()) fail(path, "must be a string or null");
    }

    void check(std::string_view provider) const {
        if (!item_.is_object()) fail("", "must be an object");
        for (const auto &entry : item_.items()) {
            bool known = entry.key() == "_raw";
            for (std::string_view field : kItemFields) known = known || entry.key() == field;
            if (!known)
                fail(entry.key(), "is not a Format B field (type-specific fields go in details)");
        }
        const std::string &source = string(item_, "source", "source", true);
        const std::string &source_id = string(item_, "sourceId", "sourceId", true);
        if (string(item_, "id", "id", true) != source + ":" + source_id)
            fail("id", "must be \"{source}:{sourceId}\"");
        if (!provider.empty() && source != provider)
            fail("source", "is " + quote_for_message(source) + " but the key is for provider " +
                               std::string(provider));
        string(item_, "type", "type", true);
        string(item_, "title", "title", false);
        optional_string(item_, "titleOriginal", "titleOriginal");
        optional_string(item_, "description", "description");
        const json &year = member(item_, "year", "year");
        if (!year.is_null() && !year.is_number_integer())
            fail("year", "must be an integer or null");

        const json &images = member(item_, "images", "images");
        if (!images.is_object()) fail("images", "must be an object");
        optional_string(images, "primary", "images.primary");
        optional_string(images, "thumbnail", "images.thumbnail");
        const json &gallery = member(images, "gallery", "images.gallery");
        if (!gallery.is_array()) fail("images.gallery", "must be an array of URL strings");
        for (const json &url : gallery)
            if (!url.is_string()) fail("images.gallery", "must be an array of URL strings");

        const json &urls = member(item_, "urls", "urls");
        if (!urls.is_object()) fail("urls", "must be an object");
        optional_string(urls, "source", "urls.source");
        string(urls, "detail", "urls.detail", false);

        if (!member(item_, "details", "details").is_object()) fail("details", "must be an object");
    }

private:
    const json &item_;
    std::size_t index_;
};

}  // namespace

void validate_items(const json &items, std::string_view provider) {
    if (!items.is_array())
        throw_invalid("data must be a JSON array of items, not " + std::string(items.type_name()));
    for (std::size_t i = 0; i < items.size(); ++i) ItemChecker(items[i], i).check(provider);
}

json parse_json(std::string_view text, std::string_view what) {
    json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded())
        throw Error(sqlstate::kInvalidJson,
                    "invalid " + std::string(what) + ": not well-formed JSON");
    return parsed;
}

}  // namespace tako
