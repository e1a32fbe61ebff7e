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

# e2e_low_for_bytes BYTES: the low watermark (a whole percent, rounded down) that needs at least BYTES
# freed from the current usage; e2e_high_now: a high watermark just below the current usage. Both of
# the filesystem that holds the images and layers (DOCKERCLEAN_TEST_STORE_ROOT, see fixtures.sh).
e2e_low_for_bytes() {
        df -P -B1 "$DOCKERCLEAN_TEST_STORE_ROOT" | awk -v need="$1" 'NR==2 { printf "%d\n", 100 * ($3 - need) / ($3 + $4) }'
}
e2e_high_now() {
        df -P -B1 "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { printf "%d\n", 100 * $3 / ($3 + $4) - 1 }'
}
e2e_run_once() { # e2e_run_once CONFIG [more options]: runs --once, logging to the journal; sets $pid, $rc
        "$DOCKERCLEAND" --config "$@" --once --log-target journal &
        pid=$!
        wait $pid
        rc=$?
}
# e2e_removed_names PID: the DOCKERCLEAN_NAME of each removal record, in order.
e2e_removed_names() {
        e2e_journal "$1" MESSAGE_ID=c7b9ea3d18b34a68bee697813b22146c |
                python3 -c 'import sys, json
for l in sys.stdin:
    l = l.strip()
    if l: print(json.loads(l).get("DOCKERCLEAN_NAME", ""))'
}
