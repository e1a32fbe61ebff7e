#!/usr/bin/env bash
# What /system/df's container part costs on a real engine (issue 11), run under
#   tests/bench/with-engine.sh --engine docker26 --size 3G --inodes 4600000 -- tests/perf/df-engine.sh
# Setup: one image FROM scratch (static busybox), PERF_DF_CONTAINERS (2000) containers that ran and
# exited, and PERF_DF_FILES (2000) empty files in each one's writable layer. The files are written into
# the overlay2 upper directories from the host once the containers have exited (the same on disk as a
# container writing them, minutes faster to set up). Then, PERF_RUNS (3) times each, interleaved:
#   GET /system/df (every part), GET /system/df?type=image&type=build-cache&type=volume,
#   `docker ps -a`, `docker images`, and `dockercleand --once --dry-run` (default tiers, 1% -> 0%) for
#   every binary in PERF_DF_BINARIES (label=path ..., e.g. "before=/x/dockercleand after=/y/dockercleand"),
#   on a first start and with the history one cleanup leaves (a real --once through
#   tests/bench/engine-proxy.py --refuse '^DELETE ': it plans, inspects and saves its history, and every
#   removal is refused).
# Prints medians (KEY=VALUE) to PERF_DF_RESULTS (default stdout) and each run to stderr.
# The setup takes minutes; to measure more than once on it:
#   PERF_DF_HOLD=FILE   after the setup, write the engine's environment to FILE.env and keep the engine
#                       until FILE exists (measure meanwhile with: . FILE.env; PERF_DF_SKIP_SETUP=1 df-engine.sh)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/bench/fixtures.sh
. "$here/../bench/fixtures.sh"

n_containers=${PERF_DF_CONTAINERS:-2000}
n_files=${PERF_DF_FILES:-2000}
runs=${PERF_RUNS:-3}
out=${PERF_DF_RESULTS:-/dev/stdout}
work=$(mktemp -d /tmp/dcdf.XXXXXX)
trap 'rm -rf "$work"' EXIT
sock=$DOCKERCLEAN_TEST_SOCKET
api=$(curl -sf --unix-socket "$sock" http://localhost/version | python3 -c 'import json, sys; print(json.load(sys.stdin)["ApiVersion"])')
log() { echo "df-engine: $*" >&2; }
now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

setup() {
t0=$(now)
fx_image dfbench:1 0
# Created and started through the API (no CLI start-up per container), four at a time.
seq 1 "$n_containers" | xargs -P 4 -I{} sh -c '
        id=$(curl -sf --unix-socket "$1" -H "Content-Type: application/json" \
                -d "{\"Image\":\"dfbench:1\",\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"none\",\"LogConfig\":{\"Type\":\"none\"}}}" \
                "http://localhost/containers/create?name=dfbench-$2" | sed "s/.*\"Id\":\"\([0-9a-f]*\)\".*/\1/")
        curl -sf --unix-socket "$1" -X POST "http://localhost/containers/$id/start" >/dev/null' _ "$sock" {}
for _ in $(seq 1 300); do
        [ "$(dk ps -q | wc -l)" = 0 ] && break
        sleep 1
done
dk ps -aq --filter status=exited >"$work/ids"
log "$(wc -l <"$work/ids") exited containers in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s"
# shellcheck disable=SC2046
dk inspect --format '{{.GraphDriver.Data.UpperDir}}' $(cat "$work/ids") >"$work/uppers"
python3 - "$work/uppers" "$n_files" <<'EOF'
import os, sys
n = int(sys.argv[2])
for upper in open(sys.argv[1]).read().split():
    d = os.path.join(upper, "data")
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        open(os.path.join(d, "f%05d" % i), "w").close()
EOF
sync
log "files written: $(df --output=iused "$DOCKERCLEAN_TEST_DATA_ROOT" | tail -1) inodes in use, $(du -sh "$DOCKERCLEAN_TEST_DATA_ROOT" 2>/dev/null | cut -f1) on disk; setup took $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s"
}
if [ -z "${PERF_DF_SKIP_SETUP:-}" ]; then
        setup
        if [ -n "${PERF_DF_HOLD:-}" ]; then
                export -p | grep -E ' (DOCKERCLEAN_TEST_[A-Z_]*|DOCKER_HOST)=' >"$PERF_DF_HOLD.env"
                log "holding the engine until $PERF_DF_HOLD exists"
                while [ ! -e "$PERF_DF_HOLD" ]; do sleep 5; done
                exit 0
        fi
fi
dk ps -aq --filter status=exited >"$work/ids"
echo "df.engine=$DOCKERCLEAN_TEST_ENGINE" >"$out"
echo "df.api=$api" >>"$out"
echo "df.containers=$(wc -l <"$work/ids")" >>"$out"
echo "df.files_per_container=$n_files" >>"$out"

cat >"$work/tiers" <<'EOF'
{ type = "stopped-containers"; min_age = "0s"; }, { type = "dangling-images"; min_age = "1h"; },
{ type = "build-cache"; min_age = "24h"; }, { type = "unused-images"; min_age = "24h"; }
EOF
conf() { # conf FILE STATE_DIR [SOCKET]
        cat >"$1" <<EOC
engine = { socket = "${3:-$sock}"; };
state_dir = "$2";
disk = { high_watermark = "1%"; low_watermark = "0%"; inode_high_watermark = "99%"; inode_low_watermark = "98%"; };
tiers = ( $(cat "$work/tiers") );
EOC
}
# timed KEY CMD...: one run, its wall time appended to $work/KEY.
timed() {
        local key=$1 a b
        shift
        a=$(now)
        "$@" >"$work/last.out" 2>"$work/last.err" || { log "$key failed:"; cat "$work/last.err" >&2; return 1; }
        b=$(now)
        awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", b - a }' >>"$work/$key"
        log "$key: $(tail -1 "$work/$key") s"
}
keys=(df_all df_types ps_a images)
for b in ${PERF_DF_BINARIES:-}; do keys+=("plan_${b%%=*}_first" "plan_${b%%=*}_known"); done
for run in $(seq 1 "$runs"); do
        timed df_all curl -sf --unix-socket "$sock" "http://localhost/v$api/system/df"
        timed df_types curl -sf --unix-socket "$sock" "http://localhost/v$api/system/df?type=image&type=build-cache&type=volume"
        timed ps_a dk ps -a
        timed images dk images
        for b in ${PERF_DF_BINARIES:-}; do
                label=${b%%=*} bin=${b#*=}
                rm -rf "$work/state-$label"
                conf "$work/$label.conf" "$work/state-$label"
                timed "plan_${label}_first" "$bin" --config "$work/$label.conf" --once --dry-run --log-target console
                cp "$work/last.out" "$work/plan-$label-$run"
                # The history one cleanup leaves: a real one, whose removals a proxy refuses (409).
                conf "$work/$label-prep.conf" "$work/state-$label" "$work/refuse.sock"
                rm -f "$work/refuse.sock" # a killed proxy leaves its socket: wait for the new one's
                python3 "$here/../bench/engine-proxy.py" "$work/refuse.sock" "$sock" "$work/refuse.log" --refuse '^DELETE ' &
                proxy=$!
                for _ in $(seq 1 100); do [ -S "$work/refuse.sock" ] && break; sleep 0.05; done
                "$bin" --config "$work/$label-prep.conf" --once --log-target console >/dev/null 2>&1 || true
                kill "$proxy"; wait "$proxy" 2>/dev/null || true
                timed "plan_${label}_known" "$bin" --config "$work/$label.conf" --once --dry-run --log-target console
                cmp -s <(grep '^    ' "$work/last.out") <(grep '^    ' "$work/plan-$label-$run") ||
                        log "plan_${label}_known planned differently from plan_${label}_first"
        done
done
# Requests, counted once through the recording proxy: a first start, and with the history left above.
python3 "$here/../bench/engine-proxy.py" "$work/count.sock" "$sock" "$work/count.log" &
proxy=$!
for _ in $(seq 1 100); do [ -S "$work/count.sock" ] && break; sleep 0.05; done
kinds() { sed -E 's/ HTTP\/[0-9.]+$//; s/^([A-Z]+) \/v[0-9.]+/\1 /; s/\/(containers|images)\/[^/?]+\/json/\/\1\/{id}\/json/' "$work/count.log" |
        sort | uniq -c | sort -rn | awk '{ n = $1; $1 = ""; out = out (NR > 1 ? ";" : "") " " n $0 } END { print substr(out, 2) }'; }
for b in ${PERF_DF_BINARIES:-}; do
        label=${b%%=*} bin=${b#*=}
        for state in first known; do
                [ "$state" = first ] && rm -rf "$work/state-$label"
                conf "$work/$label-count.conf" "$work/state-$label" "$work/count.sock"
                : >"$work/count.log"
                "$bin" --config "$work/$label-count.conf" --once --dry-run --log-target console >/dev/null 2>&1
                echo "df.plan_${label}_${state}.requests=$(kinds)" >>"$out"
                if [ "$state" = first ]; then # the history one cleanup leaves, as above
                        rm -f "$work/refuse.sock" # a killed proxy leaves its socket: wait for the new one's
                python3 "$here/../bench/engine-proxy.py" "$work/refuse.sock" "$sock" "$work/refuse.log" --refuse '^DELETE ' &
                        p2=$!
                        for _ in $(seq 1 100); do [ -S "$work/refuse.sock" ] && break; sleep 0.05; done
                        conf "$work/$label-prep.conf" "$work/state-$label" "$work/refuse.sock"
                        "$bin" --config "$work/$label-prep.conf" --once --log-target console >/dev/null 2>&1 || true
                        kill "$p2"; wait "$p2" 2>/dev/null || true
                fi
        done
done
kill "$proxy"; wait "$proxy" 2>/dev/null || true
for k in "${keys[@]}"; do
        echo "df.$k.wall_s=$(median <"$work/$k")" >>"$out"
done
# Every binary planned the same actions.
set -- ${PERF_DF_BINARIES:-}
if [ $# -ge 2 ]; then
        first=${1%%=*}
        for b in "$@"; do
                cmp -s <(grep '^    ' "$work/plan-$first-1") <(grep '^    ' "$work/plan-${b%%=*}-1") &&
                        echo "df.plan_${b%%=*}_same_as_$first=yes" >>"$out" || echo "df.plan_${b%%=*}_same_as_$first=NO" >>"$out"
        done
fi
echo "df.planned_actions=$(grep -c '^    ' "$work/plan-${1%%=*}-1" 2>/dev/null || echo 0)" >>"$out"
