-- The Tako API's own discovery cache table, as its migration 001_create_discovery_cache.sql creates
-- it (in valid PostgreSQL: TIMESTAMP without time zone, the redundant idx_cache_key), unqualified:
-- it lands in the first schema of the search_path. The baseline of the hit benchmarks
-- (bench/seed_schema.sql) and the source of tako_import's test (test/integration/grants.sql).
CREATE TABLE discovery_cache (
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
CREATE INDEX idx_cache_key ON discovery_cache (cache_key);
CREATE INDEX idx_provider_endpoint ON discovery_cache (provider, endpoint);
CREATE INDEX idx_expires_at ON discovery_cache (expires_at);
CREATE INDEX idx_last_accessed ON discovery_cache (last_accessed);
