#include "core/cpp_only.hpp"

#include "core/http/http_engine.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <new>

#include "core/error.hpp"
#include "core/http/address.hpp"

#include <sys/socket.h>

namespace tako {

namespace curl {

void append(Slist &list, const char *line) {
    curl_slist *grown = curl_slist_append(list.get(), line);
    if (!grown) throw std::bad_alloc();
    (void)list.release();  // curl_slist_append returned the same head, now owned through `grown`
    list.reset(grown);
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace curl

struct HttpEngine::Transfer {
    curl::Easy easy;
    curl::Slist headers;
    std::string request_body;
    HttpResponse response;
    std::size_t max_bytes = 0;
    bool too_large = false;
    const std::vector<std::string> *allowed_hosts = nullptr;
    std::string url_literal;       // the request URL's host when it is an IP literal
    std::string proxy_literal;     // the proxy's, likewise
    std::string refused_address;   // an internal address the host resolved to, refused
    bool in_redirect = false;      // the headers being read are those of a 3xx answer
    std::string refused_redirect;  // the Location that was refused, if any
    char error_buffer[CURL_ERROR_SIZE] = {0};

    static std::size_t on_body(char *data, std::size_t size, std::size_t count, void *self) {
        auto *t = static_cast<Transfer *>(self);
        std::size_t bytes = size * count;
        if (t->response.body.size() + bytes > t->max_bytes) {
            t->too_large = true;
            return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
        }
        try {
            t->response.body.append(data, bytes);
        } catch (...) {
            return 0;  // never let an exception cross libcurl's C frames
        }
        return bytes;
    }

    // Before each connection: the address libcurl resolved is checked (address.hpp).
    static curl_socket_t on_open_socket(void *self, curlsocktype purpose,
                                        struct curl_sockaddr *address) {
        auto *t = static_cast<Transfer *>(self);
        try {
            if (purpose == CURLSOCKTYPE_IPCXN && is_internal_address(&address->addr)) {
                const std::string text = address_text(&address->addr);
                if (text.empty() || (text != t->url_literal && text != t->proxy_literal)) {
                    t->refused_address = text.empty() ? "an unknown address family" : text;
                    return CURL_SOCKET_BAD;
                }
            }
        } catch (...) {
            return CURL_SOCKET_BAD;
        }
        return socket(address->family, address->socktype, address->protocol);
    }

    static std::size_t on_header(char *data, std::size_t size, std::size_t count, void *self) {
        auto *t = static_cast<Transfer *>(self);
        std::size_t bytes = size * count;
        try {
            std::string_view line(data, bytes);
            if (line.substr(0, 5) == "HTTP/") {
                t->response.headers.clear();  // a new response (after a redirect or 100-continue)
                std::size_t space = line.find(' ');
                t->in_redirect =
                    space != std::string_view::npos && line.substr(space + 1, 1) == "3";
                return bytes;
            }
            std::size_t colon = line.find(':');
            if (colon == std::string_view::npos) return bytes;
            std::string name(line.substr(0, colon));
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            while (!value.empty() &&
                   (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
                value.remove_suffix(1);
            if (t->in_redirect && name == "location" && !t->redirect_allowed(value)) {
                t->refused_redirect = std::string(value);
                return 0;  // stops the transfer before libcurl follows the redirect
            }
            t->response.headers.emplace_back(std::move(name), std::string(value));
        } catch (...) {
            return 0;
        }
        return bytes;
    }

    // Whether a redirect to `location` (absolute, or relative to where this transfer is now)
    // stays on an allowed host.
    bool redirect_allowed(std::string_view location) const {
        if (!allowed_hosts || allowed_hosts->empty()) return true;
        char *effective = nullptr;
        curl_easy_getinfo(easy.get(), CURLINFO_EFFECTIVE_URL, &effective);
        curl::Url url(curl_url());
        if (!url || !effective || curl_url_set(url.get(), CURLUPART_URL, effective, 0) != CURLUE_OK)
            return false;
        std::string target(location);
        if (curl_url_set(url.get(), CURLUPART_URL, target.c_str(), 0) != CURLUE_OK) return false;
        char *resolved = nullptr;
        if (curl_url_get(url.get(), CURLUPART_URL, &resolved, 0) != CURLUE_OK) return false;
        curl::String owner(resolved);
        std::string host = host_and_port(resolved);
        return std::find(allowed_hosts->begin(), allowed_hosts->end(), host) !=
               allowed_hosts->end();
    }
};

namespace {

template <typename T>
void set(CURL *handle, CURLoption option, T value) {
    CURLcode rc = curl_easy_setopt(handle, option, value);
    if (rc != CURLE_OK)
        throw Error(sqlstate::kInternal,
                    std::string("libcurl refused an option: ") + curl_easy_strerror(rc));
}

// The host of `url` when it is an IP literal (canonical text), else "".
std::string literal_host_of(const std::string &url) {
    if (url.empty()) return "";
    curl::Url parsed(curl_url());
    char *host = nullptr;
    if (!parsed ||
        curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), CURLU_GUESS_SCHEME) != CURLUE_OK ||
        curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK)
        return "";
    curl::String owner(host);
    return ip_literal(host);
}

HttpFailure classify(CURLcode rc, bool too_large, double connect_seconds) {
    switch (rc) {
        case CURLE_OK:
            return HttpFailure::None;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return HttpFailure::Dns;
        case CURLE_COULDNT_CONNECT:
            return HttpFailure::Connect;
        case CURLE_OPERATION_TIMEDOUT:
            return connect_seconds > 0 ? HttpFailure::Timeout : HttpFailure::ConnectTimeout;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
            return HttpFailure::Tls;
        case CURLE_FILESIZE_EXCEEDED:
            return HttpFailure::TooLarge;
        case CURLE_WRITE_ERROR:
            return too_large ? HttpFailure::TooLarge : HttpFailure::Other;
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return HttpFailure::Incomplete;
        case CURLE_TOO_MANY_REDIRECTS:
            return HttpFailure::TooManyRedirects;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_WEIRD_SERVER_REPLY:
            return HttpFailure::Protocol;
        case CURLE_ABORTED_BY_CALLBACK:
            return HttpFailure::Aborted;
        default:
            return HttpFailure::Other;
    }
}

}  // namespace

HttpEngine::HttpEngine(HttpOptions options) : options_(std::move(options)) {
    curl::global_init();
    multi_.reset(curl_multi_init());
    if (!multi_) throw std::bad_alloc();
}

HttpEngine::~HttpEngine() {
    abort_all();
}

void HttpEngine::abort_all() {
    for (auto &[id, transfer] : transfers_)
        curl_multi_remove_handle(multi_.get(), transfer->easy.get());
    transfers_.clear();
}

HttpEngine::Id HttpEngine::start(const HttpRequest &request) {
    auto t = std::make_unique<Transfer>();
    t->easy.reset(curl_easy_init());
    if (!t->easy) throw std::bad_alloc();
    t->max_bytes = options_.max_bytes;
    t->allowed_hosts = &options_.allowed_hosts;
    t->url_literal = literal_host_of(request.url);
    t->proxy_literal = literal_host_of(options_.proxy);
    CURL *h = t->easy.get();
    set(h, CURLOPT_URL, request.url.c_str());
    // Only plain HTTP(S), for the first request and for every redirect.
    set(h, CURLOPT_PROTOCOLS_STR, "http,https");
    set(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(h, CURLOPT_FOLLOWLOCATION, 1L);
    // "" disables every proxy, including those of the server's environment.
    set(h, CURLOPT_PROXY, options_.proxy.c_str());
    set(h, CURLOPT_NOPROXY, "");  // and no exception taken from no_proxy either
    set(h, CURLOPT_OPENSOCKETFUNCTION, &Transfer::on_open_socket);
    set(h, CURLOPT_OPENSOCKETDATA, static_cast<void *>(t.get()));
    set(h, CURLOPT_MAXREDIRS, options_.max_redirects);
    // PostgreSQL owns SIGALRM (statement_timeout): libcurl must not touch signals.
    set(h, CURLOPT_NOSIGNAL, 1L);
    set(h, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    set(h, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
    set(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_bytes));
    set(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl can undo (gzip, deflate...)
    set(h, CURLOPT_SSL_VERIFYPEER, 1L);
    set(h, CURLOPT_SSL_VERIFYHOST, 2L);
    set(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    set(h, CURLOPT_ERRORBUFFER, t->error_buffer);
    set(h, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    set(h, CURLOPT_WRITEDATA, static_cast<void *>(t.get()));
    set(h, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    set(h, CURLOPT_HEADERDATA, static_cast<void *>(t.get()));
    for (const auto &[name, value] : request.headers)
        curl::append(t->headers, (name + ": " + value).c_str());
    if (t->headers) set(h, CURLOPT_HTTPHEADER, t->headers.get());
    if (request.method == "POST") {
        t->request_body = request.body;
        set(h, CURLOPT_POST, 1L);
        set(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->request_body.size()));
        set(h, CURLOPT_POSTFIELDS, t->request_body.c_str());
    } else if (request.method != "GET") {
        throw Error(sqlstate::kInternal, "unsupported HTTP method " + request.method);
    }
    Id id = next_id_++;
    set(h, CURLOPT_PRIVATE, reinterpret_cast<char *>(static_cast<std::uintptr_t>(id)));
    if (curl_multi_add_handle(multi_.get(), h) != CURLM_OK)
        throw Error(sqlstate::kInternal, "libcurl could not start a transfer");
    transfers_.emplace(id, std::move(t));
    return id;
}

std::vector<HttpEngine::Done> HttpEngine::poll(std::chrono::milliseconds max_wait) {
    int still_running = 0;
    curl_multi_perform(multi_.get(), &still_running);
    curl_multi_poll(multi_.get(), nullptr, 0, static_cast<int>(std::max<long>(0, max_wait.count())),
                    nullptr);
    curl_multi_perform(multi_.get(), &still_running);

    std::vector<Done> done;
    int queued = 0;
    while (CURLMsg *message = curl_multi_info_read(multi_.get(), &queued)) {
        if (message->msg != CURLMSG_DONE) continue;
        CURL *h = message->easy_handle;
        CURLcode rc = message->data.result;
        char *private_id = nullptr;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, &private_id);
        auto it = transfers_.find(static_cast<Id>(reinterpret_cast<std::uintptr_t>(private_id)));
        if (it == transfers_.end()) continue;
        Transfer &t = *it->second;
        double connect_seconds = 0;
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &connect_seconds);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t.response.status);
        curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &t.response.seconds);
        t.response.failure = classify(rc, t.too_large, connect_seconds);
        if (!t.refused_redirect.empty()) t.response.failure = HttpFailure::RedirectRefused;
        if (!t.refused_address.empty() && t.response.failure != HttpFailure::None)
            t.response.failure = HttpFailure::Connect;
        if (t.response.failure != HttpFailure::None) {
            t.response.error = t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(rc);
            if (t.response.failure == HttpFailure::TooLarge)
                t.response.error =
                    "response larger than " + std::to_string(options_.max_bytes) + " bytes";
            if (t.response.failure == HttpFailure::RedirectRefused)
                t.response.error =
                    "redirect to a host that is not a configured provider refused: " +
                    t.refused_redirect.substr(0, 200);
            if (!t.refused_address.empty() && t.response.failure == HttpFailure::Connect)
                t.response.error = "connection refused by tako_cache: the host resolves to " +
                                   t.refused_address +
                                   ", an internal address that no base URL names";
        }
        curl_multi_remove_handle(multi_.get(), h);
        done.push_back(Done{it->first, std::move(t.response)});
        transfers_.erase(it);
    }
    return done;
}

}  // namespace tako
