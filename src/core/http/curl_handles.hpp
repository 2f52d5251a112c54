// RAII owners for every libcurl resource tako_cache creates.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace tako::curl {

struct EasyDeleter {
    void operator()(CURL *handle) const noexcept { curl_easy_cleanup(handle); }
};
struct MultiDeleter {
    void operator()(CURLM *handle) const noexcept { curl_multi_cleanup(handle); }
};
struct SlistDeleter {
    void operator()(curl_slist *list) const noexcept { curl_slist_free_all(list); }
};
struct UrlDeleter {
    void operator()(CURLU *url) const noexcept { curl_url_cleanup(url); }
};
struct StringDeleter {
    void operator()(char *text) const noexcept { curl_free(text); }
};

using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
using Url = std::unique_ptr<CURLU, UrlDeleter>;
using String = std::unique_ptr<char, StringDeleter>;

// Appends to a header list, keeping ownership in `list`; throws std::bad_alloc on failure.
void append(Slist &list, const char *line);

// curl_global_init, once per process (from _PG_init, or the first transfer).
void global_init();

}  // namespace tako::curl
