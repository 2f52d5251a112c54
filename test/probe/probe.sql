-- Functions of the test-only boundary probe (test/probe/probe.cpp), in their own schema.
CREATE SCHEMA tako_probe;
CREATE FUNCTION tako_probe.throw_cpp(kind text) RETURNS void
    LANGUAGE c AS '$libdir/tako_cache_probe', 'probe_throw';
CREATE FUNCTION tako_probe.pg_error_under_cpp(input text, payload_bytes int DEFAULT 1048576) RETURNS int
    LANGUAGE c AS '$libdir/tako_cache_probe', 'probe_pg_error_under_cpp';
CREATE FUNCTION tako_probe.pg_error_caught(input text) RETURNS text
    LANGUAGE c AS '$libdir/tako_cache_probe', 'probe_pg_error_caught';
CREATE FUNCTION tako_probe.live_objects() RETURNS int
    LANGUAGE c AS '$libdir/tako_cache_probe', 'probe_live_objects';
CREATE FUNCTION tako_probe.heap_bytes() RETURNS bigint
    LANGUAGE c AS '$libdir/tako_cache_probe', 'probe_heap_bytes';
