#!/usr/bin/env python3
"""A recording proxy in front of the real bench engine, for tests that must see or steer what
dockercleand sends: it relays HTTP/1.1 over unix sockets byte for byte, appends every request line to a
log, and can run a shell command right before relaying a request whose line matches a pattern (to
provoke, on the real engine, the race a test needs: a container created from an image a moment
before the image's DELETE arrives).

usage: engine-proxy.py LISTEN_SOCKET ENGINE_SOCKET LOGFILE [--before REGEX COMMAND] [--refuse REGEX] [--timeout S]
The hook runs once. --refuse answers every request whose line matches with 409 {"message": ...} itself,
relaying nothing (a benchmark's cleanup that must not remove anything, but plan and keep its history). The proxy exits when its parent dies or after --timeout seconds (default 600).
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time


def relay(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Proxy:
    def __init__(self, engine, log, hook, refuse=None):
        self.engine, self.log, self.hook, self.refuse = engine, log, hook, refuse
        self.lock = threading.Lock()

    def record(self, line):
        with self.lock, open(self.log, "a") as f:
            f.write(line + "\n")

    def maybe_hook(self, line):
        with self.lock:
            if not self.hook:
                return
            pattern, command = self.hook
            if not re.search(pattern, line):
                return
            self.hook = None
        subprocess.run(command, shell=True, check=False)
        self.record("# hook ran before: " + line)

    def client(self, c):
        e = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            e.connect(self.engine)
        except OSError:
            c.close()
            return
        threading.Thread(target=relay, args=(e, c), daemon=True).start()
        buf = b""
        try:
            while True:
                # One request at a time: headers, then Content-Length bytes of body (the client
                # sends no chunked bodies).
                while b"\r\n\r\n" not in buf:
                    data = c.recv(65536)
                    if not data:
                        raise EOFError
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                length = 0
                for h in lines[1:]:
                    k, _, v = h.partition(":")
                    if k.strip().lower() == "content-length":
                        length = int(v.strip())
                while len(buf) < length:
                    data = c.recv(65536)
                    if not data:
                        raise EOFError
                    buf += data
                body, buf = buf[:length], buf[length:]
                self.maybe_hook(lines[0])
                self.record(lines[0])
                if self.refuse and re.search(self.refuse, lines[0]):
                    # The client waits for each answer before its next request: nothing interleaves.
                    msg = b'{"message":"engine-proxy: refused"}'
                    c.sendall(b"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                              % len(msg) + msg)
                    continue
                e.sendall(head + b"\r\n\r\n" + body)
        except (EOFError, OSError):
            pass
        finally:
            try:
                e.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def main():
    args = sys.argv[1:]
    listen, engine, log = args[:3]
    hook, refuse, timeout = None, None, 600.0
    rest = args[3:]
    while rest:
        if rest[0] == "--before":
            hook = (rest[1], rest[2])
            rest = rest[3:]
        elif rest[0] == "--refuse":
            refuse = rest[1]
            rest = rest[2:]
        elif rest[0] == "--timeout":
            timeout = float(rest[1])
            rest = rest[2:]
        else:
            sys.exit("unknown argument " + rest[0])
    try:
        os.unlink(listen)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen)
    srv.listen(64)
    srv.settimeout(1.0)
    proxy = Proxy(engine, log, hook, refuse)
    parent, deadline = os.getppid(), time.monotonic() + timeout
    while time.monotonic() < deadline and os.getppid() == parent:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=proxy.client, args=(c,), daemon=True).start()
    os.unlink(listen)


if __name__ == "__main__":
    main()
