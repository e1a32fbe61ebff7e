/* test_lastresort.c: exhausted_command's pure parts (lib/lastresort.c: its environment, the first lines of
 * its output) and the StrictModes-like check of what it runs (lib/safe-path.c), over real files in a
 * scratch directory with the owners and modes of each case. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dctest.h"
#include "lastresort.h"
#include "macro.h"
#include "safe-path.h"
#include "strv.h"

#define NOBODY 65534

/* ---- safe_path_check -------------------------------------------------------------------------- */

/* The scratch tree: under a fresh 0700 directory in /tmp (root's, sticky), so only what a case makes
 * decides. Each case is a list of shell commands run in it, then the path checked. */
static const struct {
        const char *what;
        const char *setup;     /* sh, run in the scratch directory */
        const char *path;      /* relative to it */
        unsigned flags;
        int expected;
        const char *why;       /* a fragment of the reason ("" = no check); the scratch dir reads as @ */
} path_cases[] = {
        { "root's 0755 file", "echo >f; chmod 0755 f", "f", SAFE_PATH_EXECUTABLE, 0, "" },
        { "group-writable file", "echo >f; chmod 0775 f", "f", SAFE_PATH_EXECUTABLE, -EPERM, "@/f is writable by its group (mode 0775)" },
        { "world-writable file", "echo >f; chmod 0757 f", "f", SAFE_PATH_EXECUTABLE, -EPERM, "@/f is writable by anyone (mode 0757)" },
        { "a file of another user", "echo >f; chmod 0755 f; chown 65534 f", "f", SAFE_PATH_EXECUTABLE, -EPERM,
          "@/f is owned by uid 65534, not root" },
        { "not executable", "echo >f; chmod 0644 f", "f", SAFE_PATH_EXECUTABLE, -EPERM, "@/f is not executable (mode 0644)" },
        { "not executable, not needed (the configuration)", "echo >f; chmod 0600 f", "f", 0, 0, "" },
        { "missing", "true", "nothing", 0, -ENOENT, "@/nothing: No such file or directory" },
        { "a directory", "mkdir d", "d", 0, -EPERM, "@/d is not a regular file" },
        { "a file on the way", "echo >f", "f/x", 0, -ENOTDIR, "" },
        { "in a world-writable directory", "mkdir -m 0777 d; echo >d/f; chmod 0755 d/f", "d/f", SAFE_PATH_EXECUTABLE, -EPERM,
          "@/d is writable by anyone (mode 0777)" },
        { "in a group-writable directory", "mkdir -m 0775 d; echo >d/f; chmod 0755 d/f", "d/f", SAFE_PATH_EXECUTABLE, -EPERM,
          "@/d is writable by its group (mode 0775)" },
        { "in a directory of another user", "mkdir d; echo >d/f; chmod 0755 d/f; chown 65534 d", "d/f", SAFE_PATH_EXECUTABLE, -EPERM,
          "@/d is owned by uid 65534, not root" },
        { "two levels below a world-writable directory", "mkdir -m 0777 d; mkdir d/e; echo >d/e/f; chmod 0755 d/e/f", "d/e/f", 0,
          -EPERM, "@/d is writable by anyone" },
        { "root's file in a sticky directory (as /tmp)", "mkdir -m 1777 d; echo >d/f; chmod 0755 d/f", "d/f", SAFE_PATH_EXECUTABLE, 0, "" },
        { "another user's file in a sticky directory", "mkdir -m 1777 d; echo >d/f; chmod 0755 d/f; chown 65534 d/f", "d/f", 0, -EPERM,
          "@/d/f is owned by uid 65534, not root, in @/d, which anyone may write to" },
        { "another user's directory in a sticky one", "mkdir -m 1777 d; mkdir d/e; echo >d/e/f; chown 65534 d/e", "d/e/f", 0, -EPERM,
          "@/d/e is owned by uid 65534, not root, in @/d" },
        { "root's directory in a sticky one", "mkdir -m 1777 d; mkdir d/e; echo >d/e/f", "d/e/f", 0, 0, "" },
        { "a link to a safe file", "mkdir s; echo >s/f; chmod 0755 s/f; ln -s s/f l", "l", SAFE_PATH_EXECUTABLE, 0, "" },
        { "a link into a world-writable directory", "mkdir -m 0777 u; echo >u/f; chmod 0755 u/f; ln -s u/f l", "l",
          SAFE_PATH_EXECUTABLE, -EPERM, "@/u is writable by anyone" },
        /* The link itself could be replaced: judged where it lies, not only where it leads. */
        { "a link in a world-writable directory to a safe file", "mkdir s; echo >s/f; chmod 0755 s/f; mkdir -m 0777 u; ln -s ../s/f u/l",
          "u/l", SAFE_PATH_EXECUTABLE, -EPERM, "@/u is writable by anyone" },
        { "a chain of links through a world-writable directory", "mkdir s; echo >s/f; chmod 0755 s/f; mkdir -m 0777 u; ln -s ../s/f u/l; ln -s u/l l",
          "l", 0, -EPERM, "@/u is writable by anyone" },
        { "another user's link in a sticky directory", "mkdir s; echo >s/f; mkdir -m 1777 t; ln -s ../s/f t/l; chown -h 65534 t/l",
          "t/l", 0, -EPERM, "@/t/l is owned by uid 65534, not root, in @/t" },
        { "an absolute link", "mkdir s; echo >s/f; chmod 0755 s/f; ln -s \"$PWD/s/f\" l", "l", SAFE_PATH_EXECUTABLE, 0, "" },
        { "a directory link", "mkdir s; echo >s/f; ln -s s d", "d/f", 0, 0, "" },
        { "dot and dot-dot", "mkdir s; mkdir s/x; echo >s/f", "s/./x/../f", 0, 0, "" },
        /* Harmless in fact (a real directory's .. is its parent), but not worth the subtlety. */
        { "through a world-writable directory and out again", "mkdir -m 0777 u; echo >f", "u/../f", 0, -EPERM, "@/u is writable by anyone" },
        { "a loop of links", "ln -s b a; ln -s a b", "a", 0, -ELOOP, "" },
};

static char *scratch(void) {
        char *d = strdup("/tmp/test_lastresort.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(d));
        return d;
}

START_TEST(test_safe_path) {
        dctest_require(geteuid() == 0, "the owners of the cases need root (chown)");
        _cleanup_free_ char *dir = scratch();
        _cleanup_free_ char *path = NULL;
        char why[512];

        ck_assert_int_eq(dctest_sh("cd '%s' && { %s; }", dir, path_cases[_i].setup), 0);
        ck_assert_int_ge(asprintf(&path, "%s/%s", dir, path_cases[_i].path), 0);
        int r = safe_path_check(path, path_cases[_i].flags, why, sizeof why);
        _cleanup_free_ char *want = dctest_replace_at(path_cases[_i].why, dir);
        ck_assert_msg(r == path_cases[_i].expected, "%s: got %d (%s), want %d", path_cases[_i].what, r, why, path_cases[_i].expected);
        ck_assert_msg(strstr(why, want), "%s: reason \"%s\", want it to contain \"%s\"", path_cases[_i].what, why, want);
        if (r == 0)
                ck_assert_str_eq(why, "");
        ck_assert_int_eq(dctest_sh("chmod -R u+w '%s'; rm -rf '%s'", dir, dir), 0);
}
END_TEST

/* A relative path is taken from the working directory, and judged all the way up from /. */
START_TEST(test_safe_path_relative) {
        dctest_require(geteuid() == 0, "the owners of the cases need root (chown)");
        _cleanup_free_ char *dir = scratch();
        char why[512], old[4096];
        ck_assert_int_eq(dctest_sh("cd '%s' && echo >f && mkdir -m 0777 u && echo >u/g", dir), 0);
        ck_assert_ptr_nonnull(getcwd(old, sizeof old));
        ck_assert_int_eq(chdir(dir), 0);
        ck_assert_int_eq(safe_path_check("f", 0, why, sizeof why), 0);
        ck_assert_int_eq(safe_path_check("u/g", 0, why, sizeof why), -EPERM);
        ck_assert_int_eq(chdir(dir), 0);
        ck_assert_int_eq(chdir("u"), 0);
        ck_assert_int_eq(safe_path_check("../f", 0, why, sizeof why), -EPERM); /* the way there is through u */
        ck_assert_int_eq(chdir(dir), 0);
        ck_assert_int_eq(safe_path_check("./f", 0, why, sizeof why), 0);
        ck_assert_int_eq(chdir(old), 0);
        ck_assert_int_eq(safe_path_check("", 0, why, sizeof why), -EINVAL);
        ck_assert_int_eq(dctest_sh("rm -rf '%s'", dir), 0);
}
END_TEST

/* ---- lastresort_env --------------------------------------------------------------------------- */

START_TEST(test_path_is_plain) {
        static const struct {
                const char *path;
                bool plain;
        } t[] = {
                { "/var/lib/docker", true },
                { "/srv/data-1/docker_root.v2", true },
                { "/mnt/a+b:c@d,e=f", true },
                { "/", true },
                { "var/lib/docker", false },
                { "", false },
                { "/var/lib/my docker", false },
                { "/var/lib/$(reboot)", false },
                { "/var/lib/`id`", false },
                { "/var/lib/a;b", false },
                { "/var/lib/*", false },
                { "/var/lib/'x'", false },
                { "/var/lib/\"x\"", false },
                { "/var/lib/x\ny", false },
                { "/var/lib/\xc3\xa9", false },
                { "/var/lib/a&b|c>d", false },
                { "/var/lib/~x", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ck_assert_msg(lastresort_path_is_plain(t[i].path) == t[i].plain, "%s", t[i].path);
        ck_assert(!lastresort_path_is_plain(NULL));
}
END_TEST

START_TEST(test_env) {
        static const struct {
                const char *what;
                struct lastresort_facts facts;
                const char *parent[8];
                const char *expected; /* the environment, '|'-separated */
                bool path_passed;
        } t[] = {
                { "the four, after what is inherited", { 91.256, 1234, "/var/lib/docker", 5678 }, { "PATH=/usr/bin", "LANG=C" },
                  "PATH=/usr/bin|LANG=C|DOCKERCLEAN_USED_PERCENT=91.26|DOCKERCLEAN_FREE_BYTES=1234|DOCKERCLEAN_RECLAIMED_BYTES=5678|"
                  "DOCKERCLEAN_PATH=/var/lib/docker",
                  true },
                { "systemd's channels and any DOCKERCLEAN_* are not inherited", { 100, 0, "/d", 0 },
                  { "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=120000000", "WATCHDOG_PID=1", "LISTEN_FDS=1", "JOURNAL_STREAM=8:9",
                    "DOCKERCLEAN_PATH=/evil", "HOME=/root" },
                  "HOME=/root|DOCKERCLEAN_USED_PERCENT=100.00|DOCKERCLEAN_FREE_BYTES=0|DOCKERCLEAN_RECLAIMED_BYTES=0|DOCKERCLEAN_PATH=/d", true },
                { "a path a shell could misread is not passed", { 90, 1, "/var/lib/$(reboot)", 2 }, { NULL },
                  "DOCKERCLEAN_USED_PERCENT=90.00|DOCKERCLEAN_FREE_BYTES=1|DOCKERCLEAN_RECLAIMED_BYTES=2", false },
                { "no path at all", { 90, 1, NULL, 2 }, { NULL },
                  "DOCKERCLEAN_USED_PERCENT=90.00|DOCKERCLEAN_FREE_BYTES=1|DOCKERCLEAN_RECLAIMED_BYTES=2", false },
                { "a percent out of range is not passed on as it is", { -1, 18446744073709551615ULL, "/d", 0 }, { "not-a-variable" },
                  "DOCKERCLEAN_USED_PERCENT=0.00|DOCKERCLEAN_FREE_BYTES=18446744073709551615|DOCKERCLEAN_RECLAIMED_BYTES=0|DOCKERCLEAN_PATH=/d",
                  true },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_strv_free_ char **env = NULL;
                bool passed = !t[i].path_passed;
                ck_assert_int_eq(lastresort_env(&t[i].facts, t[i].parent, &env, &passed), 0);
                char got[1024] = "";
                for (size_t k = 0; env[k]; k++)
                        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? "|" : "", env[k]);
                ck_assert_msg(streq(got, t[i].expected), "%s:\n got %s\nwant %s", t[i].what, got, t[i].expected);
                ck_assert_msg(passed == t[i].path_passed, "%s", t[i].what);
        }
        /* No parent environment at all. */
        _cleanup_strv_free_ char **env = NULL;
        struct lastresort_facts f = { 1, 2, "/x", 3 };
        ck_assert_int_eq(lastresort_env(&f, NULL, &env, NULL), 0);
        ck_assert_uint_eq(strv_length(env), 4);
}
END_TEST

/* ---- lastresort_output ------------------------------------------------------------------------ */

START_TEST(test_output) {
        static const struct {
                const char *what;
                const char *chunks[4]; /* fed one after the other */
                const char *oneline;
                bool truncated;
        } t[] = {
                { "nothing", { NULL }, "", false },
                { "one line", { "paused runner-7\n" }, "paused runner-7", false },
                { "no final newline", { "a\nb" }, "a | b", false },
                { "split across reads", { "hel", "lo\nwor", "ld\n" }, "hello | world", false },
                { "CRLF", { "a\r\nb\r\n" }, "a | b", false },
                { "control characters and non-ASCII", { "a\tb\x1b[31mc\xc3\xa9\n" }, "a?b?[31mc??", false },
                { "empty lines count", { "\n\nx\n" }, " |  | x", false },
                { "ten lines kept, the eleventh not", { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n" }, "1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10", true },
                { "exactly ten lines", { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n" }, "1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct lastresort_output o = {};
                uint64_t total = 0;
                for (size_t k = 0; k < ELEMENTSOF(t[i].chunks) && t[i].chunks[k]; k++) {
                        lastresort_output_feed(&o, t[i].chunks[k], strlen(t[i].chunks[k]));
                        total += strlen(t[i].chunks[k]);
                }
                char buf[LASTRESORT_OUTPUT_MAX * 2];
                ck_assert_msg(streq(lastresort_output_oneline(&o, buf, sizeof buf), t[i].oneline), "%s: got \"%s\"", t[i].what, buf);
                ck_assert_msg(o.truncated == t[i].truncated, "%s: truncated %d", t[i].what, o.truncated);
                ck_assert_uint_eq(o.total_bytes, total);
        }

        /* '\n'-separated for the journal field, without a final one. */
        struct lastresort_output o = {};
        char buf[64];
        lastresort_output_feed(&o, "a\nb\n", 4);
        ck_assert_str_eq(lastresort_output_lines(&o, buf, sizeof buf), "a\nb");

        /* A long line: cut at the buffer, ended, marked; later output only counted. */
        struct lastresort_output big = {};
        char line[5000];
        memset(line, 'x', sizeof line);
        lastresort_output_feed(&big, line, sizeof line);
        lastresort_output_feed(&big, "\nmore\n", 6);
        ck_assert(big.truncated);
        ck_assert_uint_eq(big.len, LASTRESORT_OUTPUT_MAX);
        ck_assert_int_eq(big.text[LASTRESORT_OUTPUT_MAX - 1], '\n');
        ck_assert_uint_eq(big.lines, 1);
        ck_assert_uint_eq(big.total_bytes, sizeof line + 6);
        /* A small buffer for the one-line form is filled and terminated, not overrun. */
        char small[8];
        ck_assert_str_eq(lastresort_output_oneline(&big, small, sizeof small), "xxxxxxx");
}
END_TEST

int main(void) {
        Suite *s = suite_create("lastresort");
        TCase *tc = tcase_create("lastresort");
        tcase_add_loop_test(tc, test_safe_path, 0, ELEMENTSOF(path_cases));
        tcase_add_test(tc, test_safe_path_relative);
        tcase_add_test(tc, test_path_is_plain);
        tcase_add_test(tc, test_env);
        tcase_add_test(tc, test_output);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
