# The fleet folder (monitoring/): the textfile the daemon writes passes `promtool check metrics` and
# keeps the same HELP/TYPE lines whatever the configuration (node_exporter's textfile collector
# refuses a metric whose help differs between files); the alerting rules pass `promtool check rules`
# and their unit tests (`promtool test rules`: each alert fires and stays silent); every query of the
# rules and of the Grafana dashboard names a metric the daemon writes (or node_exporter's
# node_textfile_mtime_seconds for that file).
set -u
. "$(dirname "$0")/common.bash"
src=${DOCKERCLEAN_SOURCE_DIR:?}
mon=$src/monitoring

command -v promtool >/dev/null || { fx_fail "promtool is installed (Debian's prometheus; scripts/install-deps)"; fx_done; }

# Two textfiles from two configurations, each written by a real check against the bench engine.
e2e_config "$scratch/a.conf" 99 98 '{ type = "stopped-containers"; min_age = "0s"; }' \
        "metrics_file = \"$scratch/a.prom\";"
cat >"$scratch/b.conf" <<EOC
engine = { socket = "$DOCKERCLEAN_TEST_SOCKET"; };
state_dir = "$scratch/state-b";
disk = { high_watermark = "98%"; low_watermark = "90%"; min_free = "1M"; target_free = "2M";
         inode_high_watermark = "99%"; inode_low_watermark = "97%"; };
tiers = ( { type = "dangling-images"; min_age = "1h"; }, { type = "unused-images"; min_age = "1d"; } );
metrics_file = "$scratch/b.prom";
EOC
for c in a b; do
        fx_check "the daemon checks once with configuration $c" \
                "$DOCKERCLEAND" --config "$scratch/$c.conf" --once --log-target console
        fx_check "... and writes its textfile" test -s "$scratch/$c.prom"
done
[ -s "$scratch/a.prom" ] && [ -s "$scratch/b.prom" ] || fx_done
fx_check "the two configurations give different values" bash -c "! cmp -s '$scratch/a.prom' '$scratch/b.prom'"
# A third, every tier exhausted (nothing may go): the textfile has the series of where the bytes are that
# the engine does not list (a stopped container's log).
fx_reset
fx_image mon/base:1 0
dk run --network none --name mon-log mon/base:1 sh -c 'echo log line' >/dev/null
head -c $((40 * 1048576)) /dev/zero >"$(fx_store_mount)/ballast" # above 2 % of the 1 GiB bench filesystem
e2e_config "$scratch/c.conf" 2 1 '{ type = "stopped-containers"; min_age = "1d"; }' "metrics_file = \"$scratch/c.prom\";"
"$DOCKERCLEAND" --config "$scratch/c.conf" --once --log-target console 2>/dev/null
rm -f "$(fx_store_mount)/ballast"
fx_check "exhausted: the textfile has dockerclean_unlisted_bytes" grep -q '^dockerclean_unlisted_bytes{' "$scratch/c.prom"
# Podman keeps its containers' logs elsewhere than dockerd (or in the journal): not measured there.
not_on_podman=""
if fx_podman; then not_on_podman=dockerclean_container_log_bytes
else fx_check "exhausted: ... and dockerclean_container_log_bytes" grep -q '^dockerclean_container_log_bytes{name="mon-log"' "$scratch/c.prom"
fi

for c in a b c; do
        out=$(promtool check metrics <"$scratch/$c.prom" 2>&1)
        rc=$?
        [ -n "$out" ] && printf 'promtool check metrics: %s\n' "$out"
        fx_check "promtool check metrics: textfile $c is clean" test "$rc" = 0 -a -z "$out"
done
fx_check "HELP and TYPE lines are the same in both files" \
        diff <(grep '^#' "$scratch/a.prom") <(grep '^#' "$scratch/b.prom")
# node_exporter's conventions: counters end in _total, gauges of a share end in _ratio, sizes in
# _bytes, times in _seconds; every sample has HELP and TYPE.
fx_check "naming: counters are _total, other suffixes are base units" python3 - "$scratch/a.prom" <<'EOF'
import re, sys
types, helps, bad = {}, set(), []
for line in open(sys.argv[1]):
    m = re.match(r'# TYPE (\S+) (\S+)', line)
    if m: types[m.group(1)] = m.group(2)
    m = re.match(r'# HELP (\S+) ', line)
    if m: helps.add(m.group(1))
    m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]', line)
    if m and not line.startswith('#') and (m.group(1) not in types or m.group(1) not in helps):
        bad.append(f"{m.group(1)}: no HELP or TYPE")
for name, t in types.items():
    if (t == 'counter') != name.endswith('_total'):
        bad.append(f"{name}: {t}, but the name {'does not end' if t == 'counter' else 'ends'} in _total")
    if t == 'gauge' and not re.search(r'_(ratio|bytes|seconds|up)$', name):
        bad.append(f"{name}: gauge without a base unit suffix")
    if re.search(r'_(percent|kilobytes|megabytes|milliseconds|minutes)', name):
        bad.append(f"{name}: not a base unit")
for b in bad: print(b)
sys.exit(1 if bad else 0)
EOF

fx_check "promtool check rules" promtool check rules "$mon/prometheus/dockerclean.rules.yml"
fx_check "promtool test rules: every alert fires and stays silent" \
        bash -c "cd '$mon/prometheus' && promtool test rules dockerclean.rules.test.yml"

# Every query names only metrics the daemon writes (or node_textfile_mtime_seconds), at least one each;
# every alert has a unit test; the dashboard shows every metric the daemon writes.
fx_check "every rule and dashboard query names metrics the daemon writes" env NOT_WRITTEN_HERE="$not_on_podman" \
        python3 - "$scratch/a.prom" "$scratch/b.prom" "$scratch/c.prom" "$mon/prometheus/dockerclean.rules.yml" \
        "$mon/prometheus/dockerclean.rules.test.yml" "$mon/grafana/dockerclean.json" <<'EOF'
import json, re, sys, yaml
written = set()
for f in sys.argv[1:4]:
    for line in open(f):
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]', line)
        if m and not line.startswith('#'):
            written.add(m.group(1))
import os
allowed = written | {"node_textfile_mtime_seconds"} | set(os.environ.get("NOT_WRITTEN_HERE", "").split())
names = re.compile(r'\b((?:dockerclean|node)_[a-zA-Z0-9_:]*)')
bad = []

def check(where, expr):
    found = set(names.findall(expr))
    if not found:
        bad.append(f"{where}: names no metric: {expr}")
    for n in sorted(found - allowed):
        bad.append(f"{where}: {n} is not a metric the daemon writes")
    return found

rules = yaml.safe_load(open(sys.argv[4]))
alerts, used = set(), set()
for g in rules["groups"]:
    for r in g["rules"]:
        used |= check(f"rule {r.get('alert') or r.get('record')}", r["expr"])
        if "alert" in r:
            alerts.add(r["alert"])
tests = yaml.safe_load(open(sys.argv[5]))
tested_firing, tested_silent = set(), set()
for t in tests["tests"]:
    for a in t.get("alert_rule_test", []):
        (tested_firing if a.get("exp_alerts") else tested_silent).add(a["alertname"])
for a in sorted(alerts - tested_firing):
    bad.append(f"alert {a}: no test makes it fire")
for a in sorted(alerts - tested_silent):
    bad.append(f"alert {a}: no test checks it stays silent")

dash = json.load(open(sys.argv[6]))
queries = 0
def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))
for p in panels(dash["panels"]):
    if p.get("type") == "row":
        continue
    if not p.get("targets"):
        bad.append(f"panel {p.get('title')}: no query")
    for t in p.get("targets", []):
        queries += 1
        used |= check(f"panel {p.get('title')!r} {t.get('refId')}", t["expr"])
for v in dash.get("templating", {}).get("list", []):
    if v.get("type") == "query":
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        check(f"variable {v['name']}", q)
for n in sorted(written - used):
    bad.append(f"{n}: written by the daemon, used by no rule or panel")
print(f"{len(alerts)} alerts, {queries} dashboard queries, {len(written)} metrics written")
for b in bad: print(b)
sys.exit(1 if bad else 0)
EOF
fx_done
