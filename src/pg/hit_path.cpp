// The hit path: tako_get_cached(key) → json, tako_count_hit(key), tako_pending_hits(take).
//
// A hit is one probe of discovery_cache's cache_key index under the active snapshot (so it is
// transactional, and works on a hot standby), no row written (the hit is counted in shared
// memory), and no per-hit rendering: each backend keeps the JSON text of the row versions it has
// served, keyed by (ctid, xmin), so jsonb output, detoasting and decompression happen once per
// version and backend. The result is json (the same text): jsonb output alone would cost ~4x the
// rest of a hit (BENCHMARKS.md).
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/key.hpp"
#include "pg/shared_state.hpp"

#include "pg/cache_table.hpp"
#include "pg/datum.hpp"

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
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace tako::pg {

namespace {

// The JSON text of one row version, as this backend last rendered it.
struct Rendered {
    Oid table = InvalidOid;
    ItemPointerData tid{};
    TransactionId xmin = InvalidTransactionId;
    std::string json;
};
std::unordered_map<std::string, Rendered> rendered;
std::size_t rendered_bytes = 0;
constexpr std::size_t kMaxRenderedBytes = 64u << 20;  // per backend; beyond it start afresh

struct Lookup {
    bool found = false;
    bool expired = false;
    ItemPointerData tid{};
    TransactionId xmin = InvalidTransactionId;
    char *json = nullptr;  // palloc'd rendering, only when the version is not `known`
};

// PostgreSQL only (run under pg_call). Reads expiry, ctid and xmin of the row in `slot`, and
// renders `data` unless the version is `known`.
void read_row(const CacheTable &t, TupleTableSlot *slot, const Rendered *known, Lookup &out) {
    bool isnull = false;
    out.found = true;
    Datum expires = slot_getattr(slot, t.expires_at, &isnull);
    out.expired = isnull || DatumGetTimestampTz(expires) <= GetCurrentTransactionStartTimestamp();
    out.tid = slot->tts_tid;
    out.xmin =
        DatumGetTransactionId(slot_getsysattr(slot, MinTransactionIdAttributeNumber, &isnull));
    bool same = known && ItemPointerEquals(const_cast<ItemPointer>(&known->tid), &out.tid) &&
                known->xmin == out.xmin;
    if (!out.expired && !same) {
        Jsonb *data = DatumGetJsonbP(slot_getattr(slot, t.data, &isnull));
        out.json = JsonbToCString(nullptr, &data->root, VARSIZE(data));
    }
}

// PostgreSQL only (run under pg_call). The row of `key` under the active snapshot: first the
// version this backend rendered last, fetched by its ctid (if that tuple is still visible with
// the same xmin it is the current version: a key has one row, and a ctid is reused only after its
// old version is dead); otherwise one probe of the cache_key index.
void probe(const CacheTable &t, const char *key, const Rendered *known, Lookup &out) {
    Relation heap = table_open(t.table, AccessShareLock);
    if (known) {
        TupleTableSlot *slot = table_slot_create(heap, nullptr);
        ItemPointerData tid = known->tid;
        if (table_tuple_fetch_row_version(heap, &tid, GetActiveSnapshot(), slot)) {
            bool isnull = false;
            TransactionId xmin = DatumGetTransactionId(
                slot_getsysattr(slot, MinTransactionIdAttributeNumber, &isnull));
            if (xmin == known->xmin) {
                read_row(t, slot, known, out);
                ExecDropSingleTupleTableSlot(slot);
                table_close(heap, AccessShareLock);
                return;
            }
        }
        ExecDropSingleTupleTableSlot(slot);
    }
    Relation index = index_open(t.key_index, AccessShareLock);
    ScanKeyData skey;
    // The index's own collation, so that the search follows the order it was built in.
    ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
                           index->rd_indcollation[0], F_TEXTEQ, CStringGetTextDatum(key));
    IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), 1, 0);
    index_rescan(scan, &skey, 1, nullptr, 0);
    TupleTableSlot *slot = table_slot_create(heap, nullptr);
    if (index_getnext_slot(scan, ForwardScanDirection, slot)) read_row(t, slot, known, out);
    ExecDropSingleTupleTableSlot(slot);
    index_endscan(scan);
    index_close(index, AccessShareLock);
    table_close(heap, AccessShareLock);
}

// Without shared memory a hit updates its row (exact, but a write per hit; none on a standby).
void count_in_table(Oid table, const std::string &key) {
    static bool warned = false;
    if (!warned) {
        warned = true;
        pg_call([] {
            ereport(
                WARNING,
                (errmsg("tako_cache is not in shared_preload_libraries: each hit updates its row"),
                 errdetail("Hits are counted in shared memory only when tako_cache is preloaded; "
                           "without it a hit is slower and is not counted on a standby."),
                 errhint("Add tako_cache to shared_preload_libraries and restart the server.")));
        });
    }
    pg_call([&] {
        if (RecoveryInProgress() || XactReadOnly) return;
        StringInfoData sql;
        initStringInfo(&sql);
        appendStringInfo(&sql,
                         "UPDATE %s SET fetch_count = fetch_count + 1, last_accessed = now() WHERE "
                         "cache_key = $1",
                         quote_qualified_identifier(get_namespace_name(get_rel_namespace(table)),
                                                    get_rel_name(table)));
        Oid types[1] = {TEXTOID};
        Datum values[1] = {CStringGetTextDatum(key.c_str())};
        SPI_connect();
        SPI_execute_with_args(sql.data, 1, types, values, nullptr, false, 0);
        SPI_finish();
    });
}

std::int64_t now_unix_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void count(Oid table, const std::string &key) {
    if (!shared::count_hit(MyDatabaseId, key, now_unix_us())) count_in_table(table, key);
}

CacheTable table_for(FunctionCallInfo fcinfo) {
    CacheTable t;
    pg_call([&] { t = cache_table_of(fcinfo->flinfo->fn_oid); });
    return t;
}

std::string required_key(FunctionCallInfo fcinfo) {
    std::optional<std::string> key = text_arg(fcinfo, 0);
    if (!key) throw Error(sqlstate::kNullValue, "cache key must not be null");
    return parse_key(*key).key;
}

// tako_get_cached(key text) → json: the items of a fresh entry; NULL on a miss or an expired one.
Datum get_cached(FunctionCallInfo fcinfo) {
    const std::string key = required_key(fcinfo);
    const CacheTable t = table_for(fcinfo);
    auto known = rendered.find(key);
    const Rendered *current =
        known != rendered.end() && known->second.table == t.table ? &known->second : nullptr;
    Lookup found;
    pg_call([&] { probe(t, key.c_str(), current, found); });
    if (!found.found || found.expired) {
        fcinfo->isnull = true;
        return 0;
    }
    if (found.json) {  // a version this backend has not rendered yet
        Rendered fresh{t.table, found.tid, found.xmin, std::string(found.json)};
        pg_call([&] { pfree(found.json); });
        if (rendered_bytes + fresh.json.size() > kMaxRenderedBytes) {
            rendered.clear();
            rendered_bytes = 0;
        }
        auto &slot = rendered[key];
        rendered_bytes += fresh.json.size() - std::min(rendered_bytes, slot.json.size());
        slot = std::move(fresh);
        current = &slot;
    }
    count(t.table, key);
    return text_result(current->json);
}

// tako_count_hit(key text): one hit of `key` (tako_discover's hits).
Datum count_hit_fn(FunctionCallInfo fcinfo) {
    const std::string key = required_key(fcinfo);
    count(table_for(fcinfo).table, key);
    return 0;
}

// Hits handed to a flush, subtracted from shared memory when its transaction commits (an aborted
// flush leaves them to the next one).
std::vector<std::pair<int, std::uint64_t>> taken;

void on_transaction_end(XactEvent event, void *) {
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
        for (const auto &[slot, hits] : taken) shared::subtract_hits(slot, hits);
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
        event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
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
    for (shared::PendingHits &p : shared::pending_hits(MyDatabaseId)) {
        if (std::find(except.begin(), except.end(), p.key) != except.end()) continue;
        for (const auto &[slot, hits] : taken)
            if (slot == p.slot) p.hits -= std::min(p.hits, hits);
        if (p.hits == 0) continue;
        Datum values[3] = {text_result(p.key), Int64GetDatum(static_cast<int64>(p.hits)),
                           timestamptz_datum(std::chrono::system_clock::time_point(
                               std::chrono::microseconds(p.last_us)))};
        bool nulls[3] = {false};
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
        if (take) taken.emplace_back(p.slot, p.hits);
    }
    return 0;
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_get_cached, tako::pg::get_cached)
TAKO_FUNCTION(tako_count_hit, tako::pg::count_hit_fn)
TAKO_FUNCTION(tako_pending_hits, tako::pg::pending_hits_fn)
