-- tako_refresh for one key of every family of docs/keys.md against the test upstream: the request
-- sent (path, query, body, credentials), and correct Format B items saved from the recording.
\set QUIET 1
SET client_min_messages = warning;
SELECT * FROM no_plan();

-- check_family(key, items, first id, first title, type): refresh and check the saved list.
CREATE FUNCTION pg_temp.check_family(k text, items integer, first_id text, first_title text, kind text)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    result jsonb := tako_refresh(k);
    data jsonb;
BEGIN
    RETURN NEXT is(result->>'status', 'ok', k || ': refreshed');
    SELECT c.data INTO data FROM tako_cache.discovery_cache AS c WHERE c.cache_key = k;
    RETURN NEXT is(jsonb_array_length(data), items, format('%s: %s items saved', k, items));
    RETURN NEXT is((result->>'items')::int, items, k || ': the result counts them');
    RETURN NEXT is(data->0->>'id', first_id, k || ': first item ' || first_id);
    RETURN NEXT is(data->0->>'title', first_title, k || ': titled ' || first_title);
    RETURN NEXT is((SELECT count(DISTINCT e->>'type')::int FROM jsonb_array_elements(data) AS e
                     WHERE e->>'type' = kind), 1, format('%s: items of type %s', k, kind));
    RETURN NEXT ok(tako_validate_items(data, split_part(k, ':', 1)), k || ': Format B');
    RETURN NEXT is((SELECT outcome FROM tako_cache.tako_refresh_log WHERE cache_key = k ORDER BY id DESC LIMIT 1),
                   'ok', k || ': logged ok');
END
$$;

-- TMDB (api_key query parameter, language from tako_cache.tmdb_language)
SELECT * FROM pg_temp.check_family('tmdb:trending:movie:week', 20, 'tmdb:934433', 'Scream VI', 'movie');
SELECT * FROM pg_temp.check_family('tmdb:trending:tv:day', 20, 'tmdb:103768', 'Sweet Tooth', 'series');
SELECT * FROM pg_temp.check_family('tmdb:popular:movie', 20, 'tmdb:787699', 'Wonka', 'movie');
SELECT * FROM pg_temp.check_family('tmdb:top-rated:movie', 20, 'tmdb:278', 'The Shawshank Redemption', 'movie');
SELECT * FROM pg_temp.check_family('tmdb:top-rated:tv', 20, 'tmdb:206559', 'Binnelanders', 'series');
SELECT * FROM pg_temp.check_family('tmdb:upcoming:movie', 20, 'tmdb:787699', 'Wonka', 'movie');
SELECT * FROM pg_temp.check_family('tmdb:upcoming:tv:on-the-air', 20, 'tmdb:206559', 'Binnelanders', 'series');
SELECT * FROM pg_temp.check_family('tmdb:upcoming:tv:airing-today', 20, 'tmdb:206559', 'Binnelanders', 'series');
-- Jikan
SELECT * FROM pg_temp.check_family('jikan:top:anime', 25, 'jikan:5114', 'Fullmetal Alchemist: Brotherhood', 'anime');
SELECT * FROM pg_temp.check_family('jikan:top:manga', 1, 'jikan:2', 'Berserk', 'manga');
SELECT * FROM pg_temp.check_family('jikan:top:tv:nsfw', 25, 'jikan:5114', 'Fullmetal Alchemist: Brotherhood', 'anime');
SELECT * FROM pg_temp.check_family('jikan:trending:tv:sfw', 25, 'jikan:44511', 'Chainsaw Man', 'anime');
SELECT * FROM pg_temp.check_family('jikan:upcoming:all', 25, 'jikan:40357', 'Tate no Yuusha no Nariagari Season 3', 'anime');
SELECT * FROM pg_temp.check_family('jikan:schedule:monday', 9, 'jikan:52815', 'Ganbare! Choushuu-kun', 'anime');
-- RAWG and IGDB
SELECT * FROM pg_temp.check_family('rawg:popular:all', 20, 'rawg:3498', 'Grand Theft Auto V', 'videogame');
SELECT * FROM pg_temp.check_family('rawg:trending:4,187', 20, 'rawg:3498', 'Grand Theft Auto V', 'videogame');
SELECT * FROM pg_temp.check_family('rawg:upcoming:all', 20, 'rawg:3498', 'Grand Theft Auto V', 'videogame');
SELECT * FROM pg_temp.check_family('igdb:popular:6,48', 5, 'igdb:21405', 'Super Robot Taisen W', 'videogame');
SELECT * FROM pg_temp.check_family('igdb:trending:all', 5, 'igdb:21405', 'Super Robot Taisen W', 'videogame');
SELECT * FROM pg_temp.check_family('igdb:upcoming:all', 5, 'igdb:21405', 'Super Robot Taisen W', 'videogame');
-- Deezer and iTunes
SELECT * FROM pg_temp.check_family('deezer:charts:albums', 10, 'deezer:86473532', 'Lacrim', 'music_album');
SELECT * FROM pg_temp.check_family('deezer:charts:tracks', 10, 'deezer:621314462', 'Khapta', 'music_track');
SELECT * FROM pg_temp.check_family('deezer:charts:artists', 10, 'deezer:4087782', 'Lacrim', 'music_artist');
SELECT * FROM pg_temp.check_family('itunes:charts:us-album', 2, 'itunes:1409149359', 'Look Up Child', 'music_album');
SELECT * FROM pg_temp.check_family('itunes:charts:jp-song', 2, 'itunes:1409149359', 'Look Up Child', 'music_track');

-- What the upstream received.
\set requests `test/upstream/ctl requests`
CREATE TEMP TABLE sent AS
SELECT r->>'method' AS method, r->>'path' AS path, r->>'query' AS query, r->>'body' AS body,
       r->'headers' AS headers
  FROM jsonb_array_elements(:'requests'::jsonb) AS r;

SELECT is((SELECT query FROM sent WHERE path = '/tmdb/trending/movie/week'),
          'api_key=test-tmdb-key&language=fr-FR&page=1', 'TMDB: api_key, language, page');
SELECT is((SELECT query FROM sent WHERE path = '/tmdb/discover/movie'),
          'api_key=test-tmdb-key&language=fr-FR&page=1&primary_release_date.gte=' ||
          to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '&sort_by=popularity.desc',
          'TMDB upcoming movies: discover from today (UTC), most popular first');
SELECT ok(EXISTS (SELECT 1 FROM sent WHERE path = '/tmdb/tv/on_the_air'), 'TMDB on-the-air fetches /tv/on_the_air');
SELECT ok(EXISTS (SELECT 1 FROM sent WHERE path = '/tmdb/tv/airing_today'), 'TMDB airing-today fetches /tv/airing_today');
SELECT ok(EXISTS (SELECT 1 FROM sent WHERE path = '/tmdb/trending/tv/day'), 'TMDB trending tv day');
SELECT is((SELECT query FROM sent WHERE path = '/jikan/top/anime' AND query LIKE '%type=tv%'),
          'page=1&limit=25&sfw=false&filter=bypopularity&type=tv&rating=rx',
          'Jikan top tv nsfw: one request with type and rating=rx');
SELECT is((SELECT query FROM sent WHERE path = '/jikan/top/manga'), 'page=1&limit=25',
          'Jikan top manga fetches /top/manga (Tako fetched anime)');
SELECT is((SELECT query FROM sent WHERE path = '/jikan/seasons/now'), 'page=1&limit=25&sfw=true&filter=tv',
          'Jikan trending tv sfw: the current season, sfw=true, filter=tv');
SELECT is((SELECT query FROM sent WHERE path = '/jikan/schedules'), 'page=1&limit=25&sfw=false&filter=monday',
          'Jikan schedule monday keeps its day (Tako dropped it)');
SELECT is((SELECT query FROM sent WHERE path = '/rawg/games' AND query LIKE '%-added%'),
          'key=test-rawg-key&page=1&page_size=20&platforms=4%2C187&ordering=-added',
          'RAWG trending with platforms');
SELECT is((SELECT query FROM sent WHERE path = '/rawg/games' AND query LIKE '%dates=%'),
          'key=test-rawg-key&page=1&page_size=20&dates=' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') ||
          '%2C' || to_char((now() AT TIME ZONE 'UTC') + interval '365 days', 'YYYY-MM-DD') || '&ordering=released',
          'RAWG upcoming: a year from today, soonest first');
SELECT is((SELECT count(*)::int FROM sent WHERE path = '/twitch/oauth2/token'), 1,
          'IGDB: one Twitch token for every IGDB request (cached)');
SELECT is((SELECT query FROM sent WHERE path = '/twitch/oauth2/token'), '',
          'the client secret is not in the token URL');
SELECT is((SELECT body FROM sent WHERE path = '/twitch/oauth2/token'),
          'client_id=test-igdb-client&client_secret=test-igdb-secret&grant_type=client_credentials',
          '... it is in the body');
SELECT matches((SELECT body FROM sent WHERE path = '/igdb/games' AND body LIKE '%platforms = (6,48)%'),
               '^fields [a-z_.,]+; where total_rating_count >= 50 & platforms = \(6,48\); sort total_rating_count desc; limit 20;$',
               'IGDB popular: one well-formed where clause with the platform filter');
SELECT ok((SELECT bool_and(headers->>'client-id' = 'test-igdb-client' AND headers->>'authorization' LIKE 'Bearer %')
             FROM sent WHERE path = '/igdb/games'), 'IGDB requests carry Client-ID and the Bearer token');
SELECT ok(EXISTS (SELECT 1 FROM sent WHERE path = '/itunes/jp/rss/topsongs/limit=25/json'),
          'iTunes song charts fetch top songs (Tako fetched albums)');
SELECT ok(EXISTS (SELECT 1 FROM sent WHERE path = '/itunes/us/rss/topalbums/limit=25/json'), 'iTunes album charts');
SELECT is((SELECT query FROM sent WHERE path = '/deezer/chart/0/tracks'), 'limit=25', 'Deezer chart section');
SELECT ok((SELECT bool_and(headers->>'user-agent' LIKE 'tako_cache/1.0%' AND headers->>'accept-encoding' LIKE '%gzip%')
             FROM sent), 'every request has the User-Agent with the version and accepts gzip');

-- A revoked IGDB token is renewed once on 401, transparently.
\! test/upstream/ctl revoke_tokens
SELECT is(tako_refresh('igdb:popular:all')->>'status', 'ok', 'IGDB answers 401 to a revoked token: renewed, refreshed');
\set requests `test/upstream/ctl requests /twitch`
SELECT is(jsonb_array_length(:'requests'::jsonb), 2, '... with a second token request');

-- tako_cache.tako_fetch: the raw upstream JSON, credentials redacted; tako_normalize on it gives the same items.
SELECT is((tako_cache.tako_fetch('rawg:popular:all')->>'count')::int, 871752, 'tako_fetch returns the raw RAWG page (its count)');
\! test/upstream/ctl fault '{"match": "/rawg/games", "times": 1, "fault": {"json": {"count": 1, "next": "https://api.rawg.io/api/games?key=test-rawg-key&page=2", "results": []}}}'
SELECT is(tako_cache.tako_fetch('rawg:popular:all')->>'next', 'https://api.rawg.io/api/games?key=REDACTED&page=2',
          'the RAWG key that RAWG echoes in "next" is redacted from tako_cache.tako_fetch');
SELECT is(tako_normalize('deezer', 'charts', tako_cache.tako_fetch('deezer:charts:tracks'), 'tracks'),
          (SELECT data FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:tracks'),
          'tako_normalize(tako_cache.tako_fetch(key)) is what tako_refresh saved');
SELECT is(jsonb_array_length(tako_normalize('tmdb', 'trending', tako_cache.tako_fetch('tmdb:trending:tv:week'))), 20,
          'tako_normalize defaults the category from the family');

-- Batch refreshes.
SELECT is((tako_refresh_provider('deezer')->>'total')::int, 3, 'tako_refresh_provider(deezer): its three charts');
SELECT is((tako_refresh_provider('tmdb', 'popular')->>'total')::int, 2, 'tako_refresh_provider(tmdb, popular): movie and tv');
SELECT is((tako_refresh_all()->>'failed')::int, 0, 'tako_refresh_all: every cached and warm key, no failure');
SELECT ok((SELECT count(*) FROM tako_cache.discovery_cache) >= (SELECT count(*) FROM tako_cache.tako_warm_keys WHERE enabled),
          '... which fills every warm key');
SELECT is(tako_refresh_expired()->>'total', '0', 'tako_refresh_expired: nothing expired, nothing fetched');
UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 hour' WHERE cache_key IN ('deezer:charts:albums', 'tmdb:popular:tv');
SELECT is(tako_refresh_expired(5)->>'succeeded', '2', 'tako_refresh_expired: the two expired entries');
SELECT is((SELECT count(*)::int FROM tako_cache.discovery_cache WHERE expires_at <= now()), 0, '... are fresh again');

SELECT * FROM finish();
