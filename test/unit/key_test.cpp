// The key grammar (docs/keys.md): building, parsing, canonical forms, defaults and every rejection.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "core/key.hpp"

namespace tako {
namespace {

std::string canonical(std::string_view key) {
    return parse_key(key).key;
}

// The SQLSTATE and message of the error parse_key throws for `key`.
std::pair<std::string, std::string> rejection(std::string_view key) {
    try {
        parse_key(key);
    } catch (const Error &e) {
        return {e.sqlstate(), e.what()};
    }
    return {"none", "accepted"};
}

TEST(KeyBuild, SeedOrderAndExamples) {
    EXPECT_EQ(build_key("tmdb", "trending", {"movie", "week"}), "tmdb:trending:movie:week");
    KeyArguments monday;
    monday.day = "monday";
    EXPECT_EQ(build_key("jikan", "schedule", monday), "jikan:schedule:monday");
    KeyArguments on_the_air;
    on_the_air.category = "tv";
    on_the_air.filter = "on-the-air";
    EXPECT_EQ(build_key("tmdb", "upcoming", on_the_air), "tmdb:upcoming:tv:on-the-air");
}

TEST(KeyBuild, SfwAllIsLeftOutOthersAppendedLast) {
    KeyArguments all;
    all.category = "tv";
    all.sfw = "all";
    EXPECT_EQ(build_key("jikan", "top", all), "jikan:top:tv");
    KeyArguments nsfw;
    nsfw.category = "tv";
    nsfw.sfw = "nsfw";
    EXPECT_EQ(build_key("jikan", "trending", nsfw), "jikan:trending:tv:nsfw");
}

TEST(KeyBuild, EmptyAndNullPartsAreSkippedAndDefaultsFilled) {
    KeyArguments empty;
    empty.category = "";
    EXPECT_EQ(build_key("deezer", "charts", empty), "deezer:charts:albums");
    EXPECT_EQ(build_key("tmdb", "trending", {}), "tmdb:trending:movie:week");
    KeyArguments day;
    day.period = "day";
    EXPECT_EQ(build_key("tmdb", "trending", day), "tmdb:trending:movie:day");
}

TEST(KeyBuild, RejectsMissingProviderAndColonsInParts) {
    EXPECT_THROW(build_key(std::nullopt, "trending", {}), Error);
    EXPECT_THROW(build_key("tmdb", "", {}), Error);
    KeyArguments colon;
    colon.category = "movie:week";
    try {
        build_key("tmdb", "trending", colon);
        FAIL() << "accepted a colon";
    } catch (const Error &e) {
        EXPECT_STREQ(e.sqlstate(), "22023");
        EXPECT_NE(std::string(e.what()).find("invalid category \"movie:week\""), std::string::npos);
    }
}

TEST(KeyParse, EveryFamilyOfTheSpec) {
    EXPECT_EQ(canonical("tmdb:trending:tv:day"), "tmdb:trending:tv:day");
    EXPECT_EQ(canonical("tmdb:popular"), "tmdb:popular:movie");
    EXPECT_EQ(canonical("tmdb:top-rated:tv"), "tmdb:top-rated:tv");
    EXPECT_EQ(canonical("tmdb:upcoming"), "tmdb:upcoming:movie");
    EXPECT_EQ(canonical("tmdb:upcoming:tv:airing-today"), "tmdb:upcoming:tv:airing-today");
    EXPECT_EQ(canonical("jikan:top"), "jikan:top:anime");
    EXPECT_EQ(canonical("jikan:top:manga:sfw"), "jikan:top:manga:sfw");
    EXPECT_EQ(canonical("jikan:top:movie:all"), "jikan:top:movie");
    EXPECT_EQ(canonical("jikan:trending"), "jikan:trending:all");
    EXPECT_EQ(canonical("jikan:trending:nsfw"), "jikan:trending:all:nsfw");
    EXPECT_EQ(canonical("jikan:upcoming:ova"), "jikan:upcoming:ova");
    EXPECT_EQ(canonical("jikan:schedule"), "jikan:schedule:all");
    EXPECT_EQ(canonical("jikan:schedule:other"), "jikan:schedule:other");
    EXPECT_EQ(canonical("rawg:popular"), "rawg:popular:all");
    EXPECT_EQ(canonical("rawg:trending:4,187"), "rawg:trending:4,187");
    EXPECT_EQ(canonical("igdb:upcoming:6,48,49"), "igdb:upcoming:6,48,49");
    EXPECT_EQ(canonical("deezer:charts:artists"), "deezer:charts:artists");
    EXPECT_EQ(canonical("itunes:charts"), "itunes:charts:fr-album");
    EXPECT_EQ(canonical("itunes:charts:us-song"), "itunes:charts:us-song");
}

TEST(KeyParse, TtlPerFamily) {
    EXPECT_EQ(parse_key("tmdb:trending").ttl_seconds(), 86400);
    EXPECT_EQ(parse_key("tmdb:upcoming:tv:on-the-air").ttl_seconds(), 21600);
    EXPECT_EQ(parse_key("jikan:schedule:monday").ttl_seconds(), 43200);
    EXPECT_EQ(parse_key("jikan:upcoming").ttl_seconds(), 21600);
    EXPECT_EQ(parse_key("rawg:upcoming").ttl_seconds(), 21600);
    EXPECT_EQ(parse_key("igdb:popular").ttl_seconds(), 86400);
    EXPECT_EQ(parse_key("itunes:charts").ttl_seconds(), 86400);
}

TEST(KeyParse, ColumnsAndParams) {
    ParsedKey k = parse_key("tmdb:trending:tv:day");
    EXPECT_EQ(k.provider(), "tmdb");
    EXPECT_EQ(k.endpoint(), "trending");
    EXPECT_EQ(k.category(), "tv");
    EXPECT_EQ(k.period(), "day");
    EXPECT_EQ(k.params_json(), R"({"category":"tv","period":"day"})");
    ParsedKey itunes = parse_key("itunes:charts:jp-song");
    EXPECT_EQ(itunes.category(), "song");
    EXPECT_EQ(itunes.part("country"), "jp");
    EXPECT_EQ(itunes.params_json(), R"({"category":"song","country":"jp"})");
    ParsedKey schedule = parse_key("jikan:schedule:friday");
    EXPECT_EQ(schedule.category(), "");
    EXPECT_EQ(schedule.part("day"), "friday");
    EXPECT_EQ(parse_key("rawg:popular:4,187").part("platforms"), "4,187");
}

TEST(KeyParse, RejectionsNameThePart) {
    auto [state, message] = rejection("netflix:trending");
    EXPECT_EQ(state, "22023");
    EXPECT_NE(message.find("unknown provider \"netflix\""), std::string::npos) << message;

    message = rejection("tmdb:charts").second;
    EXPECT_NE(message.find("unknown endpoint \"charts\" for provider tmdb"), std::string::npos);

    message = rejection("tmdb:trending:film").second;
    EXPECT_NE(message.find("invalid category \"film\""), std::string::npos) << message;

    message = rejection("tmdb:trending:movie:month").second;
    EXPECT_NE(message.find("invalid period \"month\""), std::string::npos) << message;

    message = rejection("deezer:charts:albums:extra").second;
    EXPECT_NE(message.find("unexpected part \"extra\""), std::string::npos) << message;

    message = rejection("tmdb:upcoming:movie:on-the-air").second;
    EXPECT_NE(message.find("needs category tv"), std::string::npos) << message;

    message = rejection("tmdb").second;
    EXPECT_NE(message.find("missing endpoint"), std::string::npos) << message;
}

TEST(KeyParse, RejectsMalformedText) {
    EXPECT_EQ(rejection("").first, "22023");
    EXPECT_EQ(rejection(std::string(256, 'a')).first, "22023");
    EXPECT_NE(rejection(std::string(256, 'a')).second.find("too long"), std::string::npos);
    EXPECT_NE(rejection("tmdb::trending").second.find("part 2 is empty"), std::string::npos);
    EXPECT_NE(rejection("tmdb:trending:").second.find("part 3 is empty"), std::string::npos);
    EXPECT_EQ(rejection("TMDB:trending").first, "22023");
    EXPECT_EQ(rejection("jikan:schedule:Monday").first, "22023");
    EXPECT_EQ(rejection("tmdb:trending:movie\n").first, "22023");
    EXPECT_EQ(rejection("tmdb:trending:mov\xC3\xA9").first, "22023");
}

// Found by test/fuzz/fuzz_key: a key of bytes that are not UTF-8 (an F6 lead byte) was quoted raw
// in the rejection's message.
TEST(KeyParse, RejectionMessagesEscapeInvalidUtf8) {
    const std::string message = rejection("\xF6\xA7\xA7\x98").second;
    EXPECT_NE(message.find("unknown provider \"\\xF6\\xA7\\xA7\\x98\""), std::string::npos)
        << message;
}

TEST(KeyParse, PlatformListsAreStrict) {
    EXPECT_EQ(rejection("rawg:popular:4,187").first, "none");
    for (const char *bad :
         {"rawg:popular:4,", "rawg:popular:,4", "rawg:popular:4 ,5", "rawg:popular:04",
          "rawg:popular:-1", "rawg:popular:1234567890", "igdb:popular:6);fields *",
          "igdb:popular:6 | 7", "rawg:popular:ALL", "rawg:popular:4,all"})
        EXPECT_EQ(rejection(bad).first, "22023") << bad;
    std::string eight = "rawg:popular:1", nine;
    for (int i = 2; i <= 8; ++i) eight += "," + std::to_string(i);
    nine = eight + ",9";
    EXPECT_EQ(rejection(eight).first, "none") << "at most 8 ids";
    EXPECT_EQ(rejection(nine).first, "22023");
    try {
        parse_key(nine);
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.detail()).find("up to 8"), std::string::npos) << e.detail();
    }
    // Repeating ids is not a way past the limit, nor a way to make parsing work hard.
    std::string repeated = "rawg:popular:4";
    for (int i = 0; i < 40; ++i) repeated += ",4";
    EXPECT_EQ(rejection(repeated).first, "22023");
}

TEST(KeyParse, PlatformListsHaveOneForm) {
    EXPECT_EQ(canonical("rawg:popular:187,4"), "rawg:popular:4,187");
    EXPECT_EQ(canonical("rawg:popular:4,187"), "rawg:popular:4,187");
    EXPECT_EQ(canonical("rawg:popular:4,4"), "rawg:popular:4");
    EXPECT_EQ(canonical("igdb:upcoming:49,6,48,6"), "igdb:upcoming:6,48,49");
    EXPECT_EQ(canonical("igdb:upcoming:100,20,3"), "igdb:upcoming:3,20,100") << "numeric order";
    EXPECT_EQ(parse_key("rawg:trending:187,4").part("platforms"), "4,187");
    EXPECT_EQ(build_key("rawg", "popular", KeyArguments{"187,4", {}, {}, {}, {}, {}}),
              "rawg:popular:4,187");
}

TEST(KeyParse, ItunesCountriesAreIso3166) {
    EXPECT_EQ(rejection("itunes:charts:gb-album").first, "none");
    EXPECT_EQ(rejection("itunes:charts:zz-album").first, "22023");
    EXPECT_EQ(rejection("itunes:charts:FR-album").first, "22023");
    EXPECT_EQ(rejection("itunes:charts:fr-albums").first, "22023");
    EXPECT_EQ(rejection("itunes:charts:fr").first, "22023");
    EXPECT_EQ(rejection("itunes:charts:../x-album").first, "22023");
}

TEST(KeyParse, EveryFamilyDefaultRoundTrips) {
    for (const Family &family : families()) {
        std::string key = std::string(family.provider) + ":" + std::string(family.endpoint);
        ParsedKey parsed = parse_key(key);
        EXPECT_EQ(parse_key(parsed.key).key, parsed.key) << key;
        EXPECT_GT(parsed.ttl_seconds(), 0);
    }
}

TEST(CountryCodes, KnownAndUnknown) {
    EXPECT_TRUE(is_country_code("fr"));
    EXPECT_TRUE(is_country_code("us"));
    EXPECT_TRUE(is_country_code("zw"));
    EXPECT_TRUE(is_country_code("ad"));
    EXPECT_FALSE(is_country_code("uk"));
    EXPECT_FALSE(is_country_code("FR"));
    EXPECT_FALSE(is_country_code("f"));
}

}  // namespace
}  // namespace tako
