/* fileio: what root writes is created afresh in a directory only root can change; a name another user
 * planted is never written through, adopted or removed; write errors keep their errno; reads of files
 * the daemon did not create never block and take only regular files (issue 20). */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dctest.h"
#include "fileio.h"
#include "macro.h"

static int write_hello(FILE *f, const void *userdata) {
        (void) userdata;
        return fputs("hello\n", f) < 0 ? -EIO : 0;
}

static const struct {
        const char *what;
        const char *setup;  /* sh in a fresh 0700 directory D under /tmp (root's) */
        const char *path;   /* written; @ is D */
        int ret;
        const char *why;    /* "" unless refused; @ is D */
        const char *after;  /* sh in D that must succeed afterwards */
} cases[] = {
        { "root's directory", "", "@/out", 0, "", "test \"$(cat out)\" = hello && test \"$(ls -A | wc -l)\" = 1" },
        { "a FIFO planted at the old temporary name", "mkfifo out.tmp", "@/out", 0, "",
          "test -p out.tmp && test \"$(cat out)\" = hello && test \"$(ls -A | wc -l)\" = 2" },
        { "another user's world-writable file at the old temporary name",
          "printf x >out.tmp && chmod 0666 out.tmp && chown 65534 out.tmp", "@/out", 0, "",
          "test \"$(stat -c %u out)\" = 0 && test \"$(cat out.tmp)\" = x && test \"$(stat -c %u out.tmp)\" = 65534" },
        { "a link planted as the target is replaced, not followed", "ln -s /etc/passwd out", "@/out", 0, "",
          "test ! -L out && test \"$(cat out)\" = hello" },
        { "a directory of another user", "chown 65534 .", "@/out", -EPERM, "@ is owned by uid 65534, not root", "test ! -e out" },
        { "a group-writable directory", "chmod 0770 .", "@/out", -EPERM, "@ is writable by its group (mode 0770)",
          "test ! -e out" },
        { "a world-writable directory", "chmod 0777 .", "@/out", -EPERM, "@ is writable by anyone (mode 0777)",
          "test ! -e out" },
        /* The directory is judged as opened and held; the way to it is not (Debian's node-exporter/ is
         * root's, in the prometheus user's /var/lib/prometheus): swapping it is judged in turn. */
        { "root's directory in one of another user's", "mkdir sub && chown 65534 .", "@/sub/out", 0, "",
          "test \"$(cat sub/out)\" = hello" },
        { "another user's directory through root's link", "mkdir real && chown 65534 real && ln -s real sub", "@/sub/out", -EPERM,
          "@/sub is owned by uid 65534, not root", "test ! -e real/out" },
        { "a sticky directory: another user's target is not replaced",
          "chmod 1777 . && printf x >out && chown 65534 out", "@/out", -EPERM,
          "@/out is owned by uid 65534, not root, in @, which others may write to; it is not replaced",
          "test \"$(cat out)\" = x && test \"$(ls -A | wc -l)\" = 1" },
        { "a sticky directory: root's target is replaced", "chmod 1777 . && printf x >out", "@/out", 0, "",
          "test \"$(cat out)\" = hello" },
        { "a sticky directory: an absent target is created", "chmod 1777 .", "@/out", 0, "", "test \"$(cat out)\" = hello" },
        { "no such directory", "", "@/none/out", -ENOENT, "", "true" },
};

START_TEST(test_write) {
        dctest_require(geteuid() == 0, "the owners of the cases need root (chown)");
        _cleanup_free_ char *dir = strdup("/tmp/test_fileio.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        _cleanup_free_ char *path = dctest_replace_at(cases[_i].path, dir);
        _cleanup_free_ char *want = dctest_replace_at(cases[_i].why, dir);
        ck_assert_int_eq(dctest_sh("cd '%s' && { %s\ntrue; }", dir, cases[_i].setup), 0);
        char why[512];
        int r = fileio_write_atomic(path, 0644, write_hello, NULL, why, sizeof why);
        ck_assert_msg(r == cases[_i].ret, "%s: %d (%s), want %d", cases[_i].what, r, why, cases[_i].ret);
        ck_assert_msg(streq(why, want), "%s:\n got: %s\nwant: %s", cases[_i].what, why, want);
        ck_assert_msg(dctest_sh("cd '%s' && %s", dir, cases[_i].after) == 0, "%s: after: %s", cases[_i].what, cases[_i].after);
        ck_assert_int_eq(dctest_sh("rm -rf '%s'", dir), 0);
}
END_TEST

static int write_big(FILE *f, const void *userdata) {
        (void) userdata;
        for (int i = 0; i < 4096; i++)
                if (fputs("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1\n", f) < 0)
                        return -EIO; /* what stdio's callers can say; the writer knows better */
        return 0;
}

/* A write that fails says why (here the file size limit; ENOSPC on a full filesystem alike), not EIO,
 * also when it fails in the middle of the content, past stdio's buffer. */
START_TEST(test_write_error_keeps_errno) {
        _cleanup_free_ char *dir = strdup("/tmp/test_fileio.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        _cleanup_free_ char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/out", dir), 0);
        struct rlimit old, small = { .rlim_cur = 8192, .rlim_max = RLIM_INFINITY };
        ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
        small.rlim_max = old.rlim_max;
        void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
        int r = fileio_write_atomic(path, 0644, write_big, NULL, NULL, 0);
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, was);
        ck_assert_int_eq(r, -EFBIG);
        ck_assert_int_eq(dctest_sh("test -z \"$(ls -A '%s')\" && rm -rf '%s'", dir, dir), 0); /* no temporary left */
}
END_TEST

START_TEST(test_open_regular) {
        _cleanup_free_ char *dir = strdup("/tmp/test_fileio.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(dctest_sh("cd '%s' && mkfifo fifo && ln -s /etc/passwd link && printf 12345 >five && mkdir d", dir), 0);
        char p[300];
        FILE *f = NULL;
        const char *type = NULL;
        snprintf(p, sizeof p, "%s/fifo", dir);
        ck_assert_int_eq(fileio_open_regular(p, 100, &f, &type), -EPERM); /* returns at once: no writer needed */
        ck_assert_str_eq(type, "a FIFO");
        snprintf(p, sizeof p, "%s/d", dir);
        ck_assert_int_eq(fileio_open_regular(p, 100, &f, &type), -EPERM);
        ck_assert_str_eq(type, "a directory");
        snprintf(p, sizeof p, "%s/link", dir);
        ck_assert_int_eq(fileio_open_regular(p, 100, &f, &type), -ELOOP);
        snprintf(p, sizeof p, "%s/five", dir);
        ck_assert_int_eq(fileio_open_regular(p, 4, &f, &type), -EFBIG);
        ck_assert_int_eq(fileio_open_regular(p, 5, &f, &type), 0);
        char buf[8] = "";
        ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
        ck_assert_str_eq(buf, "12345");
        fclose(f);
        ck_assert_int_eq(dctest_sh("rm -rf '%s'", dir), 0);
}
END_TEST

/* The cleanup lock: made in a judged directory, never through a name another user planted there. */
START_TEST(test_open_lock) {
        dctest_require(geteuid() == 0, "the owners of the cases need root (chown)");
        _cleanup_free_ char *dir = strdup("/tmp/test_fileio.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char why[512];
        int fd = fileio_open_lock(dir, "lock", why, sizeof why);
        ck_assert_msg(fd >= 0, "root's directory: %d (%s)", fd, why);
        close(fd);
        ck_assert_int_eq(dctest_sh("cd '%s' && test -f lock && test \"$(stat -c %%a lock)\" = 600", dir), 0);
        /* A sticky, world-writable directory where another user made the name first. */
        ck_assert_int_eq(dctest_sh("cd '%s' && rm lock && chmod 1777 . && printf x >lock && chown 65534 lock", dir), 0);
        ck_assert_int_eq(fileio_open_lock(dir, "lock", why, sizeof why), -EPERM);
        ck_assert_msg(strstr(why, "of uid 65534, not the daemon's"), "%s", why);
        /* A directory another user owns. */
        ck_assert_int_eq(dctest_sh("cd '%s' && rm lock && chmod 0755 . && chown 65534 .", dir), 0);
        ck_assert_int_eq(fileio_open_lock(dir, "lock", why, sizeof why), -EPERM);
        ck_assert_int_eq(dctest_sh("test ! -e '%s/lock' && rm -rf '%s'", dir, dir), 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("fileio");
        TCase *tc = tcase_create("fileio");
        tcase_add_loop_test(tc, test_write, 0, ELEMENTSOF(cases));
        tcase_add_test(tc, test_write_error_keeps_errno);
        tcase_add_test(tc, test_open_regular);
        tcase_add_test(tc, test_open_lock);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
