#!/usr/bin/env python3
"""Writes a `docker save`-format archive of N images for `docker load`, so benchmarks can put the
same set of images into an engine again and again without a registry and in seconds (building them
one by one takes about half a second each).

usage: mkimages.py OUT.tar --count N [--prefix REPO] [--unique-kib K] [--files F]
                   [--age-days A[,STEP]] [--label k=v] [--seed S]

Every image has two layers: a base layer with /bin/busybox (static), byte-identical in every image
and every archive, so all images share it as pulled images share a base; and a layer of its own with
one K KiB file of random bytes and F small files (so removing it is real filesystem work). Images are
tagged REPO-0001:latest, REPO-0002:latest... Their configs' "created" is A days ago for the first,
A+STEP for the next, and so on (default 0: now), which is what `docker image prune --filter until`
looks at. Same arguments, same seed: the same image ids.
"""
import hashlib
import io
import json
import os
import random
import sys
import tarfile
import time


def layer_tar(files):
    """An uncompressed layer tarball, reproducible: fixed owners and mtimes, sorted names."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = sorted({os.path.dirname(name) for name, _, _ in files if os.path.dirname(name)})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            t.addfile(info)
        for name, data, mode in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 1700000000
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
    tar.addfile(info, io.BytesIO(data))


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    out = args.pop(0)
    opts = {"--count": "1", "--prefix": "perf/img", "--unique-kib": "1024", "--files": "20", "--age-days": "0",
            "--seed": "1"}
    labels = {"dockerclean.bench": "1"}
    while args:
        k = args.pop(0)
        if not args:
            sys.exit("mkimages: %s needs a value" % k)
        v = args.pop(0)
        if k == "--label":
            key, _, val = v.partition("=")
            labels[key] = val
        elif k in opts:
            opts[k] = v
        else:
            sys.exit("mkimages: unknown option %s" % k)
    count, kib, nfiles = int(opts["--count"]), int(opts["--unique-kib"]), int(opts["--files"])
    age, _, step = opts["--age-days"].partition(",")
    age, step = float(age), float(step or 0)
    rng = random.Random(int(opts["--seed"]))
    now = int(time.time())

    busybox = None
    for b in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(b):
            with open(b, "rb") as f:
                busybox = f.read()
            break
    if busybox is None:
        sys.exit("mkimages: no /bin/busybox (install busybox-static)")
    base = layer_tar([("bin/busybox", busybox, 0o755)])
    base_id = hashlib.sha256(base).hexdigest()

    manifest = []
    tmp = out + ".tmp"
    with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as t:
        add_bytes(t, base_id + "/layer.tar", base)
        for i in range(count):
            files = [("data/blob", rng.randbytes(kib * 1024), 0o644)]
            files += [("data/f%03d" % k, rng.randbytes(64), 0o644) for k in range(nfiles)]
            files.append(("etc/image", b"%s-%04d\n" % (opts["--prefix"].encode(), i + 1), 0o644))
            own = layer_tar(files)
            own_id = hashlib.sha256(own).hexdigest()
            # Whole seconds: the engine's own image list rounds Created down anyway.
            created = rfc3339(now - int((age + i * step) * 86400))
            config = {
                "architecture": "amd64",
                "os": "linux",
                "created": created,
                "config": {"Entrypoint": ["/bin/busybox"], "Cmd": ["sh"], "Labels": labels,
                           "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + base_id, "sha256:" + own_id]},
                "history": [{"created": created, "created_by": "COPY busybox /bin/busybox"},
                            {"created": created, "created_by": "RUN generate %d KiB" % kib}],
            }
            cbytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
            cid = hashlib.sha256(cbytes).hexdigest()
            add_bytes(t, cid + ".json", cbytes)
            add_bytes(t, own_id + "/layer.tar", own)
            manifest.append({"Config": cid + ".json", "RepoTags": ["%s-%04d:latest" % (opts["--prefix"], i + 1)],
                             "Layers": [base_id + "/layer.tar", own_id + "/layer.tar"]})
        add_bytes(t, "manifest.json", json.dumps(manifest).encode())
    os.rename(tmp, out)


if __name__ == "__main__":
    main()
