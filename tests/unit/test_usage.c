/* usage: df's arithmetic from raw statvfs figures, and a real statvfs. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "usage.h"
#include "dctest.h"

static const struct {
        uint64_t frsize, blocks, bfree, bavail, files, ffree, favail;
        double used_percent, inodes_used_percent;
        uint64_t free_bytes;
} cases[] = {
        /* empty, no reserve */
        { 4096, 1000, 1000, 1000, 100, 100, 100, 0.0, 0.0, 4096000 },
        /* half used, 5% reserved for root: df counts used / (used + avail) */
        { 4096, 1000, 500, 450, 100, 40, 40, 100.0 * 500 / 950, 60.0, 450 * 4096 },
        /* full for users, root reserve left */
        { 1024, 1000, 50, 0, 10, 0, 0, 100.0, 100.0, 0 },
        /* no fixed inodes (btrfs): no inode figure */
        { 4096, 1000, 250, 250, 0, 0, 0, 75.0, 0.0, 250 * 4096 },
        /* nothing at all */
        { 4096, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0 },
};

START_TEST(test_from_counts) {
        struct usage u;
        usage_from_counts(cases[_i].frsize, cases[_i].blocks, cases[_i].bfree, cases[_i].bavail, cases[_i].files,
                          cases[_i].ffree, cases[_i].favail, &u);
        ck_assert_double_eq_tol(u.used_percent, cases[_i].used_percent, 1e-9);
        ck_assert_double_eq_tol(u.inodes_used_percent, cases[_i].inodes_used_percent, 1e-9);
        ck_assert_uint_eq(u.free_bytes, cases[_i].free_bytes);
        ck_assert_uint_eq(u.total_bytes, cases[_i].blocks * cases[_i].frsize);
}
END_TEST

START_TEST(test_after_freeing) {
        struct usage u, v;
        usage_from_counts(4096, 1000, 500, 450, 100, 40, 40, &u);
        usage_after_freeing(&u, 100 * 4096, &v);
        ck_assert_uint_eq(v.free_bytes, 550 * 4096);
        ck_assert_double_eq_tol(v.used_percent, 100.0 * 400 / 950, 1e-9);
        ck_assert_double_eq_tol(v.inodes_used_percent, u.inodes_used_percent, 1e-12);
        /* freeing more than is used cannot go below zero */
        usage_after_freeing(&u, UINT64_MAX, &v);
        ck_assert_double_eq_tol(v.used_percent, 0.0, 1e-12);
}
END_TEST

START_TEST(test_measure_real) {
        struct usage u;
        ck_assert_int_eq(usage_measure("/", &u), 0);
        ck_assert_uint_gt(u.total_bytes, 0);
        ck_assert(u.used_percent >= 0.0 && u.used_percent <= 100.0);
        ck_assert_int_eq(usage_measure("/nonexistent/dockerclean", &u), -ENOENT);
        ck_assert_int_eq(usage_measure("", &u), -EINVAL);
}
END_TEST

int main(void) {
        Suite *s = suite_create("usage");
        TCase *tc = tcase_create("core");
        tcase_add_loop_test(tc, test_from_counts, 0, sizeof cases / sizeof cases[0]);
        tcase_add_test(tc, test_after_freeing);
        tcase_add_test(tc, test_measure_real);
        suite_add_tcase(s, tc);
        int failed = dctest_run(s);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
