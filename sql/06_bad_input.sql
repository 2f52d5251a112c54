-- Bad input of every SQL function: a clear ERROR with a SQLSTATE, never a crash, nothing written.
SELECT count(*) AS rows_before FROM discovery_cache \gset

SELECT statement, regress.err(statement) AS result FROM unnest(ARRAY[
    -- tako_save_cached
    $$SELECT tako_save_cached(NULL, 'tmdb', 'trending', '[]')$$,
    $$SELECT tako_save_cached('', 'tmdb', 'trending', '[]')$$,
    $$SELECT tako_save_cached(repeat('k', 300), 'tmdb', 'trending', '[]')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', NULL)$$,
    $$SELECT tako_save_cached('tmdb:trending', 'rawg', 'trending', '[]')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'popular', '[]')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', '[]', 'tv')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', '[]', 'movie', 'day')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', '[]', NULL, NULL, interval '-1 hour')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', '[]', NULL, NULL, interval '0')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', '"text"')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', '[null]')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', jsonb_build_array(regress.item('rawg', '1')))$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', 'not json')$$,
    $$SELECT tako_save_cached('tmdb:trending', 'tmdb', 'trending', '[]', ttl => 'soon')$$,
    -- tako_get_cached
    $$SELECT tako_get_cached(NULL)$$,
    $$SELECT tako_get_cached('')$$,
    $$SELECT tako_get_cached('tmdb:trending:movie:week:x')$$,
    $$SELECT tako_get_cached(repeat('a', 10000))$$,
    $$SELECT tako_get_cached(E'tmdb:trending\x01')$$,
    $$SELECT tako_get_cached(42)$$,
    -- tako_get_expired_entries / tako_purge_old_entries
    $$SELECT * FROM tako_get_expired_entries(NULL)$$,
    $$SELECT * FROM tako_get_expired_entries(-1)$$,
    $$SELECT * FROM tako_get_expired_entries('ten')$$,
    $$SELECT tako_purge_old_entries(NULL)$$,
    $$SELECT tako_purge_old_entries(-5)$$,
    $$SELECT tako_purge_old_entries(99999999999)$$,
    $$SELECT tako_purge_old_entries(2147483647)$$,
    -- tako_validate_items / tako_key_info / tako_parse_key
    $$SELECT tako_validate_items(NULL)$$,
    $$SELECT tako_validate_items('{}')$$,
    $$SELECT tako_validate_items('[{"id": "x"}]')$$,
    $$SELECT tako_key_info(NULL)$$,
    $$SELECT * FROM tako_parse_key('tmdb:nope')$$,
    -- tako_cache_key
    $$SELECT tako_cache_key('tmdb', 'trending', 'movie', 'week', 'extra')$$,
    $$SELECT tako_cache_key('jikan', 'top', 'tv', sfw => 'maybe')$$,
    $$SELECT tako_cache_key('igdb', 'popular', filter => '6) | fields *; where id > (0')$$,
    $$SELECT tako_cache_key('itunes', 'charts', '../../etc-album')$$,
    $$SELECT tako_cache_key('tmdb', 'trending', E'movie\u200b')$$,
    $$SELECT tako_cache_key('tmdb', 'trending', 'movie', E'week\x7f')$$
]) AS statement;

SELECT count(*) - :rows_before AS rows_written FROM discovery_cache;
