# shellcheck shell=bash
# Start and stop a private engine for tests and the demo; sourced by with-engine.sh and scripts/demo.
#
# Engines (bench_engine_start's KIND), one row each of BENCH_ENGINE_TABLE below:
#   docker20             the host's own dockerd: Debian 12's docker.io 20.10, or a dockerd of another
#                        origin (docker-ce) when one is installed; run as a second, private instance
#   docker26             Debian 13's dockerd 26 (overlay2), run with chroot in the cached trixie root
#   docker26-containerd  the same with the containerd image store: Debian 13's containerd with its root
#                        on a loop filesystem of its own (CONTAINERD_SIZE, default the data-root's size
#                        and inode count), DockerRootDir on another
#   podman5              Debian 13's Podman 5.4 service (runtime runc, cgroupfs) in the same root
#   docker28             Debian forky's dockerd 28.5 (overlay2), in the cached forky root
#   docker28-containerd  the same with forky's containerd 2.1 image store (its root on its own loop fs)
#   podman58             Debian forky's Podman 5.8 service (runtime runc, cgroupfs) in the forky root
# Every engine gets its own socket, exec-root (or runroot), pidfile and a data-root on a loop-mounted
# ext4 image. The chroot engines run in a mount namespace of their own: the root bind-mounted onto
# itself, /proc, /sys, /dev, private tmpfs on /run and /tmp, /var/lib/containers from the bench
# directory, and the bench directory bound at its own path, so every path the engine reports is the
# same inside the root and on the host (dockercleand measures from the host). The engine's mounts
# (overlay, shm) stay in that namespace and go with it.
# The engines from a root use that root's docker CLI and its buildx plugin (BuildKit builds).

bench_log() { printf 'bench: %s\n' "$*" >&2; }
# shellcheck source=tests/bench/progress.sh
. "$(dirname "${BASH_SOURCE[0]}")/progress.sh"

# KIND: SUITE (the Debian root it runs from, "-" for the host's), FLAVOUR (how it is started:
# dockerd, dockerd-containerd: dockerd on the containerd image store with a containerd of its own,
# podman: Podman's compatible service), BUILDKIT (yes: the CLI has buildx and the engine BuildKit).
# A new generation of engines is a root in BENCH_SUITE_TABLE and rows here.
BENCH_ENGINE_TABLE='
docker20            -       dockerd             no
docker26            trixie  dockerd             yes
docker26-containerd trixie  dockerd-containerd  yes
podman5             trixie  podman              no
docker28            forky   dockerd             yes
docker28-containerd forky   dockerd-containerd  yes
podman58            forky   podman              no
'
# SUITE: its name in Debian ("Debian 13"), the debootstrap script (Debian 12's debootstrap has none for
# forky: sid's serves) and the packages the root holds; a root whose marker lists other packages is
# rebuilt. Both roots are kept in $BENCH_CACHE/roots/engines-SUITE.
BENCH_SUITE_TABLE='
trixie  Debian_13      trixie  docker.io,docker-cli,docker-buildx,containerd,runc,podman,conmon,netavark,catatonit,iptables
forky   Debian_forky   sid     docker.io,docker-cli,docker-buildx,containerd,runc,podman,conmon,netavark,catatonit,iptables,busybox-static,ca-certificates
'
BENCH_CACHE=${DOCKERCLEAN_TEST_CACHE:-/var/cache/dockerclean-test}

# bench_table_field TABLE KEY N: the Nth field of KEY's row.
bench_table_field() { awk -v k="$2" -v n="$3" '$1 == k { print $n; exit }' <<<"$1"; }
BENCH_ENGINES=$(awk 'NF { printf "%s%s", sep, $1; sep = " " }' <<<"$BENCH_ENGINE_TABLE")

bench_engine_known() { [ -n "$1" ] && [ -n "$(bench_table_field "$BENCH_ENGINE_TABLE" "$1" 1)" ]; }
# bench_engine_suite KIND: the Debian suite of the root KIND runs from; nothing for the host's engine.
bench_engine_suite() { local s; s=$(bench_table_field "$BENCH_ENGINE_TABLE" "$1" 2); [ "$s" = - ] || echo "$s"; }
bench_engine_flavour() { bench_table_field "$BENCH_ENGINE_TABLE" "$1" 3; }
bench_engine_needs_root() { [ -n "$(bench_engine_suite "$1")" ]; }
# bench_engine_containerd_store KIND: images and layers are in containerd's root, not DockerRootDir.
bench_engine_containerd_store() { [ "$(bench_engine_flavour "$1")" = dockerd-containerd ]; }
bench_engine_podman() { [ "$(bench_engine_flavour "$1")" = podman ]; }
# bench_engine_buildkit KIND: `docker buildx build` works against it (fixtures.sh's fx_image_buildkit).
bench_engine_buildkit() { [ "$(bench_table_field "$BENCH_ENGINE_TABLE" "$1" 4)" = yes ]; }
# bench_suite_label SUITE: "Debian 13", "Debian forky".
bench_suite_label() { bench_table_field "$BENCH_SUITE_TABLE" "$1" 2 | tr _ ' '; }
# bench_suite_engines SUITE: the engines that run from SUITE's root, for messages.
bench_suite_engines() { awk -v s="$1" '$2 == s { printf "%s%s", sep, $1; sep = "/" }' <<<"$BENCH_ENGINE_TABLE"; }

# Starts systemd-journald when nothing listens on the journal socket (containers, CI machines without
# systemd as PID 1). It keeps running afterwards, like the system service it stands in for: benches
# that run at the same time or later use it (stopping it under them would lose their records), and it
# holds nothing of the bench's (no mount, no file under its directories). It says so, with its pid.
bench_journald_ensure() {
        if [ -S /run/systemd/journal/socket ] && journalctl -n 0 >/dev/null 2>&1 &&
                systemd-cat -t dockerclean-bench true 2>/dev/null; then
                return 0
        fi
        local jd
        for jd in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
                [ -x "$jd" ] && break
        done
        [ -x "$jd" ] || { bench_log "systemd-journald not found (install systemd)"; return 1; }
        mkdir -p /run/systemd/journal /var/log/journal
        setsid "$jd" </dev/null >/dev/null 2>&1 &
        local i pid=$!
        bench_log "started $jd, pid $pid (no journal socket on this machine); it keeps running afterwards, as the" \
                "system service would, for the tests' journal reads and any later run (kill $pid to stop it)"
        for i in $(seq 1 50); do
                [ -S /run/systemd/journal/socket ] && systemd-cat -t dockerclean-bench true 2>/dev/null && return 0
                sleep 0.1
        done
        bench_log "systemd-journald did not come up"
        return 1
}

# bench_mirror: the Debian archive this machine's apt uses (the entry whose suite is its own codename).
bench_mirror() {
        local m
        m=$(apt-get indextargets --format '$(ORIGIN) $(RELEASE) $(CODENAME) $(REPO_URI)' 2>/dev/null |
                awk '$1 == "Debian" && $2 == $3 { print $4; exit }')
        [ -n "$m" ] || { bench_log "no Debian archive in apt's sources (run apt-get update)"; return 1; }
        echo "$m"
}

# bench_root_ensure SUITE: SUITE's root (debootstrapped once from the machine's mirror, kept in
# $BENCH_CACHE/roots/engines-SUITE: a name of its own, other tools keep other roots there); prints its
# path. Reused when complete (the marker lists the same packages), rebuilt when not: built into
# engines-SUITE.new, renamed when done. Concurrent benches wait for one build (flock).
bench_root_ensure() {
        local suite=$1 roots=$BENCH_CACHE/roots root marker packages script label
        packages=$(bench_table_field "$BENCH_SUITE_TABLE" "$suite" 4)
        script=$(bench_table_field "$BENCH_SUITE_TABLE" "$suite" 3)
        [ -n "$packages" ] || { bench_log "no root known for suite '$suite'"; return 1; }
        label=$(bench_suite_label "$suite")
        root=$roots/engines-$suite
        marker=$root/.dockerclean-engines
        mkdir -p "$roots"
        (
                if ! flock -n 9; then
                        bench_log "waiting for another bench building the $label root $root"
                        flock -w 1800 9 || { bench_log "timed out waiting for another build of $root"; exit 1; }
                fi
                if [ -f "$marker" ] && [ "$(cat "$marker")" = "$packages" ]; then exit 0; fi
                command -v debootstrap >/dev/null || { bench_log "debootstrap not found (install debootstrap)"; exit 1; }
                local mirror t0 new=$root.new log=$roots/engines-$suite.log
                [ -f /usr/share/debootstrap/scripts/"$script" ] ||
                        { bench_log "debootstrap has no script '$script' (update debootstrap)"; exit 1; }
                mirror=$(bench_mirror) || exit 1
                t0=$SECONDS
                bench_log "building the $label root for the $(bench_suite_engines "$suite") engines in $root from" \
                        "$mirror (once, about a minute on 2 cores; later runs reuse it; log: $log)"
                rm -rf "$new" "$root"
                if ! progress_run bench "$log" debootstrap --variant=minbase --include="$packages" "$suite" \
                        "$new" "$mirror" /usr/share/debootstrap/scripts/"$script"; then
                        bench_log "debootstrap failed; the end of $log:"
                        tail -n 20 "$log" >&2
                        rm -rf "$new"
                        exit 1
                fi
                rm -f "$new"/var/cache/apt/archives/*.deb
                echo "$packages" >"$new/.dockerclean-engines"
                mv "$new" "$root"
                bench_log "the $label root is built, in $((SECONDS - t0)) s ($(du -sh "$root" | cut -f1) on disk)"
        ) 9>"$roots/engines-$suite.lock" || return 1
        echo "$root"
}

# bench_host_dockerd: the host's dockerd, said with its version and package (an origin other than
# Debian's docker.io is used as it is: install-deps installs nothing that replaces it).
bench_host_dockerd() {
        command -v dockerd >/dev/null || { bench_log "dockerd not found (install docker.io)"; return 1; }
}

# bench_fs DIR NAME SIZE [INODES]: an ext4 image DIR/NAME.img mounted on DIR/NAME.
bench_fs() {
        local dir=$1 name=$2 size=$3 inodes=${4:-}
        truncate -s "$size" "$dir/$name.img"
        if [ -n "$inodes" ]; then
                mkfs.ext4 -q -F -N "$inodes" "$dir/$name.img"
        else
                mkfs.ext4 -q -F "$dir/$name.img"
        fi
        mkdir -p "$dir/$name"
        mount -o loop "$dir/$name.img" "$dir/$name"
        : >"$dir/mounted"
}

# bench_engine_start DIR SIZE [INODES [KIND]]: the filesystem(s), then the engine on them.
bench_engine_start() {
        local dir=$1 size=$2 inodes=${3:-} kind=${4:-docker20}
        bench_engine_known "$kind" || { bench_log "unknown engine '$kind' (one of: $BENCH_ENGINES)"; return 1; }
        echo "$kind" >"$dir/engine"
        if bench_engine_needs_root "$kind"; then
                bench_root_ensure "$(bench_engine_suite "$kind")" >"$dir/root" || return 1
        else
                bench_host_dockerd || return 1
        fi
        mkdir -p "$dir/exec"
        bench_fs "$dir" mnt "$size" "$inodes"
        echo "$size" >"$dir/size"
        if bench_engine_containerd_store "$kind"; then
                bench_fs "$dir" ctrd "${CONTAINERD_SIZE:-$size}" "$inodes"
                echo "${CONTAINERD_SIZE:-$size}" >"$dir/ctrd-size"
        fi
        bench_engine_config "$dir" "$kind"
        bench_dockerd_start "$dir"
}

# bench_engine_config DIR KIND: the engine's configuration files and the CLI the fixtures use.
bench_engine_config() {
        local dir=$1 kind=$2 root
        mkdir -p "$dir/bin"
        if ! bench_engine_needs_root "$kind"; then
                # The CLI that came with the host's dockerd (docker.io's or docker-ce-cli's), not one
                # of another version earlier on PATH.
                local cli=/usr/bin/docker
                [ -x "$cli" ] || cli=$(command -v docker) || { bench_log "no docker CLI (install docker.io)"; return 1; }
                ln -sf "$cli" "$dir/bin/docker"
                return 0
        fi
        root=$(cat "$dir/root")
        # The root's docker CLI (Debian 13's 26.1, forky's 28.5) on the host, with the root's own libc
        # and loader: it sees the host's files (build contexts) and negotiates the engine's API version.
        # BuildKit builds need its buildx plugin, found through DOCKER_CONFIG's cli-plugins.
        local ldso="$root/lib64/ld-linux-x86-64.so.2 --library-path $root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"
        mkdir -p "$dir/cli/cli-plugins"
        printf '#!/bin/sh\nDOCKER_CONFIG=%s exec %s %s "$@"\n' "$dir/cli" "$ldso" "$root/usr/bin/docker" >"$dir/bin/docker"
        printf '#!/bin/sh\nexec %s %s "$@"\n' "$ldso" "$root/usr/libexec/docker/cli-plugins/docker-buildx" \
                >"$dir/cli/cli-plugins/docker-buildx"
        chmod +x "$dir/bin/docker" "$dir/cli/cli-plugins/docker-buildx"
        case "$(bench_engine_flavour "$kind")" in
        dockerd)
                echo '{}' >"$dir/daemon.json"
                ;;
        dockerd-containerd)
                # containerd 2.x takes this version 2 configuration too (it says so and migrates it).
                echo '{ "features": { "containerd-snapshotter": true } }' >"$dir/daemon.json"
                cat >"$dir/containerd.toml" <<EOF
version = 2
root = "$dir/ctrd/containerd"
state = "$dir/exec/containerd-state"
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.grpc.v1.cri"]
  disable_apparmor = true
EOF
                ;;
        podman)
                # runc: crun refuses this host's cgroup v1 setup. Lower ulimits than Podman's defaults:
                # raising them needs CAP_SYS_RESOURCE, which root here may lack. Everything Podman would
                # write outside the bench directory is redirected into it.
                mkdir -p "$dir/exec/tmp" "$dir/exec/net"
                cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
tmp_dir = "$dir/exec/tmp"
events_logger = "file"
events_logfile_path = "$dir/exec/events.log"
[network]
network_config_dir = "$dir/exec/net"
EOF
                ;;
        esac
}

# bench_in_root DIR LOG CMD...: starts CMD (in the background, $! its pid) in the engine's root, in a
# mount namespace of its own (see the top of this file).
bench_in_root() {
        local dir=$1 log=$2 root
        shift 2
        root=$(cat "$dir/root")
        setsid unshare --mount --propagation private -- bash -euc '
                root=$1 dir=$2; shift 2
                mount --bind "$root" "$root"
                mount -t proc proc "$root/proc"
                mount --rbind /sys "$root/sys"
                mount --rbind /dev "$root/dev"
                mount -t tmpfs -o mode=755 tmpfs "$root/run"
                mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
                mkdir -p "$root$dir"
                mount --rbind "$dir" "$root$dir"
                # Podman keeps a blob-info cache in /var/lib/containers/cache whatever --root says: in
                # the bench directory, not in the cached root.
                mkdir -p "$dir/var-lib-containers" "$root/var/lib/containers"
                mount --bind "$dir/var-lib-containers" "$root/var/lib/containers"
                exec chroot "$root" env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"' bench-root "$root" "$dir" "$@" \
                </dev/null >>"$log" 2>&1 &
}

# bench_dockerd_start DIR: (re)starts the engine of a bench directory whose filesystems are mounted.
bench_dockerd_start() {
        local dir=$1 kind
        kind=$(cat "$dir/engine" 2>/dev/null || echo docker20)
        rm -f "$dir/docker.pid" "$dir/docker.sock"
        local dockerd_args=(--data-root "$dir/mnt/docker" --exec-root "$dir/exec"
                -H "unix://$dir/docker.sock" --pidfile "$dir/docker.pid"
                --bridge=none --iptables=false --ip-masq=false --ip-forward=false
                --log-level=warn)
        case "$(bench_engine_needs_root "$kind" && echo in-root-)$(bench_engine_flavour "$kind")" in
        dockerd)
                # A private containerd too (dockerd starts one under exec-root when none is given).
                setsid dockerd "${dockerd_args[@]}" --storage-driver=overlay2 \
                        </dev/null >>"$dir/dockerd.log" 2>&1 &
                ;;
        in-root-dockerd)
                bench_in_root "$dir" "$dir/dockerd.log" dockerd "${dockerd_args[@]}" --ip6tables=false \
                        --config-file "$dir/daemon.json" --storage-driver=overlay2
                ;;
        in-root-dockerd-containerd)
                # The system containerd's role: started first, its root on the ctrd filesystem; dockerd
                # then uses it through --containerd (and stores images there: containerd-snapshotter).
                bench_in_root "$dir" "$dir/dockerd.log" bash -c '
                        containerd --config "$1/containerd.toml" >>"$1/containerd.log" 2>&1 &
                        for _ in $(seq 1 100); do [ -S "$1/containerd.sock" ] && break; sleep 0.1; done
                        shift; exec "$@"' bench-containerd "$dir" \
                        dockerd "${dockerd_args[@]}" --ip6tables=false --config-file "$dir/daemon.json" \
                        --containerd "$dir/containerd.sock"
                ;;
        in-root-podman)
                CONTAINERS_CONF=$dir/containers.conf bench_in_root "$dir" "$dir/dockerd.log" \
                        podman --root "$dir/mnt/podman" --runroot "$dir/exec/runroot" \
                        system service --time=0 "unix://$dir/docker.sock"
                ;;
        *)
                bench_log "engine $kind: no way to start a $(bench_engine_flavour "$kind") engine outside a root"
                return 1
                ;;
        esac
        echo $! >"$dir/dockerd.launcher-pid"
        local i
        for i in $(seq 1 300); do
                if curl -sf --max-time 2 --unix-socket "$dir/docker.sock" http://localhost/_ping >/dev/null 2>&1; then
                        # podman writes no pidfile: the service is the launcher itself (unshare, chroot
                        # and env exec it).
                        [ -f "$dir/docker.pid" ] || cat "$dir/dockerd.launcher-pid" >"$dir/docker.pid"
                        bench_log "engine $kind up: $(bench_engine_describe "$dir"), socket $dir/docker.sock," \
                                "data-root on a $(cat "$dir/size" 2>/dev/null) ext4 image$( [ -f "$dir/ctrd-size" ] &&
                                echo ", containerd's root on a $(cat "$dir/ctrd-size") one")"
                        return 0
                fi
                if ! kill -0 "$(cat "$dir/dockerd.launcher-pid")" 2>/dev/null; then
                        bench_log "engine $kind exited during start-up; its log:"
                        tail -n 30 "$dir/dockerd.log" >&2
                        return 1
                fi
                sleep 0.2
        done
        bench_log "engine $kind did not answer /_ping within 60 s; its log:"
        tail -n 30 "$dir/dockerd.log" >&2
        return 1
}

# bench_engine_describe DIR: "dockerd 26.1.5 (API 1.45, storage overlay2, from Debian 13's docker.io)".
bench_engine_describe() {
        local dir=$1 kind v info origin
        kind=$(cat "$dir/engine")
        v=$(curl -sf --max-time 5 --unix-socket "$dir/docker.sock" http://localhost/version)
        info=$(curl -sf --max-time 10 --unix-socket "$dir/docker.sock" http://localhost/info)
        if ! bench_engine_needs_root "$kind"; then
                origin=$(dpkg -S "$(readlink -f "$(command -v dockerd)")" 2>/dev/null | cut -d: -f1)
                origin="the host's $(command -v dockerd), package ${origin:-of no Debian package}"
        else
                origin="$(bench_suite_label "$(bench_engine_suite "$kind")")'s packages in $(cat "$dir/root")"
        fi
        python3 -c 'import json, sys
v, i = json.loads(sys.argv[1]), json.loads(sys.argv[2])
store = dict((k, w) for k, w in i.get("DriverStatus") or [] if isinstance(k, str)).get("driver-type", "")
print("%s %s (API %s, storage %s%s, DockerRootDir %s, from %s)" % (
    "podman" if any(c.get("Name") == "Podman Engine" for c in v.get("Components") or []) else "dockerd",
    v.get("Version"), v.get("ApiVersion"), i.get("Driver"), ", " + store if store else "",
    i.get("DockerRootDir"), sys.argv[3]))' "$v" "$info" "$origin" 2>/dev/null || echo "$kind"
}

# bench_engine_kill DIR: stops the engine by its pid (and its containerd, shims, conmon), waits for them.
bench_engine_kill() {
        local dir=$1 pid="" i
        [ -f "$dir/docker.pid" ] && pid=$(cat "$dir/docker.pid" 2>/dev/null)
        [ -n "$pid" ] || { [ -f "$dir/dockerd.launcher-pid" ] && pid=$(cat "$dir/dockerd.launcher-pid"); }
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -TERM "$pid" 2>/dev/null || true
                for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$pid" 2>/dev/null || true
        fi
        # Shims and a containerd that outlived the engine: only ours (their command line names DIR).
        local p
        for p in $(pgrep -f -- "$dir" 2>/dev/null); do
                [ "$p" = $$ ] && continue
                case "$(cat /proc/"$p"/comm 2>/dev/null)" in
                containerd*|dockerd|runc|docker-proxy|podman|conmon) kill -KILL "$p" 2>/dev/null || true ;;
                esac
        done
        return 0
}

# bench_containers_remove DIR: every container of the engine, removed by force through the API (a
# container's processes would otherwise outlive the engine and its shims).
bench_containers_remove() {
        local dir=$1 id
        [ -S "$dir/docker.sock" ] || return 0
        for id in $(curl -sf --max-time 10 --unix-socket "$dir/docker.sock" 'http://localhost/containers/json?all=1' |
                python3 -c 'import json, sys
for c in json.load(sys.stdin): print(c["Id"])' 2>/dev/null); do
                curl -sf --max-time 30 -X DELETE --unix-socket "$dir/docker.sock" \
                        "http://localhost/containers/$id?force=1&v=1" >/dev/null 2>&1 || true
        done
}

# bench_engine_stop DIR: everything the bench started, unmounted and removed. Safe to call twice.
bench_engine_stop() {
        local dir=$1 i
        [ -n "$dir" ] && [ -d "$dir" ] || return 0
        bench_containers_remove "$dir"
        bench_engine_kill "$dir"
        if [ -f "$dir/mounted" ]; then
                # dockerd leaves its own mounts (overlay, netns, the data-root bind) below ours.
                for i in $(seq 1 50); do
                        grep -q " $dir/" /proc/mounts || break
                        grep " $dir/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
                                umount "$m" 2>/dev/null || true
                        done
                        sleep 0.1
                done
                if grep -q " $dir/" /proc/mounts; then
                        bench_log "lazy unmount of what is still busy below $dir"
                        grep " $dir/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
                fi
        fi
        rm -rf "$dir" 2>/dev/null || bench_log "could not remove $dir"
        return 0
}
