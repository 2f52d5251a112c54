-- Settings (docs/settings.md): registered with their defaults and contexts; secrets hidden from others.
SELECT name, setting, unit, context, vartype
  FROM pg_settings WHERE name LIKE 'tako_cache.%' ORDER BY name;

-- Values are checked.
SET tako_cache.mode = 'fast';
SET tako_cache.tmdb_base_url = 'ftp://example.com';
SET tako_cache.jikan_base_url = 'https://user:secret@example.com';
SET tako_cache.schedule_timezone = 'Mars/Olympus_Mons';
SET tako_cache.http_timeout_ms = 0;
SET tako_cache.max_response_bytes = '2GB';
SET tako_cache.unknown_setting = 1;
SET tako_cache.rawg_daily_requests = -1;
SET tako_cache.tmdb_daily_requests = 'lots';
SET tako_cache.scheduled_reserve_percent = 95;
SET tako_cache.new_keys_per_hour = -5;
SET tako_cache.schedule_timezone = 'Europe/Paris';
SET tako_cache.max_response_bytes = '1MB';
SHOW tako_cache.max_response_bytes;
RESET ALL;

-- A superuser sees the secrets; an ordinary role can neither see nor set any of them.
SET tako_cache.tmdb_api_key = 'sekret-key';
CREATE ROLE regress_reader;
SET ROLE regress_reader;
SELECT regress.err('SHOW tako_cache.tmdb_api_key') AS show_secret;
SELECT regress.err($$SELECT current_setting('tako_cache.igdb_client_secret')$$) AS read_secret;
SELECT count(*) AS secrets_in_pg_settings FROM pg_settings
 WHERE name IN ('tako_cache.tmdb_api_key', 'tako_cache.rawg_api_key',
                'tako_cache.igdb_client_id', 'tako_cache.igdb_client_secret');
SELECT count(*) AS visible_settings FROM pg_settings WHERE name LIKE 'tako_cache.%';
SELECT regress.err($$SET tako_cache.tmdb_base_url = 'http://attacker.example'$$) AS set_url;
SELECT regress.err($$SET tako_cache.enabled = off$$) AS set_enabled;
SELECT regress.err($$SET tako_cache.tmdb_api_key = 'mine'$$) AS set_secret;
RESET ROLE;
SHOW tako_cache.tmdb_api_key;
RESET tako_cache.tmdb_api_key;
DROP ROLE regress_reader;
