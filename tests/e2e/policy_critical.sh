# The critical watermark: at or above it, what the tiers' own min_age (1h here) leaves goes on with every
# tier's min_age lowered to disk.critical_min_age (10m): the stopped container and the images unused for
# longer than that go; never the running container or its image, nor the protected image. Without the
# critical watermark ("0") nothing goes. The pass is logged as its own record with what the normal pass
# left, and each of its removals with its reason; the dry run shows the pass.
# Ages without sleeping: the daemon's clock is set 15 minutes ahead (DOCKERCLEAN_TEST_CLOCK_OFFSET_SEC,
# the test build's clock seam, lib/time-util.h); with the clock as it is, everything is too young for the
# critical pass too.
set -u
. "$(dirname "$0")/common.bash"
fx_reset

fx_image cr/old:1 4
fx_image cr/old:2 4
fx_image cr/run:1 1
fx_image cr/keep:1 4 --label dockerclean.keep=1
fx_running cr-runner cr/run:1
fx_stopped cr-stopped cr/run:1 2
fx_ballast 100

p=
fx_podman && p=docker.io/
u=$(fx_used_percent | cut -d. -f1)
high=$((u - 4)) critical=$((u - 3))
echo "used $(fx_used_percent)%: high $high%, critical $critical%"
tiers='{ type = "stopped-containers"; min_age = "1h"; }, { type = "unused-images"; min_age = "1h"; }'
# A low watermark of 0%: a target no cleanup reaches, so each pass takes all it may.
e2e_config "$scratch/off.conf" "$high" 0 "$tiers" 'protect = { labels = [ "dockerclean.keep" ]; };'
sed -i "s/^disk = { /disk = { critical_watermark = \"0\"; critical_min_age = \"10m\"; /" "$scratch/off.conf"
e2e_config "$scratch/on.conf" "$high" 0 "$tiers" 'protect = { labels = [ "dockerclean.keep" ]; };'
sed -i "s/^disk = { /disk = { critical_watermark = \"$critical%\"; critical_min_age = \"10m\"; /" "$scratch/on.conf"

plan=$("$DOCKERCLEAND" --config "$scratch/on.conf" --once --dry-run --log-target console 2>/dev/null)
printf '%s\n' "$plan"
fx_check "now: nothing is planned (all of it used within critical_min_age)" eval '! grep -Eq "^ +remove-" <<<"$plan"'
fx_check "now: the old images stay: too young" grep -Eq "^ +keep image +${p}cr/old:1 +too young " <<<"$plan"
fx_check "now: the stopped container stays: too young" grep -Eq "^ +keep container +cr-stopped +too young " <<<"$plan"

export DOCKERCLEAN_TEST_CLOCK_OFFSET_SEC=900
plan=$("$DOCKERCLEAND" --config "$scratch/off.conf" --once --dry-run --log-target console 2>/dev/null)
printf '%s\n' "$plan"
fx_check "off: nothing is planned (all of it used within the tiers' min_age)" eval '! grep -Eq "^ +remove-" <<<"$plan"'
fx_check "off: no critical pass" eval '! grep -q "critical" <<<"$plan"'

plan=$("$DOCKERCLEAND" --config "$scratch/on.conf" --once --dry-run --log-target console 2>/dev/null)
printf '%s\n' "$plan"
planned=$(printf '%s\n' "$plan" | awk '$1 ~ /^remove-/ && $NF == "pass]" { print $2 }' | sort | tr '\n' ' ')
fx_check "on: the plan says the critical pass goes on" grep -q "^At or above the critical watermark" <<<"$plan"
fx_check "on: the critical pass of the stopped-containers tier, with its age" \
        grep -q "^  critical pass, tier stopped-containers (min_age lowered to 10m):" <<<"$plan"
fx_check "on: the critical pass takes exactly the stopped container and the old images ($planned)" \
        test "$planned" = "cr-stopped ${p}cr/old:1 ${p}cr/old:2 "
fx_check "on: nothing by the tiers' own rule" eval '! grep -q "\[tier\]" <<<"$plan"'
fx_check "on: the running container stays: in use" grep -Eq "^ +keep container +cr-runner +in use " <<<"$plan"
fx_check "on: its image stays: in use" grep -Eq "^ +keep image +${p}cr/run:1 +in use " <<<"$plan"
fx_check "on: the protected image stays" grep -Eq "^ +keep image +${p}cr/keep:1 +protected " <<<"$plan"
fx_check "on: the dry run removed nothing" fx_exists cr-stopped

e2e_run_once "$scratch/on.conf"
fx_check "exit 0" test "$rc" = 0
fx_check "the stopped container went" fx_gone cr-stopped
fx_check "cr/old:1 went" fx_gone cr/old:1
fx_check "cr/old:2 went" fx_gone cr/old:2
fx_check "the running container's image stays" fx_exists cr/run:1
fx_check "the protected image stays" fx_exists cr/keep:1
fx_check "the running container still runs" test "$(dk inspect -f '{{.State.Running}}' cr-runner)" = true
record=$(e2e_journal "$pid" MESSAGE_ID=ec71da855eda4e2b800667d16081c480)
echo "critical record: $record" | cut -c1-400
fx_check "one critical-pass record" test "$(grep -c . <<<"$record")" = 1
fx_check "it is a notice" grep -q '"PRIORITY":"5"' <<<"$record"
fx_check "it says what the normal pass left: 3 too young" grep -q '"DOCKERCLEAN_KEPT_TOO_YOUNG":"3"' <<<"$record"
fx_check "... 2 in use, 1 protected" eval 'grep -q "\"DOCKERCLEAN_KEPT_IN_USE\":\"2\"" <<<"$record" && grep -q "\"DOCKERCLEAN_KEPT_PROTECTED\":\"1\"" <<<"$record"'
fx_check "... and the lowered age" grep -q '"DOCKERCLEAN_CRITICAL_MIN_AGE":"10m"' <<<"$record"
removed=$(e2e_journal "$pid" MESSAGE_ID=c7b9ea3d18b34a68bee697813b22146c)
fx_check "three removals with DOCKERCLEAN_RULE=critical" test "$(grep -c '"DOCKERCLEAN_RULE":"critical"' <<<"$removed")" = 3
fx_check "the removals say why" grep -q 'critical pass, min_age lowered to 10m' <<<"$removed"
fx_check "the cleanup's summary counts them" \
        eval 'e2e_journal "$pid" MESSAGE_ID=0df3a46d76df44c1a3c984f92c4e4c45 | grep -q "3 removed (0 by maximum age, 3 in the critical pass)"' 
dk rm -f cr-runner >/dev/null
fx_done
