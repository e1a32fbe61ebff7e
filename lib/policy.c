/* policy.c: the planner, policy_plan() (see policy.h): the snapshot in, the ordered actions out. No I/O:
 * everything comes from the arguments. Here: the sweeps over the tiers and the container and image tiers;
 * policy-tiers.c has the others and policy-index.c the indexes (they share policy-internal.h). It asks
 * policy-targets.c whether the targets are met and policy-protect.c whether an object is protected. */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docker-ref.h"
#include "macro.h"
#include "sort-util.h"
#include "strv.h"
#include "time-util.h"
#include "policy-internal.h"

const char *policy_action_kind_to_string(enum policy_action_kind k) {
        static const char *const table[_POLICY_ACTION_KIND_MAX] = {
                [POLICY_ACTION_REMOVE_CONTAINER] = "remove-container",
                [POLICY_ACTION_REMOVE_IMAGE] = "remove-image",
                [POLICY_ACTION_PRUNE_BUILD_CACHE] = "prune-build-cache",
                [POLICY_ACTION_REMOVE_VOLUME] = "remove-volume",
                [POLICY_ACTION_REMOVE_NETWORK] = "remove-network",
        };
        if ((unsigned) k >= ELEMENTSOF(table))
                return NULL;
        return table[k];
}

const char *policy_rule_to_string(enum policy_rule r) {
        static const char *const table[_POLICY_RULE_MAX] = {
                [POLICY_RULE_MAX_AGE] = "maximum age",
                [POLICY_RULE_TIER] = "tier",
                [POLICY_RULE_CRITICAL] = "critical pass",
        };
        return (unsigned) r < ELEMENTSOF(table) ? table[r] : NULL;
}

const char *policy_kept_reason_to_string(enum policy_kept_reason r) {
        static const char *const table[_POLICY_KEPT_REASON_MAX] = {
                [POLICY_KEPT_IN_USE] = "in use",
                [POLICY_KEPT_PROTECTED] = "protected",
                [POLICY_KEPT_NEWEST] = "newest of its repository",
                [POLICY_KEPT_TOO_YOUNG] = "too young",
        };
        return (unsigned) r < ELEMENTSOF(table) ? table[r] : NULL;
}

/* An unknown (0) or future reference time is old enough only when nothing is required. */
bool planner_old_enough(int64_t reference_ns, int64_t now_ns, uint64_t min_age_sec) {
        if (min_age_sec == 0)
                return true;
        if (reference_ns <= 0 || now_ns < reference_ns)
                return false;
        if (min_age_sec > (uint64_t) (INT64_MAX / NSEC_PER_SEC))
                return false;
        return now_ns - reference_ns >= (int64_t) min_age_sec * NSEC_PER_SEC;
}

/* When an object of this reference time becomes old enough for min_age; 0 when that cannot be told. */
static int64_t eligible_at(int64_t reference_ns, uint64_t min_age_sec) {
        if (reference_ns <= 0 || min_age_sec > (uint64_t) (INT64_MAX / NSEC_PER_SEC) ||
            reference_ns > INT64_MAX - (int64_t) min_age_sec * NSEC_PER_SEC)
                return 0;
        return reference_ns + (int64_t) min_age_sec * NSEC_PER_SEC;
}

static int64_t container_reference_ns(const struct policy_container *k) {
        return k->finished_at_ns > 0 ? k->finished_at_ns : k->created_ns;
}

static int64_t image_reference_ns(const struct policy_image *i, enum config_tier_type t) {
        if (t == CONFIG_TIER_DANGLING_IMAGES)
                return i->created_ns;
        /* History seeding already counts Created; max() keeps a stale history from making an image older. */
        return MAX(i->last_used_ns, i->created_ns);
}

int planner_order_compare(const void *a, const void *b) {
        const struct order_item *x = a, *y = b;
        if (x->key1 != y->key1)
                return x->key1 < y->key1 ? -1 : 1;
        if (x->key2 != y->key2)
                return x->key2 < y->key2 ? -1 : 1;
        int r = strcmp(x->key3 ? x->key3 : "", y->key3 ? y->key3 : "");
        if (r != 0)
                return r;
        return x->index < y->index ? -1 : x->index > y->index;
}

static void planner_done(struct planner *p) {
        free(p->image_pinned);
        free(p->image_planned);
        free(p->image_parent);
        free(p->container_planned);
        free(p->volume_planned);
        free(p->network_planned);
        free(p->image_newest);
        policy_plan_done(&p->plan);
}

bool planner_full(struct planner *p) {
        if (p->plan.n_actions < p->config->max_removals)
                return false;
        p->plan.truncated = true;
        return true;
}

static void action_done(struct policy_action *a) {
        free(a->id);
        free(a->name);
        strv_freep(&a->tags);
        free(a->untagged_parent_id);
        *a = (struct policy_action) {};
}

/* The age an object of tier t must reach under the sweep's rule. */
uint64_t planner_age(const struct planner *p, const struct config_tier *t) {
        switch (p->rule) {
        case POLICY_RULE_MAX_AGE:
                return MAX(t->max_unused_age_sec, t->min_age_sec);
        case POLICY_RULE_CRITICAL:
                return MIN(t->min_age_sec, p->config->disk.critical_min_age_sec);
        case POLICY_RULE_TIER:
        case _POLICY_RULE_MAX:
                break;
        }
        return t->min_age_sec;
}

static void kept_object_done(struct policy_kept_object *k) {
        free(k->id);
        free(k->name);
        *k = (struct policy_kept_object) {};
}

/* Counts an object that stays, and lists it. The maximum-age sweep counts apart (kept_max_age): the tier
 * sweep after it looks at the same objects. A failure to list is kept in p->error (policy_plan() returns it). */
void planner_keep(struct planner *p, enum policy_kept_reason why, enum policy_action_kind kind,
                         const struct config_tier *t, const char *id, const char *name, int64_t reference_ns,
                         uint64_t min_age_sec) {
        struct policy_kept *k = p->rule == POLICY_RULE_MAX_AGE ? &p->plan.kept_max_age : &p->plan.kept;
        int64_t at = 0;

        if (p->actions_only)
                return;

        switch (why) {
        case POLICY_KEPT_IN_USE:
                k->in_use++;
                break;
        case POLICY_KEPT_PROTECTED:
                k->protected_++;
                break;
        case POLICY_KEPT_NEWEST:
                k->newest++;
                break;
        case POLICY_KEPT_TOO_YOUNG:
                k->too_young++;
                at = eligible_at(reference_ns, min_age_sec);
                if (at > 0 && (k->next_eligible_ns == 0 || at < k->next_eligible_ns))
                        k->next_eligible_ns = at;
                break;
        case _POLICY_KEPT_REASON_MAX:
                break;
        }

        if (p->plan.n_kept_objects == p->n_kept_allocated) {
                size_t n = MAX(p->n_kept_allocated * 2, (size_t) 16);
                struct policy_kept_object *o = reallocarray(p->plan.kept_objects, n, sizeof(*o));
                if (!o) {
                        p->error = -ENOMEM;
                        return;
                }
                p->plan.kept_objects = o;
                p->n_kept_allocated = n;
        }
        struct policy_kept_object o = { .kind = kind, .tier = t->type, .rule = p->rule, .reason = why, .eligible_ns = at };
        if ((id && !(o.id = strdup(id))) || (name && !(o.name = strdup(name)))) {
                kept_object_done(&o);
                p->error = -ENOMEM;
                return;
        }
        p->plan.kept_objects[p->plan.n_kept_objects++] = o;
}

/* Past max_removals: n eligible objects left out (counted by the sweeps that count). */
void planner_over_max_removals(struct planner *p, size_t n) {
        if (p->rule == POLICY_RULE_MAX_AGE)
                p->plan.kept_max_age.over_max_removals += n;
        else
                p->plan.kept.over_max_removals += n;
}

/* Appends an action, copying id, name and tags. The caller checked planner_full(). */
int planner_add(struct planner *p, enum policy_action_kind kind, const struct config_tier *t, const char *id,
                       const char *name, char *const *tags, uint64_t bytes, int64_t reference_ns,
                       struct policy_action **ret) {
        enum config_tier_type tier = t->type;
        if (p->plan.n_actions == p->n_allocated) {
                size_t n = MAX(p->n_allocated * 2, (size_t) 16);
                struct policy_action *a = reallocarray(p->plan.actions, n, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                p->plan.actions = a;
                p->n_allocated = n;
        }

        struct policy_action a = {
                .kind = kind,
                .tier = tier,
                .rule = p->rule,
                .age_sec = planner_age(p, t),
                .estimated_bytes = bytes,
                .reference_ns = reference_ns,
        };
        if ((id && !(a.id = strdup(id))) || (name && !(a.name = strdup(name))) ||
            (kind == POLICY_ACTION_REMOVE_IMAGE && strv_copy(tags, &a.tags) < 0)) {
                action_done(&a);
                return -ENOMEM;
        }

        struct policy_action *slot = &p->plan.actions[p->plan.n_actions++];
        *slot = a;
        p->cumulative = add_sat(p->cumulative, bytes);
        p->plan.estimated_total = add_sat(p->plan.estimated_total, bytes);
        p->plan.tier_bytes[tier] = add_sat(p->plan.tier_bytes[tier], bytes);
        p->plan.tier_actions[tier]++;
        p->plan.rule_actions[p->rule]++;
        if (ret)
                *ret = slot;
        return 0;
}

/* A builder container with its state volume is the inactive-builders tier's when that tier is listed: taken
 * alone, its volume would stay behind, pinned by nothing and taken by no tier. */
static bool left_to_builders(const struct planner *p, const struct policy_container *k) {
        for (size_t i = 0; i < MIN(p->config->n_tiers, ELEMENTSOF(p->config->tiers)); i++)
                if (p->config->tiers[i].type == CONFIG_TIER_INACTIVE_BUILDERS)
                        return planner_builder_state_volume(p->snapshot, k) != SIZE_MAX;
        return false;
}

static int plan_stopped_containers(struct planner *p, const struct config_tier *t) {
        const struct policy_snapshot *s = p->snapshot;
        uint64_t age = planner_age(p, t);
        _cleanup_free_ struct order_item *items = calloc_at_least_one(s->n_containers, sizeof(*items));
        size_t n = 0;
        int r;

        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_containers; i++) {
                const struct policy_container *k = &s->containers[i];
                if (p->container_planned[i] || str_empty(k->id) || left_to_builders(p, k))
                        continue;
                if (!engine_container_state_is_removable(k->state))
                        planner_keep(p, POLICY_KEPT_IN_USE, POLICY_ACTION_REMOVE_CONTAINER, t, k->id, k->name, 0, 0);
                else if (policy_labels_protected(p->config, &k->labels))
                        planner_keep(p, POLICY_KEPT_PROTECTED, POLICY_ACTION_REMOVE_CONTAINER, t, k->id, k->name, 0, 0);
                else if (!planner_old_enough(container_reference_ns(k), s->now_ns, age))
                        planner_keep(p, POLICY_KEPT_TOO_YOUNG, POLICY_ACTION_REMOVE_CONTAINER, t, k->id, k->name,
                                     container_reference_ns(k), age);
                else
                        items[n++] = (struct order_item) { i, container_reference_ns(k), k->created_ns, k->id };
        }
        qsort(items, n, sizeof(*items), planner_order_compare);

        for (size_t j = 0; j < n; j++) {
                const struct policy_container *k = &s->containers[items[j].index];
                if (planner_full(p)) {
                        planner_over_max_removals(p, n - j);
                        break;
                }
                r = planner_add(p, POLICY_ACTION_REMOVE_CONTAINER, t, k->id, k->name, NULL, k->size_rw,
                                items[j].key1, NULL);
                if (r < 0)
                        return r;
                p->container_planned[items[j].index] = true;
        }
        return 0;
}

/* Whether image i is this tier's to plan; an image of this tier that must stay is counted in plan.kept. */
static bool image_candidate(struct planner *p, size_t i, const struct config_tier *t) {
        const struct policy_image *img = &p->snapshot->images[i];
        bool dangling = strv_isempty(img->tags);
        const char *name = dangling ? NULL : img->tags[0];
        uint64_t age = planner_age(p, t);

        if (p->image_planned[i] || dangling != (t->type == CONFIG_TIER_DANGLING_IMAGES))
                return false;
        if (p->image_pinned[i] || p->images_blocked || policy_image_leased(p->config, img->id))
                planner_keep(p, POLICY_KEPT_IN_USE, POLICY_ACTION_REMOVE_IMAGE, t, img->id, name, 0, 0);
        else if (policy_image_protected(p->config, img->tags, &img->labels))
                planner_keep(p, POLICY_KEPT_PROTECTED, POLICY_ACTION_REMOVE_IMAGE, t, img->id, name, 0, 0);
        else if (t->type == CONFIG_TIER_UNUSED_IMAGES && p->image_newest[i])
                planner_keep(p, POLICY_KEPT_NEWEST, POLICY_ACTION_REMOVE_IMAGE, t, img->id, name, 0, 0);
        else if (!planner_old_enough(image_reference_ns(img, t->type), p->snapshot->now_ns, age))
                planner_keep(p, POLICY_KEPT_TOO_YOUNG, POLICY_ACTION_REMOVE_IMAGE, t, img->id, name,
                             image_reference_ns(img, t->type), age);
        else
                return true;
        return false;
}

/* Both image tiers: candidates minus those with a kept child, then children before parents, otherwise in
 * (reference time, Created, id) order: at each step the first candidate whose candidate children are all
 * planned already. */
static int plan_images(struct planner *p, const struct config_tier *t) {
        const struct policy_snapshot *s = p->snapshot;
        size_t n_images = s->n_images;
        int r;

        if (n_images == 0)
                return 0;

        _cleanup_free_ bool *cand = calloc(n_images, sizeof(bool));
        _cleanup_free_ size_t *pending = calloc(n_images, sizeof(size_t)); /* candidate children not yet planned */
        _cleanup_free_ struct order_item *items = calloc(n_images, sizeof(*items));
        if (!cand || !pending || !items)
                return -ENOMEM;

        for (size_t i = 0; i < n_images; i++)
                cand[i] = image_candidate(p, i, t);

        /* An image with a child that stays (not a candidate, not planned earlier) stays too, and so do its
         * ancestors: walk up from every such child. */
        for (size_t i = 0; i < n_images; i++) {
                if (cand[i] || p->image_planned[i])
                        continue;
                for (size_t a = p->image_parent[i], steps = 0; a != SIZE_MAX && steps < n_images;
                     a = p->image_parent[a], steps++)
                        if (cand[a]) {
                                const struct policy_image *anc = &s->images[a];
                                cand[a] = false;
                                planner_keep(p, POLICY_KEPT_IN_USE, POLICY_ACTION_REMOVE_IMAGE, t, anc->id,
                                             strv_isempty(anc->tags) ? NULL : anc->tags[0], 0, 0); /* a child stays */
                        }
        }

        size_t n = 0;
        for (size_t i = 0; i < n_images; i++) {
                if (!cand[i])
                        continue;
                const struct policy_image *img = &s->images[i];
                items[n++] = (struct order_item) { i, image_reference_ns(img, t->type), img->created_ns, img->id };
                if (p->image_parent[i] != SIZE_MAX)
                        pending[p->image_parent[i]]++;
        }
        qsort(items, n, sizeof(*items), planner_order_compare);

        /* n is small (images on one host); the quadratic scan keeps the order easy to state and to test. */
        _cleanup_free_ bool *done = calloc_at_least_one(n, sizeof(bool));
        if (!done)
                return -ENOMEM;
        for (size_t emitted = 0; emitted < n; emitted++) {
                size_t j = 0;
                while (j < n && (done[j] || pending[items[j].index] > 0))
                        j++;
                if (j == n) {
                        /* a parent cycle (corrupt input): what is left is kept */
                        (p->rule == POLICY_RULE_MAX_AGE ? &p->plan.kept_max_age : &p->plan.kept)->in_use += n - emitted;
                        break;
                }
                if (planner_full(p)) {
                        planner_over_max_removals(p, n - emitted);
                        break;
                }

                size_t i = items[j].index;
                const struct policy_image *img = &s->images[i];
                struct policy_action *a;
                r = planner_add(p, POLICY_ACTION_REMOVE_IMAGE, t, img->id,
                                strv_isempty(img->tags) ? NULL : img->tags[0], img->tags, img->size, items[j].key1,
                                &a);
                if (r < 0)
                        return r;
                size_t parent = p->image_parent[i];
                if (!str_empty(img->parent_id) && (parent == SIZE_MAX || strv_isempty(s->images[parent].tags)) &&
                    !(a->untagged_parent_id = strdup(img->parent_id)))
                        return -ENOMEM;
                done[j] = true;
                p->image_planned[i] = true;
                if (p->image_parent[i] != SIZE_MAX)
                        pending[p->image_parent[i]]--;
        }
        return 0;
}

static void planner_finish(struct planner *p) {
        struct policy_plan *plan = &p->plan;

        plan->inode_pressure = policy_inode_target_unmet(p->config, p->usage);
        plan->bytes_needed = policy_bytes_needed(p->config, p->usage);
        plan->n_to_target = plan->n_actions;
        plan->reachable = false;
        if (plan->inode_pressure)
                return;
        /* The leading MAX_AGE actions run whatever the usage; the count starts after them. */

        uint64_t cumulative = 0;
        for (size_t k = 0;; k++) {
                struct usage after;
                usage_after_freeing(p->usage, cumulative, &after);
                if (k >= plan->n_max_age && policy_byte_targets_met(p->config, &after)) {
                        plan->n_to_target = k;
                        plan->reachable = true;
                        return;
                }
                if (k == plan->n_actions)
                        return;
                cumulative = add_sat(cumulative, plan->actions[k].estimated_bytes);
        }
}

static bool tier_is_images(enum config_tier_type t) {
        return t == CONFIG_TIER_DANGLING_IMAGES || t == CONFIG_TIER_UNUSED_IMAGES;
}

/* Where the build-cache prune goes first: the position of the build-cache tier when image tiers are
 * configured before it and the snapshot's cache shares layers with images (BuildKit-built images)
 * while the prune can still take private records; else SIZE_MAX (the configured order). Removing an
 * image whose layers the cache holds frees about nothing (the records turn private for a later prune),
 * while the prune frees what it says and costs no image: the cheaper victim goes first. */
static size_t prune_first_at(const struct planner *p, size_t n_tiers) {
        const struct config *c = p->config;
        const struct policy_build_cache *b = &p->snapshot->build_cache;
        if (p->rule == POLICY_RULE_MAX_AGE || !b->supported || b->shared == 0 || b->counted == 0)
                return SIZE_MAX;
        bool images_before = false;
        for (size_t i = 0; i < n_tiers; i++) {
                if (c->tiers[i].type == CONFIG_TIER_BUILD_CACHE)
                        return images_before ? i : SIZE_MAX;
                images_before = images_before || tier_is_images(c->tiers[i].type);
        }
        return SIZE_MAX;
}

static int plan_tier(struct planner *p, const struct config_tier *t) {
        int r = -EINVAL; /* a value outside the enum */

        if (p->actions_only && p->plan.n_actions >= p->config->max_removals)
                return 0; /* no tier can add an action */

        if (p->rule == POLICY_RULE_MAX_AGE &&
            (t->max_unused_age_sec == 0 || (t->type != CONFIG_TIER_UNUSED_IMAGES && t->type != CONFIG_TIER_BUILD_CACHE)))
                return 0;
        switch (t->type) {
        case CONFIG_TIER_STOPPED_CONTAINERS:
                r = plan_stopped_containers(p, t);
                break;
        case CONFIG_TIER_DANGLING_IMAGES:
        case CONFIG_TIER_UNUSED_IMAGES:
                r = plan_images(p, t);
                break;
        case CONFIG_TIER_BUILD_CACHE:
                r = planner_tier_build_cache(p, t);
                break;
        case CONFIG_TIER_UNUSED_VOLUMES:
                r = planner_tier_volumes(p, t);
                break;
        case CONFIG_TIER_UNUSED_NETWORKS:
                r = planner_tier_networks(p, t);
                break;
        case CONFIG_TIER_INACTIVE_BUILDERS:
                r = planner_tier_builders(p, t);
                break;
        case _CONFIG_TIER_MAX:
                break;
        }
        return r;
}

/* One sweep over the configured tiers in their order, under p->rule. The maximum-age sweep looks only at
 * the tiers with a max_unused_age. Image tiers configured before the build-cache tier wait for its prune
 * when prune_first_at() says so. */
static int plan_tiers(struct planner *p) {
        const struct config *c = p->config;
        size_t n_tiers = MIN(c->n_tiers, ELEMENTSOF(c->tiers));
        size_t prune_at = prune_first_at(p, n_tiers);
        int r;

        for (size_t i = 0; i < n_tiers; i++) {
                const struct config_tier *t = &c->tiers[i];
                if (prune_at != SIZE_MAX && i < prune_at && tier_is_images(t->type))
                        continue;
                r = plan_tier(p, t);
                if (r < 0)
                        return r;
                if (i != prune_at)
                        continue;
                for (size_t j = 0; j < prune_at; j++)
                        if (tier_is_images(c->tiers[j].type) && (r = plan_tier(p, &c->tiers[j])) < 0)
                                return r;
        }
        return 0;
}


int policy_plan(const struct config *c, const struct usage *u, const struct policy_snapshot *s,
                struct policy_plan *ret_plan) {
        return planner_plan(c, u, s, false, ret_plan);
}

int planner_plan(const struct config *c, const struct usage *u, const struct policy_snapshot *s, bool actions_only,
                 struct policy_plan *ret_plan) {
        int r;

        if (!c || !u || !s || !ret_plan)
                return -EINVAL;
        if ((s->n_containers > 0 && !s->containers) || (s->n_images > 0 && !s->images) ||
            (s->n_volumes > 0 && !s->volumes) || (s->n_networks > 0 && !s->networks))
                return -EINVAL;

        _cleanup_(planner_done) struct planner p = {
                .config = c,
                .usage = u,
                .snapshot = s,
                .actions_only = actions_only,
        };
        p.container_planned = calloc_at_least_one(s->n_containers, sizeof(bool));
        p.volume_planned = calloc_at_least_one(s->n_volumes, sizeof(bool));
        p.network_planned = calloc_at_least_one(s->n_networks, sizeof(bool));
        if (!p.container_planned || !p.volume_planned || !p.network_planned)
                return -ENOMEM;
        r = planner_index_images(&p);
        if (r < 0)
                return r;

        r = planner_index_newest(&p);
        if (r < 0)
                return r;

        /* Maximum age first (those run whatever the usage), then the tiers, then the critical pass. */
        p.rule = POLICY_RULE_MAX_AGE;
        r = plan_tiers(&p);
        if (r < 0)
                return r;
        p.plan.n_max_age = p.plan.n_actions;
        p.rule = POLICY_RULE_TIER;
        r = plan_tiers(&p);
        if (r < 0)
                return r;
        p.plan.kept_normal = p.plan.kept;
        if (policy_critical(c, u)) {
                /* The same objects are looked at again: what stays is counted afresh. */
                size_t n = 0;
                for (size_t i = 0; i < p.plan.n_kept_objects; i++)
                        if (p.plan.kept_objects[i].rule == POLICY_RULE_TIER)
                                kept_object_done(&p.plan.kept_objects[i]);
                        else
                                p.plan.kept_objects[n++] = p.plan.kept_objects[i];
                p.plan.n_kept_objects = n;
                p.plan.kept = (struct policy_kept) {};
                p.plan.critical = true;
                p.rule = POLICY_RULE_CRITICAL;
                r = plan_tiers(&p);
                if (r < 0)
                        return r;
        }
        if (p.error < 0)
                return p.error;

        planner_finish(&p);
        *ret_plan = p.plan;
        p.plan = (struct policy_plan) {};
        return 0;
}

void policy_plan_done(struct policy_plan *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_actions; i++)
                action_done(&p->actions[i]);
        free(p->actions);
        for (size_t i = 0; i < p->n_kept_objects; i++)
                kept_object_done(&p->kept_objects[i]);
        free(p->kept_objects);
        *p = (struct policy_plan) {};
}
