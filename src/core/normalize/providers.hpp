// The per-provider normalizers (src/core/normalize/{provider}.cpp) behind normalize_list.
//
// Each returns an array of Format B items of its provider, throws tako::Error 22P02 when `raw` is
// not the provider's list shape, and 22023 for a category it does not know.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/normalize/normalize.hpp"

namespace tako {

// Only Jikan writes labels of its own (age ratings), so only it takes the options; the others
// write upstream text, codes and numbers.
nlohmann::json normalize_tmdb(const nlohmann::json &raw, std::string_view category);
nlohmann::json normalize_jikan(const nlohmann::json &raw, std::string_view category,
                               const NormalizeOptions &options);
nlohmann::json normalize_rawg(const nlohmann::json &raw);
nlohmann::json normalize_igdb(const nlohmann::json &raw);
nlohmann::json normalize_deezer(const nlohmann::json &raw, std::string_view category);
nlohmann::json normalize_itunes(const nlohmann::json &raw, std::string_view category);

}  // namespace tako
