/* The snapshot: what the engine has, turned into the policy's plain structs (see cleanup.h). */
#include "cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "macro.h"
#include "strv.h"
#include "time-util.h"

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
        if (s->have_df)
                engine_df_done(&s->df);
        if (s->have_networks)
                engine_network_list_done(&s->networks);
        free(s->finished_at_ns);
        free(s->last_tag_time_ns);
        free(s->pcontainers);
        free(s->pimages);
        free(s->pvolumes);
        free(s->pnetworks);
        *s = (struct cleanup_snapshot){};
}

/* State.FinishedAt for the stopped containers that are old enough to be candidates at all: one that was
 * created within min_age cannot have stopped before it. */
static int fill_finished_at(struct engine *e, const struct config *c, int64_t now_ns, struct cleanup_snapshot *s) {
        s->finished_at_ns = calloc_at_least_one(s->containers.n, sizeof *s->finished_at_ns);
        if (!s->finished_at_ns)
                return -ENOMEM;
        if (!tier_configured(c, CONFIG_TIER_STOPPED_CONTAINERS))
                return 0;
        int64_t min_age_ns = (int64_t) tier_min_age(c, CONFIG_TIER_STOPPED_CONTAINERS) * NSEC_PER_SEC;
        for (size_t i = 0; i < s->containers.n; i++) {
                struct engine_container *ct = &s->containers.items[i];
                if (!engine_container_state_is_stopped(ct->state))
                        continue;
                if (ct->created * NSEC_PER_SEC > now_ns - min_age_ns)
                        continue;
                struct engine_container_detail d;
                int r = engine_inspect_container(e, ct->id, &d);
                if (r == -EREMOTEIO && engine_last_error(e)->http_status == 404) {
                        /* Removed meanwhile: the planner must not see it as a candidate. */
                        ct->state = ENGINE_CONTAINER_REMOVING;
                        continue;
                }
                if (r < 0)
                        return r;
                s->finished_at_ns[i] = d.finished_at_ns;
                ct->state = d.state; /* fresher than the listing */
                engine_container_detail_done(&d);
        }
        return 0;
}

/* Metadata.LastTagTime, for seeding the history, only where it can change a decision: tagged images
 * that no container uses (the unused-images tier's candidates; an image a container uses is pinned, and
 * its containers seed it) and that the history knows nothing about yet. On the first start that is one
 * inspect per such image, once; afterwards engine events keep the history current. */
static int fill_last_tag_time(struct engine *e, const struct config *c, struct history *h, struct cleanup_snapshot *s) {
        if (!h)
                return 0;
        s->last_tag_time_ns = calloc_at_least_one(s->images.n, sizeof *s->last_tag_time_ns);
        if (!s->last_tag_time_ns)
                return -ENOMEM;
        if (!tier_configured(c, CONFIG_TIER_UNUSED_IMAGES))
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
                if (strv_isempty(im->repo_tags))
                        continue;
                if (bsearch(&im->id, used, n_used, sizeof *used, strv_compare_entries))
                        continue;
                if (history_last_used(h, im->id, im->repo_tags) > 0)
                        continue;
                struct engine_image_detail d;
                int r = engine_inspect_image(e, im->id, &d);
                if (r == -EREMOTEIO && engine_last_error(e)->http_status == 404)
                        continue; /* removed meanwhile */
                if (r < 0)
                        return r;
                s->last_tag_time_ns[i] = d.last_tag_time_ns;
                engine_image_detail_done(&d);
        }
        return 0;
}

static int build_policy_arrays(const struct config *c, struct history *h, int64_t now_ns, struct cleanup_snapshot *s) {
        size_t n_dfi = s->have_df ? s->df.n_images : 0, n_dfc = s->have_df ? s->df.n_containers : 0;
        _cleanup_free_ struct engine_df_image **dfi = calloc_at_least_one(n_dfi, sizeof *dfi);
        _cleanup_free_ struct engine_df_container **dfc = calloc_at_least_one(n_dfc, sizeof *dfc);
        if (!dfi || !dfc)
                return -ENOMEM;
        for (size_t i = 0; i < n_dfi; i++)
                dfi[i] = &s->df.images[i];
        for (size_t i = 0; i < n_dfc; i++)
                dfc[i] = &s->df.containers[i];
        qsort(dfi, n_dfi, sizeof *dfi, cmp_df_image);
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
                        .created_ns = ct->created * NSEC_PER_SEC,
                        .finished_at_ns = s->finished_at_ns[i],
                        .size_rw = d ? clamp_size(d->size_rw) : clamp_size(ct->size_rw),
                        .labels = ct->labels,
                        .volumes = ct->volumes,
                        .networks = ct->networks,
                };
        }
        for (size_t i = 0; i < s->images.n; i++) {
                const struct engine_image *im = &s->images.items[i];
                const struct engine_df_image *d = n_dfi ? find_df_image(dfi, n_dfi, im->id) : NULL;
                int64_t size = d ? d->size : im->size, shared = d ? d->shared_size : im->shared_size;
                s->pimages[i] = (struct policy_image){
                        .id = im->id,
                        .tags = im->repo_tags,
                        .digests = im->repo_digests,
                        .last_tag_time_ns = s->last_tag_time_ns ? s->last_tag_time_ns[i] : 0,
                        .created_ns = im->created * NSEC_PER_SEC,
                        .size = clamp_size(shared > 0 && shared <= size ? size - shared : size),
                        .labels = im->labels,
                        .parent_id = im->parent_id,
                };
        }

        size_t n_vol = 0;
        if (s->have_df && tier_configured(c, CONFIG_TIER_UNUSED_VOLUMES)) {
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
                                .created_ns = nw->created * NSEC_PER_SEC,
                                .n_containers = nw->n_containers,
                                .labels = nw->labels,
                        };
                }
        }

        struct policy_build_cache bc = {};
        if (s->have_df && s->df.build_cache_supported) {
                bc.supported = true;
                for (size_t i = 0; i < s->df.n_build_cache; i++) {
                        uint64_t sz = clamp_size(s->df.build_cache[i].size);
                        bc.total += sz;
                        if (!s->df.build_cache[i].in_use)
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
        if (h) {
                /* Seed first (it resolves names and raises entries to what the snapshot proves), then read.
                 * Its only failure, -ENOMEM, leaves the history consistent, just less complete: plan anyway. */
                (void) !history_seed(h, &s->snapshot, now_ns);
                history_fill_snapshot(h, s->pimages, s->images.n);
        }
        return 0;
}

int cleanup_snapshot_take(struct engine *e, const struct config *c, struct history *h, int64_t now_ns,
                          struct cleanup_snapshot *ret) {
        _cleanup_(cleanup_snapshot_done) struct cleanup_snapshot s = {};
        int r;

        if (!e || !c || !ret)
                return -EINVAL;
        r = engine_list_containers(e, false, &s.containers);
        if (r < 0)
                return r;
        r = engine_list_images(e, false, &s.images);
        if (r < 0)
                return r;
        /* Sizes, volumes and build cache. A df that fails on the engine's side (20.10 refuses a second
         * concurrent one with 500) leaves rougher estimates, not a failed cleanup. */
        r = engine_system_df(e, &s.df);
        if (r >= 0)
                s.have_df = true;
        else if (r != -EREMOTEIO && r != -EBADMSG)
                return r;
        if (tier_configured(c, CONFIG_TIER_UNUSED_NETWORKS)) {
                r = engine_list_networks(e, &s.networks);
                if (r < 0)
                        return r;
                s.have_networks = true;
        }
        r = fill_finished_at(e, c, now_ns, &s);
        if (r < 0)
                return r;
        r = fill_last_tag_time(e, c, h, &s);
        if (r < 0)
                return r;
        r = build_policy_arrays(c, h, now_ns, &s);
        if (r < 0)
                return r;
        /* Only the struct moves: the heap blocks the policy arrays point into stay where they are. */
        *ret = s;
        s = (struct cleanup_snapshot){};
        return 0;
}

