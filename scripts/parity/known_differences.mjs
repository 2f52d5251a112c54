// Every known difference between Tako's items and tako_cache's, as compare.mjs finds them on the
// recordings: a numbered decision of docs/decisions.md or a deliberate difference that
// has its line in docs/items.md ("Normalization"). A difference no rule explains fails the check.
//
// A rule sees one differing field d: {provider, key, family (K1-K19), fixture, item, path, field
// (the path with [] for indices), kind (differs | only_tako | only_cache | item_only_*), tako,
// cache}. `optional` rules only fire in some runs (another locale or time zone) and may explain
// nothing.
const isNumber = (v) => typeof v === 'number';

export const rules = [
  {
    id: 'defect-36-position',
    why: 'D3 (docs/decisions.md): every Jikan list numbers its items (Tako: null outside the top anime/manga)',
    match: (d) => d.provider === 'jikan' && d.field === 'details.position' && d.tako === null && isNumber(d.cache),
  },
  {
    id: 'defect-34-jikan-images-backdrop',
    why: 'D4 (docs/decisions.md): the backdrop is details.backdrop only; images.backdrop is no Format B image',
    match: (d) => d.provider === 'jikan' && d.field === 'images.backdrop' && d.kind === 'only_tako' &&
      ['K9', 'K11', 'K13'].includes(d.family),
  },
  {
    id: 'defect-34-deezer-gallery',
    why: 'D4 (docs/decisions.md): Deezer images.gallery holds URL strings (Tako: {size, url} objects)',
    match: (d) => d.provider === 'deezer' && d.field === 'images.gallery[]' && d.kind === 'differs' &&
      d.tako?.url === d.cache,
  },
  {
    id: 'defect-34-itunes-detail',
    why: 'D4 (docs/decisions.md): iTunes urls.detail is a detail path (Tako: null)',
    match: (d) => d.provider === 'itunes' && d.field === 'urls.detail' && d.tako === null &&
      typeof d.cache === 'string' && d.cache.startsWith('/api/music/itunes/'),
  },
  {
    id: 'defect-39-tmdb-zero-rating',
    why: 'D2 (docs/decisions.md): a TMDB vote_average or popularity of 0 stays 0 (Tako: null)',
    match: (d) => d.provider === 'tmdb' && d.tako === null &&
      ((d.field === 'details.rating' && d.cache?.average === 0) ||
       (d.field === 'details.popularity' && d.cache === 0)),
  },
  {
    id: 'readme-jikan-manga-scored',
    why: 'README: a manga without "score" takes the early-v4 "scored" (Tako leaves score out)',
    match: (d) => d.provider === 'jikan' && d.family === 'K8' && d.field === 'details.score' &&
      d.kind === 'only_cache' && isNumber(d.cache),
  },
  {
    id: 'readme-igdb-hypes-follows',
    why: 'README: IGDB items also carry details.hypes and details.follows (Tako requests them, writes neither)',
    match: (d) => d.provider === 'igdb' && ['details.hypes', 'details.follows'].includes(d.field) &&
      d.kind === 'only_cache',
  },
  {
    id: 'defect-24-igdb-unexpanded',
    why: 'D6 (docs/decisions.md), docs/items.md: IGDB lists are names of expanded fields; bare ids (unexpanded) are left out (Tako copies the ids, or null screenshots)',
    match: (d) => d.provider === 'igdb' && d.kind === 'only_tako' &&
      /^details\.(genres|platforms|themes|gameModes|screenshots)\[\]$/.test(d.field) &&
      (isNumber(d.tako) || (d.field === 'details.screenshots[]' && d.tako === null)),
  },
  {
    id: 'readme-locale-en-us',
    optional: true,
    why: 'README: with tako_cache.locale = en-US the Jikan age-rating labels are MyAnimeList\'s English ones (Tako has only French)',
    match: (d) => d.provider === 'jikan' && d.field === 'details.rating.label' && d.kind === 'differs',
  },
  {
    id: 'defect-38-year-in-utc',
    optional: true,
    why: 'D1 (docs/decisions.md): years are UTC years (Tako: the Node process\'s local time zone; equal when TZ=UTC)',
    match: (d) => d.field === 'year' && isNumber(d.tako) && isNumber(d.cache) && Math.abs(d.tako - d.cache) === 1,
  },
];
