# `cmake --install` and the .deb: the files land where the unit and the docs say, an existing
# /etc/dockerclean.conf is kept, the package depends on Debian's runtime libraries, installs into a
# fresh root with dpkg, and the installed daemon starts with the installed configuration and does a
# check against the bench engine.
set -u
. "$(dirname "$0")/common.bash"
build=$(cd "${DOCKERCLEAN_TEST_BIN_DIR:?}/.." && pwd)

DESTDIR="$scratch/di" cmake --install "$build" >/dev/null
for f in etc/dockerclean.conf usr/local/sbin/dockercleand lib/systemd/system/dockerclean.service \
        usr/lib/systemd/catalog/dockerclean.catalog usr/local/share/man/man8/dockercleand.8 \
        usr/local/share/man/man5/dockerclean.conf.5; do
        fx_check "cmake --install: $f" test -f "$scratch/di/$f"
done
echo '# the operator edited this' >"$scratch/di/etc/dockerclean.conf"
DESTDIR="$scratch/di" cmake --install "$build" >/dev/null
fx_check "cmake --install keeps an existing /etc/dockerclean.conf" grep -q 'the operator edited this' "$scratch/di/etc/dockerclean.conf"

(cd "$scratch" && cpack -G DEB -B "$scratch/pkg" --config "$build/CPackConfig.cmake" >/dev/null 2>&1)
deb=$(ls "$scratch"/pkg/*.deb 2>/dev/null | head -1)
fx_check "cpack builds a .deb" test -n "$deb"
depends=$(dpkg-deb -f "$deb" Depends 2>/dev/null)
echo "Depends: $depends"
for lib in libcurl4 libjansson4 libconfig9 libsystemd0; do
        fx_check "the .deb depends on $lib" grep -q "$lib" <<<"$depends"
done
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/sbin/dockercleand ./etc/dockerclean.conf ./lib/systemd/system/dockerclean.service \
        ./usr/lib/systemd/catalog/dockerclean.catalog; do
        fx_check "the .deb ships $f" grep -qx -- "$f" <<<"$files"
done
fx_check "the configuration is a conffile" grep -qx /etc/dockerclean.conf <<<"$(dpkg-deb -I "$deb" conffiles)"

# Install into a fresh root (maintainer scripts run outside it: no systemd there, so they only
# update nothing and succeed), then start the installed daemon.
root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
: >"$root/var/lib/dpkg/status"
fx_check "dpkg installs the .deb" dpkg --root="$root" --force-depends --force-script-chrootless \
        --log=/dev/null -i "$deb"
fx_check "dpkg lists it as installed" dpkg --root="$root" -s dockerclean
sed "s|^\( *\)#socket = .*|\1socket = \"$DOCKERCLEAN_TEST_SOCKET\";|; s|^#state_dir = .*|state_dir = \"$scratch/state\";|" \
        "$root/etc/dockerclean.conf" >"$scratch/installed.conf"
fx_check "the shipped configuration is valid" "$root/usr/sbin/dockercleand" --config "$root/etc/dockerclean.conf" --check-config
fx_check "the installed daemon runs a check against the engine" \
        "$root/usr/sbin/dockercleand" --config "$scratch/installed.conf" --once --log-target console
fx_done
