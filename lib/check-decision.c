#include "check-decision.h"

#include <errno.h>

bool check_max_age_configured(const struct config *c) {
        for (size_t i = 0; i < c->n_tiers; i++)
                if (c->tiers[i].max_unused_age_sec > 0)
                        return true;
        return false;
}

/* The maximum-age pass runs at most once per interval (checks also follow engine events), and at every --once. */
static bool max_age_due(const struct check_facts *f) {
        if (!f->max_age_configured)
                return false;
        return f->once || f->max_age_last_usec == 0 || f->now_usec - f->max_age_last_usec >= f->interval_sec * 1000000;
}

void check_decide(const struct check_facts *f, struct check_decision *ret) {
        bool triggered = f->fs_triggered || f->engine_bytes_over;
        bool max_age = max_age_due(f);

        if (!triggered && !max_age) {
                *ret = (struct check_decision){ .verdict = CHECK_VERDICT_IDLE, .save_history = !f->print_plan };
                return;
        }
        /* Within an exhausted episode a plan waits for a change; a due maximum-age pass plans anyway. A dry run
         * never starts an episode, so it never waits. */
        bool replanning = f->episode->active && !f->dry_run;
        enum episode_replan due = replanning ? episode_replan_due(f->episode, f->usage, f->now_ns) : EPISODE_REPLAN_NO;
        if (replanning && due == EPISODE_REPLAN_NO && !max_age) {
                *ret = (struct check_decision){ .verdict = CHECK_VERDICT_WAIT };
                return;
        }
        *ret = (struct check_decision){
                .verdict = CHECK_VERDICT_CLEAN,
                .triggered = triggered,
                .max_age = max_age,
                .replanning = replanning,
                .replan = due,
        };
}

static enum check_episode_step episode_step(const struct check_cleanup_facts *f) {
        if (f->dry_run || f->error < 0 || f->cancelled)
                return CHECK_EPISODE_KEEP;
        if (f->targets_met || !f->still_triggered)
                return CHECK_EPISODE_ENDS;
        /* A trigger still holds with nothing more to remove: said once per episode. */
        return f->episode_active ? CHECK_EPISODE_STILL_EXHAUSTED : CHECK_EPISODE_EXHAUSTED;
}

void check_decide_after(const struct check_cleanup_facts *f, struct check_followup *ret) {
        /* A maximum-age pass that found nothing is no cleanup: not a notice twice per interval. */
        bool cleaned = f->triggered || f->max_age_found;
        bool failed = f->error < 0 && f->error != -ECANCELED;
        *ret = (struct check_followup){
                .cleaned = cleaned,
                .say_finished = (cleaned && !f->dry_run) || failed,
                .say_nothing_found = !cleaned && !failed,
                .max_age_done = f->max_age && f->error == 0,
                .count_cleanup = cleaned && !f->dry_run,
                .save_history = !f->dry_run,
                .episode = episode_step(f),
        };
}

const char *check_verdict_to_string(enum check_verdict v) {
        static const char *const names[_CHECK_VERDICT_MAX] = {
                [CHECK_VERDICT_IDLE] = "idle",
                [CHECK_VERDICT_WAIT] = "wait",
                [CHECK_VERDICT_CLEAN] = "clean",
        };
        return (unsigned) v < _CHECK_VERDICT_MAX ? names[v] : NULL;
}

const char *check_episode_step_to_string(enum check_episode_step s) {
        static const char *const names[_CHECK_EPISODE_STEP_MAX] = {
                [CHECK_EPISODE_KEEP] = "keep",
                [CHECK_EPISODE_EXHAUSTED] = "exhausted",
                [CHECK_EPISODE_STILL_EXHAUSTED] = "still exhausted",
                [CHECK_EPISODE_ENDS] = "ends",
        };
        return (unsigned) s < _CHECK_EPISODE_STEP_MAX ? names[s] : NULL;
}
