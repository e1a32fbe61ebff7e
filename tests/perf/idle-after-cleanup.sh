#!/usr/bin/env bash
# The idle daemon's private memory after a large cleanup: dockercleand against the scripted fake engine's
# "world" (tests/fake/fake-engine.py) holding N stopped containers of one unused image, high watermark
# 1%, so its first check removes all N + 1 and ends exhausted; then, idle in poll(), RssAnon from
# /proc/PID/status (goal: <= 2 MiB, as when idle without a cleanup). Needs no Docker.
#
#   tests/perf/idle-after-cleanup.sh [N]        (default 400)
#
# Environment: DOCKERCLEAND (default: build/bench/dockercleand, a release build), PERF_RESULTS (optional).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/perf/lib.sh
. "$here/lib.sh"
n=${1:-400}
DC=${DOCKERCLEAND:-$perf_src/build/bench/dockercleand}
W=$(mktemp -d /tmp/dcidle.XXXXXX)
fake= dc=
trap '[ -z "$dc" ] || kill "$dc" 2>/dev/null; exec 3>&- || true; [ -z "$fake" ] || wait "$fake" 2>/dev/null; rm -rf "$W"' EXIT

now=$(date +%s)
"$PERF_PY" - "$n" "$now" >"$W/world.json" <<'PY'
import json, sys
n, now = int(sys.argv[1]), int(sys.argv[2])
image = "sha256:" + "a" * 64
print(json.dumps({
    "containers": [{"Id": "%064x" % (i + 1), "Name": "job-%d" % i, "ImageID": image, "State": "exited",
                    "Created": now - 3 * 86400, "FinishedAt": now - 2 * 86400, "bytes": 1} for i in range(n)],
    "images": [{"Id": image, "RepoTags": ["app:1"], "Created": now - 3 * 86400, "bytes": 1}]}))
PY
mkfifo "$W/fake.in"
"$PERF_PY" "$perf_src/tests/fake/fake-engine.py" --socket "$W/fake.sock" --log "$W/fake.log" --root "$W/root" \
        --lifetime 3600 --world "$W/world.json" --data "$W/root" world <"$W/fake.in" >"$W/fake.out" &
fake=$!
exec 3>"$W/fake.in" # the fake exits when this closes
deadline=$((SECONDS + 120))
until grep -q '^ready' "$W/fake.out" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] && kill -0 "$fake" 2>/dev/null || { perf_log "the fake engine did not start"; exit 1; }
        sleep 0.1
done
cat >"$W/dc.conf" <<EOC
engine = { socket = "unix://$W/fake.sock"; };
state_dir = "$W/state";
interval = "1h";
max_removals = 100000;
disk = { high_watermark = "1%"; low_watermark = "0.5%"; };
tiers = ( { type = "stopped-containers"; min_age = "1h"; }, { type = "unused-images"; min_age = "1h"; } );
EOC
"$DC" --config "$W/dc.conf" --log-target console 2>"$W/dc.err" &
dc=$!
# Idle = the first check said its end (every tier exhausted: the filesystem stays above 1%) and the main
# thread waits in poll().
until grep -q 'Every tier is exhausted' "$W/dc.err" && grep -q 'poll' "/proc/$dc/task/$dc/wchan" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] && kill -0 "$dc" 2>/dev/null || { perf_log "the daemon did not finish its cleanup:"; tail -5 "$W/dc.err" >&2; exit 1; }
        sleep 0.1
done
removed=$(grep -c '^DELETE' "$W/fake.log" || true)
anon=$(perf_status_kb "$dc" RssAnon)
hwm=$(perf_status_kb "$dc" VmHWM)
perf_log "idle after a cleanup of $removed removals: RssAnon $anon kB ($(awk -v a="$anon" 'BEGIN { printf "%.2f", a / 1024 }') MiB), VmHWM $hwm kB"
[ -z "${PERF_RESULTS:-}" ] || { perf_result idle_after_cleanup.removals "$removed"; perf_result idle_after_cleanup.rss_anon_kib "$anon"; }
