#!/usr/bin/env bash
# Runs a command next to a private, throwaway Docker engine, then tears the engine down.
#
#   tests/bench/with-engine.sh [--engine KIND] [--size 1G] [--inodes N] [--] CMD [ARGS...]
#
# KIND (default: $DOCKERCLEAN_TEST_ENGINE, else docker20) is one of tests/bench/engine.sh's engines:
# docker20 (the host's dockerd), docker26, docker26-containerd, podman5 (Debian 13's), docker28,
# docker28-containerd, podman58 (Debian forky's), the new ones from a cached debootstrapped root. The engine has its own data-root (on a loop-mounted ext4 image of the given size,
# so usage percentages are real), exec-root, unix socket and pidfile; no bridge, no iptables. It never
# touches /var/run/docker.sock or /var/lib/docker. CMD sees:
#   DOCKERCLEAN_TEST_ENGINE     the engine's name (KIND), so a failure names it
#   DOCKERCLEAN_TEST_SOCKET     the engine's socket path
#   DOCKER_HOST                 unix://<that path>, for the docker CLI
#   DOCKERCLEAN_TEST_DOCKER     the docker CLI that matches the engine (the root's, with its buildx
#                               plugin, for the engines from a root)
#   DOCKERCLEAN_TEST_BUILDKIT   1 when that CLI and the engine build with BuildKit (`docker buildx build`:
#                               docker26/docker28 and their containerd variants), else 0
#                               (fixtures.sh's fx_image_buildkit)
#   DOCKERCLEAN_TEST_DATA_ROOT  the engine's DockerRootDir (from /info; on the mounted filesystem)
#   DOCKERCLEAN_TEST_STORE_ROOT the filesystem that holds image content and container layers: the data
#                               root, or containerd's root with the containerd image store
#   DOCKERCLEAN_TEST_PIDFILE    the engine's pidfile; DOCKERCLEAN_TEST_BENCH_DIR the bench directory
# Also starts systemd-journald when the machine has no journal socket, so tests can read entries back.
set -euo pipefail

size=1G
inodes=
engine=${DOCKERCLEAN_TEST_ENGINE:-docker20}
while [ $# -gt 0 ]; do
        case "$1" in
        --engine) engine=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --inodes) inodes=$2; shift 2 ;;
        --) shift; break ;;
        *) break ;;
        esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--engine KIND] [--size SIZE] [--inodes N] [--] CMD [ARGS...]" >&2; exit 64; }
[ "$(id -u)" = 0 ] || { echo "$0: must run as root (it mounts a filesystem and starts dockerd)" >&2; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/bench/engine.sh
. "$here/engine.sh"

bench_dir=$(mktemp -d /tmp/dcbench.XXXXXX)
trap 'bench_engine_stop "$bench_dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_journald_ensure
bench_engine_start "$bench_dir" "$size" "$inodes" "$engine"

export DOCKERCLEAN_TEST_ENGINE="$engine"
export DOCKERCLEAN_TEST_SOCKET="$bench_dir/docker.sock"
export DOCKER_HOST="unix://$bench_dir/docker.sock"
export DOCKERCLEAN_TEST_DOCKER="$bench_dir/bin/docker"
DOCKERCLEAN_TEST_DATA_ROOT=$(curl -sf --max-time 10 --unix-socket "$bench_dir/docker.sock" http://localhost/info |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["DockerRootDir"])')
export DOCKERCLEAN_TEST_DATA_ROOT
if bench_engine_containerd_store "$engine"; then
        export DOCKERCLEAN_TEST_STORE_ROOT="$bench_dir/ctrd/containerd"
else
        export DOCKERCLEAN_TEST_STORE_ROOT="$DOCKERCLEAN_TEST_DATA_ROOT"
fi
if bench_engine_buildkit "$engine"; then
        export DOCKERCLEAN_TEST_BUILDKIT=1
else
        export DOCKERCLEAN_TEST_BUILDKIT=0
fi
export DOCKERCLEAN_TEST_PIDFILE="$bench_dir/docker.pid"
export DOCKERCLEAN_TEST_BENCH_DIR="$bench_dir"

set +e
"$@"
rc=$?
set -e
exit $rc
