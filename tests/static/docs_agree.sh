# The documents agree with the program and with each other: every configuration key (lib/config-keys.c's
# tables) is in README.md, dockerclean.conf(5) and the shipped conf/dockerclean.conf; every option and
# every exit status the program has is in --help, README.md and dockercleand(8); every log level name
# (lib/config-value.c) in --help, README.md and both man pages; the defaults in README.md's key table
# are what --check-config prints. The man pages read are the rendered ones in the build tree
# (<build>/generated/dockercleand.8, dockerclean.conf.5), which README.md names.
set -u
src=${DOCKERCLEAN_SOURCE_DIR:?}
bin=${DOCKERCLEAND:?}
gen=${DOCKERCLEAN_TEST_BIN_DIR:?}/../generated
for f in "$gen/dockercleand.8" "$gen/dockerclean.conf.5"; do
        [ -f "$f" ] || { echo "FAIL: $f missing (cmake renders it from man/*.in)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/empty.conf"
"$bin" --help >"$tmp/help" || { echo "FAIL: --help exited $?" >&2; exit 1; }
"$bin" --config "$tmp/empty.conf" --check-config >"$tmp/defaults" || { echo "FAIL: --check-config exited $?" >&2; exit 1; }

exec python3 - "$src" "$gen" "$tmp/help" "$tmp/defaults" <<'PY'
import re, sys
src, gen, help_path, defaults_path = sys.argv[1:]
read = lambda p: open(p, encoding="utf-8").read()
readme, conf = read(f"{src}/README.md"), read(f"{src}/conf/dockerclean.conf")
# roff: "\-" is "-", "\(lq" and friends do not matter here; quotes used for grouping are dropped.
roff = lambda t: t.replace("\\-", "-").replace('""', '"')
man8, man5 = roff(read(f"{gen}/dockercleand.8")), roff(read(f"{gen}/dockerclean.conf.5"))
helptext, defaults = read(help_path), read(defaults_path)
failures = 0
checks = 0

def check(ok, what):
    global failures, checks
    checks += 1
    if not ok:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)

def has_token(text, tok):
    return re.search(r"(?<![\w.-])" + re.escape(tok) + r"(?![\w-])", text) is not None

def section(text, start_re, end_re):
    m = re.search(start_re, text, re.M)
    if not m:
        return ""
    rest = text[m.end():]
    e = re.search(end_re, rest, re.M)
    return rest[: e.start()] if e else rest

# --- where the rendered man pages are: README.md says it --------------------------------------------
for page in ("dockercleand.8", "dockerclean.conf.5"):
    check(f"build/generated/{page}" in readme, f"README.md does not say where the rendered {page} is (build/generated/{page})")

# --- configuration keys, from the parser's own tables -------------------------------------------
keys_src = read(f"{src}/lib/config-keys.c")
tables = {}
for m in re.finditer(r"static const struct config_key (\w+)_keys\[\] = \{(.*?)\};", keys_src, re.S):
    tables[m.group(1)] = re.findall(r'\{\s*"(\w+)"\s*,', m.group(2))
check("root" in tables and "tier" in tables, "lib/config-keys.c: the root and tier key tables were found")
groups = {t for t in tables if t not in ("root", "tier")}
keys = []      # (name as documented, leaf)
for t, names in tables.items():
    for n in names:
        if t == "root" and n in groups:
            continue                     # a group ("disk = { ... }"): its keys are checked
        if t == "root":
            keys.append((n, n))
        elif t == "tier":
            keys.append((n, n))          # a tier's own key: documented bare, in the tier paragraph
        else:
            keys.append((f"{t}.{n}", n))
check(len(keys) >= 20, f"found {len(keys)} keys in lib/config-keys.c (expected at least 20)")
for name, leaf in keys:
    check(f"`{name}`" in readme, f"README.md does not name the configuration key `{name}`")
    check(has_token(man5, name), f"dockerclean.conf(5) does not name the configuration key {name}")
    check(re.search(r"(?<![\w.])" + re.escape(leaf) + r"\s*=", conf) is not None,
          f"conf/dockerclean.conf does not show the key {name}")

# --- README's key table: its defaults are the program's -----------------------------------------
rows = {}
for m in re.finditer(r"^\| `([\w.]+)` \| (.*?) \|", readme, re.M):
    rows[m.group(1)] = m.group(2)
stack = []
for line in defaults.splitlines():
    line = line.strip()
    m = re.match(r"^(\w+) = \{$", line)
    if m:
        stack.append(m.group(1)); continue
    if line.startswith("};"):
        stack.pop(); continue
    m = re.match(r"^(\w+) = (.*);$", line)
    if not m or m.group(1) == "tiers":
        continue
    name = ".".join(stack + [m.group(1)])
    check(name in rows, f"README.md's configuration table has no row for `{name}`")
    if name in rows:
        check(m.group(2) in rows[name],
              f"README.md gives `{name}` the default {rows[name]!r}; --check-config prints {m.group(2)}")

# --- options: what --help lists ------------------------------------------------------------------
opts = []
for m in re.finditer(r"^\s+(?:(-\w), )?(--[\w-]+)", helptext, re.M):
    opts += [o for o in m.groups() if o]
check(len(opts) >= 9, f"found {len(opts)} options in --help (expected at least 9)")
options8 = section(man8, r"^\.SH OPTIONS", r"^\.SH ")
for o in opts:
    check(has_token(readme, o), f"README.md does not name the option {o}")
    check(has_token(options8, o), f"dockercleand(8) OPTIONS does not name the option {o}")

# --- exit statuses: what the program returns ------------------------------------------------------
statuses = {0, 1} | {int(v) for v in re.findall(r"#define EXIT_\w+ (\d+)", read(f"{src}/daemon/daemon.h"))}
help_exit = section(helptext, r"^Exit status:", r"^\s*$")
man_exit = section(man8, r"^\.SH EXIT STATUS", r"^\.SH ")
readme_exit = section(readme, r"^#+ .*[Ee]xit status.*$", r"^#")
check(readme_exit != "", "README.md has a section whose heading says 'Exit status'")
for s in sorted(statuses):
    check(has_token(help_exit, str(s)), f"--help's exit statuses lack {s}")
    check(has_token(man_exit, str(s)), f"dockercleand(8) EXIT STATUS lacks {s}")
    check(has_token(readme_exit, str(s)), f"README.md's exit status section lacks {s}")

# --- log level names, aliases included -------------------------------------------------------------
levels = re.findall(r'\{ "(\w+)", LOG_\w+ \}', read(f"{src}/lib/config-value.c"))
check(len(levels) >= 5, f"found {len(levels)} log level names in lib/config-value.c")
for lv in levels:
    for doc, text in (("--help", helptext), ("README.md", readme), ("dockercleand(8)", man8), ("dockerclean.conf(5)", man5)):
        check(has_token(text, lv), f"{doc} does not name the log level {lv}")

if failures:
    print(f"{failures} of {checks} checks failed: the documents disagree (see above)", file=sys.stderr)
    sys.exit(1)
print(f"all {checks} checks passed: {len(keys)} keys, {len(opts)} options, {len(statuses)} exit statuses, {len(levels)} log levels")
PY
