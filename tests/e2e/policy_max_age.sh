# The tiers' max_unused_age, the one lever that cleans without disk pressure.
#  A (--once, far below every trigger): the images unused for longer than max_unused_age go, and the build
#    cache records as old (a prune that keeps nothing); never an image a container uses, a protected one,
#    or one unused for less than that. The dry run names exactly those and says why the rest stays; each
#    removal is logged with its reason.
#    Ages without sleeping: A runs the daemon with the clock as it is (everything is too young for a
#    max_unused_age of 10m: nothing goes) and then 15 minutes ahead (DOCKERCLEAN_TEST_CLOCK_OFFSET_SEC,
#    the test build's clock seam, lib/time-util.h).
#  B (the daemon, interval 5s, checks after engine events too; the real clock, max_unused_age 2s): the
#    pass runs at most once per interval, however many checks come in between, and again after it (an
#    image that grew old meanwhile goes).
set -u
. "$(dirname "$0")/common.bash"
fx_reset

fx_image mx/old:1 2
fx_image mx/old:2 2
fx_image mx/pinned:1 2
fx_image mx/keep:1 2 --label dockerclean.keep=1
fx_image mx/probe:1 0 --label dockerclean.keep=1      # tagged in B to make the daemon check; protected
fx_created pinned-user mx/pinned:1
cache_bytes() { dk system df --format '{{.Type}} {{.Size}}' | awk '$1 == "Build" { print $3 }'; }
with_cache=
if ! fx_podman; then
        with_cache=1
        ctx=$(mktemp -d)
        cp "$(fx_busybox)" "$ctx/busybox"
        printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","dd","if=/dev/urandom","of=/x","bs=1M","count=5"]\n' >"$ctx/Dockerfile"
        fx_check "a BuildKit build with a RUN step" eval 'fx_build_cached "$ctx" >/dev/null'
        rm -rf "$ctx"
        fx_check "there is build cache" test -n "$(cache_bytes)" -a "$(cache_bytes)" != 0B
        cache_built=$(date +%s)
else
        echo "engine ${DOCKERCLEAN_TEST_ENGINE}: the build cache case is skipped: Podman has no build cache"
fi
p=
fx_podman && p=docker.io/
used=$(fx_used_percent)
tiers='{ type = "unused-images"; min_age = "1s"; max_unused_age = "10m"; }'
# The build cache's age is the engine's to judge (its prune's "until" filter, by the engine's clock, which
# the seam does not move): 2s of real time, waited for below by the clock.
[ -n "$with_cache" ] && tiers="$tiers, { type = \"build-cache\"; min_age = \"1s\"; max_unused_age = \"2s\"; }"
e2e_config "$scratch/a.conf" 99 98 "$tiers"
fx_check "A: far below the high watermark ($used% used)" fx_lt "$used" 90

plan=$("$DOCKERCLEAND" --config "$scratch/a.conf" --once --dry-run --log-target console 2>/dev/null)
printf '%s\n' "$plan"
fx_check "A, now: no image is planned (all of them unused for less than 10m)" eval '! grep -Eq "^ +remove-" <<<"$plan"'
fx_check "A, now: the old image stays: unused for less than max_unused_age" \
        grep -Eq "^ +keep image +${p}mx/old:1 +unused for less than max_unused_age \(tier unused-images, old enough at " <<<"$plan"

export DOCKERCLEAN_TEST_CLOCK_OFFSET_SEC=900
plan=$("$DOCKERCLEAND" --config "$scratch/a.conf" --once --dry-run --log-target console 2>/dev/null)
printf '%s\n' "$plan"
planned=$(printf '%s\n' "$plan" | awk '$1 == "remove-image" { print $2 }' | sort | tr '\n' ' ')
fx_check "A: the plan says only the maximum-age pass runs" grep -q "^Below every trigger: only the maximum-age pass runs" <<<"$plan"
fx_check "A: the plan names exactly the old images ($planned)" test "$planned" = "${p}mx/old:1 ${p}mx/old:2 "
fx_check "A: each by maximum age" test "$(grep -c '^ *remove-image .*\[maximum age\]$' <<<"$plan")" = 2
fx_check "A: nothing by the tiers' own rule" eval '! grep -q "\[tier\]" <<<"$plan"'
if [ -n "$with_cache" ]; then
        fx_check "A: the build cache by maximum age, keeping nothing" \
                grep -Eq '^ *prune-build-cache .*\[maximum age\] \(keep 0 B, unused for 2s\)' <<<"$plan"
fi
fx_check "A: the plan keeps the image a container uses" grep -Eq "^ +keep image +${p}mx/pinned:1 +in use " <<<"$plan"
fx_check "A: the plan keeps the protected image" grep -Eq "^ +keep image +${p}mx/keep:1 +protected " <<<"$plan"
fx_check "A: the dry run removed nothing" fx_exists mx/old:1

# The build cache unused for 3 s by the clock (the builds above usually took longer; a poll, not a sleep).
[ -n "$with_cache" ] && e2e_wait_for 10 eval '[ $(($(date +%s) - cache_built)) -ge 3 ]'
e2e_run_once "$scratch/a.conf"
fx_check "A: exit 0" test "$rc" = 0
fx_check "A: mx/old:1 went" fx_gone mx/old:1
fx_check "A: mx/old:2 went" fx_gone mx/old:2
fx_check "A: the image a container uses stays" fx_exists mx/pinned:1
fx_check "A: the protected image stays" fx_exists mx/keep:1
[ -n "$with_cache" ] && fx_check "A: the build cache is empty ($(cache_bytes))" test "$(cache_bytes)" = 0B
journal=$(e2e_journal "$pid" MESSAGE_ID=c7b9ea3d18b34a68bee697813b22146c)
fx_check "A: two images removed with DOCKERCLEAN_RULE=max-age" \
        test "$(grep '"DOCKERCLEAN_TIER":"unused-images"' <<<"$journal" | grep -c '"DOCKERCLEAN_RULE":"max-age"')" = 2
fx_check "A: the removals say why" grep -q 'unused for longer than max_unused_age (10m), removed without waiting for disk pressure' <<<"$journal"
fx_check "A: the cleanup's summary counts them" \
        eval 'e2e_journal "$pid" MESSAGE_ID=0df3a46d76df44c1a3c984f92c4e4c45 | grep -Eq "[0-9]+ removed \([23] by maximum age, 0 in the critical pass\)"'
fx_check "A: the cleanup says it is not for disk pressure" \
        eval 'e2e_journal "$pid" MESSAGE_ID=6df2c895cce6421b8dfcbd68ed87e9e6 | grep -q "without disk pressure"'

unset DOCKERCLEAN_TEST_CLOCK_OFFSET_SEC
fx_image mx/young:1 2
# B: the daemon. Checks come at every interval and after every engine event (the tags below).
e2e_config "$scratch/b.conf" 99 98 '{ type = "unused-images"; min_age = "1s"; max_unused_age = "2s"; }' \
        "interval = \"5s\"; metrics_file = \"$scratch/metrics\";"
t0=$(date +%s.%N)
"$DOCKERCLEAND" --config "$scratch/b.conf" --log-target journal --log-level debug &
pid=$!
e2e_wait_for 30 fx_gone mx/young:1
fx_check "B: the first pass removed the image unused for longer than 2 s" fx_gone mx/young:1
fx_image mx/late:1 0
# Checks between passes: each tag is an event the daemon checks after (the metrics file is rewritten).
for i in 1 2 3 4 5 6; do
        rm -f "$scratch/metrics"
        dk tag mx/probe:1 "mx/probe:t$i" >/dev/null
        e2e_wait_for 30 test -s "$scratch/metrics"
        sleep 0.5 # time passes between the checks: mx/late grows old, passes fall in different intervals
done
# mx/late:1 is old by now; the pass after the interval takes it (at most two intervals away).
e2e_wait_for 30 fx_gone mx/late:1
fx_check "B: a later pass removed the image that grew old meanwhile" fx_gone mx/late:1
kill -TERM "$pid"
wait "$pid"
t1=$(date +%s.%N)
stopping() { journal=$(e2e_journal "$pid"); grep -q '"MESSAGE":"Stopping"' <<<"$journal"; }
e2e_wait_for 30 stopping
# A pass that removes something is a cleanup (started, with DOCKERCLEAN_RULE=max-age); one that finds
# nothing is said at debug.
passes=$(( $(grep '"MESSAGE_ID":"6df2c895cce6421b8dfcbd68ed87e9e6"' <<<"$journal" | grep -c '"DOCKERCLEAN_RULE":"max-age"') +
           $(grep -c 'Maximum-age pass: nothing is unused for longer than max_unused_age' <<<"$journal") ))
fx_check "B: a pass that finds nothing is no cleanup (no notice)" \
        test "$(grep '"MESSAGE_ID":"0df3a46d76df44c1a3c984f92c4e4c45"' <<<"$journal" | grep -c '"MESSAGE":"Cleanup finished: 0 removed')" = 0
checks=$(grep -c 'cleaning starts at' <<<"$journal")
bound=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d\n", (b - a) / 5 + 1 }')
echo "B: $checks checks, $passes maximum-age passes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
fx_check "B: at most one pass per interval ($passes <= $bound)" test "$passes" -le "$bound"
fx_check "B: more checks than passes ($checks > $passes)" test "$checks" -gt "$passes"
fx_check "B: at least two passes" test "$passes" -ge 2
fx_check "B: the protected probe stays" fx_exists mx/probe:1
dk rm -f pinned-user >/dev/null
fx_done
