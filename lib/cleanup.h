/* cleanup.h: the small part that talks to the engine on the policy's behalf.
 *
 * cleanup_snapshot_take() lists what the engine has and fills a struct policy_snapshot;
 * cleanup_execute() carries a plan out in order, re-measuring the filesystem (statvfs) after every
 * removal and stopping the moment every target holds. Decisions stay in policy.c: the executor only
 * refuses to go further than the plan, and treats an engine that says no (404 gone, 409 now in use) as a
 * skip, never as a reason to force. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "policy.h"
#include "usage.h"

struct history;

/* Owns the engine's listings and the policy arrays that borrow from them. */
struct cleanup_snapshot {
        struct engine_container_list containers;
        struct engine_image_list images;
        struct engine_df df;
        bool have_df;
        struct engine_network_list networks;
        bool have_networks;
        int64_t *finished_at_ns;       /* per container, from inspect (stopped ones only) */
        int64_t *last_tag_time_ns;     /* per image, from inspect (only images the history does not know) */
        struct policy_container *pcontainers;
        struct policy_image *pimages;
        struct policy_volume *pvolumes;
        struct policy_network *pnetworks;
        struct policy_snapshot snapshot;
};

/* Lists containers (inspecting the stopped ones for State.FinishedAt), images, /system/df (sizes,
 * volumes, build cache) and, when the networks tier is configured, networks. history may be NULL
 * (then last use is the image's Created time). On success *ret is set; free with cleanup_snapshot_done(). */
int cleanup_snapshot_take(struct engine *e, const struct config *c, struct history *h, int64_t now_ns,
                          struct cleanup_snapshot *ret);
void cleanup_snapshot_done(struct cleanup_snapshot *s);

/* What happened to one action, reported as it happens so the daemon can log it at once. */
struct cleanup_step {
        const struct policy_action *action;
        int result;                    /* 0 removed; -ENOENT already gone; -EBUSY now in use (skipped);
                                        * other -errno: the engine failed (message says why) */
        const char *message;           /* the engine's message for failures and skips, else NULL */
        uint64_t reclaimed_bytes;      /* free bytes gained, measured (0 when it shrank meanwhile) */
        uint64_t engine_reclaimed;     /* what the engine says it reclaimed (prunes), else 0 */
        struct usage after;            /* measured right after */
};
typedef void (*cleanup_step_cb)(const struct cleanup_step *step, void *userdata);

struct cleanup_result {
        struct usage before, after;
        size_t n_removed, n_skipped, n_failed;
        uint64_t reclaimed_bytes;      /* after.free_bytes - before.free_bytes (0 if negative) */
        uint64_t tier_reclaimed[_CONFIG_TIER_MAX];
        size_t tier_removed[_CONFIG_TIER_MAX];
        bool targets_met;
        bool cancelled;
        int error;                     /* why it stopped early: -errno (unreachable engine, statvfs), else 0 */
};

/* Runs plan->actions in order, measuring root_dir after each; stops when policy_targets_met() holds, when
 * *cancel is raised (then result.cancelled), or at the end of the plan. Refuses to run (-EPERM) with
 * c->dry_run: a dry run never sends a request that removes anything. Errors of single actions are
 * reported through cb and do not stop the run. Returns 0 with *ret_result filled whenever it started
 * (result.error says why it stopped early: engine unreachable, statvfs failed); -EPERM, -EINVAL or the
 * first measurement's error when it did nothing. */
int cleanup_execute(struct engine *e, const struct config *c, const char *root_dir, const struct policy_plan *plan,
                    const volatile sig_atomic_t *cancel, cleanup_step_cb cb, void *userdata,
                    struct cleanup_result *ret_result);
