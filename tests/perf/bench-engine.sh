#!/usr/bin/env bash
# The real-engine benchmarks (idle cost, reaction, reclaim speed, cache kept), run under
# tests/bench/with-engine.sh, which provides a private dockerd on a loop-mounted ext4 image:
#
#   tests/bench/with-engine.sh --size 2G -- tests/perf/bench-engine.sh
#
# Environment: DOCKERCLEAND (the daemon binary, a release build), PERF_ALT_DOCKERCLEAND (optional: a
# second binary, e.g. a prototype, measured side by side in the reclaim part), PERF_RESULTS (KEY=VALUE figures are
# appended there), PERF_WORK (a scratch directory; default: a new one under /tmp), PERF_RUNS (runs
# per figure, default 3), PERF_IDLE_SECONDS (60), PERF_IDLE_DAEMONS (3, run side by side),
# PERF_RECLAIM_N ("50 200"), PERF_PARTS ("idle reaction reclaim cache"). Not a pass/fail test:
# it measures and records; tests/perf/report.py compares with the targets.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/bench/fixtures.sh
. "$here/../bench/fixtures.sh"
# shellcheck source=tests/bench/engine.sh
. "$here/../bench/engine.sh"
# shellcheck source=tests/perf/lib.sh
. "$here/lib.sh"

DC=${DOCKERCLEAND:?DOCKERCLEAND: the daemon binary}
: "${PERF_RESULTS:?}"
runs=${PERF_RUNS:-3}
idle_seconds=${PERF_IDLE_SECONDS:-60}
idle_daemons=${PERF_IDLE_DAEMONS:-3}
reclaim_ns=${PERF_RECLAIM_N:-50 200}
parts=${PERF_PARTS:-idle reaction reclaim cache}
if [ -z "${PERF_WORK:-}" ]; then
        PERF_WORK=$(mktemp -d /tmp/dcperf.XXXXXX)
        trap 'rm -rf "$PERF_WORK"' EXIT
fi
export PERF_WORK
W=$PERF_WORK
mib=$((1024 * 1024))
# Every tier, none held back by age: the benchmark's images were all loaded a moment ago.
all_tiers='{ type = "stopped-containers"; min_age = "0s"; }, { type = "dangling-images"; min_age = "0s"; },
        { type = "build-cache"; min_age = "0s"; }, { type = "unused-images"; min_age = "0s"; }'
images_tier='{ type = "unused-images"; min_age = "0s"; }'

has_part() { [[ " $parts " == *" $1 "* ]]; }

perf_result machine.cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) x $(nproc)"
perf_result machine.mem_mib "$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
perf_result machine.kernel "$(uname -r)"
perf_result machine.engine "$(dk version -f '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"
perf_result machine.loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
perf_result machine.fs "ext4 on loop, $(df -h --output=size "$DOCKERCLEAN_TEST_DATA_ROOT" | tail -n 1 | tr -d ' ')"

# ---- fixtures: image archives, engine snapshots -------------------------------------------------

perf_log "generating image archives"
"$PERF_PY" "$here/mkimages.py" "$W/a.tar" --count 50 --prefix perf/a --unique-kib 1024 --files 20 --seed 1
"$PERF_PY" "$here/mkimages.py" "$W/b.tar" --count 150 --prefix perf/b --unique-kib 1024 --files 20 --seed 2
"$PERF_PY" "$here/mkimages.py" "$W/old.tar" --count 10 --prefix perf/old --unique-kib $((20 * 1024)) --files 20 --seed 3
"$PERF_PY" "$here/mkimages.py" "$W/big.tar" --count 1 --prefix perf/big --unique-kib $((150 * 1024)) --files 20 --seed 4
# For "cache kept": twelve unused images of 24 MiB built 1, 3, 5 ... 23 days ago, one in use.
"$PERF_PY" "$here/mkimages.py" "$W/aged.tar" --count 12 --prefix perf/aged --unique-kib $((24 * 1024)) --files 20 \
        --age-days 1,2 --seed 5
"$PERF_PY" "$here/mkimages.py" "$W/inuse.tar" --count 1 --prefix perf/inuse --unique-kib $((24 * 1024)) --files 20 --seed 6

fx_reset
perf_log "engine states: loading and snapshotting (loads are slow: the engine syncs every layer)"
if has_part reclaim || has_part idle; then
        dk load -q -i "$W/a.tar" >/dev/null
        perf_snapshot n50
        dk load -q -i "$W/b.tar" >/dev/null
        perf_snapshot n200
        fx_reset
fi
if has_part reaction; then
        dk load -q -i "$W/old.tar" >/dev/null
        perf_snapshot reaction
        fx_reset
fi
if has_part cache; then
        dk load -q -i "$W/aged.tar" >/dev/null
        dk load -q -i "$W/inuse.tar" >/dev/null
        perf_snapshot cache
        fx_reset
fi

# ---- 1. idle cost --------------------------------------------------------------------------------

idle() {
        perf_log "1. idle: $idle_daemons daemons side by side, interval 1 s, below the watermark, ${idle_seconds}s"
        perf_restore n200
        # Some containers too, so `docker system df` has the usual work (it walks writable layers).
        local i
        for i in $(seq 1 20); do dk create --network none --name "idle-created-$i" perf/a-0001 >/dev/null; done
        for i in $(seq 1 5); do fx_stopped "idle-stopped-$i" perf/a-0002 1; done
        local used high
        used=$(perf_used_percent)
        high=$(awk -v u="$used" 'BEGIN { printf "%d", u + 30 }')
        perf_result idle.state "200 images, 25 containers, ${used}% used, high watermark ${high}%"

        local pids=() proxies=() k
        for k in $(seq 1 "$idle_daemons"); do
                rm -f "$W/idle-$k.sock" "$W/idle-$k.requests"
                "$PERF_PY" "$perf_src/tests/bench/engine-proxy.py" "$W/idle-$k.sock" "$DOCKERCLEAN_TEST_SOCKET" \
                        "$W/idle-$k.requests" --timeout $((idle_seconds + 120)) &
                proxies+=($!)
        done
        for k in $(seq 1 "$idle_daemons"); do
                for _ in $(seq 1 50); do [ -S "$W/idle-$k.sock" ] && break; sleep 0.1; done
                perf_config "$W/idle-$k.conf" "$W/idle-$k.sock" "$W/idle-state-$k" "$high" "$((high - 5))" "$all_tiers" \
                        "interval = \"1s\"; control = { socket = \"$W/idle-$k.control\"; };"
                NOTIFY_SOCKET='' "$DC" --config "$W/idle-$k.conf" --log-target console >"$W/idle-$k.log" 2>&1 &
                pids+=($!)
        done
        # Start-up is over once the first check ran and the event stream is open.
        for k in $(seq 1 "$idle_daemons"); do
                for _ in $(seq 1 100); do grep -q 'GET /v[0-9.]*/events' "$W/idle-$k.requests" 2>/dev/null && break; sleep 0.1; done
        done
        sleep 1
        local t_start cpu0=() req0=()
        t_start=$(perf_now)
        for k in $(seq 1 "$idle_daemons"); do
                cpu0+=("$(perf_cpu "${pids[$((k - 1))]}")")
                req0+=("$(wc -l <"$W/idle-$k.requests")")
        done

        # Meanwhile, what a poller pays: `docker system df`, spread over the window.
        local n_df=5 gap
        gap=$(awk -v s="$idle_seconds" -v n="$n_df" 'BEGIN { printf "%.1f", s / (n + 1) }')
        : >"$W/df.runs"
        for i in $(seq 1 "$n_df"); do
                sleep "$gap"
                perf_time "$W/df.$i" "$DOCKER" system df >/dev/null
                cat "$W/df.$i" >>"$W/df.runs"
        done
        local left
        left=$(awk -v t0="$t_start" -v now="$(perf_now)" -v s="$idle_seconds" 'BEGIN { d = s - (now - t0); printf "%.3f\n", (d > 0 ? d : 0) }')
        sleep "$left"

        : >"$W/idle.runs"
        for k in $(seq 1 "$idle_daemons"); do
                local p=${pids[$((k - 1))]}
                local cpu hwm rss anon file pss req startup
                cpu=$(perf_cpu "$p")
                hwm=$(perf_status_kb "$p" VmHWM)
                rss=$(perf_status_kb "$p" VmRSS)
                anon=$(perf_status_kb "$p" RssAnon)
                file=$(perf_status_kb "$p" RssFile)
                pss=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
                req=$(($(wc -l <"$W/idle-$k.requests") - ${req0[$((k - 1))]}))
                startup=$(head -n "${req0[$((k - 1))]}" "$W/idle-$k.requests" | sed -E 's/ HTTP.*//; s/\?.*//' | tr '\n' ',' | sed 's/,$//')
                echo "$cpu $(perf_sub "${cpu0[$((k - 1))]}" "$cpu") $hwm $rss $anon $file $req $pss" >>"$W/idle.runs"
                perf_log "daemon $k: cpu ${cpu}s in all, $(perf_sub "${cpu0[$((k - 1))]}" "$cpu")s after start-up; VmHWM ${hwm} kB (RssAnon $anon, RssFile $file, Pss $pss); $req requests after start-up; start-up: $startup"
                [ "$k" = 1 ] && perf_result idle.startup_requests "$startup"
                kill -TERM "$p"
        done
        for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
        for p in "${proxies[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        # A request after start-up would be a line after the events request; name any there were.
        for k in $(seq 1 "$idle_daemons"); do
                tail -n +"$((req0[k - 1] + 1))" "$W/idle-$k.requests" | head -n 5 | sed "s/^/perf: daemon $k request after start-up: /" >&2
        done

        perf_result idle.seconds "$idle_seconds"
        perf_result idle.daemons "$idle_daemons"
        perf_result idle.cpu_s "$(awk '{ print $1 }' "$W/idle.runs" | perf_median)"
        perf_result idle.cpu_after_startup_s "$(awk '{ print $2 }' "$W/idle.runs" | perf_median)"
        perf_result idle.rss_peak_kib "$(awk '{ print $3 }' "$W/idle.runs" | perf_median)"
        perf_result idle.rss_anon_kib "$(awk '{ print $5 }' "$W/idle.runs" | perf_median)"
        perf_result idle.rss_file_kib "$(awk '{ print $6 }' "$W/idle.runs" | perf_median)"
        perf_result idle.pss_kib "$(awk '{ print $8 }' "$W/idle.runs" | perf_median)"
        perf_result idle.requests_after_startup_max "$(awk '{ print $7 }' "$W/idle.runs" | sort -n | tail -n 1)"
        perf_result idle.df_runs "$n_df"
        perf_result idle.df_wall_s "$(awk '{ print $1 }' "$W/df.runs" | perf_median)"
        perf_result idle.df_client_cpu_s "$(awk '{ print $2 + $3 }' "$W/df.runs" | perf_median)"
        perf_result idle.df_engine_cpu_s "$(awk '{ print $5 }' "$W/df.runs" | perf_median)"
        perf_result idle.df_client_rss_kib "$(awk '{ print $4 }' "$W/df.runs" | perf_median)"

        # What one inspect costs on this engine (the planner inspects stopped containers for FinishedAt
        # and, on a first start, every image for LastTagTime): 500 of each over one kept-alive
        # connection, one curl; the per-request figure scales the fake engine's counts in the scale case.
        local kind ids
        for kind in containers images; do
                if [ "$kind" = containers ]; then ids=$(dk ps -aq --no-trunc); else ids=$(dk images -q --no-trunc); fi
                : >"$W/inspect.curl"
                for i in $(seq 1 500); do
                        set -- $ids
                        shift $((i % $#))
                        printf 'url = "http://localhost/v1.41/%s/%s/json"\noutput = "/dev/null"\n' "$kind" "$1" >>"$W/inspect.curl"
                done
                local samples=()
                for i in 1 2 3; do
                        local t0 t1
                        t0=$(perf_now)
                        curl -s --unix-socket "$DOCKERCLEAN_TEST_SOCKET" -K "$W/inspect.curl"
                        t1=$(perf_now)
                        samples+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", 1000 * (b - a) / 500 }')")
                done
                perf_result "engine.${kind%s}_inspect_ms" "$(printf '%s\n' "${samples[@]}" | perf_median)"
        done
        fx_reset
}

# ---- 2. reaction ---------------------------------------------------------------------------------

reaction() {
        perf_log "2. reaction: interval 60 s; a docker load crosses the high watermark; time to the first removal"
        : >"$W/reaction.runs"
        local run
        for run in $(seq 1 "$runs"); do
                perf_restore reaction
                local used_b total high low
                read -r used_b total < <(perf_df_bytes)
                # The 150 MiB load crosses it; getting below the low one takes some of the old images.
                high=$(awk -v u="$used_b" -v t="$total" -v m=$mib 'BEGIN { printf "%d", 100 * (u + 60 * m) / t + 1 }')
                low=$(awk -v u="$used_b" -v t="$total" 'BEGIN { printf "%d", 100 * u / t + 1 }')
                [ "$low" -lt "$high" ] || low=$((high - 1))
                perf_config "$W/reaction.conf" "$DOCKERCLEAN_TEST_SOCKET" "$W/reaction-state-$run" "$high" "$low" "$all_tiers" \
                        'interval = "60s";'
                NOTIFY_SOCKET='' "$DC" --config "$W/reaction.conf" --log-target console > >(perf_ts >"$W/reaction-$run.log") 2>&1 &
                local pid=$!
                for _ in $(seq 1 100); do grep -q 'started' "$W/reaction-$run.log" 2>/dev/null && break; sleep 0.1; done
                sleep 2 # the first check is done and the event stream is open
                local t_end t_start t_removed
                dk load -q -i "$W/big.tar" >/dev/null
                t_end=$(perf_now)
                for _ in $(seq 1 300); do grep -q 'Removed ' "$W/reaction-$run.log" && break; sleep 0.05; done
                kill -TERM "$pid"
                wait "$pid" 2>/dev/null
                sleep 0.2
                t_start=$(awk '/Cleanup started/ { print $1; exit }' "$W/reaction-$run.log")
                t_removed=$(awk '/Removed / { print $1; exit }' "$W/reaction-$run.log")
                if [ -z "$t_removed" ]; then
                        perf_log "run $run: no removal within 15 s; log:"
                        tail -n 5 "$W/reaction-$run.log" >&2
                        continue
                fi
                echo "$(perf_sub "$t_end" "$t_start") $(perf_sub "$t_end" "$t_removed")" >>"$W/reaction.runs"
                perf_log "run $run: high ${high}%: cleanup started $(perf_sub "$t_end" "$t_start")s, first removal $(perf_sub "$t_end" "$t_removed")s after the load returned"
        done
        perf_result reaction.runs "$(wc -l <"$W/reaction.runs")"
        perf_result reaction.to_cleanup_s "$(awk '{ print $1 }' "$W/reaction.runs" | perf_median)"
        perf_result reaction.to_first_removal_s "$(awk '{ print $2 }' "$W/reaction.runs" | perf_median)"
        perf_result reaction.to_first_removal_max_s "$(awk '{ print $2 }' "$W/reaction.runs" | sort -g | tail -n 1)"
}

# ---- 3. reclaim speed ----------------------------------------------------------------------------

# reclaim_one N RUN WHO: restores the N-image state and removes every image; WHO = cold (dockercleand,
# first start: no usage history yet), warm (dockercleand with the history a running daemon has), cli;
# alt-cold and alt-warm run $PERF_ALT_DOCKERCLEAND (a prototype) the same way.
reclaim_one() {
        local n=$1 run=$2 who=$3 out="$W/reclaim-$1-$2-$3"
        local dc=$DC
        case "$who" in alt-*) dc=$PERF_ALT_DOCKERCLEAND ;; esac
        perf_restore "n$n" || return 1
        local before
        before=$(dk images -q | wc -l)
        local state="$W/reclaim-state-$n-$run-$who"
        rm -rf "$state"
        perf_config "$out.conf" "$DOCKERCLEAN_TEST_SOCKET" "$state" 1 0 "$images_tier"
        if [ "${who#alt-}" = warm ]; then
                # What a running daemon already knows: it seeds the usage history on its first check (one
                # inspect per image) and keeps it from events. Seeded here by a run whose only tier has
                # nothing to remove.
                perf_config "$out.prep.conf" "$DOCKERCLEAN_TEST_SOCKET" "$state" 1 0 '{ type = "unused-networks"; }'
                "$dc" --config "$out.prep.conf" --once --log-target console >/dev/null 2>&1
        fi
        local rc
        if [ "$who" = cli ]; then
                perf_time "$out.t" "$DOCKER" image prune -af >"$out.log" 2>&1
                rc=$?
        else
                perf_time "$out.t" "$dc" --config "$out.conf" --once --log-target console >"$out.log" 2>&1
                rc=$?
        fi
        local left
        left=$(dk images -q | wc -l)
        read -r wall u s m e <"$out.t"
        echo "$wall $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $e $m $left $rc" >"$out.row"
        perf_log "N=$n run $run $who: ${wall}s wall, cpu $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')s, engine cpu ${e}s; $before -> $left images; exit $rc"
}

reclaim() {
        perf_log "3. reclaim: remove the same N unused images from the same engine state"
        local n run who order whos="cold warm cli" alt=
        [ -z "${PERF_ALT_DOCKERCLEAND:-}" ] || { whos="$whos alt-cold alt-warm"; alt="alt-cold alt-warm"; }
        for n in $reclaim_ns; do
                [ -d "$W/snap-n$n" ] || { perf_log "no engine state for N=$n (only 50 and 200 are prepared)"; continue; }
                for run in $(seq 1 "$runs"); do
                        # Alternate the order, so neither side always runs first after a restore.
                        if [ $((run % 2)) = 1 ]; then order="cold warm cli $alt"; else order="${alt:+alt-warm alt-cold }cli warm cold"; fi
                        for who in $order; do reclaim_one "$n" "$run" "$who"; done
                done
                for who in $whos; do
                        for run in $(seq 1 "$runs"); do cat "$W/reclaim-$n-$run-$who.row"; done >"$W/reclaim-$n-$who.rows"
                        perf_result "reclaim.n$n.$who.wall_s" "$(awk '{ print $1 }' "$W/reclaim-$n-$who.rows" | perf_median)"
                        perf_result "reclaim.n$n.$who.cpu_s" "$(awk '{ print $2 }' "$W/reclaim-$n-$who.rows" | perf_median)"
                        perf_result "reclaim.n$n.$who.engine_cpu_s" "$(awk '{ print $3 }' "$W/reclaim-$n-$who.rows" | perf_median)"
                        perf_result "reclaim.n$n.$who.images_left_max" "$(awk '{ print $5 }' "$W/reclaim-$n-$who.rows" | sort -n | tail -n 1)"
                done
                # Ratios run by run (each pair ran back to back), then their median.
                for who in cold warm $alt; do
                        perf_result "reclaim.n$n.$who.ratio" "$(paste "$W/reclaim-$n-$who.rows" "$W/reclaim-$n-cli.rows" |
                                awk '{ printf "%.3f\n", $1 / $7 }' | perf_median)"
                done
        done
        # What the daemon sends: one more run of the smallest N through the recording proxy.
        n=${reclaim_ns%% *}
        if [ -d "$W/snap-n$n" ]; then
                perf_restore "n$n"
                rm -rf "$W/reclaim-count-state" "$W/count.sock" "$W/count.requests"
                "$PERF_PY" "$perf_src/tests/bench/engine-proxy.py" "$W/count.sock" "$DOCKERCLEAN_TEST_SOCKET" "$W/count.requests" &
                local proxy=$!
                for _ in $(seq 1 50); do [ -S "$W/count.sock" ] && break; sleep 0.1; done
                perf_config "$W/count.conf" "$W/count.sock" "$W/reclaim-count-state" 1 0 "$images_tier"
                "$DC" --config "$W/count.conf" --once --log-target console >/dev/null 2>&1
                kill "$proxy"; wait "$proxy" 2>/dev/null
                perf_result "reclaim.n$n.cold.requests" "$(wc -l <"$W/count.requests")"
                perf_result "reclaim.n$n.cold.request_kinds" "$(sed -E 's/ HTTP.*//; s/\?.*//; s#/v[0-9.]+/#/#; s#^(GET|HEAD) /(images|containers)/[^/ ]+/json#\1 /\2/{name}/json#; s#^(DELETE|POST) /(images|containers)/[^/ ]+#\1 /\2/{name}#' "$W/count.requests" |
                        sort | uniq -c | sort -rn | awk '{ printf "%s%s %s %s", sep, $1, $2, $3; sep = "; " }')"
        fi
}

# ---- 4. cache kept -------------------------------------------------------------------------------

cache_one() {
        local run=$1 who=$2 out="$W/cache-$1-$2"
        perf_restore cache || return 1
        dk run -d --network none --name inuse perf/inuse-0001 sleep 100000 >/dev/null
        local used_b total u0 need high low
        read -r used_b total < <(perf_df_bytes)
        u0=$(perf_unused_image_bytes)
        # About a third (30%: 3.6 of the 12 images, off an image boundary), to a hundredth of a percent.
        need=$((u0 * 3 / 10))
        high=$(awk -v u="$used_b" -v t="$total" 'BEGIN { printf "%.2f", 100 * u / t - 1 }')
        low=$(awk -v u="$used_b" -v t="$total" -v n="$need" 'BEGIN { printf "%.2f", int(10000 * (u - n) / t) / 100 }')
        case "$who" in
        dockercleand)
                perf_config "$out.conf" "$DOCKERCLEAN_TEST_SOCKET" "$W/cache-state-$run" "$high" "$low" "$all_tiers"
                "$DC" --config "$out.conf" --once --log-target console >"$out.log" 2>&1 ;;
        system-prune) dk system prune -af >"$out.log" 2>&1 ;;
        image-prune-until) dk image prune -af --filter until=168h >"$out.log" 2>&1 ;;
        esac
        local u1 after
        u1=$(perf_unused_image_bytes)
        after=$(perf_used_percent)
        echo "$u0 $u1 $(awk -v a="$u0" -v b="$u1" 'BEGIN { printf "%.1f", 100 * b / a }') $after $low" >"$out.row"
        perf_log "run $run $who: unused-image bytes $u0 -> $u1 ($(awk -v a="$u0" -v b="$u1" 'BEGIN { printf "%.1f", 100 * b / a }')% kept); ${after}% used, low watermark ${low}%"
        dk rm -f inuse >/dev/null
}

cache() {
        perf_log "4. cache kept: reaching the low watermark needs a third of the unused-image bytes"
        local run who
        for run in $(seq 1 "$runs"); do
                for who in dockercleand system-prune image-prune-until; do cache_one "$run" "$who"; done
        done
        for who in dockercleand system-prune image-prune-until; do
                for run in $(seq 1 "$runs"); do cat "$W/cache-$run-$who.row"; done >"$W/cache-$who.rows"
                perf_result "cache.$who.kept_percent" "$(awk '{ print $3 }' "$W/cache-$who.rows" | perf_median)"
                perf_result "cache.$who.below_low_runs" "$(awk '$4 < $5' "$W/cache-$who.rows" | wc -l)/$(wc -l <"$W/cache-$who.rows")"
        done
        perf_result cache.unused_bytes_before "$(awk '{ print $1 }' "$W/cache-dockercleand.rows" | perf_median)"
}

for part in idle reaction reclaim cache; do
        has_part "$part" || continue
        t0=$(perf_now)
        "$part"
        perf_result "time.$part.s" "$(perf_sub "$t0" "$(perf_now)")"
done
perf_result machine.loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
