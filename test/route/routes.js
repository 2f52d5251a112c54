// Tako's discovery routes and /api/cache/stats, served by tako_cache: Tako's envelope, X-Cache,
// Cache-Control, ETag and 304, and Tako's error body (errors.js).
import { Router } from 'express';
import { sendError, sendTakoError } from './errors.js';

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
// tako_discover_http answers the envelope with what the route sends beside it: the status (200;
// 304 when If-None-Match names the list's ETag: then no envelope crosses the wire; 404 for a
// db_only miss), X-Cache, the seconds the list stays fresh, and the ETag of a fresh hit.
// docs:begin discover
const DISCOVER = `SELECT status, x_cache, max_age, etag, envelope
  FROM tako_discover_http(tako_cache_key($1, $2, $3, $4, $5, $6, $7, $8), $9)`;
// docs:end discover
// Every column as the text the server sent: the envelope goes out as is (parsing it only to
// serialize it again would cost the API more CPU than the whole cache hit costs the server).
const AS_TEXT = { getTypeParser: () => (text) => text };

// A query parameter as a key part: absent is NULL; a repeated one arrives joined by commas.
const part = (value) => (value === undefined || value === null ? null : String(value));

function discover(pool, keyArgs) {
  return async (req, res) => {
    const args = keyArgs(req.query);
    const values = Array.from({ length: 8 }, (_, i) => part(args[i]));
    values.push(req.get('If-None-Match') ?? null);
    let row;
    try {
      const { rows } = await pool.query({
        name: 'tako_discover_http', text: DISCOVER, values, types: AS_TEXT, rowMode: 'array',
      });
      row = rows[0];
    } catch (err) {
      return sendError(res, err);
    }
    const [status, xCache, maxAge, etag, envelope] = row;
    res.set('X-Cache', xCache);
    if (status === '404') {
      return sendTakoError(res, 404, 'NOT_CACHED', 'This list is not cached, and the cache is read-only');
    }
    res.set('Cache-Control', `public, max-age=${maxAge}`);
    if (etag !== null) res.set('ETag', etag);
    if (status === '304') return res.status(304).end();
    res.type('application/json').send(envelope);
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
