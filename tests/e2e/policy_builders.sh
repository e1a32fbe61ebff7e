# The opt-in inactive-builders tier: a stopped buildx docker-container builder (its container
# buildx_buildkit_<builder><n>, then its state volume) goes once stopped for min_age, only when the tier is
# listed; a running builder, a protected one and a volume that is no builder's stay; the state volume goes
# with its container even when the container alone met the targets. The builders are made
# as buildx names them (busybox containers, no buildx needed): node 0 of builders "ci0", "live0", "kept0".
set -u
. "$(dirname "$0")/common.bash"
fx_reset
fx_image bx/base:1 0
fx_ballast 30 # above the high watermark of 1 %
MiB=1048576
# ci0: stopped, 5 MiB of state.
dk run --network none --name buildx_buildkit_ci00 -v buildx_buildkit_ci00_state:/state bx/base:1 \
        dd if=/dev/urandom of=/state/blob bs=1M count=5 >/dev/null 2>&1
# live0: running.
fx_running buildx_buildkit_live00 bx/base:1 -v buildx_buildkit_live00_state:/state
# kept0: stopped, protected by label.
dk run --network none --name buildx_buildkit_kept00 --label dockerclean.keep=1 \
        -v buildx_buildkit_kept00_state:/state bx/base:1 true >/dev/null
# A volume no builder owns, unused.
fx_volume plain-data
fx_check "the stopped builder exited" test "$(dk inspect -f '{{.State.Status}}' buildx_buildkit_ci00)" = exited
fx_check "its state volume holds 5 MiB" \
        fx_ge "$(du -sB1 "$(dk volume inspect -f '{{.Mountpoint}}' buildx_buildkit_ci00_state)" | cut -f1)" $((5 * MiB))

protect='protect = { labels = [ "dockerclean.keep" ]; };'
exhausted=01989c3678f34ed3b299ffb37c236af5
# kept FIELD: that DOCKERCLEAN_KEPT_* field of the exhausted warning of $pid ("" if none).
kept() {
        e2e_journal "$pid" MESSAGE_ID=$exhausted | python3 -c 'import sys, json
for l in sys.stdin:
    if l.strip(): print(json.loads(l).get("DOCKERCLEAN_KEPT_" + sys.argv[1], ""))' "$1" | tail -n 1
}
volume_exists() { dk volume inspect "$1" >/dev/null 2>&1; }
all_stay() {
        local what=$1
        for o in buildx_buildkit_ci00 buildx_buildkit_live00 buildx_buildkit_kept00; do
                fx_check "$what: container $o stays" fx_exists "$o"
        done
        for v in buildx_buildkit_ci00_state buildx_buildkit_live00_state buildx_buildkit_kept00_state plain-data; do
                fx_check "$what: volume $v stays" volume_exists "$v"
        done
}

# A: the tier not listed (the other tiers that take no container or named volume): nothing goes.
e2e_config "$scratch/a.conf" 1 0 '{ type = "dangling-images"; min_age = "0s"; }' "$protect"
e2e_run_once "$scratch/a.conf"
fx_check "A: exit 0" test "$rc" = 0
fx_check "A: the cleanup ran and ended exhausted" test -n "$(kept IN_USE)"
fx_check "A: nothing removed" test -z "$(e2e_removed_names "$pid")"
all_stay A

# B: listed with min_age 1h: the builder stopped seconds ago is too young (its stop counts, read from the
# engine); the running one is in use, the labelled one protected; nothing goes.
e2e_config "$scratch/b.conf" 1 0 '{ type = "inactive-builders"; min_age = "1h"; }' "$protect"
e2e_run_once "$scratch/b.conf"
fx_check "B: exit 0" test "$rc" = 0
fx_check "B: one builder too young" test "$(kept TOO_YOUNG)" = 1
fx_check "B: one builder in use" test "$(kept IN_USE)" = 1
fx_check "B: one builder protected" test "$(kept PROTECTED)" = 1
fx_check "B: nothing removed" test -z "$(e2e_removed_names "$pid")"
all_stay B

# C: min_age 2s, once the builder stopped more than that ago (by the clock, not a sleep: A and B usually
# took longer): the stopped builder goes, its container first, then its state volume. Its stop time must
# come from the engine: without it a builder is never old enough for a min_age.
stopped=$(date -d "$(dk inspect -f '{{.State.FinishedAt}}' buildx_buildkit_ci00)" +%s)
for _ in $(seq 1 100); do [ $(($(date +%s) - stopped)) -ge 3 ] && break; sleep 0.1; done
fx_check "C: the builder stopped at least 3 s ago" fx_ge $(($(date +%s) - stopped)) 3
e2e_config "$scratch/c.conf" 1 0 '{ type = "inactive-builders"; min_age = "2s"; }' "$protect"
e2e_run_once "$scratch/c.conf"
fx_check "C: exit 0" test "$rc" = 0
removed=$(e2e_removed_names "$pid" | tr '\n' ' ')
fx_check "C: removed the container, then its volume ($removed)" test "$removed" = "buildx_buildkit_ci00 buildx_buildkit_ci00_state "
fx_check "C: the stopped builder's container is gone" fx_gone buildx_buildkit_ci00
fx_check "C: its state volume is gone" eval '! volume_exists buildx_buildkit_ci00_state'
fx_check "C: the running builder stays" test "$(dk inspect -f '{{.State.Status}}' buildx_buildkit_live00)" = running
fx_check "C: its state volume stays" volume_exists buildx_buildkit_live00_state
fx_check "C: the protected builder stays" fx_exists buildx_buildkit_kept00
fx_check "C: its state volume stays" volume_exists buildx_buildkit_kept00_state
fx_check "C: the volume no builder owns stays" volume_exists plain-data
fx_check "C: the running one counted in use" test "$(kept IN_USE)" = 1
fx_check "C: the labelled one counted protected" test "$(kept PROTECTED)" = 1

# D: a builder's state volume goes with its container even when removing the container already met the
# targets: big0 keeps 40 MiB in its container's own layer and 1 MiB of state; the cleanup needs 20 MiB.
dk run --network none --name buildx_buildkit_big00 -v buildx_buildkit_big00_state:/state bx/base:1 \
        sh -c 'dd if=/dev/urandom of=/big bs=1M count=40 && dd if=/dev/urandom of=/state/s bs=1M count=1' >/dev/null 2>&1
sync
e2e_config "$scratch/d.conf" "$(e2e_high_now)" "$(e2e_low_for_bytes $((20 * MiB)))" \
        '{ type = "inactive-builders"; min_age = "0s"; }' "$protect"
e2e_run_once "$scratch/d.conf"
fx_check "D: exit 0" test "$rc" = 0
removed=$(e2e_removed_names "$pid" | tr '\n' ' ')
fx_check "D: removed the container, then its volume ($removed)" test "$removed" = "buildx_buildkit_big00 buildx_buildkit_big00_state "
fx_check "D: the targets were met (no exhausted warning)" test -z "$(kept IN_USE)"
fx_check "D: its state volume is gone" eval '! volume_exists buildx_buildkit_big00_state'
fx_check "D: the running builder stays" test "$(dk inspect -f '{{.State.Status}}' buildx_buildkit_live00)" = running

# E: with the tier listed, a builder is its own even when stopped-containers comes first: that tier takes a
# plain stopped container, not the builder's container (its volume would stay behind), which is too young
# for the builders tier.
dk run --network none --name buildx_buildkit_e00 -v buildx_buildkit_e00_state:/state bx/base:1 true >/dev/null
dk run --network none --name plain-stopped bx/base:1 true >/dev/null
e2e_config "$scratch/e.conf" 1 0 '{ type = "stopped-containers"; min_age = "0s"; }, { type = "inactive-builders"; min_age = "1h"; }' "$protect"
e2e_run_once "$scratch/e.conf"
fx_check "E: exit 0" test "$rc" = 0
fx_check "E: the plain stopped container went" fx_gone plain-stopped
fx_check "E: the builder's container stays" fx_exists buildx_buildkit_e00
fx_check "E: its state volume stays" volume_exists buildx_buildkit_e00_state
fx_check "E: the builder counted too young" test "$(kept TOO_YOUNG)" = 1

dk rm -f buildx_buildkit_live00 buildx_buildkit_kept00 buildx_buildkit_e00 >/dev/null
dk volume rm buildx_buildkit_live00_state buildx_buildkit_kept00_state buildx_buildkit_e00_state plain-data >/dev/null
fx_done
