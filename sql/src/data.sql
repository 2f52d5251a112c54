-- tako_cache: the rows the extension installs (standard = true): the warm keys and the refresh
-- slots. The platforms follow, generated from sql/data/platforms.tsv. Part of the current install
-- script (see sql/src/README.md).

-- Warm keys: the lists every refresh fills even before anyone asked for them.
INSERT INTO tako_cache.tako_warm_keys (cache_key, standard)
SELECT k, true FROM unnest(ARRAY[
    'tmdb:trending:movie:day', 'tmdb:trending:movie:week', 'tmdb:trending:tv:day',
    'tmdb:trending:tv:week', 'tmdb:popular:movie', 'tmdb:popular:tv', 'tmdb:top-rated:movie',
    'tmdb:top-rated:tv', 'tmdb:upcoming:movie', 'tmdb:upcoming:tv', 'tmdb:upcoming:tv:on-the-air',
    'tmdb:upcoming:tv:airing-today',
    'jikan:top:anime', 'jikan:top:manga', 'jikan:top:tv', 'jikan:top:movie', 'jikan:trending:all',
    'jikan:upcoming:all', 'jikan:schedule:all', 'jikan:schedule:monday', 'jikan:schedule:tuesday',
    'jikan:schedule:wednesday', 'jikan:schedule:thursday', 'jikan:schedule:friday',
    'jikan:schedule:saturday', 'jikan:schedule:sunday',
    'rawg:popular:all', 'rawg:trending:all', 'rawg:upcoming:all',
    'igdb:popular:all', 'igdb:trending:all', 'igdb:upcoming:all',
    'deezer:charts:albums', 'deezer:charts:tracks', 'deezer:charts:artists',
    'itunes:charts:fr-album', 'itunes:charts:fr-song', 'itunes:charts:us-album',
    'itunes:charts:us-song', 'itunes:charts:gb-album', 'itunes:charts:jp-album']) AS k;

INSERT INTO tako_cache.tako_refresh_slots (list, provider, endpoints, local_times, standard) VALUES
    ('trending', 'tmdb',   '{trending}',          '{02:00}', true),
    ('trending', 'jikan',  '{trending}',          '{02:30}', true),
    ('trending', 'rawg',   '{trending}',          '{03:00}', true),
    ('trending', 'igdb',   '{trending}',          '{03:30}', true),
    ('popular',  'tmdb',   '{popular,top-rated}', '{03:00}', true),
    ('popular',  'jikan',  '{top}',               '{03:30}', true),
    ('popular',  'rawg',   '{popular}',           '{04:00}', true),
    ('popular',  'igdb',   '{popular}',           '{04:30}', true),
    ('charts',   'deezer', '{charts}',            '{04:00}', true),
    ('charts',   'itunes', '{charts}',            '{04:30}', true),
    ('upcoming', 'tmdb',   '{upcoming}',          '{00:00,06:00,12:00,18:00}', true),
    ('upcoming', 'jikan',  '{upcoming}',          '{01:00,07:00,13:00,19:00}', true),
    ('upcoming', 'rawg',   '{upcoming}',          '{02:00,08:00,14:00,20:00}', true),
    ('upcoming', 'igdb',   '{upcoming}',          '{03:00,09:00,15:00,21:00}', true),
    ('schedule', 'jikan',  '{schedule}',          '{05:30,17:30}', true);
