// A small HTTP/1.1 server on 127.0.0.1 for the tests of the HTTP engine and of fetch_lists: real
// sockets, real libcurl on the other side, nothing mocked. Each path answers from a script of
// replies (the last one repeats); a reply can be delayed, gzip-encoded, chunked, cut short, reset,
// or never sent. Every request is recorded (method, target, headers, body, arrival time).
//
// One thread accepts, one thread serves each connection (keep-alive honoured), so slow replies
// are served concurrently. Every wait polls in short steps and checks the stop flag, so the
// destructor returns quickly even with hanging replies or a client that stopped reading.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tako::test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// libcurl honours http_proxy/all_proxy from the environment: loopback requests must never go
// through a proxy a CI machine may configure. Set before main(), while there is one thread.
inline const bool kLoopbackBypassesProxies = [] {
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    return true;
}();

struct Reply {
    // How the body is delimited on the wire.
    enum class Framing {
        Length,   // Content-Length
        Chunked,  // Transfer-Encoding: chunked
        Close,    // neither: the body ends when the server closes the connection
    };
    // What goes wrong, if anything.
    enum class Fault {
        None,
        Truncate,          // announces the whole body's length, sends `truncate_at` bytes, closes
        Reset,             // reads the request, then resets the connection (RST), sends nothing
        CloseEarly,        // reads the request, then closes the connection, sends nothing
        Hang,              // reads the request, never answers (until the client leaves)
        HangAfterHeaders,  // sends the status line and headers, then nothing more
    };

    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds delay{0};  // before anything is sent
    bool gzip = false;                   // body sent gzip-encoded (Content-Encoding: gzip)
    Framing framing = Framing::Length;
    std::size_t chunk_size = 4096;  // Chunked
    Fault fault = Fault::None;
    std::size_t truncate_at = 0;  // Truncate

    static Reply json(int status, std::string body) {
        Reply r;
        r.status = status;
        r.headers = {{"Content-Type", "application/json"}};
        r.body = std::move(body);
        return r;
    }
    static Reply redirect(int status, std::string location) {
        Reply r;
        r.status = status;
        r.headers = {{"Location", std::move(location)}};
        return r;
    }
    static Reply failing(Fault fault) {
        Reply r;
        r.fault = fault;
        return r;
    }
    Reply &with_header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    Reply &after(std::chrono::milliseconds wait) {
        delay = wait;
        return *this;
    }
};

struct RecordedRequest {
    std::string method;
    std::string target;                                        // as sent: path and query
    std::string path;                                          // without the query
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    Clock::time_point at;  // when the whole request had arrived
    int connection = 0;    // which connection carried it (1, 2...)

    std::string header(std::string_view name) const {
        for (auto it = headers.rbegin(); it != headers.rend(); ++it)
            if (it->first == name) return it->second;
        return {};
    }
};

// gzip (RFC 1952) of `data`, by zlib.
inline std::string gzip_encode(std::string_view data) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    std::string out(deflateBound(&stream, data.size()) + 64, '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
    return out;
}

// A TCP port on 127.0.0.1 that refuses connections: bound (so nobody else takes it while the
// object lives) but never listening, so a connect is answered with a reset.
class RefusingPort {
public:
    RefusingPort() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
            ::close(fd_);
            throw std::runtime_error("bind failed");
        }
        port_ = ntohs(address.sin_port);
    }
    ~RefusingPort() { ::close(fd_); }
    RefusingPort(const RefusingPort &) = delete;
    RefusingPort &operator=(const RefusingPort &) = delete;
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

class LoopbackServer {
public:
    LoopbackServer() {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd_ < 0) throw std::runtime_error("socket failed");
        int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(listen_fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
            ::listen(listen_fd_, 128) != 0 ||
            ::getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
            ::close(listen_fd_);
            throw std::runtime_error(std::string("cannot listen on 127.0.0.1: ") +
                                     std::strerror(errno));
        }
        port_ = ntohs(address.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~LoopbackServer() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        acceptor_.join();
        std::vector<std::thread> workers;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            workers.swap(workers_);
        }
        for (std::thread &worker : workers) worker.join();
        ::close(listen_fd_);
    }

    LoopbackServer(const LoopbackServer &) = delete;
    LoopbackServer &operator=(const LoopbackServer &) = delete;

    int port() const { return port_; }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string url(std::string_view path) const { return base() + std::string(path); }

    // Every request to `path` gets `reply`.
    void on(const std::string &path, Reply reply) {
        on(path, std::vector<Reply>{std::move(reply)});
    }
    // Requests to `path` get these replies in order; the last one repeats.
    void on(const std::string &path, std::vector<Reply> replies) {
        std::lock_guard<std::mutex> lock(mutex_);
        scripts_[path] = Script{std::move(replies), 0};
    }

    std::vector<RecordedRequest> requests() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }
    std::vector<RecordedRequest> requests(std::string_view path) const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<RecordedRequest> out;
        for (const RecordedRequest &r : requests_)
            if (r.path == path) out.push_back(r);
        return out;
    }
    std::size_t count(std::string_view path) const { return requests(path).size(); }

    int connections_accepted() const { return accepted_.load(); }
    int connections_open() const { return open_.load(); }

    // Waits (at most `limit`) until `condition` holds; returns whether it does.
    bool wait_until(const std::function<bool()> &condition,
                    std::chrono::milliseconds limit = 5000ms) const {
        const Clock::time_point deadline = Clock::now() + limit;
        while (!condition()) {
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }

private:
    struct Script {
        std::vector<Reply> replies;
        std::size_t next = 0;
    };

    static constexpr int kStep = 20;  // ms between two looks at the stop flag

    bool stopping() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return stopping_;
    }

    // Sleeps `duration`, or less when the server stops.
    void sleep_for(std::chrono::milliseconds duration) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, duration, [this] { return stopping_; });
    }

    void accept_loop() {
        while (!stopping()) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, kStep) <= 0) continue;
            int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
            int id = ++accepted_;
            ++open_;
            std::lock_guard<std::mutex> lock(mutex_);
            workers_.emplace_back([this, fd, id] {
                serve(fd, id);
                ::close(fd);
                --open_;
            });
        }
    }

    // Reads more bytes into `buffer`; false on end of stream, error, or stop.
    bool read_more(int fd, std::string &buffer) {
        char chunk[16384];
        while (!stopping()) {
            pollfd p{fd, POLLIN, 0};
            int ready = ::poll(&p, 1, kStep);
            if (ready < 0 && errno != EINTR) return false;
            if (ready <= 0) continue;
            ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n > 0) {
                buffer.append(chunk, static_cast<std::size_t>(n));
                return true;
            }
            if (n == 0) return false;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
        }
        return false;
    }

    // Sends all of `data`; false when the client is gone or the server stops.
    bool send_all(int fd, std::string_view data) {
        while (!data.empty()) {
            if (stopping()) return false;
            ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, kStep);
                continue;
            }
            return false;
        }
        return true;
    }

    // Waits until the client closes the connection (or the server stops), discarding input.
    void wait_for_close(int fd) {
        std::string ignored;
        while (read_more(fd, ignored)) ignored.clear();
    }

    static std::string lower(std::string text) {
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return text;
    }

    // Reads one request from `fd` (leftover bytes stay in `buffer`); false when there is none.
    bool read_request(int fd, std::string &buffer, RecordedRequest &request) {
        std::size_t end;
        while ((end = buffer.find("\r\n\r\n")) == std::string::npos)
            if (!read_more(fd, buffer)) return false;
        std::string head = buffer.substr(0, end);
        buffer.erase(0, end + 4);

        std::size_t line_end = head.find("\r\n");
        std::string request_line = head.substr(0, line_end);
        std::size_t space1 = request_line.find(' ');
        std::size_t space2 = request_line.find(' ', space1 + 1);
        if (space1 == std::string::npos || space2 == std::string::npos) return false;
        request.method = request_line.substr(0, space1);
        request.target = request_line.substr(space1 + 1, space2 - space1 - 1);
        request.path = request.target.substr(0, request.target.find('?'));
        std::size_t at = line_end == std::string::npos ? head.size() : line_end + 2;
        while (at < head.size()) {
            std::size_t next = head.find("\r\n", at);
            if (next == std::string::npos) next = head.size();
            std::string line = head.substr(at, next - at);
            at = next + 2;
            std::size_t colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            request.headers.emplace_back(lower(line.substr(0, colon)), value);
        }

        std::size_t length = 0;
        if (std::string text = request.header("content-length"); !text.empty())
            length = std::stoul(text);
        if (length > 0 && lower(request.header("expect")) == "100-continue" &&
            !send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n"))
            return false;
        while (buffer.size() < length)
            if (!read_more(fd, buffer)) return false;
        request.body = buffer.substr(0, length);
        buffer.erase(0, length);
        request.at = Clock::now();
        return true;
    }

    Reply next_reply(const std::string &path) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = scripts_.find(path);
        if (it == scripts_.end() || it->second.replies.empty())
            return Reply::json(404, R"({"error":"no such path in the test server"})");
        Script &script = it->second;
        Reply reply = script.replies[std::min(script.next, script.replies.size() - 1)];
        ++script.next;
        return reply;
    }

    static const char *reason(int status) {
        switch (status) {
            case 200:
                return "OK";
            case 301:
                return "Moved Permanently";
            case 302:
                return "Found";
            case 307:
                return "Temporary Redirect";
            case 400:
                return "Bad Request";
            case 401:
                return "Unauthorized";
            case 404:
                return "Not Found";
            case 429:
                return "Too Many Requests";
            case 500:
                return "Internal Server Error";
            case 503:
                return "Service Unavailable";
            default:
                return "Status";
        }
    }

    // Answers one request; false when the connection must be closed afterwards.
    bool respond(int fd, const RecordedRequest &request, const Reply &reply) {
        if (reply.delay.count() > 0) sleep_for(reply.delay);
        if (stopping()) return false;
        switch (reply.fault) {
            case Reply::Fault::CloseEarly:
                return false;
            case Reply::Fault::Reset: {
                linger hard{1, 0};  // close() then sends RST instead of FIN
                ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
                return false;
            }
            case Reply::Fault::Hang:
                wait_for_close(fd);
                return false;
            default:
                break;
        }

        const std::string body = reply.gzip ? gzip_encode(reply.body) : reply.body;
        std::string head =
            "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
        for (const auto &[name, value] : reply.headers) head += name + ": " + value + "\r\n";
        if (reply.gzip) head += "Content-Encoding: gzip\r\n";
        bool keep_alive = lower(request.header("connection")) != "close";
        switch (reply.framing) {
            case Reply::Framing::Length:
                head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
                break;
            case Reply::Framing::Chunked:
                head += "Transfer-Encoding: chunked\r\n";
                break;
            case Reply::Framing::Close:
                head += "Connection: close\r\n";
                keep_alive = false;
                break;
        }
        head += "\r\n";
        if (!send_all(fd, head)) return false;

        if (reply.fault == Reply::Fault::HangAfterHeaders) {
            wait_for_close(fd);
            return false;
        }
        if (reply.fault == Reply::Fault::Truncate) {
            send_all(fd, std::string_view(body).substr(0, reply.truncate_at));
            return false;
        }
        if (request.method == "HEAD") return keep_alive;
        if (reply.framing == Reply::Framing::Chunked) {
            char size[32];
            for (std::size_t at = 0; at < body.size(); at += reply.chunk_size) {
                std::string_view piece = std::string_view(body).substr(at, reply.chunk_size);
                std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
                if (!send_all(fd, size) || !send_all(fd, piece) || !send_all(fd, "\r\n"))
                    return false;
            }
            return send_all(fd, "0\r\n\r\n") && keep_alive;
        }
        return send_all(fd, body) && keep_alive;
    }

    void serve(int fd, int id) {
        std::string buffer;
        for (;;) {
            RecordedRequest request;
            if (!read_request(fd, buffer, request)) return;
            request.connection = id;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                requests_.push_back(request);
            }
            if (!respond(fd, request, next_reply(request.path))) return;
        }
    }

    int listen_fd_ = -1;
    int port_ = 0;
    std::thread acceptor_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    std::map<std::string, Script> scripts_;
    std::vector<RecordedRequest> requests_;
    std::vector<std::thread> workers_;
    std::atomic<int> accepted_{0};
    std::atomic<int> open_{0};
};

}  // namespace tako::test
