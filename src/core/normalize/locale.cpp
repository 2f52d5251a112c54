#include "core/cpp_only.hpp"

#include "core/normalize/locale.hpp"

#include "core/error.hpp"

namespace tako {

namespace {

// ASCII case-insensitive equality; the separator '_' (POSIX spelling) counts as '-'.
bool same_tag(std::string_view text, std::string_view tag) {
    if (text.size() != tag.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c == '_') c = '-';
        char t = tag[i];
        if (t >= 'A' && t <= 'Z') t = static_cast<char>(t - 'A' + 'a');
        if (c != t) return false;
    }
    return true;
}

}  // namespace

std::string_view locale_name(Locale locale) {
    return locale == Locale::EnUS ? "en-US" : "fr-FR";
}

std::optional<Locale> parse_locale(std::string_view text) {
    if (same_tag(text, "fr-FR") || same_tag(text, "fr")) return Locale::FrFR;
    if (same_tag(text, "en-US") || same_tag(text, "en")) return Locale::EnUS;
    return std::nullopt;
}

std::string locale_problem(std::string_view text) noexcept {
    try {
        if (parse_locale(text)) return {};
        return (text.empty() ? std::string("empty locale")
                             : "unknown locale " + quote_for_message(text)) +
               ": tako_cache writes its labels in fr-FR (Tako's default) or en-US";
    } catch (...) {  // out of memory: still a refusal, with a shorter reason
        return "invalid locale";
    }
}

Locale locale_from_setting(std::string_view text) {
    if (std::optional<Locale> locale = parse_locale(text)) return *locale;
    throw_invalid(locale_problem(text), {}, "Set tako_cache.locale to 'fr-FR' or 'en-US'.");
}

}  // namespace tako
