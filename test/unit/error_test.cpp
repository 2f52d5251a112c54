// The core's error type and the quoting of untrusted text in messages.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/url.hpp"

namespace tako {
namespace {

TEST(Error, CarriesSqlstateDetailAndHint) {
    Error e(sqlstate::kQueryCanceled, "stopped", "because", "retry");
    EXPECT_STREQ(e.sqlstate(), "57014");
    EXPECT_STREQ(e.what(), "stopped");
    EXPECT_EQ(e.detail(), "because");
    EXPECT_EQ(e.hint(), "retry");
}

TEST(Error, InvalidSqlstateBecomesInternal) {
    EXPECT_STREQ(Error("2202", "x").sqlstate(), "XX000");
    EXPECT_STREQ(Error("22p02", "x").sqlstate(), "XX000");
}

TEST(Error, ThrowInvalidIs22023) {
    try {
        throw_invalid("bad");
    } catch (const Error &e) {
        EXPECT_STREQ(e.sqlstate(), "22023");
        return;
    }
    FAIL();
}

TEST(QuoteForMessage, EscapesControlBytesQuotesAndBadUtf8) {
    EXPECT_EQ(quote_for_message("abc"), "\"abc\"");
    EXPECT_EQ(quote_for_message("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(quote_for_message(std::string("a\nb\0c", 5)), "\"a\\x0Ab\\x00c\"");
    EXPECT_EQ(quote_for_message("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
    EXPECT_EQ(quote_for_message("bad\xC3"), "\"bad\\xC3\"");
    EXPECT_EQ(quote_for_message("\xFF\xFE"), "\"\\xFF\\xFE\"");
    EXPECT_EQ(quote_for_message("a\xE2\x80\x8B"
                                "b"),
              "\"a\\u200Bb\"");  // zero-width space
    EXPECT_EQ(quote_for_message("\xE2\x80\xAE"
                                "evil"),
              "\"\\u202Eevil\"");  // right-to-left override
}

// Found by test/fuzz/fuzz_quote: sequences with valid lead/continuation bit patterns that are not
// UTF-8 went through raw.
TEST(QuoteForMessage, EscapesOverlongSurrogateAndOutOfRangeSequences) {
    EXPECT_EQ(quote_for_message("\xC0\x80"), "\"\\xC0\\x80\"");                    // overlong NUL
    EXPECT_EQ(quote_for_message("\xE0\x80\xAF"), "\"\\xE0\\x80\\xAF\"");           // overlong "/"
    EXPECT_EQ(quote_for_message("\xF0\x80\x80\x80"), "\"\\xF0\\x80\\x80\\x80\"");  // overlong
    EXPECT_EQ(quote_for_message("\xED\xA0\x80"), "\"\\xED\\xA0\\x80\"");  // surrogate U+D800
    EXPECT_EQ(quote_for_message("\xF4\x90\x80\x80"), "\"\\xF4\\x90\\x80\\x80\"");  // U+110000
    EXPECT_EQ(quote_for_message("\xF5\x80\x80\x80"), "\"\\xF5\\x80\\x80\\x80\"");  // F5 lead
    // The edges that are valid stay as they are.
    EXPECT_EQ(quote_for_message("\xC2\xA0\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"),
              "\"\xC2\xA0\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\"");
}

TEST(QuoteForMessage, CutsLongValues) {
    std::string quoted = quote_for_message(std::string(100, 'x'), 10);
    EXPECT_EQ(quoted, "\"xxxxxxxxxx...\"");
}

TEST(BaseUrl, AcceptsHttpAndHttps) {
    EXPECT_TRUE(is_base_url("https://api.themoviedb.org/3", nullptr));
    EXPECT_TRUE(is_base_url("http://127.0.0.1:8080/tmdb", nullptr));
}

TEST(BaseUrl, RejectsOtherSchemesAndTricks) {
    std::string why;
    EXPECT_FALSE(is_base_url("file:///etc/passwd", &why));
    EXPECT_NE(why.find("http"), std::string::npos);
    EXPECT_FALSE(is_base_url("gopher://x", nullptr));
    EXPECT_FALSE(is_base_url("https://", nullptr));
    EXPECT_FALSE(is_base_url("https://user:pw@host/", nullptr));
    EXPECT_FALSE(is_base_url("https://host/a b", nullptr));
    EXPECT_FALSE(is_base_url("https://host/?x=1", nullptr));
    EXPECT_FALSE(is_base_url("https://host/#x", nullptr));
}

// Found by test/fuzz/fuzz_url: URLs that passed the checks but that libcurl, which uses them,
// cannot parse.
TEST(BaseUrl, RejectsUrlsLibcurlCannotParse) {
    std::string why;
    EXPECT_FALSE(is_base_url("https://)", &why));
    EXPECT_NE(why.find("malformed"), std::string::npos) << why;
    EXPECT_FALSE(is_base_url("http://host:99999/x", nullptr));
    EXPECT_FALSE(is_base_url("http://[not-ipv6]/x", nullptr));
    EXPECT_TRUE(is_base_url("http://[::1]:8080/x", nullptr));
    EXPECT_TRUE(is_base_url("https://id.twitch.tv/oauth2/token", nullptr));
}

}  // namespace
}  // namespace tako
