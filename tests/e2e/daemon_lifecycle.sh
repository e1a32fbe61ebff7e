# The daemon in the foreground as systemd would run it (NOTIFY_SOCKET read by a listener): READY,
# STATUS, RELOADING, STOPPING in order; SIGHUP with a good and a broken file; the engine stopped and
# started under it (it recovers by itself, logging once each way); the metrics file; journal fields.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
src=${DOCKERCLEAN_SOURCE_DIR:?}

notify_log=$scratch/notify.log
: >"$notify_log"
python3 "$src/tests/bench/notify-listener.py" "$scratch/notify.sock" "$notify_log" --timeout 300 &
listener=$!
e2e_wait_for 60 test -S "$scratch/notify.sock"

wait_for() { e2e_wait_for "$@"; } # wait_for SECONDS CMD...: polls until CMD succeeds
notified() { grep -q -- "$1" "$notify_log"; }
count_notified() { grep -c -- "$1" "$notify_log" || true; }
notified_at_least() { [ "$(count_notified "$1")" -ge "$2" ]; }

# Below the watermark: nothing to clean; a 1-minute interval.
e2e_config "$scratch/dc.conf" 99 98 '{ type = "stopped-containers"; min_age = "0s"; }' \
        "interval = \"1m\"; metrics_file = \"$scratch/metrics.prom\";"
NOTIFY_SOCKET=$scratch/notify.sock WATCHDOG_USEC=1000000 "$DOCKERCLEAND" --config "$scratch/dc.conf" --log-target journal &
pid=$!
fx_check "READY=1 arrives" wait_for 20 notified "READY=1"
fx_check "STATUS= tells usage and thresholds" wait_for 5 grep -qE 'STATUS=[0-9.]+% used( on [^ ]+)? \(clean at 99%' "$notify_log"
fx_check "WATCHDOG=1 every half WATCHDOG_USEC" wait_for 5 notified_at_least 'WATCHDOG=1' 3
fx_check "metrics file written" wait_for 5 test -s "$scratch/metrics.prom"
fx_check "metrics: engine up" grep -qx 'dockerclean_engine_up 1' "$scratch/metrics.prom"
fx_check "metrics: used ratio, by filesystem" grep -qE "^dockerclean_filesystem_used_ratio\{path=\"$DOCKERCLEAN_TEST_DATA_ROOT\"\} 0\.[0-9]+" "$scratch/metrics.prom"

# SIGHUP with a good file: RELOADING=1 then READY=1, and a journal record.
sed -i 's/interval = "1m"/interval = "50s"/' "$scratch/dc.conf"
kill -HUP "$pid"
fx_check "RELOADING=1 after SIGHUP" wait_for 10 notified "RELOADING=1"
fx_check "READY=1 again after the reload" wait_for 10 notified_at_least 'READY=1' 2
# SIGHUP with a broken file: the running configuration stays, the error is logged with file and line.
printf 'disk = { high_watermark = "85%%"; low_watermark = "95%%"; };\n' >"$scratch/dc.conf"
kill -HUP "$pid"
fx_check "READY=1 after the rejected reload" wait_for 10 notified_at_least 'READY=1' 3
fx_check "still running after a broken reload" kill -0 "$pid"

# The engine goes away and comes back: the daemon notices by itself and recovers.
bench_dir=$DOCKERCLEAN_TEST_BENCH_DIR
. "$src/tests/bench/engine.sh"
bench_engine_kill "$bench_dir"
# No signal: the event stream's drop is what tells the daemon (it polls nothing while idle).
fx_check "STATUS says the engine is unreachable" wait_for 20 notified "STATUS=engine unreachable"
fx_check "metrics: engine down" wait_for 10 grep -qx 'dockerclean_engine_up 0' "$scratch/metrics.prom"
bench_dockerd_start "$bench_dir" || fx_fail "bench engine restart"
fx_check "it recovers by itself (backoff, no signal)" wait_for 30 grep -qx 'dockerclean_engine_up 1' "$scratch/metrics.prom"
fx_check "still running" kill -0 "$pid"

# SIGUSR1: a check now (the metrics file is rewritten after every check; the interval is 50 s).
rm -f "$scratch/metrics.prom"
kill -USR1 "$pid"
fx_check "SIGUSR1 runs a check at once" wait_for 5 test -s "$scratch/metrics.prom"

# SIGTERM: STOPPING=1 and exit 0 within 5 s.
t0=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid"; rc=$?
t1=$(date +%s.%N)
fx_check "exit 0 on SIGTERM (got $rc)" test "$rc" = 0
fx_check "stopped within 5 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }'
fx_check "STOPPING=1" notified "STOPPING=1"

# Order: READY before RELOADING before STOPPING.
order=$(grep -oE 'READY=1|RELOADING=1|STOPPING=1' "$notify_log" | uniq | tr '\n' ' ')
echo "notify order: $order"
fx_check "READY, RELOADING, READY, ..., STOPPING in order" grep -qE '^READY=1 RELOADING=1 READY=1 .*STOPPING=1 $' <<<"$order"

# journald takes datagrams asynchronously: read once the daemon's last record ("Stopping") is there.
stopping() { journal=$(e2e_journal "$pid"); grep -q '"MESSAGE":"Stopping"' <<<"$journal"; }
e2e_wait_for 30 stopping
engine_records() { grep -E '"MESSAGE_ID":"(57aafb9fb9c24ce980554d9e40282cd8|50cd910f80224bc48b7ea86a7f27afc8)"' <<<"$journal" |
        python3 -c 'import sys, json
for l in sys.stdin: print(json.loads(l)["MESSAGE"])'; }
echo "engine records:"; engine_records
fx_check "journal: started record" grep -q '"MESSAGE_ID":"3733a79fbf944965a1a810026bb34244"' <<<"$journal"
fx_check "journal: configuration reloaded" grep -q '"MESSAGE_ID":"ad877b508a53466888d63380f14b4bf0"' <<<"$journal"
rejected_names_line() { grep '"MESSAGE_ID":"990224cd017a41eb9afdb07b4a0ff789"' <<<"$journal" | grep -qE 'dc.conf:1: disk.low_watermark'; }
fx_check "journal: configuration rejected, with file, line and key" rejected_names_line
fx_check "journal: engine unreachable once" test "$(grep -c '"MESSAGE_ID":"57aafb9fb9c24ce980554d9e40282cd8"' <<<"$journal")" = 1
fx_check "journal: engine back once" test "$(grep -c '"MESSAGE_ID":"50cd910f80224bc48b7ea86a7f27afc8"' <<<"$journal")" = 1

kill "$listener" 2>/dev/null
fx_done
