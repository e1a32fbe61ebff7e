# Issue 2's first end-to-end behaviour: a filesystem filled past the high watermark with stopped
# containers that hold data is cleaned down below the low watermark, oldest container first; a running
# container and its image are untouched; the journal shows the cleanup.
set -u
. "$(dirname "$0")/common.bash"
fx_reset

fx_image e2e/base:1 1 || { echo "cannot build"; exit 1; }
fx_running keeper e2e/base:1
# Ten stopped containers of 40 MiB each, created one after another (oldest first).
for i in 0 1 2 3 4 5 6 7 8 9; do
        fx_stopped "stopped$i" e2e/base:1 40 || fx_fail "create stopped$i"
        e2e_next_second   # FinishedAt has nanoseconds, but keep the order unmistakable
done
before=$(fx_used_percent)
echo "used before: $before%"
high=$(awk -v u="$before" 'BEGIN { printf "%d", u - 5 }')
low=$(awk -v u="$before" 'BEGIN { printf "%d", u - 20 }')
e2e_config "$scratch/dc.conf" "$high" "$low"
fx_check "usage is above the high watermark ($before >= $high)" fx_ge "$before" "$high"

"$DOCKERCLEAND" --config "$scratch/dc.conf" --once --log-target journal &
pid=$!
wait $pid
rc=$?
fx_check "dockercleand --once exits 0 (got $rc)" test "$rc" = 0

after=$(fx_used_percent)
echo "used after: $after% (low watermark $low%)"
fx_check "usage is below the low watermark ($after < $low)" fx_lt "$after" "$low"
fx_check "running container kept" fx_exists keeper
fx_check "its image kept" fx_exists e2e/base:1

# Oldest first: the survivors are the newest ones, and not everything went.
survivors=$(dk ps -a --filter status=exited --format '{{.Names}}' | sort)
echo "survivors: $(echo $survivors)"
n_survivors=$(printf '%s\n' "$survivors" | grep -c stopped || true)
fx_check "stopped too much: some stopped containers survive (stopped when below the low watermark)" test "$n_survivors" -gt 0
fx_check "the oldest went first" fx_gone stopped0
fx_check "the newest survived" fx_exists stopped9
last_removed=-1; first_kept=10
for i in 0 1 2 3 4 5 6 7 8 9; do
        if fx_exists "stopped$i"; then [ $i -lt $first_kept ] && first_kept=$i; else last_removed=$i; fi
done
fx_check "removals are a prefix of the age order (last removed $last_removed < first kept $first_kept)" test "$last_removed" -lt "$first_kept"

journal=$(e2e_journal "$pid")
removed=$(printf '%s\n' "$journal" | grep -c '"MESSAGE_ID":"c7b9ea3d18b34a68bee697813b22146c"' || true)
n_gone=$((10 - n_survivors))
fx_check "journal has one removal record per removed container ($removed = $n_gone)" test "$removed" = "$n_gone"
fx_check "journal has the measurement" grep -q '"DOCKERCLEAN_USED_PERCENT"' <<<"$journal"
fx_check "journal has the cleanup-finished record with the reclaimed total" \
        grep -q '"MESSAGE_ID":"0df3a46d76df44c1a3c984f92c4e4c45".*DOCKERCLEAN_RECLAIMED_BYTES\|DOCKERCLEAN_RECLAIMED_BYTES.*"MESSAGE_ID":"0df3a46d76df44c1a3c984f92c4e4c45"' <<<"$journal"
fx_check "removal records name the tier" grep -q '"DOCKERCLEAN_TIER":"stopped-containers"' <<<"$journal"
# The record names the filesystem that filled: with the containerd image store containerd's root, while
# DockerRootDir (on a filesystem of its own in the bench) stayed low.
finished_path() {
        grep '"MESSAGE_ID":"0df3a46d76df44c1a3c984f92c4e4c45"' <<<"$journal" |
                python3 -c 'import sys, json; print(json.loads(sys.stdin.readline()).get("DOCKERCLEAN_PATH", ""))'
}
fx_check "the cleanup-finished record names the filled filesystem ($(finished_path))" \
        test "$(df -P "$(finished_path)" | awk 'NR==2 { print $6 }')" = "$(fx_store_mount)"
if [ "$DOCKERCLEAN_TEST_STORE_ROOT" != "$DOCKERCLEAN_TEST_DATA_ROOT" ]; then
        root_used=$(df -P -B1 "$DOCKERCLEAN_TEST_DATA_ROOT" | awk 'NR==2 { printf "%.2f\n", 100 * $3 / ($3 + $4) }')
        fx_check "DockerRootDir's filesystem stayed low ($root_used% < $low%)" fx_lt "$root_used" "$low"
fi

dk rm -f keeper >/dev/null
fx_done
