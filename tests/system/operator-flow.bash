# shellcheck shell=bash
# The operator's flow in a booted Debian root, shared by tests/e2e/operator_flow.sh (Debian 12) and
# tests/e2e/operator_flow_trixie.sh (Debian 13). The caller sources tests/e2e/common.bash and sets
# $suite (bookworm or trixie); this file runs every step and ends with fx_done.
src=${DOCKERCLEAN_SOURCE_DIR:?}
t0=$(date +%s)
quiet() { "$@" >/dev/null; }
not() { ! "$@"; }

unavailable() { # unavailable REASON: skip outside CI, fail in CI
        if [ "${CI:-}" = true ]; then fx_fail "$1"; fx_done; fi
        echo "SKIP: $1" >&2
        exit 77
}
[ "$(id -u)" = 0 ] || unavailable "must run as root (mounts, systemd-nspawn)"
for tool in systemd-nspawn debootstrap unshare nsenter mkfs.ext4; do
        command -v "$tool" >/dev/null || unavailable "$tool is missing (scripts/install-deps installs systemd-container, debootstrap)"
done

# --- the root (built once, then reused) and the .deb ------------------------------------------------
root=$("$src/tests/system/debian-root.sh" "$suite") || unavailable "cannot build the Debian $suite root with debootstrap (see above)"
echo "root: $root (ready after $(($(date +%s) - t0)) s)"
# The Debian 12 package, built here; on Debian 13 it is also built inside the root, from the tree.
deb=$("$src/tests/system/build-deb.sh" "$src" "$scratch/rel")
fx_check "the Debian 12 .deb builds" test -n "$deb" -a -f "$deb" || fx_done

# --- boot ---------------------------------------------------------------------------------------------
w=$scratch/flow
mkdir -p "$w/upper/root" "$w/upper/etc/docker" "$w/work" "$w/merged" "$w/docker"
cp "$deb" "$w/upper/root/dockerclean-bookworm.deb"
# No bridge and no iptables rules for dockerd: the flow runs no container, and the container has
# only its own loopback anyway (--private-network).
echo '{ "bridge": "none", "iptables": false, "ip-masq": false }' >"$w/upper/etc/docker/daemon.json"
truncate -s 512M "$w/docker.img"
mkfs.ext4 -q -F "$w/docker.img"
nspawn_pid=
cleanup() {
        if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
                kill -TERM "$nspawn_pid" 2>/dev/null # nspawn asks the container's systemd to power off
                for _ in $(seq 1 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
                if kill -0 "$nspawn_pid" 2>/dev/null; then
                        [ -n "${leader:-}" ] && kill -KILL "$leader" 2>/dev/null # the container's PID 1: all of it
                        kill -KILL "$nspawn_pid" 2>/dev/null
                        for _ in $(seq 1 50); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
                fi
        fi
        # The mounts were in the namespace that just ended; the loop device clears itself with them.
        [ -n "${made_run_dir:-}" ] && rmdir /run/systemd/nspawn 2>/dev/null
        rm -rf "$scratch"
}
trap cleanup EXIT
# systemd-nspawn wants /run/systemd/nspawn on a tmpfs (here /run is on disk): give it one in a
# private mount namespace, with the overlay over the cached root (which stays untouched) and the loop
# filesystem for /var/lib/docker. On this cgroup-v1 host dockerd inside needs SYSTEMD_SECCOMP=0;
# systemd 257 (Debian 13) refuses to boot on cgroup v1, so that container gets the unified hierarchy.
# Debian 13's container builds the package from the tree, bound read-only at /src.
nspawn_env="SYSTEMD_SECCOMP=0" nspawn_extra=
if [ "$suite" != bookworm ]; then
        nspawn_env="$nspawn_env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1"
        nspawn_extra="--bind-ro=$src:/src"
fi
made_run_dir=
[ -d /run/systemd/nspawn ] || { mkdir -p /run/systemd/nspawn && made_run_dir=yes; }
cat >"$w/boot.sh" <<EOF
set -e
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
mount -t overlay overlay -o lowerdir=$root,upperdir=$w/upper,workdir=$w/work $w/merged
mount -o loop $w/docker.img $w/docker
export $nspawn_env
exec systemd-nspawn --quiet -D $w/merged --boot --register=no --keep-unit --private-network \\
        --machine=dcflow-$$ --hostname=dcflow --bind=$w/docker:/var/lib/docker $nspawn_extra --console=pipe
EOF
unshare -m bash "$w/boot.sh" >"$w/console.log" 2>&1 </dev/null &
nspawn_pid=$!
leader=
for _ in $(seq 1 100); do
        leader=$(pgrep -P "$nspawn_pid" -x systemd | head -1)
        [ -n "$leader" ] && break
        kill -0 "$nspawn_pid" 2>/dev/null || break
        sleep 0.1
done
if [ -z "$leader" ]; then
        cat "$w/console.log" >&2
        fx_fail "systemd-nspawn boots the root (console above)"
        fx_done
fi
# ct CMD...: run in the container (its namespaces, a clean environment), as `machinectl shell` would.
ct() { nsenter -t "$leader" -m -u -i -n -p -C -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
# Until its manager answers (the first boot of a fresh overlay presets every unit) and has finished.
state=
for _ in $(seq 1 300); do
        state=$(ct systemctl is-system-running 2>&1)
        case "$state" in running | degraded | maintenance | stopping | offline) break ;; esac
        kill -0 "$nspawn_pid" 2>/dev/null || break
        sleep 0.3
done
echo "system state: $state (after $(($(date +%s) - t0)) s)"
fx_check "the container boots (running or degraded)" grep -qxE 'running|degraded' <<<"$state"
[ "$state" = degraded ] && ct systemctl --failed --no-pager
fx_check "docker.service is active" test "$(ct systemctl is-active docker.service)" = active || fx_done
fx_check "/var/lib/docker is the loop filesystem" \
        test "$(ct docker info --format '{{.DockerRootDir}}')" = /var/lib/docker -a "$(ct stat -f -c %b /var/lib/docker)" -lt 140000

# (procps, and so pgrep, is not in the Debian 12 root: look through /proc)
running_daemons() { ct bash -c 'n=0; for c in /proc/[0-9]*/comm; do [ "$(cat "$c" 2>/dev/null)" = dockercleand ] && n=$((n + 1)); done; echo $n'; }
if [ "$suite" = bookworm ]; then
        fx_check "this root has no /bin/kill (no procps): the reload must do without it" \
                ct bash -c '! test -e /bin/kill && ! test -e /usr/bin/kill'
fi

# --- install, enable --------------------------------------------------------------------------------
if [ "$suite" = bookworm ]; then
        ct cp /root/dockerclean-bookworm.deb /root/dockerclean.deb
else
        # The Debian 12 package cannot install here: it depends on libconfig9, and Debian 13 has
        # libconfig11 (libcurl4 is provided by libcurl4t64). Build the package in the root instead.
        out=$(ct apt-get install -y -q --no-install-recommends /root/dockerclean-bookworm.deb 2>&1)
        printf '%s\n' "$out" | grep -E 'Depends|unmet|E:' | sed 's/^/apt (Debian 12 package): /'
        fx_check "the Debian 12 package does not install on $suite: it depends on libconfig9" \
                grep -q 'Depends: libconfig9 but it is not installable' <<<"$out"
        fx_check "the package builds inside the $suite root (systemd $(ct systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'))" \
                ct bash -c 'set -e; export DEB_BUILD_MAINT_OPTIONS=hardening=+all
                        CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
                        cmake -S /src -B /root/build -DCMAKE_BUILD_TYPE=None -DDOCKERCLEAN_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr -Wno-dev >/root/build.log 2>&1
                        cmake --build /root/build -j2 >>/root/build.log 2>&1
                        cd /root/build && cpack -G DEB >>/root/build.log 2>&1 && cp /root/build/dockerclean_*.deb /root/dockerclean.deb' ||
                { ct tail -30 /root/build.log; fx_done; }
        fx_check "... and ships the Type=notify-reload drop-in" \
                bash -c "dpkg-deb -c '$w/upper/root/dockerclean.deb' 2>/dev/null | grep -q 'dockerclean.service.d/notify-reload.conf'"
fi
fx_check "apt installs the .deb" ct apt-get install -y -q --no-install-recommends /root/dockerclean.deb
fx_check "systemctl enable --now dockerclean" ct systemctl enable --now dockerclean
fx_check "dockerclean.service is active" test "$(ct systemctl is-active dockerclean)" = active
fx_check "... and enabled" test "$(ct systemctl is-enabled dockerclean)" = enabled
pid=$(ct systemctl show -P MainPID dockerclean)
fx_check "... one dockercleand process runs (seen in /proc)" test "$(running_daemons)" = 1
echo "dockercleand: pid $pid (in the container), status: $(ct systemctl show -P StatusText dockerclean)"
fx_check "the daemon sent READY=1 and a status" test -n "$(ct systemctl show -P StatusText dockerclean)"
if [ "$suite" = bookworm ]; then
        fx_check "the unit is Type=notify (systemd 252)" test "$(ct systemctl show -P Type dockerclean)" = notify
else
        fx_check "the unit is Type=notify-reload (the drop-in)" test "$(ct systemctl show -P Type dockerclean)" = notify-reload
fi

# Images worth about 180 MB (docker import: no container has to run), one of them used by a container.
fx_check "docker import makes three images, a container uses one" ct bash -c 'set -e; d=$(mktemp -d); for n in a b c; do head -c 60M /dev/urandom >"$d/blob"; tar -C "$d" -c blob | docker import - flow/$n:1 >/dev/null; done; rm -rf "$d"; docker create --name pinned flow/a:1 /blob >/dev/null'
used() { ct df -P /var/lib/docker | awk 'NR==2 { sub("%", "", $5); print $5 }'; }
before=$(used)
echo "usage with the images: $before %"
fx_check "the images fill the filesystem past 30 %" test "$before" -ge 30

# --- edit in place, reload ----------------------------------------------------------------------------
example=$(ct cat /etc/dockerclean.conf | grep -o '"/[^"]*\.prom"' | head -1 | tr -d '"')
echo "shipped metrics_file example: $example"
fx_check "the shipped conf has a metrics_file example" test -n "$example"
high=$((before - 5)) low=$((before - 20))
ct sed -i -e "s|^#interval = .*|interval = \"5s\";|" \
        -e "s|^  #high_watermark = .*|  high_watermark = \"$high%\";|" -e "s|^  #low_watermark = .*|  low_watermark = \"$low%\";|" \
        -e "s|^#metrics_file = .*|metrics_file = \"$example\";|" \
        -e 's|^#tiers = (|tiers = ( { type = "unused-images"; min_age = "0s"; } );\n#tiers = (|' /etc/dockerclean.conf
fx_check "the edited conf is valid" quiet ct dockercleand --check-config
reloaded() { ct journalctl -u dockerclean -o cat --no-pager MESSAGE_ID=ad877b508a53466888d63380f14b4bf0 | grep -c .; }
n0=$(reloaded)
fx_check "systemctl reload dockerclean succeeds" ct systemctl reload dockerclean
fx_check "... the same process runs on" test "$(ct systemctl show -P MainPID dockerclean)" = "$pid"
for _ in $(seq 1 20); do [ "$(reloaded)" -gt "$n0" ] && break; sleep 0.2; done
sleep 0.5
fx_check "... which re-read the file once (one 'Configuration reloaded' record)" test "$(reloaded)" = $((n0 + 1))
for _ in $(seq 1 60); do [ "$(used)" -lt "$low" ] && break; sleep 0.5; done
after=$(used)
echo "usage after the cleanup: $after % (high $high %, low $low %)"
fx_check "the daemon cleaned below the low watermark" test "$after" -lt "$low"
fx_check "the image a container uses is kept" quiet ct docker image inspect flow/a:1
status=$(ct systemctl show -P StatusText dockerclean)
echo "status: $status"
fx_check "StatusText names the last cleanup" grep -qE 'last freed [1-9][0-9.]* (B|KiB|MiB|GiB)' <<<"$status"

# The journal: the unit's records with their structured fields, the catalog with -x.
removed=$(ct journalctl -u dockerclean -o json --no-pager MESSAGE_ID=c7b9ea3d18b34a68bee697813b22146c)
for f in DOCKERCLEAN_TIER DOCKERCLEAN_OBJECT DOCKERCLEAN_NAME DOCKERCLEAN_BYTES DOCKERCLEAN_USED_PERCENT DOCKERCLEAN_FREE_BYTES; do
        fx_check "journalctl -u dockerclean: removal records carry $f" grep -q "\"$f\":" <<<"$removed"
done
fx_check "journalctl -u dockerclean: the tier is unused-images" grep -q '"DOCKERCLEAN_TIER":"unused-images"' <<<"$removed"
done_rec=$(ct journalctl -u dockerclean -o json --no-pager MESSAGE_ID=0df3a46d76df44c1a3c984f92c4e4c45)
fx_check "journalctl -u dockerclean: cleanup finished, with DOCKERCLEAN_RECLAIMED_BYTES" grep -q '"DOCKERCLEAN_RECLAIMED_BYTES":' <<<"$done_rec"
explained=$(ct journalctl -x -u dockerclean --no-pager)
fx_check "journalctl -x: the catalog explains the removal" grep -q 'Subject: Docker object removed by dockerclean' <<<"$explained"
fx_check "journalctl -x: ... with its text" grep -q 'dockercleand removed one object' <<<"$explained"

# The metrics example as shipped: written under ProtectSystem=strict, readable by node_exporter
# (user prometheus), served by it.
for _ in $(seq 1 20); do ct test -s "$example" && break; sleep 0.5; done
fx_check "the daemon writes $example" ct test -s "$example"
fx_check "... readable by others (node_exporter runs as prometheus)" test "$(ct stat -c %a "$example")" = 644
scrape=$(ct bash -c 'exec 3<>/dev/tcp/127.0.0.1/9100 && printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3')
fx_check "node_exporter serves dockerclean_engine_up 1" grep -qx 'dockerclean_engine_up 1' <<<"$scrape"
fx_check "node_exporter serves the reclaimed bytes" grep -q '^dockerclean_reclaimed_bytes_total{tier="unused-images"} [1-9]' <<<"$scrape"
fx_check "node_exporter reads the textfile without error" grep -qx 'node_textfile_scrape_error 0' <<<"$scrape"
fx_check "node_exporter has node_textfile_mtime_seconds for it" grep -q '^node_textfile_mtime_seconds{file="[^"]*dockerclean.prom"}' <<<"$scrape"

# --- a broken edit: reload fails and says why, the daemon keeps running -----------------------------
ct cp /etc/dockerclean.conf /root/good.conf
ct sed -i 's|^interval = "5s";|interval = "5 parsecs";|' /etc/dockerclean.conf
reload_out=$(ct systemctl reload dockerclean 2>&1)
reload_rc=$?
echo "systemctl reload (broken file): exit $reload_rc: $reload_out"
fx_check "systemctl reload fails on a broken file" test "$reload_rc" != 0
fx_check "... the daemon keeps running (same process, active)" \
        test "$(ct systemctl show -P MainPID dockerclean)" = "$pid" -a "$(ct systemctl is-active dockerclean)" = active
fx_check "... systemctl status shows FILE:LINE and what is wrong" \
        grep -q '/etc/dockerclean.conf:[0-9]*: interval: invalid duration' <<<"$(ct systemctl status dockerclean --no-pager -n 20)"
fx_check "... so does journalctl -u dockerclean" \
        grep -q '/etc/dockerclean.conf:[0-9]*: interval: invalid duration' <<<"$(ct journalctl -u dockerclean --no-pager -n 20)"
ct cp /root/good.conf /etc/dockerclean.conf
fx_check "systemctl reload succeeds again once the file is fixed" ct systemctl reload dockerclean

# --- a restart keeps the usage history ----------------------------------------------------------------
hist=/var/lib/dockerclean/image-history
fx_check "the usage history is saved in /var/lib/dockerclean" ct test -s "$hist"
ct cat "$hist" >"$scratch/history.before"
fx_check "systemctl restart dockerclean" ct systemctl restart dockerclean
fx_check "... the daemon is back" test "$(ct systemctl is-active dockerclean)" = active
newpid=$(ct systemctl show -P MainPID dockerclean)
fx_check "... as a new process" test "$newpid" != "$pid"
sleep 1
ct journalctl --no-pager -o cat _PID="$newpid" >"$scratch/after-restart.log"
ct cat "$hist" >"$scratch/history.after"
fx_check "... which read the history it had (no warning about it)" not grep -q 'usage history' "$scratch/after-restart.log"
fx_check "... and still has every entry it had, with its time (not seeded again)" \
        bash -c "grep '^sha256:' '$scratch/history.before' | grep -qvxF -f '$scratch/history.after' && exit 1; grep -q '^sha256:' '$scratch/history.before'"
sed "s/^/history: /" "$scratch/history.after"
echo "history: $(grep -c '^sha256:' "$scratch/history.before") image entries before the restart, $(grep -c '^sha256:' "$scratch/history.after") after"

# --- an upgrade (the same package again) keeps the edited conffile and restarts with it ------------------
fx_check "apt reinstalls the package (an upgrade's maintainer scripts)" \
        ct apt-get install -y -q --reinstall --no-install-recommends /root/dockerclean.deb
fx_check "... the edited /etc/dockerclean.conf is kept" ct grep -q "^  high_watermark = \"$high%\";" /etc/dockerclean.conf
fx_check "... the daemon was restarted" test "$(ct systemctl show -P MainPID dockerclean)" != "$newpid" -a "$(ct systemctl is-active dockerclean)" = active
fx_check "... and runs with the edited file" grep -q "clean at $high%" <<<"$(ct systemctl show -P StatusText dockerclean)"

# --- apt remove stops it; apt purge removes the state ---------------------------------------------------
fx_check "apt remove dockerclean" ct apt-get remove -y -q dockerclean
fx_check "... stops the service" test "$(ct systemctl is-active dockerclean)" != active
fx_check "... no dockercleand process is left" test "$(running_daemons)" = 0
fx_check "... keeps the configuration and the state" ct test -f /etc/dockerclean.conf -a -d /var/lib/dockerclean
fx_check "apt purge dockerclean" ct apt-get purge -y -q dockerclean
fx_check "... removes /var/lib/dockerclean" ct test ! -e /var/lib/dockerclean
fx_check "... removes /etc/dockerclean.conf" ct test ! -e /etc/dockerclean.conf
fx_check "... leaves no enablement behind" ct test ! -e /etc/systemd/system/multi-user.target.wants/dockerclean.service
echo "operator flow: $(($(date +%s) - t0)) s"
fx_done
