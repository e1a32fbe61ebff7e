/* policy-index.c: the planner's indexes over the snapshot (see policy-internal.h): which images are
 * pinned, each image's parent, and the newest images of each repository. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docker-ref.h"
#include "macro.h"
#include "policy-internal.h"
#include "sort-util.h"
#include "strv.h"

struct id_entry {
        const char *id;
        size_t index;
};

static int id_entry_compare(const void *a, const void *b) {
        const struct id_entry *x = a, *y = b;
        int r = strcmp(x->id, y->id);
        return r != 0 ? r : (x->index < y->index ? -1 : x->index > y->index);
}

static int cmp_id_id_entry(const void *key, const void *element) {
        return strcmp(key, ((const struct id_entry *) element)->id);
}

/* Position of the first entry with this id in the sorted index, or SIZE_MAX. */
static size_t id_index_find(const struct id_entry *e, size_t n, const char *id) {
        size_t i = sort_lower_bound(e, n, sizeof(*e), id, cmp_id_id_entry);
        return i < n && streq(e[i].id, id) ? i : SIZE_MAX;
}

/* Pins and parent links. Ids are looked up through a sorted index: hosts can hold thousands of images. */
int planner_index_images(struct planner *p) {
        const struct policy_snapshot *s = p->snapshot;
        size_t n = s->n_images;

        p->image_pinned = calloc_at_least_one(n, sizeof(bool));
        p->image_planned = calloc_at_least_one(n, sizeof(bool));
        p->image_parent = calloc_at_least_one(n, sizeof(size_t));
        if (!p->image_pinned || !p->image_planned || !p->image_parent)
                return -ENOMEM;

        _cleanup_free_ struct id_entry *by_id = calloc_at_least_one(n, sizeof(struct id_entry));
        if (!by_id)
                return -ENOMEM;
        size_t n_by_id = 0;
        for (size_t i = 0; i < n; i++) {
                p->image_parent[i] = SIZE_MAX;
                if (str_empty(s->images[i].id))
                        p->image_pinned[i] = true; /* nothing to delete it by */
                else
                        by_id[n_by_id++] = (struct id_entry) { s->images[i].id, i };
        }
        qsort(by_id, n_by_id, sizeof(struct id_entry), id_entry_compare);

        for (size_t i = 0; i < n; i++) {
                const char *parent = s->images[i].parent_id;
                if (str_empty(parent) || str_empty(s->images[i].id))
                        continue;
                size_t f = id_index_find(by_id, n_by_id, parent);
                if (f != SIZE_MAX && by_id[f].index != i)
                        p->image_parent[i] = by_id[f].index;
        }

        for (size_t i = 0; i < s->n_containers; i++) {
                const char *image_id = s->containers[i].image_id;
                if (str_empty(image_id)) {
                        p->images_blocked = true;
                        continue;
                }
                /* Duplicated ids (corrupt input) are one image to the engine: pin every copy. */
                for (size_t f = id_index_find(by_id, n_by_id, image_id); f < n_by_id && streq(by_id[f].id, image_id);
                     f++)
                        p->image_pinned[by_id[f].index] = true;
        }
        return 0;
}

/* One tag of one image, under its repository in the familiar form ("app" for "docker.io/library/app:1"). */
struct repo_entry {
        char *repo;
        int64_t newest_ns;            /* the latest of Created and LastTagTime */
        const char *id;
        size_t index;
};

static int repo_entry_compare(const void *a, const void *b) {
        const struct repo_entry *x = a, *y = b;
        int r = strcmp(x->repo, y->repo);
        if (r != 0)
                return r;
        if (x->newest_ns != y->newest_ns)
                return x->newest_ns > y->newest_ns ? -1 : 1; /* newest first */
        r = strcmp(x->id, y->id);
        return r != 0 ? r : (x->index < y->index ? -1 : x->index > y->index);
}

static void repo_entries_free(struct repo_entry *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(e[i].repo);
        free(e);
}

/* protect.newest_per_repository: the N newest images (created or tagged) of each repository, counting every
 * image of it, those in use too. An image with tags in several repositories is newest if it is in one. */
int planner_index_newest(struct planner *p) {
        const struct policy_snapshot *s = p->snapshot;
        unsigned keep = p->config->protect_newest_per_repository;

        p->image_newest = calloc_at_least_one(s->n_images, sizeof(bool));
        if (!p->image_newest)
                return -ENOMEM;
        if (keep == 0)
                return 0;

        size_t n_tags = 0;
        for (size_t i = 0; i < s->n_images; i++)
                n_tags += strv_length(s->images[i].tags);
        struct repo_entry *e = calloc_at_least_one(n_tags, sizeof(*e));
        if (!e)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < s->n_images; i++) {
                const struct policy_image *img = &s->images[i];
                for (char *const *t = img->tags; t && *t; t++) {
                        char familiar[512];
                        if (startswith(*t, "<none>"))
                                continue;
                        docker_ref_familiar(*t, familiar, sizeof familiar);
                        char *at = strchr(familiar, '@');
                        if (at)
                                *at = 0;
                        const char *colon = docker_ref_tag_separator(familiar);
                        size_t len = colon ? (size_t) (colon - familiar) : strlen(familiar);
                        e[n] = (struct repo_entry) {
                                .repo = strndup(familiar, len),
                                .newest_ns = MAX(img->created_ns, img->last_tag_time_ns),
                                .id = img->id ? img->id : "",
                                .index = i,
                        };
                        if (!e[n].repo) {
                                repo_entries_free(e, n);
                                return -ENOMEM;
                        }
                        n++;
                }
        }
        qsort(e, n, sizeof(*e), repo_entry_compare);
        /* Within a repository the tags of one image sort next to each other: count images, not tags. */
        for (size_t i = 0, rank = 0; i < n; i++) {
                bool same_repo = i > 0 && streq(e[i].repo, e[i - 1].repo);
                if (!same_repo)
                        rank = 0;
                else if (e[i].index != e[i - 1].index)
                        rank++;
                if (rank < keep)
                        p->image_newest[e[i].index] = true;
        }
        repo_entries_free(e, n);
        return 0;
}
