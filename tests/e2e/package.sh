# `cmake --install` and the .deb: the files land where the unit and the docs say, and the unit starts
# the binary installed under the prefix used; an existing /etc/dockerclean.conf is kept. The .deb is
# built as a Debian build would (a tree configured with dpkg-buildflags, cpack), lintian reports no
# error and no warning, it depends on what its unit and maintainer scripts run, installs into a fresh
# root with dpkg (enabling the unit and updating the journal catalog there), keeps an edited conffile
# across upgrades, removes the state directory on purge, and the installed daemon starts with the
# installed configuration and does a check against the bench engine.
set -u
. "$(dirname "$0")/common.bash"
build=$(cd "${DOCKERCLEAN_TEST_BIN_DIR:?}/.." && pwd)
src=${DOCKERCLEAN_SOURCE_DIR:?}

# --- cmake --install, default prefix (/usr/local) and another one ---------------------------------
DESTDIR="$scratch/di" cmake --install "$build" >/dev/null
for f in etc/dockerclean.conf usr/local/sbin/dockercleand lib/systemd/system/dockerclean.service \
        usr/lib/systemd/catalog/dockerclean.catalog usr/local/share/man/man8/dockercleand.8.gz \
        usr/local/share/man/man5/dockerclean.conf.5.gz usr/local/share/doc/dockerclean/copyright \
        usr/local/share/doc/dockerclean/changelog.gz; do
        fx_check "cmake --install: $f" test -f "$scratch/di/$f"
done
quiet() { "$@" >/dev/null; }
unit_exec() { sed -n "s|^$2=\([^ ]*\).*|\1|p" "$1"; }
fx_check "cmake --install: the unit starts /usr/local/sbin/dockercleand" \
        test "$(unit_exec "$scratch/di/lib/systemd/system/dockerclean.service" ExecStart)" = /usr/local/sbin/dockercleand
fx_check "cmake --install: the man page names /usr/local/sbin/dockercleand" \
        zgrep -q '^\.I /usr/local/sbin/dockercleand$' "$scratch/di/usr/local/share/man/man8/dockercleand.8.gz"
DESTDIR="$scratch/dp" cmake --install "$build" --prefix /opt/dc >/dev/null
fx_check "cmake --install --prefix /opt/dc: the unit starts /opt/dc/sbin/dockercleand" \
        test "$(unit_exec "$scratch/dp/lib/systemd/system/dockerclean.service" ExecStart)" = /opt/dc/sbin/dockercleand
fx_check "cmake --install --prefix /opt/dc: the binary is there" test -x "$scratch/dp/opt/dc/sbin/dockercleand"
echo '# the operator edited this' >"$scratch/di/etc/dockerclean.conf"
DESTDIR="$scratch/di" cmake --install "$build" >/dev/null
fx_check "cmake --install keeps an existing /etc/dockerclean.conf" grep -q 'the operator edited this' "$scratch/di/etc/dockerclean.conf"

# --- the .deb, built as Debian builds: Debian's flags, no sanitizers, no tests ----------------------
deb=$("$src/tests/system/build-deb.sh" "$src" "$scratch/rel")
fx_check "a release tree with dpkg-buildflags builds, cpack packs it" test -n "$deb" -a -f "$deb"
[ -n "$deb" ] || fx_done

command -v lintian >/dev/null || fx_check "lintian is installed (scripts/install-deps)" false
lintian --fail-on error,warning --display-level '>=warning' "$deb" >"$scratch/lintian.out" 2>&1
lint_rc=$?
lint=$(grep -v 'running with root privileges' "$scratch/lintian.out")
[ -n "$lint" ] && printf 'lintian: %s\n' "$lint"
fx_check "lintian: no error, no warning" test "$lint_rc" = 0 -a -z "$lint"

depends=$(dpkg-deb -f "$deb" Depends 2>/dev/null)
echo "Depends: $depends"
for lib in libcurl4 libjansson4 libconfig9 libsystemd0; do
        fx_check "the .deb depends on $lib" grep -q "$lib" <<<"$depends"
done
fx_check "the .deb has an extended description" test "$(dpkg-deb -f "$deb" Description | wc -l)" -gt 3
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/sbin/dockercleand ./etc/dockerclean.conf ./lib/systemd/system/dockerclean.service \
        ./usr/lib/systemd/catalog/dockerclean.catalog ./usr/share/man/man8/dockercleand.8.gz \
        ./usr/share/man/man5/dockerclean.conf.5.gz ./usr/share/doc/dockerclean/copyright \
        ./usr/share/doc/dockerclean/changelog.gz ./usr/share/doc/dockerclean/examples/monitoring/prometheus/dockerclean.rules.yml \
        ./usr/share/doc/dockerclean/examples/monitoring/grafana/dockerclean.json; do
        fx_check "the .deb ships $f" grep -qx -- "$f" <<<"$files"
done
fx_check "no Type=notify-reload drop-in for systemd $(pkg-config --modversion libsystemd) (it needs 253)" \
        bash -c "[ $(pkg-config --modversion libsystemd) -ge 253 ] || ! grep -q 'notify-reload' <<<'$files'"
fx_check "the configuration is a conffile" grep -qx /etc/dockerclean.conf <<<"$(dpkg-deb -I "$deb" conffiles)"
mkdir -p "$scratch/x"
dpkg-deb -x "$deb" "$scratch/x"
fx_check "the packaged binary is stripped" bash -c "file -L '$scratch/x/usr/sbin/dockercleand' | grep -q ', stripped'"
shipped_unit=$scratch/x/lib/systemd/system/dockerclean.service
fx_check "the packaged unit starts /usr/sbin/dockercleand" test "$(unit_exec "$shipped_unit" ExecStart)" = /usr/sbin/dockercleand

# It depends on everything its unit runs: each program an Exec line names is the package's own, or
# comes from an Essential package or one in Depends.
for prog in $(grep -E '^Exec[A-Za-z]*=' "$shipped_unit" | grep -oE "/[A-Za-z0-9_/.+-]*bin/[A-Za-z0-9_.+-]+" | sort -u); do
        if [ -e "$scratch/x$prog" ]; then
                echo "unit runs $prog: the package's own"
                continue
        fi
        owner=$(dpkg -S "$prog" 2>/dev/null | grep -v '^diversion ' | sed -n '1s/:.*//p')
        [ -n "$owner" ] || owner=$(dpkg -S "$(readlink -f "$prog")" 2>/dev/null | grep -v '^diversion ' | sed -n '1s/:.*//p')
        essential=$(dpkg-query -W -f='${Essential}' "$owner" 2>/dev/null)
        echo "unit runs $prog: from ${owner:-nothing installed}, Essential: ${essential:-no}"
        fx_check "the unit's $prog is Essential or a dependency" \
                bash -c "[ '$essential' = yes ] || grep -qw -- '$owner' <<<'$depends'"
done
# The maintainer scripts use deb-systemd-helper / deb-systemd-invoke (init-system-helpers is
# Essential), never systemctl enable/start/stop.
ctl=$(mktemp -d "$scratch/ctl.XXXXXX")
dpkg-deb -e "$deb" "$ctl"
fx_check "the maintainer scripts call deb-systemd-helper and deb-systemd-invoke" \
        bash -c "grep -q deb-systemd-helper '$ctl/postinst' && grep -q deb-systemd-invoke '$ctl/postinst' && grep -q deb-systemd-invoke '$ctl/prerm'"
fx_check "no maintainer script runs systemctl except daemon-reload" \
        bash -c "! grep -hv '^ *#' '$ctl/postinst' '$ctl/prerm' '$ctl/postrm' | grep systemctl | grep -v 'systemctl --system daemon-reload'"
fx_check "init-system-helpers is Essential" test "$(dpkg-query -W -f='${Essential}' init-system-helpers)" = yes

# --- dpkg into a fresh root (maintainer scripts run outside it with DPKG_ROOT set: no systemd there,
# so nothing starts, but deb-systemd-helper enables the unit inside the root) ---------------------------
root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/usr/bin"
: >"$root/var/lib/dpkg/status"
# postrm looks for the helper inside the root, as in a real one.
ln -s /usr/bin/deb-systemd-helper "$root/usr/bin/deb-systemd-helper"
dpkg_root() { dpkg --root="$root" --force-depends --force-script-chrootless --log=/dev/null "$@"; }
fx_check "dpkg installs the .deb" dpkg_root -i "$deb"
fx_check "dpkg lists it as installed" dpkg --root="$root" -s dockerclean
fx_check "the postinst enables the unit (inside the root)" \
        test -L "$root/etc/systemd/system/multi-user.target.wants/dockerclean.service"
fx_check "the postinst updates the journal catalog" \
        bash -c "journalctl --root='$root' --list-catalog 2>/dev/null | grep -q ' dockerclean: '"
fx_check "the shipped configuration is valid" quiet "$root/usr/sbin/dockercleand" --config "$root/etc/dockerclean.conf" --check-config
sed "s|^\( *\)#socket = .*|\1socket = \"$DOCKERCLEAN_TEST_SOCKET\";|; s|^#state_dir = .*|state_dir = \"$scratch/state\";|" \
        "$root/etc/dockerclean.conf" >"$scratch/installed.conf"
fx_check "the installed daemon runs a check against the engine" \
        "$root/usr/sbin/dockercleand" --config "$scratch/installed.conf" --once --log-target console

# Upgrades keep an edited conffile: the same shipped file (silently), and a changed one with apt's
# non-interactive choice (--force-confdef --force-confold: the operator's file stays, the new one
# lands beside it as .dpkg-dist).
repack() { # repack VERSION [CONF-EDIT]: the .deb again as VERSION, its shipped conf changed by sed CONF-EDIT
        local v=$1 d=$scratch/repack-$1
        rm -rf "$d" && mkdir -p "$d" && dpkg-deb -R "$deb" "$d"
        sed -i "s/^Version: .*/Version: $v/" "$d/DEBIAN/control"
        if [ -n "${2:-}" ]; then
                sed -i "$2" "$d/etc/dockerclean.conf"
                (cd "$d" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$d/DEBIAN/md5sums"
        fi
        dpkg-deb --root-owner-group -b "$d" "$scratch/dockerclean_$v.deb" >/dev/null
        echo "$scratch/dockerclean_$v.deb"
}
printf '\n# the operator edited this\ninterval = "5m";\n' >>"$root/etc/dockerclean.conf"
mkdir -p "$root/var/lib/dockerclean" && echo kept >"$root/var/lib/dockerclean/history"
fx_check "an upgrade installs" dpkg_root -i "$(repack 0.1.0.1)"
fx_check "an upgrade keeps the edited conffile" grep -q 'the operator edited this' "$root/etc/dockerclean.conf"
fx_check "an upgrade keeps the state directory" grep -q kept "$root/var/lib/dockerclean/history"
fx_check "an upgrade whose shipped conf changed installs (confold)" \
        dpkg_root --force-confdef --force-confold -i "$(repack 0.1.0.2 '1s/^/# changed upstream\n/')"
fx_check "... and keeps the edited conffile" grep -q 'the operator edited this' "$root/etc/dockerclean.conf"
fx_check "... with the new one beside it" grep -q 'changed upstream' "$root/etc/dockerclean.conf.dpkg-dist"
fx_check "the edited file is still valid" quiet "$root/usr/sbin/dockercleand" --config "$root/etc/dockerclean.conf" --check-config

# Remove keeps the configuration and the state; purge removes both and the unit's enablement.
fx_check "dpkg removes the package" dpkg_root -r dockerclean
fx_check "remove keeps the configuration" test -f "$root/etc/dockerclean.conf"
fx_check "remove keeps the state directory" test -d "$root/var/lib/dockerclean"
fx_check "remove drops the binary" test ! -e "$root/usr/sbin/dockercleand"
fx_check "dpkg purges the package" dpkg_root -P dockerclean
fx_check "purge removes the state directory" test ! -e "$root/var/lib/dockerclean"
fx_check "purge removes the configuration" test ! -e "$root/etc/dockerclean.conf"
fx_check "purge removes the enablement symlink" \
        test ! -e "$root/etc/systemd/system/multi-user.target.wants/dockerclean.service"
fx_done
