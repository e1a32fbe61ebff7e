# The fuzz smoke: every libFuzzer target (scripts/fuzz-config, -engine, -policy) for a short while from
# its seeds, its corpus then replayed with leak checks; a crash, sanitizer report, leak or broken
# invariant fails the suite. Needs clang-14 and libclang-rt-14-dev (scripts/install-deps test).
#
# DOCKERCLEAN_FUZZ_SECONDS per target (default 20): on 2 cores a CI run of every engine has a budget of
# 30-45 minutes, of which this is about two minutes with the clang build (three targets). The seeds and the
# dictionaries reach every decoder and key parser within seconds; what 60 s more would find is the
# deep fuzzing's job (scripts/fuzz-* 600 by hand, with the kept corpus), not every CI run's.
set -u
src=${DOCKERCLEAN_SOURCE_DIR:?}
bin=${DOCKERCLEAN_TEST_BIN_DIR:?}
seconds=${DOCKERCLEAN_FUZZ_SECONDS:-20}
skip() { if [ "${CI:-}" = true ]; then echo "fuzz smoke: $* (CI must have it)" >&2; exit 1; fi; echo "fuzz smoke: skipped: $*"; exit 77; }
command -v clang >/dev/null || skip "no clang (scripts/install-deps test installs clang and libclang-rt-14-dev)"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$bin/fuzz-probe.c"
clang -fsanitize=fuzzer -o "$bin/fuzz-probe" "$bin/fuzz-probe.c" 2>/dev/null ||
        skip "clang cannot link libFuzzer (libclang-rt-14-dev)"
export FUZZ_BUILD_DIR=$bin/fuzz-build
fail=0
for target in config engine policy; do
        # A fresh corpus each run: what CI tests is the tree, not a corpus grown on this machine.
        corpus=$bin/fuzz-corpus-$target
        rm -rf "$corpus"
        if FUZZ_CORPUS_DIR=$corpus nice -n 5 "$src/scripts/fuzz-$target" "$seconds"; then
                echo "ok: fuzz-$target, $seconds s"
        else
                echo "FAIL: fuzz-$target (the reproducer is named above; run it: $FUZZ_BUILD_DIR/tests/fuzz/fuzz_* FILE)" >&2
                fail=1
        fi
done
exit $fail
