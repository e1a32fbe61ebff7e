# A live daemon on a BuildKit build host (issue 19): it runs while a stream of BuildKit builds fills the
# disk, each build leaving 40 MiB of private build cache (a throwaway stage) and a 5 MiB image whose
# layers its build-cache records share. Every tier, images included, has min_age 0s, so the daemon may
# take any unused image; the private cache alone always covers what a cleanup needs, so it must take no
# image: an image removal frees ~12 KiB there while the cache holds its layers. Each cleanup must end
# below its low watermark.
set -u
. "$(dirname "$0")/common.bash"
fx_podman && fx_skip "Podman has no BuildKit and no build cache"
fx_buildkit || fx_skip "no BuildKit on engine ${DOCKERCLEAN_TEST_ENGINE:-docker20}"
fx_reset

mib=$((1024 * 1024))
n_first=3 n_stream=8
for i in $(seq 1 $n_first); do fx_image_buildkit "live$i:v1" 5 --cache-mb 40 || fx_fail "build live$i:v1"; done
# One build's worth on this store, measured: the next build starts the first cleanup.
store_used() { df -P -B1 "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { print $3 }'; }
total=$(df -P -B1 "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { print $3 + $4 }')
before=$(store_used)
fx_image_buildkit "live$((n_first + 1)):v1" 5 --cache-mb 40 || fx_fail "build live$((n_first + 1)):v1"
one=$(($(store_used) - before))
high=$(awk -v u="$(store_used)" -v o="$one" -v t="$total" 'BEGIN { printf "%d\n", 100 * (u + o / 2) / t + 1 }')
# Below the high watermark by about one build's private cache: a prune can always get there.
low=$(awk -v h="$high" -v t="$total" 'BEGIN { printf "%d\n", h - 100 * 30 * 1048576 / t }')
tiers='{ type = "stopped-containers"; min_age = "0s"; }, { type = "dangling-images"; min_age = "0s"; },
       { type = "build-cache"; min_age = "0s"; }, { type = "unused-images"; min_age = "0s"; }'
e2e_config "$scratch/dc.conf" "$high" "$low" "$tiers" 'interval = "1s";'
echo "one build takes $((one / mib)) MiB on this store; clean at $high% down to below $low% (now $(fx_used_percent)%)"

"$DOCKERCLEAND" --config "$scratch/dc.conf" --log-target console >"$scratch/log" 2>&1 &
pid=$!
for i in $(seq $((n_first + 2)) $((n_first + 1 + n_stream))); do
        fx_image_buildkit "live$i:v1" 5 --cache-mb 40 || fx_fail "build live$i:v1"
        echo "after live$i:v1: $(fx_used_percent)% used, $(grep -c 'Cleanup started' "$scratch/log") cleanups so far"
done
# The last build's growth is seen within a check or two: wait until the disk is below the high watermark
# again and no cleanup is under way (as many ends as starts).
settled() {
        fx_lt "$(fx_used_percent)" "$high" &&
                [ "$(grep -c 'Cleanup started' "$scratch/log")" = "$(grep -cE 'Cleanup (finished|ended|could not|stopped)' "$scratch/log")" ]
}
fx_check "after the stream the disk is below the high watermark ($high%) again, no cleanup under way" \
        e2e_wait_for 120 settled
kill -TERM "$pid"; wait "$pid"
n_images=$(dk images --format '{{.Repository}}' | grep -c '^live[0-9]*$')
n_cleanups=$(grep -c 'Cleanup started' "$scratch/log")
n_removed_images=$(grep -c 'Removed image' "$scratch/log")
echo "engine ${DOCKERCLEAN_TEST_ENGINE:-?}: $n_cleanups cleanups, $n_removed_images images removed," \
        "images kept $n_images of $((n_first + 1 + n_stream)); now $(fx_used_percent)% (high $high%, low $low%)"
grep -E 'Cleanup|Removed' "$scratch/log" | tail -n 12
fx_check "the stream started cleanups ($n_cleanups)" test "$n_cleanups" -ge 1
fx_check "no image was removed while the private cache could be pruned ($n_removed_images removed)" \
        test "$n_removed_images" = 0
fx_check "every image stays ($n_images of $((n_first + 1 + n_stream)))" test "$n_images" = $((n_first + 1 + n_stream))
fx_check "no cleanup ended above its low watermark" eval '! grep -q "Cleanup ended above" "$scratch/log"'
fx_done
