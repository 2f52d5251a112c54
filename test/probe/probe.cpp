// tako_cache_probe: a test-only module that drives the error boundary (src/pg/error_boundary.cpp)
// from SQL, in both directions. It is built and installed by `make probe-install` for the tests;
// it is never part of the extension.
#include <malloc.h>

#include <atomic>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "pg/datum.hpp"

namespace probe {

// Objects whose destructor must run when an error unwinds through them.
std::atomic<int> live{0};

struct Tracked {
    std::string payload;
    explicit Tracked(std::size_t bytes) : payload(bytes, 'x') { ++live; }
    ~Tracked() { --live; }
    Tracked(const Tracked &) = delete;
    Tracked &operator=(const Tracked &) = delete;
};

[[noreturn]] void throw_from_depth(int depth, const std::string &kind) {
    Tracked here(4096);
    if (depth > 0) throw_from_depth(depth - 1, kind);
    if (kind == "tako")
        throw tako::Error(tako::sqlstate::kInvalidParameter, "probe: tako::Error from depth 5",
                          "raised five frames down", "nothing to fix");
    if (kind == "cancel") throw tako::Error(tako::sqlstate::kQueryCanceled, "probe: cancelled");
    if (kind == "std") throw std::runtime_error("probe: std::runtime_error");
    if (kind == "bad_alloc") throw std::bad_alloc();
    throw 42;  // not an exception type at all: only catch (...) sees it
}

// probe_throw(kind text) → never returns: tako | cancel | std | bad_alloc | other.
Datum throw_cpp(FunctionCallInfo fcinfo) {
    std::vector<std::unique_ptr<Tracked>> locals;
    for (int i = 0; i < 3; ++i) locals.push_back(std::make_unique<Tracked>(1024));
    throw_from_depth(5, tako::pg::text_arg(fcinfo, 0).value_or("other"));
}

// probe_pg_error_under_cpp(input text, payload_bytes int) → int4: parses `input` with int4in
// through pg_call() while C++ objects holding `payload_bytes` are alive. Bad input raises 22P02
// inside PostgreSQL; the guard turns it into a C++ exception that unwinds (freeing the payload)
// and the shim re-raises it.
Datum pg_error_under_cpp(FunctionCallInfo fcinfo) {
    std::string input = tako::pg::text_arg(fcinfo, 0).value_or("");
    Tracked payload(static_cast<std::size_t>(PG_GETARG_INT32(1)));
    std::vector<std::string> more(8, std::string(1024, 'y'));
    Datum parsed = tako::pg::pg_call(
        [&] { return DirectFunctionCall1(int4in, CStringGetDatum(input.c_str())); });
    return parsed;
}

// probe_pg_error_caught(input text) → text: the same PostgreSQL error, caught and handled in C++;
// the function returns normally and the session carries on.
Datum pg_error_caught(FunctionCallInfo fcinfo) {
    std::string input = tako::pg::text_arg(fcinfo, 0).value_or("");
    Tracked payload(1024);
    try {
        tako::pg::pg_call(
            [&] { return DirectFunctionCall1(int4in, CStringGetDatum(input.c_str())); });
        return tako::pg::text_result("no error");
    } catch (const tako::pg::PgError &e) {
        return tako::pg::text_result(std::string("caught ") + e.sqlstate() + ": " + e.what());
    }
}

Datum live_objects(FunctionCallInfo) {
    return Int32GetDatum(live.load());
}

// Bytes of the C++ heap in use (malloc arena), to show that unwinding freed what it should.
Datum heap_bytes(FunctionCallInfo) {
    struct mallinfo2 info = mallinfo2();
    return Int64GetDatum(static_cast<int64>(info.uordblks + info.hblkhd));
}

}  // namespace probe

TAKO_FUNCTION(probe_throw, probe::throw_cpp)
TAKO_FUNCTION(probe_pg_error_under_cpp, probe::pg_error_under_cpp)
TAKO_FUNCTION(probe_pg_error_caught, probe::pg_error_caught)
TAKO_FUNCTION(probe_live_objects, probe::live_objects)
TAKO_FUNCTION(probe_heap_bytes, probe::heap_bytes)

extern "C" {
PG_MODULE_MAGIC;
}
