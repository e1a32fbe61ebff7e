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

# e2e_wait_for SECONDS CMD...: waits until CMD succeeds (checked every 0.1 s), at most SECONDS, then runs
# it once more so a failure says what it checked. A wait on an event with a deadline, never a fixed
# sleep: deadlines are generous (a loaded 2-core host), a passing run waits only for the event.
e2e_wait_for() {
        local end=$((SECONDS + $1)); shift
        while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
        "$@"
}

# e2e_checks FILE: how many checks a daemon run with --log-level debug --log-target console (stderr to
# FILE) has made: its measurement record, one per check and filesystem, counted for the first filesystem.
# An absence ("nothing more was asked", "said once") is asserted only after such checks really ran.
e2e_checks() {
        awk 'path == "" && / used; cleaning starts at / && /^\// { path = substr($0, 1, index($0, ": ") + 1) }
             path != "" && index($0, path) == 1 && / used; cleaning starts at / { n++ }
             END { print n + 0 }' "$1" 2>/dev/null || echo 0
}
# e2e_wait_checks FILE N [SECONDS]: waits until the daemon logging to FILE has made N more checks than
# now (default deadline: 60 s plus 10 s a check).
e2e_wait_checks() {
        local file=$1 n=$2 want
        want=$(($(e2e_checks "$file") + n))
        e2e_wait_for "${3:-$((60 + 10 * n))}" eval "[ \"\$(e2e_checks '$file')\" -ge $want ]"
}

# e2e_next_second: returns once the wall clock's second has changed (at most a second): objects made
# before and after have distinct Created times (seconds on some engines), without a fixed sleep.
e2e_next_second() {
        local t0
        t0=$(date +%s)
        while [ "$(date +%s)" = "$t0" ]; do sleep 0.02; done
}
