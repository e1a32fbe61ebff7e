/* policy-unknowns.c: which unknown stop and tag times can still change the plan (policy_unknowns(), see
 * policy.h). It asks policy_plan() itself, over the snapshot with every unknown at its lower bound: the
 * order and eligibility rules stay written once, in the planner. The snapshot loop (cleanup-snapshot.c)
 * inspects what this names, and asks again, until nothing is named. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy-internal.h"
#include "sort-util.h"
#include "strv.h"

void policy_unknowns_done(struct policy_unknowns *u) {
        if (!u)
                return;
        free(u->stops);
        free(u->sizes);
        free(u->tags);
        *u = (struct policy_unknowns) {};
}

static bool flag(const bool *a, size_t i) {
        return a && a[i];
}

static bool tier_listed(const struct config *c, enum config_tier_type t) {
        for (size_t i = 0; i < MIN(c->n_tiers, ELEMENTSOF(c->tiers)); i++)
                if (c->tiers[i].type == t)
                        return true;
        return false;
}

/* A usage past every watermark: the plan then holds every pass a usage can call for (the critical pass's
 * actions follow the others', which no usage changes). */
static void usage_worst(struct usage *ret) {
        usage_from_counts(1, 100, 0, 0, 0, 0, 0, ret);
}

struct id_index {
        const char *id;
        size_t index;
};

static int id_index_compare(const void *a, const void *b) {
        const struct id_index *x = a, *y = b;
        int r = strcmp(x->id, y->id);
        return r != 0 ? r : (x->index < y->index ? -1 : x->index > y->index);
}

static int cmp_id_id_index(const void *key, const void *element) {
        return strcmp(key, ((const struct id_index *) element)->id);
}

/* The objects of ids[] (sorted) that actions of this kind name, marked in ret_marked. */
static void mark_planned(const struct policy_plan *plan, enum policy_action_kind kind, const struct id_index *ids,
                         size_t n_ids, bool *ret_marked) {
        for (size_t a = 0; a < plan->n_actions; a++) {
                const char *id = plan->actions[a].id;
                if (plan->actions[a].kind != kind || !id)
                        continue;
                for (size_t f = sort_lower_bound(ids, n_ids, sizeof(*ids), id, cmp_id_id_index);
                     f < n_ids && streq(ids[f].id, id); f++)
                        ret_marked[ids[f].index] = true;
        }
}

/* Indexes of the objects that flags (may be NULL: none) marks, and whose id is not empty, sorted by id. */
static int index_ids(const char *(*id_of)(const struct policy_snapshot *, size_t), const struct policy_snapshot *s,
                     size_t n, const bool *a, const bool *b, struct id_index **ret, size_t *ret_n) {
        struct id_index *ids = calloc_at_least_one(n, sizeof(*ids));
        size_t k = 0;
        if (!ids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if ((flag(a, i) || flag(b, i)) && !str_empty(id_of(s, i)))
                        ids[k++] = (struct id_index) { id_of(s, i), i };
        qsort(ids, k, sizeof(*ids), id_index_compare);
        *ret = ids;
        *ret_n = k;
        return 0;
}

static const char *container_id(const struct policy_snapshot *s, size_t i) {
        return s->containers[i].id;
}

static const char *image_id(const struct policy_snapshot *s, size_t i) {
        return s->images[i].id;
}

/* The indexes i < n where want[i] holds, in a new array. */
static int collect(const bool *want, size_t n, size_t **ret, size_t *ret_n) {
        size_t *v = calloc_at_least_one(n, sizeof(*v)), k = 0;
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (want[i])
                        v[k++] = i;
        *ret = v;
        *ret_n = k;
        return 0;
}

static bool any(const bool *a, size_t n) {
        for (size_t i = 0; a && i < n; i++)
                if (a[i])
                        return true;
        return false;
}

/* Whether tagged image i, of unknown tag time, is planned at its lower bound, or has no bound. */
static bool tag_time_counts(const struct policy_snapshot *s, const bool *planned, size_t i) {
        const struct policy_image *im = &s->images[i];
        return !strv_isempty(im->tags) && (planned[i] || MAX(im->last_used_ns, im->created_ns) <= 0);
}

/* Which unknown tag times can matter at all: with newest_per_repository every tagged image's (which are the
 * newest depends on them, in either direction); otherwise those of unpinned tagged images, and only when
 * one of them is planned at its lower bound (or has none: no time known at all). */
static int tags_that_matter(const struct config *c, const struct policy_snapshot *s, const bool *tag,
                            const bool *planned, bool *ret_want) {
        bool newest = c->protect_newest_per_repository > 0, matters = newest;
        if (!any(tag, s->n_images) || !tier_listed(c, CONFIG_TIER_UNUSED_IMAGES))
                return 0;
        /* Most often none is planned: then no index of pins is needed. */
        for (size_t i = 0; !matters && i < s->n_images; i++)
                matters = tag[i] && tag_time_counts(s, planned, i);
        if (!matters)
                return 0;
        matters = newest;
        struct planner p = { .config = c, .snapshot = s };
        int r = planner_index_images(&p);
        for (size_t i = 0; r >= 0 && i < s->n_images; i++) {
                const struct policy_image *im = &s->images[i];
                ret_want[i] = tag[i] && !strv_isempty(im->tags) && (newest || (!p.image_pinned[i] && !p.images_blocked));
                matters = matters || (ret_want[i] && tag_time_counts(s, planned, i));
        }
        free(p.image_pinned);
        free(p.image_planned);
        free(p.image_parent);
        if (r < 0)
                return r;
        if (!matters)
                memset(ret_want, 0, s->n_images * sizeof(bool));
        return 0;
}

/* Candidates past max_removals named too, one for every 32 up to 32: a revealed stop time moves its
 * container later and the ones behind it move up; with a large max_removals, naming them now saves rounds
 * (each a whole plan). With a small one, rounds are cheap and the inspects count more. */
#define UNKNOWNS_MARGIN 32u

/* The plan with every unknown stop time at its lower bound, its container's Created (no later one sorts it
 * earlier), under a usage that runs every pass, and max_removals raised by the margin: a plan with a
 * larger max_removals holds every action of the smaller one. */
static int plan_at_lower_bounds(const struct config *c, const struct policy_snapshot *s, const bool *stop,
                                struct policy_plan *ret) {
        struct config wide = *c;
        wide.max_removals = c->max_removals > UINT_MAX - UNKNOWNS_MARGIN ? UINT_MAX
                                                                          : c->max_removals + MIN(c->max_removals / UNKNOWNS_MARGIN, UNKNOWNS_MARGIN);
        _cleanup_free_ struct policy_container *probe = calloc_at_least_one(s->n_containers, sizeof(*probe));
        if (!probe)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_containers; i++) {
                probe[i] = s->containers[i];
                if (flag(stop, i))
                        probe[i].finished_at_ns = s->containers[i].created_ns;
        }
        struct policy_snapshot ps = *s;
        ps.containers = probe;
        struct usage worst;
        usage_worst(&worst);
        return planner_plan(&wide, &worst, &ps, true, ret);
}

/* From the containers the plan at lower bounds takes (planned[]): the stop times and sizes wanted. */
static void containers_wanted(const struct policy_snapshot *s, const struct policy_unknown_input *in, const bool *planned,
                              bool *ret_stop, bool *ret_size) {
        for (size_t i = 0; i < s->n_containers; i++) {
                ret_size[i] = planned[i] && flag(in->size, i) && !flag(in->stop, i);
                /* No Created, no bound: only the stop time itself tells. */
                ret_stop[i] = flag(in->stop, i) && (planned[i] || s->containers[i].created_ns <= 0);
        }
}


static int collect_all(const struct policy_snapshot *s, const bool *stop, const bool *size, const bool *tag,
                       struct policy_unknowns *ret) {
        struct policy_unknowns u = {};
        int r = collect(stop, s->n_containers, &u.stops, &u.n_stops);
        if (r >= 0)
                r = collect(size, s->n_containers, &u.sizes, &u.n_sizes);
        if (r >= 0)
                r = collect(tag, s->n_images, &u.tags, &u.n_tags);
        if (r < 0) {
                policy_unknowns_done(&u);
                return r;
        }
        *ret = u;
        return 0;
}

static bool arguments_valid(const struct config *c, const struct policy_snapshot *s, const struct policy_unknown_input *in,
                            const struct policy_unknowns *ret) {
        return c && s && in && ret && (s->n_containers == 0 || s->containers) && (s->n_images == 0 || s->images);
}

int policy_unknowns(const struct config *c, const struct policy_snapshot *s, const struct policy_unknown_input *in,
                    struct policy_unknowns *ret) {
        if (!arguments_valid(c, s, in, ret))
                return -EINVAL;
        size_t nc = s->n_containers, ni = s->n_images;
        _cleanup_free_ bool *planned = calloc_at_least_one(nc, sizeof(bool));
        _cleanup_free_ bool *stop_want = calloc_at_least_one(nc, sizeof(bool));
        _cleanup_free_ bool *size_want = calloc_at_least_one(nc, sizeof(bool));
        _cleanup_free_ bool *image_planned = calloc_at_least_one(ni, sizeof(bool));
        _cleanup_free_ bool *tag_want = calloc_at_least_one(ni, sizeof(bool));
        _cleanup_free_ struct id_index *cids = NULL, *iids = NULL;
        size_t n_cids = 0, n_iids = 0;
        if (!planned || !stop_want || !size_want || !image_planned || !tag_want)
                return -ENOMEM;
        /* Nothing unknown (a history that knows every stop): no plan to make. */
        if (!any(in->stop, nc) && !any(in->size, nc) && !any(in->tag, ni))
                return collect_all(s, stop_want, size_want, tag_want, ret);

        _cleanup_(policy_plan_done) struct policy_plan plan = {};
        int r = plan_at_lower_bounds(c, s, in->stop, &plan);
        if (r >= 0)
                r = index_ids(container_id, s, nc, in->stop, in->size, &cids, &n_cids);
        if (r >= 0)
                r = index_ids(image_id, s, ni, in->tag, NULL, &iids, &n_iids);
        if (r < 0)
                return r;
        mark_planned(&plan, POLICY_ACTION_REMOVE_CONTAINER, cids, n_cids, planned);
        mark_planned(&plan, POLICY_ACTION_REMOVE_IMAGE, iids, n_iids, image_planned);
        r = tags_that_matter(c, s, in->tag, image_planned, tag_want);
        if (r < 0)
                return r;
        /* Tag times that decide which images are the newest of their repository come first: until they
         * are known, the plan at lower bounds may take other containers than the one that counts. */
        if (!(c->protect_newest_per_repository > 0 && any(tag_want, ni)))
                containers_wanted(s, in, planned, stop_want, size_want);
        return collect_all(s, stop_want, size_want, tag_want, ret);
}
