# shellcheck shell=bash
# Helpers for the benchmarks: timing, process figures from /proc, medians, results, configurations,
# and engine snapshots (the same engine state again for every side-by-side run). Sourced by
# tests/perf/bench-engine.sh and tests/perf/bench-scale.sh.

perf_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this
perf_src=$(cd "$perf_dir/../.." && pwd)
# Debian's interpreter, not a version-manager shim (a shim's pid is not the interpreter's).
if [ -x /usr/bin/python3 ]; then PERF_PY=/usr/bin/python3; else PERF_PY=python3; fi
PERF_CLK_TCK=$(getconf CLK_TCK)

perf_log() { printf 'perf: %s\n' "$*" >&2; }
perf_now() { date +%s.%N; }
perf_sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

# perf_result KEY VALUE: one figure, into $PERF_RESULTS (KEY=VALUE lines, read by report.py) and on stderr.
perf_result() {
        echo "$1=$2" >>"${PERF_RESULTS:?}"
        printf 'perf:   %-44s %s\n' "$1" "$2" >&2
}

# perf_median: the median of the numbers on stdin ("nan" when there are none).
perf_median() {
        sort -g | awk '{ a[NR] = $1 } END {
                if (NR == 0) { print "nan"; exit }
                if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# perf_cpu PID: user+system CPU seconds the process (all its threads) has used so far.
perf_cpu() {
        local s
        s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
        # Fields after the command name (which may hold spaces): state is 1st, utime 12th, stime 13th.
        awk -v t="$PERF_CLK_TCK" '{ printf "%.3f\n", ($12 + $13) / t }' <<<"${s##*) }"
}

# perf_status_kb PID FIELD: a "kB" figure from /proc/PID/status (VmHWM, VmRSS, RssAnon, RssFile...).
perf_status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# perf_engine_pids: the bench dockerd and the containerd it started.
perf_engine_pids() {
        local d
        d=$(cat "${DOCKERCLEAN_TEST_PIDFILE:?}" 2>/dev/null) || return 0
        echo "$d"
        pgrep -P "$d" -x containerd 2>/dev/null || true
}

# perf_engine_cpu: CPU seconds used so far by the engine (dockerd + containerd).
perf_engine_cpu() {
        local p total=0
        for p in $(perf_engine_pids); do total=$(awk -v a="$total" -v b="$(perf_cpu "$p")" 'BEGIN { print a + b }'); done
        echo "$total"
}

# perf_time OUT CMD...: runs CMD; OUT gets "wall user sys maxrss_kb engine_cpu" (seconds, kB), wall
# from the clock (ns), CPU and peak RSS from wait4 via /usr/bin/time. Returns CMD's status.
perf_time() {
        local out=$1; shift
        local e0 e1 t0 t1 rc
        e0=$(perf_engine_cpu)
        t0=$(perf_now)
        /usr/bin/time -f '%U %S %M' -o "$out.time" "$@"
        rc=$?
        t1=$(perf_now)
        e1=$(perf_engine_cpu)
        read -r u s m < <(tail -n 1 "$out.time")
        echo "$(perf_sub "$t0" "$t1") $u $s $m $(perf_sub "$e0" "$e1")" >"$out"
        return $rc
}

# perf_ts: copies stdin to stdout, each line prefixed with the wall-clock time it arrived at.
perf_ts() {
        "$PERF_PY" -u -c 'import sys, time
for line in sys.stdin:
    sys.stdout.write("%.6f %s" % (time.time(), line))
    sys.stdout.flush()'
}

# perf_config FILE SOCKET STATE_DIR HIGH LOW TIERS [EXTRA]: a daemon configuration.
perf_config() {
        cat >"$1" <<EOC
engine = { socket = "$2"; };
state_dir = "$3";
disk = { high_watermark = "$4%"; low_watermark = "$5%"; inode_high_watermark = "99%"; inode_low_watermark = "98%"; };
tiers = ( $6 );
${7:-}
EOC
}

# perf_df_bytes: "used total" bytes of the engine's data-root filesystem (df's used, used + avail).
perf_df_bytes() {
        df -P -B1 "${DOCKERCLEAN_TEST_DATA_ROOT:?}" | awk 'NR == 2 { print $3, $3 + $4 }'
}
perf_used_percent() { perf_df_bytes | awk '{ printf "%.2f\n", 100 * $1 / $2 }'; }

# perf_unused_image_bytes: the bytes only unused images hold (sum of Size - SharedSize over the images
# no container uses, from /system/df), i.e. what removing every unused image would give back.
perf_unused_image_bytes() {
        curl -sf --unix-socket "${DOCKERCLEAN_TEST_SOCKET:?}" http://localhost/v1.41/system/df |
                "$PERF_PY" -c 'import json, sys
d = json.load(sys.stdin)
print(sum(max(0, i["Size"] - max(0, i.get("SharedSize", 0))) for i in d["Images"] if i.get("Containers", 0) == 0))'
}

# perf_snapshot NAME / perf_restore NAME: the engine's whole data-root, copied aside with the engine
# stopped, and put back (byte for byte the same images, ids and metadata) with a fresh engine on it.
perf_snapshot() {
        local dir=${DOCKERCLEAN_TEST_BENCH_DIR:?}
        bench_engine_kill "$dir"
        rm -rf "${PERF_WORK:?}/snap-$1"
        cp -a "$DOCKERCLEAN_TEST_DATA_ROOT" "$PERF_WORK/snap-$1"
        bench_dockerd_start "$dir" 2>/dev/null
}
perf_restore() {
        local dir=${DOCKERCLEAN_TEST_BENCH_DIR:?}
        [ -d "${PERF_WORK:?}/snap-$1" ] || { perf_log "no snapshot $1"; return 1; }
        bench_engine_kill "$dir"
        rm -rf "${DOCKERCLEAN_TEST_DATA_ROOT:?}"
        cp -a "$PERF_WORK/snap-$1" "$DOCKERCLEAN_TEST_DATA_ROOT"
        # Written back now, not during the timed run that follows.
        sync -f "$DOCKERCLEAN_TEST_DATA_ROOT"
        bench_dockerd_start "$dir" 2>/dev/null || return 1
        "$DOCKER" version >/dev/null 2>&1 # the engine's first answers are slower; not part of a run
        "$DOCKER" images >/dev/null 2>&1
}
