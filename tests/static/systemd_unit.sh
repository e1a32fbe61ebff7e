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

# The unit as this build installs it (generated from systemd/dockerclean.service.in for the build's
# prefix), with ExecStart pointing at the binary just built (verify checks that it exists) and the man
# pages it names reachable (verify runs `man` on Documentation=).
gen=${DOCKERCLEAN_TEST_BIN_DIR:?}/../generated
unit=$gen/dockerclean.service
test -f "$unit" || { echo "FAIL: $unit missing (cmake generates it)" >&2; exit 1; }
sed "s|/[^ ']*/sbin/dockercleand|$bin|g" "$unit" >"$tmp/dockerclean.service"
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
cp "$gen/dockercleand.8.gz" "$tmp/man/man8/"
cp "$gen/dockerclean.conf.5.gz" "$tmp/man/man5/"
out=$(cd "$tmp" && MANPATH="$tmp/man" systemd-analyze verify "$tmp/dockerclean.service" 2>&1)
rc=$?
[ -n "$out" ] && printf '%s\n' "$out"
check "systemd-analyze verify is clean" test "$rc" = 0 -a -z "$out"

sec=$(systemd-analyze security --offline=true --no-pager "$tmp/dockerclean.service" 2>&1)
score=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "exposure: ${score:-?}"
check "exposure level is at most 2.0 (got ${score:-none})" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
for k in Type=notify Restart=on-failure StateDirectory=dockerclean \
        CapabilityBoundingSet= NoNewPrivileges=yes ProtectSystem=strict RestrictAddressFamilies=AF_UNIX \
        SystemCallFilter=@system-service MemoryDenyWriteExecute=yes After=docker.service Wants=docker.service; do
        check "unit has $k" grep -qxF -- "$k" "$unit"
done
check "unit has WatchdogSec" grep -q '^WatchdogSec=' "$unit"
# A reload checks the file before signalling, and needs no /bin/kill (procps is not a dependency).
check "ExecReload checks the configuration, then signals" \
        grep -qxF -- "ExecReload=/bin/sh -c '$(sed -n 's|^ExecStart=\(.*\)$|\1|p' "$unit") --check-config --log-target console >/dev/null && kill -HUP \${MAINPID}'" "$unit"
check "no unit line runs /bin/kill or /usr/bin/kill" bash -c "! grep -Eq '^Exec.*(/usr)?/bin/kill' '$unit'"

# Every MESSAGE_ID in daemon/*.h (records.h, unlisted-run.h) has a catalog entry, and journalctl accepts the catalog.
mkdir -p "$tmp/root/usr/lib/systemd/catalog"
cp "$src/systemd/dockerclean.catalog" "$tmp/root/usr/lib/systemd/catalog/"
check "journalctl --update-catalog accepts the catalog" journalctl --root="$tmp/root" --update-catalog
listed=$(journalctl --root="$tmp/root" --list-catalog 2>/dev/null)
for id in $(sed -n 's/^#define RECORD_MID_[A-Z_]* *"\([0-9a-f]\{32\}\)".*/\1/p' "$src"/daemon/*.h); do
        check "catalog explains $id" grep -q "^$id dockerclean:" <<<"$listed"
done
[ "$fail" = 0 ] || { echo "$fail check(s) failed" >&2; exit 1; }
echo "all checks passed"
