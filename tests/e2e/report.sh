# --report prints a table like `docker system df` (the same totals and active counts), the filesystem's
# figures and the thresholds; with no engine it exits 69.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
fx_image rep/a:1 5
fx_image rep/b:1 5
fx_dangling rep/c:1 2
fx_running rep-running rep/a:1
fx_stopped rep-stopped rep/b:1 3
# Unused, and built by the legacy builder ending on CMD: its untagged parents make SharedSize == Size on
# Docker 26 and Podman 5, and docker system df still counts it all reclaimable (issue 19).
fx_image rep/d:1 4
dk volume create rep-vol >/dev/null
e2e_config "$scratch/dc.conf" 85 75
out=$("$DOCKERCLEAND" --config "$scratch/dc.conf" --report --log-target console)
rc=$?
printf '%s\n' "$out"
fx_check "exit 0" test "$rc" = 0
fx_check "header" grep -qE '^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE' <<<"$out"
cli=$(dk system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}')
echo "docker system df: $(echo $cli)"
for type in Images Containers "Local Volumes" "Build Cache"; do
        want=$(grep "^$type|" <<<"$cli" | cut -d'|' -f2-3 | tr '|' ' ')
        got=$(grep "^$type " <<<"$out" | sed "s/^$type *//" | awk '{print $1, $2}')
        fx_check "$type: TOTAL and ACTIVE as docker system df ($got = $want)" test "$got" = "$want"
done
# Sizes in binary units, as in the logs: the Images row is the engine's LayersSize.
layers=$(curl -s --unix-socket "$DOCKERCLEAN_TEST_SOCKET" http://engine/system/df |
         python3 -c 'import sys, json; print(json.load(sys.stdin)["LayersSize"])')
want=$(awk -v b="$layers" 'BEGIN { split("B KiB MiB GiB TiB", u, " "); i = 1; while (b >= 1024 && i < 5) { b /= 1024; i++ }
                                 if (i == 1) printf "%d B\n", b; else printf "%.1f %s\n", b, u[i] }')
got=$(grep '^Images ' <<<"$out" | awk '{print $4, $5}')
fx_check "Images SIZE is LayersSize in binary units ($got = $want)" test "$got" = "$want"
# RECLAIMABLE as docker system df's (its decimal units, ours binary), within 5 %.
to_bytes() { awk '{ v = $1; u = $1; sub(/^[0-9.]+ */, "", u); sub(/[0-9.]+$/, "", u); v += 0
        if (u == "") u = $2
        f["B"] = 1; f["kB"] = 1e3; f["KB"] = 1e3; f["MB"] = 1e6; f["GB"] = 1e9; f["TB"] = 1e12
        f["KiB"] = 1024; f["MiB"] = 1048576; f["GiB"] = 1073741824; f["TiB"] = 1099511627776
        printf "%.0f\n", v * (u in f ? f[u] : 1) }'; }
cli_rec=$(dk system df --format '{{.Type}}|{{.Reclaimable}}')
for type in Images Containers "Local Volumes" "Build Cache"; do
        want=$(grep "^$type|" <<<"$cli_rec" | cut -d'|' -f2 | sed 's/ *(.*//' | sed -E 's/^([0-9.]+)([A-Za-z]+)$/\1 \2/' | to_bytes)
        got=$(grep "^$type " <<<"$out" | sed "s/^$type *//" | awk '{print $5, $6}' | to_bytes)
        if [ "${want#-}" != "$want" ]; then
                # The containerd store: the images' Size outgrows LayersSize, and docker's formula (LayersSize
                # less the in-use images' unique bytes) goes negative. Ours is the unused images' unique bytes.
                echo "$type: docker system df says a negative $want B (the containerd store); ours $got B"
                fx_check "$type: RECLAIMABLE not negative ($got B)" test "${got:--1}" -ge 0
                continue
        fi
        fx_check "$type: RECLAIMABLE as docker system df's within 5% (ours $got B, docker's $want B)" \
                awk -v g="${got:-x}" -v w="${want:-y}" 'BEGIN { d = g - w; if (d < 0) d = -d; m = g > w ? g : w
                                                          exit !(g != "x" && w != "y" && d <= m * 0.05 + 10240) }'
done
fx_check "filesystem figures" grep -qE "^Filesystem: +$DOCKERCLEAN_TEST_DATA_ROOT" <<<"$out"
fx_check "used percent" grep -qE '^  used +[0-9.]+% \(' <<<"$out"
fx_check "thresholds" grep -qE '^Thresholds: +clean at 85% used, down to below 75%' <<<"$out"
printf 'engine = { socket = "%s/none.sock"; };\n' "$scratch" >"$scratch/none.conf"
"$DOCKERCLEAND" --config "$scratch/none.conf" --report --log-target console >/dev/null 2>&1
fx_check "no engine: exit 69" test $? = 69
dk rm -f rep-running >/dev/null
fx_done
