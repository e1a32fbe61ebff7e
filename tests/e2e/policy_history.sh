# Image use is tracked from engine events while the daemon runs and survives a restart: an old image
# that a container was created from (and removed again) while the daemon ran is kept by the next cleanup,
# a --once run in a new process, because the use was saved in state_dir; images older in use go first.
set -u
. "$(dirname "$0")/common.bash"
fx_reset

fx_image hist/oldest:1 40
e2e_next_second
fx_image hist/middle:1 40
e2e_next_second
fx_image hist/newest:1 40
e2e_events_probe
e2e_config "$scratch/dc.conf" 99 98 '{ type = "unused-images"; min_age = "0s"; }' \
        "interval = \"1m\"; metrics_file = \"$scratch/metrics.prom\";"

"$DOCKERCLEAND" --config "$scratch/dc.conf" --log-target journal &
daemon=$!
fx_check "the daemon follows the engine's events" e2e_events_open "$scratch/metrics.prom"
dk create --network none --name user hist/oldest:1 >/dev/null
dk rm user >/dev/null
# Events come in order: once the daemon checked after a later tag, it has taken the container's.
fx_check "the daemon took the container's events" e2e_events_open "$scratch/metrics.prom"
kill -TERM "$daemon"; wait "$daemon"
fx_check "the history was saved in state_dir" test -n "$(ls -A "$scratch/state" 2>/dev/null)"

mib=$((1024 * 1024))
e2e_config "$scratch/dc.conf" "$(e2e_high_now)" "$(e2e_low_for_bytes $((30 * mib)))" '{ type = "unused-images"; min_age = "0s"; }'
e2e_run_once "$scratch/dc.conf"
fx_check "exit 0" test "$rc" = 0
removed=$(e2e_removed_names "$pid" | tr '\n' ' ')
echo "removed: $removed"
fx_check "the image used while the daemon ran stays (the use survived the restart)" fx_exists hist/oldest:1
fx_check "the least recently used went" fx_gone hist/middle:1
fx_check "and no further" fx_exists hist/newest:1
fx_done
