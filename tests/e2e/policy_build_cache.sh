# The build-cache tier: the engine's own build prune, told to keep what is not needed
# (keep-storage = cache size - bytes needed), brings usage below the low watermark; images are untouched.
set -u
. "$(dirname "$0")/common.bash"
fx_podman && fx_skip "Podman has no build cache (its /build/prune answers 404; the tier is skipped there, as the README says)"
fx_reset
fx_image bc/keep:1 1
# Build cache that no image holds: a throwaway stage's two RUN steps of 40 MiB each, the image a small
# one (images that share their layers with the cache are the BuildKit accounting case, not this one).
# The engine prunes whole records: one of them frees well more than the 25 MiB needed.
ctx=$(mktemp -d)
fx_context "$ctx" 0 80
fx_check "a BuildKit build with a throwaway stage" eval 'fx_build_cached -t bc/built:1 "$ctx" >/dev/null'
rm -rf "$ctx"
cache_bytes() { dk system df --format '{{.Type}} {{.Size}}' | awk '$1 == "Build" { print $3 }'; }
before=$(cache_bytes)
echo "build cache before: $before"
fx_check "there is build cache to prune" test -n "$before" -a "$before" != 0B
mib=$((1024 * 1024))
low=$(e2e_low_for_bytes $((25 * mib)))
e2e_config "$scratch/dc.conf" "$(e2e_high_now)" "$low" \
        '{ type = "build-cache"; min_age = "0s"; }, { type = "unused-images"; min_age = "0s"; }'
e2e_run_once "$scratch/dc.conf"
fx_check "exit 0" test "$rc" = 0
after=$(cache_bytes)
echo "build cache after: $after; used $(fx_used_percent)% (low $low%)"
fx_check "usage is below the low watermark" fx_lt "$(fx_used_percent)" "$low"
fx_check "the build cache shrank" test "$after" != "$before"
fx_check "the build-cache tier did it" eval 'e2e_journal "$pid" MESSAGE_ID=c7b9ea3d18b34a68bee697813b22146c | grep -q "\"DOCKERCLEAN_TIER\":\"build-cache\""'
fx_check "the next tier was not needed: the unused image stays" fx_exists bc/keep:1
fx_done
