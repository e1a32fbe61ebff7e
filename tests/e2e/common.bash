# shellcheck shell=bash
# Shared by the end-to-end tests: the fixtures, the daemon binary, a scratch dir, journal reading.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/bench/fixtures.sh
. "$here/../bench/fixtures.sh"

: "${DOCKERCLEAND:?DOCKERCLEAND (the daemon binary) is set by ctest}"
scratch=$(mktemp -d /tmp/dce2e.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# e2e_config FILE HIGH LOW [TIERS] [EXTRA]: a configuration for the bench engine.
e2e_config() {
        local file=$1 high=$2 low=$3
        local tiers=${4:-'{ type = "stopped-containers"; min_age = "0s"; }'}
        local extra=${5:-}
        cat >"$file" <<EOC
engine = { socket = "$DOCKERCLEAN_TEST_SOCKET"; };
state_dir = "$scratch/state";
disk = { high_watermark = "$high%"; low_watermark = "$low%"; inode_high_watermark = "99%"; inode_low_watermark = "98%"; };
tiers = ( $tiers );
$extra
EOC
}

# e2e_journal PID [journalctl match...]: the records that process sent, as JSON lines. journald
# takes datagrams asynchronously, so wait until the cleanup-finished record (or any record) is there.
e2e_journal() {
        local pid=$1; shift
        local i out=""
        for i in $(seq 1 50); do
                out=$(journalctl --no-pager -o json _PID="$pid" "$@" 2>/dev/null || true)
                [ -n "$out" ] && break
                sleep 0.1
        done
        printf '%s\n' "$out"
}
