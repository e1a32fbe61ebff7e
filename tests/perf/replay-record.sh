#!/usr/bin/env bash
# Records the eviction replay's trace from a real engine:
#   tests/bench/with-engine.sh --size 1G -- tests/perf/replay-record.sh OUT.trace
# loads 24 generated images that share a base layer (tests/perf/mkimages.py: 8 of 512 KiB, 8 of 4 MiB,
# 8 of 16 MiB of their own), runs 60 short containers from them in a seeded Zipf order, and converts
# the engine's /events and image layers and sizes into a trace (tests/perf/replay-record.py). About a minute.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/perf/lib.sh
. "$here/lib.sh"
out=${1:?usage: replay-record.sh OUT.trace}
sock=${DOCKERCLEAN_TEST_SOCKET:?run under tests/bench/with-engine.sh}
DOCKER=${DOCKERCLEAN_TEST_DOCKER:-docker}
W=$(mktemp -d /tmp/dcrecord.XXXXXX)
trap 'rm -rf "$W"' EXIT

n=0
for spec in small:512 mid:4096 big:16384; do
        "$PERF_PY" "$here/mkimages.py" "$W/${spec%%:*}.tar" --count 8 --prefix "rec/${spec%%:*}" \
                --unique-kib "${spec##*:}" --files 2 --seed "$((++n))"
        "$DOCKER" load -q -i "$W/${spec%%:*}.tar" >/dev/null
done
mapfile -t names < <("$DOCKER" images --format '{{.Repository}}:{{.Tag}}' 'rec/*' | sort)
[ "${#names[@]}" = 24 ] || { perf_log "expected 24 images, the engine lists ${#names[@]}"; exit 1; }
"$PERF_PY" "$here/replay-record.py" jobs --images 24 --count 60 --seed 1 >"$W/jobs"
# The engine keeps only its last 256 events for --since: follow them live instead, from before the first run.
"$DOCKER" events --filter type=container --format '{{json .}}' >"$W/events" &
follower=$!
trap 'kill "$follower" 2>/dev/null || true; rm -rf "$W"' EXIT
"$DOCKER" run --rm --network none "${names[0]}" true >/dev/null   # the follower is subscribed once this run shows
until grep -q '"Action":"destroy"' "$W/events"; do sleep 0.1; done
since=$(date +%s.%N)
while read -r k; do
        "$DOCKER" run --rm --network none "${names[$k]}" true >/dev/null
done <"$W/jobs"
until [ "$(grep -c '"Action":"destroy"' "$W/events")" -ge 61 ]; do sleep 0.1; done
kill "$follower"
wait "$follower" 2>/dev/null || true
"$PERF_PY" "$here/replay-record.py" convert --socket "$sock" --events "$W/events" --since "$since" >"$out"
perf_log "recorded $(grep -c '^job ' "$out") jobs over $(grep -c '^image ' "$out") images into $out"
