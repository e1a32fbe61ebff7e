# The inode trigger: on a filesystem that runs out of inodes before bytes (containers holding many tiny
# files), the cleanup starts on inode use and brings it below the inode low watermark. Runs its own
# small-inode engine next to the shared one.
set -u
src=${DOCKERCLEAN_SOURCE_DIR:?}
if [ "${1:-}" != --inside ]; then
        [ -n "${DOCKERCLEAN_TEST_SOCKET:-}" ] || . "$(dirname "$0")/common.bash"   # skip or fail without the bench
        exec "$src/tests/bench/with-engine.sh" --size 512M --inodes 16384 -- bash "$0" --inside
fi
. "$(dirname "$0")/common.bash"
fx_reset
fx_image ino/base:1 0
for i in 1 2 3 4 5 6; do
        dk run --network none --name "many$i" ino/base:1 sh -c 'mkdir /f && cd /f && i=0; while [ $i -lt 2000 ]; do : > $i; i=$((i+1)); done' \
                >/dev/null 2>&1 || fx_fail "fill many$i"
done
iu=$(fx_inodes_used_percent)
echo "inodes used: $iu%, bytes used: $(fx_used_percent)%"
ihigh=$(awk -v u="$iu" 'BEGIN { printf "%d", u - 5 }')
ilow=$(awk -v u="$iu" 'BEGIN { printf "%d", u - 30 }')
paths=""   # with the containerd image store, containerd's root holds the containers' files
[ -n "${DOCKERCLEAN_TEST_STORE_ROOT:-}" ] && paths="\"$DOCKERCLEAN_TEST_STORE_ROOT\""
cat >"$scratch/dc.conf" <<EOC
engine = { socket = "$DOCKERCLEAN_TEST_SOCKET"; };
state_dir = "$scratch/state";
disk = { high_watermark = "99%"; low_watermark = "98%"; inode_high_watermark = "$ihigh%"; inode_low_watermark = "$ilow%";
         paths = [ $paths ]; };
tiers = ( { type = "stopped-containers"; min_age = "0s"; } );
EOC
fx_check "bytes alone would not trigger ($(fx_used_percent)% < 99%)" fx_lt "$(fx_used_percent)" 99
e2e_run_once "$scratch/dc.conf"
fx_check "exit 0" test "$rc" = 0
after=$(fx_inodes_used_percent)
echo "inodes used after: $after% (low $ilow%)"
fx_check "inode use is below the inode low watermark" fx_lt "$after" "$ilow"
fx_check "and not everything went" test -n "$(dk ps -aq --filter name=many)"
fx_done
