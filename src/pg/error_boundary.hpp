// The error boundary between C++ and PostgreSQL (docs/architecture.md, "The error boundary").
//
// C++ → PostgreSQL: every SQL-callable function is a C-linkage shim declared with TAKO_FUNCTION;
// its C++ body runs inside invoke(), which catches tako::Error (with its SQLSTATE), std::exception
// and anything else, copies the report into a fixed buffer, leaves the catch scope (so the
// exception and every C++ local are gone) and only then raises the PostgreSQL error.
//
// PostgreSQL → C++: a PostgreSQL call that may ereport(ERROR), made while C++ objects are alive,
// goes through pg_call(). It runs the call under its own sigsetjmp; on error it restores the memory
// context, copies the ErrorData into a PgError exception and clears PostgreSQL's error state, so
// the C++ stack unwinds normally and invoke() re-raises the error with its original SQLSTATE.
#pragma once

#include <exception>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "pg/postgres.hpp"

namespace tako::pg {

// A PostgreSQL error caught by pg_call(), carried through C++ as an exception.
class PgError : public Error {
public:
    PgError(int sqlerrcode, const std::string &message, std::string detail, std::string hint,
            std::string context);
    int sqlerrcode() const noexcept { return sqlerrcode_; }
    const std::string &context() const noexcept { return context_; }

private:
    int sqlerrcode_;
    std::string context_;
};

namespace detail {
// Called from PG_CATCH in pg_call(): copies and flushes the current PostgreSQL error, then throws
// it as PgError. Never called with a live PG_TRY of its own.
[[noreturn]] void rethrow_pg_error(MemoryContext caller_context);
}  // namespace detail

// Runs `fn` under a PG_TRY; a PostgreSQL error becomes a PgError. `fn` makes PostgreSQL calls only:
// no C++ object with a destructor may live inside it, since a longjmp out of it skips destructors.
// Returns what `fn` returns.
template <typename Fn>
auto pg_call(Fn &&fn) -> decltype(fn()) {
    using Result = decltype(fn());
    if constexpr (std::is_void_v<Result>) {
        MemoryContext caller_context = CurrentMemoryContext;
        volatile bool failed = false;  // set after the longjmp
        std::exception_ptr thrown;
        PG_TRY();
        {
            // A C++ exception must not leave a PG_TRY block (it would leave PG_exception_stack
            // pointing at a dead frame): hold it and rethrow once the block is closed.
            try {
                fn();
            } catch (...) {
                thrown = std::current_exception();
            }
        }
        PG_CATCH();
        { failed = true; }
        PG_END_TRY();
        if (failed) detail::rethrow_pg_error(caller_context);
        if (thrown) std::rethrow_exception(thrown);
    } else {
        static_assert(std::is_scalar_v<Result>,
                      "pg_call returns PostgreSQL values (Datum, pointers, scalars) only");
        Result result{};
        pg_call([&] { result = fn(); });
        return result;
    }
}

// The body of a SQL-callable function.
using FunctionBody = Datum (*)(FunctionCallInfo);

// Runs `body`, turning any C++ exception into a PostgreSQL error raised outside every catch scope.
Datum invoke(FunctionCallInfo fcinfo, FunctionBody body);

// The same for hooks and callbacks that return nothing (_PG_init...).
void invoke_void(void (*body)());

}  // namespace tako::pg

// Declares the C-linkage SQL-callable `sql_name` whose C++ body is `body`.
#define TAKO_FUNCTION(sql_name, body)              \
    extern "C" {                                   \
    PG_FUNCTION_INFO_V1(sql_name);                 \
    PGDLLEXPORT Datum sql_name(PG_FUNCTION_ARGS) { \
        return tako::pg::invoke(fcinfo, body);     \
    }                                              \
    }
