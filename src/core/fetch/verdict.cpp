#include "core/cpp_only.hpp"

#include "core/fetch/verdict.hpp"

#include "core/error.hpp"
#include "core/normalize/normalize.hpp"

namespace tako {

namespace {

// Text from the response (a header, or a transfer error that quotes one: a refused redirect's
// Location) for the error message, escaped as quote_for_message does but without its quotes, so
// "text/html" is still shown as text/html. Found by test/fuzz/fuzz_judge: the raw bytes went into
// the error text, so an upstream's control bytes, NULs or invalid UTF-8 reached the text values of
// the refresh log, the results and ERROR messages as they were.
std::string escaped(std::string_view text, std::size_t max_chars) {
    const std::string quoted = quote_for_message(text, max_chars);
    return quoted.substr(1, quoted.size() - 2);
}

Verdict failure_verdict(const HttpResponse &r) {
    Verdict v;
    v.retry = retryable_failure(r.failure);
    switch (r.failure) {
        case HttpFailure::ConnectTimeout:
        case HttpFailure::Timeout:
            v.outcome = Outcome::Timeout;
            break;
        case HttpFailure::Tls:
            v.outcome = Outcome::TlsError;
            break;
        case HttpFailure::TooLarge:
            v.outcome = Outcome::TooLarge;
            break;
        case HttpFailure::TooManyRedirects:
        case HttpFailure::RedirectRefused:
            v.outcome = Outcome::HttpError;
            break;
        default:
            v.outcome = Outcome::NetworkError;
            break;
    }
    v.error = std::string(to_string(r.failure)) + ": " + escaped(r.error, 400);
    return v;
}

Outcome status_outcome(long status) {
    if (status == 401 || status == 403) return Outcome::AuthError;
    if (status == 408) return Outcome::Timeout;
    if (status == 429) return Outcome::RateLimited;
    if (status >= 500) return Outcome::ServerError;
    return Outcome::HttpError;
}

std::string content_type_of(const HttpResponse &r) {
    std::string type = r.header("content-type");
    return type.empty() ? "none" : escaped(type, 100);
}

}  // namespace

Verdict judge(std::string_view provider, const HttpResponse &r, SystemTime now) {
    if (r.failure != HttpFailure::None) return failure_verdict(r);

    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    const bool parsed = !body.is_discarded();
    Verdict v;
    if (r.status >= 300 || r.status < 200) {
        v.outcome = status_outcome(r.status);
        v.retry = retryable_status(r.status);
        if (auto after = r.header("retry-after"); !after.empty())
            v.retry_after = parse_retry_after(after, now);
        v.error = "HTTP " + std::to_string(r.status);
        if (parsed)
            if (auto upstream = detect_upstream_error(provider, r.status, body))
                v.error += ": " + upstream->message;
        return v;
    }
    if (!parsed) {
        v.outcome = Outcome::InvalidResponse;
        v.error = "response is not well-formed JSON (" + std::to_string(r.body.size()) +
                  " bytes, content type " + content_type_of(r) + ")";
        return v;
    }
    if (auto upstream = detect_upstream_error(provider, r.status, body)) {
        // Deezer reports errors, its quota included, with HTTP 200.
        v.outcome = upstream->kind == UpstreamError::Kind::RateLimited ? Outcome::RateLimited
                                                                       : Outcome::UpstreamError;
        v.retry = v.outcome == Outcome::RateLimited;
        v.error = "error in a " + std::to_string(r.status) + " response: " + upstream->message;
        return v;
    }
    v.body = std::move(body);
    return v;
}

const char *to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::Ok:
            return "ok";
        case Outcome::HttpError:
            return "http_error";
        case Outcome::AuthError:
            return "auth_error";
        case Outcome::RateLimited:
            return "rate_limited";
        case Outcome::ServerError:
            return "server_error";
        case Outcome::NetworkError:
            return "network_error";
        case Outcome::Timeout:
            return "timeout";
        case Outcome::TlsError:
            return "tls_error";
        case Outcome::TooLarge:
            return "too_large";
        case Outcome::InvalidResponse:
            return "invalid_response";
        case Outcome::UpstreamError:
            return "upstream_error";
        case Outcome::Empty:
            return "empty";
        case Outcome::NotConfigured:
            return "not_configured";
        case Outcome::CircuitOpen:
            return "circuit_open";
        case Outcome::QuotaExhausted:
            return "quota_exhausted";
    }
    return "unknown";
}

std::string_view sqlstate_of(Outcome outcome) {
    switch (outcome) {
        case Outcome::Ok:
            return "00000";
        case Outcome::NetworkError:
            return sqlstate::kConnectionFailure;  // 08006
        case Outcome::TlsError:
            return sqlstate::kUnableToConnect;  // 08001
        case Outcome::Timeout:
            return sqlstate::kQueryCanceled;  // 57014
        case Outcome::TooLarge:
            return "54000";  // program_limit_exceeded
        case Outcome::InvalidResponse:
        case Outcome::Empty:
            return sqlstate::kInvalidJson;  // 22P02
        case Outcome::AuthError:
            return "28000";  // invalid_authorization_specification
        case Outcome::NotConfigured:
            return sqlstate::kPrerequisiteState;  // 55000
        case Outcome::QuotaExhausted:
            return sqlstate::kBudgetSpent;  // TK429
        case Outcome::HttpError:
        case Outcome::RateLimited:
        case Outcome::ServerError:
        case Outcome::UpstreamError:
        case Outcome::CircuitOpen:
            return sqlstate::kConnectionException;  // 08000
    }
    return sqlstate::kInternal;
}

}  // namespace tako
