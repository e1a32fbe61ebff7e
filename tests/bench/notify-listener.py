#!/usr/bin/env python3
"""Stands in for systemd's notify socket: binds a unix datagram socket and appends every message it
receives to a file, one message per line (newlines inside a message become ' | '), with a monotonic
timestamp. Exits when the parent test dies or after --timeout seconds.

usage: notify-listener.py SOCKET LOGFILE [--timeout SECONDS]
"""
import os
import socket
import sys
import time

def main():
    path, log = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--timeout" else 600.0
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(1.0)
    parent = os.getppid()
    deadline = time.monotonic() + timeout
    with open(log, "a", buffering=1) as out:
        while time.monotonic() < deadline:
            if os.getppid() != parent:
                break
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            msg = data.decode("utf-8", "replace").strip().replace("\n", " | ")
            out.write("%.3f %s\n" % (time.monotonic(), msg))
    os.unlink(path)

if __name__ == "__main__":
    main()
