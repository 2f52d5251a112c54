-- Tako parity (issue 12): Jikan backdrops from /anime/{id}/pictures, kept a month in
-- tako_cache.tako_jikan_pictures (a refresh asks only for anime it has not seen), a pictures failure never
-- fails the list; the labels' language (tako_cache.locale).
\set QUIET 1
SET client_min_messages = error;
SELECT * FROM no_plan();

\! test/upstream/ctl reset
DELETE FROM tako_cache.tako_jikan_pictures;
DELETE FROM tako_cache.discovery_cache WHERE provider = 'jikan';
-- A refresh by hand returns once its lists are saved (1.7: by the refresh worker, here); their
-- pictures are asked afterwards and written in. This waits until the worker is idle again.
CREATE FUNCTION pg_temp.worker_idle() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..600 LOOP
        PERFORM pg_stat_clear_snapshot();
        IF NOT EXISTS (SELECT 1 FROM pg_stat_activity
                        WHERE backend_type = 'tako_cache refresh worker' AND state <> 'idle') THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN false;
END
$$;

-- The families Tako enriches carry a backdrop per item.
SELECT is(tako_cache.tako_refresh_keys(ARRAY['jikan:trending:tv', 'jikan:top:tv'])->>'succeeded', '2',
          'jikan:trending:tv and jikan:top:tv refreshed');
SELECT ok(pg_temp.worker_idle(), '... and their pictures asked');
SELECT is((SELECT count(*) FILTER (WHERE i->'details'->>'backdrop' = 'https://cdn.myanimelist.net/images/anime/8/36343l.jpg')
                  || '/' || count(*)
             FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i WHERE cache_key = 'jikan:trending:tv'),
          '25/25', 'every item of jikan:trending:tv has its backdrop (the first picture''s large JPEG)');
SELECT is((SELECT count(*) FILTER (WHERE i->'details'->>'backdrop' LIKE 'https://cdn.myanimelist.net/%')
                  || '/' || count(*)
             FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i WHERE cache_key = 'jikan:top:tv'),
          '25/25', 'every item of jikan:top:tv has its backdrop');
\set asked `test/upstream/ctl requests /jikan/anime/`
SELECT is(jsonb_array_length(:'asked'::jsonb),
          (SELECT count(DISTINCT i->'details'->>'malId')::int FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i
            WHERE cache_key IN ('jikan:trending:tv', 'jikan:top:tv')),
          'one pictures request per anime of the two lists (an anime in both is asked once)');
SELECT is((SELECT count(*)::int FROM tako_cache.tako_jikan_pictures), jsonb_array_length(:'asked'::jsonb),
          'each anime''s backdrop is kept in tako_cache.tako_jikan_pictures');
SELECT is((SELECT count(*)::int FROM jsonb_array_elements(:'asked'::jsonb) AS r
            WHERE r->>'path' NOT LIKE '/jikan/anime/%/pictures'), 0, '... all of them GET /anime/{id}/pictures');

-- A second refresh asks for no picture it already has.
\! test/upstream/ctl reset
SELECT is(tako_refresh('jikan:trending:tv')->>'status', 'ok', 'jikan:trending:tv refreshed again');
SELECT ok(pg_temp.worker_idle(), '... its refresh over');
\set asked `test/upstream/ctl requests /jikan/anime/`
SELECT is(jsonb_array_length(:'asked'::jsonb), 0, '... without asking for any picture it has');
SELECT is((SELECT count(*)::int FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i
            WHERE cache_key = 'jikan:trending:tv' AND i->'details'->>'backdrop' IS NOT NULL), 25,
          '... and its items keep their backdrops');

-- The pictures endpoint failing: the list is saved, its backdrops null, the failures logged.
DELETE FROM tako_cache.tako_jikan_pictures;
\! test/upstream/ctl fault '{"match": "/jikan/anime/", "fault": {"status": 500}}' >/dev/null
SET tako_cache.retry_attempts = 1;
SELECT is(tako_refresh('jikan:upcoming:tv')->>'status', 'ok', 'with /anime/{id}/pictures failing, the list is still saved');
SELECT is((SELECT count(*) FILTER (WHERE i->'details' ? 'backdrop' AND i->'details'->'backdrop' = 'null'::jsonb) || '/' || count(*)
             FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i WHERE cache_key = 'jikan:upcoming:tv'),
          '25/25', '... each backdrop null');
SELECT ok((SELECT count(*) >= 1 AND bool_and(outcome = 'server_error' AND provider = 'jikan')
             FROM tako_cache.tako_refresh_log WHERE cache_key LIKE 'jikan:pictures:%' AND started_at > now() - interval '1 minute'),
          '... and each failed pictures request is in tako_cache.tako_refresh_log (jikan:pictures:<id>)');
SELECT ok((SELECT count(*) >= 1 AND bool_and(backdrop IS NULL AND retry_at - fetched_at = interval '1 hour'
                                             AND fetched_at > now() - interval '1 minute')
             FROM tako_cache.tako_jikan_pictures),
          '... and kept with a back-off: not to be asked again for an hour');
\set before `test/upstream/ctl requests /jikan/anime/`
SELECT is(tako_refresh('jikan:upcoming:tv')->>'status', 'ok', 'refreshed again while the pictures still fail');
\set after `test/upstream/ctl requests /jikan/anime/`
SELECT is(jsonb_array_length(:'after'::jsonb), jsonb_array_length(:'before'::jsonb),
          '... without asking again for a picture whose back-off is not over');
UPDATE tako_cache.tako_jikan_pictures SET fetched_at = fetched_at - interval '2 hours', retry_at = retry_at - interval '2 hours';
SELECT is(tako_refresh('jikan:upcoming:tv')->>'status', 'ok', 'refreshed once the back-off is over');
\set again `test/upstream/ctl requests /jikan/anime/`
SELECT is(jsonb_array_length(:'again'::jsonb) - jsonb_array_length(:'after'::jsonb),
          (SELECT count(*)::int FROM tako_cache.tako_jikan_pictures), '... each failed picture asked again');
SELECT ok((SELECT bool_and(retry_at - fetched_at = interval '2 hours') FROM tako_cache.tako_jikan_pictures),
          '... and, failing again, not asked again for twice as long (2 hours)');
DELETE FROM tako_cache.tako_jikan_pictures WHERE retry_at IS NOT NULL;
RESET tako_cache.retry_attempts;
\! test/upstream/ctl reset

-- Labels in the API's language: fr-FR (Tako's default) or en-US.
SELECT is(current_setting('tako_cache.locale'), 'fr-FR', 'tako_cache.locale is fr-FR by default');
SELECT is((SELECT DISTINCT i->'details'->'rating'->>'label' FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i
            WHERE cache_key = 'jikan:top:tv' AND i->'details'->'rating'->>'code' = 'R+'),
          '17+ (nudité légère)', 'fr-FR: Tako''s French age-rating labels');
SET tako_cache.locale = 'en-US';
SELECT is(tako_refresh('jikan:top:tv')->>'status', 'ok', 'refreshed with tako_cache.locale = en-US');
SELECT is((SELECT DISTINCT i->'details'->'rating'->>'label' FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i
            WHERE cache_key = 'jikan:top:tv' AND i->'details'->'rating'->>'code' = 'R+'),
          '17+ (mild nudity)', 'en-US: English labels');
SELECT is((SELECT DISTINCT i->'details'->'rating'->>'minAge' FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i
            WHERE cache_key = 'jikan:top:tv' AND i->'details'->'rating'->>'code' = 'R+'),
          '17', '... the code and minimum age are the same in both');
SELECT is((SELECT i->'details'->'rating'->>'label'
             FROM jsonb_array_elements(tako_normalize('jikan', 'top:tv',
                  '{"data": [{"mal_id": 1, "title": "T", "rating": "G - All Ages"}]}', 'anime')) AS i),
          'All Ages', 'tako_normalize follows the setting too (en-US)');
RESET tako_cache.locale;
SELECT is((SELECT i->'details'->'rating'->>'label'
             FROM jsonb_array_elements(tako_normalize('jikan', 'top:tv',
                  '{"data": [{"mal_id": 1, "title": "T", "rating": "G - All Ages"}]}', 'anime')) AS i),
          'Tous publics', '... and fr-FR');
SELECT throws_like($$SET tako_cache.locale = 'de-DE'$$, '%invalid value for parameter "tako_cache.locale"%',
                   'a bad locale is refused');
SELECT is(tako_refresh('jikan:top:tv')->>'status', 'ok', 'back to fr-FR');

SELECT * FROM finish();
