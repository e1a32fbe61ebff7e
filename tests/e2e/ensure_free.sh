# dockercleand --ensure-free against the running daemon on the bench engine: room already there is
# answered at once; a job's room is made by exactly the policy's first removals (least recently used
# first); concurrent requests share one cleanup; more than the policy can free exits 75 naming what
# was kept; more than the filesystem holds exits 65; a caller that is neither root nor in control.group
# is refused (77) and counted; no daemon, 69. Prints how long each request took to be answered.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
fx_podman && p=docker.io/ || p=

store_free() { df -P -B1 "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { print $4 }'; }
for x in a b c d e; do
        [ "$x" = c ] && before_c=$(store_free)
        fx_image "ef/$x:1" 40 || fx_fail "build ef/$x"
        [ "$x" = c ] && one=$((before_c - $(store_free)))
        e2e_next_second # distinct Created seconds: the LRU order is by them
done
fx_image ef/kept:1 40 || fx_fail "build ef/kept"
fx_running keeper ef/kept:1
echo "one image takes $((one / 1024 / 1024)) MiB on this store"

# A user that may not ask, one in the group that may, both removed at the end.
u_out=dcef-out$$ u_in=dcef-in$$ grp=dcef-grp$$
groupadd "$grp" && useradd -M -N -s /usr/sbin/nologin "$u_out" && useradd -M -N -G "$grp" -s /usr/sbin/nologin "$u_in" ||
        fx_fail "create the test users"
trap 'userdel "$u_out" 2>/dev/null; userdel "$u_in" 2>/dev/null; groupdel "$grp" 2>/dev/null; rm -rf "$scratch"' EXIT
chmod 755 "$scratch"
mkdir -m 755 "$scratch/run"
sock=$scratch/run/control.socket
# The watermarks never trigger by themselves: only the requests clean.
e2e_config "$scratch/dc.conf" 99 98 '{ type = "unused-images"; min_age = "0s"; }' \
        "control = { socket = \"$sock\"; group = \"$grp\"; }; metrics_file = \"$scratch/metrics.prom\"; interval = \"1h\";"
chmod 644 "$scratch/dc.conf"

"$DOCKERCLEAND" --config "$scratch/dc.conf" --log-target journal &
dpid=$!
for i in $(seq 1 300); do [ -S "$sock" ] && [ -s "$scratch/metrics.prom" ] && break; sleep 0.1; done
fx_check "the daemon listens on control.socket" test -S "$sock"

# ask BYTES [options]: runs --ensure-free, sets $rc, $out (stdout and stderr) and $ms.
ask() {
        local t0 t1
        t0=$(date +%s%N)
        out=$("$DOCKERCLEAND" --config "$scratch/dc.conf" --ensure-free "$@" 2>&1)
        rc=$?
        t1=$(date +%s%N)
        ms=$(((t1 - t0) / 1000000))
}
cleanups() { e2e_journal "$dpid" MESSAGE_ID=6df2c895cce6421b8dfcbd68ed87e9e6 | grep -c . ; }

free0=$(store_free)
ask "$((free0 / 2))"
echo "room already there: rc $rc in $ms ms: $out"
fx_check "room already there: exit 0" test "$rc" = 0
fx_check "... and no cleanup" test "$(cleanups)" = 0

# About one and a half images more than is free: the two least recently used go, no more.
want=$((free0 + one * 3 / 2))
ask "$want"
echo "one and a half images: rc $rc in $ms ms: $out"
fx_check "enough freed: exit 0" test "$rc" = 0
fx_check "free >= asked" test "$(store_free)" -ge "$want"
removed=$(e2e_removed_names "$dpid" | tr '\n' ' ')
echo "removed: $removed"
fx_check "exactly the two least recently used, in order" test "$removed" = "${p}ef/a:1 ${p}ef/b:1 "
fx_check "c stays" fx_exists ef/c:1
fx_check "one cleanup so far" test "$(cleanups)" = 1

# Three jobs at once: the first needs one image more, the others two. They are all in the socket's queue
# before the daemon looks (it is stopped meanwhile; ss counts the queue), the smallest first: one
# cleanup serves them all and takes two images (a cleanup for the first alone would take one, and a
# second cleanup would follow).
free1=$(store_free)
backlog() { ss -xlH src "$sock" | awk '{ print $3 }'; }
kill -STOP "$dpid"
pids=()
wants=("$((free1 + one / 2))" "$((free1 + one * 5 / 4))" "$((free1 + one * 3 / 2))")
for k in 0 1 2; do
        ( ask "${wants[$k]}"; echo "$rc $ms $out" >"$scratch/c$k" ) &
        pids+=($!)
        for i in $(seq 1 300); do [ "$(backlog)" = $((k + 1)) ] && break; sleep 0.01; done
done
fx_check "three requests queued" test "$(backlog)" = 3
kill -CONT "$dpid"
wait "${pids[@]}"
for k in 0 1 2; do echo "concurrent $k (wants $((wants[k] / 1048576)) MiB): $(cat "$scratch/c$k")"; done
fx_check "three concurrent requests: all exit 0" test "$(cut -d' ' -f1 "$scratch"/c[012] | sort -u)" = 0
fx_check "... with one cleanup between them" test "$(cleanups)" = 2
fx_check "... which took two images (c, d) and no more" eval 'fx_gone ef/c:1 && fx_gone ef/d:1 && fx_exists ef/e:1'

# More than every unused image frees: not now, naming what kept the rest (the running container's image).
free2=$(store_free)
ask "$((free2 + one * 3 / 2))"
echo "not now: rc $rc in $ms ms: $out"
fx_check "more than the policy can free: exit 75" test "$rc" = 75
fx_check "... naming what was kept" grep -q "kept 1 in use or running" <<<"$out"
fx_check "the running container's image stays" fx_exists ef/kept:1

ask 1000T
echo "never: rc $rc in $ms ms: $out"
fx_check "more than the filesystem holds: exit 65" test "$rc" = 65
fx_check "... saying never" grep -q "never" <<<"$out"

ask 1M --path /proc
fx_check "a path on no engine filesystem: never (65)" test "$rc" = 65

# Not root, not in the group: refused, logged with who asked, counted.
out=$(setpriv --reuid="$u_out" --regid="$(id -g "$u_out")" --init-groups "$DOCKERCLEAND" --control-socket "$sock" --ensure-free 1M 2>&1)
rc=$?
echo "outsider: rc $rc: $out"
fx_check "a caller neither root nor in control.group: refused (77)" test "$rc" = 77
fx_check "the refusal is logged with its uid" eval \
        'e2e_journal "$dpid" DOCKERCLEAN_REQUEST_STATUS=refused | grep -q "\"DOCKERCLEAN_REQUEST_UID\":\"$(id -u "$u_out")\""'
out=$(setpriv --reuid="$u_in" --regid="$(id -g "$u_in")" --init-groups "$DOCKERCLEAND" --control-socket "$sock" --ensure-free 1M 2>&1)
rc=$?
echo "group member: rc $rc: $out"
fx_check "a member of control.group may ask" test "$rc" = 0
kill -USR1 "$dpid"   # a check writes the metrics
for i in $(seq 1 100); do grep -q '^dockerclean_requests_refused_total 1$' "$scratch/metrics.prom" 2>/dev/null && break; sleep 0.1; done
fx_check "metrics count the requests and the refusal" eval \
        "grep -q '^dockerclean_requests_total 10\$' '$scratch/metrics.prom' && grep -q '^dockerclean_requests_refused_total 1\$' '$scratch/metrics.prom'"

kill "$dpid"; wait "$dpid"; echo "daemon exited: $?"
fx_check "the socket goes with the daemon" test ! -e "$sock"
ask 1M
fx_check "no daemon: exit 69" test "$rc" = 69
# --standalone: with no daemon, the same cleanup runs in the command (holding state_dir/cleanup.lock).
fx_image ef/f:1 40 || fx_fail "build ef/f"
free3=$(store_free)
ask "$((free3 + one / 2))" --standalone
echo "standalone: rc $rc in $ms ms: $out"
fx_check "--standalone without a daemon: exit 0" test "$rc" = 0
fx_check "... the policy's candidate went (f, the only unused image)" fx_gone ef/f:1
fx_check "... free >= asked" test "$(store_free)" -ge "$((free3 + one / 2))"
dk rm -f keeper >/dev/null
fx_done
