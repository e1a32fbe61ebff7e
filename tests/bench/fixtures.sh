# shellcheck shell=bash
# Helpers that put real state into the bench engine without any registry. Source it from a test that
# runs under tests/bench/with-engine.sh (DOCKER_HOST points at the private engine).

# fx_require_engine: skip outside CI, fail in CI, when the test is not under the bench.
fx_require_engine() {
        if [ -z "${DOCKERCLEAN_TEST_SOCKET:-}" ]; then
                if [ -n "${CI:-}" ] && [ "${CI}" != false ] && [ "${CI}" != 0 ]; then
                        echo "FAIL: DOCKERCLEAN_TEST_SOCKET not set; CI must not skip real-engine tests" >&2; exit 1
                fi
                echo "SKIP: DOCKERCLEAN_TEST_SOCKET not set (run under tests/bench/with-engine.sh)" >&2; exit 77
        fi
}
fx_require_engine

# The CLI that matches the engine (with-engine.sh says which: the host's with its dockerd, the root's
# with its buildx plugin for the engines from a Debian root), so the objects are made at the engine's own API version.
if [ -n "${DOCKERCLEAN_TEST_DOCKER:-}" ]; then DOCKER=$DOCKERCLEAN_TEST_DOCKER
elif [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
# The filesystem the fixtures fill (image content and container layers): DockerRootDir's, or
# containerd's root with the containerd image store.
: "${DOCKERCLEAN_TEST_STORE_ROOT:=${DOCKERCLEAN_TEST_DATA_ROOT:-}}"
export DOCKER_HOST="unix://$DOCKERCLEAN_TEST_SOCKET"
case "$DOCKER_HOST" in unix:///var/run/docker.sock|unix:///run/docker.sock)
        echo "fixtures: refusing to touch the host's engine" >&2; exit 1 ;; esac

dk() { "$DOCKER" "$@"; }

# fx_podman: the engine is Podman's compatible service (it qualifies short names: "x" is
# "docker.io/library/x:latest", and has neither build cache, LastTagTime nor the host and none networks).
fx_podman() { case "${DOCKERCLEAN_TEST_ENGINE:-}" in podman*) return 0 ;; esac; return 1; }
# fx_skip WHY: this test does not apply to the engine; says why and exits 77 (ctest: skipped).
fx_skip() { echo "SKIP (engine ${DOCKERCLEAN_TEST_ENGINE:-docker20}): $*" >&2; exit 77; }

fx_busybox() {
        local b
        for b in /bin/busybox /usr/bin/busybox; do
                if [ -x "$b" ] && file -L "$b" 2>/dev/null | grep -q 'statically linked'; then echo "$b"; return 0; fi
                # `file` may be missing: busybox-static is the only busybox Debian installs to /bin.
                [ -x "$b" ] && ! command -v file >/dev/null && { echo "$b"; return 0; }
        done
        echo "fixtures: no static busybox (install busybox-static)" >&2
        return 1
}

# fx_buildkit: the engine and its CLI build with BuildKit (`docker buildx build`): docker26, docker28 and
# their containerd variants (with-engine.sh says so in DOCKERCLEAN_TEST_BUILDKIT=1); not docker20 (the
# host's 20.10, no buildx), not Podman. A test that needs BuildKit images does
#   fx_buildkit || fx_skip "no BuildKit on this engine"
fx_buildkit() { [ "${DOCKERCLEAN_TEST_BUILDKIT:-0}" = 1 ]; }

# fx_buildx_build [docker buildx build options...] CONTEXT: a BuildKit build, the way a build host
# makes one today: `docker buildx build --builder default --load --network none -q ...` (the engine's
# own BuildKit, docker driver; the result loaded into the engine's image store, its intermediate
# steps kept as build cache). --network none: the bench engines have no bridge, and BuildKit's RUN
# steps need a network mode that exists. Prints the image id (-q); the build's output only on failure.
fx_buildx_build() {
        local err rc
        err=$(mktemp)
        dk buildx build --builder default --load --network none -q "$@" 2>"$err"
        rc=$?
        [ $rc = 0 ] || { echo "fixtures: docker buildx build $* failed:" >&2; cat "$err" >&2; }
        rm -f "$err"
        return $rc
}

# fx_build_cached [build options...] CONTEXT: a build that leaves build cache, on every engine that has
# one: fx_buildx_build where fx_buildkit holds, else the CLI's own BuildKit client (docker20's 20.10:
# DOCKER_BUILDKIT=1 docker build). RUN steps get no network (the bench engines have no bridge: BuildKit
# fails them with "network bridge not found" otherwise). Prints the image id; the output on failure.
fx_build_cached() {
        if fx_buildkit; then fx_buildx_build "$@"; return; fi
        local err rc
        err=$(mktemp)
        DOCKER_BUILDKIT=1 dk build --network none -q "$@" 2>"$err"
        rc=$?
        [ $rc = 0 ] || { echo "fixtures: DOCKER_BUILDKIT=1 docker build $* failed:" >&2; cat "$err" >&2; }
        rm -f "$err"
        return $rc
}

# fx_context DIR MB [CACHE_MB]: the build context of fx_image: busybox, a nonce (every build is new),
# a Dockerfile whose image has an MB-sized random layer. With CACHE_MB (BuildKit builds only), a
# throwaway stage first writes two random files of CACHE_MB/2 in two RUN steps: build cache that no
# image holds (the final stage copies only a small file from that stage, so BuildKit runs it).
fx_context() {
        local ctx=$1 mb=$2 cache_mb=${3:-0}
        cp "$(fx_busybox)" "$ctx/busybox"
        head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$ctx/nonce"
        {
                if [ "$cache_mb" -gt 0 ]; then
                        echo "FROM scratch AS scratchwork"
                        echo "COPY busybox /bin/busybox"
                        echo "COPY nonce /nonce"
                        echo "RUN [\"/bin/busybox\", \"dd\", \"if=/dev/urandom\", \"of=/work1\", \"bs=1M\", \"count=$((cache_mb / 2))\"]"
                        echo "RUN [\"/bin/busybox\", \"dd\", \"if=/dev/urandom\", \"of=/work2\", \"bs=1M\", \"count=$((cache_mb - cache_mb / 2))\"]"
                        echo "RUN [\"/bin/busybox\", \"cp\", \"/nonce\", \"/result\"]"
                        echo
                fi
                echo "FROM scratch"
                echo "COPY busybox /bin/busybox"
                echo "COPY nonce /nonce"
                [ "$cache_mb" -gt 0 ] && echo "COPY --from=scratchwork /result /result"
                [ "$mb" -gt 0 ] && echo "RUN [\"/bin/busybox\", \"dd\", \"if=/dev/urandom\", \"of=/blob\", \"bs=1M\", \"count=$mb\"]"
                echo 'ENTRYPOINT ["/bin/busybox"]'
                echo 'CMD ["sh"]'
        } >"$ctx/Dockerfile"
}

# fx_image REF MB [--label k=v ...]: builds REF FROM scratch with busybox and an MB-sized random layer,
# with the legacy builder (no build cache). Every build is unique (a nonce file), so rebuilding a tag
# leaves the old image dangling.
fx_image() {
        local ref=$1 mb=$2; shift 2
        local ctx
        ctx=$(mktemp -d)
        fx_context "$ctx" "$mb"
        local labels=() a
        for a in "$@"; do labels+=(--label "${a#--label=}"); done
        # The legacy builder (Docker 23+ says it is deprecated on stderr: shown only when the build fails).
        DOCKER_BUILDKIT=0 dk build -q -t "$ref" "${labels[@]}" "$ctx" >/dev/null 2>"$ctx.err"
        local rc=$?
        [ $rc = 0 ] || cat "$ctx.err" >&2
        rm -rf "$ctx" "$ctx.err"
        return $rc
}

# fx_image_buildkit REF MB [--cache-mb N] [--label k=v ...]: the same image as fx_image's, built with
# BuildKit (fx_buildx_build): its layers are shared with build-cache records, as on a real build host.
# --cache-mb N adds the throwaway stage of fx_context: about N MiB of build cache no image holds.
# Only where fx_buildkit holds (returns 1 with a message elsewhere).
fx_image_buildkit() {
        local ref=$1 mb=$2 cache_mb=0; shift 2
        fx_buildkit || { echo "fixtures: engine ${DOCKERCLEAN_TEST_ENGINE:-docker20} has no BuildKit (fx_buildkit)" >&2; return 1; }
        local labels=()
        while [ $# -gt 0 ]; do
                case "$1" in
                --cache-mb) cache_mb=$2; shift 2 ;;
                --label) labels+=(--label "$2"); shift 2 ;;
                --label=*) labels+=(--label "${1#--label=}"); shift ;;
                *) labels+=(--label "$1"); shift ;;
                esac
        done
        local ctx rc
        ctx=$(mktemp -d)
        fx_context "$ctx" "$mb" "$cache_mb"
        fx_buildx_build -t "$ref" "${labels[@]}" "$ctx" >/dev/null
        rc=$?
        rm -rf "$ctx"
        return $rc
}

# fx_dangling REF MB: builds REF twice; the first build is left dangling (untagged).
fx_dangling() { fx_image "$1" "$2" && fx_image "$1" 0; }

# fx_stopped NAME IMAGE MB [docker run options...]: a container that wrote MB into its writable layer and exited.
fx_stopped() {
        local name=$1 image=$2 mb=$3; shift 3
        dk run --network none --name "$name" "$@" "$image" dd if=/dev/zero of=/fill bs=1M count="$mb" >/dev/null 2>&1
}

# fx_created NAME IMAGE [options...]: created, never started.
fx_created() { local name=$1 image=$2; shift 2; dk create --network none --name "$name" "$@" "$image" >/dev/null; }

# fx_running NAME IMAGE [options...]: running until the test ends.
fx_running() { local name=$1 image=$2; shift 2; dk run -d --network none --name "$name" "$@" "$image" sleep 100000 >/dev/null; }

# fx_volume NAME: a named volume with a little data in it.
fx_volume() { dk volume create "$1" >/dev/null; }

# fx_used_percent: the use of the filesystem that holds the images and layers (DOCKERCLEAN_TEST_STORE_ROOT)
# as df computes it (used / (used + avail)), two decimals.
fx_used_percent() {
        df -P -B1 "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { printf "%.2f\n", 100 * $3 / ($3 + $4) }'
}
fx_inodes_used_percent() {
        df -P -i "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { printf "%.2f\n", 100 * $3 / $2 }'
}
# fx_store_mount: the mount point of that filesystem.
fx_store_mount() { df -P "$DOCKERCLEAN_TEST_STORE_ROOT" | awk 'NR==2 { print $6 }'; }

# fx_reset: an empty engine (tests share one bench engine and run one after another).
fx_reset() {
        local ids
        ids=$(dk ps -aq); [ -z "$ids" ] || dk rm -f $ids >/dev/null
        ids=$(dk images -aq); [ -z "$ids" ] || dk rmi -f $ids >/dev/null 2>&1 || true
        # Every volume, named ones too (from API 1.42 a volume prune takes only anonymous ones).
        ids=$(dk volume ls -q); [ -z "$ids" ] || dk volume rm -f $ids >/dev/null 2>&1 || true
        dk network prune -f >/dev/null 2>&1 || true
        # No build cache on Podman (its /build/prune answers 404).
        dk builder prune -af >/dev/null 2>&1 || true
        rm -f "$(fx_store_mount)/ballast"
}

# Assertions: print what failed and count it; tests end with fx_done.
fx_failures=0
fx_ok() { printf 'ok: %s\n' "$*"; }
fx_fail() { printf 'FAIL%s: %s\n' "${DOCKERCLEAN_TEST_ENGINE:+ (engine $DOCKERCLEAN_TEST_ENGINE)}" "$*" >&2; fx_failures=$((fx_failures + 1)); }
# fx_check WHAT CMD...: runs CMD; when it fails, also says what it compared (the figures, not just the claim).
fx_check() { local what=$1; shift; if "$@"; then fx_ok "$what"; else fx_fail "$what"; fx_compared "$@"; return 1; fi; }
fx_compared() {
        case "$1" in
        fx_lt) printf '    compared: %s < %s is false\n' "$2" "$3" ;;
        fx_ge) printf '    compared: %s >= %s is false\n' "$2" "$3" ;;
        test | \[) shift; printf '    compared: test %s is false\n' "$*" ;;
        *) printf '    the check that failed: %s\n' "$*" ;;
        esac >&2
}
fx_lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
fx_ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
fx_exists() { dk inspect "$1" >/dev/null 2>&1; }
fx_gone() { ! dk inspect "$1" >/dev/null 2>&1; }
fx_done() {
        if [ "$fx_failures" -gt 0 ]; then
                echo "$fx_failures check(s) failed${DOCKERCLEAN_TEST_ENGINE:+ on engine $DOCKERCLEAN_TEST_ENGINE}" >&2
                exit 1
        fi
        echo "all checks passed"
        exit 0
}


# fx_ballast MB: a file outside Docker's objects on the filesystem the fixtures fill (logs, caches: what a real
# host also has), so that small tests can sit above a watermark. fx_reset removes it.
fx_ballast() { fallocate -l "${1}M" "$(fx_store_mount)/ballast"; }
