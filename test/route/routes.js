// Tako's discovery routes and /api/cache/stats, served by tako_cache.
import { Router } from 'express';
import { sendError } from './errors.js';

// Each route's path and the arguments of tako_cache_key(provider, endpoint, category, period, type,
// filter, day, sfw) it takes from the query string. Absent parts are NULL: tako_cache_key fills the
// family's defaults and rejects a bad part (22023, naming it), also one holding ":" that a key
// joined in JS would take for a part boundary.
const jikanTop = (category) => (q) => ['jikan', 'top', category, null, null, null, null, q.sfw];
// Season lists: the filter is the path's (/trending/tv) or the query's (/trending?filter=ova).
const jikanSeason = (endpoint, filter) => (q) =>
  ['jikan', endpoint, null, null, null, filter ?? q.filter, null, q.sfw];
const ROUTES = [
  ['/api/media/tmdb/trending', (q) => ['tmdb', 'trending', q.category, q.period]],
  ['/api/media/tmdb/popular', (q) => ['tmdb', 'popular', q.category]],
  ['/api/media/tmdb/top-rated', (q) => ['tmdb', 'top-rated', q.category]],
  ['/api/media/tmdb/upcoming', (q) => ['tmdb', 'upcoming', q.category]],
  ['/api/media/tmdb/on-the-air', () => ['tmdb', 'upcoming', 'tv', null, 'on-the-air']],
  ['/api/media/tmdb/airing-today', () => ['tmdb', 'upcoming', 'tv', null, 'airing-today']],
  ['/api/anime-manga/jikan/top/anime', jikanTop('anime')],
  ['/api/anime-manga/jikan/top/manga', jikanTop('manga')],
  ['/api/anime-manga/jikan/top/tv', jikanTop('tv')],
  ['/api/anime-manga/jikan/top/movie', jikanTop('movie')],
  ['/api/anime-manga/jikan/trending', jikanSeason('trending')],
  ['/api/anime-manga/jikan/trending/tv', jikanSeason('trending', 'tv')],
  ['/api/anime-manga/jikan/trending/movie', jikanSeason('trending', 'movie')],
  ['/api/anime-manga/jikan/upcoming', jikanSeason('upcoming')],
  ['/api/anime-manga/jikan/upcoming/tv', jikanSeason('upcoming', 'tv')],
  ['/api/anime-manga/jikan/upcoming/movie', jikanSeason('upcoming', 'movie')],
  ['/api/anime-manga/jikan/schedule', (q) => ['jikan', 'schedule', null, null, null, null, q.day]],
  ['/api/videogames/rawg/popular', (q) => ['rawg', 'popular', q.platforms]],
  ['/api/videogames/rawg/trending', (q) => ['rawg', 'trending', q.platforms]],
  ['/api/videogames/igdb/popular', (q) => ['igdb', 'popular', q.platforms]],
  ['/api/music/deezer/charts', (q) => ['deezer', 'charts', q.category]],
  // iTunes keys carry country and chart in one part ("us-song"); countries are lower case there.
  ['/api/music/itunes/charts', (q) =>
    ['itunes', 'charts', `${String(q.country ?? 'fr').toLowerCase()}-${q.category ?? 'album'}`]],
];

// One named statement for every route: prepared once per connection, then only bound and run.
const DISCOVER = 'SELECT tako_discover(tako_cache_key($1, $2, $3, $4, $5, $6, $7, $8))';
// The envelope goes out as the text the server sent (json or jsonb alike): parsing it only to
// serialize it again would cost the API more CPU than the whole cache hit costs the server.
const AS_TEXT = { getTypeParser: () => (text) => text };

// A query parameter as a key part: absent is NULL; a repeated one arrives joined by commas.
const part = (value) => (value === undefined || value === null ? null : String(value));

function discover(pool, keyArgs) {
  return async (req, res) => {
    const args = keyArgs(req.query);
    const values = Array.from({ length: 8 }, (_, i) => part(args[i]));
    try {
      const { rows } = await pool.query({
        name: 'tako_discover', text: DISCOVER, values, types: AS_TEXT, rowMode: 'array',
      });
      // A db_only miss is a 200 envelope with success:false: passed through like any other.
      res.type('application/json').send(rows[0][0]);
    } catch (err) {
      sendError(res, err);
    }
  };
}

async function stats(pool, req, res) {
  try {
    const { rows } = await pool.query({ name: 'tako_cache_stats', text: 'SELECT tako_cache_stats() AS cache' });
    res.json({
      success: true,
      cache: rows[0].cache,
      database: {
        connected: true,
        totalCount: pool.totalCount,
        idleCount: pool.idleCount,
        waitingCount: pool.waitingCount,
      },
    });
  } catch (err) {
    sendError(res, err);
  }
}

export function takoRoutes(pool) {
  const router = Router();
  for (const [path, keyArgs] of ROUTES) router.get(path, discover(pool, keyArgs));
  router.get('/api/cache/stats', (req, res) => stats(pool, req, res));
  return router;
}
