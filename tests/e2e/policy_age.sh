# A stopped container's age counts from when it stopped (State.FinishedAt), not from when it was
# created: with min_age = 4s, a container created long ago that stopped a moment ago stays, one that
# stopped earlier goes; a created-never-started one counts from Created.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
fx_image age/base:1 0
dk create --network none --name created-early-stopped-late age/base:1 true >/dev/null
dk create --network none --name never-started age/base:1 true >/dev/null
dk run --network none --name stopped-early age/base:1 true >/dev/null
# Real time, not the clock seam: what is compared is two of the engine's own times (FinishedAt against
# Created) for the same min_age, which moving the daemon's clock cannot separate; 6 s apart, against a
# min_age of 4s.
sleep 6
dk start -a created-early-stopped-late >/dev/null
dk create --network none --name never-started-new age/base:1 true >/dev/null
fx_ballast 100
# Just above the high watermark, and a low watermark of 0% that no cleanup reaches: age alone decides.
e2e_config "$scratch/dc.conf" "$(e2e_high_now)" 0 '{ type = "stopped-containers"; min_age = "4s"; }'
e2e_run_once "$scratch/dc.conf"
fx_check "exit 0" test "$rc" = 0
fx_check "stopped 6 s ago: removed" fx_gone stopped-early
fx_check "created 6 s ago, never started: removed" fx_gone never-started
fx_check "created 6 s ago but stopped just now: kept" fx_exists created-early-stopped-late
fx_check "created just now: kept" fx_exists never-started-new
fx_done
