# Static analysis of lib/ and daemon/: clang-tidy (the checks in .clang-tidy) and cppcheck (warning,
# performance, portability), both at zero findings; a new one fails this suite, and so CI (.ci/run).
# False reports are suppressed, each with why: .clang-tidy (checks off), tests/static/clang-tidy.suppress
# (a check on one file), tests/static/cppcheck.suppress. Needs the build's compile_commands.json
# (CMAKE_EXPORT_COMPILE_COMMANDS, on in CMakeLists.txt). Takes about a minute on 2 cores.
set -u
src=${DOCKERCLEAN_SOURCE_DIR:?}
build=${DOCKERCLEAN_TEST_BIN_DIR:?}/..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
skip() { if [ "${CI:-}" = true ]; then echo "analysis: $* (CI must have it)" >&2; exit 1; fi; echo "analysis: skipped: $*"; exit 77; }
tidy=$(command -v clang-tidy-14 || command -v clang-tidy) || skip "no clang-tidy (scripts/install-deps test installs it)"
command -v cppcheck >/dev/null || skip "no cppcheck (scripts/install-deps test installs it)"
[ -f "$build/compile_commands.json" ] || { echo "analysis: no $build/compile_commands.json" >&2; exit 1; }
cd "$src" || exit 1
fail=0

# clang-tidy, one process per file (2 at a time); its reports as "FILE:LINE:COL: warning: TEXT [CHECK]".
files=$(ls lib/*.c daemon/*.c)
# shellcheck disable=SC2086
printf '%s\n' $files | xargs -P2 -n1 "$tidy" -p "$build" --quiet 2>/dev/null >"$tmp/tidy.out"
grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$tmp/tidy.out" | sed "s|^$src/||" | sort -u >"$tmp/tidy.all"
# Drop the suppressed FILE CHECK pairs.
awk 'NR == FNR { if ($0 !~ /^#/ && NF >= 2) s[$1 " " $2] = 1; next }
     { f = $1; sub(/:.*/, "", f); c = $NF; gsub(/[][]/, "", c); n = split(c, cs, ","); keep = 1
       for (i = 1; i <= n; i++) if ((f " " cs[i]) in s) keep = 0
       if (keep) print }' tests/static/clang-tidy.suppress "$tmp/tidy.all" >"$tmp/tidy.new"
n_files=$(printf '%s\n' $files | wc -l)
if [ -s "$tmp/tidy.new" ]; then
        echo "FAIL: clang-tidy: $(wc -l <"$tmp/tidy.new") finding(s) in lib/ and daemon/ (.clang-tidy):" >&2
        cat "$tmp/tidy.new" >&2
        fail=1
else
        echo "ok: clang-tidy: 0 findings in $n_files files ($(($(wc -l <"$tmp/tidy.all") - $(wc -l <"$tmp/tidy.new"))) suppressed in tests/static/clang-tidy.suppress)"
fi
# Each file analysed: a crash or a compile error of clang-tidy is no pass.
if grep -q 'error: ' "$tmp/tidy.out" || grep -qi 'clang-diagnostic-error' "$tmp/tidy.out"; then
        echo "FAIL: clang-tidy could not analyse every file:" >&2
        grep 'error: ' "$tmp/tidy.out" | head >&2
        fail=1
fi

# cppcheck over the same files, with the build's definitions.
if cppcheck -q -j2 --enable=warning,performance,portability --std=c11 --inline-suppr --error-exitcode=1 \
        --suppressions-list=tests/static/cppcheck.suppress -D_GNU_SOURCE -DDOCKERCLEAN_VERSION='"0"' \
        -DDOCKERCLEAN_CONFIG_PATH='"/etc/dockerclean.conf"' -I lib \
        --template='{file}:{line}: {severity}: {message} [{id}]' lib daemon 2>"$tmp/cppcheck.out"; then
        echo "ok: cppcheck: 0 findings"
else
        echo "FAIL: cppcheck: $(grep -c '\[' "$tmp/cppcheck.out") finding(s) (tests/static/cppcheck.suppress):" >&2
        cat "$tmp/cppcheck.out" >&2
        fail=1
fi
exit $fail
