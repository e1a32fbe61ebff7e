# disk.max_engine_bytes on the real bench engine, through a recording proxy (tests/bench/engine-proxy.py):
#  A: the filesystem far below its watermark, the engine's own bytes above max_engine_bytes: a cleanup
#     removes the least recently used images until they are below target_engine_bytes and stops there,
#     asking /system/df once for the budget and once for its plan, not after each removal; with the
#     budget off the same host is left alone.
#  B: the daemon asks /system/df once, not at every check; an image built under it is in the figures
#     within seconds (growth events; on API 1.42+ only images, build cache and volumes are asked for),
#     and quiet checks after that ask nothing;
#     the figures are in the metrics, STATUS= and --report.
set -u
. "$(dirname "$0")/common.bash"
src=${DOCKERCLEAN_SOURCE_DIR:?}
fx_reset
MIB=1048576

fx_image bud/base:1 0
fx_running bud-job bud/base:1
fx_image bud/a:1 20
e2e_next_second # distinct Created times: a is the least recently used, then b, then c
fx_image bud/b:1 20
e2e_next_second
fx_image bud/c:1 20

# What the engine itself uses, as the budget counts it: LayersSize, the writable layers, the volumes, the
# build cache not shared.
engine_bytes() {
        python3 - "$DOCKERCLEAN_TEST_SOCKET" <<'EOP'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /v1.41/system/df HTTP/1.0\r\nHost: localhost\r\n\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
body = json.loads(data.split(b"\r\n\r\n", 1)[1])
pos = lambda v: v if isinstance(v, int) and v > 0 else 0
n = pos(body.get("LayersSize"))
n += sum(pos(c.get("SizeRw")) for c in body.get("Containers") or [])
n += sum(pos((v.get("UsageData") or {}).get("Size")) for v in body.get("Volumes") or [])
n += sum(pos(b.get("Size")) for b in body.get("BuildCache") or [] if not b.get("Shared"))
print(n)
EOP
}
# layers_hold_blobs: /system/df's LayersSize counts the image content too, not only the unpacked layers:
# with the containerd image store, Docker 28 counts blobs and snapshots (LayersSize about the images'
# Size), Docker 26 the snapshots alone (about half of it).
layers_hold_blobs() {
        curl -sf --unix-socket "$DOCKERCLEAN_TEST_SOCKET" http://localhost/v1.41/system/df | python3 -c 'import json, sys
d = json.load(sys.stdin)
sizes = sum(i.get("Size") or 0 for i in d.get("Images") or [])
sys.exit(0 if sizes and (d.get("LayersSize") or 0) >= 0.8 * sizes else 1)'
}

proxy=
start_proxy() {
        rm -f "$scratch/proxy.sock" "$scratch/proxy.log"
        python3 "$src/tests/bench/engine-proxy.py" "$scratch/proxy.sock" "$DOCKERCLEAN_TEST_SOCKET" "$scratch/proxy.log" &
        proxy=$!
        e2e_wait_for 60 test -S "$scratch/proxy.sock"
}
stop_proxy() { kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null; }
dfs() { grep -c 'GET /v[0-9.]*/system/df' "$scratch/proxy.log" 2>/dev/null || true; }
# budget_conf FILE MAX TARGET [EXTRA [DISK-EXTRA]]: a filesystem watermark no test reaches, the budget as
# given (MAX 0: off).
budget_conf() {
        local paths=""
        [ -n "${DOCKERCLEAN_TEST_STORE_ROOT:-}" ] && paths="\"$DOCKERCLEAN_TEST_STORE_ROOT\""
        local budget=""
        [ "$2" != 0 ] && budget="max_engine_bytes = ${2}L; target_engine_bytes = ${3}L;"
        cat >"$1" <<EOC
engine = { socket = "$scratch/proxy.sock"; };
state_dir = "$scratch/state";
disk = { high_watermark = "99.9%"; low_watermark = "99%"; inode_high_watermark = "99.9%"; inode_low_watermark = "99%";
         paths = [ $paths ]; $budget ${5:-} };
tiers = ( { type = "stopped-containers"; min_age = "0s"; }, { type = "unused-images"; min_age = "0s"; } );
${4:-}
EOC
}

used=$(engine_bytes)
echo "the engine itself uses $used bytes"
blobs_counted=
layers_hold_blobs && blobs_counted=1
# A: needs at least 30 MiB: a and b (20 MiB each) go, c stays.
start_proxy
budget_conf "$scratch/off.conf" 0 0
"$DOCKERCLEAND" --config "$scratch/off.conf" --once --log-target console 2>"$scratch/off.err"
fx_check "A: budget off: exit 0" test $? = 0
fx_check "A: budget off: nothing to do" grep -q 'nothing to do' "$scratch/off.err"
fx_check "A: budget off: bud/a stays" fx_exists bud/a:1
: >"$scratch/proxy.log"

budget_conf "$scratch/a.conf" $((used - 10 * MIB)) $((used - 30 * MIB))
# The dry run's plan: the budget's need, a and b up to the target, c not.
"$DOCKERCLEAND" --config "$scratch/a.conf" --once --dry-run --log-target console >"$scratch/plan.out" 2>/dev/null
cat "$scratch/plan.out" >&2
fx_check "A: the plan says the budget" grep -q '^The engine itself uses .*: clean at max_engine_bytes ' "$scratch/plan.out"
if [ "$DOCKERCLEAN_TEST_STORE_ROOT" != "$DOCKERCLEAN_TEST_DATA_ROOT" ]; then
        # The containerd store: an image's estimate is what removing it frees on disk (its blob and its
        # unpacked snapshot), twice what the engine's LayersSize (the snapshots alone) loses, so the plan
        # takes a alone; the real run measures again in another round and takes b too.
        fx_check "A: the plan takes a (the containerd store: not b)" eval 'grep -q "remove-image .*bud/a:1" "$scratch/plan.out" && ! grep -q "remove-image .*bud/b:1" "$scratch/plan.out"'
        # Where LayersSize counts the blobs too (Docker 28), removing a lowers the engine's own bytes
        # by its estimate, and a alone reaches the target: b stays. Elsewhere (Docker 26) by half of it:
        # the next round takes b.
        [ -n "$blobs_counted" ] && expect_b=stays || expect_b=goes
else
        fx_check "A: the plan takes a and b" eval 'grep -q "remove-image .*bud/a:1" "$scratch/plan.out" && grep -q "remove-image .*bud/b:1" "$scratch/plan.out"'
fi
fx_check "A: ... and not c" eval '! grep -q "bud/c:1" "$scratch/plan.out"'
: >"$scratch/proxy.log"
e2e_run_once "$scratch/a.conf"
fx_check "A: exit 0 (got $rc)" test "$rc" = 0
fx_check "A: the least recently used image went" fx_gone bud/a:1
if [ "${expect_b:-goes}" = goes ]; then
        fx_check "A: the next one went" fx_gone bud/b:1
else
        fx_check "A: the next one stays (LayersSize counts the blobs: a alone reached the target)" fx_exists bud/b:1
fi
fx_check "A: below the target, the newest stays" fx_exists bud/c:1
fx_check "A: the running container and its image stay" eval 'fx_exists bud-job && fx_exists bud/base:1'
after=$(engine_bytes)
fx_check "A: the engine's own bytes are below target_engine_bytes ($after < $((used - 30 * MIB)))" test "$after" -lt $((used - 30 * MIB))
removals=$(grep -c 'DELETE /v[0-9.]*/images/' "$scratch/proxy.log")
# /system/df only once for the budget's trigger and then with each round's snapshot (one container
# listing each), never after a removal: a round that met the budget by its estimates alone is followed by
# one that measures.
snapshots=$(grep -c 'GET /v[0-9.]*/containers/json' "$scratch/proxy.log")
# A snapshot asks /system/df right before its container listing (its body is decoded before the
# listings are held): a df that the listing follows is the next round's, not one after the removal.
between=$(awk '/GET \/v[0-9.]*\/containers\/json/ { d = 0; pending = 0; next }
               pending { n++; pending = 0 }
               /DELETE \/v[0-9.]*\/images\// { d = 1 }
               /GET \/v[0-9.]*\/system\/df/ && d { pending = 1 }
               END { print n + pending }' "$scratch/proxy.log")
fx_check "A: /system/df: the budget's and one per round ($(dfs) = 1 + $snapshots) for $removals image DELETEs" test "$(dfs)" = $((1 + snapshots))
fx_check "A: ... none between a removal and the next round's listing ($between)" test "$between" = 0
fx_check "A: at most three rounds ($snapshots)" test "$snapshots" -le 3
journal=$(e2e_journal "$pid")
fx_check "A: the budget's record says it starts the cleanup" grep -q '"MESSAGE":"The engine itself uses .*: cleaning"' <<<"$journal"
fx_check "A: the record's fields" eval 'grep -q "\"DOCKERCLEAN_ENGINE_MAX_BYTES\":\"$((used - 10 * MIB))\"" <<<"$journal"'
fx_check "A: after the cleanup, below the target by its figures" grep -q 'after the cleanup .*below target_engine_bytes' <<<"$journal"
stop_proxy

# B: the daemon, a budget it does not reach; interval 2s, engine_usage_interval 1h.
start_proxy
notify_log=$scratch/notify.log
: >"$notify_log"
python3 "$src/tests/bench/notify-listener.py" "$scratch/notify.sock" "$notify_log" --timeout 120 &
listener=$!
e2e_wait_for 60 test -S "$scratch/notify.sock"
used=$(engine_bytes)
budget_conf "$scratch/b.conf" $((used + 1024 * MIB)) $((used + 512 * MIB)) \
        "interval = \"2s\"; metrics_file = \"$scratch/metrics.prom\";" 'engine_usage_interval = "1h";'
# At debug level: a measurement record per check, so that "nothing more was asked" is said after
# checks that really ran (e2e_checks).
NOTIFY_SOCKET=$scratch/notify.sock "$DOCKERCLEAND" --config "$scratch/b.conf" --log-target console --log-level debug \
        2>"$scratch/b.err" &
pid=$!
wait_for() { e2e_wait_for "$@"; }
fx_check "B: metrics written" wait_for 20 test -s "$scratch/metrics.prom"
images_metric() { sed -n 's/^dockerclean_engine_bytes{part="images"} //p' "$scratch/metrics.prom" 2>/dev/null; }
fx_check "B: metrics: the engine's bytes by part" grep -qE '^dockerclean_engine_bytes\{part="containers"\} [0-9]+$' "$scratch/metrics.prom"
fx_check "B: metrics: the budget" grep -qx "dockerclean_engine_max_bytes $((used + 1024 * MIB))" "$scratch/metrics.prom"
fx_check "B: STATUS= names what the engine uses" wait_for 5 grep -q 'STATUS=.*; engine uses [0-9.]* [KMG]iB (clean at ' "$notify_log"
fx_check "B: three checks more" e2e_wait_checks "$scratch/b.err" 3
fx_check "B: one /system/df in $(e2e_checks "$scratch/b.err") checks (got $(dfs))" test "$(dfs)" = 1
before=$(images_metric)
fx_image bud/d:1 10
fx_check "B: a new image is in the figures within seconds (growth events)" \
        wait_for 15 eval '[ "$(images_metric)" -ge $((before + 9 * MIB)) ]'
# The build's events came over seconds (its containers, the commit, the tag): a check serves the last
# of them at most a check interval (2 s) after the one-interval gap since the refresh before (2 s), plus
# the second by which a check follows an event. All of them came before the figures showed the image;
# counted in checks from there: the one an event brings, one a refresh too recent skips, the next one
# serves the rest; one more for slack. After that, quiet checks ask nothing more.
fx_check "B: four checks after the refresh" e2e_wait_checks "$scratch/b.err" 4
settled=$(dfs)
fx_check "B: three quiet checks more" e2e_wait_checks "$scratch/b.err" 3
fx_check "B: /system/df after the events ($settled), none in the 3 quiet checks that follow ($(dfs))" \
        eval '[ "$settled" -ge 2 ] && [ "$(dfs)" = "$settled" ]'
# By the API version the engine says (Podman 5.4 says 1.41, Podman 5.8 1.44: it takes type= and answers
# every part anyway).
api=$(curl -sf --unix-socket "$DOCKERCLEAN_TEST_SOCKET" http://localhost/version |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["ApiVersion"])')
if [ "$(printf '%s\n1.42\n' "$api" | sort -V | head -n1)" != 1.42 ]; then
        fx_check "B: API $api: the plain /system/df" eval '! grep -q "system/df?type" "$scratch/proxy.log"'
else
        fx_check "B: API $api (1.42+): only the parts events report" grep -q '/system/df?type=image&type=volume&type=build-cache ' "$scratch/proxy.log"
fi
kill -TERM "$pid"
wait "$pid"
kill "$listener" 2>/dev/null
stop_proxy

# --report: beside the filesystem figures.
e2e_config "$scratch/r.conf" 99 98
sed -i "s|paths = |max_engine_bytes = \"50G\"; paths = |" "$scratch/r.conf"
"$DOCKERCLEAND" --config "$scratch/r.conf" --report >"$scratch/report.out" 2>&1
fx_check "report: the engine's own bytes and the budget" \
        grep -qE '^Engine: +[0-9.]+ [KMG]i?B used by the engine itself \(images .*\); clean at max_engine_bytes 50.0 GiB, down to below 45.0 GiB$' "$scratch/report.out"
grep '^Engine' "$scratch/report.out" >&2
fx_done
