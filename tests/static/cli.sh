# The command line: options, exit codes (0, 64, 69, 78) and error texts, without an engine.
set -u
bin=${DOCKERCLEAND:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect WHAT STATUS PATTERN -- CMD...
        local what=$1 want=$2 pattern=$3; shift 4
        local out rc
        out=$("$@" 2>&1); rc=$?
        if [ "$rc" = "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
                echo "ok: $what"
        else
                echo "FAIL: $what: status $rc (want $want), output:" >&2; printf '%s\n' "$out" | head -20 >&2
                fail=$((fail + 1))
        fi
}

expect "--help" 0 'Usage: dockercleand' -- "$bin" --help
expect "--version" 0 '^dockercleand [0-9]+\.[0-9]+' -- "$bin" --version
expect "unknown option is a usage error" 64 "unknown option '--frobnicate'" -- "$bin" --frobnicate
expect "missing argument is a usage error" 64 "needs an argument" -- "$bin" --config
expect "bad --log-level" 64 "unknown level 'loud'" -- "$bin" --log-level loud
expect "stray argument" 64 "unexpected argument 'extra'" -- "$bin" --once extra
expect "exclusive modes" 64 "exclude each other" -- "$bin" --once --report
expect "explicit missing file is a configuration error" 78 "$tmp/missing.conf" -- "$bin" --config "$tmp/missing.conf" --check-config

printf 'disk = {\n  high_watermark = "85%%";\n  low_watermark = "90%%";\n};\n' >"$tmp/bad.conf"
expect "a bad value names file, line and key" 78 "$tmp/bad.conf:[0-9]+: disk\.low_watermark: " -- \
        "$bin" --config "$tmp/bad.conf" --check-config
printf 'disk = { hihg_watermark = "85%%"; };\n' >"$tmp/typo.conf"
expect "an unknown key suggests the nearest" 78 "typo.conf:1: .*hihg_watermark.*high_watermark" -- \
        "$bin" --config "$tmp/typo.conf" --check-config
printf 'disk = { high_watermark = "85%%" \n' >"$tmp/syntax.conf"
expect "a syntax error names file and line" 78 "syntax.conf:[0-9]+:" -- "$bin" --config "$tmp/syntax.conf" --check-config

printf 'interval = "30s";\nengine = { socket = "%s/nothing.sock"; };\n' "$tmp" >"$tmp/good.conf"
expect "--check-config prints the effective configuration" 0 'interval = "30s"' -- \
        "$bin" --config "$tmp/good.conf" --check-config
expect "--check-config fills in defaults" 0 'high_watermark = "85%"' -- "$bin" --config "$tmp/good.conf" --check-config
expect "--once with no engine is 69" 69 "nothing.sock.*(no socket|unreachable)|unreachable.*nothing.sock" -- \
        "$bin" --config "$tmp/good.conf" --once --log-target console
expect "--report with no engine is 69" 69 "unreachable" -- "$bin" --config "$tmp/good.conf" --report --log-target console
# They exit at once: nothing is retried, so nothing may say it is.
expect_not() { # expect_not WHAT PATTERN -- CMD...: the output does not match PATTERN (any status)
        local what=$1 pattern=$2; shift 3
        local out
        out=$("$@" 2>&1)
        if grep -qE -- "$pattern" <<<"$out"; then
                echo "FAIL: $what: the output says /$pattern/:" >&2; printf '%s\n' "$out" | head -20 >&2
                fail=$((fail + 1))
        else
                echo "ok: $what"
        fi
}
expect_not "--once with no engine does not promise a retry" "retrying" -- \
        "$bin" --config "$tmp/good.conf" --once --log-target console
expect_not "--report with no engine does not promise a retry" "retrying" -- \
        "$bin" --config "$tmp/good.conf" --report --log-target console
printf 'exhausted_command = [ "%s/no-such-command" ];\n' "$tmp" >"$tmp/nocmd.conf"
expect "a missing exhausted_command says it does not exist" 78 "no-such-command: No such file or directory \\(the command does not exist\\)" -- \
        "$bin" --config "$tmp/nocmd.conf" --check-config
expect_not "... and not that only root may change it" "only root" -- "$bin" --config "$tmp/nocmd.conf" --check-config

[ "$fail" = 0 ] || { echo "$fail check(s) failed" >&2; exit 1; }
echo "all checks passed"
