#!/usr/bin/env bash
# Parity check: the Tako API's own code and tako_cache's core on the same recorded responses
# (test/fixtures), compared field by field (see README.md beside this file). Not part of
# `make test`: it needs Tako's source and two npm packages (zod, dotenv), so the network the first
# time.
#
#   bash scripts/parity/run.sh                 compare, fr-FR labels (Tako's), Tako's Node in UTC
#   PARITY_LOCALE=en-US bash scripts/parity/run.sh
#   TAKO_TZ=Asia/Tokyo bash scripts/parity/run.sh   shows decision D1 of docs/decisions.md (local-time years)
#   PARITY_ALL=1 ...                            also list every explained difference
#
# Where Tako's source comes from, first that applies: TAKO_API_DIR (a checkout, with src/ and
# package.json), TAKO_API_GIT (a git directory holding TAKO_COMMIT), else a clone of
# https://github.com/Nimai26/Tako_Api into the work directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${PARITY_WORK:-$root/build/parity}
# The snapshot of Tako's code that tako_cache was written against (docs/decisions.md).
commit=${TAKO_COMMIT:-d722f30725ee7547196382b9e85a17e6691e90d4}
locale=${PARITY_LOCALE:-fr-FR}
tako_tz=${TAKO_TZ:-UTC}  # Tako's Docker image sets no TZ: UTC
jobs=${PARITY_JOBS:-2}
mkdir -p "$work"

# ---- Tako's source, at $work/tako (src/ and its package.json, which says "type": "module") ----
if [ ! -f "$work/tako/.commit" ] || [ "$(cat "$work/tako/.commit")" != "${TAKO_API_DIR:-$commit}" ]; then
    rm -rf "$work/tako"
    mkdir -p "$work/tako"
    if [ -n "${TAKO_API_DIR:-}" ]; then
        cp -r "$TAKO_API_DIR/src" "$TAKO_API_DIR/package.json" "$work/tako/"
        echo "$TAKO_API_DIR" >"$work/tako/.commit"
    else
        git_dir=${TAKO_API_GIT:-$work/Tako_Api.git}
        if [ -z "${TAKO_API_GIT:-}" ] && [ ! -d "$git_dir" ]; then
            echo "[parity] cloning Nimai26/Tako_Api"
            git clone --bare --filter=blob:none https://github.com/Nimai26/Tako_Api.git "$git_dir"
        fi
        git --git-dir="$git_dir" archive "$commit" src package.json | tar -x -C "$work/tako"
        echo "$commit" >"$work/tako/.commit"
    fi
fi

# ---- The two packages Tako's normalizers and providers import, beside (not inside) its tree ----
if [ ! -d "$work/node_modules/zod" ] || [ ! -d "$work/node_modules/dotenv" ]; then
    versions=$(node -e 'const d = require(process.argv[1]).dependencies;
                        console.log(`zod@${d.zod} dotenv@${d.dotenv}`)' "$work/tako/package.json")
    echo "[parity] npm install $versions"
    echo '{"private": true}' >"$work/package.json"
    (cd "$work" && npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
        $versions >"$work/npm.log" 2>&1) || { cat "$work/npm.log"; exit 1; }
fi

# ---- tako_cache's side: the core library, and the driver around fetch_lists ----
echo "[parity] building the core in $work/cmake"
cmake -S "$root" -B "$work/cmake" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 &&
    cmake --build "$work/cmake" -j"$jobs" --target tako_core >>"$work/cmake.log" 2>&1 ||
    { tail -30 "$work/cmake.log"; exit 1; }
${CXX:-g++} -std=c++17 -O1 -I"$root/src" -I"$root/test/unit" "$here/cache_side.cpp" \
    "$work/cmake/libtako_core.a" -lcurl -lz -lpthread -o "$work/cache_side"

# ---- Both sides on the same recordings, then the comparison ----
TZ=$tako_tz DOTENV_CONFIG_QUIET=true node "$here/tako_side.mjs" "$work/tako" "$here/cases.json" \
    "$root/test/fixtures" "$work/tako_items.json"
"$work/cache_side" "$here/cases.json" "$root/test/fixtures" "$work/cache_items.json" "$locale"
node "$here/compare.mjs" "$work/tako_items.json" "$work/cache_items.json" \
    ${PARITY_ALL:+--all} | tee "$work/report.txt"
