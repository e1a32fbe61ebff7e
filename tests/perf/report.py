#!/usr/bin/env python3
"""Prints the benchmark figures (KEY=VALUE lines written by bench-engine.sh and bench-scale.sh) as a
summary, each beside its target (issue 7's; issue 11's for the scale case, also gathered in a table of
its own at the end), and says by how much a missed target is missed.

usage: report.py RESULTS [--markdown]
"""
import sys

MIB = 1024.0


def load(path):
    r = {}
    with open(path) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                r[k] = v
    return r


def num(r, k):
    try:
        v = float(r[k])
        return None if v != v else v
    except (KeyError, ValueError):
        return None


def verdict(value, target, lower_is_better=True):
    if value is None:
        return "not measured"
    ok = value <= target if lower_is_better else value >= target
    if ok:
        return "met"
    if lower_is_better:
        return "MISSED (%.2fx the target)" % (value / target) if target else "MISSED"
    return "MISSED (%.0f%% of the target)" % (100 * value / target)


def inspect_estimate(r, kinds):
    """What the fake engine's inspect counts would cost at the real engine's measured per-inspect time."""
    total, parts = 0.0, []
    for item in kinds.split("; "):
        n, _, kind = item.partition(" ")
        ms = None
        if kind == "GET /containers/{id}/json":
            ms = num(r, "engine.container_inspect_ms")
        elif kind == "GET /images/{name}/json":
            ms = num(r, "engine.image_inspect_ms")
        if ms is not None and n.isdigit():
            total += int(n) * ms / 1000
            parts.append("%s x %.2f ms" % (n, ms))
    return "%.1f s (%s)" % (total, " + ".join(parts)) if parts else ""


def fmt(v, unit="", digits=2):
    return "n/a" if v is None else ("%.*f%s" % (digits, v, unit))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    r = load(sys.argv[1])
    md = "--markdown" in sys.argv
    out = []

    def head(t):
        out.append("" if not out else "")
        out.append(("### " if md else "") + t)

    def row(what, value, target="", result=""):
        if md:
            out.append("| %s | %s | %s | %s |" % (what, value, target, result))
        else:
            line = "  %-46s %-26s" % (what, value)
            if target:
                line += " target %-12s %s" % (target, result)
            out.append(line.rstrip())

    def table():
        if md:
            out.append("| figure | measured | target | |")
            out.append("| --- | --- | --- | --- |")

    runs = r.get("reaction.runs") or "?"
    out.append("dockercleand benchmarks: medians of the runs; ratios are taken run by run (both sides back to back"
               " on the same engine state), then their median.")
    out.append("machine: %s, %s MiB RAM, kernel %s; engine %s on %s; load average %s at the start, %s at the end" % (
        r.get("machine.cpu", "?"), r.get("machine.mem_mib", "?"), r.get("machine.kernel", "?"),
        r.get("machine.engine", "?"), r.get("machine.fs", "?"), r.get("machine.loadavg_start", "?"),
        r.get("machine.loadavg_end", "?")))

    out.append("binary: %s (tree %s), %s" % (r.get("binary", "?"), r.get("commit", "?"), r.get("date", "?")))
    if r.get("alt_binary"):
        out.append("alternative binary, measured beside it: %s" % r["alt_binary"])

    if "idle.cpu_s" in r:
        head("1. Idle cost: interval 1 s, below the watermark, %s s, %s daemons side by side (%s)" % (
            r.get("idle.seconds"), r.get("idle.daemons"), r.get("idle.state", "")))
        table()
        rss = num(r, "idle.rss_peak_kib")
        row("CPU, start-up included", fmt(num(r, "idle.cpu_s"), " s", 3))
        row("CPU after start-up", fmt(num(r, "idle.cpu_after_startup_s"), " s", 3))
        row("peak RSS (VmHWM)", fmt(rss and rss / MIB, " MiB"), "<= 4 MiB", verdict(rss and rss / MIB, 4))
        row("  of which anonymous / file-backed", "%s / %s" % (fmt(num(r, "idle.rss_anon_kib") and num(r, "idle.rss_anon_kib") / MIB, " MiB"),
                                                               fmt(num(r, "idle.rss_file_kib") and num(r, "idle.rss_file_kib") / MIB, " MiB")))
        row("  proportional (Pss)", fmt(num(r, "idle.pss_kib") and num(r, "idle.pss_kib") / MIB, " MiB"))
        req = num(r, "idle.requests_after_startup_max")
        row("engine requests after start-up (max)", fmt(req, "", 0), "0", verdict(req, 0))
        row("start-up requests", r.get("idle.startup_requests", "?"))
        dfw, dfc, dfe = num(r, "idle.df_wall_s"), num(r, "idle.df_client_cpu_s"), num(r, "idle.df_engine_cpu_s")
        row("one `docker system df`: wall", fmt(dfw, " s", 3))
        row("  CPU: CLI / engine", "%s / %s" % (fmt(dfc, " s", 3), fmt(dfe, " s", 3)))
        if dfc is not None and dfe is not None and num(r, "idle.seconds"):
            per = (dfc + dfe) * num(r, "idle.seconds")
            row("a 1 s df poller over the same window, CPU", fmt(per, " s", 2))
        row("one inspect on this engine: container / image", "%s / %s" % (
            fmt(num(r, "engine.container_inspect_ms"), " ms", 3), fmt(num(r, "engine.image_inspect_ms"), " ms", 3)))

    if "reaction.to_first_removal_s" in r:
        head("2. Reaction: interval 60 s; a `docker load` of 150 MiB crosses the high watermark (%s runs)" % runs)
        table()
        v = num(r, "reaction.to_first_removal_s")
        row("load returned -> cleanup started", fmt(num(r, "reaction.to_cleanup_s"), " s"))
        row("load returned -> first removal", fmt(v, " s"), "<= 2 s", verdict(v, 2))
        row("  slowest run", fmt(num(r, "reaction.to_first_removal_max_s"), " s"))

    ns = sorted({k.split(".")[1] for k in r if k.startswith("reclaim.n") and k.endswith(".wall_s")}, key=lambda n: int(n[1:]))
    if ns:
        head("3. Reclaim speed: the same N unused images removed from the same engine state")
        table()
        for n in ns:
            p = "reclaim.%s." % n
            whos = [("cli", "`docker image prune -af`"), ("warm", "dockercleand --once, usage history known"),
                    ("cold", "dockercleand --once, first start")]
            if p + "alt-warm.wall_s" in r:
                whos += [("alt-warm", "alternative binary, history known"), ("alt-cold", "alternative binary, first start")]
            for who, label in whos:
                row("N=%s %s" % (n[1:], label), "%s wall, %s CPU, engine %s" % (
                    fmt(num(r, p + who + ".wall_s"), " s"), fmt(num(r, p + who + ".cpu_s"), " s"),
                    fmt(num(r, p + who + ".engine_cpu_s"), " s")))
            for who, _ in whos[1:]:
                v = num(r, p + who + ".ratio")
                row("N=%s ratio %s / CLI" % (n[1:], who), fmt(v, "x"), "<= 1.25x", verdict(v, 1.25))
            left = [r.get(p + w + ".images_left_max", "?") for w in ("cli", "warm", "cold")]
            row("N=%s images left (CLI, warm, cold)" % n[1:], ", ".join(left))
            if p + "cold.requests" in r:
                row("N=%s requests of a first-start run" % n[1:], r[p + "cold.requests"] + ": " + r.get(p + "cold.request_kinds", ""))

    if "cache.dockercleand.kept_percent" in r:
        head("4. Cache kept: reaching the low watermark needs 30%% of the unused-image bytes (%.0f MiB of them)" % (
            (num(r, "cache.unused_bytes_before") or 0) / MIB / MIB))
        table()
        for who, label in (("dockercleand", "dockercleand --once"), ("system-prune", "`docker system prune -af`"),
                           ("image-prune-until", "`docker image prune -af --filter until=168h`")):
            v = num(r, "cache.%s.kept_percent" % who)
            runs_below = r.get("cache.%s.below_low_runs" % who, "?")
            if who == "dockercleand":
                row(label + ": unused-image bytes kept", fmt(v, "%", 1), ">= 60%", verdict(v, 60, False))
            else:
                row(label + ": unused-image bytes kept", fmt(v, "%", 1))
            row("  runs that ended below the low watermark", runs_below)

    cases = [c for c in ("cold", "alt-cold", "warm", "alt-warm", "listings", "alt-listings") if "scale.%s.wall_s" % c in r]
    if cases:
        head("5. Scale: --once --dry-run against a fake engine with %s images and %s containers" % (
            r.get("scale.images"), r.get("scale.containers")))
        table()
        labels = {"cold": "first start (no usage history)", "warm": "usage history known",
                  "listings": "history known, no FinishedAt inspects"}
        for c in list(labels):
            labels["alt-" + c] = "alternative binary, " + labels[c]
        # Issue 11's targets: first start <= 1.0 s, history known <= 0.7 s, both <= 96 MiB; the listings-only
        # case has none of its own (it shows what listing, parsing and planning cost by themselves).
        wall_target = {"cold": 1.0, "warm": 0.7}
        for c in cases:
            p = "scale.%s." % c
            w, m = num(r, p + "wall_s"), num(r, p + "rss_peak_kib")
            wt = wall_target.get(c.replace("alt-", ""))
            row("%s: wall" % labels[c], fmt(w, " s"), "<= %.1f s" % wt if wt else "", verdict(w, wt) if wt else "")
            row("%s: peak RSS" % labels[c], fmt(m and m / MIB, " MiB", 0), "<= 96 MiB", verdict(m and m / MIB, 96))
            ci, pc = num(r, p + "container_inspects"), num(r, p + "planned_containers")
            if ci is not None:
                row("  container inspects / containers planned", "%s / %s" % (fmt(ci, "", 0), fmt(pc, "", 0)))
            row("  CPU: dockercleand / fake engine", "%s / %s" % (fmt(num(r, p + "cpu_s"), " s"), fmt(num(r, p + "engine_cpu_s"), " s")))
            row("  requests", r.get(p + "request_kinds", "?"))
            if r.get(p + "plan_differs"):
                row("  NOTE: its plan differed from the main binary's", "")
            est = inspect_estimate(r, r.get(p + "request_kinds", ""))
            if est:
                row("  those inspects on the real engine, est.", est)
        row("listing sizes", r.get("scale.bodies", "?"))

    if "scale.cold.wall_s" in r or "scale.warm.wall_s" in r:
        head("Issue 11: the scale targets (medians of %s runs)" % r.get("scale.runs", "the"))
        table()
        cw, cm = num(r, "scale.cold.wall_s"), num(r, "scale.cold.rss_peak_kib")
        ww, wm = num(r, "scale.warm.wall_s"), num(r, "scale.warm.rss_peak_kib")
        both = lambda a, b: "met" if a == b == "met" else " / ".join(x for x in (a, b) if x != "met")
        row("first start, %s images / %s containers, plan of %s" % (r.get("scale.images"), r.get("scale.containers"),
                                                                    fmt(num(r, "scale.cold.planned"), "", 0)),
            "%s / %s" % (fmt(cw, " s"), fmt(cm and cm / MIB, " MiB", 0)), "<= 1.0 s, <= 96 MiB",
            both(verdict(cw, 1.0), verdict(cm and cm / MIB, 96)))
        row("history known, same", "%s / %s" % (fmt(ww, " s"), fmt(wm and wm / MIB, " MiB", 0)), "<= 0.7 s, <= 96 MiB",
            both(verdict(ww, 0.7), verdict(wm and wm / MIB, 96)))
        ci, pc, wi = num(r, "scale.cold.container_inspects_max"), num(r, "scale.cold.planned_containers"), \
            num(r, "scale.warm.container_inspects_max")
        ok = ci is not None and pc is not None and wi is not None and ci <= pc + 32 and wi == 0
        row("container inspects per cleanup", "first start %s for %s planned; history known %s" % (
            fmt(ci, "", 0), fmt(pc, "", 0), fmt(wi, "", 0)),
            "only what the plan may take (<= planned + one batch of 32); none in steady state",
            "met" if ok else ("not measured" if ci is None else "MISSED"))
        if "idle.requests_after_startup_max" in r:
            req, anon = num(r, "idle.requests_after_startup_max"), num(r, "idle.rss_anon_kib")
            row("idle (unchanged)", "%s requests, RssAnon %s" % (fmt(req, "", 0), fmt(anon and anon / MIB, " MiB")),
                "0 requests, RssAnon <= 2 MiB", both(verdict(req, 0), verdict(anon and anon / MIB, 2)))
        else:
            row("idle (unchanged)", "not measured in this run (scripts/bench --only idle)")

    traces = sorted({k.split(".")[1] for k in r if k.startswith("eviction.") and k.endswith(".offline.repulled_bytes")})
    if traces:
        head("Eviction replay (issue 25): bytes re-pulled by dockercleand's default beside the offline reference and"
             " prune -a (tables: build/bench/eviction.txt)")
        table()
        for t in traces:
            dc, off, pa = (num(r, "eviction.%s.%s.repulled_bytes" % (t, p)) for p in ("dockercleand", "offline", "prune_all"))
            if dc is None or off is None or pa is None:
                continue
            x_off = dc / off if off else float("inf")
            x_pa = dc / pa if pa else float("inf")
            div, unit = (1e6, "MB") if max(dc, pa) < 1e10 else (1e9, "GB")
            row("%s: vs offline reference" % t, "%.1f / %.1f %s = %.2fx" % (dc / div, off / div, unit, x_off),
                "<= 1.15x", verdict(x_off, 1.15))
            row("%s: vs prune -a at the watermark" % t, "%.1f / %.1f %s = %.2fx" % (dc / div, pa / div, unit, x_pa),
                "<= 0.5x", verdict(x_pa, 0.5))

    times = [(k.split(".")[1], num(r, k)) for k in r if k.startswith("time.")]
    if times:
        out.append("")
        out.append("time per part: " + ", ".join("%s %.0f s" % (k, v) for k, v in times if v is not None))
    print("\n".join(out))


if __name__ == "__main__":
    main()
