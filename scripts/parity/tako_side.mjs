// Runs the Tako API's own code (Nimai26/Tako_Api, unmodified, from TAKO_DIR) on the recorded
// responses of test/fixtures, and writes the items it would store for each case of cases.json.
//
//   node tako_side.mjs TAKO_DIR CASES_JSON FIXTURES_DIR OUT_JSON
//
// Upstream is the only thing replaced: global fetch answers every request with the case's
// recording (and Jikan's /anime/{id}/pictures with the pictures recording; the Twitch token
// endpoint with a token). Each case then goes through what the Tako route of its family runs in
// its fetchFn: the provider call and the normalizer, the backdrop enrichment
// for K9/K11/K13, and for iTunes the item builder written inline in the route, taken from the
// route's source text. Items go through JSON.stringify, as Tako stores them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [takoDir, casesPath, fixturesDir, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node tako_side.mjs TAKO_DIR CASES_JSON FIXTURES_DIR OUT_JSON');
  process.exit(2);
}

// What the providers read from the environment; placeholders, since nothing leaves this process.
Object.assign(process.env, {
  TMDB_API_KEY: 'parity', RAWG_API_KEY: 'parity', IGDB_CLIENT_ID: 'parity',
  IGDB_CLIENT_SECRET: 'parity', LOG_LEVEL: 'error', DB_ENABLED: 'false',
});

const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
const fixture = (relative) => readFileSync(join(fixturesDir, relative), 'utf8');
const picturesBody = fixture(cases.pictures);

let currentBody = null;
const requested = [];
globalThis.fetch = async (input, init = {}) => {
  const url = String(input);
  requested.push(url);
  let body = currentBody;
  if (/\/anime\/\d+\/pictures$/.test(url)) body = picturesBody;
  else if (url.startsWith('https://id.twitch.tv/')) body = '{"access_token":"parity","expires_in":5000000}';
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
};

const mod = (path) => import(pathToFileURL(join(takoDir, path)).href);
const { JikanProvider } = await mod('src/domains/anime-manga/providers/jikan.provider.js');
const { TmdbProvider } = await mod('src/domains/media/providers/tmdb.provider.js');
const rawgProvider = await mod('src/domains/videogames/providers/rawg.provider.js');
const rawgNormalizer = await mod('src/domains/videogames/normalizers/rawg.normalizer.js');
const igdbProvider = await mod('src/domains/videogames/providers/igdb.provider.js');
const igdbNormalizer = await mod('src/domains/videogames/normalizers/igdb.normalizer.js');
const deezerProvider = await mod('src/domains/music/providers/deezer.provider.js');
const { normalizeChart } = await mod('src/domains/music/normalizers/deezer.normalizer.js');
const itunesProvider = await mod('src/domains/music/providers/itunes.provider.js');

// The iTunes route builds its items inline (itunes.routes.js, GET /charts): its `feed.entry.map`
// callback, taken verbatim from the source and compiled with the route's `category` in scope.
function itunesItemBuilder(category) {
  const source = readFileSync(join(takoDir, 'src/domains/music/routes/itunes.routes.js'), 'utf8');
  const start = source.indexOf('feed.entry.map(');
  if (start < 0) throw new Error('itunes.routes.js: no feed.entry.map( found');
  let i = source.indexOf('(', start + 'feed.entry.map'.length) + 1;
  const from = i;
  for (let depth = 1; depth > 0; i++) {
    if (source[i] === '(') depth++;
    else if (source[i] === ')') depth--;
  }
  const callback = source.slice(from, i - 1);
  return new Function('category', `return (${callback});`)(category);
}

const jikan = new JikanProvider();
const tmdb = new TmdbProvider();
const tmdbOptions = { limit: 20, lang: 'fr-FR', page: 1 };  // the route defaults

// What each family's route runs; `key` parts give the route's query.
const families = {
  K1: (p) => tmdb.getTrending(p[2], p[3], tmdbOptions).then((r) => r.data),
  K2: (p) => tmdb.getPopular(p[2], tmdbOptions).then((r) => r.data),
  K3: (p) => tmdb.getTopRated(p[2], tmdbOptions).then((r) => r.data),
  K4: (p) => tmdb.getUpcoming(p[2], tmdbOptions).then((r) => r.data),
  K5: () => tmdb.getOnTheAir(tmdbOptions).then((r) => r.data),
  K6: () => tmdb.getAiringToday(tmdbOptions).then((r) => r.data),
  K7: () => jikan.getTopAnime({ page: 1 }).then((r) => r.data),
  K8: () => jikan.getTopManga({ page: 1 }).then((r) => r.data),
  K9: async (p) => {
    const r = await jikan.getTop('anime', { limit: 20, page: 1, filter: 'bypopularity', subtype: p[2], sfw: 'all' });
    return jikan.enrichAnimeWithBackdrops(r.data || []);
  },
  K10: (p) => jikan.getCurrentSeason({ limit: 25, page: 1, filter: p[2] === 'all' ? undefined : p[2] }).then((r) => r.data),
  K11: async (p) => {
    const r = await jikan.getCurrentSeason({ limit: 20, page: 1, filter: p[2], sfw: 'all' });
    return jikan.enrichAnimeWithBackdrops(r.data);
  },
  K12: (p) => jikan.getUpcoming({ limit: 25, page: 1, filter: p[2] === 'all' ? undefined : p[2] }).then((r) => r.data),
  K13: async (p) => {
    const r = await jikan.getUpcoming({ limit: 20, page: 1, filter: p[2], sfw: 'all' });
    return jikan.enrichAnimeWithBackdrops(r.data);
  },
  K14: (p) => jikan.getSchedule(p[2] === 'all' ? null : p[2], { limit: 25, page: 1 }).then((r) => r.data),
  K15: async () => {
    const data = await rawgProvider.getPopular({ page: 1, pageSize: 20 });
    return data.results?.map((g) => rawgNormalizer.normalizeSearchResult(g)) || [];
  },
  K17: async () => {
    const games = await igdbProvider.getPopular({ limit: 20, offset: 0 });
    return games.map((g) => igdbNormalizer.normalizeSearchResult(g));
  },
  K18: async (p) => normalizeChart(await deezerProvider.getChart(p[2], { limit: 25 }), p[2]).data,
  K19: async (p) => {
    const [country, category] = p[2].split('-');
    const raw = await itunesProvider.getCharts({ country, entity: category, limit: 25 });
    return raw.feed.entry.map(itunesItemBuilder(category));
  },
};

const out = { tako_dir: takoDir, tz: process.env.TZ || null, cases: [] };
for (const c of cases.cases) {
  currentBody = fixture(c.fixture);
  requested.length = 0;
  const run = families[c.tako];
  if (!run) throw new Error(`no Tako pipeline for family ${c.tako}`);
  const items = JSON.parse(JSON.stringify(await run(c.key.split(':'))));
  out.cases.push({ fixture: c.fixture, key: c.key, tako: c.tako, requests: requested.length, items });
}
writeFileSync(outPath, JSON.stringify(out, null, 1));
console.log(`tako side: ${out.cases.length} cases written to ${outPath}`);
