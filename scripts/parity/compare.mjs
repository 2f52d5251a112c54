// Field-by-field comparison of the items Tako produces (tako_side.mjs) and the items tako_cache
// produces (cache_side), case by case, item by item (paired by id), JSON path by JSON path.
//
//   node compare.mjs TAKO_JSON CACHE_JSON [--all]
//
// Every difference found must be explained by one rule of known_differences.mjs: a numbered
// decision of docs/decisions.md or a deliberate difference listed in docs/items.md's
// "Normalization" section. Prints, per rule, how many fields it explained (with an example), then
// every difference no rule explains; exits 1 when there is one (or when a rule explained nothing,
// so the list stays true). --all prints every explained difference too.
import { readFileSync } from 'node:fs';
import { rules } from './known_differences.mjs';

const [takoPath, cachePath, flag] = process.argv.slice(2);
if (!cachePath) {
  console.error('usage: node compare.mjs TAKO_JSON CACHE_JSON [--all]');
  process.exit(2);
}
const tako = JSON.parse(readFileSync(takoPath, 'utf8'));
const cache = JSON.parse(readFileSync(cachePath, 'utf8'));

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Every leaf where `a` (Tako) and `b` (tako_cache) differ: {path, kind, tako, cache}, kind one of
// only_tako (a key tako_cache leaves out), only_cache (a key Tako leaves out), differs.
function diff(a, b, path, out) {
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in b)) out.push({ path: p, kind: 'only_tako', tako: a[k] });
      else if (!(k in a)) out.push({ path: p, kind: 'only_cache', cache: b[k] });
      else diff(a[k], b[k], p, out);
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= b.length) out.push({ path: p, kind: 'only_tako', tako: a[i] });
      else if (i >= a.length) out.push({ path: p, kind: 'only_cache', cache: b[i] });
      else diff(a[i], b[i], p, out);
    }
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, kind: 'differs', tako: a, cache: b });
  return out;
}

const differences = [];
if (tako.cases.length !== cache.cases.length) throw new Error('the two sides ran different cases');
tako.cases.forEach((t, n) => {
  const c = cache.cases[n];
  if (t.fixture !== c.fixture || t.key !== c.key) throw new Error(`case ${n} differs in order`);
  const provider = t.key.split(':')[0];
  const context = { provider, key: t.key, family: t.tako, fixture: t.fixture };
  const ours = new Map(c.items.map((item) => [item.id, item]));
  t.items.forEach((item, index) => {
    const mine = ours.get(item.id);
    if (!mine) {
      differences.push({ ...context, item: item.id, index, path: '', kind: 'item_only_tako', tako: item });
      return;
    }
    ours.delete(item.id);
    for (const d of diff(item, mine, '', [])) differences.push({ ...context, item: item.id, index, raw: mine, ...d });
  });
  for (const [id, item] of ours) differences.push({ ...context, item: id, path: '', kind: 'item_only_cache', cache: item });
});

// The path with array indices as [] ("details.studios[].url"), which rules match.
for (const d of differences) d.field = d.path.replace(/\[\d+\]/g, '[]');

const explained = new Map(rules.map((r) => [r.id, []]));
const unexplained = [];
for (const d of differences) {
  const rule = rules.find((r) => r.match(d));
  if (rule) explained.get(rule.id).push(d);
  else unexplained.push(d);
}

const show = (v) => (v === undefined ? '(absent)' : JSON.stringify(v)?.slice(0, 110));
const where = (d) => `${d.key} ${d.fixture.split('/')[1]} ${d.item} ${d.path}`;
console.log(`Tako (${tako.tako_dir}, TZ=${tako.tz}) vs tako_cache (locale ${cache.locale}): ` +
            `${tako.cases.length} cases, ${tako.cases.reduce((s, c) => s + c.items.length, 0)} Tako items, ` +
            `${differences.length} differing fields.\n`);
let unused = 0;
for (const r of rules) {
  const found = explained.get(r.id);
  if (found.length === 0 && !r.optional) unused++;
  console.log(`${found.length ? '  explained' : r.optional ? '  (none)   ' : '  UNUSED   '} ${String(found.length).padStart(5)}  ${r.id}: ${r.why}`);
  if (found.length) console.log(`${' '.repeat(19)}e.g. ${where(found[0])}: Tako ${show(found[0].tako)}, tako_cache ${show(found[0].cache)}`);
  if (flag === '--all') for (const d of found) console.log(`${' '.repeat(21)}${where(d)}: ${show(d.tako)} / ${show(d.cache)}`);
}
console.log(`\n${unexplained.length} unexplained difference(s)`);
for (const d of unexplained.slice(0, flag === "--all" ? Infinity : 200))
  console.log(`  ${d.kind} ${where(d)}: Tako ${show(d.tako)}, tako_cache ${show(d.cache)}`);
if (unused) console.log(`\n${unused} rule(s) explained nothing: remove them, or the recordings changed`);
process.exit(unexplained.length || unused ? 1 : 0);
