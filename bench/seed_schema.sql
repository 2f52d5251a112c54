-- The seed's design (the Tako API's discovery cache: its scripts/migrations/001_create_discovery_cache.sql),
-- in valid PostgreSQL, as the baseline of the hit benchmarks: its table (TIMESTAMP without time
-- zone, the redundant idx_cache_key), and its trigger that counts every UPDATE as a fetch.
CREATE SCHEMA seed;
SET search_path = seed;
\ir ../test/route/migrations/001_create_discovery_cache.sql
RESET search_path;

CREATE FUNCTION seed.update_last_accessed() RETURNS TRIGGER AS $$
BEGIN
  NEW.last_accessed = NOW();
  NEW.fetch_count = NEW.fetch_count + 1;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_last_accessed
BEFORE UPDATE ON seed.discovery_cache
FOR EACH ROW
EXECUTE FUNCTION seed.update_last_accessed();

-- Stored forms compared in the same run (why tako_cache serves rendered JSON text).
CREATE TABLE seed.form_text (cache_key text PRIMARY KEY, data text);
CREATE TABLE seed.form_text_external (cache_key text PRIMARY KEY, data text);
ALTER TABLE seed.form_text_external ALTER data SET STORAGE EXTERNAL;
