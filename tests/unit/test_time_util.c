/* test_time_util.c: the saturating conversions of lib/time-util.c, which every engine time goes through. */
#include <check.h>
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

int main(void) {
        Suite *s = suite_create("time_util");
        TCase *tc = tcase_create("convert");
        tcase_add_test(tc, test_sec_to_ns);
        tcase_add_test(tc, test_age_sec_to_ns);
        tcase_add_test(tc, test_clamp_unix_sec);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
