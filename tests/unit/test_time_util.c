/* test_time_util.c: the saturating conversions of lib/time-util.c, which every engine time goes through. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "dctest.h"
#include "macro.h"
#include "time-util.h"

START_TEST(test_sec_to_ns) {
        static const struct {
                int64_t sec;
                int64_t ns;
        } table[] = {
                { 0, 0 },
                { 1, NSEC_PER_SEC },
                { -1, -NSEC_PER_SEC },
                { 1700000000, INT64_C(1700000000000000000) },
                { TIME_UNIX_SEC_MAX, TIME_UNIX_SEC_MAX * NSEC_PER_SEC },   /* 2262-04-11 */
                { TIME_UNIX_SEC_MAX + 1, INT64_MAX },
                { INT64_C(9271584300), INT64_MAX },                           /* "Exited (0) 293 years ago" + slack */
                { INT64_MAX, INT64_MAX },
                { INT64_MIN / NSEC_PER_SEC, INT64_MIN / NSEC_PER_SEC * NSEC_PER_SEC },
                { INT64_MIN / NSEC_PER_SEC - 1, INT64_MIN },
                { INT64_MIN, INT64_MIN },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                ck_assert_msg(time_sec_to_ns(table[i].sec) == table[i].ns, "%" PRIi64 " s: %" PRIi64 ", expected %" PRIi64,
                              table[i].sec, time_sec_to_ns(table[i].sec), table[i].ns);
}
END_TEST

START_TEST(test_age_sec_to_ns) {
        static const struct {
                uint64_t sec;
                int64_t ns;
        } table[] = {
                { 0, 0 },
                { 3600, 3600 * NSEC_PER_SEC },
                { 365 * 86400, INT64_C(365) * 86400 * NSEC_PER_SEC },
                { (uint64_t) TIME_UNIX_SEC_MAX, TIME_UNIX_SEC_MAX * NSEC_PER_SEC },
                { (uint64_t) TIME_UNIX_SEC_MAX + 1, INT64_MAX },
                { (uint64_t) INT64_MAX, INT64_MAX },
                { UINT64_MAX, INT64_MAX },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                ck_assert_msg(time_age_sec_to_ns(table[i].sec) == table[i].ns, "%" PRIu64 " s: %" PRIi64 ", expected %" PRIi64,
                              table[i].sec, time_age_sec_to_ns(table[i].sec), table[i].ns);
}
END_TEST

START_TEST(test_clamp_unix_sec) {
        static const struct {
                int64_t sec;
                int64_t clamped;
        } table[] = {
                { 0, 0 },
                { 1700000000, 1700000000 },
                { -1, 0 },
                { INT64_MIN, 0 },
                { TIME_UNIX_SEC_MAX, TIME_UNIX_SEC_MAX },
                { TIME_UNIX_SEC_MAX + 1, TIME_UNIX_SEC_MAX },
                { INT64_MAX, TIME_UNIX_SEC_MAX },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                ck_assert_int_eq(time_clamp_unix_sec(table[i].sec), table[i].clamped);
                /* what is clamped converts without saturating */
                ck_assert_int_eq(time_sec_to_ns(table[i].clamped), table[i].clamped * NSEC_PER_SEC);
        }
}
END_TEST

START_TEST(test_parse_clock_offset) {
        static const struct {
                const char *s;
                int r;
                int64_t ns;
        } table[] = {
                { "0", 0, 0 },
                { "25", 0, 25 * NSEC_PER_SEC },
                { "315360000", 0, TIME_TEST_CLOCK_OFFSET_MAX_SEC * NSEC_PER_SEC },
                { "315360001", -EINVAL, -1 },
                { "99999999999999999999999", -EINVAL, -1 },
                { "", -EINVAL, -1 },
                { "-5", -EINVAL, -1 },
                { " 5", -EINVAL, -1 },
                { "5s", -EINVAL, -1 },
                { "1.5", -EINVAL, -1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                int64_t ns = -1;
                ck_assert_msg(time_parse_clock_offset(table[i].s, &ns) == table[i].r, "'%s'", table[i].s);
                ck_assert_int_eq(ns, table[i].ns); /* untouched on failure */
        }
        ck_assert_int_eq(time_parse_clock_offset(NULL, &(int64_t) { 0 }), -EINVAL);
}
END_TEST

START_TEST(test_realtime_offset) {
        int64_t before = now_realtime_ns();
        int64_t shifted = time_realtime_ns(3600 * NSEC_PER_SEC);
        int64_t after = now_realtime_ns();
        ck_assert_int_ge(shifted, before + 3600 * NSEC_PER_SEC);
        ck_assert_int_le(shifted, after + 3600 * NSEC_PER_SEC);
        int64_t plain = time_realtime_ns(0);
        ck_assert_int_ge(plain, after);
        ck_assert_int_le(plain, now_realtime_ns());
        ck_assert_int_eq(time_realtime_ns(INT64_MAX), INT64_MAX); /* saturates */
}
END_TEST

int main(void) {
        Suite *s = suite_create("time_util");
        TCase *tc = tcase_create("convert");
        tcase_add_test(tc, test_sec_to_ns);
        tcase_add_test(tc, test_age_sec_to_ns);
        tcase_add_test(tc, test_clamp_unix_sec);
        tcase_add_test(tc, test_parse_clock_offset);
        tcase_add_test(tc, test_realtime_offset);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
