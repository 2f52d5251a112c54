// tako_metric_counters(): the monitoring counters of shared memory (pg/shared/metrics.hpp), one
// row per series, for tako_metrics() (sql/src/metrics.sql) to present with the other metrics.
// (The C++ headers before PostgreSQL's, whose macros would rename the C library's functions.)
#include "pg/shared/metrics.hpp"

#include "pg/datum.hpp"
#include "pg/shared/shared_state.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/tuplestore.h"
}

namespace tako::pg {

namespace {

// (metric, provider, label, le, value): metric is reads (label: hit, stale, miss), fetches
// (label: the outcome), duration_bucket (le: its upper bound in seconds; cumulative),
// duration_sum (seconds) or duration_count. Every series, zeros too.
Datum metric_counters(FunctionCallInfo fcinfo) {
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    const metrics::Snapshot s = metrics::snapshot();
    auto put = [&](const char *metric, int provider, const char *label, double le, double value) {
        Datum values[5];
        bool nulls[5] = {false};
        values[0] = text_result(metric);
        values[1] = text_result(shared::provider_name(provider));
        nulls[2] = label == nullptr;
        values[2] = label ? text_result(label) : 0;
        nulls[3] = le < 0;
        values[3] = Float8GetDatum(le);
        values[4] = Float8GetDatum(value);
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    };
    for (int p = 0; p < shared::kProviders; ++p) {
        for (int r = 0; r < metrics::kReads; ++r)
            put("reads", p, metrics::name(static_cast<metrics::Read>(r)), -1,
                static_cast<double>(s.reads[p][r]));
        for (int o = 0; o < metrics::kOutcomes; ++o)
            put("fetches", p, to_string(static_cast<Outcome>(o)), -1,
                static_cast<double>(s.fetches[p][o]));
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < metrics::kBuckets.size(); ++b) {
            cumulative += s.buckets[p][b];
            put("duration_bucket", p, nullptr, metrics::kBuckets[b],
                static_cast<double>(cumulative));
        }
        put("duration_sum", p, nullptr, -1, static_cast<double>(s.duration_us[p]) / 1e6);
        put("duration_count", p, nullptr, -1, static_cast<double>(s.observed[p]));
    }
    return 0;
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_metric_counters, tako::pg::metric_counters)
