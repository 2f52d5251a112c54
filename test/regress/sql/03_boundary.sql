-- The C++/PostgreSQL error boundary (src/pg/error_boundary.cpp), driven by the test-only probe.
\i test/probe/probe.sql
\set VERBOSITY default

-- C++ → PostgreSQL: what is thrown five frames down arrives with its SQLSTATE, detail and hint.
SELECT tako_probe.throw_cpp('tako');
SELECT regress.err($$SELECT tako_probe.throw_cpp('tako')$$) AS own_type;
SELECT regress.err($$SELECT tako_probe.throw_cpp('cancel')$$) AS own_type_cancel;
SELECT regress.err($$SELECT tako_probe.throw_cpp('std')$$) AS std_exception;
SELECT regress.err($$SELECT tako_probe.throw_cpp('bad_alloc')$$) AS bad_alloc;
SELECT regress.err($$SELECT tako_probe.throw_cpp('other')$$) AS catch_all;
-- Every C++ object on the way was destroyed.
SELECT tako_probe.live_objects() AS live_after_throws;

-- PostgreSQL → C++: an ereport under live C++ objects unwinds them and resurfaces unchanged.
SELECT tako_probe.pg_error_under_cpp('41') + 1 AS no_error;
SELECT tako_probe.pg_error_under_cpp('forty-one');
SELECT tako_probe.live_objects() AS live_after_pg_error;

-- ...or is handled in C++, and the session goes on.
SELECT tako_probe.pg_error_caught('nope');
SELECT tako_probe.pg_error_caught('7');

-- Nothing leaks: 2000 PostgreSQL errors raised under 100 kB of C++ objects each leave the heap
-- where it was (a leak would be 200 MB), and the backend is still usable, inside transactions
-- and savepoints too.
SELECT tako_probe.heap_bytes() AS heap_before \gset
DO $$
BEGIN
    FOR i IN 1..2000 LOOP
        BEGIN
            PERFORM tako_probe.pg_error_under_cpp('bad', 100000);
        EXCEPTION WHEN invalid_text_representation THEN
            NULL;
        END;
    END LOOP;
END
$$;
SELECT tako_probe.heap_bytes() - :heap_before < 4 * 1024 * 1024 AS heap_flat,
       tako_probe.live_objects() AS live_objects;
BEGIN;
SAVEPOINT s;
SELECT tako_probe.throw_cpp('tako');
ROLLBACK TO SAVEPOINT s;
SELECT tako_cache_key('deezer', 'charts', 'tracks') AS usable_after_rollback_to_savepoint;
COMMIT;
SELECT 1 AS backend_alive;
