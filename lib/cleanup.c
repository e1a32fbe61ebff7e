/* The executor and the rounds of one cleanup (see cleanup.h for the call order). */
#include "cleanup.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-bytes.h"
#include "history.h"
#include "stop-times.h"
#include "macro.h"
#include "strv.h"
#include "time-util.h"

/* Engine answers mapped to what the executor reports: gone, now in use (a skip), or a real failure. */
static int classify(struct engine *e, int r) {
        if (r != -EREMOTEIO)
                return r;
        long st = engine_last_error(e)->http_status;
        if (st == 404)
                return -ENOENT;
        if (st == 409)
                return -EBUSY;
        return r;
}

/* How far up an image's chain of untagged parents the executor follows (a legacy build has one per step). */
#define CLEANUP_PARENT_DEPTH_MAX 64

static int deleted_add(char ***deleted, const struct engine_image_delete_result *res) {
        for (size_t k = 0; k < res->n; k++)
                if (res->items[k].deleted && strv_push_dup(deleted, res->items[k].deleted) < 0)
                        return -ENOMEM;
        return 0;
}

/* What DELETE without noprune promises, where the engine did not do it: the containerd image store (dockerd
 * 26) can leave a removed image's untagged parents behind, each now a leaf holding the image's own layers.
 * Each is inspected first and removed by id, never with force, only while it has no tag; a parent that is
 * gone, tagged, or refused (another child, a container) ends the walk: it is not this image's alone.
 * Best effort: what the walk could not remove is not a failure of the removal. */
static void remove_untagged_parents(struct engine *e, const char *parent_id, char ***deleted) {
        _cleanup_free_ char *next = parent_id ? strdup(parent_id) : NULL;

        for (unsigned depth = 0; next && *next && depth < CLEANUP_PARENT_DEPTH_MAX; depth++) {
                if (strv_contains(*deleted, next))
                        return;
                _cleanup_(engine_image_detail_done) struct engine_image_detail d = {};
                if (engine_inspect_image(e, next, &d) < 0 || !strv_isempty(d.repo_tags))
                        return;
                struct engine_image_delete_result res = {};
                if (engine_delete_image(e, next, false, &res) < 0)
                        return;
                int r = deleted_add(deleted, &res);
                engine_image_delete_result_done(&res);
                if (r < 0)
                        return;
                free(next);
                next = TAKE_PTR(d.parent_id);
        }
}

/* Each tag first, then the id, never with force: an image that a container started using a moment ago
 * makes the engine refuse, and then the tags already removed are put back: a skip, not a loss. */
static int remove_image(struct engine *e, const struct policy_action *a, char *ret_message, size_t message_size) {
        size_t n_tags = strv_length(a->tags);
        bool deleted = false, deleted_self = false;
        _cleanup_strv_free_ char **deleted_ids = NULL;
        size_t untagged = 0;
        int r = 0;

        for (size_t i = 0; i < n_tags; i++) {
                struct engine_image_delete_result res = {};
                r = classify(e, engine_delete_image(e, a->tags[i], false, &res));
                if (r == 0) {
                        if (deleted_add(&deleted_ids, &res) < 0) {
                                engine_image_delete_result_done(&res);
                                return -ENOMEM;
                        }
                        for (size_t k = 0; k < res.n; k++)
                                if (res.items[k].deleted) {
                                        deleted = true;
                                        /* The image went with its last tag: no DELETE by id (a 404). */
                                        if (a->id && streq(res.items[k].deleted, a->id))
                                                deleted_self = true;
                                }
                        engine_image_delete_result_done(&res);
                        untagged = i + 1;
                        continue;
                }
                if (r == -ENOENT) { /* that tag went meanwhile */
                        untagged = i + 1;
                        continue;
                }
                break;
        }
        if (deleted_self && r == 0) {
                remove_untagged_parents(e, a->untagged_parent_id, &deleted_ids);
                return 0;
        }
        if (r == 0 || r == -ENOENT) {
                struct engine_image_delete_result res = {};
                r = classify(e, engine_delete_image(e, a->id, false, &res));
                if (r == 0) {
                        r = deleted_add(&deleted_ids, &res);
                        engine_image_delete_result_done(&res);
                        if (r < 0)
                                return r;
                } else if (r == -ENOENT && deleted)
                        r = 0; /* the last tag took the image with it */
                if (r == 0)
                        remove_untagged_parents(e, a->untagged_parent_id, &deleted_ids);
        }
        if (r == -EBUSY || (r < 0 && r != -ENOENT && !engine_error_is_unreachable(r))) {
                /* The delete's error is what to report; the tag calls below replace the engine's. */
                snprintf(ret_message, message_size, "%s", engine_last_error(e)->message);
                /* Best effort: a tag that cannot be put back is lost either way, and r is what to report. */
                for (size_t i = 0; i < untagged; i++)
                        (void) !engine_tag_image(e, a->id, a->tags[i]);
        }
        return r;
}

static int prune_build_cache(struct engine *e, const struct config *c, const struct usage *now,
                             const struct engine_bytes *eb, const struct policy_action *a, uint64_t *ret_reclaimed) {
        char until[32];
        snprintf(until, sizeof until, "%llus", (unsigned long long) a->until_sec);
        struct engine_filter filters[] = { { "until", until } };
        uint64_t keep = policy_build_cache_keep_storage(c, now, a->build_cache_counted);
        /* The engine-bytes limit may need more of it than the filesystem does. */
        keep = MIN(keep, a->build_cache_counted - MIN(a->build_cache_counted, engine_bytes_needed(eb)));
        /* The maximum-age prune takes all that is old enough, whatever the usage. */
        if (a->rule == POLICY_RULE_MAX_AGE)
                keep = 0;
        struct engine_build_prune_options o = {};
        if (engine_api_compare(e, "1.48") >= 0)
                o.reserved_space = keep;
        else
                o.keep_storage = keep;
        struct engine_prune_result res = {};
        int r = engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, filters, a->until_sec ? 1 : 0, &o, &res);
        if (r < 0)
                return r == -EOPNOTSUPP ? -ENOENT : classify(e, r);
        *ret_reclaimed = res.space_reclaimed;
        engine_prune_result_done(&res);
        return 0;
}

/* On failure *ret_message says why: the engine's message (copied, since later calls replace it). */
static int do_action(struct engine *e, const struct config *c, const struct usage *now, const struct engine_bytes *eb,
                     const struct policy_action *a, char *ret_message, size_t message_size,
                     uint64_t *ret_engine_reclaimed) {
        switch (a->kind) {
        case POLICY_ACTION_REMOVE_CONTAINER:
                return classify(e, engine_delete_container(e, a->id, false, false));
        case POLICY_ACTION_REMOVE_IMAGE:
                return remove_image(e, a, ret_message, message_size);
        case POLICY_ACTION_PRUNE_BUILD_CACHE:
                return prune_build_cache(e, c, now, eb, a, ret_engine_reclaimed);
        case POLICY_ACTION_REMOVE_VOLUME:
                return classify(e, engine_delete_volume(e, a->id));
        case POLICY_ACTION_REMOVE_NETWORK:
                return classify(e, engine_delete_network(e, a->id));
        case _POLICY_ACTION_KIND_MAX:
                break;
        }
        return -EINVAL;
}

int cleanup_execute(struct engine *e, const struct config *c, const struct usage_set *filesystems,
                    const struct policy_plan *plan, struct engine_bytes *eb, const atomic_int *cancel,
                    cleanup_step_cb cb, void *userdata, struct cleanup_result *ret_result) {
        struct cleanup_result res = {};
        int r;

        if (!e || !c || !filesystems || filesystems->n == 0 || !plan || !ret_result)
                return -EINVAL;
        if (c->dry_run)
                return -EPERM;
        struct usage_set now = *filesystems;
        r = usage_set_measure(&now, NULL);
        if (r < 0)
                return r;
        res.before_set = now;
        bool kind_stopped[_POLICY_ACTION_KIND_MAX] = {};
        bool replan_now = false; /* a prune fell short: the next round plans from what the engine counts */

        int previous = 0; /* the result of the action before */
        for (size_t i = 0; i < plan->n_actions && i < c->max_removals; i++) {
                const struct policy_action *a = &plan->actions[i];
                /* A builder's state volume goes right after its container, or not at all. */
                if (a->with_previous && previous != 0 && previous != -ENOENT)
                        continue;
                /* Maximum-age removals are not for the targets: they lead the plan and all run. */
                if (!a->with_previous && a->rule != POLICY_RULE_MAX_AGE && policy_targets_met_all(c, &now) &&
                    engine_bytes_met(eb))
                        break;
                if (cancel && *cancel) {
                        res.cancelled = true;
                        break;
                }
                if (kind_stopped[a->kind]) {
                        res.n_short_stopped++;
                        continue;
                }
                struct cleanup_step step = { .action = a };
                char message[sizeof engine_last_error(e)->message] = "";
                const struct usage *neediest = &now.fs[policy_neediest(c, &now)].usage;
                r = do_action(e, c, neediest, eb, a, message, sizeof message, &step.engine_reclaimed);
                step.result = r;
                previous = r;
                if (r < 0 && r != -ENOENT && r != -EBUSY) {
                        if (!message[0])
                                snprintf(message, sizeof message, "%s", engine_last_error(e)->message);
                        step.message = message;
                }

                struct usage_set after = now;
                int m = usage_set_measure(&after, NULL);
                if (m < 0) {
                        res.error = m;
                        res.error_stage = CLEANUP_STAGE_MEASURE;
                        break;
                }
                step.after = after.fs[policy_neediest(c, &after)].usage;
                step.reclaimed_bytes = usage_set_freed(&now, &after);
                now = after;

                if (r == 0) {
                        /* Not measured again: the engine's own figure, else the plan's estimate. */
                        if (eb)
                                engine_bytes_freed(eb, a->kind, step.engine_reclaimed ? step.engine_reclaimed : a->estimated_bytes);
                        res.n_removed++;
                        res.tier_removed[a->tier]++;
                        res.rule_removed[a->rule]++;
                        res.tier_reclaimed[a->tier] += step.reclaimed_bytes;
                        /* The engine's own figure counts too: another filesystem may have gained. */
                        uint64_t freed = MAX(step.reclaimed_bytes, step.engine_reclaimed);
                        if (policy_prune_replans(a, freed, policy_targets_met_all(c, &now)) &&
                            !policy_removal_short(a->estimated_bytes, freed))
                                replan_now = true;
                        if (policy_removal_short(a->estimated_bytes, freed)) {
                                step.short_freed = true;
                                res.n_short++;
                                if (policy_short_stops_kind(a->kind)) {
                                        kind_stopped[a->kind] = true;
                                        res.replan = true;
                                }
                        }
                } else if (r == -ENOENT || r == -EBUSY) {
                        res.n_skipped++;
                        res.n_refused += r == -EBUSY;
                } else
                        res.n_failed++;
                if (cb)
                        cb(&step, userdata);
                if (r == -ECANCELED) {
                        res.cancelled = true;
                        break;
                }
                if (engine_error_is_unreachable(r) || r == -ETIMEDOUT) {
                        res.error = r;
                        res.error_stage = CLEANUP_STAGE_REMOVE;
                        break;
                }
                if (replan_now) {
                        res.replan = true;
                        break;
                }
        }
        res.after_set = now;
        res.before = res.before_set.fs[policy_neediest(c, &res.before_set)].usage;
        res.after = now.fs[policy_neediest(c, &now)].usage;
        res.reclaimed_bytes = usage_set_freed(&res.before_set, &now);
        res.targets_met = policy_targets_met_all(c, &now) && engine_bytes_met(eb);
        *ret_result = res;
        return 0;
}

static void result_add(struct cleanup_result *total, const struct cleanup_result *round) {
        total->after = round->after;
        total->after_set = round->after_set;
        total->kept = round->kept;
        total->n_refused += round->n_refused;
        total->n_removed += round->n_removed;
        total->n_skipped += round->n_skipped;
        total->n_short += round->n_short;
        total->n_short_stopped += round->n_short_stopped;
        total->n_failed += round->n_failed;
        total->targets_met = round->targets_met;
        total->cancelled = round->cancelled;
        for (size_t t = 0; t < _CONFIG_TIER_MAX; t++) {
                total->tier_reclaimed[t] += round->tier_reclaimed[t];
                total->tier_removed[t] += round->tier_removed[t];
        }
        for (size_t k = 0; k < _POLICY_RULE_MAX; k++)
                total->rule_removed[k] += round->rule_removed[k];
        total->kept_normal = round->kept_normal;
        memcpy(total->df_error, round->df_error, sizeof total->df_error);
}

/* One round: snapshot, plan, and (unless a dry run) carry it out with at most removals_left removals.
 * pressure: a trigger held, or the engine's bytes were over their limit, when the cleanup started (later rounds go on
 * to the targets without one). */
static int run_round(struct engine *e, const struct config *c, unsigned removals_left, bool pressure,
                     const struct cleanup_run_options *o, const struct usage_set *fs, struct cleanup_result *ret,
                     enum cleanup_stage *ret_stage) {
        const struct usage *u = &fs->fs[policy_neediest(c, fs)].usage;
        _cleanup_(cleanup_snapshot_done) struct cleanup_snapshot snap = {};
        *ret_stage = CLEANUP_STAGE_SNAPSHOT;
        int r = cleanup_snapshot_take(e, c, o->history, o->stop_times, time_realtime_ns(o->clock_offset_ns), &snap);
        if (r < 0)
                return r;
        /* Gone containers' stop times go; after -ENOMEM they stay, and only cost memory until next time. */
        if (o->stop_times)
                (void) !stop_times_forget_unlisted(o->stop_times, &snap.snapshot);
        /* The snapshot's /system/df is a fresh measurement of the engine's own bytes, for free. */
        if (engine_bytes_enabled(o->engine_bytes) && snap.have_df)
                engine_bytes_measured(o->engine_bytes, &snap.df, now_monotonic_usec());
        bool engine_bytes_short = engine_bytes_enabled(o->engine_bytes) && !engine_bytes_met(o->engine_bytes);
        /* The safety valve counts over the whole cleanup, not per round. */
        struct config rc = *c;
        rc.max_removals = removals_left;
        /* The maximum-age pass only when the caller says it is due (at most once per interval). */
        if (!o->max_age)
                for (size_t i = 0; i < ELEMENTSOF(rc.tiers); i++)
                        rc.tiers[i].max_unused_age_sec = 0;
        _cleanup_(policy_plan_done) struct policy_plan plan = {};
        *ret_stage = CLEANUP_STAGE_PLAN;
        r = policy_plan(&rc, u, &snap.snapshot, &plan);
        if (r < 0)
                return r;
        engine_bytes_adjust_plan(o->engine_bytes, &plan);
        /* Below every trigger (and within the engine-bytes limit) only the maximum-age removals may run: the
         * rest waits for pressure. The plan is cut there (also as the caller sees it). */
        struct policy_plan *run = &plan;
        struct policy_plan cut;
        if (!pressure) {
                cut = plan;
                cut.n_actions = cut.n_to_target = plan.n_max_age;
                cut.truncated = false;
                cut.critical = false;
                run = &cut;
        }
        if (o->on_plan)
                o->on_plan(run, u, o->userdata);
        if (c->dry_run) {
                *ret = (struct cleanup_result){ .before = *u, .after = *u, .before_set = *fs, .after_set = *fs,
                                                .kept = plan.kept, .kept_normal = plan.kept_normal };
                memcpy(ret->df_error, snap.df_error, sizeof ret->df_error);
                return 0;
        }
        *ret_stage = CLEANUP_STAGE_MEASURE; /* what fails before the first removal */
        r = cleanup_execute(e, &rc, fs, run, o->engine_bytes, o->cancel, o->on_step, o->userdata, ret);
        if (r >= 0) {
                memcpy(ret->df_error, snap.df_error, sizeof ret->df_error);
                ret->kept = plan.kept;
                ret->kept_normal = plan.kept_normal;
                ret->engine_bytes_unverified = engine_bytes_short && ret->n_removed > 0 && engine_bytes_met(o->engine_bytes);
                /* Removed images gave their layers back to the build-cache records that shared them:
                 * the next round's prune can take them. */
                ret->unshared = snap.snapshot.build_cache.shared > 0 &&
                                ret->tier_removed[CONFIG_TIER_DANGLING_IMAGES] + ret->tier_removed[CONFIG_TIER_UNUSED_IMAGES] > 0;
        }
        return r;
}

int cleanup_run(struct engine *e, const struct config *c, const struct usage_set *before,
                const struct cleanup_run_options *o, struct cleanup_result *ret_result) {
        if (!e || !c || !before || before->n == 0 || !o || !ret_result)
                return -EINVAL;
        const struct usage *neediest = &before->fs[policy_neediest(c, before)].usage;
        struct cleanup_result total = { .before = *neediest, .after = *neediest, .before_set = *before, .after_set = *before };
        unsigned removals_left = c->max_removals;
        bool pressure = policy_triggered_any(c, before) || engine_bytes_over(o->engine_bytes);
        total.stop = CLEANUP_STOP_ROUNDS;
        while (total.n_rounds < CLEANUP_ROUNDS_MAX) {
                struct cleanup_result res = {};
                enum cleanup_stage stage;
                int r = run_round(e, c, removals_left, pressure, o, &total.after_set, &res, &stage);
                total.n_rounds++;
                if (r < 0) {
                        total.error = r;
                        total.error_stage = stage;
                        total.stop = CLEANUP_STOP_ERROR;
                        break;
                }
                result_add(&total, &res);
                if (res.error < 0) {
                        total.error = res.error;
                        total.error_stage = res.error_stage;
                        total.stop = CLEANUP_STOP_ERROR;
                        break;
                }
                if (c->dry_run) {
                        total.stop = CLEANUP_STOP_DRY_RUN;
                        break;
                }
                /* The estimates can be far from the engine's own figure (the containerd store's LayersSize
                 * counts the unpacked layers, not the blobs beside them): the next round's snapshot says. */
                if (res.targets_met && !res.engine_bytes_unverified) {
                        total.stop = CLEANUP_STOP_TARGETS_MET;
                        break;
                }
                if (res.cancelled) {
                        total.stop = CLEANUP_STOP_CANCELLED;
                        break;
                }
                if (res.n_removed == 0) {
                        total.stop = CLEANUP_STOP_NOTHING_REMOVED;
                        break;
                }
                if (res.n_removed >= removals_left) {
                        total.stop = CLEANUP_STOP_MAX_REMOVALS;
                        break;
                }
                /* Only removed containers unpin something (images, volumes, networks), and removed images
                 * unshare build cache, for another round; a short removal stopped a kind: plan again. */
                if (res.tier_removed[CONFIG_TIER_STOPPED_CONTAINERS] == 0 && !res.engine_bytes_unverified &&
                    !res.unshared && !res.replan) {
                        total.stop = CLEANUP_STOP_NOTHING_UNPINNED;
                        break;
                }
                removals_left -= (unsigned) res.n_removed;
        }
        total.reclaimed_bytes = usage_set_freed(before, &total.after_set);
        *ret_result = total;
        return 0;
}

const char *cleanup_stop_to_string(enum cleanup_stop s) {
        static const char *const names[_CLEANUP_STOP_MAX] = {
                [CLEANUP_STOP_TARGETS_MET] = "targets met",
                [CLEANUP_STOP_CANCELLED] = "cancelled",
                [CLEANUP_STOP_NOTHING_REMOVED] = "nothing removed",
                [CLEANUP_STOP_MAX_REMOVALS] = "max_removals spent",
                [CLEANUP_STOP_NOTHING_UNPINNED] = "no container removed, so nothing newly unpinned",
                [CLEANUP_STOP_ROUNDS] = "round limit",
                [CLEANUP_STOP_DRY_RUN] = "dry run",
                [CLEANUP_STOP_ERROR] = "error",
        };
        return (unsigned) s < _CLEANUP_STOP_MAX ? names[s] : NULL;
}
