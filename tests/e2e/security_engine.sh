# The engine socket among other users (issue 20, case 4): an unprivileged user this test creates runs
# a fake engine in a world-writable sticky directory; the daemon does not listen to it (neither --report
# nor the planner) unless engine.socket_owner names that user (a rootless engine), and then it cleans.
# A regular file or a directory at the socket path is said as what it is; --once and --report do not
# say "retrying". A socket_owner that names nobody is a configuration error (file, line, key, exit 78).
set -u
. "$(dirname "$0")/security_common.bash"

c=$scratch/c4
mkdir -p "$c/pub" "$c/state" && chmod 1777 "$c/pub"
start_fake "$c/pub" --as-user || fx_fail "the user's fake engine started"
fx_check "the socket is the user's" test "$(stat -c %u "$c/pub/fake.sock")" = "$sec_uid"

sec_conf "$c/dc.conf" "$c/pub" "$c/state"
"$DOCKERCLEAND" --config "$c/dc.conf" --report --log-target console >"$c/report.out" 2>"$c/report.err"; rc=$?
fx_check "--report: exit 69, engine unavailable (got $rc)" test "$rc" = 69
fx_check "--report: says whose socket it is" \
        grep -qF "engine refused: $c/pub/fake.sock is owned by uid $sec_uid, not root (engine.socket_owner" "$c/report.err"
fx_check "--report: does not say it retries" eval "! grep -q retrying '$c/report.err'"
fx_check "--report: printed none of the user's figures" eval "! grep -q 'Images' '$c/report.out'"
run_once "$c/dc.conf" "$c/once.err"; rc=$?
fx_check "--once: exit 69 (got $rc)" test "$rc" = 69
fx_check "--once: says whose socket it is" grep -qF "is owned by uid $sec_uid, not root" "$c/once.err"
fx_check "--once: does not say it retries" eval "! grep -q retrying '$c/once.err'"
fx_check "no request reached the user's engine" eval "! grep -q '^[A-Z]* /' '$c/pub/fake.log'"

# The daemon says it once, and that it retries.
"$DOCKERCLEAND" --config "$c/dc.conf" --log-target console 2>"$c/daemon.err" &
pid=$!
fx_check "daemon: says it and retries" wait_for 30 grep -qF "is owned by uid $sec_uid, not root (engine.socket_owner names a rootless engine's user); retrying with backoff" "$c/daemon.err"
kill -TERM "$pid"; wait "$pid"

# A rootless engine: its user named, by name.
sec_conf "$c/rootless.conf" "$c/pub" "$c/state" "engine = { socket = \"unix://$c/pub/fake.sock\"; socket_owner = \"$sec_user\"; };"
sed -i '1d' "$c/rootless.conf" # the engine group once
run_once "$c/rootless.conf" "$c/rootless.err"; rc=$?
fx_check "socket_owner names the user: --once exits 0 (got $rc)" test "$rc" = 0
fx_check "socket_owner names the user: it cleans" cleaned "$c/pub"
stop_fake

# Not a socket at all: said as what it is.
as_user sh -c "printf x >'$c/pub/file.sock' && mkdir '$c/pub/dir.sock'"
for what in file:"a regular file" dir:"a directory"; do
        name=${what%%:*} kind=${what#*:}
        sec_conf "$c/$name.conf" "$c/pub" "$c/state"
        sed -i "s|$c/pub/fake.sock|$c/pub/$name.sock|" "$c/$name.conf"
        run_once "$c/$name.conf" "$c/$name.err"; rc=$?
        fx_check "$kind at the socket path: --once exits 69 (got $rc)" test "$rc" = 69
        fx_check "$kind at the socket path: said as such" grep -qF "engine refused: $c/pub/$name.sock is $kind, not a socket" "$c/$name.err"
        fx_check "$kind at the socket path: not 'connection refused', not 'retrying'" \
                eval "! grep -qE 'connection refused|retrying' '$c/$name.err'"
done

# A socket_owner naming nobody: the file, the line, the key; exit 78.
printf 'engine = {\n  socket_owner = "no-such-user-issue20";\n};\n' >"$c/bad.conf"
"$DOCKERCLEAND" --config "$c/bad.conf" --check-config >/dev/null 2>"$c/bad.err"; rc=$?
fx_check "an unknown socket_owner: exit 78 (got $rc)" test "$rc" = 78
fx_check "an unknown socket_owner: file, line, key" grep -qF "$c/bad.conf:2: engine.socket_owner: no user \"no-such-user-issue20\"" "$c/bad.err"

fx_done
