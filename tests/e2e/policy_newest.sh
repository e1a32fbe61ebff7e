# protect.newest_per_repository = 2: in the unused-images tier the two newest images (created or tagged)
# of each repository stay, however long unused, even with a target no cleanup reaches: of a CI stream
# nw/app:1..4 the two newest builds, and nw/app:1 once tagged again (it becomes one of the two newest:
# nw/app:3 goes in its place); the base image, the only one of its repository, stays too. The dry-run plan
# names exactly what the real run removes and says of each survivor that it is the newest of its
# repository.
set -u
. "$(dirname "$0")/common.bash"
fx_reset

# Podman qualifies the names (docker.io/nw/app:1) and records no LastTagTime: the re-tag case is Docker's.
p=
fx_podman && p=docker.io/
for i in 1 2 3 4; do
        fx_image "nw/app:$i" 2 || fx_fail "build nw/app:$i"
        e2e_next_second   # Created has a resolution of a second on some engines
done
fx_image nw/base:1 2
# A first cleanup that protects everything: afterwards the history knows every image, so the re-tag below
# is seen only if the snapshot still asks each image's LastTagTime (the history cannot tell a tag from a use).
fx_ballast 100
e2e_config "$scratch/warm.conf" "$(e2e_high_now)" 0 '{ type = "unused-images"; min_age = "0s"; }' \
        'protect = { images = [ "nw/*" ]; };'
e2e_run_once "$scratch/warm.conf"
fx_check "the first cleanup: exit 0" test "$rc" = 0
fx_check "the history was saved" test -s "$scratch/state/image-history"
if fx_podman; then
        echo "engine ${DOCKERCLEAN_TEST_ENGINE}: the re-tag case is skipped: Podman records no LastTagTime"
        expect_gone="nw/app:1 nw/app:2" expect_kept="nw/app:3 nw/app:4 nw/base:1"
else
        dk tag nw/app:1 nw/app:again
        expect_gone="nw/app:2 nw/app:3" expect_kept="nw/app:1 nw/app:4 nw/base:1"
fi

# A target no cleanup reaches (low 0%): only the rule keeps anything. (The ballast put the filesystem
# above 1%, so that a high watermark just below its use is above the low one.)
e2e_config "$scratch/dc.conf" "$(e2e_high_now)" 0 '{ type = "unused-images"; min_age = "0s"; }' \
        'protect = { newest_per_repository = 2; };'
plan=$("$DOCKERCLEAND" --config "$scratch/dc.conf" --once --dry-run --log-target console 2>/dev/null)
printf '%s\n' "$plan"
planned=$(printf '%s\n' "$plan" | awk '$1 == "remove-image" { print $2 }' | sort | tr '\n' ' ')
want=$(for x in $expect_gone; do echo "$p$x"; done | sort | tr '\n' ' ')
fx_check "the plan names exactly the older builds ($planned = $want)" test "$planned" = "$want"
for x in $expect_kept; do
        fx_check "the plan keeps $x as the newest of its repository" \
                grep -Eq "^ +keep image +$p$x .*newest of its repository \(tier unused-images\)" <<<"$plan"
done
fx_check "the plan counts them" grep -q "^Kept: 0 in use, 0 protected, 3 newest of their repository" <<<"$plan"
fx_check "the dry run removed nothing" fx_exists nw/app:2

e2e_run_once "$scratch/dc.conf"
fx_check "exit 0" test "$rc" = 0
for x in $expect_gone; do fx_check "$x went" fx_gone "$x"; done
for x in $expect_kept; do fx_check "$x stays" fx_exists "$x"; done
fx_podman || fx_check "the re-tagged image keeps both tags" fx_exists nw/app:again
# Every tier exhausted, and the record counts the newest.
ex=$(e2e_journal "$pid" MESSAGE_ID=01989c3678f34ed3b299ffb37c236af5)
fx_check "every tier exhausted counts 3 newest of their repository" grep -q '"DOCKERCLEAN_KEPT_NEWEST":"3"' <<<"$ex"
fx_done
