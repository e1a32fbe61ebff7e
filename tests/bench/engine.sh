# shellcheck shell=bash
# Start and stop a private dockerd for tests and the demo; sourced by with-engine.sh and scripts/demo.

bench_log() { printf 'bench: %s\n' "$*" >&2; }

# Starts systemd-journald when nothing listens on the journal socket (containers, CI machines without
# systemd as PID 1). It keeps running afterwards, like the system service it stands in for.
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
        bench_log "starting $jd (no journal socket on this machine)"
        setsid "$jd" </dev/null >/dev/null 2>&1 &
        local i
        for i in $(seq 1 50); do
                [ -S /run/systemd/journal/socket ] && systemd-cat -t dockerclean-bench true 2>/dev/null && return 0
                sleep 0.1
        done
        bench_log "systemd-journald did not come up"
        return 1
}

# bench_engine_start DIR SIZE [INODES]: the filesystem, then dockerd on it.
bench_engine_start() {
        local dir=$1 size=$2 inodes=${3:-}
        command -v dockerd >/dev/null || { bench_log "dockerd not found (install docker.io)"; return 1; }
        truncate -s "$size" "$dir/fs.img"
        if [ -n "$inodes" ]; then
                mkfs.ext4 -q -F -N "$inodes" "$dir/fs.img"
        else
                mkfs.ext4 -q -F "$dir/fs.img"
        fi
        mkdir -p "$dir/mnt" "$dir/exec"
        mount -o loop "$dir/fs.img" "$dir/mnt"
        : >"$dir/mounted"
        echo "$size" >"$dir/size"
        bench_dockerd_start "$dir"
}

# bench_dockerd_start DIR: (re)starts dockerd on a bench directory whose filesystem is mounted.
bench_dockerd_start() {
        local dir=$1
        rm -f "$dir/docker.pid"
        # A private containerd too (dockerd starts one under exec-root when none is given).
        setsid dockerd --data-root "$dir/mnt/docker" --exec-root "$dir/exec" \
                -H "unix://$dir/docker.sock" --pidfile "$dir/docker.pid" \
                --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
                --log-level=warn --storage-driver=overlay2 \
                </dev/null >>"$dir/dockerd.log" 2>&1 &
        echo $! >"$dir/dockerd.launcher-pid"
        local i
        for i in $(seq 1 300); do
                if curl -sf --max-time 2 --unix-socket "$dir/docker.sock" http://localhost/_ping >/dev/null 2>&1; then
                        bench_log "engine up: $dir/docker.sock, data-root on a $(cat "$dir/size" 2>/dev/null) ext4 image"
                        return 0
                fi
                if ! kill -0 "$(cat "$dir/dockerd.launcher-pid")" 2>/dev/null; then
                        bench_log "dockerd exited during start-up; its log:"
                        tail -n 30 "$dir/dockerd.log" >&2
                        return 1
                fi
                sleep 0.2
        done
        bench_log "dockerd did not answer /_ping within 60 s; its log:"
        tail -n 30 "$dir/dockerd.log" >&2
        return 1
}

# bench_engine_kill DIR: stops dockerd by its pid (and its containerd and shims), waits for them.
bench_engine_kill() {
        local dir=$1 pid="" i
        [ -f "$dir/docker.pid" ] && pid=$(cat "$dir/docker.pid" 2>/dev/null)
        [ -n "$pid" ] || { [ -f "$dir/dockerd.launcher-pid" ] && pid=$(cat "$dir/dockerd.launcher-pid"); }
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -TERM "$pid" 2>/dev/null || true
                for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$pid" 2>/dev/null || true
        fi
        # Shims and a managed containerd that outlived dockerd: only ours (their command line names DIR).
        local p
        for p in $(pgrep -f -- "$dir" 2>/dev/null); do
                [ "$p" = $$ ] && continue
                case "$(cat /proc/"$p"/comm 2>/dev/null)" in
                containerd*|dockerd|runc|docker-proxy) kill -KILL "$p" 2>/dev/null || true ;;
                esac
        done
        return 0
}

# bench_engine_stop DIR: everything the bench started, unmounted and removed. Safe to call twice.
bench_engine_stop() {
        local dir=$1 i
        [ -n "$dir" ] && [ -d "$dir" ] || return 0
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
