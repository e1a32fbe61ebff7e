# scripts/test's own options, without running a suite: --clean frees the cache and says how much (and
# refuses while a root is being built), --engine refuses an unknown engine, --help; and its progress
# filter shows each suite's result line (ctest right-aligns numbers below 10), a failed suite's last
# lines and the path of the whole log.
set -u
src=${DOCKERCLEAN_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "FAIL: $what" >&2; fail=$((fail + 1)); fi; }

mkdir -p "$tmp/cache/roots/flow-x"
head -c 3145728 /dev/zero >"$tmp/cache/roots/flow-x/blob"
: >"$tmp/cache/roots/flow-x.lock"
# A root being built holds its lock: --clean refuses and removes nothing.
exec 9>"$tmp/cache/roots/flow-x.lock"
flock 9
out=$(DOCKERCLEAN_TEST_CACHE=$tmp/cache "$src/scripts/test" --clean 2>&1); rc=$?
check "--clean refuses while a lock is held (status $rc: $out)" test "$rc" != 0
check "--clean said why" grep -q "is held" <<<"$out"
check "--clean removed nothing then" test -f "$tmp/cache/roots/flow-x/blob"
exec 9>&-
out=$(DOCKERCLEAN_TEST_CACHE=$tmp/cache "$src/scripts/test" --clean 2>&1); rc=$?
check "--clean exits 0 (status $rc)" test "$rc" = 0
check "--clean says how much it freed ($out)" grep -qE "freed 3\.[0-9]M" <<<"$out"
check "--clean removed the cache" test ! -e "$tmp/cache"
out=$(DOCKERCLEAN_TEST_CACHE=$tmp/cache "$src/scripts/test" --clean 2>&1); rc=$?
check "--clean on no cache: nothing to free, status 0 ($out)" eval 'test "$rc" = 0 && grep -q "nothing to free" <<<"$out"'

out=$("$src/scripts/test" --engine no-such-engine 2>&1); rc=$?
check "--engine with an unknown name is a usage error (status $rc)" test "$rc" = 64
check "... naming the engines" grep -q "unknown engine 'no-such-engine' (one of: docker20" <<<"$out"
check "--help names --engine and --clean" eval '"$src/scripts/test" --help | grep -q -- "--engine NAME" &&
        "$src/scripts/test" --help | grep -q -- "--clean"'

# The progress filter, on what ctest -V prints.
cat >"$tmp/ctest.log" <<'EOT'
      Start  7: unit/seven
7: ok: one
7: FAIL (engine docker20): usage is below the low watermark
7:     compared: 78.21 < 75 is false
7: kept for a look: /tmp/dce2e.x
 7/12 Test  #7: unit/seven .......***Failed    1.00 sec
      Start 10: e2e/ten
10: ok: quiet
10: bench: phase
10/12 Test #10: e2e/ten ..........   Passed    1.00 sec
EOT
out=$(bash -c '. <(sed -n "/^progress_filter()/,/^}/p" "$1/scripts/test"); progress_filter "$2" <"$2"' filter "$src" "$tmp/ctest.log")
check "the filter shows a one-digit suite's result" grep -q "^7/12 Test  #7: unit/seven .*Failed" <<<"$out"
check "... and a two-digit one's" grep -q "^10/12 Test #10: e2e/ten .*Passed" <<<"$out"
check "... the failed check and its figures, named by suite" grep -q "^   unit/seven:     compared: 78.21 < 75 is false" <<<"$out"
check "... the kept directory" grep -q "kept for a look: /tmp/dce2e.x" <<<"$out"
check "... the failed suite's last lines, with the log's path" grep -q "^---- the end of unit/seven's output (all of it: $tmp/ctest.log)" <<<"$out"
check "... a phase line of a passing suite" grep -q "^   e2e/ten: bench: phase" <<<"$out"
check "... not its ordinary lines" eval '! grep -q "ok: quiet" <<<"$out"'

[ "$fail" = 0 ] || { echo "$fail check(s) failed" >&2; exit 1; }
echo "all checks passed"
