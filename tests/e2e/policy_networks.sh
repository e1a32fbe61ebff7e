# The networks tier (opt-in hygiene): unused user networks go, a network a container is attached to
# stays, built-in networks stay, nothing happens without the tier.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
fx_image net/base:1 0
fx_ballast 30
dk network rm net-unused net-used >/dev/null 2>&1
dk network create --internal net-unused >/dev/null || { fx_fail "cannot create a network on the bench engine"; fx_done; }
dk network create --internal net-used >/dev/null
dk create --name net-user --network net-used --label dockerclean.keep=1 net/base:1 >/dev/null
e2e_config "$scratch/a.conf" 1 0 '{ type = "stopped-containers"; min_age = "0s"; }' 'protect = { labels = [ "dockerclean.keep" ]; };'
e2e_run_once "$scratch/a.conf"
fx_check "tier not listed: the unused network stays" dk network inspect net-unused
e2e_config "$scratch/b.conf" 1 0 '{ type = "unused-networks"; min_age = "0s"; }'
e2e_run_once "$scratch/b.conf"
fx_check "exit 0" test "$rc" = 0
fx_check "the unused network went" eval '! dk network inspect net-unused >/dev/null 2>&1'
fx_check "the network a container is attached to stays" dk network inspect net-used
builtin="none host"
fx_podman && builtin=podman   # Podman's only built-in network
for n in $builtin; do fx_check "built-in network $n stays" dk network inspect "$n"; done
dk rm -f net-user >/dev/null
dk network rm net-used >/dev/null
fx_done
