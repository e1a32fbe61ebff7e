# exhausted_command, the last resort, on a stuck host the scripted fake engine keeps stuck (a running
# container pins the only image): a command that exits 0 gets its arguments and the measured figures and
# runs once per exhausted episode, again in the next one; one that fails is said and the daemon goes
# on; one that hangs is killed at its timeout, with what it started, while the daemon keeps checking; a
# daemon stopping kills it; a command or file others can change is refused (exit 78; a reload keeps the
# running configuration). The fake is right here: a real engine cannot be kept exhausted on demand
# within seconds (tests/e2e/lastresort_engine.sh runs it once on the real one).
set -u
. "$(dirname "$0")/common.bash"
src=${DOCKERCLEAN_SOURCE_DIR:?}
mkdir -p "$scratch/root"

fake=
start_fake() {
        rm -f "$scratch/fake.sock" "$scratch/fake.in" "$scratch/fake.out"
        mkfifo "$scratch/fake.in"
        python3 "$src/tests/fake/fake-engine.py" --socket "$scratch/fake.sock" --log "$scratch/fake.log" \
                --root "$scratch/root" --world "$scratch/world.json" --data "$scratch/root" world \
                <"$scratch/fake.in" >"$scratch/fake.out" &
        fake=$!
        exec 3>"$scratch/fake.in"
        for _ in $(seq 1 100); do grep -q '^ready' "$scratch/fake.out" 2>/dev/null && return 0; sleep 0.05; done
        echo "the fake engine did not start" >&2
        return 1
}
stop_fake() { exec 3>&-; wait "$fake" 2>/dev/null; }
wait_for() { # wait_for SECONDS CMD...
        local end=$((SECONDS + $1)); shift
        while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
        "$@"
}
count() { grep -c -- "$1" "$2" 2>/dev/null || true; }
runs() { test "$(count '^run' "$scratch/$1.runs")" = "$2"; } # runs NAME N: NAME.sh ran N times

now=$(date +%s)
cat >"$scratch/world.json" <<EOW
{"containers": [{"Id": "r1111111111111111111111111111111111111111111111111111111111111111", "Name": "job",
                 "ImageID": "sha256:$(printf 'a%.0s' $(seq 64))", "State": "running", "Created": $((now - 86400))}],
 "images": [{"Id": "sha256:$(printf 'a%.0s' $(seq 64))", "RepoTags": ["app:1"], "Created": $((now - 86400)), "bytes": 4096}]}
EOW
# conf FILE COMMAND-LIST [EXTRA]: above the watermark whatever happens (1%), nothing removable.
conf() {
        cat >"$1" <<EOC
engine = { socket = "unix://$scratch/fake.sock"; };
state_dir = "$scratch/state";
interval = "1s";
disk = { high_watermark = "${HIGH:-1%}"; low_watermark = "0.5%"; };
tiers = ( { type = "stopped-containers"; min_age = "0s"; }, { type = "unused-images"; min_age = "0s"; } );
exhausted_command = $2;
${3:-}
EOC
}

# A command that exits 0: its argv as given, its environment's figures, appended to a file per run.
cat >"$scratch/ok.sh" <<'EOS'
#!/bin/sh
{ echo "run $*"; env | grep '^DOCKERCLEAN_' | sort; } >>"${0%.sh}.runs"
echo "paused runner for: $*"
EOS
cat >"$scratch/fail.sh" <<'EOS'
#!/bin/sh
echo "cannot reach the CI server" >&2
echo run >>"${0%.sh}.runs"
exit 3
EOS
# It hangs, and so does a child it started (the timeout takes the whole session).
cat >"$scratch/hang.sh" <<'EOS'
#!/bin/sh
echo "pausing..."
sleep 300 &
echo $! >"${0%.sh}.child"
wait
EOS
chmod 0755 "$scratch"/*.sh

start_fake || { fx_fail "fake started"; fx_done; }

# --once, exit 0: the record says so with the output; the figures are the measured ones.
conf "$scratch/ok.conf" "[ \"$scratch/ok.sh\", \"--reason\", \"disk\" ]"
"$DOCKERCLEAND" --config "$scratch/ok.conf" --once --log-target console 2>"$scratch/ok.err"
rc=$?
fx_check "ok: --once exit 0 (got $rc)" test "$rc" = 0
fx_check "ok: ran once" runs ok 1
fx_check "ok: argv as configured, no shell" grep -qx 'run --reason disk' "$scratch/ok.runs"
fx_check "ok: DOCKERCLEAN_PATH is the measured filesystem" grep -qx "DOCKERCLEAN_PATH=$scratch/root" "$scratch/ok.runs"
fx_check "ok: DOCKERCLEAN_USED_PERCENT a number" grep -qE '^DOCKERCLEAN_USED_PERCENT=[0-9]+\.[0-9]{2}$' "$scratch/ok.runs"
fx_check "ok: DOCKERCLEAN_FREE_BYTES a number" grep -qE '^DOCKERCLEAN_FREE_BYTES=[0-9]+$' "$scratch/ok.runs"
fx_check "ok: DOCKERCLEAN_RECLAIMED_BYTES 0 (nothing could go)" grep -qx 'DOCKERCLEAN_RECLAIMED_BYTES=0' "$scratch/ok.runs"
# The log rounds to one decimal, the variable to two: the same figure within rounding.
env_used=$(sed -n 's/^DOCKERCLEAN_USED_PERCENT=//p' "$scratch/ok.runs")
log_used=$(sed -n 's/.*Every tier is exhausted and .* is still \([0-9.]*\)% used.*/\1/p' "$scratch/ok.err")
fx_check "ok: the used percent ($env_used) is the one the daemon logged ($log_used)" \
        awk -v a="$env_used" -v b="$log_used" 'BEGIN { d = a - b; exit !(b != "" && d <= 0.051 && d >= -0.051) }'
fx_check "ok: nothing else of ours in its environment" test "$(grep -c '^DOCKERCLEAN_' "$scratch/ok.runs")" = 4
fx_check "ok: the record, after the exhausted warning" \
        grep -q "^exhausted_command $scratch/ok.sh exited with status 0 after [0-9.]*s; output: paused runner for: --reason disk$" "$scratch/ok.err"
fx_check "ok: the exhausted warning comes first" \
        awk '/^warning: Every tier is exhausted/ { w = NR } /^exhausted_command / { c = NR } END { exit !(w && c > w) }' "$scratch/ok.err"

# Its journal record: MESSAGE_ID, priority notice, the fields.
"$DOCKERCLEAND" --config "$scratch/ok.conf" --once --log-target journal &
pid=$!
wait "$pid"
fields=$(e2e_journal "$pid" MESSAGE_ID=5c1be13e602d4e998a69cb61e3781fde)
fx_check "journal: the record" test -n "$fields"
fx_check "journal: DOCKERCLEAN_COMMAND" grep -q "\"DOCKERCLEAN_COMMAND\":\"$scratch/ok.sh\"" <<<"$fields"
fx_check "journal: DOCKERCLEAN_EXIT_STATUS 0" grep -q '"DOCKERCLEAN_EXIT_STATUS":"0"' <<<"$fields"
fx_check "journal: DOCKERCLEAN_OUTPUT" grep -q '"DOCKERCLEAN_OUTPUT":"paused runner for: --reason disk"' <<<"$fields"
fx_check "journal: PRIORITY notice" grep -q '"PRIORITY":"5"' <<<"$fields"

# The daemon: once per episode, however many intervals pass; the episode ends when the triggers clear
# (a reload to a 99.99% watermark), and the next one runs it again.
rm -f "$scratch/ok.runs"
"$DOCKERCLEAND" --config "$scratch/ok.conf" --log-target console 2>"$scratch/episode.err" &
pid=$!
fx_check "episode: the command ran" wait_for 20 test -s "$scratch/ok.runs"
sleep 4 # four intervals, each finding the same exhausted host
fx_check "episode: once in five intervals" runs ok 1
HIGH=99.99% conf "$scratch/ok.conf" "[ \"$scratch/ok.sh\", \"--reason\", \"disk\" ]" 'log_level = "debug";'
kill -HUP "$pid"
fx_check "episode: a check below the trigger after the reload (the episode ends)" \
        wait_for 20 grep -q 'cleaning starts at 99.99% and ends below 0.5%$' "$scratch/episode.err"
conf "$scratch/ok.conf" "[ \"$scratch/ok.sh\", \"--reason\", \"disk\" ]"
kill -HUP "$pid"
fx_check "episode: a new episode runs it again" wait_for 20 runs ok 2
sleep 2
fx_check "episode: and only once" runs ok 2
kill -TERM "$pid"
wait "$pid"
fx_check "episode: two exhausted warnings, two records" test "$(count '^exhausted_command .* exited with status 0' "$scratch/episode.err")" = 2

# One that fails: a warning with its status and output; the daemon goes on checking.
conf "$scratch/fail.conf" "[ \"$scratch/fail.sh\" ]" "metrics_file = \"$scratch/fail.prom\";"
"$DOCKERCLEAND" --config "$scratch/fail.conf" --log-target console 2>"$scratch/fail.err" &
pid=$!
fx_check "fail: the record" wait_for 20 grep -q "^warning: exhausted_command $scratch/fail.sh failed with exit status 3 after [0-9.]*s; output: cannot reach the CI server$" "$scratch/fail.err"
rm -f "$scratch/fail.prom"
fx_check "fail: the daemon goes on (checks rewrite the metrics file)" wait_for 5 test -s "$scratch/fail.prom"
fx_check "fail: still running" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
fx_check "fail: exit 0 on SIGTERM" test $? = 0
"$DOCKERCLEAND" --config "$scratch/fail.conf" --once --log-target console 2>"$scratch/fail-once.err"
fx_check "fail: --once exits 0 all the same (got $?)" test $? = 0

# One that hangs: killed at its timeout, the child it started too; meanwhile the daemon goes on.
conf "$scratch/hang.conf" "[ \"$scratch/hang.sh\" ]" "exhausted_command_timeout = \"4s\"; metrics_file = \"$scratch/hang.prom\";"
"$DOCKERCLEAND" --config "$scratch/hang.conf" --log-target console 2>"$scratch/hang.err" &
pid=$!
fx_check "hang: started" wait_for 20 test -s "$scratch/hang.child"
child=$(cat "$scratch/hang.child")
rm -f "$scratch/hang.prom"
fx_check "hang: checks go on while it runs" wait_for 3 test -s "$scratch/hang.prom"
fx_check "hang: not killed before its timeout" eval '! grep -q "did not end" "$scratch/hang.err"'
fx_check "hang: killed at the timeout, said with its output" \
        wait_for 10 grep -q "^warning: exhausted_command $scratch/hang.sh did not end within its timeout (4s) and was killed; output: pausing...$" "$scratch/hang.err"
fx_check "hang: the child it started is gone too" wait_for 3 eval "! kill -0 $child 2>/dev/null"
fx_check "hang: still running" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"

# SIGTERM while it hangs: the daemon stops at once, and kills it.
rm -f "$scratch/hang.child"
conf "$scratch/hang.conf" "[ \"$scratch/hang.sh\" ]" "exhausted_command_timeout = \"1h\";"
"$DOCKERCLEAND" --config "$scratch/hang.conf" --log-target console 2>"$scratch/stop.err" &
pid=$!
fx_check "stop: started" wait_for 20 test -s "$scratch/hang.child"
child=$(cat "$scratch/hang.child")
t0=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid"
rc=$?
t1=$(date +%s.%N)
fx_check "stop: exit 0 (got $rc)" test "$rc" = 0
fx_check "stop: within 3 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 3) }'
fx_check "stop: said" grep -q "^warning: exhausted_command $scratch/hang.sh killed after [0-9.]*s: dockercleand is stopping; output: pausing...$" "$scratch/stop.err"
fx_check "stop: its child is gone" wait_for 3 eval "! kill -0 $child 2>/dev/null"
# --once with SIGTERM while it waits for the command.
rm -f "$scratch/hang.child"
"$DOCKERCLEAND" --config "$scratch/hang.conf" --once --log-target console 2>"$scratch/stop-once.err" &
pid=$!
fx_check "stop --once: started" wait_for 20 test -s "$scratch/hang.child"
kill -TERM "$pid"
wait "$pid"
fx_check "stop --once: killed and said" grep -q "killed after [0-9.]*s: dockercleand is stopping" "$scratch/stop-once.err"

stop_fake

# Refusals: exit 78 naming file, line and key; nothing runs.
mkdir -m 0777 "$scratch/open"
cp "$scratch/ok.sh" "$scratch/open/ok.sh"
refused() { # refused WHAT CONFIG PATTERN
        "$DOCKERCLEAND" --config "$2" --once --log-target console >/dev/null 2>"$scratch/refused.err"
        local rc=$?
        fx_check "refused: $1: exit 78 (got $rc)" test "$rc" = 78
        fx_check "refused: $1: says why" grep -qE -- "$3" "$scratch/refused.err"
        grep -q . "$scratch/refused.err" && head -3 "$scratch/refused.err" >&2
}
rm -f "$scratch/ok.runs"
conf "$scratch/open/dc.conf" "[ \"$scratch/ok.sh\" ]"
refused "a configuration in a world-writable directory" "$scratch/open/dc.conf" \
        "^error: $scratch/open/dc.conf: $scratch/open is writable by anyone \(mode 0777\); refused"
conf "$scratch/group.conf" "[ \"$scratch/ok.sh\" ]"
chmod 0664 "$scratch/group.conf"
refused "a group-writable configuration" "$scratch/group.conf" "group.conf: .*group.conf is writable by its group \(mode 0664\)"
conf "$scratch/cmd-open.conf" "[ \"$scratch/open/ok.sh\" ]"
refused "a command in a world-writable directory" "$scratch/cmd-open.conf" \
        "cmd-open.conf:6: exhausted_command.\[0\]: $scratch/open is writable by anyone \(mode 0777\); refused: the command runs as root"
cp "$scratch/ok.sh" "$scratch/mine.sh"
chown 65534 "$scratch/mine.sh"
conf "$scratch/cmd-user.conf" "[ \"$scratch/mine.sh\" ]"
refused "another user's command" "$scratch/cmd-user.conf" "exhausted_command.\[0\]: $scratch/mine.sh is owned by uid 65534, not root"
ln -s "$scratch/ok.sh" "$scratch/open/link"
conf "$scratch/link.conf" "[ \"$scratch/open/link\" ]"
refused "a link in a world-writable directory to a good command" "$scratch/link.conf" "$scratch/open is writable by anyone"
fx_check "refused: nothing ran" test ! -e "$scratch/ok.runs"
fx_check "refused: --check-config refuses too (the unit's ExecReload)" \
        eval '! "$DOCKERCLEAND" --config "$scratch/group.conf" --check-config >/dev/null 2>&1'

# A reload that would be refused keeps the running configuration.
start_fake || fx_fail "fake restarted"
HIGH=99.99% conf "$scratch/reload.conf" "[ \"$scratch/ok.sh\" ]"
"$DOCKERCLEAND" --config "$scratch/reload.conf" --log-target console 2>"$scratch/reload.err" &
pid=$!
fx_check "reload: started" wait_for 20 grep -q 'started' "$scratch/reload.err"
chmod 0666 "$scratch/reload.conf"
kill -HUP "$pid"
fx_check "reload: rejected, the running configuration kept" \
        wait_for 10 grep -q "^error: $scratch/reload.conf: $scratch/reload.conf is writable by anyone (mode 0666); refused: .*; keeping the running configuration$" "$scratch/reload.err"
fx_check "reload: still running" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
stop_fake
fx_done
