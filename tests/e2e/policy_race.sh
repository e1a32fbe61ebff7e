# A container created from a candidate image in the middle of a cleanup makes that image a skip, not a
# loss: a proxy in front of the real engine creates the container right before the image's first DELETE
# reaches the engine; the engine refuses the last tag, the tags already removed are put back, and the
# image, its tags and the container are all there afterwards. A dry run through the same proxy sends no
# request that removes anything.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
src=${DOCKERCLEAN_SOURCE_DIR:?}

fx_image race/img:1 40
dk tag race/img:1 race/img:2
fx_image race/other:1 40
e2e_next_second
fx_image race/newer:1 40
e2e_config "$scratch/dc.conf" "$(e2e_high_now)" 1 '{ type = "unused-images"; min_age = "0s"; }'
sed -i "s|socket = \"$DOCKERCLEAN_TEST_SOCKET\"|socket = \"$scratch/proxy.sock\"|" "$scratch/dc.conf"

start_proxy() {
        rm -f "$scratch/proxy.sock"
        python3 "$src/tests/bench/engine-proxy.py" "$scratch/proxy.sock" "$DOCKERCLEAN_TEST_SOCKET" "$1" "${@:2}" &
        proxy=$!
        e2e_wait_for 60 test -S "$scratch/proxy.sock"
}

# Dry run: not one removing request.
start_proxy "$scratch/dry.log"
"$DOCKERCLEAND" --config "$scratch/dc.conf" --once --dry-run --log-target console >/dev/null 2>&1
fx_check "dry run: exit 0" test $? = 0
kill "$proxy"; wait "$proxy" 2>/dev/null
echo "dry run requests: $(cut -d' ' -f1-2 "$scratch/dry.log" | sort | uniq -c | tr '\n' ';')"
fx_check "dry run talked to the engine" grep -q 'GET ' "$scratch/dry.log"
fx_check "dry run sent no DELETE" eval '! grep -q "^DELETE " "$scratch/dry.log"'
fx_check "dry run sent no prune" eval '! grep -qE "^POST [^ ]*/prune" "$scratch/dry.log"'

# The race.
# Podman names the image docker.io/race/img.
start_proxy "$scratch/real.log" --before '^DELETE /v[0-9.]+/images/(docker\.io(/|%2F))?race(/|%2F)img' \
        "$DOCKER create --network none --name latecomer race/img:1 >/dev/null"
e2e_run_once "$scratch/dc.conf"
kill "$proxy"; wait "$proxy" 2>/dev/null
cat "$scratch/real.log"
fx_check "exit 0" test "$rc" = 0
fx_check "the hook ran" grep -q '^# hook ran' "$scratch/real.log"
fx_check "the container created mid-cleanup exists" fx_exists latecomer
fx_check "its image is still there under race/img:1" fx_exists race/img:1
fx_check "and under race/img:2 (an untag was undone)" fx_exists race/img:2
fx_check "no request forced anything" eval '! grep -q "force=1\|force=true" "$scratch/real.log"'
fx_check "the other candidates went" eval 'fx_gone race/other:1 && fx_gone race/newer:1'
journal=$(e2e_journal "$pid")
fx_check "the skip is not logged as an error or warning" \
        eval '! grep "race/img" <<<"$journal" | grep -q "\"PRIORITY\":\"[0-4]\""'
dk rm -f latecomer >/dev/null
fx_done
