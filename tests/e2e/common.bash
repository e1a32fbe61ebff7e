# shellcheck shell=bash
# Shared by the end-to-end tests: the fixtures, the daemon binary, a scratch dir, journal reading.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/bench/fixtures.sh
. "$here/../bench/fixtures.sh"

: "${DOCKERCLEAND:?DOCKERCLEAND (the daemon binary) is set by ctest}"
scratch=$(mktemp -d /tmp/dce2e.XXXXXX)
# A suite that failed keeps its scratch directory (the daemon's logs, configurations, state) and says where.
e2e_exit() {
        if [ "$1" = 0 ] || [ "$1" = 77 ]; then
                rm -rf "$scratch"
        else
                echo "kept for a look: $scratch (this run's logs, configurations and state; remove it afterwards)" >&2
        fi
}
trap 'e2e_exit $?' EXIT
# Process ids come round again (pid_max is 32768 here) in a journal that outlives each test: only records
# from this test's own time are its processes'.
e2e_started=$(($(date +%s) - 1))

# e2e_config FILE HIGH LOW [TIERS] [EXTRA]: a configuration for the bench engine (with the containerd
# image store, containerd's root, where images and layers are, is in disk.paths: it is not at the default
# /var/lib/containerd in the bench).
e2e_config() {
        local file=$1 high=$2 low=$3
        local tiers=${4:-'{ type = "stopped-containers"; min_age = "0s"; }'}
        local extra=${5:-} paths=""
        [ -n "${DOCKERCLEAN_TEST_STORE_ROOT:-}" ] && paths="\"$DOCKERCLEAN_TEST_STORE_ROOT\""
        cat >"$file" <<EOC
engine = { socket = "$DOCKERCLEAN_TEST_SOCKET"; };
state_dir = "$scratch/state";
disk = { high_watermark = "$high%"; low_watermark = "$low%"; inode_high_watermark = "99%"; inode_low_watermark = "98%";
         paths = [ $paths ]; };
tiers = ( $tiers );
$extra
EOC
}

# e2e_journal PID [journalctl match...]: the records that process sent, as JSON lines. journald
# takes datagrams asynchronously: --sync returns once everything sent before it is stored (seeing the
# first record is not enough: the rest may still be queued); without it, wait for any record.
e2e_journal() {
        local pid=$1; shift
        local i out=""
        journalctl --sync 2>/dev/null || true
        for i in $(seq 1 50); do
                out=$(journalctl --no-pager -o json --since "@$e2e_started" _PID="$pid" "$@" 2>/dev/null || true)
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

# e2e_events_open METRICS_FILE: returns once the running daemon demonstrably follows the engine's
# events, instead of sleeping and hoping its stream is open (it replays nothing from before): a tag of
# a probe image (an event that makes the daemon check within seconds) is followed by a rewritten
# metrics file, long before the interval. The daemon's configuration names METRICS_FILE and an interval
# of a minute or more. Build the probe first (e2e_events_probe), before measuring usage. Up to 60 s.
e2e_events_probe() { fx_image e2e/events-probe:1 0; }
e2e_events_open() {
        local metrics=$1 i j
        for i in $(seq 1 300); do [ -s "$metrics" ] && break; sleep 0.1; done   # the first check
        for i in $(seq 1 30); do
                rm -f "$metrics"
                dk tag e2e/events-probe:1 "e2e/events-probe:t$i" >/dev/null || return 1
                for j in $(seq 1 20); do [ -s "$metrics" ] && return 0; sleep 0.1; done
        done
        return 1
}
