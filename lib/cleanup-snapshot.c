/* The snapshot: what the engine has, turned into the policy's plain structs (see cleanup.h). */
#include "cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "stop-times.h"
#include "macro.h"
#include "strv.h"
#include "time-util.h"
#include "unlisted-measure.h"

static bool tier_configured(const struct config *c, enum config_tier_type t) {
        for (size_t i = 0; i < c->n_tiers; i++)
                if (c->tiers[i].type == t)
                        return true;
        return false;
}

static uint64_t tier_min_age(const struct config *c, enum config_tier_type t) {
        for (size_t i = 0; i < c->n_tiers; i++)
                if (c->tiers[i].type == t)
                        return c->tiers[i].min_age_sec;
        return 0;
}

static uint64_t clamp_size(int64_t v) {
        return v > 0 ? (uint64_t) v : 0;
}

/* Sorted pointer indexes for id lookups: listings can hold tens of thousands of objects. */
static int cmp_df_image(const void *a, const void *b) {
        return strcmp((*(struct engine_df_image *const *) a)->id, (*(struct engine_df_image *const *) b)->id);
}
static int cmp_df_container(const void *a, const void *b) {
        return strcmp((*(struct engine_df_container *const *) a)->id, (*(struct engine_df_container *const *) b)->id);
}

static int cmp_id_df_image(const void *key, const void *elem) {
        return strcmp(key, (*(struct engine_df_image *const *) elem)->id);
}
static int cmp_id_df_container(const void *key, const void *elem) {
        return strcmp(key, (*(struct engine_df_container *const *) elem)->id);
}

static const struct engine_df_image *find_df_image(struct engine_df_image **idx, size_t n, const char *id) {
        struct engine_df_image **f = bsearch(id, idx, n, sizeof *idx, cmp_id_df_image);
        return f ? *f : NULL;
}

static const struct engine_df_container *find_df_container(struct engine_df_container **idx, size_t n, const char *id) {
        struct engine_df_container **f = bsearch(id, idx, n, sizeof *idx, cmp_id_df_container);
        return f ? *f : NULL;
}

void cleanup_snapshot_done(struct cleanup_snapshot *s) {
        if (!s)
                return;
        engine_container_list_done(&s->containers);
        engine_image_list_done(&s->images);
        free(s->df_images_by_id);
        free(s->images_by_id);
        if (s->have_all_images)
                engine_image_list_done(&s->all_images);
        if (s->have_df)
                engine_df_done(&s->df);
        if (s->have_networks)
                engine_network_list_done(&s->networks);
        free(s->finished_at_ns);
        free(s->size_rw);
        free(s->stop_known);
        free(s->log_bytes);
        free(s->last_tag_time_ns);
        free(s->last_tag_deferred);
        free(s->pcontainers);
        free(s->pimages);
        free(s->pvolumes);
        free(s->pnetworks);
        *s = (struct cleanup_snapshot){};
}

/* The listing's Status ("Exited (0) 3 hours ago") says the container stopped more recently than the
 * stop times have it: it ran again while the daemon was not following events (stopped, restarted). A few
 * minutes of slack for the engine's clock and the listing's age. Where Status says nothing (Podman's
 * dead containers, other engines), the stored stop time stands. */
#define STATUS_SLACK_SEC 300
static bool stop_time_stale(const struct engine_container *ct, int64_t finished_ns, int64_t now_ns) {
        if (ct->stopped_max_sec < 0)
                return false;
        return now_ns - finished_ns > time_sec_to_ns(ct->stopped_max_sec + STATUS_SLACK_SEC);
}

/* Inspects container i: its stop time and state (fresher than the listing), and its size when asked;
 * noted in the stop times, and in the policy's copy. A container gone meanwhile is marked removing: the
 * planner must not see it as a candidate. */
static int inspect_stop(struct engine *e, struct stop_times *st, bool with_size, struct cleanup_snapshot *s, size_t i) {
        struct engine_container *ct = &s->containers.items[i];
        struct policy_container *pc = &s->pcontainers[i];
        struct engine_container_detail d;
        int r = with_size ? engine_inspect_container_size(e, ct->id, &d) : engine_inspect_container(e, ct->id, &d);
        if (r == -EREMOTEIO && engine_last_error(e)->http_status == 404) {
                ct->state = pc->state = ENGINE_CONTAINER_REMOVING;
                s->stop_known[i] = true;
                return 0;
        }
        if (r < 0)
                return r;
        s->finished_at_ns[i] = pc->finished_at_ns = d.finished_at_ns;
        if (engine_container_state_is_stopped(d.state)) /* its log goes with it: in its estimate */
                s->log_bytes[i] = unlisted_log_size(d.log_path);
        if (with_size)
                s->size_rw[i] = d.size_rw;
        /* No inspect measured a log before this one: the log adds to the size the arrays were built with. */
        pc->size_rw = (with_size ? clamp_size(d.size_rw) : pc->size_rw) + s->log_bytes[i];
        ct->state = pc->state = d.state;
        s->stop_known[i] = true;
        s->n_inspected++;
        /* A failure to note (out of memory) only means another inspect next time. */
        if (st && engine_container_state_is_stopped(d.state) && d.finished_at_ns > 0)
                (void) !stop_times_note(st, ct->id, d.finished_at_ns, with_size ? d.size_rw : -1);
        engine_container_detail_done(&d);
        return 0;
}

/* The stop times (and sizes) the store has, checked against the listing's Status; the others stay
 * unknown until the policy names them (settle_unknowns()). */
static int stop_times_known(struct stop_times *st, int64_t now_ns, struct cleanup_snapshot *s) {
        size_t n = s->containers.n;
        s->finished_at_ns = calloc_at_least_one(n, sizeof *s->finished_at_ns);
        s->size_rw = calloc_at_least_one(n, sizeof *s->size_rw);
        s->stop_known = calloc_at_least_one(n, sizeof *s->stop_known);
        s->log_bytes = calloc_at_least_one(n, sizeof *s->log_bytes);
        if (!s->finished_at_ns || !s->size_rw || !s->stop_known || !s->log_bytes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct engine_container *ct = &s->containers.items[i];
                int64_t finished_ns, size_rw;
                s->size_rw[i] = -1;
                if (!engine_container_state_is_stopped(ct->state) ||
                    stop_times_get(st, ct->id, &finished_ns, &size_rw) <= 0)
                        continue;
                if (stop_time_stale(ct, finished_ns, now_ns)) {
                        /* It ran and stopped again while no one followed the events: ask the engine. */
                        stop_times_forget(st, ct->id);
                        s->n_stale++;
                        continue;
                }
                s->finished_at_ns[i] = finished_ns;
                s->size_rw[i] = size_rw;
                s->stop_known[i] = true;
                s->n_from_stop_times++;
        }
        return 0;
}

/* Metadata.LastTagTime is wanted for seeding the history (and for protect.newest_per_repository) of the
 * unused-images tier's images: with protect.newest_per_repository every tagged image's, at every snapshot
 * (which are the newest depends on when each was tagged, and the history cannot tell a tag from a use);
 * else those of tagged images that no container uses (its containers seed such an image) and that the
 * history knows nothing about yet. Unknown until the policy names them; those it does not name are left
 * unseeded (last_tag_deferred) for a cleanup that reaches them. */
static int mark_tag_times_unknown(const struct config *c, struct history *h, struct cleanup_snapshot *s) {
        bool newest = c->protect_newest_per_repository > 0;
        s->last_tag_time_ns = calloc_at_least_one(s->images.n, sizeof *s->last_tag_time_ns);
        s->last_tag_deferred = calloc_at_least_one(s->images.n, sizeof *s->last_tag_deferred);
        if (!s->last_tag_time_ns || !s->last_tag_deferred)
                return -ENOMEM;
        if ((!h && !newest) || !tier_configured(c, CONFIG_TIER_UNUSED_IMAGES))
                return 0;
        _cleanup_free_ char **used = calloc_at_least_one(s->containers.n, sizeof *used);
        if (!used)
                return -ENOMEM;
        size_t n_used = 0;
        for (size_t i = 0; i < s->containers.n; i++)
                if (s->containers.items[i].image_id)
                        used[n_used++] = s->containers.items[i].image_id;
        qsort(used, n_used, sizeof *used, strv_compare_entries);
        for (size_t i = 0; i < s->images.n; i++) {
                const struct engine_image *im = &s->images.items[i];
                s->last_tag_deferred[i] = !strv_isempty(im->repo_tags) &&
                        (newest || (!bsearch(&im->id, used, n_used, sizeof *used, strv_compare_entries) &&
                                    history_last_used(h, im->id, im->repo_tags) <= 0));
        }
        return 0;
}

static int inspect_tag_time(struct engine *e, struct cleanup_snapshot *s, size_t i) {
        struct engine_image_detail d;
        int r = engine_inspect_image(e, s->images.items[i].id, &d);
        s->last_tag_deferred[i] = false;
        if (r == -EREMOTEIO && engine_last_error(e)->http_status == 404)
                return 0; /* removed meanwhile */
        if (r < 0)
                return r;
        s->last_tag_time_ns[i] = s->pimages[i].last_tag_time_ns = d.last_tag_time_ns;
        /* What the history will read once seeded with it: the probe's lower bound rises to it. */
        s->pimages[i].last_used_ns = MAX(s->pimages[i].last_used_ns, d.last_tag_time_ns);
        engine_image_detail_done(&d);
        return 0;
}

/* Stop times, sizes and tag times the plan needs, and no others (issue 11: 20,000 stopped containers were
 * 20,000 inspects per cleanup): the policy names which unknowns can change the plan (policy_unknowns());
 * those are inspected, and it is asked again, until it names none. Then the plan is the one inspecting
 * everything would give. Sizes are wanted only when /system/df was not asked for containers (API >= 1.42). */
static void mark_unknown(const struct cleanup_snapshot *s, bool need_size, bool *stop, bool *size) {
        for (size_t i = 0; i < s->containers.n; i++) {
                bool stopped = engine_container_state_is_stopped(s->containers.items[i].state);
                stop[i] = stopped && !s->stop_known[i];
                size[i] = stopped && need_size && s->size_rw[i] < 0;
        }
}

static int inspect_stops(struct engine *e, struct stop_times *st, bool with_size, struct cleanup_snapshot *s,
                         const size_t *which, size_t n) {
        for (size_t j = 0; j < n; j++) {
                int r = inspect_stop(e, st, with_size, s, which[j]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int settle_unknowns(struct engine *e, const struct config *c, struct stop_times *st, struct cleanup_snapshot *s) {
        bool need_size = s->have_df && !(s->df.types & ENGINE_DF_CONTAINERS);
        _cleanup_free_ bool *stop = calloc_at_least_one(s->containers.n, sizeof *stop);
        _cleanup_free_ bool *size = calloc_at_least_one(s->containers.n, sizeof *size);
        if (!stop || !size)
                return -ENOMEM;
        for (;;) {
                mark_unknown(s, need_size, stop, size);
                struct policy_unknown_input in = { stop, size, s->last_tag_deferred };
                _cleanup_(policy_unknowns_done) struct policy_unknowns u = {};
                int r = policy_unknowns(c, &s->snapshot, &in, &u);
                if (r < 0)
                        return r;
                if (u.n_stops == 0 && u.n_tags == 0)
                        return inspect_stops(e, st, true, s, u.sizes, u.n_sizes);
                r = inspect_stops(e, st, need_size, s, u.stops, u.n_stops);
                for (size_t j = 0; r >= 0 && j < u.n_tags; j++)
                        r = inspect_tag_time(e, s, u.tags[j]);
                if (r < 0)
                        return r;
        }
}
/* The history's names (image references from container events) resolved against the listing before it
 * is asked about every image: history_last_used() goes through every name left for every image. Its only
 * failure, -ENOMEM, leaves the history consistent: history_seed() tries again. */
static void resolve_history_names(struct history *h, const struct cleanup_snapshot *s) {
        if (!h)
                return;
        _cleanup_free_ struct policy_image *im = calloc_at_least_one(s->images.n, sizeof *im);
        if (!im)
                return;
        for (size_t i = 0; i < s->images.n; i++)
                im[i] = (struct policy_image) {
                        .id = s->images.items[i].id,
                        .tags = s->images.items[i].repo_tags,
                        .digests = s->images.items[i].repo_digests,
                };
        (void) !history_resolve_names(h, im, s->images.n);
}

static int cmp_image_ptr(const void *a, const void *b) {
        return strcmp((*(struct engine_image *const *) a)->id, (*(struct engine_image *const *) b)->id);
}
static int cmp_id_image_ptr(const void *key, const void *elem) {
        return strcmp(key, (*(struct engine_image *const *) elem)->id);
}

/* df.images and the listed images sorted by id: the sizes are looked up there for every image. */
static int index_images(struct cleanup_snapshot *s) {
        size_t n = s->have_df ? s->df.n_images : 0;
        s->df_images_by_id = calloc_at_least_one(n, sizeof *s->df_images_by_id);
        s->images_by_id = calloc_at_least_one(s->images.n, sizeof *s->images_by_id);
        if (!s->df_images_by_id || !s->images_by_id)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                s->df_images_by_id[i] = &s->df.images[i];
        qsort(s->df_images_by_id, n, sizeof *s->df_images_by_id, cmp_df_image);
        for (size_t i = 0; i < s->images.n; i++)
                s->images_by_id[i] = &s->images.items[i];
        qsort(s->images_by_id, s->images.n, sizeof *s->images_by_id, cmp_image_ptr);
        return 0;
}

static bool image_listed(const struct cleanup_snapshot *s, const char *id) {
        return bsearch(id, s->images_by_id, s->images.n, sizeof *s->images_by_id, cmp_id_image_ptr);
}

/* Size and SharedSize: /system/df's where it has the image, else the listing's. Podman's /system/df
 * also lists intermediate images (a legacy build's untagged parents), and its SharedSize then counts the
 * layers an image shares with its own parent, which goes with it: unknown (-1) in that case. */
static void image_sizes(const struct cleanup_snapshot *s, const struct engine_image *im, int64_t *ret_size,
                        int64_t *ret_shared) {
        size_t n = s->have_df ? s->df.n_images : 0;
        const struct engine_df_image *d = n ? find_df_image(s->df_images_by_id, n, im->id) : NULL;
        *ret_size = d ? d->size : im->size;
        *ret_shared = d ? d->shared_size : im->shared_size;
        if (d && im->parent_id && *im->parent_id && !image_listed(s, im->parent_id) &&
            find_df_image(s->df_images_by_id, n, im->parent_id))
                *ret_shared = -1;
}

/* Docker 26 and Podman 5 report SharedSize == Size for an image the legacy builder made whose last
 * step adds no layer (CMD, LABEL, ENV...): its layers count as shared with its own untagged parents,
 * which go with it. Such a figure, or an unknown one, is not what removing the image frees. */
static bool shared_size_trusted(int64_t size, int64_t shared) {
        return shared >= 0 && !(size > 0 && shared >= size);
}

/* The build chain, from ?all=1: which image each id is and how many children it has. */
struct image_chain {
        struct engine_image **by_id;
        size_t *children;              /* per by_id entry */
        size_t n;
};

static void image_chain_done(struct image_chain *c) {
        free(c->by_id);
        free(c->children);
}

static size_t image_chain_find(const struct image_chain *c, const char *id) {
        struct engine_image **f = id && *id ? bsearch(id, c->by_id, c->n, sizeof *c->by_id, cmp_id_image_ptr) : NULL;
        return f ? (size_t) (f - c->by_id) : SIZE_MAX;
}

static int image_chain_build(const struct engine_image_list *all, struct image_chain *ret) {
        struct image_chain c = { .n = all->n };
        c.by_id = calloc_at_least_one(all->n, sizeof *c.by_id);
        c.children = calloc_at_least_one(all->n, sizeof *c.children);
        if (!c.by_id || !c.children) {
                image_chain_done(&c);
                return -ENOMEM;
        }
        for (size_t i = 0; i < all->n; i++)
                c.by_id[i] = &all->items[i];
        qsort(c.by_id, c.n, sizeof *c.by_id, cmp_image_ptr);
        for (size_t i = 0; i < c.n; i++) {
                size_t p = image_chain_find(&c, c.by_id[i]->parent_id);
                if (p != SIZE_MAX)
                        c.children[p]++;
        }
        *ret = c;
        return 0;
}

/* What removing an image whose SharedSize cannot be trusted frees: its Size less that of the nearest
 * ancestor that stays, a listed image or a branch point with another child (shared with another
 * build). Without a known ancestor, its whole Size. */
static uint64_t chain_estimate(const struct cleanup_snapshot *s, const struct image_chain *chain,
                               const struct engine_image *im, int64_t size) {
        const char *parent = im->parent_id;
        for (size_t steps = 0; chain && parent && *parent && steps < chain->n; steps++) {
                size_t p = image_chain_find(chain, parent);
                if (p == SIZE_MAX)
                        break;
                const struct engine_image *a = chain->by_id[p];
                if (chain->children[p] > 1 || image_listed(s, a->id))
                        return size > a->size ? (uint64_t) (size - a->size) : 0;
                parent = a->parent_id;
        }
        return clamp_size(size);
}

static int build_policy_arrays(const struct config *c, struct history *h, int64_t now_ns, struct cleanup_snapshot *s) {
        size_t n_dfc = s->have_df ? s->df.n_containers : 0;
        _cleanup_free_ struct engine_df_container **dfc = calloc_at_least_one(n_dfc, sizeof *dfc);
        if (!dfc)
                return -ENOMEM;
        for (size_t i = 0; i < n_dfc; i++)
                dfc[i] = &s->df.containers[i];
        qsort(dfc, n_dfc, sizeof *dfc, cmp_df_container);

        s->pcontainers = calloc_at_least_one(s->containers.n, sizeof *s->pcontainers);
        s->pimages = calloc_at_least_one(s->images.n, sizeof *s->pimages);
        if (!s->pcontainers || !s->pimages)
                return -ENOMEM;

        for (size_t i = 0; i < s->containers.n; i++) {
                const struct engine_container *ct = &s->containers.items[i];
                const struct engine_df_container *d = n_dfc ? find_df_container(dfc, n_dfc, ct->id) : NULL;
                s->pcontainers[i] = (struct policy_container){
                        .id = ct->id,
                        .name = ct->name,
                        .image_id = ct->image_id,
                        .state = ct->state,
                        .created_ns = time_sec_to_ns(ct->created),
                        .finished_at_ns = s->finished_at_ns[i],
                        .size_rw = (d ? clamp_size(d->size_rw)
                                      : s->size_rw[i] >= 0 ? clamp_size(s->size_rw[i])
                                                           : clamp_size(ct->size_rw)) + s->log_bytes[i],
                        .labels = ct->labels,
                        .volumes = ct->volumes,
                        .networks = ct->networks,
                };
        }
        _cleanup_(image_chain_done) struct image_chain chain = {};
        if (s->have_all_images) {
                int r = image_chain_build(&s->all_images, &chain);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->images.n; i++) {
                const struct engine_image *im = &s->images.items[i];
                int64_t size, shared;
                image_sizes(s, im, &size, &shared);
                uint64_t unique = shared_size_trusted(size, shared)
                                          ? clamp_size(shared > 0 ? size - shared : size)
                                          : chain_estimate(s, s->have_all_images ? &chain : NULL, im, size);
                s->pimages[i] = (struct policy_image){
                        .id = im->id,
                        .tags = im->repo_tags,
                        .digests = im->repo_digests,
                        .last_tag_time_ns = s->last_tag_time_ns ? s->last_tag_time_ns[i] : 0,
                        .created_ns = time_sec_to_ns(im->created),
                        .size = unique,
                        .labels = im->labels,
                        .parent_id = im->parent_id,
                };
        }

        size_t n_vol = 0;
        if (s->have_df && (tier_configured(c, CONFIG_TIER_UNUSED_VOLUMES) || tier_configured(c, CONFIG_TIER_INACTIVE_BUILDERS))) {
                s->pvolumes = calloc_at_least_one(s->df.n_volumes, sizeof *s->pvolumes);
                if (!s->pvolumes)
                        return -ENOMEM;
                for (size_t i = 0; i < s->df.n_volumes; i++) {
                        const struct engine_df_volume *v = &s->df.volumes[i];
                        s->pvolumes[n_vol++] = (struct policy_volume){
                                .name = v->name,
                                .anonymous = v->anonymous,
                                .created_ns = v->created_ns,
                                .size = clamp_size(v->size),
                                .ref_count = v->ref_count,
                        };
                }
        }
        size_t n_net = 0;
        if (s->have_networks) {
                s->pnetworks = calloc_at_least_one(s->networks.n, sizeof *s->pnetworks);
                if (!s->pnetworks)
                        return -ENOMEM;
                for (size_t i = 0; i < s->networks.n; i++) {
                        const struct engine_network *nw = &s->networks.items[i];
                        s->pnetworks[n_net++] = (struct policy_network){
                                .id = nw->id,
                                .name = nw->name,
                                .builtin = nw->builtin,
                                .created_ns = time_sec_to_ns(nw->created),
                                .n_containers = nw->n_containers,
                                .labels = nw->labels,
                        };
                }
        }

        struct policy_build_cache bc = {};
        if (s->have_df && s->df.build_cache_supported) {
                bc.supported = true;
                /* What the prune can take: records not in use, not shared with an image's layers (freeing
                 * them frees nothing), and unused for the tier's min_age (the prune's until filter). The
                 * engine measures reserved-space (keep-storage) against the first two alone: shared
                 * records in that total made the keep too large and the prune take too little. */
                int64_t until_ns = time_age_sec_to_ns(tier_min_age(c, CONFIG_TIER_BUILD_CACHE));
                for (size_t i = 0; i < s->df.n_build_cache; i++) {
                        const struct engine_df_build_cache *b = &s->df.build_cache[i];
                        uint64_t sz = clamp_size(b->size);
                        int64_t used = b->last_used_ns > 0 ? b->last_used_ns : b->created_ns;
                        if (b->shared)
                                bc.shared += sz;
                        if (b->in_use || b->shared)
                                continue;
                        bc.counted += sz;
                        if (until_ns == 0 || (used > 0 && now_ns - used >= until_ns))
                                bc.reclaimable += sz;
                }
        }

        s->snapshot = (struct policy_snapshot){
                .now_ns = now_ns,
                .containers = s->pcontainers,
                .n_containers = s->containers.n,
                .images = s->pimages,
                .n_images = s->images.n,
                .volumes = s->pvolumes,
                .n_volumes = n_vol,
                .networks = s->pnetworks,
                .n_networks = n_net,
                .build_cache = bc,
        };
        /* What the history knows so far: a lower bound of what it will say once seeded (seed_history()). */
        if (h)
                history_fill_snapshot(h, s->pimages, s->images.n);
        return 0;
}

/* Seed first (it resolves names and raises entries to what the snapshot proves), then read. Its only
 * failure, -ENOMEM, leaves the history consistent, just less complete: plan anyway. What the seed made of
 * an image whose LastTagTime was not fetched is its Created alone: the planner reads the same (it takes
 * the later of the two), and the history stays without it so that a later cleanup fetches it. */
static void seed_history(struct history *h, int64_t now_ns, struct cleanup_snapshot *s) {
        for (size_t i = 0; i < s->images.n; i++)
                s->n_last_tag_deferred += s->last_tag_deferred[i];
        if (!h)
                return;
        (void) !history_seed(h, &s->snapshot, now_ns);
        for (size_t i = 0; i < s->images.n; i++)
                if (s->last_tag_deferred[i])
                        (void) history_unseed_image(h, s->images.items[i].id, s->pimages[i].created_ns);
        history_fill_snapshot(h, s->pimages, s->images.n);
}

/* The build chain (?all=1) only when an image's SharedSize cannot be trusted and it has a parent to
 * estimate against: one more listing, never on engines whose figures are right. */
static int fill_all_images(struct engine *e, struct cleanup_snapshot *s) {
        bool needed = false;
        for (size_t i = 0; i < s->images.n && !needed; i++) {
                const struct engine_image *im = &s->images.items[i];
                int64_t size, shared;
                image_sizes(s, im, &size, &shared);
                needed = !shared_size_trusted(size, shared) && im->parent_id && *im->parent_id;
        }
        if (!needed)
                return 0;
        int r = engine_list_images(e, true, &s->all_images);
        if (r == -EREMOTEIO || r == -EBADMSG)
                return 0; /* rougher estimates, not a failed cleanup */
        if (r < 0)
                return r;
        s->have_all_images = true;
        return 0;
}

int cleanup_snapshot_take(struct engine *e, const struct config *c, struct history *h, struct stop_times *st,
                          int64_t now_ns, struct cleanup_snapshot *ret) {
        _cleanup_(cleanup_snapshot_done) struct cleanup_snapshot s = {};
        int r;

        if (!e || !c || !ret)
                return -EINVAL;
        /* Sizes, volumes and build cache. A df that fails on the engine's side (20.10 refuses a second
         * concurrent one with 500) leaves rougher estimates, not a failed cleanup. First, so that its
         * body (the biggest) is decoded before the listings are held: the peak of memory is lower. */
        unsigned types = ENGINE_DF_IMAGES | ENGINE_DF_BUILD_CACHE;
        /* The container part walks every writable layer (minutes on a busy host): from API 1.42 it is
         * not asked for, and the sizes of the containers the plan may take come from their inspects. */
        if (tier_configured(c, CONFIG_TIER_UNUSED_VOLUMES) || tier_configured(c, CONFIG_TIER_INACTIVE_BUILDERS))
                types |= ENGINE_DF_VOLUMES;
        r = engine_system_df_types(e, types, &s.df);
        if (r == -EREMOTEIO) /* once more: dockerd refuses a df while another one runs (a malformed answer stays one) */
                r = engine_system_df_types(e, types, &s.df);
        if (r >= 0)
                s.have_df = true;
        else if (r != -EREMOTEIO && r != -EBADMSG)
                return r;
        else /* said by the caller: this cleanup counts no build cache and estimates images from the listing */
                (void) snprintf(s.df_error, sizeof s.df_error, "%s", engine_last_error(e)->message);
        r = engine_list_containers(e, false, &s.containers);
        if (r < 0)
                return r;
        r = engine_list_images(e, false, &s.images);
        if (r < 0)
                return r;
        r = index_images(&s);
        if (r < 0)
                return r;
        r = fill_all_images(e, &s);
        if (r < 0)
                return r;
        if (tier_configured(c, CONFIG_TIER_UNUSED_NETWORKS)) {
                r = engine_list_networks(e, &s.networks);
                if (r < 0)
                        return r;
                s.have_networks = true;
        }
        r = stop_times_known(st, now_ns, &s);
        if (r < 0)
                return r;
        resolve_history_names(h, &s);
        r = mark_tag_times_unknown(c, h, &s);
        if (r < 0)
                return r;
        r = build_policy_arrays(c, h, now_ns, &s);
        if (r < 0)
                return r;
        r = settle_unknowns(e, c, st, &s);
        if (r < 0)
                return r;
        seed_history(h, now_ns, &s);
        /* Only the struct moves: the heap blocks the policy arrays point into stay where they are. */
        *ret = s;
        s = (struct cleanup_snapshot){};
        return 0;
}

