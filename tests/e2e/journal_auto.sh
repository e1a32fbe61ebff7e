# Under systemd (stderr is the journal stream named by JOURNAL_STREAM) dockercleand logs structured
# records itself; with stderr on the journal but no JOURNAL_STREAM it writes plain lines, as anywhere else.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
e2e_config "$scratch/dc.conf" 99 98
tag=dctest-$$-$RANDOM
# As systemd would start it: stderr connected to journald, JOURNAL_STREAM=device:inode of that stream.
# systemd-cat and sh exec, so $! is dockercleand's pid.
systemd-cat -t "$tag" sh -c 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$0" --config "$1" --once --log-level debug' \
        "$DOCKERCLEAND" "$scratch/dc.conf" &
native=$!
wait $native
systemd-cat -t "$tag-plain" "$DOCKERCLEAND" --config "$scratch/dc.conf" --once --log-level debug &
plain_pid=$!
wait $plain_pid
# e2e_journal asks journald to store what it was sent (--sync), then waits for the records.
structured=$(e2e_journal "$native" _TRANSPORT=journal | grep -c '"DOCKERCLEAN_USED_PERCENT"' || true)
plain=$(e2e_journal "$plain_pid" _TRANSPORT=stdout | grep -c "used" || true)
fx_check "with JOURNAL_STREAM: structured records ($structured)" test "$structured" -gt 0
fx_check "without it: plain lines on stderr ($plain)" test "$plain" -gt 0
fx_check "without it: nothing went through the native protocol under the plain tag" \
        test "$(journalctl --no-pager -o json --since "@$e2e_started" _PID="$plain_pid" _TRANSPORT=journal 2>/dev/null | wc -l)" = 0
fx_done
