-- Keys (docs/keys.md): the seed's part order, the sfw rule, canonical forms and validation.
SELECT tako_cache_key('tmdb', 'trending', 'movie', 'week') AS seed_example_1,
       tako_cache_key('jikan', 'schedule', day => 'monday') AS seed_example_2,
       tako_cache_key('deezer', 'charts') AS seed_example_3_defaults_filled;

SELECT tako_cache_key('jikan', 'top', 'tv', sfw => 'all') AS sfw_all_left_out,
       tako_cache_key('jikan', 'trending', 'tv', sfw => 'nsfw') AS sfw_appended,
       tako_cache_key('tmdb', 'upcoming', 'tv', filter => 'on-the-air') AS tv_list,
       tako_cache_key('rawg', 'popular', filter => '4,187') AS platforms,
       tako_cache_key('itunes', 'charts', 'us-song') AS itunes,
       tako_cache_key('tmdb', 'trending', '', 'day') AS empty_part_skipped;

-- One canonical key per list: absent parts take the family's default.
SELECT key, tako_canonical_key(key)
  FROM unnest(ARRAY['tmdb:trending', 'tmdb:trending:tv', 'tmdb:trending:day', 'tmdb:popular',
                    'tmdb:top-rated:tv', 'tmdb:upcoming', 'tmdb:upcoming:tv:airing-today',
                    'jikan:top', 'jikan:top:manga:sfw', 'jikan:top:movie:all',
                    'jikan:trending', 'jikan:trending:nsfw', 'jikan:upcoming:ova',
                    'jikan:schedule', 'jikan:schedule:sunday', 'rawg:trending',
                    'igdb:upcoming:6,48,49', 'deezer:charts:tracks', 'itunes:charts',
                    'itunes:charts:jp-album']) AS key;

SELECT * FROM tako_parse_key('tmdb:upcoming:tv:on-the-air');
SELECT * FROM tako_parse_key('jikan:schedule:monday');
SELECT * FROM tako_parse_key('itunes:charts:gb-song');
SELECT tako_cache.tako_key_info('rawg:upcoming:4,187');
SELECT tako_canonical_key('rawg:upcoming:187,4,4') AS one_form;

-- Every rejection names the bad part, with SQLSTATE 22023.
SELECT regress.err(format('SELECT tako_canonical_key(%L)', key)) AS result
  FROM unnest(ARRAY['netflix:trending', 'tmdb', 'tmdb:charts', 'tmdb:trending:film',
                    'tmdb:trending:movie:month', 'tmdb:trending:movie:week:extra',
                    'tmdb:upcoming:movie:on-the-air', 'jikan:top:tv:maybe',
                    'jikan:schedule:Monday', 'rawg:popular:1,2,3,4,5,6,7,8,9', 'rawg:popular:04',
                    'igdb:popular:6);fields *', 'itunes:charts:zz-album',
                    'itunes:charts:FR-album', 'tmdb::trending', 'tmdb:trending:',
                    '', 'TMDB:trending']) AS key;

-- The full error, with its detail and hint.
SELECT tako_canonical_key('tmdb:trending:film');
SELECT tako_canonical_key('netflix:trending');

-- Builder arguments.
SELECT regress.err($$SELECT tako_cache_key(NULL, 'trending')$$);
SELECT regress.err($$SELECT tako_cache_key('tmdb', NULL)$$);
SELECT regress.err($$SELECT tako_cache_key('', 'trending')$$);
SELECT regress.err($$SELECT tako_cache_key('tmdb', 'trending', 'movie:week')$$);
SELECT regress.err($$SELECT tako_cache_key('tmdb', 'trending', repeat('x', 300))$$);
SELECT regress.err($$SELECT tako_canonical_key(NULL)$$);
SELECT regress.err($$SELECT tako_canonical_key(repeat('a', 256))$$);
SELECT regress.err($$SELECT tako_canonical_key(E'tmdb:trending:movie\n')$$);
SELECT regress.err($$SELECT tako_canonical_key(E'tmdb:trending:\u00e9t\u00e9')$$);
SELECT regress.err($$SELECT tako_canonical_key('tmdb:trending:movie''; DROP TABLE discovery_cache; --')$$);
