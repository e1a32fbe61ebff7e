/* cleanup.h: the part that talks to the engine on the policy's behalf.
 *
 * The call order of one cleanup, said once here:
 *   cleanup_run()                        the rounds, one max_removals count across them
 *     round: cleanup_snapshot_take()     list what the engine has into a struct policy_snapshot
 *            policy_plan()               the pure decision (policy.h)
 *            on_plan()                   the caller sees the plan (a dry run stops here, after round 1)
 *            cleanup_execute()           carry it out in order, re-measuring (statvfs) after every
 *                                        removal and stopping the moment every target holds
 *   A round that removed containers may have unpinned images, volumes and networks, and one that removed
 *   images whose layers build-cache records share (the snapshot's build_cache.shared) made those records
 *   private, for a prune to take; a round that stopped a kind of removal because one freed under 1% of
 *   its estimate (policy_removal_short()), or a build-cache prune that fell short of the targets
 *   (policy_prune_replans()), wants a fresh snapshot too. Then another round follows; the
 *   rounds stop when the targets are met, when cancelled, when a round removed nothing, when
 *   max_removals is spent, when nothing was newly unpinned or unshared, on an error, or after CLEANUP_ROUNDS_MAX rounds.
 * A plan made at or above disk.critical_watermark goes on, after the tiers' own min_age, with the critical
 * pass (policy.h); maximum-age removals (cleanup_run_options.max_age) lead the plan and run even when
 * the targets hold, and are all a cleanup below every trigger does.
 * Decisions stay in the policy (policy.h): the executor only refuses to go further than the plan, and treats an
 * engine that says no (404 gone, 409 now in use) as a skip, never as a reason to force. */
#pragma once

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "macro.h"
#include "policy.h"
#include "usage.h"

struct engine_bytes;
struct history;
struct stop_times;

/* Owns the engine's listings and the policy arrays that borrow from them. */
struct cleanup_snapshot {
        struct engine_container_list containers;
        struct engine_image_list images;
        struct engine_image_list all_images;   /* ?all=1, only when a SharedSize cannot be trusted */
        bool have_all_images;
        struct engine_df df;
        bool have_df;
        char df_error[512];            /* why /system/df failed (an engine error twice, or a malformed answer): then !have_df */
        struct engine_df_image **df_images_by_id; /* df.images sorted by id, for lookups */
        struct engine_image **images_by_id;       /* images sorted by id, likewise */
        struct engine_network_list networks;
        bool have_networks;
        int64_t *finished_at_ns;       /* per container: State.FinishedAt from the stop times or an inspect, for
                                        * the stopped ones whose stop time can change the plan; else 0 */
        int64_t *size_rw;              /* per container: SizeRw from an inspect or the stop times where /system/df
                                        * was not asked for containers; else -1 */
        bool *stop_known;              /* per container: finished_at_ns is known (or it is gone) */
        uint64_t *log_bytes;           /* per container: its log files (LogPath and rotations), measured when
                                        * this snapshot inspected it stopped; they go with it, so they are in
                                        * its estimate; else 0 */
        size_t n_inspected;            /* containers inspected for their stop time */
        size_t n_from_stop_times;      /* stop times the stop-times store knew */
        size_t n_stale;                /* of those, stop times the listing's Status proved stale */
        int64_t *last_tag_time_ns;     /* per image, from inspect (only images the history does not know) */
        bool *last_tag_deferred;       /* per image: its LastTagTime is wanted for the history but was not
                                        * fetched, as policy_unknowns() said it cannot change this plan */
        size_t n_last_tag_deferred;
        struct policy_container *pcontainers;
        struct policy_image *pimages;
        struct policy_volume *pvolumes;
        struct policy_network *pnetworks;
        struct policy_snapshot snapshot;
};

/* Lists /system/df (sizes, volumes, build cache; from API 1.42 only the parts the tiers use),
 * containers, images and, when the networks tier is configured, networks; State.FinishedAt of the
 * stopped containers whose stop time can change the plan (from st, else an inspect of what
 * policy_unknowns() names, which is noted in st). h may be NULL (then last use is the image's Created
 * time), st too (then every stop time is unknown until inspected). On success *ret is set; free with
 * cleanup_snapshot_done(). */
int cleanup_snapshot_take(struct engine *e, const struct config *c, struct history *h, struct stop_times *st,
                          int64_t now_ns, struct cleanup_snapshot *ret) _must_check_;
void cleanup_snapshot_done(struct cleanup_snapshot *s);

/* Where a cleanup failed: engine_last_error() tells more for every stage but the measuring. */
enum cleanup_stage {
        CLEANUP_STAGE_NONE,
        CLEANUP_STAGE_SNAPSHOT,        /* listing or inspecting what the engine has */
        CLEANUP_STAGE_PLAN,            /* the planner (out of memory) */
        CLEANUP_STAGE_MEASURE,         /* statvfs of the filesystem */
        CLEANUP_STAGE_REMOVE,          /* a removal: the engine went away or timed out */
};

/* Why cleanup_run() stopped. */
enum cleanup_stop {
        CLEANUP_STOP_TARGETS_MET,
        CLEANUP_STOP_CANCELLED,
        CLEANUP_STOP_NOTHING_REMOVED,  /* a round removed nothing: what is left may not be removed */
        CLEANUP_STOP_MAX_REMOVALS,     /* max_removals spent */
        CLEANUP_STOP_NOTHING_UNPINNED, /* no container (nor image sharing build cache) removed: another
                                        * round would plan the same */
        CLEANUP_STOP_ROUNDS,           /* CLEANUP_ROUNDS_MAX rounds */
        CLEANUP_STOP_DRY_RUN,          /* one round planned, nothing removed */
        CLEANUP_STOP_ERROR,            /* result.error says why */
        _CLEANUP_STOP_MAX,
};
#define CLEANUP_ROUNDS_MAX 4

/* What happened to one action, reported as it happens so the daemon can log it at once. */
struct cleanup_step {
        const struct policy_action *action;
        int result;                    /* 0 removed; -ENOENT already gone; -EBUSY now in use (skipped);
                                        * other -errno: the engine failed (message says why) */
        const char *message;           /* the engine's message for failures and skips, else NULL */
        uint64_t reclaimed_bytes;      /* free bytes gained over every filesystem (0 when they shrank meanwhile) */
        uint64_t engine_reclaimed;     /* what the engine says it reclaimed (prunes), else 0 */
        bool short_freed;              /* removed, but freed under 1% of its estimate (policy_removal_short()):
                                        * no more of its kind this round */
        struct usage after;            /* measured right after, of the filesystem that needs the most */
};
typedef void (*cleanup_step_cb)(const struct cleanup_step *step, void *userdata);

struct cleanup_result {
        struct usage before, after;    /* the filesystem that needed the most (policy_neediest()) */
        struct usage_set before_set, after_set; /* every filesystem */
        size_t n_removed, n_skipped, n_failed;
        size_t n_refused;              /* of n_skipped: the engine said it is in use now (409) */
        size_t n_short;                /* of n_removed: freed under 1% of the estimate (cleanup_step.short_freed) */
        size_t n_short_stopped;        /* actions not run as their kind was stopped by a short removal */
        bool replan;                   /* a short removal stopped a kind: the next round plans afresh */
        bool unshared;                 /* images were removed while build-cache records shared layers */
        char df_error[512];            /* the last round planned without /system/df: why (the build cache
                                        * not counted, image sizes from the listing); "" = none */
        uint64_t reclaimed_bytes;      /* free bytes gained, summed over the filesystems */
        uint64_t tier_reclaimed[_CONFIG_TIER_MAX];
        size_t tier_removed[_CONFIG_TIER_MAX];
        size_t rule_removed[_POLICY_RULE_MAX];  /* removed by maximum age, by the tiers, in the critical pass */
        bool targets_met;
        bool engine_bytes_unverified;        /* the engine's own bytes were over target_engine_bytes at the round's
                                        * snapshot and are below it only by the estimates subtracted since
                                        * (cleanup_run() measures them again with another round) */
        bool cancelled;
        int error;                     /* why it stopped early: -errno (unreachable engine, statvfs), else 0 */
        enum cleanup_stage error_stage;  /* where error happened */
        /* cleanup_run() only: */
        unsigned n_rounds;             /* rounds started, the failed one included */
        enum cleanup_stop stop;        /* why the rounds ended */
        struct policy_kept kept;       /* what the last round's plan left, and why */
        struct policy_kept kept_normal; /* ... before its critical pass (= kept when there was none) */
};

/* Runs plan->actions in order, measuring every filesystem after each; stops when the targets hold on all
 * of them (policy_targets_met_all()) and the engine-bytes limit is met (engine_bytes_met(); eb may be NULL:
 * off; each removal's bytes are subtracted from it, see engine-bytes.h), when
 * *cancel is raised (then result.cancelled), or at the end of the plan. Refuses to run (-EPERM) with
 * c->dry_run: a dry run never sends a request that removes anything. Errors of single actions are
 * reported through cb and do not stop the run. Returns 0 with *ret_result filled whenever it started
 * (result.error says why it stopped early: engine unreachable, statvfs failed); -EPERM, -EINVAL or the
 * first measurement's error when it did nothing. */
int cleanup_execute(struct engine *e, const struct config *c, const struct usage_set *filesystems,
                    const struct policy_plan *plan, struct engine_bytes *eb, const atomic_int *cancel,
                    cleanup_step_cb cb, void *userdata, struct cleanup_result *ret_result) _must_check_;

/* Called with every round's plan before it is carried out (in a dry run, the only round's). */
typedef void (*cleanup_plan_cb)(const struct policy_plan *plan, const struct usage *planned_at, void *userdata);

struct cleanup_run_options {
        struct history *history;               /* may be NULL (then last use is the image's Created time) */
        struct stop_times *stop_times;         /* may be NULL (then every stop time is inspected) */
        const atomic_int *cancel;              /* may be NULL */
        cleanup_plan_cb on_plan;               /* may be NULL */
        cleanup_step_cb on_step;               /* may be NULL; every action, as it happens */
        void *userdata;                        /* for both callbacks */
        struct engine_bytes *engine_bytes;     /* may be NULL; disk.max_engine_bytes: each round's snapshot
                                                * measures it, each removal subtracts from it, and the
                                                * targets hold only once it is met (engine-bytes.h) */
        int64_t clock_offset_ns;               /* added to the wall clock the ages count from
                                                * (time_realtime_ns()); 0 but in a test build */
        bool max_age;                          /* plan the tiers' max_unused_age removals: the caller
                                                * says when that pass is due (at most once per interval).
                                                * Below every trigger they are all a cleanup does. */
};

/* One whole cleanup, starting from the filesystems measured in *before (each is measured again after every
 * removal; the plan is made for the one that needs the most): rounds of snapshot, plan and execution as
 * described at the top. With c->dry_run one round is planned and nothing removed.
 * Returns 0 with *ret_result filled (totals over every round; result.error and result.stop say why it
 * ended, a failed snapshot or listing in any round included), or -EINVAL for missing arguments. */
int cleanup_run(struct engine *e, const struct config *c, const struct usage_set *before,
                const struct cleanup_run_options *o, struct cleanup_result *ret_result) _must_check_;

/* "targets met", "cancelled", ...; NULL if out of range. */
const char *cleanup_stop_to_string(enum cleanup_stop s);
