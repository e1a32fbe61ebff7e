# exhausted_command on the real bench engine: a host above its watermark whose only images are pinned by
# a running container; the stopped container goes, then every tier is exhausted and the command runs
# once, with the figures of the filesystem the daemon measured and the bytes that cleanup reclaimed.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
fx_image last/pinned:1 10
fx_running last-job last/pinned:1
fx_stopped last-done last/pinned:1 8
fx_ballast 50

cat >"$scratch/cmd.sh" <<'EOS'
#!/bin/sh
{ echo "run $*"; env | grep '^DOCKERCLEAN_' | sort; } >>"${0%.sh}.runs"
echo "paused"
EOS
chmod 0755 "$scratch/cmd.sh"
# Above the high watermark, a low one of 0% no cleanup reaches.
e2e_config "$scratch/dc.conf" "$(e2e_high_now)" 0 \
        '{ type = "stopped-containers"; min_age = "0s"; }, { type = "unused-images"; min_age = "0s"; }' \
        "exhausted_command = [ \"$scratch/cmd.sh\", \"--host\", \"ci-7\" ];"
e2e_run_once "$scratch/dc.conf"
fx_check "exit 0 (got $rc)" test "$rc" = 0
fx_check "the stopped container went" fx_gone last-done
fx_check "the running one and its image stay" fx_exists last-job
fx_check "the command ran once" test "$(grep -c '^run --host ci-7$' "$scratch/cmd.runs" 2>/dev/null)" = 1
cat "$scratch/cmd.runs" >&2
path=$(sed -n 's/^DOCKERCLEAN_PATH=//p' "$scratch/cmd.runs")
fx_check "DOCKERCLEAN_PATH is a filesystem the daemon measured ($path)" \
        eval '[ "$path" = "$DOCKERCLEAN_TEST_DATA_ROOT" ] || [ "$path" = "${DOCKERCLEAN_TEST_STORE_ROOT:-}" ]'
used=$(sed -n 's/^DOCKERCLEAN_USED_PERCENT=//p' "$scratch/cmd.runs")
df_used=$(df -P -B1 "$path" | awk 'NR==2 { printf "%.2f\n", 100 * $3 / ($3 + $4) }')
fx_check "DOCKERCLEAN_USED_PERCENT ($used) is df's ($df_used), within half a point" \
        awk -v a="$used" -v b="$df_used" 'BEGIN { d = a - b; exit !(d < 0.5 && d > -0.5) }'
free=$(sed -n 's/^DOCKERCLEAN_FREE_BYTES=//p' "$scratch/cmd.runs")
df_free=$(df -P -B1 "$path" | awk 'NR==2 { print $4 }')
fx_check "DOCKERCLEAN_FREE_BYTES ($free) is df's available ($df_free), within 16 MiB" \
        awk -v a="$free" -v b="$df_free" 'BEGIN { d = a - b; exit !(d < 16777216 && d > -16777216) }'
# The bytes are those the cleanup reported as reclaimed (its journal record).
reclaimed=$(sed -n 's/^DOCKERCLEAN_RECLAIMED_BYTES=//p' "$scratch/cmd.runs")
finished=$(e2e_journal "$pid" MESSAGE_ID=0df3a46d76df44c1a3c984f92c4e4c45)
fx_check "DOCKERCLEAN_RECLAIMED_BYTES ($reclaimed) is the cleanup's and not 0" \
        eval '[ "$reclaimed" != 0 ] && grep -q "\"DOCKERCLEAN_RECLAIMED_BYTES\":\"$reclaimed\"" <<<"$finished"'
# It ended above its low watermark: a warning that says so and what kept the rest, never "finished".
end=$(python3 -c 'import json, sys
for l in sys.stdin:
    if l.strip():
        r = json.loads(l)
        print(r.get("PRIORITY"), r.get("DOCKERCLEAN_KEPT_IN_USE", "-"), r.get("DOCKERCLEAN_STOP", "-"), "|", r.get("MESSAGE"))' <<<"$finished")
echo "end of the cleanup: $end"
fx_check "the end is a warning, 'ended above the low watermark', not 'finished' ($end)" \
        eval 'grep -q "^4 " <<<"$end" && grep -q "Cleanup ended above the low watermark" <<<"$end" && ! grep -q "Cleanup finished" <<<"$end"'
fx_check "it names what kept the rest: in use >= 2 (the running container and its image)" \
        eval 'awk "{ exit !(\$2 >= 2) }" <<<"$end"'
record=$(e2e_journal "$pid" MESSAGE_ID=5c1be13e602d4e998a69cb61e3781fde)
fx_check "journal: exit status 0 and the output" \
        eval 'grep -q "\"DOCKERCLEAN_EXIT_STATUS\":\"0\"" <<<"$record" && grep -q "\"DOCKERCLEAN_OUTPUT\":\"paused\"" <<<"$record"'
fx_done
