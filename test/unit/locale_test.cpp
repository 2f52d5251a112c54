// The locale setting (core/normalize/locale.hpp): what tako_cache.locale accepts, and the message
// for what it refuses.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/normalize/locale.hpp"

namespace tako {
namespace {

TEST(Locale, KnownSpellings) {
    for (const char *fr : {"fr-FR", "fr_FR", "FR-fr", "fr-fr", "fr", "FR"})
        EXPECT_EQ(parse_locale(fr), Locale::FrFR) << fr;
    for (const char *en : {"en-US", "en_US", "EN-us", "en", "En"})
        EXPECT_EQ(parse_locale(en), Locale::EnUS) << en;
    EXPECT_EQ(kDefaultLocale, Locale::FrFR);  // Tako's DEFAULT_LOCALE
    EXPECT_EQ(locale_name(Locale::FrFR), "fr-FR");
    EXPECT_EQ(locale_name(Locale::EnUS), "en-US");
    EXPECT_EQ(locale_from_setting("en_us"), Locale::EnUS);
    EXPECT_EQ(locale_problem("fr-FR"), "");
}

TEST(Locale, RefusedWithAClearMessage) {
    for (const char *bad : {"de-DE", "en-GB", "fr-CA", "french", "fr-", "-FR", " fr-FR", "fr-FR ",
                            "fr--FR", "C", "POSIX", "en-US.UTF-8"})
        EXPECT_EQ(parse_locale(bad), std::nullopt) << bad;
    EXPECT_EQ(locale_problem("de-DE"),
              "unknown locale \"de-DE\": tako_cache writes its labels in fr-FR (Tako's default) or "
              "en-US");
    EXPECT_EQ(locale_problem(""),
              "empty locale: tako_cache writes its labels in fr-FR (Tako's default) or en-US");
    // Untrusted text is shown escaped.
    EXPECT_EQ(locale_problem(std::string("x\n\x01", 3)),
              "unknown locale \"x\\x0A\\x01\": tako_cache writes its labels in fr-FR (Tako's "
              "default) or en-US");
    try {
        locale_from_setting("de-DE");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_STREQ(e.sqlstate(), "22023");
        EXPECT_EQ(std::string(e.what()), locale_problem("de-DE"));
        EXPECT_EQ(e.hint(), "Set tako_cache.locale to 'fr-FR' or 'en-US'.");
    }
}

}  // namespace
}  // namespace tako
