/* check-decision.h: what one check of the daemon does with what it measured. Before a cleanup: nothing
 * (below every trigger, no maximum-age pass due: an exhausted episode ends), wait (every tier is still
 * exhausted and nothing changed since), or plan and clean (a trigger holds and/or the maximum-age pass is
 * due). After it: whether it counts as a cleanup, what is said, and the episode's next step (exhausted for
 * the first time: the record, the unlisted bytes and the last resort; still exhausted; over; unchanged).
 * daemon/check.c measures, asks these two, then does what they say.
 * Pure: no I/O, no clock, no logging; times are passed in. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "episode.h"
#include "usage.h"

/* What a check measured and knows before it may clean. Pointers are borrowed for the call. */
struct check_facts {
        bool fs_triggered;               /* policy_triggered() holds on a measured filesystem */
        bool engine_bytes_over;          /* disk.max_engine_bytes reached (engine_bytes_over()) */
        bool max_age_configured;         /* check_max_age_configured() */
        uint64_t max_age_last_usec;      /* CLOCK_MONOTONIC of the last maximum-age pass; 0 = none yet */
        uint64_t now_usec;               /* CLOCK_MONOTONIC now */
        uint64_t interval_sec;           /* the check interval: a maximum-age pass at most once per interval */
        int64_t now_ns;                  /* CLOCK_REALTIME now, unix ns (the episode's times) */
        bool once;                       /* --once: the maximum-age pass is always due */
        bool dry_run;                    /* plans only: an exhausted episode never holds a plan back */
        bool print_plan;                 /* --once --dry-run, the plan on stdout: nothing is saved */
        const struct episode *episode;
        const struct usage *usage;       /* of the neediest filesystem (policy_neediest()) */
};

enum check_verdict {
        CHECK_VERDICT_IDLE,              /* below every trigger and no maximum-age pass due: the episode ends */
        CHECK_VERDICT_WAIT,              /* every tier still exhausted, nothing changed: no plan this time */
        CHECK_VERDICT_CLEAN,             /* plan, and clean unless dry_run */
        _CHECK_VERDICT_MAX,
};

struct check_decision {
        enum check_verdict verdict;
        bool triggered;                  /* CLEAN: a trigger holds (a cleanup started); else only a max-age pass */
        bool max_age;                    /* CLEAN: the maximum-age pass is part of the plan */
        bool replanning;                 /* CLEAN: within an exhausted episode; replan says why */
        enum episode_replan replan;      /* ... (EPISODE_REPLAN_NO: only because the maximum-age pass is due) */
        bool save_history;               /* IDLE: save the history (not for a printed plan) */
};

/* Whether a tier has a max_unused_age: then a maximum-age pass runs once per interval even below every
 * trigger. */
bool check_max_age_configured(const struct config *c);

/* What a check does before it may clean; *ret is always set. */
void check_decide(const struct check_facts *f, struct check_decision *ret);

/* What a cleanup that ran (check_decide() said CLEAN) did. */
struct check_cleanup_facts {
        bool dry_run;
        bool triggered;                  /* check_decision.triggered */
        bool max_age;                    /* check_decision.max_age */
        bool max_age_found;              /* a max-age pass alone (not triggered) planned something */
        int error;                       /* cleanup_result.error: 0, or -errno (-ECANCELED: stopped) */
        bool cancelled;                  /* cleanup_result.cancelled */
        bool targets_met;                /* cleanup_result.targets_met */
        bool still_triggered;            /* after it: a trigger holds on a filesystem, or disk.max_engine_bytes is reached */
        bool episode_active;             /* an exhausted episode was on before it */
};

enum check_episode_step {
        CHECK_EPISODE_KEEP,              /* a dry run, a failure or a stop: the episode stays as it is */
        CHECK_EPISODE_EXHAUSTED,         /* the episode starts: say so, where the bytes are, the last resort */
        CHECK_EPISODE_STILL_EXHAUSTED,   /* within the episode: the next plan waits longer */
        CHECK_EPISODE_ENDS,              /* the targets were met, or no trigger holds any more */
        _CHECK_EPISODE_STEP_MAX,
};

struct check_followup {
        bool cleaned;                    /* a cleanup, not a max-age pass that found nothing */
        bool say_finished;               /* the finished record: a cleanup that was not a dry run, or a failure */
        bool say_nothing_found;          /* a max-age pass that found nothing, without a failure: debug only */
        bool max_age_done;               /* stamp the maximum-age pass's time (it ran without an error) */
        bool count_cleanup;              /* the statistics count it (cleaned, not a dry run) */
        bool save_history;               /* not a dry run */
        enum check_episode_step episode; /* EXHAUSTED and STILL_EXHAUSTED: episode_exhausted(); ENDS: episode_end() */
};

/* What follows a cleanup; *ret is always set. */
void check_decide_after(const struct check_cleanup_facts *f, struct check_followup *ret);

/* "idle", ...; NULL if out of range (for the tests and debug messages). */
const char *check_verdict_to_string(enum check_verdict v);
const char *check_episode_step_to_string(enum check_episode_step s);
