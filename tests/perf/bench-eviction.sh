#!/usr/bin/env bash
# The eviction replay (issue 25): three generated traces (tests/perf/replay-gen.py, seeded) replayed by
# tests/perf/dockerclean-replay through dockercleand's own planner, beside prune -a, a cron prune, kubelet's
# image GC, docuum, an offline reference and the size/frequency-aware candidates. No engine, one core,
# about 10 s. Prints one table per trace and leaves them in $PERF_EVICTION_OUT (text and markdown).
#
# Environment: PERF_REPLAY (the dockerclean-replay binary), PERF_RESULTS, PERF_WORK,
# PERF_EVICTION_OUT (a directory; default $PERF_WORK/eviction), PERF_EVICTION_SEED (1),
# PERF_EVICTION_TRACES ("ci zipf hosts"), PERF_EVICTION_RECORD=1: also record a trace from the bench
# engine first (tests/perf/replay-record.sh under tests/bench/with-engine.sh; about 35 s more, and an
# engine running), and replay it too.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/perf/lib.sh
. "$here/lib.sh"

replay=${PERF_REPLAY:?PERF_REPLAY: the dockerclean-replay binary}
: "${PERF_RESULTS:?}" "${PERF_WORK:?}"
seed=${PERF_EVICTION_SEED:-1}
out=${PERF_EVICTION_OUT:-$PERF_WORK/eviction}
W=$PERF_WORK/eviction-traces
mkdir -p "$W" "$out"

traces=()
start=$(perf_now)
for kind in ${PERF_EVICTION_TRACES:-ci zipf hosts}; do
        nice -n 10 "$PERF_PY" "$here/replay-gen.py" "$kind" --seed "$seed" >"$W/$kind.trace"
        traces+=("$W/$kind.trace")
done
perf_result eviction.generate_s "$(perf_sub "$start" "$(perf_now)")"
if [ "${PERF_EVICTION_RECORD:-0}" = 1 ]; then
        start=$(perf_now)
        "$perf_src/tests/bench/with-engine.sh" --size 1G -- "$here/replay-record.sh" "$W/recorded.trace"
        traces+=("$W/recorded.trace")
        perf_result eviction.record_s "$(perf_sub "$start" "$(perf_now)")"
fi
perf_result eviction.seed "$seed"

# Variants of the daemon's own configuration: what the hysteresis (low watermark) and min_age cost.
printf 'disk = { low_watermark = "83%%"; };\n' >"$W/low83.conf"
printf 'tiers = ( { type = "unused-images"; min_age = "1h"; } );\n' >"$W/min_age_1h.conf"
variants=(--variant "low_watermark_83%=$W/low83.conf" --variant "unused_min_age_1h=$W/min_age_1h.conf")

start=$(perf_now)
nice -n 10 "$replay" --candidates "${variants[@]}" --results "$PERF_RESULTS" "${traces[@]}" | tee "$out/eviction.txt"
perf_result eviction.replay_s "$(perf_sub "$start" "$(perf_now)")"
nice -n 10 "$replay" --candidates "${variants[@]}" --markdown "${traces[@]}" >"$out/eviction.md"
perf_log "eviction tables: $out/eviction.txt, $out/eviction.md"
