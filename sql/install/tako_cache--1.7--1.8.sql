-- tako_cache 1.7 → 1.8: adoption where Tako runs.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.8'" to load this file. \quit
