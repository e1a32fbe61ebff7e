#!/usr/bin/env bash
# The scale benchmark: `dockercleand --once --dry-run` against a fake engine (tests/perf/fake-engine.py)
# that serves generated listings of 10,000 images and 20,000 containers; wall time, CPU and peak RSS.
# Needs no Docker. Three cases, each PERF_RUNS times:
#   cold       a first start: no usage history; stopped containers are inspected for their stop time only
#              as far as the plan needs (and LastTagTime of unused images only when the plan reaches them)
#   warm       the usage history a running daemon has: images seeded beforehand by a run with nothing to
#              remove, stop times from the fake engine's die events followed by a daemon with nothing to do
#   listings   warm, and no stopped container old enough to need its FinishedAt (stopped-containers
#              min_age = 365d): what the listings, /system/df and the planner cost by themselves
#
# Environment: DOCKERCLEAND, PERF_ALT_DOCKERCLEAND (optional: a second binary, e.g. a prototype,
# measured run by run beside the first, and its plans compared), PERF_RESULTS, PERF_WORK, PERF_RUNS (3), PERF_SCALE_IMAGES (10000),
# PERF_SCALE_CONTAINERS (20000), PERF_SCALE_CASES ("cold warm listings").
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/perf/lib.sh
. "$here/lib.sh"

DC=${DOCKERCLEAND:?DOCKERCLEAND: the daemon binary}
: "${PERF_RESULTS:?}"
runs=${PERF_RUNS:-3}
n_images=${PERF_SCALE_IMAGES:-10000}
n_containers=${PERF_SCALE_CONTAINERS:-20000}
cases=${PERF_SCALE_CASES:-cold warm listings}
own_work=
if [ -z "${PERF_WORK:-}" ]; then
        PERF_WORK=$(mktemp -d /tmp/dcperf.XXXXXX)
        own_work=1
fi
W=$PERF_WORK/scale
mkdir -p "$W/root"
sock=$W/engine.sock

"$PERF_PY" "$here/fake-engine.py" "$sock" --root "$W/root" --images "$n_images" --containers "$n_containers" \
        --stats "$W/stats.json" 2>"$W/engine.log" &
fe=$!
trap 'kill "$fe" 2>/dev/null; wait "$fe" 2>/dev/null; [ -z "$own_work" ] || rm -rf "$PERF_WORK"' EXIT
for _ in $(seq 1 600); do [ -S "$sock" ] && break; kill -0 "$fe" 2>/dev/null || break; sleep 0.1; done
[ -S "$sock" ] || { perf_log "the fake engine did not start:"; cat "$W/engine.log" >&2; exit 1; }
perf_log "$(cat "$W/engine.log")"
perf_result scale.images "$n_images"
perf_result scale.runs "$runs"
perf_result scale.containers "$n_containers"
perf_result scale.bodies "$(sed -n 's/.*bodies: //p' "$W/engine.log" | sed 's/\/version [^,]*, \/info [^,]*, //')"

# Cleaning would start at 1% and go on down to 0%: the planner orders every candidate (up to
# max_removals = 1000) and the plan names what it would remove.
default_tiers='{ type = "stopped-containers"; min_age = "1h"; }, { type = "dangling-images"; min_age = "1h"; },
        { type = "build-cache"; min_age = "24h"; }, { type = "unused-images"; min_age = "24h"; }'
no_inspect_tiers='{ type = "stopped-containers"; min_age = "365d"; }, { type = "dangling-images"; min_age = "1h"; },
        { type = "build-cache"; min_age = "24h"; }, { type = "unused-images"; min_age = "24h"; }'

# stats FILE: the fake engine's request counts so far (JSON) into FILE; kinds A B: what B adds to A.
stats() { kill -USR1 "$fe"; sleep 0.3; cp "$W/stats.json" "$1"; }
kinds() {
        "$PERF_PY" -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
d = {k: v - a.get(k, 0) for k, v in b.items() if v - a.get(k, 0)}
print(sum(d.values()), "; ".join("%d %s" % (v, k) for k, v in sorted(d.items(), key=lambda kv: -kv[1])))' "$1" "$2"
}

# prep_history DAEMON CONFIG STATE_DIR: runs the daemon (not --once, with nothing to clean) until it has
# taken the fake engine's die events, then stops it (SIGTERM: it saves its history).
prep_history() {
        local before after
        stats "$W/stats.prep"
        before=$("$PERF_PY" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("events sent", 0))' "$W/stats.prep")
        "$1" --config "$2" --log-target console >"$W/prep.log" 2>&1 &
        local pid=$!
        for _ in $(seq 1 200); do
                sleep 0.1
                stats "$W/stats.prep"
                after=$("$PERF_PY" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("events sent", 0))' "$W/stats.prep")
                [ "$after" != "$before" ] && break
        done
        sleep 1 # the last events drained
        kill -TERM "$pid"
        wait "$pid"
        local stops others
        stops=$(grep -c '^@' "$3/image-history" 2>/dev/null) || true
        others=$(grep -vc '^@' "$3/image-history" 2>/dev/null) || true
        perf_log "history prepared: ${stops:-0} container stop times, ${others:-0} other lines"
}

bins=main
[ -z "${PERF_ALT_DOCKERCLEAND:-}" ] || bins="main alt"
t_start=$(perf_now)
for case in $cases; do
        for bin in $bins; do : >"$W/$bin-$case.runs"; done
        for run in $(seq 1 "$runs"); do
                for bin in $bins; do
                        dc=$DC key=$case
                        [ "$bin" = alt ] && dc=$PERF_ALT_DOCKERCLEAND key=alt-$case
                        state=$W/state-$key-$run
                        rm -rf "$state"
                        tiers=$default_tiers
                        [ "$case" = listings ] && tiers=$no_inspect_tiers
                        perf_config "$W/$case.conf" "$sock" "$state" 1 0 "$tiers"
                        if [ "$case" != cold ]; then
                                # The history a running daemon has: a cleanup with nothing to remove
                                # seeds the images; the engine's die events, followed by a daemon with
                                # nothing to do, give the stop times.
                                perf_config "$W/prep.conf" "$sock" "$state" 1 0 '{ type = "unused-networks"; }'
                                "$dc" --config "$W/prep.conf" --once --log-target console >/dev/null 2>&1
                                perf_config "$W/follow.conf" "$sock" "$state" 99 98 "$tiers" 'interval = "1h";'
                                prep_history "$dc" "$W/follow.conf" "$state"
                        fi
                        stats "$W/stats.before"
                        f0=$(perf_cpu "$fe")
                        perf_time "$W/$key-$run.t" "$dc" --config "$W/$case.conf" --once --dry-run --log-target console \
                                >"$W/$key-$run.plan" 2>"$W/$key-$run.log"
                        rc=$?
                        f1=$(perf_cpu "$fe")
                        stats "$W/stats.after"
                        read -r nreq req_kinds < <(kinds "$W/stats.before" "$W/stats.after")
                        echo "$req_kinds" >"$W/$key.kinds"
                        read -r wall u s m _ <"$W/$key-$run.t"
                        planned=$(grep -c '^    remove-\|^    prune-' "$W/$key-$run.plan")
                        planned_ct=$(grep -c '^    remove-container' "$W/$key-$run.plan")
                        inspects=$(echo "$req_kinds" | tr ';' '\n' | sed -n 's|^ *\([0-9]*\) GET /containers/{id}/json$|\1|p')
                        echo "$wall $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $m $(perf_sub "$f0" "$f1") $nreq $planned $rc ${inspects:-0} $planned_ct" >>"$W/$bin-$case.runs"
                        perf_log "$key run $run: ${wall}s wall, cpu $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')s, peak RSS ${m} kB; fake engine cpu $(perf_sub "$f0" "$f1")s for $nreq requests; $planned actions in the plan; exit $rc"
                done
                # Both binaries must plan the same actions, in the same order.
                if [ "$bins" != main ] && ! cmp -s <(grep '^    ' "$W/$case-$run.plan") <(grep '^    ' "$W/alt-$case-$run.plan"); then
                        perf_log "$case run $run: the alternative binary planned differently"
                        perf_result "scale.alt-$case.plan_differs" yes
                fi
        done
        for bin in $bins; do
                key=$case
                [ "$bin" = alt ] && key=alt-$case
                f=$W/$bin-$case.runs
                perf_result "scale.$key.wall_s" "$(awk '{ print $1 }' "$f" | perf_median)"
                perf_result "scale.$key.cpu_s" "$(awk '{ print $2 }' "$f" | perf_median)"
                perf_result "scale.$key.rss_peak_kib" "$(awk '{ print $3 }' "$f" | perf_median)"
                perf_result "scale.$key.engine_cpu_s" "$(awk '{ print $4 }' "$f" | perf_median)"
                perf_result "scale.$key.requests" "$(awk '{ print $5 }' "$f" | perf_median)"
                perf_result "scale.$key.planned" "$(awk '{ print $6 }' "$f" | perf_median)"
                perf_result "scale.$key.container_inspects" "$(awk '{ print $8 }' "$f" | perf_median)"
                perf_result "scale.$key.container_inspects_max" "$(awk '{ print $8 }' "$f" | sort -n | tail -1)"
                perf_result "scale.$key.planned_containers" "$(awk '{ print $9 }' "$f" | perf_median)"
                perf_result "scale.$key.request_kinds" "$(cat "$W/$key.kinds")"
        done
done
perf_result time.scale.s "$(perf_sub "$t_start" "$(perf_now)")"
exit 0
