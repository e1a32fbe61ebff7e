# Volumes hold user data: never removed unless the volumes tier is listed, then only anonymous ones,
# named ones only with include_named = true, and never one a container uses.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
fx_image vol/base:1 0
fx_ballast 30
dk volume create named-data >/dev/null
dk volume create named-in-use >/dev/null
dk run --network none --name anon-maker -v /data vol/base:1 dd if=/dev/zero of=/data/x bs=1M count=5 >/dev/null 2>&1
anon=$(dk inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon-maker)
dk rm anon-maker >/dev/null        # without -v: the anonymous volume stays behind, unused
fx_created vol-user vol/base:1 -v named-in-use:/data --label dockerclean.keep=1
fx_check "an anonymous volume was left behind" dk volume inspect "$anon"
no_volumes='{ type = "stopped-containers"; min_age = "0s"; }, { type = "dangling-images"; min_age = "0s"; }, { type = "unused-images"; min_age = "0s"; }'

e2e_config "$scratch/a.conf" 1 0 "$no_volumes"
e2e_run_once "$scratch/a.conf"
fx_check "tier not listed: the anonymous volume stays" dk volume inspect "$anon"
fx_check "tier not listed: the named volume stays" dk volume inspect named-data

e2e_config "$scratch/b.conf" 1 0 '{ type = "unused-volumes"; min_age = "0s"; }'
e2e_run_once "$scratch/b.conf"
fx_check "volumes tier: the unused anonymous volume went" eval '! dk volume inspect "$anon" >/dev/null 2>&1'
fx_check "volumes tier: the named volume stays without include_named" dk volume inspect named-data

e2e_config "$scratch/c.conf" 1 0 '{ type = "unused-volumes"; min_age = "0s"; include_named = true; }'
e2e_run_once "$scratch/c.conf"
fx_check "include_named: the unused named volume went" eval '! dk volume inspect named-data >/dev/null 2>&1'
fx_check "include_named: a volume a container uses stays" dk volume inspect named-in-use
dk rm -f vol-user >/dev/null
dk volume rm named-in-use >/dev/null
fx_done
