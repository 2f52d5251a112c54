#!/usr/bin/env bash
# The documentation: README.md, SECURITY.md, CHANGELOG.md and docs/*.md. markdownlint-cli2 (npm, at
# the version of test/docs/package-lock.json) with test/docs/.markdownlint-cli2.jsonc; README.md
# at most 15,000 bytes; no file of the project cites a document the project does not hold; and
# every code block a reader would copy is checked (test/docs/blocks.py says how they are marked):
# an included file is compared byte for byte, and the README's install steps are run on a cluster
# started with the README's postgresql.conf lines (the test upstream's base URLs and keys added):
# its SQL blocks in order, in the databases they name, then the docs' own, then the uninstall.
# One "ok N"/"not ok N" line per check.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/test/lib/deps.sh"
source "$TAKO_ROOT/test/lib/cluster.sh"
source "$TAKO_ROOT/test/lib/upstream.sh"
source "$TAKO_ROOT/test/lib/node.sh"
cd "$TAKO_ROOT" || exit 1

passed=0
failed=0
give_up() { give_up_suite docs "$1"; }

node_ready || give_up "could not install Node and npm"

work=$(mktemp -d /tmp/tako_cache.docs.XXXXXX)
chmod 755 "$work"
cleanup() {
    cluster_stop
    upstream_stop
    rm -rf "$work"
}
trap cleanup EXIT

docs=(README.md SECURITY.md CHANGELOG.md docs/*.md)

# 1. The linter, installed from the lockfile once for every version (their docs suites may run
# side by side): under a lock, and only when the lockfile changed since the last install.
npm_ready test/docs "$work/npm.log" || give_up "npm ci failed in test/docs: $(tail -5 "$work/npm.log")"
check "markdownlint-cli2 finds nothing in ${docs[*]}" \
    node test/docs/node_modules/markdownlint-cli2/markdownlint-cli2.js \
    --config test/docs/.markdownlint-cli2.jsonc "${docs[@]}"

# 2. The README's size.
size=$(wc -c <README.md)
check "README.md is at most 15,000 bytes ($size)" test "$size" -le 15000

# 3. No file cites a document the project does not hold (recorded data excepted: test/fixtures and
# the fuzz corpora hold upstream answers).
no_missing_citations() {
    ! grep -rnE '\bSPEC\b|contract|[Dd]efect [0-9]|CACHE_SYSTEM|§' \
        --exclude-dir=.git --exclude-dir=build --exclude-dir=node_modules \
        --exclude-dir=fixtures --exclude-dir=corpus --exclude-dir=.results . |
        grep -v '^\./test/suites/docs\.sh:'
}
check "no file cites SPEC, a contract, a numbered defect, CACHE_SYSTEM or a § of a missing document" \
    no_missing_citations

# 4. Every code block: marked, and included blocks identical to their file.
python3 test/docs/blocks.py "$work" "${docs[@]}" >"$work/blocks" || give_up "test/docs/blocks.py failed"
while IFS=$'\t' read -r id where kind arg; do
    case $kind in
    unmarked) check "$where: a code block a reader would copy is checked ($arg)" false ;;
    include) check "$where: the block is $arg, byte for byte" cmp "$work/$id.block" "$work/$id.block.included" ;;
    not-run) echo "# $where: not run ($arg)" ;;
    esac
done <"$work/blocks"

# 5. The install steps on a cluster: the README's postgresql.conf lines, the test upstream's.
upstream_start >/dev/null || give_up "the test upstream did not start"
conf=()
while IFS=$'\t' read -r id where kind arg; do
    [ "$kind" = conf ] || continue
    while IFS= read -r line; do
        [ -n "$line" ] && conf+=(--conf "$line")
    done <"$work/$id.block"
done <"$work/blocks"
while IFS= read -r line; do conf+=(--conf "$line"); done < <(upstream_conf_lines)
cluster_start docs "${conf[@]}" || give_up "the cluster did not start with the README's settings"
run_block() {  # ID DB
    chmod 644 "$work/$1.block"
    # A database no block created is a new one (docs/tako-integration.md's Tako database).
    [ -n "$(cluster_psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$2'")" ] ||
        cluster_psql -d postgres -c "CREATE DATABASE $2" >/dev/null || return 1
    cluster_psql -d "$2" -f "$work/$1.block" >"$work/$1.out" 2>&1 || { cat "$work/$1.out"; return 1; }
    # Once the extension is created, its refresh worker connects to the database it serves (it
    # retries while the database does not exist yet): the next steps (verify) see it.
    if grep -q 'CREATE EXTENSION tako_cache' "$work/$1.block" &&
        [ "$(cluster_psql -d "$2" -Atc 'SHOW tako_cache.database_name')" = "$2" ]; then
        cluster_wait_worker "$2"
    fi
}
for pass in sql sql-last; do
    while IFS=$'\t' read -r id where kind arg; do
        [ "$kind" = "$pass" ] || continue
        check "$where: the SQL runs in database $arg" run_block "$id" "$arg"
    done <"$work/blocks"
done

echo "1..$n"
record_tally docs "$passed" "$failed"
[ "$failed" = 0 ]
