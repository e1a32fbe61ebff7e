# Unused images go least recently used first, and only as many as the low watermark needs: with unused
# images worth about three times what is needed, the oldest-used go and the rest stay. A cold start
# orders by seeded times (an image tagged again recently counts as used then). The dry-run plan names
# exactly what the real run right after removes.
set -u
. "$(dirname "$0")/common.bash"
fx_reset

# Podman qualifies the names (docker.io/lru/b:1), and records no LastTagTime: a cold start cannot know
# that an image was tagged again, so lru/a's case (the re-tag counts as a use) is not made there.
p=
images="a b c d e f"
if fx_podman; then
        p=docker.io/
        images="b c d e f"
        echo "engine ${DOCKERCLEAN_TEST_ENGINE}: lru/a's case is skipped: Podman records no LastTagTime, so a cold start cannot see a re-tag"
fi
store_used() { df -P -B1 "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { print $3 }'; }
for x in $images; do
        [ "$x" = c ] && before_c=$(store_used)
        fx_image "lru/$x:1" 40 || fx_fail "build lru/$x"
        [ "$x" = c ] && one=$(($(store_used) - before_c))
        e2e_next_second # distinct Created times
done
# What one image of 40 MiB of random data takes on this store (lru/c shares only busybox with the
# others): about 40 MiB with overlay2, twice that with the containerd store (the blob and the unpacked
# snapshot).
echo "one image takes $((one / 1024 / 1024)) MiB on this store"
# a is the oldest build but was tagged again just now: used recently.
fx_podman || dk tag lru/a:1 lru/a:again
fx_running keeper lru/f:1

high=$(e2e_high_now)
low=$(e2e_low_for_bytes $((one * 7 / 4)))   # about two of the five unused images
e2e_config "$scratch/dc.conf" "$high" "$low" '{ type = "unused-images"; min_age = "0s"; }'
echo "clean at $high% down to below $low% (now $(fx_used_percent)%)"

plan=$("$DOCKERCLEAND" --config "$scratch/dc.conf" --once --dry-run --log-target console 2>/dev/null)
printf '%s\n' "$plan"
planned=$(printf '%s\n' "$plan" | awk '$1 == "remove-image" { print $2 }' | tr '\n' ' ')
echo "planned: $planned"
fx_check "dry run removed nothing" fx_exists lru/b:1
fx_check "the plan starts with the least recently used (b, then c)" grep -q "^${p}lru/b:1 ${p}lru/c:1 " <<<"$planned"
fx_podman || fx_check "the plan never names the recently tagged image" eval '! grep -q "lru/a:" <<<"$planned"'
fx_check "the plan never names the image a running container uses" eval '! grep -q "lru/f:1" <<<"$planned"'

e2e_run_once "$scratch/dc.conf"
fx_check "exit 0" test "$rc" = 0
removed=$(e2e_removed_names "$pid" | tr '\n' ' ')
echo "removed: $removed"
fx_check "the real run removed what the plan said, in order ($removed = $planned)" test "$removed" = "$planned"
fx_check "usage is below the low watermark" fx_lt "$(fx_used_percent)" "$low"
fx_check "least recently used went: b" fx_gone lru/b:1
fx_check "least recently used went: c" fx_gone lru/c:1
fx_check "and no further: d stays" fx_exists lru/d:1
fx_check "e stays" fx_exists lru/e:1
fx_podman || fx_check "the recently tagged image stays, both tags" eval 'fx_exists lru/a:1 && fx_exists lru/a:again'
fx_check "the running container's image stays" fx_exists lru/f:1
dk rm -f keeper >/dev/null
fx_done
