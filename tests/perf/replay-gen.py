#!/usr/bin/env python3
"""Writes the image traces the eviction replay (tests/perf/replay.c) feeds through the planner.

usage: replay-gen.py {ci,zipf,hosts} [--seed N] > TRACE

Deterministic: the same kind and seed give the same file, byte for byte (random.Random(seed), no clock).
Every parameter is written into the trace as a "param" line, and docs/BENCHMARKS.md lists them.

Trace format (text, one record a line, times in unix seconds, sizes in bytes):
  dockerclean-replay 1
  param KEY VALUE                 what the generator was asked (informational)
  disk CAPACITY BASE_USED         the filesystem, and what is on it besides images
  layer SIZE                      layers, numbered from 0 in file order
  image TAG CREATED L1,L2,...     images, numbered from 0, by their layers (base first)
  job START DURATION I1,I2,...    a job: one container per image, running START..START+DURATION;
                                  jobs come in START order
"""
import argparse
import math
import random
import sys

MB = 1000 * 1000
GB = 1000 * MB
T0 = 1_700_000_000          # the trace's first second (2023-11-14)
HOUR = 3600
DAY = 24 * HOUR


class Trace:
    def __init__(self, kind, seed):
        self.rng = random.Random("%s/%d" % (kind, seed))
        self.params = [("kind", kind), ("seed", seed)]
        self.layers = []
        self.images = []        # (tag, created, [layers])
        self.jobs = []          # (start, duration, [images])
        self.capacity = 0
        self.base_used = 0

    def param(self, key, value):
        self.params.append((key, value))
        return value

    def layer(self, size):
        self.layers.append(max(1, int(size)))
        return len(self.layers) - 1

    def image(self, tag, created, layers):
        self.images.append((tag, int(created), list(layers)))
        return len(self.images) - 1

    def lognormal(self, median, sigma, cap):
        return min(cap, median * math.exp(self.rng.gauss(0, sigma)))

    def write(self, f):
        f.write("dockerclean-replay 1\n")
        for k, v in self.params:
            f.write("param %s %s\n" % (k, v))
        f.write("disk %d %d\n" % (self.capacity, self.base_used))
        for s in self.layers:
            f.write("layer %d\n" % s)
        for tag, created, layers in self.images:
            f.write("image %s %d %s\n" % (tag, created, ",".join(map(str, layers))))
        self.jobs.sort(key=lambda j: (j[0], j[2]))
        for start, duration, images in self.jobs:
            f.write("job %d %d %s\n" % (start, duration, ",".join(map(str, images))))


def ci(t):
    """A CI build host: per-commit images on a toolchain image per branch, over a few shared bases."""
    rng = t.rng
    days = t.param("days", 7)
    rate = t.param("jobs_per_hour", 10)
    t.capacity = t.param("capacity_bytes", 25 * GB)
    t.base_used = t.param("base_used_bytes", 5 * GB)
    n_bases = t.param("bases", 3)
    branch_every = t.param("new_branch_every_hours", 6)
    branch_life = t.param("branch_life_mean_hours", 36)
    new_commit = t.param("new_commit_probability", 0.5)
    own_deps = t.param("branch_own_deps_probability", 0.3)
    old_main = t.param("old_main_commit_probability", 0.1)
    old_main_hours = t.param("old_main_commit_window_hours", 72)
    bases = [t.layer(s) for s in (30 * MB, 120 * MB, 250 * MB)[:n_bases]]
    main_deps = [t.layer(rng.uniform(600, 1200) * MB) for _ in bases]
    branches = []           # dict(name, toolchain image, base index, deps layer, end, commits)

    def new_branch(name, now, end):
        b = rng.randrange(len(bases))
        deps = main_deps[b] if rng.random() >= own_deps or name == "main" else t.layer(rng.uniform(600, 1200) * MB)
        tool = t.image("ci/toolchain:%s" % name, now, [bases[b], deps, t.layer(rng.uniform(20, 80) * MB)])
        branches.append(dict(name=name, tool=tool, layers=t.images[tool][2], end=end, commits=[]))

    new_branch("main", T0 - DAY, math.inf)
    now = T0
    next_branch = T0
    n_commit = 0
    while now < T0 + days * DAY:
        now += rng.expovariate(rate / HOUR)
        while next_branch <= now:
            new_branch("b%d" % len(branches), next_branch, next_branch + rng.expovariate(1 / (branch_life * HOUR)))
            next_branch += branch_every * HOUR
        live = [b for b in branches if b["end"] > now]
        br = rng.choices(live, weights=[4 if b["name"] == "main" else 1 for b in live])[0]
        old = [c for c in branches[0]["commits"] if t.images[c][1] >= now - old_main_hours * HOUR]
        if old and rng.random() < old_main:   # an integration job against a recent release of main
            t.jobs.append((int(now), int(rng.uniform(5, 25) * 60), [branches[0]["tool"], rng.choice(old)]))
            continue
        if not br["commits"] or rng.random() < new_commit:
            n_commit += 1
            app = t.image("ci/app:%s-%06x" % (br["name"], n_commit), now - 120,
                          br["layers"] + [t.layer(rng.uniform(80, 300) * MB)])
            br["commits"].append(app)
        else:               # another stage, or a re-run, of one of the branch's last commits
            back = min(len(br["commits"]), 1 + int(rng.expovariate(0.7)))
            app = br["commits"][-back]
        t.jobs.append((int(now), int(rng.uniform(5, 25) * 60), [br["tool"], app]))


def zipf(t):
    """A registry's popularity: a few thousand images, Zipf-distributed pulls, shared bases."""
    rng = t.rng
    days = t.param("days", 7)
    n_jobs = t.param("jobs", 6000)
    n_images = t.param("images", 3000)
    s = t.param("zipf_exponent", 1.0)
    n_bases = t.param("bases", 40)
    t.capacity = t.param("capacity_bytes", 100 * GB)
    t.base_used = t.param("base_used_bytes", 5 * GB)
    bases = [t.layer(t.lognormal(80 * MB, 0.8, 800 * MB)) for _ in range(n_bases)]
    base_w = [1 / (k + 1) for k in range(n_bases)]
    for k in range(n_images):
        layers = [rng.choices(bases, weights=base_w)[0]]
        layers += [t.layer(t.lognormal(120 * MB, 1.0, 3 * GB)) for _ in range(rng.randint(1, 3))]
        t.image("hub/img%04d:latest" % k, T0 - rng.uniform(0, 400) * DAY, layers)
    order = list(range(n_images))
    rng.shuffle(order)      # popularity independent of size
    weights = [1 / (r + 1) ** s for r in range(n_images)]
    for _ in range(n_jobs):
        start = T0 + rng.uniform(0, days * DAY)
        img = order[rng.choices(range(n_images), weights=weights)[0]]
        t.jobs.append((int(start), int(rng.uniform(2, 30) * 60), [img]))


def hosts(t):
    """A host many projects share: each project busy on its own weekday, quiet otherwise, new versions weekly."""
    rng = t.rng
    weeks = t.param("weeks", 4)
    n_projects = t.param("projects", 30)
    burst_jobs = t.param("burst_jobs_per_project_week", 30)
    background_per_day = t.param("background_jobs_per_project_day", 1)
    n_langs = t.param("language_bases", 6)
    t.capacity = t.param("capacity_bytes", 60 * GB)
    t.base_used = t.param("base_used_bytes", 5 * GB)
    keep_deps = t.param("weekly_keep_deps_probability", 0.7)
    langs = [t.layer(rng.uniform(100, 900) * MB) for _ in range(n_langs)]
    for p in range(n_projects):
        lang = rng.randrange(n_langs)
        n_img = rng.randint(2, 6)
        deps = [t.layer(t.lognormal(300 * MB, 0.7, 2 * GB)) for _ in range(n_img)]
        burst_day = rng.randrange(7)
        for w in range(weeks):
            week0 = T0 + w * 7 * DAY
            imgs = []
            for k in range(n_img):
                if w and rng.random() >= keep_deps:
                    deps[k] = t.layer(t.lognormal(300 * MB, 0.7, 2 * GB))
                imgs.append(t.image("p%02d/svc%d:w%d" % (p, k, w), week0 - 3 * HOUR,
                                    [langs[lang], deps[k], t.layer(t.lognormal(60 * MB, 0.8, 600 * MB))]))
            day0 = week0 + burst_day * DAY + 8 * HOUR
            for _ in range(burst_jobs):
                start = day0 + rng.uniform(0, 8 * HOUR)
                t.jobs.append((int(start), int(rng.uniform(5, 40) * 60), rng.sample(imgs, rng.randint(1, len(imgs)))))
            for d in range(7):
                for _ in range(background_per_day):
                    if rng.random() < 0.5:
                        start = week0 + d * DAY + rng.uniform(0, DAY)
                        t.jobs.append((int(start), int(rng.uniform(5, 20) * 60), [rng.choice(imgs)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=("ci", "zipf", "hosts"))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t = Trace(a.kind, a.seed)
    {"ci": ci, "zipf": zipf, "hosts": hosts}[a.kind](t)
    t.write(sys.stdout)


if __name__ == "__main__":
    main()
