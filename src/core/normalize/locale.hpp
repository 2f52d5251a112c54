// The language of the human-readable labels the normalizers write (today only Jikan's age-rating
// labels: every other field is upstream text, a code or a number). Tako writes them in French, its
// default locale fr-FR, and has no other language for them; en-US gives the English labels of
// MyAnimeList itself. The tako_cache.locale setting picks one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tako {

enum class Locale { FrFR, EnUS };

inline constexpr Locale kDefaultLocale = Locale::FrFR;  // Tako's DEFAULT_LOCALE

// The canonical spelling: "fr-FR", "en-US".
std::string_view locale_name(Locale locale);

// A locale setting: a BCP 47 tag of one of the known locales, in any letter case, with '-' or '_'
// ("fr-FR", "fr_fr", "EN-us"), or the bare language ("fr", "en"). nullopt for anything else.
std::optional<Locale> parse_locale(std::string_view text);

// Why `text` is not a locale setting ("" when it is one), for a GUC check hook: e.g.
// "unknown locale \"de-DE\": tako_cache writes its labels in fr-FR (Tako's default) or en-US".
// Never throws.
std::string locale_problem(std::string_view text) noexcept;

// parse_locale, or tako::Error 22023 with locale_problem's message.
Locale locale_from_setting(std::string_view text);

}  // namespace tako
