/* test_check_decision.c: what one check of the daemon does, before and after a cleanup (lib/check-decision.c). */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "check-decision.h"
#include "dctest.h"
#include "macro.h"

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1800000000) * SEC)           /* when the episode's futile plan ran */
#define NOW_USEC (UINT64_C(1000000) * 100000)    /* CLOCK_MONOTONIC at the check */
#define INTERVAL 60
#define NEVER (-1)

/* The exhausted episode before the check: none, or one planned at T0 at 90 % used (back-off 60 s). */
enum episode_state {
        NO_EPISODE,
        UNCHANGED,                               /* 30 s later, same usage */
        GREW,                                    /* 30 s later, 91.5 % used */
        FREED,                                   /* 30 s later, an event freed something */
        BACKOFF_OVER,                            /* 60 s later */
};

START_TEST(test_before_table) {
        static const struct {
                const char *what;
                bool fs, engine_bytes, max_age_cfg;
                int64_t max_age_ago_sec;         /* NEVER: no pass yet */
                bool once, dry_run, print_plan;
                enum episode_state episode;
                enum check_verdict verdict;
                bool triggered, max_age, replanning;
                enum episode_replan replan;
                bool save_history;
        } table[] = {
                { "below every trigger", false, false, false, NEVER, false, false, false, NO_EPISODE,
                  CHECK_VERDICT_IDLE, false, false, false, EPISODE_REPLAN_NO, true },
                { "below every trigger, the plan printed (--once --dry-run): nothing saved", false, false, false, NEVER, true,
                  true, true, NO_EPISODE, CHECK_VERDICT_IDLE, false, false, false, EPISODE_REPLAN_NO, false },
                { "below every trigger, in a dry-run daemon: the history saved", false, false, false, NEVER, false, true, false,
                  NO_EPISODE, CHECK_VERDICT_IDLE, false, false, false, EPISODE_REPLAN_NO, true },
                { "a filesystem trigger holds", true, false, false, NEVER, false, false, false, NO_EPISODE,
                  CHECK_VERDICT_CLEAN, true, false, false, EPISODE_REPLAN_NO, false },
                { "disk.max_engine_bytes reached", false, true, false, NEVER, false, false, false, NO_EPISODE,
                  CHECK_VERDICT_CLEAN, true, false, false, EPISODE_REPLAN_NO, false },
                { "max_unused_age, no pass yet", false, false, true, NEVER, false, false, false, NO_EPISODE,
                  CHECK_VERDICT_CLEAN, false, true, false, EPISODE_REPLAN_NO, false },
                { "max_unused_age, a pass less than an interval ago", false, false, true, INTERVAL - 1, false, false, false,
                  NO_EPISODE, CHECK_VERDICT_IDLE, false, false, false, EPISODE_REPLAN_NO, true },
                { "max_unused_age, a pass an interval ago", false, false, true, INTERVAL, false, false, false, NO_EPISODE,
                  CHECK_VERDICT_CLEAN, false, true, false, EPISODE_REPLAN_NO, false },
                { "max_unused_age, a pass just now, --once", false, false, true, 0, true, false, false, NO_EPISODE,
                  CHECK_VERDICT_CLEAN, false, true, false, EPISODE_REPLAN_NO, false },
                { "a trigger, and the max-age pass due", true, false, true, INTERVAL, false, false, false, NO_EPISODE,
                  CHECK_VERDICT_CLEAN, true, true, false, EPISODE_REPLAN_NO, false },
                { "a trigger, the max-age pass not due", true, false, true, 1, false, false, false, NO_EPISODE,
                  CHECK_VERDICT_CLEAN, true, false, false, EPISODE_REPLAN_NO, false },
                { "exhausted, nothing changed: wait", true, false, false, NEVER, false, false, false, UNCHANGED,
                  CHECK_VERDICT_WAIT, false, false, false, EPISODE_REPLAN_NO, false },
                { "exhausted, max_engine_bytes alone reached, nothing changed: wait", false, true, false, NEVER, false, false, false,
                  UNCHANGED, CHECK_VERDICT_WAIT, false, false, false, EPISODE_REPLAN_NO, false },
                { "exhausted, usage grew a point", true, false, false, NEVER, false, false, false, GREW,
                  CHECK_VERDICT_CLEAN, true, false, true, EPISODE_REPLAN_GREW, false },
                { "exhausted, an event freed something", true, false, false, NEVER, false, false, false, FREED,
                  CHECK_VERDICT_CLEAN, true, false, true, EPISODE_REPLAN_FREED, false },
                { "exhausted, the back-off ran out", true, false, false, NEVER, false, false, false, BACKOFF_OVER,
                  CHECK_VERDICT_CLEAN, true, false, true, EPISODE_REPLAN_BACKOFF, false },
                { "exhausted, nothing changed, the max-age pass due: plans anyway", true, false, true, INTERVAL, false, false,
                  false, UNCHANGED, CHECK_VERDICT_CLEAN, true, true, true, EPISODE_REPLAN_NO, false },
                { "exhausted, nothing changed, a dry run: never waits", true, false, false, NEVER, false, true, false,
                  UNCHANGED, CHECK_VERDICT_CLEAN, true, false, false, EPISODE_REPLAN_NO, false },
                { "exhausted, then below every trigger: idle (the episode ends)", false, false, false, NEVER, false, false,
                  false, UNCHANGED, CHECK_VERDICT_IDLE, false, false, false, EPISODE_REPLAN_NO, true },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct episode e = {};
                struct usage u = { .used_percent = 90.0 };
                int64_t now_ns = T0 + 30 * SEC;
                if (table[i].episode != NO_EPISODE)
                        ck_assert(episode_exhausted(&e, &u, T0, 0, INTERVAL));
                if (table[i].episode == GREW)
                        u.used_percent = 91.5;
                if (table[i].episode == FREED)
                        episode_note_freed(&e);
                if (table[i].episode == BACKOFF_OVER)
                        now_ns = T0 + INTERVAL * SEC;
                struct check_facts f = {
                        .fs_triggered = table[i].fs,
                        .engine_bytes_over = table[i].engine_bytes,
                        .max_age_configured = table[i].max_age_cfg,
                        .max_age_last_usec = table[i].max_age_ago_sec == NEVER
                                                     ? 0
                                                     : NOW_USEC - (uint64_t) table[i].max_age_ago_sec * 1000000,
                        .now_usec = NOW_USEC,
                        .interval_sec = INTERVAL,
                        .now_ns = now_ns,
                        .once = table[i].once,
                        .dry_run = table[i].dry_run,
                        .print_plan = table[i].print_plan,
                        .episode = &e,
                        .usage = &u,
                };
                struct check_decision d;
                check_decide(&f, &d);
                ck_assert_msg(d.verdict == table[i].verdict, "%s: %s", table[i].what, check_verdict_to_string(d.verdict));
                ck_assert_msg(d.triggered == table[i].triggered, "%s: triggered", table[i].what);
                ck_assert_msg(d.max_age == table[i].max_age, "%s: max_age", table[i].what);
                ck_assert_msg(d.replanning == table[i].replanning, "%s: replanning", table[i].what);
                ck_assert_msg(d.replan == table[i].replan, "%s: %s", table[i].what, episode_replan_to_string(d.replan));
                ck_assert_msg(d.save_history == table[i].save_history, "%s: save_history", table[i].what);
        }
}
END_TEST

START_TEST(test_after_table) {
        static const struct {
                const char *what;
                bool dry_run, triggered, max_age, max_age_found;
                int error;
                bool cancelled, targets_met, still_triggered, episode_active;
                bool cleaned, say_finished, say_nothing_found, max_age_done, count_cleanup, save_history;
                enum check_episode_step episode;
        } table[] = {
                { "the targets were met", false, true, false, false, 0, false, true, false, false,
                  true, true, false, false, true, true, CHECK_EPISODE_ENDS },
                { "the targets were met, ending an episode", false, true, false, false, 0, false, true, false, true,
                  true, true, false, false, true, true, CHECK_EPISODE_ENDS },
                { "short of the targets, but no trigger holds any more", false, true, false, false, 0, false, false, false,
                  true, true, true, false, false, true, true, CHECK_EPISODE_ENDS },
                { "a trigger still holds: exhausted, the episode starts", false, true, false, false, 0, false, false, true,
                  false, true, true, false, false, true, true, CHECK_EPISODE_EXHAUSTED },
                { "a trigger still holds within the episode: still exhausted", false, true, false, false, 0, false, false,
                  true, true, true, true, false, false, true, true, CHECK_EPISODE_STILL_EXHAUSTED },
                { "the engine failed: said, the episode kept", false, true, false, false, -EIO, false, false, true, false,
                  true, true, false, false, true, true, CHECK_EPISODE_KEEP },
                { "stopped (SIGTERM): the episode kept", false, true, false, false, -ECANCELED, true, false, true, false,
                  true, true, false, false, true, true, CHECK_EPISODE_KEEP },
                { "cancelled without an error: the episode kept", false, true, false, false, 0, true, false, true, true,
                  true, true, false, false, true, true, CHECK_EPISODE_KEEP },
                { "a dry run: nothing said, counted or saved", true, true, false, false, 0, false, false, true, false,
                  true, false, false, false, false, false, CHECK_EPISODE_KEEP },
                { "a dry run that failed: the failure said", true, true, false, false, -EIO, false, false, true, false,
                  true, true, false, false, false, false, CHECK_EPISODE_KEEP },
                { "a trigger and the max-age pass: its time stamped", false, true, true, false, 0, false, true, false, false,
                  true, true, false, true, true, true, CHECK_EPISODE_ENDS },
                { "a max-age pass alone that found nothing: no cleanup", false, false, true, false, 0, false, false, false,
                  false, false, false, true, true, false, true, CHECK_EPISODE_ENDS },
                { "a max-age pass alone that removed something", false, false, true, true, 0, false, true, false, false,
                  true, true, false, true, true, true, CHECK_EPISODE_ENDS },
                { "a max-age pass alone that failed: said, not stamped", false, false, true, false, -EIO, false, false, false,
                  false, false, true, false, false, false, true, CHECK_EPISODE_KEEP },
                { "a max-age pass alone, stopped", false, false, true, false, -ECANCELED, true, false, false, false,
                  false, false, true, false, false, true, CHECK_EPISODE_KEEP },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct check_cleanup_facts f = {
                        .dry_run = table[i].dry_run,
                        .triggered = table[i].triggered,
                        .max_age = table[i].max_age,
                        .max_age_found = table[i].max_age_found,
                        .error = table[i].error,
                        .cancelled = table[i].cancelled,
                        .targets_met = table[i].targets_met,
                        .still_triggered = table[i].still_triggered,
                        .episode_active = table[i].episode_active,
                };
                struct check_followup a;
                check_decide_after(&f, &a);
                ck_assert_msg(a.episode == table[i].episode, "%s: %s", table[i].what, check_episode_step_to_string(a.episode));
                ck_assert_msg(a.cleaned == table[i].cleaned, "%s: cleaned", table[i].what);
                ck_assert_msg(a.say_finished == table[i].say_finished, "%s: say_finished", table[i].what);
                ck_assert_msg(a.say_nothing_found == table[i].say_nothing_found, "%s: say_nothing_found", table[i].what);
                ck_assert_msg(a.max_age_done == table[i].max_age_done, "%s: max_age_done", table[i].what);
                ck_assert_msg(a.count_cleanup == table[i].count_cleanup, "%s: count_cleanup", table[i].what);
                ck_assert_msg(a.save_history == table[i].save_history, "%s: save_history", table[i].what);
        }
}
END_TEST

/* The maximum-age pass is configured by any tier's max_unused_age. */
START_TEST(test_max_age_configured) {
        struct config c = { .n_tiers = 2 };
        ck_assert(!check_max_age_configured(&c));
        c.tiers[1].max_unused_age_sec = 86400;
        ck_assert(check_max_age_configured(&c));
        c.n_tiers = 1;
        ck_assert(!check_max_age_configured(&c));
}
END_TEST

START_TEST(test_names) {
        for (int v = 0; v < _CHECK_VERDICT_MAX; v++)
                ck_assert_ptr_nonnull(check_verdict_to_string(v));
        ck_assert_ptr_null(check_verdict_to_string(_CHECK_VERDICT_MAX));
        for (int s = 0; s < _CHECK_EPISODE_STEP_MAX; s++)
                ck_assert_ptr_nonnull(check_episode_step_to_string(s));
        ck_assert_ptr_null(check_episode_step_to_string(_CHECK_EPISODE_STEP_MAX));
}
END_TEST

int main(void) {
        Suite *s = suite_create("check_decision");
        TCase *tc = tcase_create("decide");
        tcase_add_test(tc, test_before_table);
        tcase_add_test(tc, test_after_table);
        tcase_add_test(tc, test_max_age_configured);
        tcase_add_test(tc, test_names);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
