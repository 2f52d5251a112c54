// What an HTTP route needs besides the envelope itself: the X-Cache value, how long a client may
// keep the list (Cache-Control max-age), an ETag, and whether the client's copy is current
// (If-None-Match → 304). tako_discover_http (src/pg/functions/hit_path.cpp) carries it out.
//
// The ETag names one stored row version of a list (its data_version, from a sequence, and when it
// was saved, so a reinstalled cache never reuses a tag), and is only given for a fresh hit: that is
// the one answer whose text is rendered from exactly that version. A miss or a stale serve goes
// through tako_discover_fill, whose answer may come from a newer version than the caller's
// snapshot sees; such an answer carries no ETag rather than a wrong one. Tags are weak (W/"..."):
// a list's envelope says meta.cached or meta.stale beside the same items.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tako {

struct ResponseHead {
    int status = 200;          // 200, 304 (the client's copy is current) or 404 (a db_only miss)
    std::string cache;         // X-Cache: HIT, MISS or STALE
    std::int64_t max_age = 0;  // seconds the list stays fresh (0: stale, or nothing to keep)
};

// The ETag of a row version.
std::string etag_of(std::int64_t data_version, std::int64_t saved_unix_us);

// Whether an If-None-Match header (a list of tags, or *) names `etag`, compared weakly (RFC 9110
// 13.1.2: W/ is ignored on both sides).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// Whole seconds from now until `expires_unix_us`, never negative.
std::int64_t fresh_seconds(std::int64_t expires_unix_us, std::int64_t now_unix_us);

// The head of an envelope that was not a fresh hit (tako_discover_fill's answer): a stored list
// served stale (meta.stale) is STALE with max-age 0; a list fetched now is a MISS, fresh until its
// meta.expiresAt; a db_only miss (success false) is a 404 MISS. Throws tako::Error 22P02 when
// `envelope` is not an envelope.
ResponseHead head_of_envelope(std::string_view envelope, std::int64_t now_unix_us);

}  // namespace tako
