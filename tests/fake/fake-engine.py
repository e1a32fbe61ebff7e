#!/usr/bin/env python3
"""fake-engine.py: a scripted Docker Engine API, for the faults a real engine will not produce on demand.

    fake-engine.py (--socket PATH | --tcp) [--tls CERT KEY CA] [--size N] [--cleanup-dir DIR] --log FILE SCENARIO

Serves HTTP/1.1 (keep-alive) on a unix socket, or on 127.0.0.1 at a free port (TLS with client
certificates when --tls is given). Prints "ready PATH-OR-PORT" on stdout once it listens. Every new
connection is logged to FILE as "CONNECT", every request as "METHOD TARGET", one per line.

It exits by itself when its stdin reaches EOF (the test process closed the pipe, or died), or after
--lifetime seconds (default 300) at the latest; nothing else is needed to stop it. On the way out it
removes --cleanup-dir.

Scenarios (the answer to everything not listed is a small healthy engine speaking API 1.41):
    ok                  the healthy engine
    old-api             /_ping says Api-Version 1.24
    new-api             /_ping says Api-Version 1.52 (the client must cap at 1.51)
    min-raised          /_ping 1.57, /version MinAPIVersion 1.44 (Docker 29.0-29.2): 1.51 is fine
    min-above           /_ping 1.57, /version MinAPIVersion 1.52: no version in common
    no-api-header       /_ping has no Api-Version; /version says 1.43
    error-500-json      /containers/json: 500 {"message": ...}
    error-500-empty     /containers/json: 500 with an empty body
    error-500-text      /containers/json: 500 text/plain
    podman-error        DELETE /images/...: 409 with Podman's {"cause","message","response"};
                        DELETE /containers/...: 500 "container state improper" (Podman's conflict)
    prune-running       POST /containers/prune: 409 "a prune operation is already running"
    not-json            /containers/json: 200 with an HTML body
    wrong-shape         /containers/json an object, /images/json an item with a numeric Id, /info an array
    wrong-types         /containers/json: an item whose Id is a number and whose Names is a string
    deep                /containers/json: arrays nested 200,000 deep
    info-wrong-types    /info: {"DockerRootDir": 42, "Driver": null}
    truncated-length    /containers/json: Content-Length larger than what is sent, then close
    truncated-close     /containers/json: no length, half the JSON, then close
    truncated-chunked   /containers/json: chunked, half the JSON, close without the last chunk
    sized               /images/json: a valid body of exactly --size bytes, with Content-Length
    sized-chunked       the same body, chunked (no length announced)
    hang                /containers/json and /system/df: never answer
    hang-body           /containers/json: headers and a partial body, then nothing
    slow-df             /system/df answers after 1.5 s
    (/system/df, here and in world, answers type=... as 1.42+ does: the parts not asked for are null)
    gone                /containers/json: close the connection without answering
    podman-df           /system/df as Podman sends it (negative sizes, an empty BuildCache)
    (every podman-* scenario's /_ping carries Libpod-Api-Version, as Podman's does)
    events-drop         /events: see events_drop() below
    events-drop-empty   /events: the first stream ends abruptly before any event; the second sends one
    events-idle         /events: headers, then silence
    events-long-line    /events: one line longer than 1 MiB
    events-garbage      /events: a line that is not JSON
    events-500          /events: 500 {"message": ...}
    world               a small engine with state, from --world FILE (see World below): listings,
                        inspects, deletes, tags and /system/df follow what was removed, and every
                        object holds its "bytes" as a file in --data DIR (its DockerRootDir), so a
                        removal frees real space on whatever filesystem DIR is on
"""

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import sys
import threading
import time
import urllib.parse

API = "1.41"
BASE_NS = 1700000000 * 10**9 + 1234  # nanoseconds with leading zeros in the fraction


def event(n):
    t = BASE_NS + n
    return {
        "status": "create", "id": "c%d" % n, "from": "img",
        "Type": "container", "Action": "create",
        "Actor": {"ID": "c%d" % n, "Attributes": {"name": "n%d" % n, "image": "img"}},
        "scope": "local", "time": t // 10**9, "timeNano": t,
    }


def event_line(n):
    return (json.dumps(event(n), separators=(",", ":")) + "\n").encode()


CONTAINERS = [{
    "Id": "0123456789ab" * 5 + "0123", "Names": ["/fake1"], "Image": "img:1",
    "ImageID": "sha256:" + "ab" * 32, "Command": "sh", "Created": 1700000000,
    "State": "exited", "Status": "Exited (0)", "Labels": {"a": "b"},
}]
IMAGES = [{
    "Id": "sha256:" + "ab" * 32, "ParentId": "", "RepoTags": ["img:1"], "RepoDigests": None,
    "Created": 1700000000, "Size": 1000, "SharedSize": -1, "VirtualSize": 1000,
    "Labels": None, "Containers": -1,
}]
INFO = {"DockerRootDir": "/fake/docker", "Driver": "overlay2", "ServerVersion": "99.0.0-fake",
        "Containers": 1, "ContainersRunning": 0, "ContainersPaused": 0, "ContainersStopped": 1, "Images": 1}
PODMAN_DF = {
    "LayersSize": -1,
    # Podman 4.3: bare hex ids, "<none>" for untagged, and a bare tag next to (or instead of) repo:tag.
    "Images": [{"Id": "cd" * 32, "Size": -1, "SharedSize": -1, "Containers": 0, "Created": 1700000000,
                "RepoTags": ["localhost/x:1", "latest"]},
               {"Id": "ce" * 32, "Size": 5, "SharedSize": 0, "Containers": 1, "Created": 1700000000,
                "RepoTags": ["<none>"]}],
    "Containers": [{"Id": "ef" * 32, "ImageID": "cd" * 32, "State": "exited", "SizeRw": -1,
                    "SizeRootFs": -1}],
    "Volumes": [{"Name": "01" * 32, "UsageData": {"Size": -1, "RefCount": -2}, "Labels": {},
                 "CreatedAt": "2024-01-02T03:04:05.5+01:00"}],
    "BuildCache": [], "BuilderSize": 0,
}


def df_parts(query, df):
    """/system/df as 1.42+ answers type=...: the parts not asked for are null (not computed)."""
    asked = urllib.parse.parse_qs(query).get("type")
    if not asked:
        return df
    parts = {"container": "Containers", "image": "Images", "volume": "Volumes", "build-cache": "BuildCache"}
    out = dict(df)
    for t, key in parts.items():
        if t not in asked:
            out[key] = None
    if "image" not in asked:
        out["LayersSize"] = 0
    return out


def human_duration(sec):
    """go-units' HumanDuration, as Docker words a container's Status."""
    s = int(sec)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return "%d seconds" % s
    if s // 60 == 1:
        return "About a minute"
    if s // 60 < 60:
        return "%d minutes" % (s // 60)
    h = int(sec / 3600 + 0.5)
    if h == 1:
        return "About an hour"
    if h < 48:
        return "%d hours" % h
    if h < 24 * 14:
        return "%d days" % (h // 24)
    if h < 24 * 60:
        return "%d weeks" % (h // 24 // 7)
    if h < 24 * 730:
        return "%d months" % (h // 24 // 30)
    return "%d years" % (int(sec / 3600) // 24 // 365)


def rfc3339(unix):
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))
    except (OverflowError, ValueError, OSError):   # past what Python's calendar holds (Go's goes further)
        return "9999-12-31T23:59:59Z"


class World:
    """The "world" scenario's engine state, read from a JSON file:
        {"containers": [{"Id", "Name", "ImageID", "State", "Created" (unix s), "FinishedAt" (unix s),
                         "bytes"}],
         "images": [{"Id", "RepoTags", "Created" (unix s), "bytes", "ParentId", "Size" and "SharedSize" as
                     listed (default: bytes and 0), "intermediate": true = listed with all=1 only,
                     "refuse": true = a DELETE
                     that would remove it (not merely untag it) answers 409, "refuse": "500" answers 500}],
         "build_cache": [records as /system/df lists them],
         "events": [objects /events sends, in this order, on every connection, then nothing],
         "fail": {"ENDPOINT": [N, ...]}}   the Nth request (from 1) to ENDPOINT, e.g. "/containers/json",
                                          answers 500 {"message": "fake: ... failed"}
    Each object's bytes are a file DATA/<kind>-<id> written at start and removed with the object."""

    def __init__(self, path, data, image_data=None):
        with open(path) as f:
            w = json.load(f)
        self.data = data
        self.image_data = image_data or data
        self.containers = {c["Id"]: c for c in w.get("containers", [])}
        self.images = {i["Id"]: i for i in w.get("images", [])}
        self.fail = w.get("fail", {})
        self.build_cache = w.get("build_cache", [])
        self.events = w.get("events", [])
        self.calls = {}
        os.makedirs(data, exist_ok=True)
        os.makedirs(self.image_data, exist_ok=True)
        for kind, objs in (("container", self.containers), ("image", self.images)):
            for o in objs.values():
                with open(self.file(kind, o["Id"]), "wb") as f:
                    f.write(b"\0" * o.get("bytes", 0))
                    f.flush()
                    os.fsync(f.fileno())

    def file(self, kind, oid):
        where = self.image_data if kind == "image" else self.data
        return os.path.join(where, "%s-%s" % (kind, oid.replace("sha256:", "")))

    def drop(self, kind, oid):
        try:
            os.unlink(self.file(kind, oid))
        except FileNotFoundError:
            pass

    def failing(self, endpoint):
        n = self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
        return n in self.fail.get(endpoint, [])

    def users(self, image_id):
        return [c for c in self.containers.values() if c.get("ImageID") == image_id]

    def find_image(self, name):
        if name in self.images:
            return self.images[name], None
        for i in self.images.values():
            if name in i.get("RepoTags", []):
                return i, name
        return None, None

    def container_summary(self, c):
        status = {"exited": "Exited (0) %s ago" % human_duration(time.time() - c.get("FinishedAt", c["Created"])),
                  "running": "Up 1 hour", "created": "Created"}.get(c["State"], "")
        return {"Id": c["Id"], "Names": ["/" + c["Name"]], "Image": c.get("Image", c.get("ImageID", "")),
                "ImageID": c.get("ImageID", ""), "State": c["State"], "Status": status, "Created": c["Created"],
                "Labels": {}, "Mounts": [], "NetworkSettings": {"Networks": {}}}

    def image_summary(self, i):
        return {"Id": i["Id"], "ParentId": i.get("ParentId", ""), "RepoTags": i.get("RepoTags", []),
                "RepoDigests": [], "Created": i["Created"], "Size": i.get("Size", i.get("bytes", 0)),
                "SharedSize": i.get("SharedSize", 0), "Labels": {}, "Containers": len(self.users(i["Id"]))}

    def handle(self, server, conn, method, endpoint, query):
        """Answers what the world knows; None for what the default engine should answer."""
        if self.failing(endpoint):
            server.send_json(conn, 500, {"message": "fake: %s failed" % endpoint})
            return True
        q = urllib.parse.parse_qs(query)
        if endpoint == "/info":
            server.send_json(conn, 200, dict(INFO, DockerRootDir=self.data, Containers=len(self.containers),
                                             Images=len(self.images)))
            return True
        if method == "GET" and endpoint == "/containers/json":
            server.send_json(conn, 200, [self.container_summary(c) for c in self.containers.values()])
            return True
        if method == "GET" and endpoint == "/images/json":
            every = q.get("all", ["0"])[0] in ("1", "true")
            server.send_json(conn, 200, [self.image_summary(i) for i in self.images.values()
                                         if every or not i.get("intermediate")])
            return True
        if method == "GET" and endpoint == "/system/df":
            server.send_json(conn, 200, df_parts(query, {
                "LayersSize": sum(i.get("bytes", 0) for i in self.images.values()),
                "Images": [self.image_summary(i) for i in self.images.values() if not i.get("intermediate")],
                "Containers": [{"Id": c["Id"], "ImageID": c.get("ImageID", ""), "State": c["State"],
                                "SizeRw": c.get("bytes", 0), "SizeRootFs": 0} for c in self.containers.values()],
                "Volumes": [], "BuildCache": self.build_cache}))
            return True
        m = re.match(r"^/containers/([^/]+)(/json)?$", endpoint)
        if m:
            c = self.containers.get(m.group(1))
            if not c:
                server.send_json(conn, 404, {"message": "No such container: " + m.group(1)})
            elif method == "GET" and m.group(2):
                server.send_json(conn, 200, {
                    "Id": c["Id"], "Name": "/" + c["Name"], "Image": c.get("ImageID", ""),
                    "Created": rfc3339(c["Created"]), "Config": {"Labels": {}},
                    "State": {"Status": c["State"], "StartedAt": rfc3339(c["Created"]),
                              "FinishedAt": rfc3339(c.get("FinishedAt", c["Created"]))}})
            elif method == "DELETE" and not m.group(2):
                if c["State"] in ("running", "paused", "restarting"):
                    server.send_json(conn, 409, {"message": "cannot remove a running container"})
                else:
                    del self.containers[c["Id"]]
                    self.drop("container", c["Id"])
                    server.send(conn, 204)
            else:
                return None
            return True
        m = re.match(r"^/images/(.+?)(/json|/tag)?$", endpoint)
        if m:
            name = urllib.parse.unquote(m.group(1))
            i, tag = self.find_image(name)
            if not i:
                server.send_json(conn, 404, {"message": "No such image: " + name})
            elif method == "GET" and m.group(2) == "/json":
                server.send_json(conn, 200, {"Id": i["Id"], "RepoTags": i.get("RepoTags", []), "RepoDigests": [],
                                             "Created": rfc3339(i["Created"]), "Size": i.get("bytes", 0),
                                             "Parent": i.get("ParentId", ""), "Config": {"Labels": {}},
                                             "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"}})
            elif method == "POST" and m.group(2) == "/tag":
                ref = "%s:%s" % (q["repo"][0], q.get("tag", ["latest"])[0])
                if ref not in i.setdefault("RepoTags", []):
                    i["RepoTags"].append(ref)
                server.send(conn, 201)
            elif method == "DELETE" and not m.group(2):
                self.delete_image(server, conn, i, tag)
            else:
                return None
            return True
        return None

    def delete_image(self, server, conn, i, tag):
        tags = i.setdefault("RepoTags", [])
        users = self.users(i["Id"])
        if tag and len(tags) > 1:
            tags.remove(tag)
            server.send_json(conn, 200, [{"Untagged": tag}])
        elif i.get("refuse") == "500":
            server.send_json(conn, 500, {"message": "fake: the storage driver failed to delete %s" % i["Id"][7:19]})
        elif i.get("refuse"):
            server.send_json(conn, 409, {"message": "conflict: unable to delete %s (fake refusal)" % i["Id"][7:19]})
        elif users:
            server.send_json(conn, 409, {"message": "conflict: unable to delete %s (must be forced) - image is "
                                                    "being used by stopped container %s" % (i["Id"][7:19],
                                                                                          users[0]["Id"][:12])})
        elif not tag and len(tags) > 1:
            server.send_json(conn, 409, {"message": "conflict: unable to delete %s (must be forced) - image is "
                                                    "referenced in multiple repositories" % i["Id"][7:19]})
        else:
            del self.images[i["Id"]]
            self.drop("image", i["Id"])
            server.send_json(conn, 200, [{"Untagged": t} for t in tags] + [{"Deleted": i["Id"]}])


class Server:
    def __init__(self, args):
        self.args = args
        self.scenario = args.scenario
        self.lock = threading.Lock()
        self.log = open(args.log, "a", buffering=1)
        self.events_connections = 0
        self.world = World(args.world, args.data, args.image_data) if args.scenario == "world" else None

    def note(self, line):
        with self.lock:
            self.log.write(line + "\n")

    # ---- low-level writers ----

    @staticmethod
    def send(conn, status, body=b"", ctype="application/json", headers=(), length=True):
        reason = {200: "OK", 201: "Created", 204: "No Content", 404: "Not Found", 409: "Conflict",
                  500: "Internal Server Error"}.get(status, "Status")
        head = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: " + ctype, "Server: fake-engine",
                "Api-Version: " + API]
        head += list(headers)
        if length:
            head.append("Content-Length: %d" % len(body))
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def send_json(self, conn, status, obj, headers=()):
        self.send(conn, status, json.dumps(obj).encode(), headers=headers)

    @staticmethod
    def chunk(conn, data):
        conn.sendall(b"%x\r\n" % len(data) + data + b"\r\n")

    @staticmethod
    def chunked_head(conn, status=200):
        conn.sendall(("HTTP/1.1 %d OK\r\nContent-Type: application/json\r\nApi-Version: %s\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n" % (status, API)).encode())

    @staticmethod
    def hang():
        while True:
            time.sleep(3600)

    # ---- the engine ----

    def handle(self, conn, method, target):
        """Answers one request; False closes the connection."""
        path, _, query = target.partition("?")
        m = re.match(r"^/v(\d+\.\d+)(/.*)$", path)
        endpoint = m.group(2) if m else path
        s = self.scenario

        if endpoint == "/_ping":
            version = {"old-api": "1.24", "new-api": "1.52", "min-above": "1.57", "min-raised": "1.57"}.get(s, API)
            headers = [] if s == "no-api-header" else ["Api-Version: " + version]
            if s.startswith("podman-"):
                headers.append("Libpod-Api-Version: 4.3.1")
            body = b"OK"
            conn.sendall(("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n%sContent-Length: %d\r\n\r\n"
                          % ("".join(h + "\r\n" for h in headers), len(body))).encode() + body)
            return True
        if endpoint == "/version":
            self.send_json(conn, 200, {"Version": "99.0.0-fake",
                                       "ApiVersion": {"no-api-header": "1.43", "min-above": "1.57",
                                                      "min-raised": "1.57"}.get(s, API),
                                       "MinAPIVersion": {"min-above": "1.52", "min-raised": "1.44"}.get(s, "1.12"),
                                       "Os": "linux", "Arch": "amd64",
                                       "Components": [{"Name": "Engine", "Version": "99.0.0-fake"}]})
            return True
        if endpoint == "/events":
            return self.events(conn, query)
        if self.world:
            with self.lock:
                answered = self.world.handle(self, conn, method, endpoint, query)
            if answered is not None:
                return answered

        if endpoint == "/containers/json":
            if s == "error-500-json":
                self.send_json(conn, 500, {"message": "fake: storage driver on fire"})
                return True
            if s == "error-500-empty":
                self.send(conn, 500, b"")
                return True
            if s == "error-500-text":
                self.send(conn, 500, b"fake: plain text failure\n\tsecond line\n", ctype="text/plain")
                return True
            if s == "not-json":
                self.send(conn, 200, b"<html><body>502 Bad Gateway</body></html>")
                return True
            if s == "wrong-shape":
                self.send_json(conn, 200, {"Id": "x"})
                return True
            if s == "wrong-types":
                self.send_json(conn, 200, [dict(CONTAINERS[0], Id=5, Names="/x")])
                return True
            if s == "deep":
                self.send(conn, 200, b"[" * 200000 + b"]" * 200000)
                return True
            body = json.dumps(CONTAINERS).encode()
            if s == "truncated-length":
                conn.sendall(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                              % (len(body) + 500)).encode() + body)
                return False
            if s == "truncated-close":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                             + body[: len(body) // 2])
                return False
            if s == "truncated-chunked":
                self.chunked_head(conn)
                self.chunk(conn, body[: len(body) // 2])
                return False
            if s == "hang":
                self.hang()
            if s == "hang-body":
                conn.sendall(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                              % len(body)).encode() + body[:10])
                self.hang()
            if s == "gone":
                return False
            self.send_json(conn, 200, CONTAINERS)
            return True

        if endpoint == "/images/json":
            if s == "wrong-shape":
                self.send_json(conn, 200, [{"Id": 5}])
                return True
            if s in ("sized", "sized-chunked"):
                body = self.sized_body(self.args.size)
                if s == "sized":
                    self.send(conn, 200, body)
                    return True
                self.chunked_head(conn)
                for i in range(0, len(body), 65536):
                    try:
                        self.chunk(conn, body[i:i + 65536])
                    except OSError:
                        return False  # the client gave up at its cap
                conn.sendall(b"0\r\n\r\n")
                return True
            self.send_json(conn, 200, IMAGES)
            return True

        if endpoint == "/info":
            if s == "wrong-shape":
                self.send_json(conn, 200, [])
                return True
            if s == "info-wrong-types":
                self.send_json(conn, 200, {"DockerRootDir": 42, "Driver": None})
                return True
            info = dict(INFO, DockerRootDir=self.args.root) if self.args.root else dict(INFO)
            if self.args.containerd_store:
                info["DriverStatus"] = [["driver-type", "io.containerd.snapshotter.v1"]]
            self.send_json(conn, 200, info)
            return True

        if endpoint == "/system/df":
            if s == "hang":
                self.hang()
            if s == "slow-df":
                time.sleep(1.5)
            if s == "podman-df":
                self.send_json(conn, 200, PODMAN_DF)
                return True
            self.send_json(conn, 200, df_parts(query, {
                "LayersSize": 1, "Images": [{"Id": IMAGES[0]["Id"], "Size": 1000, "SharedSize": 0, "Containers": 1,
                                             "Created": 1700000000, "RepoTags": ["img:1"]}],
                "Containers": [{"Id": CONTAINERS[0]["Id"], "ImageID": IMAGES[0]["Id"], "State": "exited",
                                "SizeRw": 10, "SizeRootFs": 1010}],
                "Volumes": [], "BuildCache": []}))
            return True

        if method == "POST" and endpoint == "/containers/prune":
            if s == "prune-running":
                self.send_json(conn, 409, {"message": "a prune operation is already running"})
                return True
            self.send_json(conn, 200, {"ContainersDeleted": None, "SpaceReclaimed": 0})
            return True

        if method == "DELETE" and endpoint.startswith("/containers/") and s == "podman-error":
            self.send_json(conn, 500, {"cause": "container state improper",
                                       "message": "cannot remove container c1 as it is running - running or paused "
                                                  "containers cannot be removed without force: container state improper",
                                       "response": 500})
            return True

        if method == "DELETE" and endpoint.startswith("/images/"):
            if s == "podman-error":
                self.send_json(conn, 409, {"cause": "image is in use by a container",
                                           "message": "fake: image used by 1234: image is in use by a container",
                                           "response": 409})
                return True
            self.send_json(conn, 200, [{"Untagged": endpoint[len("/images/"):]}])
            return True

        self.send_json(conn, 404, {"message": "page not found"})
        return True

    @staticmethod
    def sized_body(size):
        """A valid /images/json body of exactly size bytes: the image list, padded with spaces."""
        body = json.dumps(IMAGES).encode()
        if size < len(body):
            raise SystemExit("--size must be at least %d" % len(body))
        return body + b" " * (size - len(body))

    def events(self, conn, query):
        s = self.scenario
        if s == "events-500":
            self.send_json(conn, 500, {"message": "fake: cannot stream events"})
            return True
        with self.lock:
            self.events_connections += 1
            n = self.events_connections
        self.chunked_head(conn)
        if s == "events-idle":
            self.hang()
        if s == "events-long-line":
            self.chunk(conn, b'{"Type":"container","pad":"' + b"x" * (1024 * 1024 + 10) + b'"}\n')
            self.hang()
        if s == "events-garbage":
            self.chunk(conn, event_line(1) + b"this is not json\n")
            self.hang()
        if s == "events-drop":
            return self.events_drop(conn, n)
        if self.world and self.world.events:
            # The world's events, in the order given, then silence.
            self.chunk(conn, b"".join((json.dumps(e, separators=(",", ":")) + "\n").encode() for e in self.world.events))
            self.note("EVENTS-SENT %d" % len(self.world.events))
            self.hang()
        if s == "events-drop-empty":
            # Subscribed, then gone before any event; the reconnect must not start "from now".
            if n == 1:
                time.sleep(0.1)
                return False
            self.chunk(conn, event_line(1))
            self.hang()
        self.hang()

    def events_drop(self, conn, n):
        """Connection 1: event 1 split over two writes, event 2, then an abrupt close (no last chunk).
        Connection 2: a replay of event 2 (the engine's `since` is inclusive), event 3, a clean end.
        Connection 3: event 4, then silence. The client should see 1, 2, 3, 4 once each and
        reconnect with since = the timeNano of the last event it saw."""
        if n == 1:
            line = event_line(1)
            self.chunk(conn, line[:17])
            time.sleep(0.2)
            self.chunk(conn, line[17:] + event_line(2))
            time.sleep(0.1)
            return False
        if n == 2:
            self.chunk(conn, event_line(2) + event_line(3))
            conn.sendall(b"0\r\n\r\n")
            return False
        self.chunk(conn, event_line(4))
        self.hang()

    # ---- plumbing ----

    def connection(self, conn):
        self.note("CONNECT")
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                length = 0
                for h in lines[1:]:
                    k, _, v = h.partition(":")
                    if k.strip().lower() == "content-length":
                        length = int(v.strip())
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                buf = buf[length:]
                self.note("%s %s" % (method, target))
                if not self.handle(conn, method, target):
                    return
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass


def main():
    p = argparse.ArgumentParser()
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket")
    where.add_argument("--tcp", action="store_true")
    p.add_argument("--tls", nargs=3, metavar=("CERT", "KEY", "CA"))
    p.add_argument("--log", required=True)
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--lifetime", type=float, default=300)
    p.add_argument("--cleanup-dir", help="a directory to remove on exit (the test's private one)")
    p.add_argument("--root", help="the DockerRootDir /info names (default /fake/docker)")
    p.add_argument("--containerd-store", action="store_true", help="/info names the containerd image store")
    p.add_argument("--world", help="the world scenario's objects (JSON)")
    p.add_argument("--data", help="the world scenario's DockerRootDir: one file per object")
    p.add_argument("--image-data", help="where the world's images keep their files instead (containerd's root)")
    p.add_argument("scenario")
    args = p.parse_args()
    server = Server(args)

    if args.socket:
        try:
            os.unlink(args.socket)
        except FileNotFoundError:
            pass
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(args.socket)
        where_ = args.socket
    else:
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", 0))
        where_ = str(lsock.getsockname()[1])
    lsock.listen(16)
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        ctx.verify_mode = ssl.CERT_REQUIRED  # like dockerd --tlsverify: client certificates only
        ctx.load_verify_locations(args.tls[2])

    # Stop with the test: EOF on stdin, or the lifetime, whichever comes first. The test's private
    # directory goes too, also when an assertion killed the test before it could clean up.
    def leave(code):
        if args.cleanup_dir:
            shutil.rmtree(args.cleanup_dir, ignore_errors=True)
        os._exit(code)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            leave(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    threading.Timer(args.lifetime, lambda: leave(3)).start()
    print("ready " + where_, flush=True)

    while True:
        conn, _ = lsock.accept()
        if ctx:
            try:
                conn.settimeout(10)
                conn = ctx.wrap_socket(conn, server_side=True)
                conn.settimeout(None)
            except (OSError, ssl.SSLError) as e:
                server.note("TLS-REFUSED " + type(e).__name__)
                conn.close()
                continue
        threading.Thread(target=server.connection, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
