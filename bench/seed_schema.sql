-- The seed's design (the Tako API's discovery cache: its scripts/migrations/001_create_discovery_cache.sql),
-- in valid PostgreSQL, as the baseline of the hit benchmarks: its table (TIMESTAMP without time
-- zone, the redundant idx_cache_key), and its trigger that counts every UPDATE as a fetch.
CREATE SCHEMA seed;
CREATE TABLE seed.discovery_cache (
  id SERIAL PRIMARY KEY,
  cache_key VARCHAR(255) UNIQUE NOT NULL,
  provider VARCHAR(50) NOT NULL,
  endpoint VARCHAR(50) NOT NULL,
  category VARCHAR(50),
  period VARCHAR(20),
  data JSONB NOT NULL,
  total_results INTEGER,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW(),
  expires_at TIMESTAMP NOT NULL,
  last_accessed TIMESTAMP DEFAULT NOW(),
  fetch_count INTEGER DEFAULT 0,
  refresh_count INTEGER DEFAULT 0
);
CREATE INDEX idx_cache_key ON seed.discovery_cache (cache_key);
CREATE INDEX idx_provider_endpoint ON seed.discovery_cache (provider, endpoint);
CREATE INDEX idx_expires_at ON seed.discovery_cache (expires_at);
CREATE INDEX idx_last_accessed ON seed.discovery_cache (last_accessed);

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
