#!/usr/bin/env bash
# Makes (once) and prints the path of a minimal Debian root for booting with systemd-nspawn:
#
#   tests/system/debian-root.sh [SUITE]     (SUITE: bookworm, the default, or trixie)
#
# debootstrap --variant=minbase from the Debian mirror this machine's apt uses, plus systemd, Debian's
# docker.io, node_exporter and the runtime libraries of the .deb (the container has no network, so
# `apt install ./dockerclean.deb` must find its dependencies installed); for trixie, the build
# dependencies instead (the package is built inside). The root is cached outside
# the git tree, in ${DOCKERCLEAN_ROOT_CACHE:-/var/cache/dockerclean-test/roots}/flow-SUITE, and
# reused while its stamp (the package list) matches; it is built in flow-SUITE.new under a lock and
# renamed when complete, so an interrupted build is never used and two runs never build it at once.
# Callers boot it through an overlay and never change it.
set -euo pipefail
suite=${1:-bookworm}
cache=${DOCKERCLEAN_ROOT_CACHE:-/var/cache/dockerclean-test/roots}
# "flow-": other tests may keep roots of their own in the same cache.
root=$cache/flow-$suite
case "$suite" in
bookworm) packages=systemd,systemd-sysv,dbus,docker.io,prometheus-node-exporter,libcurl4,libjansson4,libconfig9,libsystemd0 ;;
# The Debian 12 package cannot install on 13 (libconfig9): its root has what building it there needs.
trixie) packages=systemd,systemd-sysv,dbus,docker.io,docker-cli,prometheus-node-exporter,gcc,make,libc6-dev,cmake,pkg-config,dpkg-dev,libcurl4-openssl-dev,libjansson-dev,libconfig-dev,libsystemd-dev,systemd-dev,file ;;
*) echo "debian-root: unknown suite $suite (bookworm or trixie)" >&2; exit 64 ;;
esac
stamp="debootstrap --variant=minbase --include=$packages $suite"

fresh() { [ -f "$root/.dockerclean-root" ] && [ "$(cat "$root/.dockerclean-root")" = "$stamp" ]; }
if fresh; then
        echo "$root"
        exit 0
fi
mkdir -p "$cache"
exec 9>"$root.lock"
flock 9
if fresh; then # built by another run while this one waited
        echo "$root"
        exit 0
fi
command -v debootstrap >/dev/null || { echo "debian-root: debootstrap missing (scripts/install-deps installs it)" >&2; exit 1; }

# The mirror apt uses here: the first URIs:/deb line for Debian's main archive.
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\(http[^ ]*\/debian\)\/\{0,1\} .*/\2/p' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
[ -n "$mirror" ] || { echo "debian-root: no Debian mirror found in /etc/apt/sources.list(.d)" >&2; exit 1; }

rm -rf "$root.new"
case "$suite" in bookworm) name="Debian 12" took="1-3 min" ;; trixie) name="Debian 13" took="2-7 min" ;; esac
echo "debian-root: building the $name root for the operator flow in $root from $mirror (once, $took on 2 cores; later runs reuse it)" >&2
# shellcheck source=tests/bench/progress.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench/progress.sh"
t0=$SECONDS
if ! progress_run debian-root "$root.log" debootstrap --variant=minbase --include="$packages" "$suite" "$root.new" "$mirror"; then
        tail -20 "$root.log" >&2
        echo "debian-root: debootstrap failed; full log in $root.log" >&2
        rm -rf "$root.new"
        exit 1
fi
# An empty machine id (each boot of an overlay makes its own), apt's download cache emptied (it only
# grows the root).
: >"$root.new/etc/machine-id"
rm -f "$root.new"/var/cache/apt/archives/*.deb
echo "$stamp" >"$root.new/.dockerclean-root"
rm -rf "$root"
mv "$root.new" "$root"
echo "debian-root: $root built in $((SECONDS - t0)) s" >&2
echo "$root"
