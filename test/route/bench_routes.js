// bench/http's comparison routes (mounted only with BENCH_ROUTES=1): the same TMDB trending list
// served the seed's way and from Redis, beside tako_discover's route, in the same process.
import { Router } from 'express';
import { createClient } from 'redis';

// The getCached of Tako's own cache (its discovery-cache.repository.js) as it runs in Tako:
// unnamed statements through pool.query, the SELECT, then the UPDATE of fetch_count not awaited.
const SEED_SELECT = `SELECT data, total_results, updated_at FROM seed.discovery_cache
  WHERE cache_key = $1 AND expires_at > NOW() LIMIT 1`;
const SEED_COUNT = `UPDATE seed.discovery_cache SET fetch_count = fetch_count + 1, last_accessed = NOW()
  WHERE cache_key = $1`;

// The seed's route builds its key like this (no validation) and its envelope in JS; the envelope
// here has tako_discover's fields, so that every route sends the same amount of JSON.
const trendingKey = (q) => `tmdb:trending:${q.category ?? 'movie'}:${q.period ?? 'week'}`;
const envelope = (key, items, fetchedAt) => ({
  success: true,
  provider: 'tmdb',
  domain: 'media',
  endpoint: 'trending',
  total: items.length,
  count: items.length,
  data: items,
  pagination: { page: 1, limit: items.length, hasMore: false },
  meta: { fetchedAt, cached: true, cacheKey: key },
});
// Only hits are measured: a miss, which the seed would fetch from TMDB, is an error here.
const miss = (res, key) => res.status(404).json({ success: false, error: `${key} is not cached` });

export async function benchRoutes(pool) {
  const redis = createClient({ url: process.env.REDIS_URL });
  redis.on('error', (err) => console.error(`redis: ${err.message}`));
  await redis.connect();

  const router = Router();
  router.get('/bench/seed/tmdb/trending', async (req, res) => {
    const key = trendingKey(req.query);
    const { rows } = await pool.query(SEED_SELECT, [key]);
    if (rows.length === 0) return miss(res, key);
    pool.query(SEED_COUNT, [key]).catch(() => {});
    res.json(envelope(key, rows[0].data, rows[0].updated_at));
  });
  // Redis holds each key's list as JSON text (bench/http/run.sh copies it from tako_cache.discovery_cache).
  router.get('/bench/redis/tmdb/trending', async (req, res) => {
    const key = trendingKey(req.query);
    const text = await redis.get(key);
    if (text === null) return miss(res, key);
    res.json(envelope(key, JSON.parse(text)));
  });
  return router;
}
