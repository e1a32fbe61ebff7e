#!/usr/bin/env bash
# The engine suite (tests/engine/test_engine.c) against Podman's Docker-compatible service, the second
# real engine dockerclean supports.
#
# Starts `podman system service` (rootful, Debian's Podman 4.3) with a private --root, --runroot,
# temporary directory, event log, network configuration and /var/lib/containers/cache (an overlay on
# /var/lib in its own mount namespace), all in one temporary directory, then runs
# $DOCKERCLEAN_TEST_BIN_DIR/test_engine with DOCKERCLEAN_TEST_SOCKET pointing at it and
# DOCKERCLEAN_TEST_ENGINE=podman. Everything is stopped (by pid) and removed on exit.
#
# When Podman is missing or cannot run a container on this machine, the script says precisely why and
# exits 77 (skipped) outside CI; in CI it fails instead: the claim "works with Podman" is then unverified,
# and a green run must not hide that.
set -euo pipefail

in_ci() { [ -n "${CI:-}" ] && [ "${CI}" != false ] && [ "${CI}" != 0 ]; }
cannot() {
        if in_ci; then
                echo "FAIL (CI must not skip): $*" >&2
                exit 1
        fi
        echo "SKIP: $*" >&2
        exit 77
}

[ "$(id -u)" = 0 ] || cannot "needs root (rootful Podman with a private storage root)"
command -v podman >/dev/null || cannot "podman is not installed (apt-get install podman)"
bin=${DOCKERCLEAN_TEST_BIN_DIR:-}
[ -n "$bin" ] && [ -x "$bin/test_engine" ] || cannot "test_engine not found (DOCKERCLEAN_TEST_BIN_DIR='$bin'); run through ctest"
if [ -x /usr/bin/docker ]; then docker=/usr/bin/docker; else docker=$(command -v docker) || cannot "the docker CLI is needed to make the suite's objects"; fi
[ -x /bin/busybox ] || cannot "no /bin/busybox (install busybox-static)"

dir=$(mktemp -d /tmp/dcpodman.XXXXXX)
sock=$dir/podman.sock
pid=
pm() { podman --root "$dir/root" --runroot "$dir/runroot" "$@"; }

cleanup() {
        set +e
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                # Containers a failed case left running would outlive the service (conmon).
                pm rm -af -t 0 >/dev/null 2>&1
                kill -TERM "$pid" 2>/dev/null
                for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
        fi
        grep " $dir/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount "$m" || umount -l "$m"; done
        rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Rootful Podman raises every container's nofile and nproc limits to its own defaults; without
# CAP_SYS_RESOURCE (this VM's root lacks it, as root in a container usually does) runc then fails with
# "error setting rlimits for ready process: ... operation not permitted". Lower limits are always
# allowed. Everything else Podman would write outside the directory is redirected into it.
mkdir -p "$dir/tmp" "$dir/net"
cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
tmp_dir = "$dir/tmp"
events_logger = "file"
events_logfile_path = "$dir/events.log"
[network]
network_config_dir = "$dir/net"
EOF
export CONTAINERS_CONF=$dir/containers.conf

# Podman keeps a cache of blob facts in /var/lib/containers/cache whatever --root says (containers/image's
# blob-info cache, written when it builds): the service runs in a mount namespace of its own in which
# /var/lib is an overlay whose writes land in the directory, so nothing of it stays on the host.
# setsid, unshare and bash exec each other: $! is the service's pid.
mkdir -p "$dir/varlib/upper" "$dir/varlib/work"
setsid unshare --mount --propagation private -- bash -c '
        mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$1/varlib/upper,workdir=$1/varlib/work" /var/lib || exit 1
        shift; exec "$@"' podman-service "$dir" \
        podman --root "$dir/root" --runroot "$dir/runroot" system service --time=0 "unix://$sock" \
        </dev/null >"$dir/service.log" 2>&1 &
pid=$!
up=
for _ in $(seq 1 150); do
        if curl -sf --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then up=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
done
[ -n "$up" ] || cannot "the Podman service did not come up: $(tail -n 5 "$dir/service.log" | tr '\n' ' ')"
echo "podman: $(podman --version), service at $sock" >&2

# Can it run a container here at all? A one-line image and a run, through the compatible API.
probe=$dir/probe
mkdir -p "$probe"
cp /bin/busybox "$probe/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n' >"$probe/Dockerfile"
if ! out=$(DOCKER_BUILDKIT=0 "$docker" -H "unix://$sock" build -q -t dcprobe "$probe" 2>&1); then
        cannot "Podman cannot build an image here: $out"
fi
# create + start rather than run: start reports the runtime's own error (run's attach would not).
if ! out=$("$docker" -H "unix://$sock" create --network none --name dcprobe dcprobe true 2>&1) ||
        ! out=$("$docker" -H "unix://$sock" start dcprobe 2>&1); then
        cannot "Podman cannot run a container here: $out"
fi
"$docker" -H "unix://$sock" rm -f dcprobe >/dev/null
"$docker" -H "unix://$sock" rmi dcprobe >/dev/null

export DOCKERCLEAN_TEST_SOCKET=$sock DOCKERCLEAN_TEST_ENGINE=podman DOCKER_HOST=unix://$sock
"$bin/test_engine"
# The service wrote its blob-info cache into the directory, not the host's /var/lib/containers.
if [ ! -e "$dir/varlib/upper/containers/cache" ]; then
        echo "FAIL: no blob-info cache in $dir/varlib/upper/containers/cache: where did the service write it?" >&2
        exit 1
fi
