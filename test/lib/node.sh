# Node for the suites that run JavaScript (the route, the docs' linter). Source this file (after
# test/lib/deps.sh, for apt_install).
#   node_ready [COMMAND...]   Node, npm and the other commands given, from Debian's packages when
#                             missing (jq is in package jq; anything else in a package of its name)
#   npm_ready DIR LOG         `npm ci` in DIR from its lockfile, once for every version (the suites
#                             of several versions run side by side): under a lock, and only when the
#                             lockfile changed since the last install; npm's output in LOG

node_ready() {
    local missing=() cmd
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    for cmd in "$@"; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

npm_ready() {
    (
        cd "$1" || exit 1
        exec 9>>.npm.lock
        flock 9
        stamp=node_modules/.tako_installed
        [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ "$stamp" -nt package.json ] && exit 0
        npm ci --no-audit --no-fund && touch "$stamp"
    ) >"$2" 2>&1
}
