-- Scheduling with pg_cron (docs/scheduling.md): the seed's staggered slots as named jobs in GMT, for any
-- time zone and across DST; idempotent; unscheduling removes exactly tako_cache's jobs.
\set QUIET 1
SET client_min_messages = warning;
SELECT * FROM no_plan();

-- Without pg_cron in the database, scheduling says what to do.
SELECT throws_ok($$SELECT * FROM tako_schedule_refreshes()$$, '55000',
                 'pg_cron is not installed in database "tako_it"', 'no pg_cron: a clear 55000');
SELECT is(tako_cache.tako_sync_schedule(), false, 'the hourly re-sync is a no-op without pg_cron');
SELECT ok((SELECT count(*) FROM tako_cache.tako_schedule_commands()) = 32
          AND (SELECT bool_and(c LIKE 'SELECT cron.schedule_in_database(''tako_cache:%'', %, ''tako_it'');')
                 FROM tako_cache.tako_schedule_commands() AS c),
          'tako_schedule_commands() gives the cron.schedule_in_database way for another database');
CREATE EXTENSION pg_cron;

-- A fresh install, in UTC: the seed's slots.
SELECT is((SELECT count(*)::int FROM tako_schedule_refreshes()), 32, 'tako_schedule_refreshes(): 32 jobs');
SELECT set_eq(
    $$SELECT jobname::text, schedule FROM cron.job$$,
    $$VALUES ('tako_cache:trending:tmdb:0200', '0 2 * * *'), ('tako_cache:trending:jikan:0230', '30 2 * * *'),
             ('tako_cache:trending:rawg:0300', '0 3 * * *'), ('tako_cache:trending:igdb:0330', '30 3 * * *'),
             ('tako_cache:popular:tmdb:0300', '0 3 * * *'), ('tako_cache:popular:jikan:0330', '30 3 * * *'),
             ('tako_cache:popular:rawg:0400', '0 4 * * *'), ('tako_cache:popular:igdb:0430', '30 4 * * *'),
             ('tako_cache:charts:deezer:0400', '0 4 * * *'), ('tako_cache:charts:itunes:0430', '30 4 * * *'),
             ('tako_cache:upcoming:tmdb:0000', '0 0 * * *'), ('tako_cache:upcoming:tmdb:0600', '0 6 * * *'),
             ('tako_cache:upcoming:tmdb:1200', '0 12 * * *'), ('tako_cache:upcoming:tmdb:1800', '0 18 * * *'),
             ('tako_cache:upcoming:jikan:0100', '0 1 * * *'), ('tako_cache:upcoming:jikan:0700', '0 7 * * *'),
             ('tako_cache:upcoming:jikan:1300', '0 13 * * *'), ('tako_cache:upcoming:jikan:1900', '0 19 * * *'),
             ('tako_cache:upcoming:rawg:0200', '0 2 * * *'), ('tako_cache:upcoming:rawg:0800', '0 8 * * *'),
             ('tako_cache:upcoming:rawg:1400', '0 14 * * *'), ('tako_cache:upcoming:rawg:2000', '0 20 * * *'),
             ('tako_cache:upcoming:igdb:0300', '0 3 * * *'), ('tako_cache:upcoming:igdb:0900', '0 9 * * *'),
             ('tako_cache:upcoming:igdb:1500', '0 15 * * *'), ('tako_cache:upcoming:igdb:2100', '0 21 * * *'),
             ('tako_cache:schedule:jikan:0530', '30 5 * * *'), ('tako_cache:schedule:jikan:1730', '30 17 * * *'),
             ('tako_cache:expired', '15 * * * *'), ('tako_cache:purge', '0 5 * * *'),
             ('tako_cache:log-cleanup', '15 5 * * *'),
             ('tako_cache:flush-hits', CASE WHEN tako_cache.tako_cron_is_1_5() THEN '30 seconds' ELSE '* * * * *' END)$$,
    'cron.job holds exactly the seed''s staggered slots, the hourly check, the 05:00 purge, the log cleanup and the flush of hit counters');
-- pg_cron 1.5 and later (cron.timezone exists): hit counters every 30 seconds; 1.4: every minute.
SELECT is(tako_cache.tako_cron_is_1_5(),
          (SELECT string_to_array(extversion, '.')::text[] >= '{1,5}' FROM pg_extension WHERE extname = 'pg_cron'),
          'tako_cron_is_1_5() agrees with the installed pg_cron (' ||
          (SELECT extversion FROM pg_extension WHERE extname = 'pg_cron') || ')');
SELECT is(tako_cache.tako_cron_timezone(), 'GMT', 'pg_cron''s time zone here: GMT (no cron.timezone set)');
SELECT is((SELECT command FROM cron.job WHERE jobname = 'tako_cache:popular:tmdb:0300'),
          'CALL tako_cache.tako_run_slot_job(''popular'', ''tmdb'')', 'a slot job calls tako_cache.tako_run_slot_job(list, provider)');

-- Idempotent.
CREATE TEMP TABLE first_run AS SELECT jobid, jobname, schedule, command FROM cron.job;
SELECT is((SELECT count(*)::int FROM tako_schedule_refreshes()), 32, 'scheduling again: still 32 jobs');
SELECT set_eq($$SELECT jobid, jobname, schedule, command FROM cron.job$$,
              $$SELECT jobid, jobname, schedule, command FROM first_run$$,
              '... the same jobs, ids included');

-- Other time zones: GMT times for the offset in force at the slot's next occurrence.
SET tako_cache.schedule_timezone = 'Europe/Paris';
SELECT is((SELECT schedule FROM tako_schedule_plan('2026-01-15 12:00+00') WHERE jobname = 'tako_cache:trending:tmdb:0200'),
          '0 1 * * *', 'Europe/Paris in winter (UTC+1): 02:00 runs at 01:00 GMT');
SELECT is((SELECT schedule FROM tako_schedule_plan('2026-07-15 12:00+00') WHERE jobname = 'tako_cache:trending:tmdb:0200'),
          '0 0 * * *', 'Europe/Paris in summer (UTC+2): 02:00 runs at 00:00 GMT');
SELECT is((SELECT schedule FROM tako_schedule_plan('2026-07-15 12:00+00') WHERE jobname = 'tako_cache:upcoming:tmdb:0000'),
          '0 22 * * *', '... and local midnight at 22:00 GMT');
SELECT is((SELECT schedule FROM tako_schedule_plan('2026-03-28 12:00+00') WHERE jobname = 'tako_cache:purge'),
          '0 3 * * *', 'the day before the spring change, the next 05:00 is already summer time: 03:00 GMT');
SET tako_cache.schedule_timezone = 'Asia/Kolkata';
SELECT is((SELECT schedule FROM tako_schedule_plan() WHERE jobname = 'tako_cache:trending:tmdb:0200'),
          '30 20 * * *', 'Asia/Kolkata (UTC+5:30): 02:00 runs at 20:30 GMT the day before');
SELECT is((SELECT schedule FROM tako_schedule_plan() WHERE jobname = 'tako_cache:expired'),
          '45 * * * *', '... and the hourly check at minute 45');

-- Across a DST change: jobs installed for summer are moved by the hourly re-sync once the offset
-- in force is winter's (today, in November).
SET tako_cache.schedule_timezone = 'Europe/Paris';
SELECT is((SELECT count(*)::int FROM tako_schedule_refreshes('2026-07-15 12:00+00')), 32, 'scheduled with summer offsets');
SELECT is((SELECT schedule FROM cron.job WHERE jobname = 'tako_cache:trending:tmdb:0200'), '0 0 * * *', '... 00:00 GMT');
SELECT cron.alter_job(jobid, active := false) FROM cron.job WHERE jobname = 'tako_cache:charts:itunes:0430' \g /dev/null
SELECT is(tako_cache.tako_sync_schedule(), true, 'the hourly re-sync sees the offset changed and moves the jobs');
SELECT is((SELECT schedule FROM cron.job WHERE jobname = 'tako_cache:trending:tmdb:0200'),
          (SELECT schedule FROM tako_schedule_plan() WHERE jobname = 'tako_cache:trending:tmdb:0200'),
          '... to the GMT time of 02:00 Paris today');
SELECT is((SELECT schedule FROM cron.job WHERE jobname = 'tako_cache:trending:tmdb:0200'), '0 1 * * *',
          '... which in November is 01:00 GMT');
SELECT is((SELECT active FROM cron.job WHERE jobname = 'tako_cache:charts:itunes:0430'), false,
          'a job paused with cron.alter_job stays paused across the re-sync');
SELECT is(tako_cache.tako_sync_schedule(), false, 'a second re-sync changes nothing');
RESET tako_cache.schedule_timezone;

-- Editing the slots.
UPDATE tako_cache.tako_refresh_slots SET enabled = false WHERE list = 'upcoming' AND provider = 'igdb';
UPDATE tako_cache.tako_refresh_slots SET local_times = '{06:45}' WHERE list = 'charts' AND provider = 'deezer';
SELECT is((SELECT count(*)::int FROM tako_schedule_refreshes()), 28, 'a disabled slot''s 4 jobs are removed');
SELECT is((SELECT schedule FROM cron.job WHERE jobname = 'tako_cache:charts:deezer:0645'), '45 6 * * *',
          'a moved slot gets its new job');
SELECT is((SELECT count(*)::int FROM cron.job WHERE jobname = 'tako_cache:charts:deezer:0400'), 0, '... and loses its old one');
SELECT throws_ok($$INSERT INTO tako_cache.tako_refresh_slots (list, provider, endpoints, local_times) VALUES ('x', 'tmdb', '{charts}', '{01:00}')$$,
                 '22023', NULL, 'a slot must name endpoints of its provider');
SELECT throws_ok($$UPDATE tako_cache.tako_refresh_slots SET local_times = '{}' WHERE list = 'trending' AND provider = 'tmdb'$$,
                 '22023', NULL, '... and at least one time');
UPDATE tako_cache.tako_refresh_slots SET enabled = true WHERE list = 'upcoming' AND provider = 'igdb';
UPDATE tako_cache.tako_refresh_slots SET local_times = '{04:00}' WHERE list = 'charts' AND provider = 'deezer';

-- Unscheduling removes exactly tako_cache's jobs.
SELECT cron.schedule('someone else''s job', '0 0 * * *', 'SELECT 1') \g /dev/null
SELECT is(tako_unschedule_refreshes(), 28, 'tako_unschedule_refreshes() removes the 28 tako_cache jobs');
SELECT is((SELECT array_agg(jobname::text) FROM cron.job), ARRAY['someone else''s job'], '... and nothing else');
SELECT is(tako_unschedule_refreshes(), 0, '... and is idempotent');
SELECT cron.unschedule('someone else''s job') \g /dev/null

-- Stats report each job's next run (and its last one, once it ran).
SELECT is((SELECT count(*)::int FROM tako_schedule_refreshes()), 32, 'rescheduled');
SELECT is((SELECT jsonb_array_length(tako_cache_stats()->'jobs')), 32, 'stats list the 32 jobs');
SELECT ok((SELECT bool_and((j->>'next_run')::timestamptz > now() AND (j->>'next_run')::timestamptz <= now() + interval '1 day')
             FROM jsonb_array_elements(tako_cache_stats()->'jobs') AS j WHERE j->>'jobname' <> 'tako_cache:flush-hits'),
          '... each with its next run within a day');
SELECT is((SELECT j->>'next_run' FROM jsonb_array_elements(tako_cache_stats()->'jobs') AS j
            WHERE j->>'jobname' = 'tako_cache:expired')::timestamptz,
          date_trunc('hour', now()) + CASE WHEN extract(minute FROM now()) >= 15 THEN interval '1 hour 15 minutes'
                                           ELSE interval '15 minutes' END,
          '... the hourly one at the next quarter past');
SELECT is(tako_cache.tako_next_run('30 4 * * *', '2026-11-24 04:29:30+00'), '2026-11-24 04:30:00+00'::timestamptz, 'next run later today');
SELECT is(tako_cache.tako_next_run('30 4 * * *', '2026-11-24 04:31:00+00'), '2026-11-25 04:30:00+00'::timestamptz, 'next run tomorrow');
SELECT is(tako_cache.tako_next_run('30 4 * * *', '2026-11-24 04:30:20+00'), '2026-11-25 04:30:00+00'::timestamptz,
          'during its minute, the next run is tomorrow''s (today''s started at 04:30:00)');
SELECT is(tako_cache.tako_next_run('15 * * * *', '2026-11-24 04:15:00+00'), '2026-11-24 05:15:00+00'::timestamptz,
          'an hourly job, at its own minute: the next hour''s');
SELECT is(tako_cache.tako_next_run('15 * * * *', '2026-11-24 04:14:59+00'), '2026-11-24 04:15:00+00'::timestamptz,
          'an hourly job, a second before: this hour''s');
SELECT is(tako_cache.tako_next_run('30 seconds', '2026-11-24 04:14:59+00'), NULL, 'a seconds schedule: no next run computed');
SELECT is(tako_unschedule_refreshes(), 32, 'cleaned up');

SELECT * FROM finish();
