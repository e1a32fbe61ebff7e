#!/usr/bin/env bash
# Builds the .deb as a Debian build would and prints its path:
#
#   tests/system/build-deb.sh SOURCE-DIR WORK-DIR
#
# A release tree in WORK-DIR/build configured with Debian's flags (dpkg-buildflags, hardening=+all),
# prefix /usr, no sanitizers, no test suites; cpack puts the .deb in WORK-DIR/pkg. Used by
# tests/e2e/package.sh and tests/e2e/operator_flow.sh. Output of the build goes to WORK-DIR/build.log.
set -euo pipefail
src=$1 work=$2
mkdir -p "$work"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
{
        CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
                cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=None -DDOCKERCLEAN_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr -Wno-dev
        cmake --build "$work/build" -j2
        (cd "$work" && cpack -G DEB -B "$work/pkg" --config "$work/build/CPackConfig.cmake")
} >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; echo "build-deb: failed; log in $work/build.log" >&2; exit 1; }
deb=$(ls "$work"/pkg/*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "build-deb: cpack made no .deb" >&2; exit 1; }
echo "$deb"
