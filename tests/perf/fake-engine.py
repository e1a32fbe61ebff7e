#!/usr/bin/env python3
"""A fake Docker Engine (API 1.41) on a unix socket, for the scale benchmark: it serves generated
listings of many images and containers, shaped like dockerd 20.10's answers, with as little per-request
cost of its own as Python allows (a hand-rolled HTTP/1.1 keep-alive loop, listings serialized once),
so that what the benchmark times is the client.

usage: fake-engine.py SOCKET --root DIR [--images N] [--containers N] [--volumes N]
                      [--build-cache N] [--seed S] [--stats FILE]

DIR is what /info reports as DockerRootDir (the client measures that filesystem). /events sends a die
event for every stopped container (at its FinishedAt), as a daemon following events would have seen
them, then nothing. Read-only: any
request that would change something is answered 500 and counted, so a dry run that sends one shows
up in the statistics. On SIGTERM/SIGINT it writes request counts by kind to --stats (JSON) and exits.

Data: deterministic for a seed. Images: 85% tagged (1-3 tags), the rest dangling; sizes log-uniform
between 5 MB and 2 GB; created over the last 90 days; four labels each. Containers: 74% exited, 10%
created, 12% running, 2% dead, 1% paused, 1% restarting; created over the last 30 days; each uses one
image; eight labels each (like CI runners set); listings carry the fields 20.10 sends (Ports, Mounts,
HostConfig, NetworkSettings), so parse costs are realistic.
"""
import json
import os
import random
import signal
import socket
import sys
import threading
import time

API = "1.41"
NS = 1_000_000_000


def rfc3339(ns):
    s, frac = divmod(ns, NS)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%09dZ" % frac


def human_duration(sec):
    """go-units' HumanDuration, as Docker words a container's Status."""
    s = int(sec)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return "%d seconds" % s
    m = s // 60
    if m == 1:
        return "About a minute"
    if m < 60:
        return "%d minutes" % m
    h = int(sec / 3600 + 0.5)
    if h == 1:
        return "About an hour"
    if h < 48:
        return "%d hours" % h
    if h < 24 * 7 * 2:
        return "%d days" % (h // 24)
    if h < 24 * 30 * 2:
        return "%d weeks" % (h // 24 // 7)
    if h < 24 * 365 * 2:
        return "%d months" % (h // 24 // 30)
    return "%d years" % (int(sec / 3600) // 24 // 365)


def hexid(rng):
    return "%064x" % rng.getrandbits(256)


class Data:
    def __init__(self, n_images, n_containers, n_volumes, n_cache, seed, root):
        rng = random.Random(seed)
        now = int(time.time())
        self.root = root
        self.images = []
        for i in range(n_images):
            hid = hexid(rng)
            tagged = rng.random() < 0.85
            repo = "registry.example.com/team%d/app%d" % (rng.randrange(40), i)
            tags = ["%s:%s" % (repo, t) for t in ["v%d" % rng.randrange(1000), "latest", "ci-%d" % i][: rng.randint(1, 3)]] if tagged else None
            size = int(5e6 * (400 ** rng.random()))
            self.images.append({
                "Containers": -1,
                "Created": now - rng.randrange(90 * 86400),
                "Id": "sha256:" + hid,
                "Labels": {
                    "org.opencontainers.image.source": "https://git.example.com/team/app%d" % i,
                    "org.opencontainers.image.revision": hexid(rng)[:40],
                    "org.opencontainers.image.created": rfc3339((now - rng.randrange(90 * 86400)) * NS),
                    "maintainer": "team%d@example.com" % (i % 40),
                },
                "ParentId": "",
                "RepoDigests": ["%s@sha256:%s" % (repo, hexid(rng))] if tagged else ["<none>@<none>"],
                "RepoTags": tags if tags else ["<none>:<none>"],
                "SharedSize": -1,
                "Size": size,
                "VirtualSize": size,
            })
        self.image_by_id = {im["Id"]: im for im in self.images}
        self.image_by_ref = {}
        for im in self.images:
            for t in im["RepoTags"]:
                if t != "<none>:<none>":
                    self.image_by_ref[t] = im
        tagged_images = [im for im in self.images if im["RepoTags"][0] != "<none>:<none>"] or self.images

        states = [("exited", 74), ("created", 10), ("running", 12), ("dead", 2), ("paused", 1), ("restarting", 1)]
        pool = [s for s, w in states for _ in range(w)]
        self.containers = []
        self.container_detail = {}
        uses = {}
        for i in range(n_containers):
            cid = hexid(rng)
            im = rng.choice(tagged_images) if tagged_images else None
            state = rng.choice(pool)
            created = now - rng.randrange(30 * 86400)
            name = "runner-%s-project-%d-concurrent-%d-%s-build" % (hexid(rng)[:8], rng.randrange(5000), i % 8, hexid(rng)[:16])
            labels = {
                "com.gitlab.gitlab-runner.job.id": str(rng.randrange(10**9)),
                "com.gitlab.gitlab-runner.job.ref": "main",
                "com.gitlab.gitlab-runner.job.sha": hexid(rng)[:40],
                "com.gitlab.gitlab-runner.managed": "true",
                "com.gitlab.gitlab-runner.pipeline.id": str(rng.randrange(10**8)),
                "com.gitlab.gitlab-runner.project.id": str(rng.randrange(5000)),
                "com.gitlab.gitlab-runner.runner.id": hexid(rng)[:8],
                "com.gitlab.gitlab-runner.type": "build",
            }
            net = hexid(rng)
            image_ref = im["RepoTags"][0] if im else "scratch"
            image_id = im["Id"] if im else ""
            if im:
                uses[image_id] = uses.get(image_id, 0) + 1
            finished = 0
            if state in ("exited", "dead"):
                # At least two hours before the fake started: the Status words frozen now stay true
                # (within their rounding) for the half hour a benchmark takes.
                if created > now - 3 * 3600:
                    created -= 3 * 3600
                finished = (created + rng.randrange(1, 3600)) * NS + rng.randrange(NS)
            status = {"exited": "Exited (0) %s ago" % human_duration(now - finished / NS) if finished else "",
                      "created": "Created", "running": "Up 2 hours",
                      "dead": "Dead", "paused": "Up 2 hours (Paused)", "restarting": "Restarting (1) 5 seconds ago"}[state]
            c = {
                "Id": cid,
                "Names": ["/" + name],
                "Image": image_ref,
                "ImageID": image_id,
                "Command": "sh -c 'if [ -x /usr/local/bin/bash ]; then\n\texec /usr/local/bin/bash \nelif [ -x /usr/bin/bash ]; then\n\texec /usr/bin/bash \nfi'",
                "Created": created,
                "Ports": [],
                "Labels": labels,
                "State": state,
                "Status": status,
                "HostConfig": {"NetworkMode": "default"},
                "NetworkSettings": {"Networks": {"bridge": {
                    "IPAMConfig": None, "Links": None, "Aliases": None, "NetworkID": net,
                    "EndpointID": hexid(rng) if state == "running" else "", "Gateway": "172.17.0.1" if state == "running" else "",
                    "IPAddress": "172.17.0.%d" % (i % 250 + 2) if state == "running" else "", "IPPrefixLen": 16 if state == "running" else 0,
                    "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "", "DriverOpts": None}}},
                "Mounts": [{"Type": "volume", "Name": hexid(rng), "Source": "", "Destination": "/cache", "Driver": "local",
                            "Mode": "", "RW": True, "Propagation": ""}],
            }
            self.containers.append(c)
            started = created * NS + rng.randrange(NS) if state != "created" else 0
            self.container_detail[cid] = (c, started, finished)
        self.container_by_name = {c["Names"][0][1:]: c["Id"] for c in self.containers}

        df_containers = []
        for c in self.containers:
            d = dict(c)
            d["SizeRw"] = rng.randrange(0, 500_000_000) if c["State"] != "created" else 0
            d["SizeRootFs"] = d["SizeRw"] + (self.image_by_id[c["ImageID"]]["Size"] if c["ImageID"] else 0)
            df_containers.append(d)
        df_images = []
        for im in self.images:
            d = dict(im)
            d["Containers"] = uses.get(im["Id"], 0)
            d["SharedSize"] = min(im["Size"], 80_000_000)
            df_images.append(d)
        volumes = []
        for i in range(n_volumes):
            anon = rng.random() < 0.7
            volumes.append({
                "CreatedAt": rfc3339((now - rng.randrange(30 * 86400)) * NS).replace(".000000000Z", "Z"),
                "Driver": "local",
                "Labels": {"com.docker.volume.anonymous": ""} if anon else {"project": "p%d" % i},
                "Mountpoint": "%s/volumes/v%d/_data" % (root, i),
                "Name": hexid(rng) if anon else "cache-%d" % i,
                "Options": None,
                "Scope": "local",
                "UsageData": {"RefCount": rng.randrange(0, 2), "Size": rng.randrange(0, 200_000_000)},
            })
        cache = []
        for i in range(n_cache):
            cache.append({
                "ID": hexid(rng)[:25], "Parent": "", "Type": rng.choice(["regular", "source.local", "exec.cachemount"]),
                "Description": "mount / from exec /bin/sh -c make", "InUse": False, "Shared": rng.random() < 0.2,
                "Size": rng.randrange(0, 300_000_000),
                "CreatedAt": rfc3339((now - rng.randrange(30 * 86400)) * NS),
                "LastUsedAt": rfc3339((now - rng.randrange(30 * 86400)) * NS), "UsageCount": rng.randrange(1, 50),
            })
        self.volumes = volumes
        self.body = {
            "/_ping": b"OK",
            "/version": json.dumps({
                "Platform": {"Name": ""}, "Version": "20.10.24+dfsg1", "ApiVersion": API, "MinAPIVersion": "1.12",
                "GitCommit": "5d6db84", "GoVersion": "go1.19.8", "Os": "linux", "Arch": "amd64",
                "KernelVersion": os.uname().release, "BuildTime": "2026-05-07T21:09:36.000000000+00:00",
                "Components": [{"Name": "Engine", "Version": "20.10.24+dfsg1", "Details": {"ApiVersion": API}}],
            }).encode(),
            "/info": json.dumps({
                "ID": "FAKE", "Containers": n_containers,
                "ContainersRunning": sum(1 for c in self.containers if c["State"] == "running"),
                "ContainersPaused": sum(1 for c in self.containers if c["State"] == "paused"),
                "ContainersStopped": sum(1 for c in self.containers if c["State"] in ("exited", "dead")),
                "Images": n_images, "Driver": "overlay2", "DockerRootDir": root, "ServerVersion": "20.10.24+dfsg1",
                "OperatingSystem": "fake engine for dockerclean benchmarks", "NCPU": os.cpu_count(),
            }).encode(),
            "/containers/json": json.dumps(self.containers).encode(),
            "/images/json": json.dumps(self.images).encode(),
            "/system/df": json.dumps({"LayersSize": sum(im["Size"] for im in self.images) // 2, "Images": df_images,
                                      "Containers": df_containers, "Volumes": volumes, "BuildCache": cache}).encode(),
            "/volumes": json.dumps({"Volumes": volumes, "Warnings": None}).encode(),
            "/networks": json.dumps([
                {"Name": n, "Id": hexid(rng), "Created": rfc3339(now * NS), "Scope": "local", "Driver": d,
                 "EnableIPv6": False, "IPAM": {"Driver": "default", "Options": None, "Config": []}, "Internal": False,
                 "Attachable": False, "Ingress": False, "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
                 "Containers": {}, "Options": {}, "Labels": {}}
                for n, d in (("bridge", "bridge"), ("host", "host"), ("none", "null"))]).encode(),
        }

    def container_inspect(self, key):
        cid = key if key in self.container_detail else self.container_by_name.get(key)
        if cid is None:
            matches = [k for k in self.container_detail if k.startswith(key)] if len(key) >= 4 else []
            cid = matches[0] if len(matches) == 1 else None
        if cid is None:
            return None
        c, started, finished = self.container_detail[cid]
        st = c["State"]
        return json.dumps({
            "Id": cid, "Created": rfc3339(c["Created"] * NS), "Path": "sh", "Args": ["-c", "make test"],
            "State": {"Status": st, "Running": st in ("running", "paused", "restarting"), "Paused": st == "paused",
                      "Restarting": st == "restarting", "OOMKilled": False, "Dead": st == "dead", "Pid": 0,
                      "ExitCode": 0, "Error": "", "StartedAt": rfc3339(started) if started else "0001-01-01T00:00:00Z",
                      "FinishedAt": rfc3339(finished) if finished else "0001-01-01T00:00:00Z"},
            "Image": c["ImageID"], "Name": c["Names"][0], "RestartCount": 0, "Driver": "overlay2", "Platform": "linux",
            "HostConfig": {"NetworkMode": "default", "LogConfig": {"Type": "json-file", "Config": {}},
                           "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "ShmSize": 67108864,
                           "MaskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys"]},
            "GraphDriver": {"Name": "overlay2", "Data": {
                "UpperDir": "%s/overlay2/%s/diff" % (self.root, cid), "WorkDir": "%s/overlay2/%s/work" % (self.root, cid)}},
            "Mounts": c["Mounts"],
            "Config": {"Hostname": cid[:12], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                       "Cmd": ["sh", "-c", "make test"], "Image": c["Image"], "Labels": c["Labels"]},
            "NetworkSettings": c["NetworkSettings"],
        }).encode()

    def die_events(self):
        """In time order, as an engine streams them (a client drops what goes back in time)."""
        out = []
        for cid, (c, _started, finished) in sorted(self.container_detail.items(), key=lambda kv: kv[1][2]):
            if finished:
                ev = {"status": "die", "id": cid, "from": c["Image"], "Type": "container", "Action": "die",
                      "Actor": {"ID": cid, "Attributes": {"exitCode": "0", "image": c["Image"], "name": c["Names"][0][1:]}},
                      "scope": "local", "time": finished // NS, "timeNano": finished}
                out.append((json.dumps(ev, separators=(",", ":")) + "\n").encode())
        return out

    def image_inspect(self, key):
        im = self.image_by_id.get(key) or self.image_by_id.get("sha256:" + key) or self.image_by_ref.get(key)
        if im is None:
            return None
        created = im["Created"] * NS
        return json.dumps({
            "Id": im["Id"], "RepoTags": [t for t in im["RepoTags"] if t != "<none>:<none>"],
            "RepoDigests": [d for d in im["RepoDigests"] if d != "<none>@<none>"], "Parent": "", "Comment": "",
            "Created": rfc3339(created), "DockerVersion": "20.10.24", "Author": "",
            "Config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"],
                       "Labels": im["Labels"]},
            "Architecture": "amd64", "Os": "linux", "Size": im["Size"], "VirtualSize": im["Size"],
            "GraphDriver": {"Name": "overlay2", "Data": {}},
            "RootFS": {"Type": "layers", "Layers": ["sha256:" + "0" * 64]},
            "Metadata": {"LastTagTime": rfc3339(created + 60 * NS) if im["RepoTags"][0] != "<none>:<none>"
                         else "0001-01-01T00:00:00Z"},
        }).encode()


def unquote(s):
    if "%" not in s:
        return s
    from urllib.parse import unquote as uq
    return uq(s)


class Server:
    def __init__(self, data, stats_path):
        self.data = data
        self.stats_path = stats_path
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, kind, n=1):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def route(self, method, target):
        path, _, _query = target.partition("?")
        if path.startswith("/v") and "/" in path[1:]:
            path = path[path.index("/", 1):]
        d = self.data
        if method in ("GET", "HEAD"):
            if path in d.body:
                kind = "GET " + path
                self.count(kind)
                return 200, d.body[path]
            if path.startswith("/containers/") and path.endswith("/json"):
                self.count("GET /containers/{id}/json")
                body = d.container_inspect(unquote(path[len("/containers/"):-len("/json")]))
                return (200, body) if body is not None else (404, b'{"message":"No such container"}')
            if path.startswith("/images/") and path.endswith("/json"):
                self.count("GET /images/{name}/json")
                body = d.image_inspect(unquote(path[len("/images/"):-len("/json")]))
                return (200, body) if body is not None else (404, b'{"message":"No such image"}')
            if path == "/events":
                self.count("GET /events")
                return "events", None
        self.count("%s (refused) %s" % (method, path))
        return 500, b'{"message":"fake engine: read-only"}'

    def handle(self, conn):
        f = conn.makefile("rb", buffering=65536)
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                parts = line.decode("latin-1").split()
                if len(parts) < 2:
                    return
                method, target = parts[0], parts[1]
                length = 0
                while True:
                    h = f.readline()
                    if not h or h in (b"\r\n", b"\n"):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    if k.strip().lower() == "content-length":
                        length = int(v.strip())
                if length:
                    f.read(length)
                status, body = self.route(method, target)
                if status == "events":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nApi-Version: " + API.encode() +
                                 b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    # A die event for every stopped container, at its FinishedAt (what a daemon following
                    # events has seen), paced so that no client queue overflows; then silence until the
                    # client goes.
                    lines = self.data.die_events()
                    time.sleep(1)  # the client's first check is over
                    for i in range(0, len(lines), 250):
                        chunk = b"".join(lines[i:i + 250])
                        conn.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                        time.sleep(0.1)
                    self.count("events sent", len(lines))
                    while conn.recv(4096):
                        pass
                    return
                reason = {200: b"OK", 404: b"Not Found", 500: b"Internal Server Error"}[status]
                ctype = b"text/plain; charset=utf-8" if target.endswith("_ping") else b"application/json"
                head = (b"HTTP/1.1 %d %s\r\nApi-Version: %s\r\nContent-Type: %s\r\nServer: Docker/20.10.24 (fake)\r\n"
                        b"Content-Length: %d\r\n\r\n" % (status, reason, API.encode(), ctype, len(body)))
                conn.sendall(head + body if method != "HEAD" else head)
        except (OSError, ValueError):
            pass
        finally:
            f.close()
            conn.close()

    def write_stats(self):
        if self.stats_path:
            with self.lock:
                counts = dict(self.counts)
            tmp = self.stats_path + ".tmp"
            with open(tmp, "w") as fp:
                json.dump(counts, fp, indent=1, sort_keys=True)
            os.rename(tmp, self.stats_path)


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    sock_path = args.pop(0)
    opts = {"--images": "10000", "--containers": "20000", "--volumes": "500", "--build-cache": "200",
            "--seed": "7", "--stats": "", "--root": ""}
    while args:
        k = args.pop(0)
        if k not in opts or not args:
            sys.exit("fake-engine: bad argument %s\n%s" % (k, __doc__))
        opts[k] = args.pop(0)
    if not opts["--root"]:
        sys.exit("fake-engine: --root DIR is needed")
    t0 = time.monotonic()
    data = Data(int(opts["--images"]), int(opts["--containers"]), int(opts["--volumes"]), int(opts["--build-cache"]),
                int(opts["--seed"]), os.path.abspath(opts["--root"]))
    server = Server(data, opts["--stats"])
    sizes = {k: len(v) for k, v in data.body.items() if len(v) > 100}
    print("fake-engine: %d images, %d containers generated in %.1fs; bodies: %s" % (
        len(data.images), len(data.containers), time.monotonic() - t0,
        ", ".join("%s %.1f MB" % (k, v / 1e6) for k, v in sizes.items())), file=sys.stderr, flush=True)

    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    def stop(_sig, _frame):
        server.write_stats()
        try:
            os.unlink(sock_path)
        except OSError:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGUSR1, lambda *_: server.write_stats())
    srv.bind(sock_path + ".tmp")
    srv.listen(64)
    os.rename(sock_path + ".tmp", sock_path)  # appears only when ready
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=server.handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
