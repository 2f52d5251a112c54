// tako_in_transaction_block(): whether the statement runs inside a transaction block (BEGIN, or
// several statements sent as one query). tako_discover_fill asks it before saving a list the
// session fetched itself: a save there would hold the list's row lock until the caller's
// transaction ends, so that a caller could stall every writer of the list by never ending it.
#include "pg/datum.hpp"

extern "C" {
#include "access/xact.h"
}

namespace tako::pg {

namespace {

Datum in_transaction_block(FunctionCallInfo) {
    return BoolGetDatum(IsTransactionBlock());
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_in_transaction_block, tako::pg::in_transaction_block)
