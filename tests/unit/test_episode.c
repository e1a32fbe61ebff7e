/* test_episode.c: when an exhausted host plans again (lib/episode.c). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "dctest.h"
#include "episode.h"
#include "macro.h"

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1800000000) * SEC)

static struct usage at(double percent) {
        return (struct usage){ .used_percent = percent };
}

START_TEST(test_replan_table) {
        static const struct {
                const char *what;
                double used;                 /* at the check */
                int64_t after_sec;           /* since the futile plan */
                int64_t eligible_after_sec;  /* next_eligible, relative; 0 = none */
                bool freed;
                enum episode_replan expected;
        } table[] = {
                { "nothing changed", 90.0, 30, 0, false, EPISODE_REPLAN_NO },
                { "usage grew less than a point", 90.99, 30, 0, false, EPISODE_REPLAN_NO },
                { "usage grew a point", 91.0, 30, 0, false, EPISODE_REPLAN_GREW },
                { "usage fell", 80.0, 30, 0, false, EPISODE_REPLAN_NO },
                { "an event freed something", 90.0, 1, 0, true, EPISODE_REPLAN_FREED },
                { "a candidate not yet old enough", 90.0, 30, 31, false, EPISODE_REPLAN_NO },
                { "a candidate old enough now", 90.0, 31, 31, false, EPISODE_REPLAN_ELIGIBLE },
                { "the back-off (one interval, 60 s) ran out", 90.0, 60, 0, false, EPISODE_REPLAN_BACKOFF },
                { "just before the back-off", 90.0, 59, 0, false, EPISODE_REPLAN_NO },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct episode e = {};
                struct usage u = at(90.0);
                int64_t eligible = table[i].eligible_after_sec ? T0 + table[i].eligible_after_sec * SEC : 0;
                ck_assert(episode_exhausted(&e, &u, T0, eligible, 60));
                if (table[i].freed)
                        episode_note_freed(&e);
                u = at(table[i].used);
                enum episode_replan r = episode_replan_due(&e, &u, T0 + table[i].after_sec * SEC);
                ck_assert_msg(r == table[i].expected, "%s: %s", table[i].what, episode_replan_to_string(r));
        }
}
END_TEST

/* The back-off doubles from the interval within one episode, up to an hour; a new episode starts over. */
START_TEST(test_backoff_doubles) {
        struct episode e = {};
        struct usage u = at(95.0);
        static const uint64_t expected[] = { 60, 120, 240, 480, 960, 1920, 3600, 3600 };
        int64_t now = T0;
        for (size_t i = 0; i < ELEMENTSOF(expected); i++) {
                bool started = episode_exhausted(&e, &u, now, 0, 60);
                ck_assert(started == (i == 0));
                ck_assert_uint_eq(e.backoff_sec, expected[i]);
                ck_assert_int_eq(episode_replan_due(&e, &u, now + (int64_t) expected[i] * SEC - 1), EPISODE_REPLAN_NO);
                ck_assert_int_eq(episode_replan_due(&e, &u, now + (int64_t) expected[i] * SEC), EPISODE_REPLAN_BACKOFF);
                now += (int64_t) expected[i] * SEC;
        }
        episode_end(&e);
        ck_assert(!e.active);
        ck_assert_int_eq(episode_replan_due(&e, &u, now), EPISODE_REPLAN_BACKOFF); /* outside: always due */
        ck_assert(episode_exhausted(&e, &u, now, 0, 60));
        ck_assert_uint_eq(e.backoff_sec, 60);
        /* An interval longer than an hour is the cadence itself. */
        episode_end(&e);
        episode_exhausted(&e, &u, now, 0, 7200);
        episode_exhausted(&e, &u, now, 0, 7200);
        ck_assert_uint_eq(e.backoff_sec, 7200);
}
END_TEST

/* A freed notice outside an episode is not kept for the next one; a re-plan clears it. */
START_TEST(test_freed_belongs_to_the_episode) {
        struct episode e = {};
        struct usage u = at(95.0);
        episode_note_freed(&e);
        ck_assert(episode_exhausted(&e, &u, T0, 0, 60));
        ck_assert_int_eq(episode_replan_due(&e, &u, T0 + SEC), EPISODE_REPLAN_NO);
        episode_note_freed(&e);
        ck_assert_int_eq(episode_replan_due(&e, &u, T0 + SEC), EPISODE_REPLAN_FREED);
        ck_assert(!episode_exhausted(&e, &u, T0 + SEC, 0, 60));
        ck_assert_int_eq(episode_replan_due(&e, &u, T0 + 2 * SEC), EPISODE_REPLAN_NO);
}
END_TEST

int main(void) {
        Suite *s = suite_create("episode");
        TCase *tc = tcase_create("replan");
        tcase_add_test(tc, test_replan_table);
        tcase_add_test(tc, test_backoff_doubles);
        tcase_add_test(tc, test_freed_belongs_to_the_episode);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
