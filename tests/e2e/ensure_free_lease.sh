# Image leases (dockercleand --lease IMAGE --for DURATION): a leased image counts as in use, so a
# watermark cleanup that would take it (the least recently used) takes the next one instead and stops
# short; the lease survives a daemon restart (state_dir/leases.json, listed by --report); once it ends
# the daemon checks again and the image goes. --release ends a lease; an unknown one is refused.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
fx_podman && p=docker.io/ || p=

store_free() { df -P -B1 "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { print $4 }'; }
before=$(store_free)
fx_image lease/a:1 40 || fx_fail "build lease/a"
one=$((before - $(store_free)))
e2e_next_second # distinct Created seconds: the LRU order is by them
fx_image lease/b:1 40 || fx_fail "build lease/b"
e2e_next_second # distinct Created seconds: the LRU order is by them
fx_image lease/c:1 1 || fx_fail "build lease/c"
echo "one image takes $((one / 1024 / 1024)) MiB on this store"

mkdir -m 755 "$scratch/run"
sock=$scratch/run/control.socket
high=$(($(e2e_high_now) + 3))
conf() {
        e2e_config "$scratch/dc.conf" "$high" "$1" '{ type = "unused-images"; min_age = "0s"; }' \
                "control = { socket = \"$sock\"; }; interval = \"1h\"; metrics_file = \"$scratch/metrics.prom\"; protect = { images = [ \"lease/c*\" ]; };"
}
conf $((high - 1))
start() {
        "$DOCKERCLEAND" --config "$scratch/dc.conf" --log-target journal &
        dpid=$!
        for i in $(seq 1 300); do [ -S "$sock" ] && break; sleep 0.1; done
}
done_records() { e2e_journal "$dpid" MESSAGE_ID=0df3a46d76df44c1a3c984f92c4e4c45 | grep -c . ; }
start
fx_check "the daemon listens" test -S "$sock"

t0=$(date +%s%N)
lease=$("$DOCKERCLEAND" --timeout 30s --control-socket "$sock" --lease "lease/a:1" --for 12s 2>"$scratch/lease.err")
rc=$?
echo "lease: rc $rc in $((($(date +%s%N) - t0) / 1000000)) ms: $lease $(cat "$scratch/lease.err")"
fx_check "a lease is taken: exit 0 and its id" eval '[ "$rc" = 0 ] && [[ "$lease" =~ ^[0-9a-f]{16}$ ]]'
fx_check "... kept in state_dir" grep -q "$lease" "$scratch/state/leases.json"
grep '^dockerclean_lease' "$scratch/metrics.prom"
fx_check "... and counted in the metrics, with the bytes it keeps" eval \
        "awk '\$1 == \"dockerclean_lease_protected_bytes\" { exit !(\$2 > 40000000) }' '$scratch/metrics.prom'"

# Above the high watermark even with one image gone, and the low one needs two: a (the least recently
# used) would go first, but it is leased, so b goes and the cleanup stops short, saying a is in use.
high=$(e2e_low_for_bytes $((one * 5 / 4))); low=$(e2e_low_for_bytes $((one * 2)))
echo "clean at $high% down to below $low% (now $(fx_used_percent)%)"
conf "$low"
kill -HUP "$dpid"
for i in $(seq 1 6); do e2e_journal "$dpid" MESSAGE_ID=ad877b508a53466888d63380f14b4bf0 | grep -q . && break; done
kill -USR1 "$dpid"
for i in $(seq 1 6); do [ "$(done_records)" -ge 1 ] && break; done
removed=$(e2e_removed_names "$dpid" | tr '\n' ' ')
echo "removed while leased: $removed"
fx_check "the leased image survives the cleanup that wanted it" fx_exists lease/a:1
fx_check "... which took the next one instead" test "$removed" = "${p}lease/b:1 "

# Restart: the lease is read back and still holds.
kill "$dpid"; wait "$dpid"; echo "daemon exited: $?"
"$DOCKERCLEAND" --config "$scratch/dc.conf" --report --log-target console >"$scratch/report" 2>&1
grep -A2 '^Leases' "$scratch/report"
fx_check "--report lists the lease" grep -q "$lease .*lease/a:1" "$scratch/report"
start
for i in $(seq 1 6); do e2e_journal "$dpid" MESSAGE_ID=01989c3678f34ed3b299ffb37c236af5 | grep -q . && break; done
fx_check "after a restart the lease still holds: the first check is exhausted" \
        eval 'e2e_journal "$dpid" MESSAGE_ID=01989c3678f34ed3b299ffb37c236af5 | grep -q "kept: 1 in use"'
fx_check "... and a stays" fx_exists lease/a:1

# The lease ends: the daemon checks again at once and a goes.
for i in $(seq 1 300); do fx_gone lease/a:1 && break; sleep 0.1; done
fx_check "once the lease ends, the image goes" fx_gone lease/a:1
fx_check "... and the lease is gone from state_dir" eval "! grep -q '$lease' '$scratch/state/leases.json'"

# --release ends a lease at once; an unknown one is refused.
l2=$("$DOCKERCLEAND" --timeout 30s --control-socket "$sock" --lease "${p}lease/c:1" --for 1h 2>/dev/null)
"$DOCKERCLEAND" --timeout 30s --control-socket "$sock" --release "$l2" 2>/dev/null
fx_check "--release: exit 0" test $? = 0
fx_check "... and it is gone" eval "! grep -q '$l2' '$scratch/state/leases.json'"
"$DOCKERCLEAND" --timeout 30s --control-socket "$sock" --release 0123456789abcdef 2>/dev/null
fx_check "an unknown lease: exit 64" test $? = 64
"$DOCKERCLEAND" --timeout 30s --control-socket "$sock" --lease no/such:image --for 1h 2>/dev/null
fx_check "a lease on no image: exit 64" test $? = 64
kill "$dpid"; wait "$dpid"; echo "daemon exited: $?"
fx_done
