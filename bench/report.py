#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the results file of bench/run.sh (stdout)."""
import statistics
import sys
from collections import defaultdict


def main(path):
    tps = defaultdict(list)
    normalize, refresh, machine, values, http = [], {}, {}, {}, {}
    for line in open(path):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "pgbench":
            tps[(parts[1], int(parts[2]))].append(float(parts[3]))
        elif parts[0] == "normalize":
            normalize.append(parts[1:])
        elif parts[0] == "refresh":
            refresh[parts[1]] = (float(parts[2]), float(parts[3]))
        elif parts[0] == "http":
            http[(parts[1], parts[2])] = float(parts[3])
        elif parts[0] == "machine":
            machine[parts[1]] = " ".join(parts[2:])
        else:
            values[parts[0]] = parts[1]

    def med(label, clients):
        runs = tps.get((label, clients), [])
        return statistics.median(runs) if runs else 0.0

    def ratio(a, b):
        return f"{a / b:.2f}×" if b else "n/a"

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
        for route, name in (("seed", "seed getCached"), ("tako", "tako_discover"), ("redis", "Redis")):
            rps = h(route, "rps")
            w(f"| {name} | {rps:,.0f} | {h(route, 'p50_ms'):.1f} ms | {h(route, 'p99_ms'):.1f} ms "
              f"| {h(route, 'node_cpu_us'):,.0f} µs | {h(route, 'postgres_cpu_us'):,.0f} µs | {h(route, 'redis_cpu_us'):,.0f} µs "
              f"| {ratio(rps, h('seed', 'rps'))} | {ratio(rps, h('redis', 'rps'))} |")
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
            for route, name in (("seed", "seed getCached"), ("tako", "tako_discover"), ("redis", "Redis")):
                w(f"| {name} | {single[route]:,.0f} | {ratio(single[route], single['seed'])} | {ratio(single[route], single['redis'])} |")
        errors = {route: h(route, "errors") for route in ("seed", "tako", "redis") if h(route, "errors")}
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

    w("## Normalizers\n")
    w("Each fixture parsed and normalized to validated Format B items, in a loop, beside its baseline:")
    w("parsing the same bytes with nlohmann::json alone. *Ratio* is parse-only time over full time.\n")
    w("| fixture | bytes | items | parse MB/s | normalize MB/s | items/s | ratio |")
    w("|---|---|---|---|---|---|---|")
    for f, size, items, parse, full, per_s, r in normalize:
        w(f"| {f} | {int(size):,} | {items} | {parse} | {full} | {float(per_s):,.0f} | {r} |")
    w("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
