# exhausted_command's children (issue 20, case 5): a command that starts a child which ignores SIGTERM
# and leaves its session (setsid), then exits at once. The daemon is a child subreaper, so that child
# becomes the daemon's: it is killed at the command's timeout, and when the daemon stops, even though
# the command itself is long gone. The fake engine's world: a stopped container to clean (the daemon
# cleans it first), then nothing left but an image too young to go, so every tier ends exhausted.
set -u
. "$(dirname "$0")/security_common.bash"

c=$scratch/c5
mkdir -p "$c/state"
# The child: its own session, SIGTERM ignored, its pid in a file named by the argument.
cat >"$c/leave.sh" <<'EOS'
#!/bin/sh
setsid sh -c 'trap "" TERM; echo $$ >"$1"; exec sleep 300' child "$1" </dev/null >/dev/null 2>&1 &
echo "left a child behind"
EOS
chmod 0755 "$c/leave.sh"
children=()
kill_left() { for p in "${children[@]}"; do kill -KILL "$p" 2>/dev/null; done; } # the test's own, if it failed
trap 'kill_left; sec_cleanup' EXIT
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# ---- at the timeout, after the command exited ---------------------------------------------------------
start_fake "$c" || fx_fail "fake started"
sec_conf "$c/timeout.conf" "$c" "$c/state" "exhausted_command = [ \"$c/leave.sh\", \"$c/timeout.pid\" ]; exhausted_command_timeout = \"2s\";"
"$DOCKERCLEAND" --config "$c/timeout.conf" --log-target console 2>"$c/timeout.err" &
pid=$!
fx_check "timeout: cleaned first" wait_for 30 cleaned "$c"
fx_check "timeout: the child started" wait_for 30 test -s "$c/timeout.pid"
child=$(cat "$c/timeout.pid" 2>/dev/null); children+=("$child")
fx_check "timeout: the command itself exited 0" wait_for 30 grep -q "^exhausted_command $c/leave.sh exited with status 0" "$c/timeout.err"
fx_check "timeout: what it left is said" wait_for 30 grep -qF "exhausted_command $c/leave.sh left processes running; they are killed at its timeout" "$c/timeout.err"
fx_check "timeout: the child is killed at the timeout" \
        wait_for 30 grep -qF "exhausted_command $c/leave.sh: killed 1 process it left running, at its timeout (2s)" "$c/timeout.err"
fx_check "timeout: the child is gone" eval "! alive '$child'"
fx_check "timeout: the daemon still runs" kill -0 "$pid"
kill -TERM "$pid"; wait "$pid"
stop_fake

# ---- when the daemon stops, after the command exited ---------------------------------------------------
start_fake "$c" || fx_fail "fake started"
rm -rf "$c/state"
sec_conf "$c/stop.conf" "$c" "$c/state" "exhausted_command = [ \"$c/leave.sh\", \"$c/stop.pid\" ]; exhausted_command_timeout = \"1h\";"
"$DOCKERCLEAND" --config "$c/stop.conf" --log-target console 2>"$c/stop.err" &
pid=$!
fx_check "stop: the child started" wait_for 30 test -s "$c/stop.pid"
child=$(cat "$c/stop.pid" 2>/dev/null); children+=("$child")
fx_check "stop: the command itself exited" wait_for 30 grep -q "^exhausted_command $c/leave.sh exited with status 0" "$c/stop.err"
fx_check "stop: the child still runs while the daemon does" alive "$child"
kill -TERM "$pid"; wait "$pid"; rc=$?
fx_check "stop: the daemon stopped cleanly (got $rc)" test "$rc" = 0
fx_check "stop: the child is gone with it" eval "! alive '$child'"
fx_check "stop: said" grep -qF "exhausted_command $c/leave.sh killed after" "$c/stop.err"
stop_fake

fx_done
