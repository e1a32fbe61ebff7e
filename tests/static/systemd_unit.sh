# The unit file passes `systemd-analyze verify`, its `systemd-analyze security --offline=true` exposure
# is at most 2.0, and the journal catalog covers every MESSAGE_ID the daemon logs.
set -u
src=${DOCKERCLEAN_SOURCE_DIR:?}
bin=${DOCKERCLEAND:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "FAIL: $what" >&2; fail=$((fail + 1)); fi; }

command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze missing (install systemd)" >&2; exit 1; }

# The unit as installed, with ExecStart pointing at the binary just built (verify checks that it exists)
# and the man pages it names reachable (verify runs `man` on Documentation=).
sed "s|/usr/sbin/dockercleand|$bin|" "$src/systemd/dockerclean.service" >"$tmp/dockerclean.service"
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
cp "$src/man/dockercleand.8" "$tmp/man/man8/" 2>/dev/null
cp "$src/man/dockerclean.conf.5" "$tmp/man/man5/" 2>/dev/null
out=$(cd "$tmp" && MANPATH="$tmp/man" systemd-analyze verify "$tmp/dockerclean.service" 2>&1)
rc=$?
[ -n "$out" ] && printf '%s\n' "$out"
check "systemd-analyze verify is clean" test "$rc" = 0 -a -z "$out"

sec=$(systemd-analyze security --offline=true --no-pager "$tmp/dockerclean.service" 2>&1)
score=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "exposure: ${score:-?}"
check "exposure level is at most 2.0 (got ${score:-none})" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
for k in Type=notify 'ExecReload=/bin/kill -HUP $MAINPID' Restart=on-failure StateDirectory=dockerclean \
        CapabilityBoundingSet= NoNewPrivileges=yes ProtectSystem=strict RestrictAddressFamilies=AF_UNIX \
        SystemCallFilter=@system-service MemoryDenyWriteExecute=yes After=docker.service Wants=docker.service; do
        check "unit has $k" grep -qxF -- "$k" "$src/systemd/dockerclean.service"
done
check "unit has WatchdogSec" grep -q '^WatchdogSec=' "$src/systemd/dockerclean.service"

# Every MESSAGE_ID in daemon/records.h has a catalog entry, and journalctl accepts the catalog.
mkdir -p "$tmp/root/usr/lib/systemd/catalog"
cp "$src/systemd/dockerclean.catalog" "$tmp/root/usr/lib/systemd/catalog/"
check "journalctl --update-catalog accepts the catalog" journalctl --root="$tmp/root" --update-catalog
listed=$(journalctl --root="$tmp/root" --list-catalog 2>/dev/null)
for id in $(sed -n 's/^#define RECORD_MID_[A-Z_]* *"\([0-9a-f]\{32\}\)".*/\1/p' "$src/daemon/records.h"); do
        check "catalog explains $id" grep -q "^$id dockerclean:" <<<"$listed"
done
[ "$fail" = 0 ] || { echo "$fail check(s) failed" >&2; exit 1; }
echo "all checks passed"
