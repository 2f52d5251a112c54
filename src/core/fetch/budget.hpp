// The budgets (docs/read-and-refresh.md, "Budgets"), as plain values (src/pg/settings.hpp hands
// them out): a provider's daily request budget and the hourly count of new keys. Their arithmetic
// is in core/fetch/health.hpp.
#pragma once

#include <cstdint>

namespace tako {

// A provider's daily request budget: `limit` requests per UTC day (0: unlimited), of
// which read-through may use all but `reserved_percent`, kept for the scheduled refreshes.
struct DailyBudget {
    std::int64_t limit = 0;
    int reserved_percent = 0;
};

// New keys read-through may fetch per hour and provider: a count per UTC hour.
struct HourlyCount {
    std::int64_t hour = 0;  // hours since the Unix epoch
    std::int64_t count = 0;
};

}  // namespace tako
