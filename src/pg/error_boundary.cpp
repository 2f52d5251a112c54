#include <cstring>
#include <new>

#include "pg/error_boundary.hpp"

namespace tako::pg {

namespace {

// What invoke() raises. Plain fixed buffers: filling them cannot fail, so nothing inside a catch
// block can ereport, and the report outlives the exception object it was copied from.
struct ErrorReport {
    int sqlerrcode = 0;
    char message[2048] = {0};
    char detail[2048] = {0};
    char hint[1024] = {0};
    char context[1024] = {0};
};

void copy_text(char *out, std::size_t size, const char *text) noexcept {
    if (!text) return;
    std::size_t len = std::strlen(text);
    if (len >= size) {
        // Cut on a UTF-8 boundary so that PostgreSQL never sees a broken sequence.
        len = size - 4;
        while (len > 0 && (static_cast<unsigned char>(text[len]) & 0xC0) == 0x80) --len;
        std::memcpy(out, text, len);
        std::memcpy(out + len, "...", 4);
        return;
    }
    std::memcpy(out, text, len + 1);
}

int to_sqlerrcode(const char *sqlstate) noexcept {
    return MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4]);
}

void fill_from(ErrorReport &report, const Error &error) noexcept {
    report.sqlerrcode = to_sqlerrcode(error.sqlstate());
    copy_text(report.message, sizeof report.message, error.what());
    copy_text(report.detail, sizeof report.detail, error.detail().c_str());
    copy_text(report.hint, sizeof report.hint, error.hint().c_str());
}

[[noreturn]] void raise(const ErrorReport &report) {
    ereport(ERROR, (errcode(report.sqlerrcode), errmsg_internal("%s", report.message),
                    report.detail[0] ? errdetail_internal("%s", report.detail) : 0,
                    report.hint[0] ? errhint("%s", report.hint) : 0,
                    report.context[0] ? errcontext("%s", report.context) : 0));
    pg_unreachable();
}

// Runs `fn`, returning true when it threw; the report is filled from whatever was thrown.
template <typename Fn>
bool capture(Fn &&fn, ErrorReport &report) noexcept {
    try {
        fn();
        return false;
    } catch (const PgError &e) {
        fill_from(report, e);
        report.sqlerrcode = e.sqlerrcode();
        copy_text(report.context, sizeof report.context, e.context().c_str());
    } catch (const Error &e) {
        fill_from(report, e);
    } catch (const std::bad_alloc &) {
        report.sqlerrcode = ERRCODE_OUT_OF_MEMORY;
        copy_text(report.message, sizeof report.message, "out of memory in tako_cache");
    } catch (const std::exception &e) {
        report.sqlerrcode = ERRCODE_INTERNAL_ERROR;
        copy_text(report.message, sizeof report.message, "tako_cache internal error: ");
        copy_text(report.message + std::strlen(report.message),
                  sizeof report.message - std::strlen(report.message), e.what());
    } catch (...) {
        report.sqlerrcode = ERRCODE_INTERNAL_ERROR;
        copy_text(report.message, sizeof report.message,
                  "tako_cache internal error: unknown exception");
    }
    return true;
}

}  // namespace

PgError::PgError(int sqlerrcode, const std::string &message, std::string detail, std::string hint,
                 std::string context)
    : Error(std::string_view(unpack_sql_state(sqlerrcode), 5), message, std::move(detail),
            std::move(hint)),
      sqlerrcode_(sqlerrcode),
      context_(std::move(context)) {}

namespace detail {

void rethrow_pg_error(MemoryContext caller_context) {
    // Copy the error out of ErrorContext into plain C variables, flush PostgreSQL's error state,
    // and only then build C++ objects: nothing below can longjmp.
    MemoryContextSwitchTo(caller_context);
    ErrorData *edata = CopyErrorData();
    FlushErrorState();
    int code = edata->sqlerrcode;
    std::string message = edata->message ? edata->message : "unknown PostgreSQL error";
    std::string detail_text = edata->detail ? edata->detail : "";
    std::string hint = edata->hint ? edata->hint : "";
    std::string context = edata->context ? edata->context : "";
    FreeErrorData(edata);
    throw PgError(code, message, std::move(detail_text), std::move(hint), std::move(context));
}

}  // namespace detail

Datum invoke(FunctionCallInfo fcinfo, FunctionBody body) {
    ErrorReport report;
    Datum result = 0;
    if (!capture([&] { result = body(fcinfo); }, report)) return result;
    raise(report);
}

void invoke_void(void (*body)()) {
    ErrorReport report;
    if (capture(body, report)) raise(report);
}

}  // namespace tako::pg
