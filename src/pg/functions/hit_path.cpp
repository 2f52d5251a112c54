// The hit path: tako_get_cached(key) → json, tako_discover(key) → json, tako_count_hit(key),
// tako_pending_hits(take).
//
// A hit is one probe of discovery_cache's cache_key index under the active snapshot (so it is
// transactional, and works on a hot standby), no row written (the hit is counted in shared
// memory), and no per-hit rendering: each backend keeps, per key, the JSON text it rendered from
// one row version (the items for tako_get_cached, the whole envelope for tako_discover), keyed by
// the row's data_version. That number comes from a sequence and changes with every write of what
// a hit serves, so no other row version can carry it: not after VACUUM FULL or CLUSTER moved rows
// around, not after a restore, not for two lists saved by one transaction. jsonb output,
// detoasting and decompression happen once per version and backend. The results are json (the
// same text): jsonb output alone would cost ~4x the rest of a hit (BENCHMARKS.md).
//
// Where a version's row was last seen (its tuple id) is only a hint tried before the index: it is
// forgotten on any relcache invalidation of the table (VACUUM FULL, CLUSTER, TRUNCATE, a restore,
// the statistics VACUUM writes) and checked against the table's current length before it is read,
// since a VACUUM that truncated the table may not have sent its invalidation yet. A hint that is
// wrong costs one index probe, never an error.
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/envelope/envelope.hpp"
#include "core/envelope/response_head.hpp"
#include "core/key.hpp"
#include "pg/shared/hit_counters.hpp"
#include "pg/shared/metrics.hpp"
#include "pg/shared/refresh_queue.hpp"

#include "pg/catalog/cache_table.hpp"
#include "pg/datum.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace tako::pg {

namespace {

// The renderings live in a memory context of their own under TopMemoryContext ("tako_cache render
// cache": pg_backend_memory_contexts shows it), bounded by tako_cache.render_cache_size; past it
// they are dropped at once and the context reset. Allocation failures become std::bad_alloc
// (MCXT_ALLOC_NO_OOM), never a longjmp through C++ frames.
MemoryContext render_context = nullptr;

template <typename T>
struct RenderAllocator {
    using value_type = T;
    RenderAllocator() = default;
    template <typename U>
    RenderAllocator(const RenderAllocator<U> &) {}
    T *allocate(std::size_t n) {
        void *p = MemoryContextAllocExtended(render_context, n * sizeof(T),
                                             MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
        if (!p) throw std::bad_alloc();
        return static_cast<T *>(p);
    }
    void deallocate(T *p, std::size_t) { pfree(p); }
    template <typename U>
    bool operator==(const RenderAllocator<U> &) const {
        return true;
    }
    template <typename U>
    bool operator!=(const RenderAllocator<U> &) const {
        return false;
    }
};
using Text = std::basic_string<char, std::char_traits<char>, RenderAllocator<char>>;

// What this backend rendered from one row version of a key.
struct Rendered {
    Oid table = InvalidOid;
    ItemPointerData tid{};        // where that version was last seen: tried before the index
    std::uint64_t tid_epoch = 0;  // the tid holds while tid_epoch is tid_epoch_now
    std::int64_t version = 0;
    bool fresh = false;  // not expired when last read
    Text items;          // the data, as JSON text (tako_get_cached)
    Text upstream;       // discovery_cache.upstream, as JSON text
    std::int64_t saved_us = 0, expires_us = 0;
    std::size_t count = 0;      // items in data
    Text envelope;              // the fresh-hit envelope (tako_discover), "" until first needed
    bool ahead_queued = false;  // this backend asked the worker to refresh this version
};
std::unordered_map<std::string, Rendered, std::hash<std::string>, std::equal_to<std::string>,
                   RenderAllocator<std::pair<const std::string, Rendered>>>
    rendered;
std::size_t rendered_bytes = 0;

void ensure_render_context() {
    if (!render_context)
        pg_call([] {
            render_context = AllocSetContextCreate(TopMemoryContext, "tako_cache render cache",
                                                   ALLOCSET_DEFAULT_SIZES);
        });
}

// Drops every rendering, and the memory that held them.
void forget_renderings() {
    {
        decltype(rendered) empty;  // an empty map allocates nothing
        rendered.swap(empty);      // the nodes and buckets go with `empty`, before the reset
    }
    rendered_bytes = 0;
    pg_call([] { MemoryContextReset(render_context); });
}

std::size_t size_of(const Rendered &r) {
    return r.items.size() + r.upstream.size() + r.envelope.size();
}

constexpr std::int64_t kUnversioned = -1;

// Bumped by every relcache invalidation of a table (or of all): tuple ids seen before it are not
// tried again. Invalidations are processed when the table is opened, before a tid is tried.
std::uint64_t tid_epoch_now = 1;
Oid tid_table = InvalidOid;  // the discovery_cache whose tuple ids are kept
bool tid_callback_registered = false;
void forget_tids(Datum, Oid relid) {
    if (relid == InvalidOid || relid == tid_table) ++tid_epoch_now;
}

// A row version as read by probe(); the palloc'd texts only when it is not the known version.
struct Lookup {
    bool found = false;
    std::uint64_t tid_epoch = 0;  // tid_epoch_now once the table was open
    bool expired = false;
    ItemPointerData tid{};
    std::int64_t version = 0;
    char *items = nullptr;
    char *upstream = nullptr;
    std::size_t count = 0;
    TimestampTz saved = 0, expires = 0;
};

// PostgreSQL only (run under pg_call). Reads the row in `slot`; renders data and upstream unless
// its version is `known`'s.
void read_row(const CacheTable &t, TupleTableSlot *slot, const Rendered *known, Lookup &out) {
    bool isnull = false;
    out.found = true;
    out.tid = slot->tts_tid;
    out.tid_epoch = tid_epoch_now;
    // Before 1.2 (no data_version) every read renders afresh: no version to key a rendering by.
    out.version = t.data_version != InvalidAttrNumber
                      ? DatumGetInt64(slot_getattr(slot, t.data_version, &isnull))
                      : kUnversioned;
    out.expires = DatumGetTimestampTz(slot_getattr(slot, t.expires_at, &isnull));
    out.expired = out.expires <= GetCurrentTransactionStartTimestamp();
    if (known && known->version == out.version && out.version != kUnversioned) return;
    Jsonb *data = DatumGetJsonbP(slot_getattr(slot, t.data, &isnull));
    out.items = JsonbToCString(nullptr, &data->root, VARSIZE(data));
    out.count = JB_ROOT_IS_ARRAY(data) ? JB_ROOT_COUNT(data) : 0;
    if (t.upstream != InvalidAttrNumber) {
        Jsonb *upstream = DatumGetJsonbP(slot_getattr(slot, t.upstream, &isnull));
        out.upstream = JsonbToCString(nullptr, &upstream->root, VARSIZE(upstream));
    } else {
        out.upstream = pstrdup("{}");
    }
    out.saved = DatumGetTimestampTz(slot_getattr(slot, t.updated_at, &isnull));
}

// PostgreSQL only (run under pg_call). The row of `key` under the active snapshot: first the
// tuple where this backend last saw the key's row, if that tuple is visible, is the key's and has
// the known version (a key has one row); otherwise one probe of the cache_key index.
void probe(const CacheTable &t, const char *key, const Rendered *known, Lookup &out) {
    if (!tid_callback_registered) {
        CacheRegisterRelcacheCallback(forget_tids, (Datum)0);
        tid_callback_registered = true;
    }
    if (tid_table != t.table) {
        tid_table = t.table;
        ++tid_epoch_now;
    }
    Relation heap = table_open(t.table, AccessShareLock);
    TupleTableSlot *slot = table_slot_create(heap, nullptr);
    if (known && known->version != kUnversioned && known->tid_epoch == tid_epoch_now &&
        ItemPointerIsValid(&known->tid) &&
        ItemPointerGetBlockNumber(&known->tid) < RelationGetNumberOfBlocks(heap)) {
        ItemPointerData tid = known->tid;
        if (table_tuple_fetch_row_version(heap, &tid, GetActiveSnapshot(), slot)) {
            bool isnull = false;
            Datum version = slot_getattr(slot, t.data_version, &isnull);
            text *row_key = DatumGetTextPP(slot_getattr(slot, t.cache_key, &isnull));
            if (DatumGetInt64(version) == known->version &&
                VARSIZE_ANY_EXHDR(row_key) == strlen(key) &&
                memcmp(VARDATA_ANY(row_key), key, strlen(key)) == 0) {
                read_row(t, slot, known, out);
                ExecDropSingleTupleTableSlot(slot);
                table_close(heap, AccessShareLock);
                return;
            }
        }
        ExecClearTuple(slot);
    }
    Relation index = index_open(t.key_index, AccessShareLock);
    ScanKeyData skey;
    // The index's own collation, so that the search follows the order it was built in.
    ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
                           index->rd_indcollation[0], F_TEXTEQ, CStringGetTextDatum(key));
    IndexScanDesc scan = tako_index_beginscan(heap, index, GetActiveSnapshot(), 1, 0);
    index_rescan(scan, &skey, 1, nullptr, 0);
    if (index_getnext_slot(scan, ForwardScanDirection, slot)) read_row(t, slot, known, out);
    ExecDropSingleTupleTableSlot(slot);
    index_endscan(scan);
    index_close(index, AccessShareLock);
    table_close(heap, AccessShareLock);
}

std::int64_t now_unix_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A hit is counted in shared memory, never written as the caller (hit_counters.hpp).
void count(Oid, const std::string &key) {
    const std::string_view k = key;
    const std::int64_t now = now_unix_us();
    pg_call([&] { hits::count(MyDatabaseId, k, now); });
}

CacheTable table_for(FunctionCallInfo fcinfo) {
    CacheTable t;
    pg_call([&] { t = cache_table_of(fcinfo->flinfo->fn_oid); });
    return t;
}

// The canonical form of the key argument. A key this backend has rendered a row of is canonical
// already (its rendering is stored under parse_key's form): a hit skips parsing it again.
std::string hit_key(FunctionCallInfo fcinfo) {
    std::optional<std::string> key = text_arg(fcinfo, 0);
    if (!key) throw Error(sqlstate::kNullValue, "cache key must not be null");
    if (render_context && rendered.count(*key)) return std::move(*key);
    return parse_key(*key).key;
}

// The rendering of `key`'s current row version under the caller's snapshot, read (and rendered)
// when this backend has not seen that version yet; nullptr when the key has no row.
Rendered *current_row(const CacheTable &t, const std::string &key) {
    ensure_render_context();
    auto known = rendered.find(key);
    Rendered *cached =
        known != rendered.end() && known->second.table == t.table ? &known->second : nullptr;
    Lookup found;
    pg_call([&] { probe(t, key.c_str(), cached, found); });
    if (!found.found) return nullptr;
    if (cached && cached->version == found.version && found.version != kUnversioned) {
        cached->tid = found.tid;
        cached->tid_epoch = found.tid_epoch;
        cached->fresh = !found.expired;
        return cached;
    }
    // Room first: a reset frees everything in the context, so it happens before `fresh` is built.
    if (rendered_bytes + std::strlen(found.items) + std::strlen(found.upstream) >
        settings::render_cache_bytes())
        forget_renderings();
    Rendered fresh;
    fresh.table = t.table;
    fresh.tid = found.tid;
    fresh.tid_epoch = found.tid_epoch;
    fresh.version = found.version;
    fresh.fresh = !found.expired;
    fresh.items = found.items;
    fresh.upstream = found.upstream;
    fresh.count = found.count;
    fresh.saved_us = unix_us_of(found.saved);
    fresh.expires_us = unix_us_of(found.expires);
    pg_call([&] {
        pfree(found.items);
        pfree(found.upstream);
    });
    Rendered &slot = rendered[key];
    rendered_bytes -= std::min(rendered_bytes, size_of(slot));
    rendered_bytes += size_of(fresh);
    slot = std::move(fresh);
    return &slot;
}

// Refresh-ahead: a read in the last part of a list's TTL (tako_cache.refresh_ahead_percent) asks
// the refresh worker to refresh it when the transaction commits, so a list in use is refreshed
// before it expires. Once per row version and backend (the queue holds a key once anyway).
void refresh_ahead(Rendered &row, const std::string &key) {
    if (row.ahead_queued) return;
    const int percent = settings::refresh_ahead_percent();
    const std::int64_t ttl = row.expires_us - row.saved_us;
    if (percent == 0 || ttl <= 0 || now_unix_us() < row.expires_us - ttl / 100 * percent) return;
    if (settings::mode() != settings::Mode::Hybrid || XactReadOnly ||
        !queue::available(MyDatabaseId))
        return;
    row.ahead_queued = true;
    queue::request_at_commit(key, queue::Reason::Ahead);
}

// tako_get_cached(key text) → json: the items of a fresh entry; NULL on a miss or an expired one.
Datum get_cached(FunctionCallInfo fcinfo) {
    const std::string key = hit_key(fcinfo);
    const CacheTable t = table_for(fcinfo);
    Rendered *row = current_row(t, key);
    if (!row || !row->fresh) {
        metrics::count_read(key, metrics::Read::Miss);
        fcinfo->isnull = true;
        return 0;
    }
    refresh_ahead(*row, key);
    count(t.table, key);
    metrics::count_read(key, metrics::Read::Hit);
    return text_result(row->items);
}

// What tako_discover_fill does: everything but a fresh hit, as the extension's owner.
Datum discover_fill(FunctionCallInfo fcinfo, const std::string &key) {
    return pg_call([&] {
        Oid fill = sibling_function(fcinfo->flinfo->fn_oid, "tako_discover_fill");
        return OidFunctionCall1Coll(fill, InvalidOid, CStringGetTextDatum(key.c_str()));
    });
}

// The fresh-hit envelope of a row version, rendered once per version and backend.
const Text &envelope_of(Rendered &row, const std::string &key) {
    if (row.envelope.empty()) {
        const ParsedKey parsed = parse_key(key);
        const nlohmann::json upstream = nlohmann::json::parse(std::string_view(row.upstream));
        const std::string items = compact_json(row.items);
        EnvelopeInput in;
        in.key = &parsed;
        in.items = items;
        in.count = row.count;
        in.upstream = &upstream;
        in.saved_unix_us = row.saved_us;
        in.expires_unix_us = row.expires_us;
        in.cached = true;
        const std::string envelope = render_envelope(in);
        row.envelope.assign(envelope.data(), envelope.size());
        rendered_bytes += row.envelope.size();
    }
    return row.envelope;
}

// The fresh row a hit serves (as the read-through policy says: hybrid or db_only mode, cache
// enabled), counted and maybe refreshed ahead; nullptr when the read is not a fresh hit.
Rendered *fresh_hit(FunctionCallInfo fcinfo, const std::string &key) {
    // The read-through policy (core/read/read_policy.hpp) decides; this path only serves its hits.
    if (!read_policy::serves_fresh_rows(settings::enabled(), settings::mode())) return nullptr;
    const CacheTable t = table_for(fcinfo);
    Rendered *row = current_row(t, key);
    if (!row || !row->fresh) return nullptr;
    refresh_ahead(*row, key);
    count(t.table, key);
    metrics::count_read(key, metrics::Read::Hit);
    return row;
}

// tako_discover(key text) → json: Tako's envelope. A fresh hit is served from this backend's
// rendering of the row version; anything else is tako_discover_fill's (it runs as the extension's
// owner: the function manager applies its SECURITY DEFINER and SET clause).
Datum discover(FunctionCallInfo fcinfo) {
    const std::string key = hit_key(fcinfo);
    Rendered *row = fresh_hit(fcinfo, key);
    if (!row) return discover_fill(fcinfo, key);
    return text_result(envelope_of(*row, key));
}

// tako_discover_http(key text, if_none_match text) → (status, x_cache, max_age, etag, envelope):
// tako_discover's answer with what an HTTP route sends beside it (core/envelope/response_head.hpp).
// A fresh hit whose ETag the client names is a 304: the envelope stays NULL, so the list never
// crosses the wire.
Datum discover_http(FunctionCallInfo fcinfo) {
    const std::string key = hit_key(fcinfo);
    const std::optional<std::string> if_none_match = text_arg(fcinfo, 1);
    ResponseHead head;
    std::optional<std::string> etag;
    Datum envelope = 0;
    bool has_envelope = true;
    if (Rendered *row = fresh_hit(fcinfo, key)) {
        head.cache = "HIT";
        head.max_age = fresh_seconds(row->expires_us, now_unix_us());
        etag = etag_of(row->version, row->saved_us);
        if (if_none_match && etag_matches(*if_none_match, *etag)) {
            head.status = 304;
            has_envelope = false;
        } else {
            envelope = text_result(envelope_of(*row, key));
        }
    } else {
        envelope = discover_fill(fcinfo, key);
        std::string answer;
        pg_call([&] { answer = TextDatumGetCString(envelope); });
        head = head_of_envelope(answer, now_unix_us());
    }
    return pg_call([&] {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                            errmsg("tako_discover_http must return a row")));
        desc = BlessTupleDesc(desc);
        Datum values[5] = {Int32GetDatum(head.status), CStringGetTextDatum(head.cache.c_str()),
                           Int32GetDatum(static_cast<int32>(std::min<std::int64_t>(
                               head.max_age, std::numeric_limits<int32>::max()))),
                           etag ? CStringGetTextDatum(etag->c_str()) : 0, envelope};
        bool nulls[5] = {false, false, false, !etag, !has_envelope};
        return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
    });
}

// tako_count_hit(key text): one hit of `key` (tako_discover_fill's hits).
Datum count_hit_fn(FunctionCallInfo fcinfo) {
    const std::string key = hit_key(fcinfo);
    count(table_for(fcinfo).table, key);
    return 0;
}

// Hits handed to a flush, subtracted from shared memory when its transaction commits (an aborted
// flush leaves them to the next one).
struct Taken {
    int slot;
    std::uint32_t generation;
    std::uint64_t hits;
};
std::vector<Taken> taken;

// PREPARE TRANSACTION is refused while a flush has taken hits (XACT_EVENT_PRE_PREPARE): a prepared
// flush would commit later, in another process, without subtracting them.
void on_transaction_end(XactEvent event, void *) {
    if (event == XACT_EVENT_PRE_PREPARE && !taken.empty())
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("cannot PREPARE a transaction that flushed tako_cache hit counts")));
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
        for (const Taken &t : taken) hits::flushed(t.slot, t.generation, t.hits);
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
        event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
        event == XACT_EVENT_PREPARE)
        taken.clear();
}

// tako_pending_hits(take boolean, except_keys text[]) → (cache_key, hits, last_access): this
// database's hits not yet in discovery_cache, leaving out those this transaction already took and
// the keys in except_keys. With take, they are subtracted from shared memory when the calling
// transaction commits (tako_flush_hits adds them to the table in that transaction, and leaves out
// the rows it could not lock).
Datum pending_hits_fn(FunctionCallInfo fcinfo) {
    const bool take = !PG_ARGISNULL(0) && PG_GETARG_BOOL(0);
    static bool registered = false;
    if (take && !registered) {
        pg_call([] { RegisterXactCallback(on_transaction_end, nullptr); });
        registered = true;
    }
    std::vector<std::string> except;
    if (PG_NARGS() > 1)
        if (auto keys = text_array_arg(fcinfo, 1))
            for (auto &k : *keys)
                if (k) except.push_back(std::move(*k));
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    for (hits::Pending &p : hits::pending(MyDatabaseId)) {
        if (std::find(except.begin(), except.end(), p.key) != except.end()) continue;
        for (const Taken &t : taken)
            if (t.slot == p.slot && t.generation == p.generation)
                p.hits -= std::min(p.hits, t.hits);
        if (p.hits == 0) continue;
        Datum values[3] = {text_result(p.key), Int64GetDatum(static_cast<int64>(p.hits)),
                           timestamptz_datum(std::chrono::system_clock::time_point(
                               std::chrono::microseconds(p.last_us)))};
        bool nulls[3] = {false};
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
        if (take) taken.push_back(Taken{p.slot, p.generation, p.hits});
    }
    return 0;
}

// tako_hit_stats() → jsonb: how hits are counted, and what could not be.
Datum hit_stats_fn(FunctionCallInfo) {
    const hits::Stats s = hits::stats();
    nlohmann::json out = {
        {"counting", s.shared ? "shared_memory" : "off: tako_cache is not preloaded"},
        {"slots", s.slots},
        {"slots_used", s.used},
        {"skipped", s.skipped},
        {"dropped", s.dropped},
        {"reclaimed", s.reclaimed},
    };
    return jsonb_result(out.dump());
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_hit_stats, tako::pg::hit_stats_fn)
TAKO_FUNCTION(tako_get_cached, tako::pg::get_cached)
TAKO_FUNCTION(tako_discover, tako::pg::discover)
TAKO_FUNCTION(tako_discover_http, tako::pg::discover_http)
TAKO_FUNCTION(tako_count_hit, tako::pg::count_hit_fn)
TAKO_FUNCTION(tako_pending_hits, tako::pg::pending_hits_fn)
