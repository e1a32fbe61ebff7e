# A misbehaving engine (the scripted fake, tests/fake/fake-engine.py): every failure of a check is said,
# with the request, the HTTP status and the engine's message or the decoder's reason; --once exits 69;
# the long-running daemon says a failure once, not at every interval; a metrics file that cannot be
# written is a warning, once. Needs no real engine.
set -u
. "$(dirname "$0")/common.bash"
src=${DOCKERCLEAN_SOURCE_DIR:?}
mkdir -p "$scratch/root"

fake=
start_fake() { # start_fake SCENARIO [ARGS]: the fake on $scratch/fake.sock, its DockerRootDir $scratch/root
        local scenario=$1; shift
        rm -f "$scratch/fake.sock" "$scratch/fake.in" "$scratch/fake.out" "$scratch/fake.log"
        mkfifo "$scratch/fake.in"
        python3 "$src/tests/fake/fake-engine.py" --socket "$scratch/fake.sock" --log "$scratch/fake.log" \
                --root "$scratch/root" "$@" "$scenario" <"$scratch/fake.in" >"$scratch/fake.out" &
        fake=$!
        exec 3>"$scratch/fake.in" # the fake exits when this closes
        # Its "ready" line, with a deadline a loaded host meets (python's start alone can take seconds).
        e2e_wait_for 60 grep -q '^ready' "$scratch/fake.out" 2>/dev/null && return 0
        echo "the fake engine did not start within 60 s" >&2
        return 1
}
stop_fake() { exec 3>&-; wait "$fake" 2>/dev/null; }

# The filesystem of $scratch is far above 1%: every check starts a cleanup.
cat >"$scratch/dc.conf" <<EOC
engine = { socket = "unix://$scratch/fake.sock"; };
state_dir = "$scratch/state";
interval = "1s";
disk = { high_watermark = "1%"; low_watermark = "0.5%"; };
EOC

once() { # once SCENARIO EXPECTED-TEXT: --once exits 69 and says EXPECTED-TEXT (a fixed string)
        start_fake "$1" || { fx_fail "$1: fake started"; return; }
        "$DOCKERCLEAND" --config "$scratch/dc.conf" --once --log-target console >"$scratch/out" 2>"$scratch/err"
        local rc=$?
        stop_fake
        fx_check "$1: --once exits 69 (got $rc)" test "$rc" = 69
        fx_check "$1: says what failed: $2" grep -qF -- "$2" "$scratch/err"
        fx_check "$1: the check failure is a warning" grep -q '^warning: Check failed: ' "$scratch/err"
        fx_check "$1: no '0 removed' summary" eval '! grep -q "Cleanup finished: 0 removed" "$scratch/err"'
        if ! grep -qF -- "$2" "$scratch/err"; then cat "$scratch/err" >&2; fi
}
once error-500-json 'GET /v1.41/containers/json answered HTTP 500: fake: storage driver on fire'
fx_check "the summary says the cleanup could not run, and why" \
        grep -q '^Cleanup could not run: GET /v1.41/containers/json answered HTTP 500: fake: storage driver on fire; nothing was removed$' "$scratch/err"
once error-500-text 'GET /v1.41/containers/json answered HTTP 500: fake: plain text failure second line'
once not-json "GET /v1.41/containers/json: malformed answer to /containers/json: '[' or '{' expected near '<' at byte 1"
once truncated-close 'GET /v1.41/containers/json: malformed answer to /containers/json: premature end of input'
once wrong-shape 'GET /v1.41/info: malformed answer to /info: expected an object, got an array'
once wrong-types 'GET /v1.41/containers/json: malformed answer to /containers/json[0]: "Id" is a number, not a string'
once deep 'GET /v1.41/containers/json: malformed answer to /containers/json: maximum parsing depth reached'
once info-wrong-types 'GET /v1.41/info: malformed answer to /info: "DockerRootDir" is a number, not a string'
# The daemon: the same failure at every interval is said once; the cleanup summary each time says why.
start_fake error-500-json
"$DOCKERCLEAND" --config "$scratch/dc.conf" --log-target console 2>"$scratch/daemon.err" &
pid=$!
e2e_wait_for 60 eval '[ "$(grep -c "^Cleanup could not run" "$scratch/daemon.err")" -ge 3 ]'
kill -TERM "$pid"
wait "$pid"
stop_fake
fx_check "three failed cleanups in a row" test "$(grep -c '^Cleanup could not run: GET /v1.41/containers/json answered HTTP 500' "$scratch/daemon.err")" -ge 3
fx_check "the check failure is said once, with what comes next" \
        test "$(grep -c '^warning: Check failed: .*trying again at the next check (every 1s)$' "$scratch/daemon.err")" = 1

# Journal fields of the failure record.
start_fake error-500-json
"$DOCKERCLEAND" --config "$scratch/dc.conf" --once --log-target journal &
pid=$!
wait "$pid"
stop_fake
fields=$(e2e_journal "$pid" MESSAGE_ID=a8672f7d475e405fa7cde968a44e7794)
fx_check "journal: DOCKERCLEAN_REQUEST" grep -q '"DOCKERCLEAN_REQUEST":"GET /v1.41/containers/json"' <<<"$fields"
fx_check "journal: DOCKERCLEAN_HTTP_STATUS" grep -q '"DOCKERCLEAN_HTTP_STATUS":"500"' <<<"$fields"
fx_check "journal: DOCKERCLEAN_ERROR" grep -q '"DOCKERCLEAN_ERROR":"GET /v1.41/containers/json answered HTTP 500: fake: storage driver on fire"' <<<"$fields"
fx_check "journal: PRIORITY warning" grep -q '"PRIORITY":"4"' <<<"$fields"

# A metrics file that cannot be written: a warning, once, however many checks follow.
start_fake ok
cat >"$scratch/metrics.conf" <<EOC
engine = { socket = "unix://$scratch/fake.sock"; };
state_dir = "$scratch/state";
interval = "1s";
metrics_file = "$scratch/no-such-dir/dockerclean.prom";
disk = { high_watermark = "99.99%"; low_watermark = "99%"; };
EOC
"$DOCKERCLEAND" --config "$scratch/metrics.conf" --log-target console --log-level debug 2>"$scratch/metrics.err" &
pid=$!
fx_check "metrics failure: said" e2e_wait_for 60 grep -q 'Cannot write the metrics file' "$scratch/metrics.err"
fx_check "metrics failure: three checks more (none may say it again)" e2e_wait_checks "$scratch/metrics.err" 3
kill -TERM "$pid"
wait "$pid"
stop_fake
fx_check "metrics failure: one warning" test "$(grep -c "^warning: Cannot write the metrics file $scratch/no-such-dir/dockerclean.prom" "$scratch/metrics.err")" = 1

# --once below every trigger says so in one line; an empty tier list is a warning.
start_fake ok
sed -e '/metrics_file/d' "$scratch/metrics.conf" >"$scratch/below.conf"
echo 'tiers = ();' >>"$scratch/below.conf"
"$DOCKERCLEAND" --config "$scratch/below.conf" --once --log-target console 2>"$scratch/below.err"
rc=$?
stop_fake
fx_check "below: exit 0" test "$rc" = 0
fx_check "below: one line says nothing was needed" grep -q "^$scratch/root: .* used, below the high watermark (99.99%) and every other trigger: nothing to do$" "$scratch/below.err"
fx_check "empty tiers: a warning" grep -q '^warning: .*tiers is empty: cleaning is off' "$scratch/below.err"

# The image store changed (graph driver to containerd): image ids with it, so the usage history is
# rebuilt, said once; the file then records the new store.
mkdir -p "$scratch/state"
printf 'dockerclean-history 1\nstore graphdriver\nsha256:%s 1700000000000000000\n' "$(printf 'e%.0s' $(seq 64))" \
        >"$scratch/state/image-history"
start_fake ok --containerd-store
"$DOCKERCLEAND" --config "$scratch/below.conf" --once --log-target console 2>"$scratch/store.err"
stop_fake
fx_check "store change: said once" test "$(grep -c "image store changed from graphdriver to containerd" "$scratch/store.err")" = 1
fx_check "store change: the history records the new store" grep -qx 'store containerd' "$scratch/state/image-history"
fx_check "store change: the old store's ids are gone" eval '! grep -q "^sha256:eee" "$scratch/state/image-history"'

# A stuck host: above the watermark, and nothing may go (a running container and its image, a protected
# image, one the engine refuses to delete). The warning is said once per episode with the reasons; the
# next plans wait for a change or a back-off doubling from the interval, not every interval.
now=$(date +%s)
cat >"$scratch/world.json" <<EOW
{"containers": [{"Id": "r1111111111111111111111111111111111111111111111111111111111111111", "Name": "job",
                 "ImageID": "sha256:$(printf 'a%.0s' $(seq 64))", "State": "running", "Created": $((now - 86400))}],
 "images": [{"Id": "sha256:$(printf 'a%.0s' $(seq 64))", "RepoTags": ["app:1"], "Created": $((now - 86400))},
            {"Id": "sha256:$(printf 'b%.0s' $(seq 64))", "RepoTags": ["base:1"], "Created": $((now - 86400))},
            {"Id": "sha256:$(printf 'c%.0s' $(seq 64))", "RepoTags": ["old:1"], "Created": $((now - 86400)), "refuse": true}]}
EOW
cat >"$scratch/stuck.conf" <<EOC
engine = { socket = "unix://$scratch/fake.sock"; };
state_dir = "$scratch/state";
interval = "1s";
disk = { high_watermark = "1%"; low_watermark = "0.5%"; };
tiers = ( { type = "stopped-containers"; min_age = "0s"; }, { type = "unused-images"; min_age = "0s"; } );
protect = { images = [ "base" ]; };
EOC
start_fake world --world "$scratch/world.json" --data "$scratch/root"
"$DOCKERCLEAND" --config "$scratch/stuck.conf" --log-target console --log-level debug 2>"$scratch/stuck.err" &
pid=$!
# Nine checks: the first and eight intervals (counted: the checks that really ran, not the seconds).
fx_check "stuck: nine checks ran" e2e_wait_for 120 eval '[ "$(e2e_checks "$scratch/stuck.err")" -ge 9 ]'
kill -TERM "$pid"
wait "$pid"
stop_fake
plans=$(grep -c '^GET /v1.41/system/df' "$scratch/fake.log")
echo "stuck host: $plans plans (/system/df) in $(e2e_checks "$scratch/stuck.err") checks"
fx_check "stuck: at least one plan" test "$plans" -ge 1
fx_check "stuck: at most 4 plans in 8 intervals (back-off 1s, 2s, 4s)" test "$plans" -le 4
fx_check "stuck: never /images/prune" eval '! grep -q "/images/prune" "$scratch/fake.log"'
fx_check "stuck: the warning once" test "$(grep -c '^warning: Every tier is exhausted' "$scratch/stuck.err")" = 1
fx_check "stuck: the reasons" grep -q 'kept: 2 in use or running, 1 protected, 0 newest of their repository, 0 younger than min_age, 0 over max_removals, 1 refused by the engine; planning again when an engine event frees something, usage grows by a point, or in 1s' "$scratch/stuck.err"
grep '^warning: Every tier' "$scratch/stuck.err" >&2

start_fake world --world "$scratch/world.json" --data "$scratch/root"
"$DOCKERCLEAND" --config "$scratch/stuck.conf" --once --log-target console 2>"$scratch/stuck-once.err"
rc=$?
stop_fake
fx_check "stuck --once: exit 0" test "$rc" = 0
fx_check "stuck --once: one line with the reasons" grep -q '^warning: Every tier is exhausted .*kept: 2 in use or running, 1 protected, .*1 refused by the engine; not planning again (--once)$' "$scratch/stuck-once.err"
fx_done
