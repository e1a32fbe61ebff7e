# Tier order and the objects no configuration removes.
#  A: a cleanup that the first tier (stopped containers) satisfies touches nothing else.
#  B: with a target no tier can reach, everything eligible goes and the survivors are exactly the images
#     a stopped, a created and a running container use, the label-protected and the glob-protected
#     images; one warning says every tier is exhausted.
set -u
. "$(dirname "$0")/common.bash"
fx_reset

fx_image tier/base:1 1
fx_image tier/used-by-stopped:1 20
fx_image tier/used-by-created:1 20
fx_image tier/used-by-running:1 20
fx_image tier/labelled:1 20 --label dockerclean.keep=yes
fx_image keep/by-glob:1 20
fx_image tier/unused:1 30
fx_dangling tier/rebuilt:1 30          # leaves one dangling 30 MiB image
fx_stopped user-of-image tier/used-by-stopped:1 1 --label dockerclean.keep=1   # a protected stopped container
fx_created created-user tier/used-by-created:1 --label dockerclean.keep=1   # protected: it must outlive tier 1
fx_running running-user tier/used-by-running:1
for i in 1 2 3; do fx_stopped "junk$i" tier/base:1 30; done

all_tiers='{ type = "stopped-containers"; min_age = "0s"; },
           { type = "dangling-images"; min_age = "0s"; },
           { type = "build-cache"; min_age = "0s"; },
           { type = "unused-images"; min_age = "0s"; }'
protect='protect = { labels = [ "dockerclean.keep" ]; images = [ "keep/*" ]; };'

# A: about one stopped container's worth is needed.
mib=$((1024 * 1024))
e2e_config "$scratch/a.conf" "$(e2e_high_now)" "$(e2e_low_for_bytes $((20 * mib)))" "$all_tiers" "$protect"
e2e_run_once "$scratch/a.conf"
fx_check "A: exit 0" test "$rc" = 0
tiers_seen=$(e2e_journal "$pid" MESSAGE_ID=c7b9ea3d18b34a68bee697813b22146c | grep -o '"DOCKERCLEAN_TIER":"[a-z-]*"' | sort -u | tr '\n' ' ')
echo "A: tiers that removed something: $tiers_seen"
fx_check "A: only the stopped-containers tier removed anything" test "$tiers_seen" = '"DOCKERCLEAN_TIER":"stopped-containers" '
fx_check "A: the dangling image is still there" test -n "$(dk images -q --filter dangling=true)"
fx_check "A: the unused image is still there" fx_exists tier/unused:1
fx_check "A: the protected stopped container stays" fx_exists user-of-image

# B: a trigger that still holds when everything eligible is gone (1%: the survivors alone use more).
e2e_config "$scratch/b.conf" 1 0 "$all_tiers" "$protect"
plan=$("$DOCKERCLEAND" --config "$scratch/b.conf" --once --dry-run --log-target console 2>/dev/null)
fx_check "B: the dry run says the target is out of reach" grep -q '^Needed: more than the filesystem holds\.' <<<"$plan"
e2e_run_once "$scratch/b.conf"
fx_check "B: exit 0" test "$rc" = 0
fx_check "B: no stopped junk left" test -z "$(dk ps -aq --filter name=junk)"
fx_check "B: the dangling image went" test -z "$(dk images -q --filter dangling=true)"
fx_check "B: the unused image went" fx_gone tier/unused:1
fx_check "B: the rebuilt tag's current image went (unused)" fx_gone tier/rebuilt:1
fx_check "B: base went once its stopped containers were gone" fx_gone tier/base:1
for ref in tier/used-by-stopped:1 tier/used-by-created:1 tier/used-by-running:1 tier/labelled:1 keep/by-glob:1; do
        fx_check "B: survivor $ref" fx_exists "$ref"
done
for c in user-of-image created-user running-user; do fx_check "B: container $c stays" fx_exists "$c"; done
journal=$(e2e_journal "$pid")
fx_check "B: one warning that every tier is exhausted" \
        test "$(grep -c '"MESSAGE_ID":"01989c3678f34ed3b299ffb37c236af5"' <<<"$journal")" = 1
exhausted_priority() { grep '"MESSAGE_ID":"01989c3678f34ed3b299ffb37c236af5"' <<<"$journal" | grep -q '"PRIORITY":"4"'; }
fx_check "B: at warning priority" exhausted_priority

dk rm -f running-user created-user user-of-image >/dev/null
fx_done
