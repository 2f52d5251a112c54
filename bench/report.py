#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the results file of bench/run.sh (stdout).

bench/report.py --worker-load RESULTS [--update FILE]: only the section of bench/worker_load.sh run
alone (printed; with --update, also put in FILE in place of that section)."""
import statistics
import sys
import textwrap
from collections import defaultdict


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "n/a"


def worker_load_section(wl):
    """The section of bench/worker_load.sh's results ("worker_load on|off name value" lines)."""
    out = []
    w = out.append

    def v(label, name, default=0.0):
        try:
            return float(wl.get((label, name), default))
        except ValueError:
            return default

    def row(name, on, off, fmt):
        w(f"| {name} | {fmt(on)} | {fmt(off)} | {ratio(on, off)} |")

    ms = lambda x: f"{x:,.2f} ms" if x < 100 else f"{x:,.0f} ms"
    count = lambda x: f"{x:,.0f}"
    share = lambda x: f"{x * 100:.1f} %"
    seconds = v("off", "seconds", v("on", "seconds"))
    phases = wl.get(("on", "phases"), "").split(",")
    kinds = {"normal": "normal answers", "delay": "every answer 3 s late", "500": "HTTP 500",
             "503": "HTTP 503", "429": "HTTP 429 with Retry-After: 2"}
    described = []
    for p in phases:
        kind, _, providers = p.partition(":")
        text = kinds.get(kind, kind)
        described.append(f"{text} from {providers.replace('+', ' and ')}" if providers else text)
    w(WORKER_LOAD_TITLE + "\n")
    if ("on", "calls") not in wl or ("off", "calls") not in wl:
        w("`bench/worker_load.sh` did not complete (see the output of `make bench`): no figures.\n")
        return out
    w(textwrap.fill(
        "`bench/worker_load.sh`: the same load twice, each on its own cluster and test upstream: *with the "
        "worker* (`tako_cache.worker = on`, serving the bench database: an expired list is served stale at once "
        "and refreshed by the worker, and a read in the last 20 % of a list's TTL queues its refresh ahead) and "
        "*without* it (`tako_cache.worker = off`, the baseline: the reader that finds a list expired refreshes "
        f"it in its session, the others get it stale meanwhile). {v('on', 'keys'):.0f} lists (Deezer, iTunes, TMDB, "
        "Jikan, RAWG) are warmed first, and a trigger of the bench database cuts the TTL of every save to "
        f"{v('on', 'ttl_s'):.0f} s. pgbench `-M prepared`, {v('on', 'clients'):.0f} clients (`-j 2`) at a steady "
        f"{v('on', 'rate'):,.0f} calls/s in all for {seconds:.0f} s, each transaction `SELECT tako_discover(:key)` "
        "of a random key of those, each logged (`-l`): a call's time is its logged time less its schedule lag. "
        f"Meanwhile the test upstream (50 ms per answer) flaps, in {len(phases)} phases of "
        f"{seconds / max(len(phases), 1):.0f} s: {', '.join(described)}. A key whose refresh failed is not asked "
        "for again for a minute, with or without the worker: each error phase strikes other providers. "
        "*Server CPU* is the user + system time of the postmaster and all its children during the run.",
        width=105) + "\n")
    w("| | with the worker | without (baseline) | vs baseline |")
    w("|---|---|---|---|")
    row("calls", v("on", "calls"), v("off", "calls"), count)
    row("p50", v("on", "p50_ms"), v("off", "p50_ms"), ms)
    row("p99", v("on", "p99_ms"), v("off", "p99_ms"), ms)
    row("p99.9", v("on", "p999_ms"), v("off", "p999_ms"), ms)
    row("max", v("on", "max_ms"), v("off", "max_ms"), ms)
    row("calls over 100 ms", v("on", "over_100ms"), v("off", "over_100ms"), count)
    row("calls over 1 s", v("on", "over_1s"), v("off", "over_1s"), count)
    for kind in ("delay", "500", "503", "429", "normal"):
        if kind in {p.partition(":")[0] for p in phases}:
            row(f"… begun in a phase of {kinds[kind]}", v("on", f"over_1s_{kind}"), v("off", f"over_1s_{kind}"), count)
    row("… of lists whose provider answered normally when they began", v("on", "over_1s_healthy"),
        v("off", "over_1s_healthy"), count)
    row("time the lists were expired (sampled every 0.25 s)", v("on", "expired_share"), v("off", "expired_share"), share)
    row("time a session waited for another's transaction (sampled)", v("on", "lock_wait_share"),
        v("off", "lock_wait_share"), share)
    row("server CPU", v("on", "server_cpu_s"), v("off", "server_cpu_s"), lambda x: f"{x:.1f} s")
    row("upstream requests", v("on", "upstream_requests"), v("off", "upstream_requests"), count)
    row("… of them faulted (delayed or an error)", v("on", "upstream_faulted"), v("off", "upstream_faulted"), count)
    row("lists refreshed", v("on", "refreshes_ok"), v("off", "refreshes_ok"), count)
    row("refreshes failed", v("on", "refreshes_failed"), v("off", "refreshes_failed"), count)
    row("refreshes that took over 1 s", v("on", "refreshes_over_1s"), v("off", "refreshes_over_1s"), count)
    w(f"| refreshes by origin (tako_cache.tako_refresh_log) | {wl.get(('on', 'refresh_origins'), '?').replace(',', ', ')} "
      f"| {wl.get(('off', 'refresh_origins'), '?').replace(',', ', ')} | |")
    aborted = v("on", "aborted_clients") + v("off", "aborted_clients")
    w("")
    w(textwrap.fill(
        f"The worker's queue after the run (`tako_cache.tako_queue_stats()`): {v('on', 'queue_done'):,.0f} refreshes done, "
        f"{v('on', 'queue_failed'):,.0f} failed (a fetch that failed, or a queued refresh of a key that had failed "
        f"less than a minute before, finished without a request), {v('on', 'queue_refused'):,.0f} refused, "
        f"{v('on', 'queue_pending'):,.0f} pending, {v('on', 'queue_in_flight'):,.0f} in flight; "
        f"{v('on', 'queue_worker_starts'):,.0f} worker start(s); the worker used {v('on', 'worker_cpu_s'):.1f} s of CPU.",
        width=105))
    if aborted:
        w(f"**{aborted:.0f} pgbench clients aborted** (a call raised an error): the figures count their calls until then.")
    w("")
    on_slow, off_slow = v("on", "over_1s"), v("off", "over_1s")
    fresher = (f" The lists were expired {share(v('on', 'expired_share'))} of the time with the worker, "
               f"{share(v('off', 'expired_share'))} without.")
    if on_slow == 0:
        text = ("**What it shows:** with the worker, no call waits on the upstream except first misses (none here: "
                f"every key was warmed): none of its {v('on', 'calls'):,.0f} calls took over a second, the slowest "
                f"{ms(v('on', 'max_ms'))}, through the 3 s delays, the 5xx and the 429s"
                + (f" ({v('on', 'refreshes_over_1s'):,.0f} of the worker's refreshes took over a second)"
                   if v("on", "refreshes_over_1s") else "")
                + f". Without it {off_slow:,.0f} calls took over a second (the slowest {v('off', 'max_ms') / 1000:.1f} s)"
                + (f", and so did {v('off', 'refreshes_over_1s'):,.0f} refreshes that readers made in their sessions"
                   if v("off", "refreshes_over_1s") else "")
                + ": the reader that finds its list expired refreshes it itself, waiting out the delay, the "
                "retries' backoff or the Retry-After (which holds back the provider's other requests too)."
                + (f" {v('off', 'over_1s_healthy'):,.0f} of those calls were of lists whose provider was answering "
                   "normally when they began, and a session was waiting for another session's transaction to end "
                   f"{share(v('off', 'lock_wait_share'))} of the time ({share(v('on', 'lock_wait_share'))} with the worker)."
                   if v("off", "over_1s_healthy") else "")
                + fresher)
    else:
        text = (f"**What it shows:** with the worker {on_slow:,.0f} calls still took over a second (the slowest "
                f"{v('on', 'max_ms') / 1000:.1f} s), against {off_slow:,.0f} without it (the slowest "
                f"{v('off', 'max_ms') / 1000:.1f} s): see the phases they began in above." + fresher)
    on_p50, off_p50, on_p99, off_p99 = v("on", "p50_ms"), v("off", "p50_ms"), v("on", "p99_ms"), v("off", "p99_ms")
    if max(on_p99, off_p99) < 50:  # every upstream answer takes 50 ms or more
        text += (f" The median and p99 ({ms(on_p50)} and {ms(on_p99)} with the worker, {ms(off_p50)} and "
                 f"{ms(off_p99)} without) are below the upstream's 50 ms: calls that waited on no upstream in "
                 "either configuration (fresh hits, and lists served stale), what they cost beside the pgbench "
                 "clients, the test upstream and whatever else shares the machine.")
    w(textwrap.fill(text, width=105) + "\n")
    return out


def main(path):
    tps = defaultdict(list)
    normalize, refresh, machine, values, http = [], {}, {}, {}, {}
    misses = defaultdict(list)
    wl = {}
    for line in open(path):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "worker_load" and len(parts) >= 4:
            wl[(parts[1], parts[2])] = " ".join(parts[3:])
        elif parts[0] == "pgbench":
            tps[(parts[1], int(parts[2]))].append(float(parts[3]))
        elif parts[0] == "normalize":
            normalize.append(parts[1:])
        elif parts[0] == "refresh":
            refresh[parts[1]] = (float(parts[2]), float(parts[3]))
        elif parts[0] == "miss":
            misses[parts[1]].append(float(parts[2]))
        elif parts[0] == "http":
            http[(parts[1], parts[2])] = float(parts[3])
        elif parts[0] == "machine":
            machine[parts[1]] = " ".join(parts[2:])
        else:
            values[parts[0]] = parts[1]

    def med(label, clients):
        runs = tps.get((label, clients), [])
        return statistics.median(runs) if runs else 0.0

    out = []
    w = out.append
    w("# Benchmarks\n")
    w("Written by `make bench` (bench/run.sh); every number below comes from one run of it, each result")
    w("beside its baselines measured in the same run, as a ratio. Rerun it to check them on your machine.\n")
    w("## Machine\n")
    w(f"- CPU: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; memory {machine.get('memory', '?')}")
    w(f"- Linux {machine.get('kernel', '?')}; PostgreSQL {machine.get('postgres', '?')}; pgbench {machine.get('pgbench', '?')}")
    w(f"- {machine.get('date', '?')}, commit {machine.get('commit', '?')}; pgbench and the server share the machine;")
    w("  the server runs with PostgreSQL's default durability (fsync, synchronous_commit, full_page_writes on)\n")

    w("## Hit path\n")
    w(f"pgbench `-M prepared`, keys bound as parameters, a {values.get('payload_bytes', '?')}-byte Format B list per key")
    w("(20 TMDB items) in every table; 8 clients use `-j 2`. Each figure is the median of the interleaved")
    w("repetitions, in transactions per second. *Seed getCached* is the seed's SELECT then its UPDATE of")
    w("fetch_count (with its trigger); *seed SELECT* the SELECT alone; *wire limit* a `SELECT` of a")
    w("constant of the same size (what the connection can carry).\n")
    for keys in ("hot", "uniform"):
        w(f"### {'One hot key' if keys == 'hot' else 'Uniform over 12 keys'}\n")
        w("| clients | wire limit | seed getCached | seed SELECT | tako_get_cached | vs getCached | vs SELECT | vs wire limit |")
        w("|---|---|---|---|---|---|---|---|")
        for clients in (1, 8):
            wire = med("wire", clients)
            get = med(f"seed-getcached-{keys}", clients)
            sel = med(f"seed-select-{keys}", clients)
            tako = med(f"tako-{keys}", clients)
            w(f"| {clients} | {wire:,.0f} | {get:,.0f} | {sel:,.0f} | {tako:,.0f} | {ratio(tako, get)} | {ratio(tako, sel)} | {ratio(tako, wire)} |")
        w("")
    w("### tako_discover: the Tako route's call\n")
    w(f"The same lists through `tako_discover(key)`, which returns the whole envelope Tako's route sends")
    w(f"({values.get('envelope_bytes', '?')} bytes here); *envelope wire limit* is a `SELECT` of a constant of that size.\n")
    w("| keys | clients | tako_discover | vs tako_get_cached | vs envelope wire limit | vs seed SELECT | vs seed getCached |")
    w("|---|---|---|---|---|---|---|")
    for keys in ("hot", "uniform"):
        for clients in (1, 8):
            disc = med(f"discover-{keys}", clients)
            w(f"| {keys} | {clients} | {disc:,.0f} | {ratio(disc, med(f'tako-{keys}', clients))} | "
              f"{ratio(disc, med('wire-envelope', clients))} | {ratio(disc, med(f'seed-select-{keys}', clients))} | "
              f"{ratio(disc, med(f'seed-getcached-{keys}', clients))} |")
    w("")
    wire8, sel8 = med("wire", 8), med("seed-select-hot", 8)
    w("### What a hit costs by stored form (8 clients, hot key)\n")
    w("Measured before choosing how tako_cache serves a hit: the same list as jsonb (what the seed's")
    w("SELECT reads: detoast, decompress, jsonb output), as compressed text, as uncompressed text")
    w("(`STORAGE EXTERNAL`), and tako_cache's way (an index probe, then the JSON text this backend")
    w("already rendered for that row version).\n")
    w("| stored form | tps | vs wire limit |")
    w("|---|---|---|")
    for label, name in (("seed-select-hot", "jsonb column"), ("form-text-hot", "text column, compressed"),
                        ("form-external-hot", "text column, uncompressed"), ("tako-hot", "tako_get_cached")):
        w(f"| {name} | {med(label, 8):,.0f} | {ratio(med(label, 8), wire8)} |")
    w("")
    w(f"All runs of each configuration (tps): " + "; ".join(
        f"{label} ×{clients}: " + ", ".join(f"{v:,.0f}" for v in runs) for (label, clients), runs in sorted(tps.items())) + "\n")

    if http:
        def h(route, name):
            return http.get((route, name), 0.0)
        w("## End to end over HTTP\n")
        w(f"The Tako API's Express app (test/route/app.js: node-postgres, {h('run', 'workers'):.0f} workers under Node's cluster")
        w(f"module; Node {machine.get('node', '?')}) serving one hot key, `tmdb:trending:movie:week` ({h('run', 'payload_bytes'):,.0f} bytes of")
        w(f"items), three ways, each under wrk {machine.get('wrk', '?')} ({h('run', 'connections'):.0f} connections, {h('run', 'threads'):.0f} threads,")
        w(f"{h('run', 'seconds'):.0f} s after a 2 s warm-up). wrk, Node, PostgreSQL and Redis {machine.get('redis', '?')} share the")
        w(f"{h('run', 'cores'):.0f} cores: the figures compare the routes, not what a dedicated server would do.")
        w("*Seed* is the seed's getCached from Node (its SELECT, then its UPDATE of fetch_count, not awaited) and")
        w("its envelope built in JS; *tako_discover* is the README's route, the server's JSON text sent as it is;")
        w("*Redis* is a GET, JSON.parse and the same JS envelope. CPU per request: user + system time over the run")
        w("(Node: the primary and its workers; PostgreSQL: the postmaster and all its children), divided by the")
        w("requests served.\n")
        w("| route | req/s | p50 | p99 | Node CPU/req | PostgreSQL CPU/req | Redis CPU/req | req/s vs seed | req/s vs Redis |")
        w("|---|---|---|---|---|---|---|---|---|")
        routes = [("seed", "seed getCached"), ("tako", "tako_discover"), ("redis", "Redis")]
        if h("tako304", "rps"):
            routes.append(("tako304", "tako_discover, If-None-Match: 304"))
        for route, name in routes:
            rps = h(route, "rps")
            w(f"| {name} | {rps:,.0f} | {h(route, 'p50_ms'):.1f} ms | {h(route, 'p99_ms'):.1f} ms "
              f"| {h(route, 'node_cpu_us'):,.0f} µs | {h(route, 'postgres_cpu_us'):,.0f} µs | {h(route, 'redis_cpu_us'):,.0f} µs "
              f"| {ratio(rps, h('seed', 'rps'))} | {ratio(rps, h('redis', 'rps'))} |")
        if h("tako304", "rps"):
            w("")
            w("*If-None-Match: 304* is the README route asked by a client that has the list already (its ETag):")
            w(f"{h('tako304', 'bytes_per_response'):,.0f} bytes per answer instead of {h('tako', 'bytes_per_response'):,.0f}, and")
            w("PostgreSQL sends Node the headers' values only (`tako_discover_http`'s envelope is NULL).")
        single = {route: http.get((f"single-{route}", "rps"), 0.0) for route in ("seed", "tako", "redis")}
        if all(single.values()):
            w("")
            w("**Where the time goes, and what was tried.** With the 2 workers, wrk, Node, PostgreSQL and Redis")
            w("compete for the 2 cores, so the route that costs the machine least per request wins: Node spends")
            w("about the same on the README route as on the Redis route (the README route sends the server's")
            w("text untouched, the Redis route parses and serializes it), and the difference is the database's")
            w("share: a PostgreSQL round trip (protocol, executor, the index probe) against a Redis GET. The README")
            w("route already does what node-postgres allows to cut that: one named prepared statement, no parse,")
            w("no stringify, the key built by `tako_cache_key` in the same statement, and the envelope rendered")
            best = max(single, key=single.get)
            names = {"seed": "the seed's route", "tako": "the README route", "redis": "the Redis route"}
            w("once per row version in the server. With one Node process (same wrk load), where Node's own cost")
            w(f"weighs most, {names[best]} was the fastest in this run:\n")
            w("| one Node process | req/s | vs seed | vs Redis |")
            w("|---|---|---|---|")
            single_routes = [("seed", "seed getCached"), ("tako", "tako_discover"), ("redis", "Redis")]
            if http.get(("single-tako304", "rps")):
                single["tako304"] = http[("single-tako304", "rps")]
                single_routes.append(("tako304", "tako_discover, If-None-Match: 304"))
            for route, name in single_routes:
                w(f"| {name} | {single[route]:,.0f} | {ratio(single[route], single['seed'])} | {ratio(single[route], single['redis'])} |")
        errors = {route: h(route, "errors") for route in ("seed", "tako", "redis", "tako304") if h(route, "errors")}
        if errors:
            w("\n**Errors** (non-2xx answers or socket errors): " + ", ".join(f"{r} {n:,.0f}" for r, n in errors.items()))
        w("")

    w("## Full refresh of the warm set\n")
    w(f"The {values.get('warm_keys', '?')} warm keys against the test upstream answering after 200 ms, every list")
    w("fetched, normalized and saved. *Concurrent* is `tako_refresh_all()` (one libcurl multi handle, each")
    w("provider's requests on its rate-limit slots); *one at a time* calls `tako_refresh(key)` for each key")
    w("in turn, under the same limits.\n")
    w("| rate limits | concurrent | one at a time | speed-up |")
    w("|---|---|---|---|")
    for label, name in (("default", "the defaults (Jikan 3/s binds)"), ("lifted", "lifted to 1000/s (the engine alone)")):
        if label in refresh:
            par, seq = refresh[label]
            w(f"| {name} | {par / 1000:.1f} s | {seq / 1000:.1f} s | {ratio(seq, par)} |")
    if "refresh_bound_ms" in values and "default" in refresh:
        bound = float(values["refresh_bound_ms"])
        w(f"\nWith the default limits, what they require at least (per provider: (n − 1) / rate + one latency,")
        w(f"plus IGDB's token) is {bound / 1000:.1f} s: the concurrent refresh took "
          f"{ratio(refresh['default'][0], bound)} that.\n")

    if misses.get("idle") and misses.get("beside_slow"):
        idle, beside = statistics.median(misses["idle"]), statistics.median(misses["beside_slow"])
        w("## A miss beside a slow refresh\n")
        w("A missing iTunes list read with `tako_discover` (the refresh worker fetches it, the upstream answering")
        w("after 200 ms): with the worker idle (the baseline), and one second after the worker began a")
        w("refresh of a Deezer list that answers after 5 s. The worker takes the miss into the fetch under")
        w(f"way (1.7); before, it waited for the slow list. Median of {len(misses['beside_slow'])} each.\n")
        w("| the worker | miss |")
        w("|---|---|")
        w(f"| idle | {idle:,.0f} ms |")
        w(f"| fetching a 5 s list | {beside:,.0f} ms ({ratio(beside, idle)} the idle one) |")
        w("")

    if wl or values.get("worker_load") == "failed":
        out.extend(worker_load_section(wl))

    w("## Normalizers\n")
    w("Each fixture parsed and normalized to validated Format B items, in a loop, beside its baseline:")
    w("parsing the same bytes with nlohmann::json alone. *Ratio* is parse-only time over full time.\n")
    w("| fixture | bytes | items | parse MB/s | normalize MB/s | items/s | ratio |")
    w("|---|---|---|---|---|---|---|")
    for f, size, items, parse, full, per_s, r in normalize:
        w(f"| {f} | {int(size):,} | {items} | {parse} | {full} | {float(per_s):,.0f} | {r} |")
    w("")
    print("\n".join(out))


WORKER_LOAD_TITLE = "## Refresh worker under a flapping upstream"


def worker_load_only(path, update=None):
    """bench/worker_load.sh run alone: its section, printed, and with `update` put in that file in
    place of the section of an earlier run (or before the normalizers)."""
    wl = {}
    for line in open(path):
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "worker_load":
            wl[(parts[1], parts[2])] = " ".join(parts[3:])
    section = worker_load_section(wl)
    meta = lambda name: wl.get(("meta", name), "?")
    section.insert(1, textwrap.fill(
        f"*Measured by `bench/worker_load.sh` run alone, not in the run of the other sections:* {meta('date')}, "
        f"commit {meta('commit')}, PostgreSQL {meta('postgres')}, {meta('cores')} cores, load average "
        f"{meta('load')} when it began.", width=105) + "\n")
    text = "\n".join(section)
    print(text)
    if update:
        lines = open(update).read().split("\n")
        if WORKER_LOAD_TITLE in lines:
            start = lines.index(WORKER_LOAD_TITLE)
            end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        else:
            start = end = next((i for i, l in enumerate(lines) if l == "## Normalizers"), len(lines))
        lines[start:end] = text.split("\n")
        with open(update, "w") as f:
            f.write("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1] == "--worker-load":  # bench/worker_load.sh run alone: its section only
        worker_load_only(sys.argv[2], sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--update" else None)
    else:
        main(sys.argv[1])
