#!/usr/bin/env python3
"""The recorded trace of the eviction replay: jobs to run on the bench engine, and the conversion of what
the engine then reports (its /events and its images' layers and sizes) into a trace (replay-gen.py's format).

usage: replay-record.py jobs --images N --count C [--seed S] [--zipf A]
           the image numbers (0..N-1) of C jobs, one a line, Zipf-distributed (seeded)
       replay-record.py convert --socket PATH --events FILE --since T0 [--time-scale K] [--fill F]
           the trace, from the engine on PATH and its container events (FILE: `docker events --format
           '{{json .}}'` lines): every container start..die from T0 (unix seconds) on is a job; every image listed, with its layers (RootFS.Layers) sized by the
           image's history, is an image. Times are stretched K times (default 3600: a second recorded is
           an hour replayed, so min_age and the hourly cron mean something); the disk is sized so that
           the distinct bytes of the images the jobs use fill it F times at the high watermark (default
           2.0: half fits).
"""
import argparse
import datetime
import http.client
import json
import random
import socket
import sys

T0 = 1_700_000_000


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.path)


def get(sock, url):
    c = UnixConnection(sock)
    c.request("GET", url)
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200:
        sys.exit("replay-record: GET %s: %d %s" % (url, r.status, body[:200]))
    return body


def parse_time(s):
    s = s.rstrip("Z")
    if "." in s:
        head, frac = s.split(".", 1)
        s = head + "." + frac[:6]
    return datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc).timestamp()


def jobs(a):
    rng = random.Random(a.seed)
    weights = [1 / (k + 1) ** a.zipf for k in range(a.images)]
    order = list(range(a.images))
    rng.shuffle(order)
    for _ in range(a.count):
        print(order[rng.choices(range(a.images), weights=weights)[0]])


def convert(a):
    images = json.loads(get(a.socket, "/images/json"))
    layers = {}             # diff id -> size
    out_images = []         # (tag, created, [diff ids])
    for im in images:
        tags = [t for t in (im.get("RepoTags") or []) if t != "<none>:<none>"]
        if not tags:
            continue
        ins = json.loads(get(a.socket, "/images/%s/json" % im["Id"]))
        diff_ids = ins["RootFS"]["Layers"]
        hist = [h for h in json.loads(get(a.socket, "/images/%s/history" % im["Id"])) if h.get("Size", 0) > 0]
        hist.reverse()      # the API lists the newest first
        if len(hist) != len(diff_ids):
            sys.exit("replay-record: %s: %d layers, %d sized history entries" % (tags[0], len(diff_ids), len(hist)))
        for d, h in zip(diff_ids, hist):
            layers.setdefault(d, h["Size"])
        out_images.append((tags[0], parse_time(ins["Created"]), diff_ids))
    with open(a.events) as f:
        events = [json.loads(line) for line in f if line.strip()]
    started = {}
    runs = []               # (start, end, image tag)
    for e in events:
        t = e.get("timeNano", e.get("time", 0) * 1_000_000_000) / 1e9
        if t < a.since:
            continue
        act, cid = e.get("Action") or e.get("status"), e.get("id") or e["Actor"]["ID"]
        image = e.get("Actor", {}).get("Attributes", {}).get("image")
        if act == "start":
            started[cid] = (t, image)
        elif act == "die" and cid in started:
            s, image = started.pop(cid)
            runs.append((s, t, image))
    layer_no = {d: k for k, d in enumerate(layers)}
    tag_no = {}
    for k, (tag, _, _) in enumerate(out_images):
        tag_no[tag] = k
        tag_no.setdefault(tag.rsplit(":", 1)[0], k)
    used = {l for _, _, image in runs if image in tag_no for l in out_images[tag_no[image]][2]}
    capacity = int(sum(layers[d] for d in used) / a.fill / 0.85)
    print("dockerclean-replay 1")
    print("param kind recorded")
    print("param engine_events %d" % len(events))
    print("param time_scale %d" % a.time_scale)
    print("param fill %s" % a.fill)
    print("disk %d 0" % capacity)
    for d in layers:
        print("layer %d" % layers[d])
    for tag, created, diff_ids in out_images:
        c = T0 + (created - a.since) * a.time_scale
        print("image %s %d %s" % (tag, c, ",".join(str(layer_no[d]) for d in diff_ids)))
    for s, e, image in sorted(runs):
        if image not in tag_no:
            sys.exit("replay-record: a container of an unknown image %s" % image)
        print("job %d %d %d" % (T0 + (s - a.since) * a.time_scale, max(1, (e - s) * a.time_scale), tag_no[image]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("jobs")
    j.add_argument("--images", type=int, required=True)
    j.add_argument("--count", type=int, required=True)
    j.add_argument("--seed", type=int, default=1)
    j.add_argument("--zipf", type=float, default=1.0)
    c = sub.add_parser("convert")
    c.add_argument("--socket", required=True)
    c.add_argument("--since", type=float, required=True)
    c.add_argument("--events", required=True)
    c.add_argument("--time-scale", type=int, default=3600)
    c.add_argument("--fill", type=float, default=2.0)
    a = ap.parse_args()
    jobs(a) if a.cmd == "jobs" else convert(a)


if __name__ == "__main__":
    main()
