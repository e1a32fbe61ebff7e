# shellcheck shell=bash
# Shared by tests/e2e/security_*.sh (issue 20): an unprivileged user the test creates and removes (also
# when the test fails), and the scripted fake engine with a world in which a cleanup has something to
# remove (a container stopped a day ago), so each test shows the daemon keeps cleaning.
. "$(dirname "$0")/common.bash"
src=${DOCKERCLEAN_SOURCE_DIR:?}

[ "$(id -u)" = 0 ] || { echo "needs root (useradd)"; exit 77; }
command -v useradd >/dev/null && command -v runuser >/dev/null || { echo "needs useradd and runuser"; exit 77; }

# A name of its own (at most 32 characters), removed by the EXIT trap even when a check fails.
sec_user=dcsec$$x$RANDOM
sec_cleanup() {
        exec 3>&- 2>/dev/null
        [ -n "${fake:-}" ] && wait "$fake" 2>/dev/null
        userdel -f "$sec_user" 2>/dev/null
        if mountpoint -q "$scratch/small" 2>/dev/null; then umount "$scratch/small"; fi
        rm -rf "$scratch"
}
trap sec_cleanup EXIT
useradd --system --no-create-home --shell /usr/sbin/nologin "$sec_user" || { echo "useradd failed" >&2; exit 1; }
sec_uid=$(id -u "$sec_user")
as_user() { runuser -u "$sec_user" -- "$@"; }
chmod 0755 "$scratch"   # the user may look, not write

# The world: a container stopped a day ago (removable at once), the image it used.
sec_container=c000000000000000000000000000000000000000000000000000000000000001
sec_world() { # sec_world FILE [N_EXTRA_IMAGES]
        local now i images=""
        now=$(date +%s)
        for i in $(seq 1 "${2:-0}"); do
                images="$images, {\"Id\": \"sha256:$(printf 'b%063d' "$i")\", \"RepoTags\": [\"extra$i:1\"], \"Created\": $((now - 3600)), \"bytes\": 16}"
        done
        cat >"$1" <<EOW
{"containers": [{"Id": "$sec_container", "Name": "old", "ImageID": "sha256:$(printf 'a%.0s' $(seq 64))",
                 "State": "exited", "Created": $((now - 172800)), "FinishedAt": $((now - 86400)), "bytes": 4096}],
 "images": [{"Id": "sha256:$(printf 'a%.0s' $(seq 64))", "RepoTags": ["app:1"], "Created": $((now - 172800)), "bytes": 4096}$images]}
EOW
}

fake=
# start_fake DIR [--as-user] [N_EXTRA_IMAGES]: the fake engine, world scenario, on DIR/fake.sock, its
# DockerRootDir DIR/root, its log DIR/fake.log; as the test's user with --as-user.
start_fake() {
        local dir=$1 as=() extra=0
        shift
        [ "${1:-}" = --as-user ] && { as=(runuser -u "$sec_user" --); shift; }
        extra=${1:-0}
        rm -f "$dir/fake.sock" "$dir/fake.in" "$dir/fake.out" "$dir/fake.log"
        mkdir -p "$dir/root"
        sec_world "$dir/world.json" "$extra"
        [ ${#as[@]} -gt 0 ] && chown -R "$sec_user" "$dir/root" "$dir/world.json"
        mkfifo "$dir/fake.in"
        "${as[@]}" python3 "$src/tests/fake/fake-engine.py" --socket "$dir/fake.sock" --log "$dir/fake.log" \
                --world "$dir/world.json" --data "$dir/root" world <"$dir/fake.in" >"$dir/fake.out" &
        fake=$!
        exec 3>"$dir/fake.in" # the fake exits when this closes
        # Its "ready" line or its exit, with a deadline a loaded host meets (python's start alone can take
        # seconds): the wait ends on the event, not after a fixed time.
        wait_for 60 eval 'grep -q "^ready" "$dir/fake.out" 2>/dev/null || ! kill -0 "$fake" 2>/dev/null'
        grep -q '^ready' "$dir/fake.out" 2>/dev/null && return 0
        echo "the fake engine did not start within 60 s (or exited: $(head -c 300 "$dir/fake.out" 2>/dev/null))" >&2
        return 1
}
stop_fake() { exec 3>&-; wait "$fake" 2>/dev/null; fake=; }
# cleaned DIR: the fake engine was asked to remove the stopped container.
cleaned() { grep -q "^DELETE /v[0-9.]*/containers/$sec_container" "$1/fake.log"; }
wait_for() { # wait_for SECONDS CMD...: polls an event (a file, a line), never a fixed sleep
        local end=$((SECONDS + $1)); shift
        while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
        "$@"
}
# sec_conf FILE SOCKET-DIR STATE-DIR [EXTRA]: above the watermark whatever happens (1%).
sec_conf() {
        cat >"$1" <<EOC
engine = { socket = "unix://$2/fake.sock"; };
state_dir = "$3";
interval = "1s";
disk = { high_watermark = "${HIGH:-1%}"; low_watermark = "0.5%"; };
tiers = ( { type = "stopped-containers"; min_age = "0s"; }, { type = "unused-images"; min_age = "365d"; } );
${4:-}
EOC
}
# run_once CONFIG ERRFILE: --once, bounded (a daemon that hangs on a planted FIFO fails here, not forever).
run_once() {
        timeout 60 "$DOCKERCLEAND" --config "$1" --once --log-target console >/dev/null 2>"$2"
}
