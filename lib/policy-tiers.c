/* policy-tiers.c: the planner's tiers that take no image (see policy-internal.h): the build-cache prune,
 * unused volumes and networks, inactive buildx builders. policy.c runs them in the configured order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy-internal.h"
#include "strv.h"
#include "unlisted.h"

/* One prune per rule. Under MAX_AGE it takes every record unused for max_unused_age (keep_storage 0,
 * whatever the usage); under CRITICAL it goes again with the lowered age, when that is lower. The
 * snapshot's reclaimable counts the records unused for the tier's min_age, so neither of these two is
 * estimated (0 bytes): the estimate stays on the safe side, and the executor measures. */
int planner_tier_build_cache(struct planner *p, const struct config_tier *t) {
        const struct policy_build_cache *b = &p->snapshot->build_cache;
        struct usage now;
        int r;

        if (p->build_cache_planned[p->rule] || !b->supported || b->counted == 0)
                return 0;
        if (p->rule == POLICY_RULE_CRITICAL && planner_age(p, t) >= t->min_age_sec)
                return 0; /* the same prune as the tier's */
        if (planner_full(p))
                return 0;

        usage_after_freeing(p->usage, p->cumulative, &now);
        uint64_t keep = p->rule == POLICY_RULE_MAX_AGE ? 0 : policy_build_cache_keep_storage(p->config, &now, b->counted);
        uint64_t bytes = p->rule == POLICY_RULE_TIER ? MIN(b->reclaimable, b->counted - keep) : 0;

        struct policy_action *a;
        r = planner_add(p, POLICY_ACTION_PRUNE_BUILD_CACHE, t, NULL, NULL, NULL, bytes, 0, &a);
        if (r < 0)
                return r;
        a->keep_storage = keep;
        a->until_sec = planner_age(p, t);
        a->build_cache_counted = b->counted;
        a->replan_unless_met = b->shared > 0;
        p->build_cache_planned[p->rule] = true;
        return 0;
}

static bool volume_in_use(const struct policy_snapshot *s, const struct policy_volume *v) {
        if (v->ref_count > 0)
                return true;
        for (size_t i = 0; i < s->n_containers; i++)
                if (strv_contains(s->containers[i].volumes, v->name))
                        return true;
        return false;
}

int planner_tier_volumes(struct planner *p, const struct config_tier *t) {
        const struct policy_snapshot *s = p->snapshot;
        uint64_t age = planner_age(p, t);
        _cleanup_free_ struct order_item *items = calloc_at_least_one(s->n_volumes, sizeof(*items));
        size_t n = 0;
        int r;

        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_volumes; i++) {
                const struct policy_volume *v = &s->volumes[i];
                if (p->volume_planned[i] || str_empty(v->name))
                        continue;
                if (!v->anonymous && !t->include_named)
                        continue;
                if (volume_in_use(s, v))
                        planner_keep(p, POLICY_KEPT_IN_USE, POLICY_ACTION_REMOVE_VOLUME, t, v->name, v->name, 0, 0);
                else if (policy_labels_protected(p->config, &v->labels))
                        planner_keep(p, POLICY_KEPT_PROTECTED, POLICY_ACTION_REMOVE_VOLUME, t, v->name, v->name, 0, 0);
                else if (!planner_old_enough(v->created_ns, s->now_ns, age))
                        planner_keep(p, POLICY_KEPT_TOO_YOUNG, POLICY_ACTION_REMOVE_VOLUME, t, v->name, v->name,
                                     v->created_ns, age);
                else
                        items[n++] = (struct order_item) { i, v->created_ns, 0, v->name };
        }
        qsort(items, n, sizeof(*items), planner_order_compare);

        for (size_t j = 0; j < n; j++) {
                const struct policy_volume *v = &s->volumes[items[j].index];
                if (planner_full(p)) {
                        planner_over_max_removals(p, n - j);
                        break;
                }
                r = planner_add(p, POLICY_ACTION_REMOVE_VOLUME, t, v->name, v->name, NULL, v->size,
                                v->created_ns, NULL);
                if (r < 0)
                        return r;
                p->volume_planned[items[j].index] = true;
        }
        return 0;
}

static bool network_in_use(const struct policy_snapshot *s, const struct policy_network *w) {
        if (w->n_containers > 0)
                return true;
        for (size_t i = 0; i < s->n_containers; i++)
                if (strv_contains(s->containers[i].networks, w->id) ||
                    strv_contains(s->containers[i].networks, w->name))
                        return true;
        return false;
}

int planner_tier_networks(struct planner *p, const struct config_tier *t) {
        const struct policy_snapshot *s = p->snapshot;
        uint64_t age = planner_age(p, t);
        _cleanup_free_ struct order_item *items = calloc_at_least_one(s->n_networks, sizeof(*items));
        size_t n = 0;
        int r;

        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_networks; i++) {
                const struct policy_network *w = &s->networks[i];
                if (p->network_planned[i] || w->builtin || str_empty(w->id))
                        continue;
                if (network_in_use(s, w))
                        planner_keep(p, POLICY_KEPT_IN_USE, POLICY_ACTION_REMOVE_NETWORK, t, w->id, w->name, 0, 0);
                else if (policy_labels_protected(p->config, &w->labels))
                        planner_keep(p, POLICY_KEPT_PROTECTED, POLICY_ACTION_REMOVE_NETWORK, t, w->id, w->name, 0, 0);
                else if (!planner_old_enough(w->created_ns, s->now_ns, age))
                        planner_keep(p, POLICY_KEPT_TOO_YOUNG, POLICY_ACTION_REMOVE_NETWORK, t, w->id, w->name,
                                     w->created_ns, age);
                else
                        items[n++] = (struct order_item) { i, w->created_ns, 0, w->name ? w->name : w->id };
        }
        qsort(items, n, sizeof(*items), planner_order_compare);

        for (size_t j = 0; j < n; j++) {
                const struct policy_network *w = &s->networks[items[j].index];
                if (planner_full(p)) {
                        planner_over_max_removals(p, n - j);
                        break;
                }
                /* Networks hold no data worth estimating: removing them is hygiene. */
                r = planner_add(p, POLICY_ACTION_REMOVE_NETWORK, t, w->id, w->name, NULL, 0, w->created_ns,
                                NULL);
                if (r < 0)
                        return r;
                p->network_planned[items[j].index] = true;
        }
        return 0;
}

/* inactive-builders: the state volume of builder container k, the volume named "<k's name>_state"; SIZE_MAX
 * when k is no buildx builder container (buildx_buildkit_<builder><n>) or the snapshot lacks the volume. */
size_t planner_builder_state_volume(const struct policy_snapshot *s, const struct policy_container *k) {
        if (!policy_builder_container(k->name))
                return SIZE_MAX;
        size_t n = strlen(k->name);
        for (size_t i = 0; i < s->n_volumes; i++) {
                const char *v = s->volumes[i].name;
                if (v && strncmp(v, k->name, n) == 0 && streq(v + n, "_state"))
                        return i;
        }
        return SIZE_MAX;
}

bool policy_builder_container(const char *name) {
        const char *start;
        size_t len, n;

        if (str_empty(name) || unlisted_builder_name(name, &start, &len) < 0)
                return false;
        n = strlen(name);
        return !(n >= strlen("_state") && streq(name + n - strlen("_state"), "_state")); /* a volume's name */
}

/* Whether a container other than the builder's own (index self) mounts its state volume. */
static bool builder_volume_shared(const struct policy_snapshot *s, size_t self, const struct policy_volume *v) {
        if (v->ref_count > 1)
                return true;
        for (size_t i = 0; i < s->n_containers; i++)
                if (i != self && strv_contains(s->containers[i].volumes, v->name))
                        return true;
        return false;
}

/* A builder is unused since it stopped: one stopped at an unknown time is not old enough (its Created says
 * nothing about its last build); one that never ran counts from its Created. */
static int64_t builder_reference_ns(const struct policy_container *k) {
        if (k->finished_at_ns > 0)
                return k->finished_at_ns;
        return k->state == ENGINE_CONTAINER_CREATED ? k->created_ns : 0;
}

/* Stopped builders, longest unused first, each as two actions: its container, then its state volume. */
int planner_tier_builders(struct planner *p, const struct config_tier *t) {
        const struct policy_snapshot *s = p->snapshot;
        uint64_t age = planner_age(p, t);
        _cleanup_free_ struct order_item *items = calloc_at_least_one(s->n_containers, sizeof(*items));
        _cleanup_free_ size_t *volume_of = calloc_at_least_one(s->n_containers, sizeof(size_t));
        size_t n = 0;
        int r;

        if (!items || !volume_of)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_containers; i++) {
                const struct policy_container *k = &s->containers[i];
                size_t v = planner_builder_state_volume(s, k);
                if (p->container_planned[i] || str_empty(k->id) || v == SIZE_MAX || p->volume_planned[v])
                        continue;
                const struct policy_volume *vol = &s->volumes[v];
                int64_t ref = builder_reference_ns(k);
                if (!engine_container_state_is_removable(k->state) || builder_volume_shared(s, i, vol))
                        planner_keep(p, POLICY_KEPT_IN_USE, POLICY_ACTION_REMOVE_CONTAINER, t, k->id, k->name, 0, 0);
                else if (policy_labels_protected(p->config, &k->labels) ||
                         policy_labels_protected(p->config, &vol->labels))
                        planner_keep(p, POLICY_KEPT_PROTECTED, POLICY_ACTION_REMOVE_CONTAINER, t, k->id, k->name, 0, 0);
                else if (!planner_old_enough(ref, s->now_ns, age))
                        planner_keep(p, POLICY_KEPT_TOO_YOUNG, POLICY_ACTION_REMOVE_CONTAINER, t, k->id, k->name, ref,
                                     age);
                else {
                        volume_of[i] = v;
                        items[n++] = (struct order_item) { i, ref, k->created_ns, k->id };
                }
        }
        qsort(items, n, sizeof(*items), planner_order_compare);

        for (size_t j = 0; j < n; j++) {
                size_t i = items[j].index, v = volume_of[i];
                const struct policy_container *k = &s->containers[i];
                struct policy_action *a;
                /* Both or neither. */
                if (p->plan.n_actions + 2 > p->config->max_removals) {
                        p->plan.truncated = true;
                        planner_over_max_removals(p, n - j);
                        break;
                }
                r = planner_add(p, POLICY_ACTION_REMOVE_CONTAINER, t, k->id, k->name, NULL, k->size_rw, items[j].key1,
                                NULL);
                if (r < 0)
                        return r;
                r = planner_add(p, POLICY_ACTION_REMOVE_VOLUME, t, s->volumes[v].name, s->volumes[v].name, NULL,
                                s->volumes[v].size, items[j].key1, &a);
                if (r < 0)
                        return r;
                a->with_previous = true;
                p->container_planned[i] = true;
                p->volume_planned[v] = true;
        }
        return 0;
}

