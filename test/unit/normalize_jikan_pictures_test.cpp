// normalize_jikan_pictures (core/normalize/jikan_pictures.hpp): GET /anime/{id}/pictures → the
// backdrop Tako picks, on the recorded response and on the cases no recording has.
#include <gtest/gtest.h>

#include "core/normalize/jikan_pictures.hpp"
#include "fixture.hpp"

namespace tako {
namespace {

using nlohmann::json;

std::optional<std::string> backdrop(const char *text) {
    return normalize_jikan_pictures(json::parse(text));
}

TEST(NormalizeJikanPictures, RecordedResponse) {
    // The large JPEG of the first picture, as Tako picks it (not the WebP the items' images
    // prefer).
    EXPECT_EQ(normalize_jikan_pictures(fixture::load("jikan/anime-pictures__reactive-jikan.json")),
              "https://cdn.myanimelist.net/images/anime/8/36343l.jpg");
}

TEST(NormalizeJikanPictures, OnlyTheFirstPictureCounts) {
    EXPECT_EQ(backdrop(R"({"data":[{"jpg":{"image_url":"https://x/1.jpg",
        "large_image_url":"https://x/1l.jpg"}},{"jpg":{"large_image_url":"https://x/2l.jpg"}}]})"),
              "https://x/1l.jpg");
    // A first picture without any URL is no backdrop, not the second picture.
    EXPECT_EQ(backdrop(R"({"data":[{"jpg":{"large_image_url":""}},
        {"jpg":{"large_image_url":"https://x/2l.jpg"}}]})"),
              std::nullopt);
}

TEST(NormalizeJikanPictures, FallbackOrder) {
    // jpg.large, jpg.image, webp.large, webp.image.
    EXPECT_EQ(backdrop(R"({"data":[{"jpg":{"image_url":"https://x/a.jpg"},
        "webp":{"large_image_url":"https://x/al.webp"}}]})"),
              "https://x/a.jpg");
    EXPECT_EQ(backdrop(R"({"data":[{"jpg":{"image_url":null,"large_image_url":null},
        "webp":{"image_url":"https://x/a.webp","large_image_url":"https://x/al.webp"}}]})"),
              "https://x/al.webp");
    EXPECT_EQ(backdrop(R"({"data":[{"webp":{"image_url":"https://x/a.webp"}}]})"),
              "https://x/a.webp");
    EXPECT_EQ(backdrop(R"({"data":[{"jpg":"nope","webp":7}]})"), std::nullopt);
    EXPECT_EQ(backdrop(R"({"data":[null]})"), std::nullopt);
}

TEST(NormalizeJikanPictures, NoPictures) {
    EXPECT_EQ(backdrop(R"({"data":[]})"), std::nullopt);
}

TEST(NormalizeJikanPictures, NotAPicturesResponse) {
    for (const char *text : {"null", "[]", R"({"data":{}})", R"({"pagination":{}})", "\"x\""}) {
        auto [state, message] = fixture::thrown([&] { backdrop(text); });
        EXPECT_EQ(state, "22P02") << text;
        EXPECT_EQ(message, "unexpected Jikan pictures response: no \"data\" array") << text;
    }
    auto [state, message] = fixture::thrown(
        [] { normalize_jikan_pictures(fixture::load("jikan/error-404-anime__jikanpy.json")); });
    EXPECT_EQ(state, "22P02");
    EXPECT_EQ(message,
              "unexpected Jikan pictures response: an error body: Jikan status 404 "
              "(HttpException): Not Found");
}

}  // namespace
}  // namespace tako
