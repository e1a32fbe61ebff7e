# Files a root daemon writes and reads among other users (issue 20), each hostile file planted by an
# unprivileged user this test creates and removes, each time with a cleanup still happening (the fake
# engine's stopped container removed):
#   1. a FIFO at <metrics_file>.tmp in a directory that user owns: refused with what is wrong, no hang;
#   2. a regular file at <metrics_file>.tmp in a sticky world-writable directory, a link at the
#      history's old temporary name: neither adopted, written through nor removed;
#   3. a configuration file others can write, or in a directory another user owns: exit 78 with the
#      file and the reason, also without exhausted_command;
#   6. the history as a FIFO: the start does not hang; said, and the user's FIFO is left alone; a state
#      directory the user owns: their history is neither read nor written;
#   7. the state filesystem filled by that user: "No space left on device", said once per change of
#      state, and said again when saving works again.
set -u
. "$(dirname "$0")/security_common.bash"

# ---- 1. A FIFO at <metrics_file>.tmp, in a directory the user owns (prometheus's on Debian) ----------
c=$scratch/c1
mkdir -p "$c/state" "$c/prom" && chown "$sec_user" "$c/prom"
as_user mkfifo "$c/prom/dockerclean.prom.tmp"
sec_conf "$c/dc.conf" "$c" "$c/state" "metrics_file = \"$c/prom/dockerclean.prom\";"
start_fake "$c" || fx_fail "1: fake started"
run_once "$c/dc.conf" "$c/err"; rc=$?
stop_fake
fx_check "1: --once does not hang on the FIFO and exits 0 (got $rc)" test "$rc" = 0
fx_check "1: cleaned all the same" cleaned "$c"
fx_check "1: says the directory is refused, and why" \
        grep -qF "Cannot write the metrics file $c/prom/dockerclean.prom: $c/prom is owned by uid $sec_uid, not root; refused" "$c/err"
fx_check "1: nothing written there" test ! -e "$c/prom/dockerclean.prom"
fx_check "1: the user's FIFO left as it was" test -p "$c/prom/dockerclean.prom.tmp"

# ---- 2. Planted names in sticky world-writable directories: not adopted, not followed, not removed --
c=$scratch/c2
mkdir -p "$c/pub" "$c/state" && chmod 1777 "$c/pub" "$c/state"
as_user sh -c "printf 'forged 1\n' >'$c/pub/dockerclean.prom.tmp' && chmod 0666 '$c/pub/dockerclean.prom.tmp'"
as_user ln -s /etc/passwd "$c/state/image-history.tmp"
sec_conf "$c/dc.conf" "$c" "$c/state" "metrics_file = \"$c/pub/dockerclean.prom\";"
start_fake "$c" || fx_fail "2: fake started"
run_once "$c/dc.conf" "$c/err"; rc=$?
stop_fake
fx_check "2: --once exits 0 (got $rc)" test "$rc" = 0
fx_check "2: cleaned" cleaned "$c"
fx_check "2: the metrics file is root's" test "$(stat -c %u "$c/pub/dockerclean.prom" 2>/dev/null)" = 0
fx_check "2: and writable by root alone" test "$(stat -c %a "$c/pub/dockerclean.prom" 2>/dev/null)" = 644
fx_check "2: with the daemon's figures" grep -q '^dockerclean_cleanups_total ' "$c/pub/dockerclean.prom"
fx_check "2: the planted .tmp is not adopted: still the user's, as written" \
        test "$(stat -c %u "$c/pub/dockerclean.prom.tmp" 2>/dev/null):$(cat "$c/pub/dockerclean.prom.tmp" 2>/dev/null)" = "$sec_uid:forged 1"
fx_check "2: the planted link at the history's old temporary name is not removed" test -L "$c/state/image-history.tmp"
fx_check "2: the history is saved, root's" test "$(stat -c %u "$c/state/image-history" 2>/dev/null)" = 0
fx_check "2: /etc/passwd untouched" grep -q '^root:' /etc/passwd

# ---- 3. A configuration others can change: exit 78, the file and the reason, always -------------------
c=$scratch/c3
mkdir -p "$c/state" "$c/root-only" && chmod 0700 "$c/root-only"
printf 'secret\n' >"$c/root-only/secret" && chmod 0600 "$c/root-only/secret"
sec_conf "$c/dc.conf" "$c" "$c/state"
chmod 0666 "$c/dc.conf"
as_user sh -c "echo 'metrics_file = \"$c/root-only/secret\";' >>'$c/dc.conf'"
start_fake "$c" || fx_fail "3: fake started"
run_once "$c/dc.conf" "$c/err"; rc=$?
"$DOCKERCLEAND" --config "$c/dc.conf" --check-config >/dev/null 2>"$c/check.err"; check_rc=$?
mkdir -p "$c/userdir" && chown "$sec_user" "$c/userdir"
sec_conf "$c/userdir/dc.conf" "$c" "$c/state"
run_once "$c/userdir/dc.conf" "$c/err2"; rc2=$?
stop_fake
fx_check "3: a world-writable file: exit 78 (got $rc)" test "$rc" = 78
fx_check "3: says the file and why" grep -qF "$c/dc.conf: $c/dc.conf is writable by anyone (mode 0666); refused: only root may" "$c/err"
fx_check "3: --check-config fails too (got $check_rc)" test "$check_rc" = 78
fx_check "3: root did not write where the user said" test "$(cat "$c/root-only/secret")" = secret
fx_check "3: a file in another user's directory: exit 78 (got $rc2)" test "$rc2" = 78
fx_check "3: says which directory" grep -qF "$c/userdir/dc.conf: $c/userdir is owned by uid $sec_uid, not root; refused" "$c/err2"
fx_check "3: nothing removed on the word of such a file" eval "! cleaned '$c'"

# ---- 6. The history and the stop times as FIFOs: the start does not hang --------------------------
c=$scratch/c6
mkdir -p "$c/state" && chmod 1777 "$c/state"
as_user mkfifo "$c/state/image-history"
as_user mkfifo "$c/state/container-stops"
sec_conf "$c/dc.conf" "$c" "$c/state"
start_fake "$c" || fx_fail "6: fake started"
run_once "$c/dc.conf" "$c/err"; rc=$?
stop_fake
fx_check "6: --once does not hang and exits 0 (got $rc)" test "$rc" = 0
fx_check "6: cleaned" cleaned "$c"
fx_check "6: says what the history is" grep -qF "$c/state/image-history is a FIFO, not a regular file: not read" "$c/err"
fx_check "6: and that the user's entry is not replaced" \
        grep -qF "Cannot save the usage history in $c/state: $c/state/image-history is owned by uid $sec_uid, not root, in $c/state, which others may write to; it is not replaced" "$c/err"
fx_check "6: the FIFO is left alone" test -p "$c/state/image-history"
fx_check "6: says what the stop times' file is" \
        grep -qF "$c/state/container-stops is a FIFO, not a regular file: not read; starting afresh (stopped containers are inspected)" "$c/err"
fx_check "6: and that it is not replaced" \
        grep -qF "Cannot save the container stop times in $c/state: $c/state/container-stops is owned by uid $sec_uid, not root, in $c/state, which others may write to; it is not replaced" "$c/err"
fx_check "6: that FIFO is left alone too" test -p "$c/state/container-stops"

# A state directory the user owns: their history is not read, nothing is written there, cleaning goes on.
c=$scratch/c6b
mkdir -p "$c/state" && chown "$sec_user" "$c/state"
as_user sh -c "printf 'dockerclean-history 1\n' >'$c/state/image-history'"
sec_conf "$c/dc.conf" "$c" "$c/state"
start_fake "$c" || fx_fail "6b: fake started"
run_once "$c/dc.conf" "$c/err"; rc=$?
stop_fake
fx_check "6b: a state directory of the user's: --once exits 0 (got $rc)" test "$rc" = 0
fx_check "6b: cleaned" cleaned "$c"
fx_check "6b: their history is not read, and why" \
        grep -qF "The usage history in $c/state is not read: $c/state is owned by uid $sec_uid, not root; refused" "$c/err"
fx_check "6b: nor saved there, and why" \
        grep -qF "Cannot save the usage history in $c/state: $c/state is owned by uid $sec_uid, not root; refused" "$c/err"
fx_check "6b: their file as they wrote it" test "$(cat "$c/state/image-history")" = "dockerclean-history 1"
fx_check "6b: nothing of root's there" test "$(find "$c/state" ! -user "$sec_user" | wc -l)" = 0

# ---- 7. The state filesystem filled by the user: the real errno, said once per change of state -------
c=$scratch/c7
mkdir -p "$c" "$scratch/small"
if mount -t tmpfs -o size=256k,mode=0755 dcsec "$scratch/small"; then
        mkdir "$scratch/small/state" "$scratch/small/pub" && chown "$sec_user" "$scratch/small/pub"
        # 120 images: the history is larger than stdio's buffer, where the error used to become EIO
        start_fake "$c" 120 || fx_fail "7: fake started"
        sec_conf "$c/dc.conf" "$c" "$scratch/small/state" "metrics_file = \"$c/dc.prom\";"
        as_user sh -c "dd if=/dev/zero of='$scratch/small/pub/fill' bs=4k 2>/dev/null; true"
        "$DOCKERCLEAND" --config "$c/dc.conf" --log-target console 2>"$c/err" &
        pid=$!
        fx_check "7: cleaned on a full state filesystem" wait_for 30 cleaned "$c"
        msg="Cannot save the usage history in $scratch/small/state"
        fx_check "7: says the real cause" wait_for 30 grep -qF "$msg: No space left on device; said once" "$c/err"
        fx_check "7: not as an I/O error" eval "! grep -q 'Input/output error' '$c/err'"
        # Below the watermark from now on: every check tries to save the still unsaved history again.
        HIGH=99.99% sec_conf "$c/dc.conf" "$c" "$scratch/small/state" "metrics_file = \"$c/dc.prom\";"
        kill -HUP "$pid"
        wait_for 30 grep -q 'Configuration reloaded' "$c/err"
        # Three checks after the reload, each of which rewrote the metrics file (a new inode each time).
        seen=0 last=
        end=$((SECONDS + 30))
        while [ "$seen" -lt 3 ] && [ $SECONDS -lt $end ]; do
                ino=$(stat -c %i "$c/dc.prom" 2>/dev/null || true)
                if [ -n "$ino" ] && [ "$ino" != "$last" ]; then seen=$((seen + 1)) last=$ino; fi
                sleep 0.1
        done
        fx_check "7: three more checks ran ($seen)" test "$seen" -ge 3
        fx_check "7: the failure said once in all of them ($(grep -c "$msg" "$c/err"))" test "$(grep -c "$msg" "$c/err")" = 1
        rm -f "$scratch/small/pub/fill"
        fx_check "7: said when saving works again" wait_for 30 grep -qF "The usage history in $scratch/small/state is saved again" "$c/err"
        kill -TERM "$pid"; wait "$pid"
        stop_fake
        umount "$scratch/small"
else
        fx_fail "7: cannot mount a small tmpfs"
fi

fx_done
