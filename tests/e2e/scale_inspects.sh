# Issue 11: a cleanup inspects only the stopped containers the plan may take (never one per stopped
# container), none whose stop time the daemon kept (state_dir/container-stops: from the die events a running
# daemon followed, or an earlier inspect), and plans exactly what inspecting every container would plan. Against the scripted
# fake (tests/fake/fake-engine.py, world scenario), which logs every request; needs no real engine.
set -u
. "$(dirname "$0")/common.bash"
src=${DOCKERCLEAN_SOURCE_DIR:?}
mkdir -p "$scratch/data"

# 300 exited containers whose stop times are not in Created order (the oldest-created ran longest),
# 20 never started, 20 running; one image each can share. max_removals = 10.
python3 - "$scratch/world.json" "$scratch/expected" <<'EOF'
import json, sys, time
now = int(time.time())
H = 3600
img = "sha256:" + "ab" * 32
containers = []
for i in range(300):
    created = now - (400 - i) * H
    ran = (i * 7919 % 97) * H          # 0 to 96 hours
    containers.append({"Id": "%064x" % (0xc000 + i), "Name": "exited%03d" % i, "ImageID": img, "State": "exited",
                       "Created": created, "FinishedAt": min(created + ran, now - 2 * H), "bytes": 0})
for i in range(20):
    containers.append({"Id": "%064x" % (0xd000 + i), "Name": "created%02d" % i, "ImageID": img, "State": "created",
                       "Created": now - (300 - 7 * i) * H, "bytes": 0})
for i in range(20):
    containers.append({"Id": "%064x" % (0xe000 + i), "Name": "running%02d" % i, "ImageID": img, "State": "running",
                       "Created": now - 500 * H, "bytes": 0})
# What the planner takes, inspecting everything: (FinishedAt, else Created; Created; id) order, first 10.
def ref(c):
    return c["FinishedAt"] if c["State"] == "exited" else c["Created"]
cands = [c for c in containers if c["State"] in ("exited", "created") and ref(c) <= now - H]
cands.sort(key=lambda c: (ref(c), c["Created"], c["Id"]))
open(sys.argv[2], "w").write("".join(c["Name"] + "\n" for c in cands[:10]))
# The die events a daemon following the engine saw (in time order), then an image tag: the marker.
events = []
for c in sorted(containers, key=lambda c: c.get("FinishedAt", 0)):
    if c["State"] == "exited":
        events.append({"Type": "container", "Action": "die", "Actor": {"ID": c["Id"], "Attributes": {"image": "img:1"}},
                       "time": c["FinishedAt"], "timeNano": c["FinishedAt"] * 10**9})
events.append({"Type": "image", "Action": "tag", "Actor": {"ID": img, "Attributes": {"name": "img:1"}},
               "time": now, "timeNano": now * 10**9})
json.dump({"containers": containers, "images": [{"Id": img, "RepoTags": ["img:1"], "Created": now - 900 * H, "bytes": 0}],
           "events": events}, open(sys.argv[1], "w"))
EOF

fake=
start_fake() {
        rm -f "$scratch/fake.sock" "$scratch/fake.in" "$scratch/fake.out" "$scratch/fake.log"
        mkfifo "$scratch/fake.in"
        python3 "$src/tests/fake/fake-engine.py" --socket "$scratch/fake.sock" --log "$scratch/fake.log" \
                --world "$scratch/world.json" --data "$scratch/data" world <"$scratch/fake.in" >"$scratch/fake.out" &
        fake=$!
        exec 3>"$scratch/fake.in"
        # Its "ready" line, with a deadline a loaded host meets (python's start alone can take seconds).
        e2e_wait_for 60 grep -q '^ready' "$scratch/fake.out" 2>/dev/null && return 0
        echo "the fake engine did not start within 60 s" >&2
        return 1
}
stop_fake() { exec 3>&-; wait "$fake" 2>/dev/null; }
inspects() { grep -c '^GET /v1\.41/containers/[0-9a-f]\{64\}/json' "$scratch/fake.log"; }
config() { # config FILE STATE HIGH LOW [EXTRA]
        cat >"$1" <<EOC
engine = { socket = "unix://$scratch/fake.sock"; };
state_dir = "$2";
disk = { high_watermark = "$3%"; low_watermark = "$4%"; inode_high_watermark = "99%"; inode_low_watermark = "98%"; };
tiers = ( { type = "stopped-containers"; min_age = "1h"; } );
max_removals = 10;
${5:-}
EOC
}
planned() { grep '^    remove-container' "$1" | awk '{ print $2 }'; }

# A first start: the ten oldest by stop time, with a few dozen inspects at most (one batch of 32, maybe
# a second), not 300.
start_fake || exit 1
config "$scratch/cold.conf" "$scratch/state-cold" 1 0
"$DOCKERCLEAND" --config "$scratch/cold.conf" --once --dry-run --log-target console >"$scratch/cold.plan" 2>"$scratch/cold.err"
n=$(inspects)
echo "first start: $n container inspects for 300 exited containers"
fx_check "first start: the plan is what inspecting every container gives" \
        cmp -s <(planned "$scratch/cold.plan") "$scratch/expected"
fx_check "first start: at least the ten planned were inspected ($n)" test "$n" -ge 10
fx_check "first start: no inspect storm ($n <= 64 of 300)" test "$n" -le 64
planned "$scratch/cold.plan" | diff - "$scratch/expected" >&2 || cat "$scratch/cold.err" >&2
stop_fake

# A running daemon with nothing to clean follows the engine's die events; what it saves on SIGTERM
# tells every exited container's stop time.
start_fake || exit 1
config "$scratch/follow.conf" "$scratch/state" 99 98 'interval = "1h";'
"$DOCKERCLEAND" --config "$scratch/follow.conf" --log-target console --log-level debug >"$scratch/follow.log" 2>&1 &
pid=$!
# The tag after the die events makes a check: once it ran, every die event before it was taken.
fx_check "the daemon checked after the fake sent its events" e2e_wait_for 60 \
        eval 'grep -q "^EVENTS-SENT" "$scratch/fake.log" 2>/dev/null && [ "$(grep -c "% used" "$scratch/follow.log")" -ge 2 ]'
kill -TERM "$pid"; wait "$pid"
stops=$(grep -c '^[0-9a-f]\{64\} ' "$scratch/state/container-stops" 2>/dev/null || echo 0)
fx_check "the daemon kept the stop time of each of the 300 exited containers from die events ($stops)" test "$stops" = 300
fx_check "following events sent no container inspect" test "$(inspects)" = 0
stop_fake

# As an older daemon kept them: "@ID[/SIZE_RW] FINISHED_NS" lines of the usage history, no container-stops.
python3 - "$scratch/state/container-stops" "$scratch/state/image-history" <<'EOF'
import os, sys
stops, history = sys.argv[1], sys.argv[2]
with open(history, "a") as h:
    for l in open(stops).read().splitlines()[1:]:
        f = l.split()
        h.write("@%s%s %s\n" % (f[0], "/" + f[2] if len(f) > 2 else "", f[1]))
os.unlink(stops)
EOF
fx_check "the old history holds the 300 stop times" test "$(grep -c '^@' "$scratch/state/image-history")" = 300

# With those stop times, taken from the old history: the same plan, and not one inspect.
start_fake || exit 1
config "$scratch/warm.conf" "$scratch/state" 1 0
"$DOCKERCLEAND" --config "$scratch/warm.conf" --once --dry-run --log-target console >"$scratch/warm.plan" 2>"$scratch/warm.err"
n=$(inspects)
fx_check "stop times known: the same plan" cmp -s <(planned "$scratch/warm.plan") "$scratch/expected"
fx_check "stop times known: no container inspect (got $n)" test "$n" = 0
stop_fake
# A dry run saves nothing; a check with nothing to clean saves both files.
start_fake || exit 1
"$DOCKERCLEAND" --config "$scratch/follow.conf" --once --log-target console >/dev/null 2>"$scratch/keep.err"
stop_fake
fx_check "the stop times moved into container-stops" \
        test "$(grep -c '^[0-9a-f]\{64\} ' "$scratch/state/container-stops" 2>/dev/null || echo 0)" = 300
fx_check "and out of the usage history" eval "! grep -q '^@' '$scratch/state/image-history'"

# A container that ran again after its stop was noted is inspected again: its start event forgets it;
# or, when no daemon saw it run (it was down), the listing's Status ("Exited (0) 3 hours ago") says it
# stopped later than the stored stop time. And a stop time for a container the engine no
# longer lists is dropped at the next snapshot.
python3 - "$scratch/state/container-stops" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p).read().splitlines(True)
stops = sorted(lines[1:], key=lambda l: int(l.split()[1]))  # after the header: "ID FINISHED_NS [SIZE_RW]"
lines.remove(stops[0])                                   # forgotten, as its start event would
fields = stops[1].split()
fields[1] = str(int(fields[1]) - 365 * 86400 * 10**9)    # a year older than Status
lines[lines.index(stops[1])] = " ".join(fields) + "\n"
lines.append("%064x 1000000000\n" % 0xfeed)           # a container the engine does not list
open(p, "w").write("".join(lines))
EOF
start_fake || exit 1
config "$scratch/again.conf" "$scratch/state" 1 0
"$DOCKERCLEAND" --config "$scratch/again.conf" --once --log-target console >/dev/null 2>"$scratch/again.err"
n=$(inspects)
fx_check "one stop time forgotten, one stale by Status: two containers inspected (got $n)" test "$n" = 2
stop_fake
fx_check "a stop time of a container the engine no longer lists is forgotten" \
        eval "! grep -q '^0*feed ' '$scratch/state/container-stops'"

# The critical pass (disk.critical_watermark, here below the scratch filesystem's usage) goes on after
# the tier with critical_min_age: with min_age = 390h only a few containers are the tier's, and the
# rest of the ten come from the critical pass, whose candidates were created within min_age. Their stop
# times are needed too (inspected, and ordered as inspecting everything would).
python3 - "$scratch/world.json" "$scratch/expected-critical" <<'EOF'
import json, sys, time
w = json.load(open(sys.argv[1]))
now, H = int(time.time()), 3600
def ref(c):
    return c["FinishedAt"] if c["State"] == "exited" else c["Created"]
cands = [c for c in w["containers"] if c["State"] in ("exited", "created")]
tier = sorted((c for c in cands if ref(c) <= now - 390 * H), key=lambda c: (ref(c), c["Created"], c["Id"]))
crit = sorted((c for c in cands if now - 390 * H < ref(c) <= now - H), key=lambda c: (ref(c), c["Created"], c["Id"]))
assert 0 < len(tier) < 10, len(tier)
open(sys.argv[2], "w").write("".join(c["Name"] + "\n" for c in (tier + crit)[:10]))
EOF
start_fake || exit 1
cat >"$scratch/critical.conf" <<EOC
engine = { socket = "unix://$scratch/fake.sock"; };
state_dir = "$scratch/state-critical";
disk = { high_watermark = "1%"; low_watermark = "0%"; critical_watermark = "1.5%"; critical_min_age = "1h";
         inode_high_watermark = "99%"; inode_low_watermark = "98%"; };
tiers = ( { type = "stopped-containers"; min_age = "390h"; } );
max_removals = 10;
EOC
"$DOCKERCLEAND" --config "$scratch/critical.conf" --once --dry-run --log-target console >"$scratch/critical.plan" 2>"$scratch/critical.err"
n=$(inspects)
fx_check "critical pass: the plan is what inspecting every container gives ($n inspects)" \
        cmp -s <(planned "$scratch/critical.plan") "$scratch/expected-critical"
planned "$scratch/critical.plan" | diff - "$scratch/expected-critical" >&2 || tail -5 "$scratch/critical.err" >&2
stop_fake
fx_done
