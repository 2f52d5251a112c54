-- tako_cache 1.7 → 1.8: adoption where Tako runs.
--
-- * tako_discover_http(key, if_none_match): what a route sends beside the envelope (status, X-Cache,
--   max-age, ETag), and a 304 without the list when the client's copy is current.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.8'" to load this file. \quit

-- tako_discover's answer with what an HTTP route sends beside it: the status (200; 304 when
-- if_none_match names the fresh list's ETag, the envelope then NULL so the list never crosses the
-- wire; 404 for a db_only miss), X-Cache (HIT, MISS or STALE), the seconds the list stays fresh
-- (Cache-Control's max-age; 0 when stale), and the ETag of a fresh hit's row version (NULL
-- otherwise: core/envelope/response_head.hpp says why). Like tako_discover: no SET clause.
CREATE FUNCTION @extschema@.tako_discover_http(key text, if_none_match text DEFAULT NULL,
                                               OUT status integer, OUT x_cache text,
                                               OUT max_age integer, OUT etag text,
                                               OUT envelope json)
RETURNS record
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'tako_discover_http';
COMMENT ON FUNCTION @extschema@.tako_discover_http(text, text) IS
    'tako_cache: tako_discover for an HTTP route: status (200, 304, 404), X-Cache, max-age, ETag and the envelope (NULL on a 304)';
