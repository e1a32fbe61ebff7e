/* dctest.h: helpers shared by the check suites. */
#pragma once

#include <check.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* The bench engine's socket path (DOCKERCLEAN_TEST_SOCKET, set by tests/bench/with-engine.sh).
 * When it is not set the suite cannot run: outside CI the process exits 77 (ctest: skipped);
 * in CI (CI=true) it exits 1, because real-engine tests must fail, never skip, there. */
const char *dctest_engine_socket(void);
/* Same rule for any precondition: prints why and exits 77 or 1. */
void dctest_require(bool ok, const char *why);
/* Runs a shell command (sh -c), returns its exit status or -1. */
int dctest_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a shell command and returns its trimmed stdout (malloc'd), or NULL on failure. */
char *dctest_sh_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a suite (forking per test, as check does by default) and frees it; returns the failures. */
int dctest_run(Suite *s);
/* A thread body that raises *flag after ms milliseconds:
 * pthread_create(&t, NULL, dctest_raise_after, &(struct dctest_raiser){ &flag, 300 }). */
struct dctest_raiser {
        atomic_int *flag;
        unsigned ms;
};
void *dctest_raise_after(void *raiser);
/* Whether text has this exact line. */
bool dctest_has_line(const char *text, const char *line);
/* How often needle occurs in haystack. */
size_t dctest_count(const char *haystack, const char *needle);
/* s with every '@' replaced by dir (malloc'd; aborts the test when out of memory). */
char *dctest_replace_at(const char *s, const char *dir);
