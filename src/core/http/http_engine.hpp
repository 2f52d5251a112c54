// Concurrent HTTP transfers over one libcurl multi handle. The caller drives it with poll(), which
// never blocks longer than it is told, so the caller can check for cancellation between polls.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/http/curl_handles.hpp"
#include "core/http/http_types.hpp"

namespace tako {

class HttpEngine {
public:
    using Id = std::uint64_t;
    struct Done {
        Id id;
        HttpResponse response;
    };

    explicit HttpEngine(HttpOptions options);
    ~HttpEngine();
    HttpEngine(const HttpEngine &) = delete;
    HttpEngine &operator=(const HttpEngine &) = delete;

    // Starts a transfer; throws tako::Error when libcurl refuses its options (a bad URL...).
    Id start(const HttpRequest &request);

    // Moves every transfer forward, waiting at most `max_wait` for network activity (or simply
    // waiting when nothing runs), and returns the transfers that finished.
    std::vector<Done> poll(std::chrono::milliseconds max_wait);

    std::size_t running() const { return transfers_.size(); }

    // Stops every transfer (their connections are closed, not reused).
    void abort_all();

private:
    struct Transfer;
    HttpOptions options_;
    curl::Multi multi_;
    std::map<Id, std::unique_ptr<Transfer>> transfers_;
    Id next_id_ = 1;
};

}  // namespace tako
