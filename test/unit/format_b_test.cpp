// The Format B validator that guards every write to discovery_cache.data.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/format_b.hpp"

namespace tako {
namespace {

using nlohmann::json;

json item() {
    return json::parse(R"({"id":"tmdb:550","type":"movie","source":"tmdb","sourceId":"550",
        "title":"Fight Club","titleOriginal":null,"description":null,"year":1999,
        "images":{"primary":null,"thumbnail":null,"gallery":["https://x/y.jpg"]},
        "urls":{"source":null,"detail":"/api/media/tmdb/movies/550"},"details":{"adult":false}})");
}

std::string problem(const json &items, std::string_view provider = {}) {
    try {
        validate_items(items, provider);
    } catch (const Error &e) {
        EXPECT_STREQ(e.sqlstate(), "22023");
        return e.what();
    }
    return "valid";
}

TEST(FormatB, AcceptsItemsAndEmptyArrays) {
    EXPECT_EQ(problem(json::array({item(), item()}), "tmdb"), "valid");
    EXPECT_EQ(problem(json::array()), "valid");
}

TEST(FormatB, RejectsNonArrays) {
    EXPECT_EQ(problem(json::object()), "data must be a JSON array of items, not object");
    EXPECT_EQ(problem(json(3)), "data must be a JSON array of items, not number");
}

TEST(FormatB, NamesTheItemAndField) {
    json bad = item();
    bad["sourceId"] = 550;
    EXPECT_EQ(problem(json::array({item(), bad})), "data[1].sourceId must be a string");

    bad = item();
    bad.erase("images");
    EXPECT_EQ(problem(json::array({bad})), "data[0].images is missing");

    bad = item();
    bad["images"]["gallery"] = json::array({json{{"size", "xl"}, {"url", "u"}}});
    EXPECT_EQ(problem(json::array({bad})),
              "data[0].images.gallery must be an array of URL strings");

    bad = item();
    bad["urls"]["detail"] = nullptr;
    EXPECT_EQ(problem(json::array({bad})), "data[0].urls.detail must be a string");

    bad = item();
    bad["id"] = "tmdb:551";
    EXPECT_EQ(problem(json::array({bad})), "data[0].id must be \"{source}:{sourceId}\"");

    bad = item();
    bad["year"] = "1999";
    EXPECT_EQ(problem(json::array({bad})), "data[0].year must be an integer or null");

    bad = item();
    bad["rating"] = 8.4;
    EXPECT_NE(problem(json::array({bad})).find("data[0].rating is not a Format B field"),
              std::string::npos);

    EXPECT_EQ(problem(json::array({1})), "data[0] must be an object");
}

TEST(FormatB, SourceMustMatchTheKeysProvider) {
    EXPECT_NE(problem(json::array({item()}), "rawg").find("data[0].source is \"tmdb\""),
              std::string::npos);
}

TEST(ParseJson, MalformedIs22P02) {
    try {
        parse_json("{\"a\":", "upstream response");
        FAIL();
    } catch (const Error &e) {
        EXPECT_STREQ(e.sqlstate(), "22P02");
        EXPECT_STREQ(e.what(), "invalid upstream response: not well-formed JSON");
    }
    EXPECT_EQ(parse_json("[1,2]")[1], 2);
}

}  // namespace
}  // namespace tako
