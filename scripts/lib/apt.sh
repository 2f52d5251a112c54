# apt_install PACKAGE...: installs Debian packages, safe to call from several scripts at once.
# Source this file. Every install step of the project goes through here, so that two of them (the
# Debian roots built in parallel, the route suite beside them) never race for dpkg's lock: they
# queue on one lock file of ours, and apt itself waits for dpkg's lock when something else holds it
# (unattended-upgrades, a person's apt-get) instead of giving up at once.
# Needs root, or sudo. Tries the package lists at hand first, then updates them once.
TAKO_APT_LOCK=${TAKO_APT_LOCK:-/var/lock/tako_cache-apt.lock}

apt_install() {
    [ $# -gt 0 ] || return 0
    local run=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install: $*" >&2; return 1; }
        run=(sudo)
    fi
    # The update and the install run under the same lock: one holder at a time.
    "${run[@]}" flock -w 1800 "$TAKO_APT_LOCK" bash -c '
        apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=900)
        "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null 2>&1 && exit 0
        "${apt[@]}" update >/dev/null || exit 1
        "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null
    ' apt_install "$@"
}
