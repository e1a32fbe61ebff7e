/* policy-internal.h: what the planner's files share, policy.c (the planner, its sweeps, the container and
 * image tiers) and policy-tiers.c (build cache, volumes, networks, inactive builders). Not for other
 * modules: they call policy.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* One sortable candidate: ordered by key1, then key2, then key3, then its index (a total order, so the
 * plan does not depend on qsort's instability). */
struct order_item {
        size_t index;
        int64_t key1, key2;
        const char *key3;
};
int planner_order_compare(const void *a, const void *b);

struct planner {
        const struct config *config;
        const struct usage *usage;
        const struct policy_snapshot *snapshot;
        struct policy_plan plan;
        size_t n_allocated;
        uint64_t cumulative;          /* estimated bytes freed by the actions so far */
        bool images_blocked;          /* a container with an unknown image: no image may go */
        bool *image_pinned;           /* per image: used by a container, or an image id we cannot tell apart */
        bool *image_planned;
        size_t *image_parent;         /* index of the parent image, or SIZE_MAX */
        bool *container_planned;
        bool *volume_planned;
        bool *network_planned;
        bool *image_newest;           /* per image: among the newest protect.newest_per_repository of a repository */
        bool build_cache_planned[_POLICY_RULE_MAX];
        enum policy_rule rule;        /* of the sweep over the tiers under way */
        bool actions_only;            /* the actions alone (policy_unknowns()): nothing kept is counted or
                                       * listed, and no tier is looked at once max_removals is reached */
        size_t n_kept_allocated;
        int error;                    /* a failure (-ENOMEM) that functions returning no status hit */
};

static inline bool str_empty(const char *s) {
        return !s || !*s;
}

static inline uint64_t add_sat(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* An unknown (0) or future reference time is old enough only when nothing is required. */
bool planner_old_enough(int64_t reference_ns, int64_t now_ns, uint64_t min_age_sec);
/* Whether max_removals is reached (then the plan is marked truncated). */
bool planner_full(struct planner *p);
/* The age an object of tier t must reach under the sweep's rule. */
uint64_t planner_age(const struct planner *p, const struct config_tier *t);
/* Counts an object that stays, and lists it (a failure to list is kept in p->error). */
void planner_keep(struct planner *p, enum policy_kept_reason why, enum policy_action_kind kind, const struct config_tier *t,
                  const char *id, const char *name, int64_t reference_ns, uint64_t min_age_sec);
/* Past max_removals: n eligible objects left out. */
void planner_over_max_removals(struct planner *p, size_t n);
/* Appends an action, copying id, name and tags; the caller checked planner_full(). 0 or -ENOMEM. */
int planner_add(struct planner *p, enum policy_action_kind kind, const struct config_tier *t, const char *id,
                const char *name, char *const *tags, uint64_t bytes, int64_t reference_ns, struct policy_action **ret);
/* The index in s->volumes of the state volume of builder container k, or SIZE_MAX. */
size_t planner_builder_state_volume(const struct policy_snapshot *s, const struct policy_container *k);

/* policy_plan(), or with actions_only the same actions and nothing else (kept counts and objects empty). */
int planner_plan(const struct config *c, const struct usage *u, const struct policy_snapshot *s, bool actions_only,
                 struct policy_plan *ret_plan);

/* The tiers of policy-tiers.c: each plans its candidates under p->rule; 0 or -errno. */
int planner_tier_build_cache(struct planner *p, const struct config_tier *t);
int planner_tier_volumes(struct planner *p, const struct config_tier *t);
int planner_tier_networks(struct planner *p, const struct config_tier *t);
int planner_tier_builders(struct planner *p, const struct config_tier *t);

/* policy-index.c: pins and parent links (planner_index_images()), and protect.newest_per_repository's
 * newest images (planner_index_newest()); 0 or -errno. */
int planner_index_images(struct planner *p);
int planner_index_newest(struct planner *p);
