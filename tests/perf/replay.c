/* replay.c: one host under one eviction policy, job by job (see replay.h).
 *
 * What the peers do here (their documented behaviour, simplified to this model):
 *   prune -a        at every check with used >= high_watermark: every image no running container uses.
 *   prune cron      every full hour: every unused image whose Created is 24 h old (Docker's `until`
 *                   filter is on Created, not on last use).
 *   kubelet         at every check with used >= 85 %: bytes_to_free = used - 80 %; unused images seen for
 *                   2 min or more, least recently used first (last use: a container used it), counting
 *                   each image's full size as the CRI reports it, until that sum reaches bytes_to_free.
 *                   The real kubelet runs this every 5 min; here at every check (in its favour).
 *   docuum          after every job's pulls: while the images' bytes (shared layers once, as docker
 *                   system df counts them) exceed the threshold, the least recently used unused image.
 *   offline         at every check with used >= high_watermark: unused images by the next time the bytes
 *                   their removal frees are needed again (the next use of any image, this one or another,
 *                   that has one of its unique layers), furthest (never again) first, the bigger first on a
 *                   tie, until the targets hold: Belady's rule over shared layers, with the daemon's own
 *                   trigger and target, so only the order differs.
 * Every removal frees what the layer sharing frees: a layer's bytes only when no present image has it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "replay.h"

#define NSEC_PER_SEC_I64 INT64_C(1000000000)
#define KUBELET_HIGH 85.0
#define KUBELET_LOW 80.0
#define KUBELET_MIN_AGE_S 120
#define CRON_PERIOD_S 3600
#define CRON_UNTIL_S (24 * 3600)
#define LRFU_HALF_LIFE_S (24.0 * 3600)

struct running {
        size_t job;
        int64_t end_s;
};

struct host {
        const struct replay_trace *t;
        const struct config *c;
        enum replay_policy policy;
        replay_plan_cb on_plan;
        void *userdata;
        bool *present;
        bool *ever_present;
        int64_t *detected_s;          /* when it last arrived (kubelet's first-detected) */
        int64_t *last_use_s;          /* the peers' own bookkeeping of uses (kubelet, docuum) */
        uint32_t *pins;               /* running containers per image */
        uint32_t *layer_refs;         /* present images per layer */
        bool *layer_ever;
        uint64_t image_bytes;         /* bytes of layers on disk */
        size_t *next_use;             /* per image: index into uses[] of its next use (offline) */
        size_t **uses;                /* per image: the jobs that use it, in order (offline) */
        size_t *n_uses;
        size_t **layer_images;        /* per layer: the images that have it (offline) */
        size_t *n_layer_images;
        uint64_t *use_count;          /* per image: uses so far (the candidates' frequency) */
        double *gd_h;                 /* per image: its Greedy-Dual priority (candidates) */
        double gd_l;                  /* the Greedy-Dual clock: the priority of the last eviction */
        double *decayed;              /* per image: uses, each halving every LRFU_HALF_LIFE_S, as of last_use_s */
        struct running *running;
        size_t n_running;
        struct history *history;
        struct replay_result r;
};

const char *replay_policy_to_string(enum replay_policy p) {
        static const char *const names[_REPLAY_POLICY_MAX] = {
                [REPLAY_DOCKERCLEAN] = "dockercleand (LRU, default)",
                [REPLAY_PRUNE_ALL] = "prune -a at high watermark",
                [REPLAY_PRUNE_CRON] = "cron prune -a until=24h hourly",
                [REPLAY_KUBELET] = "kubelet image GC (85/80, LRU)",
                [REPLAY_DOCUUM] = "docuum (LRU, bytes threshold)",
                [REPLAY_OFFLINE] = "offline reference (Belady)",
                [REPLAY_GDSF] = "candidate GDSF (cost 1)",
                [REPLAY_GDF] = "candidate GD-freq (cost = bytes)",
                [REPLAY_LRFU] = "candidate LRFU (24 h half-life)",
        };
        return (unsigned) p < _REPLAY_POLICY_MAX ? names[p] : NULL;
}

static struct usage host_usage(const struct host *h) {
        struct usage u;
        uint64_t used = h->t->base_used + h->image_bytes;
        uint64_t cap = h->t->capacity;
        uint64_t avail = used >= cap ? 0 : cap - used;
        usage_from_counts(1, cap, avail, avail, 0, 0, 0, &u);
        return u;
}

/* Bytes removing image i would free now: its layers no other present image has. */
static uint64_t unique_bytes(const struct host *h, size_t i) {
        const struct replay_image *im = &h->t->images[i];
        uint64_t b = 0;
        for (size_t k = 0; k < im->n_layers; k++)
                if (h->layer_refs[im->layers[k]] == 1)
                        b += h->t->layer_size[im->layers[k]];
        return b;
}

static void host_remove(struct host *h, size_t i) {
        const struct replay_image *im = &h->t->images[i];
        for (size_t k = 0; k < im->n_layers; k++)
                if (--h->layer_refs[im->layers[k]] == 0)
                        h->image_bytes -= h->t->layer_size[im->layers[k]];
        h->present[i] = false;
        h->r.removals++;
}

static void host_pull(struct host *h, size_t i, int64_t now_s) {
        const struct replay_image *im = &h->t->images[i];
        for (size_t k = 0; k < im->n_layers; k++) {
                size_t l = im->layers[k];
                if (h->layer_refs[l]++ > 0)
                        continue;
                uint64_t size = h->t->layer_size[l];
                h->image_bytes += size;
                h->r.bytes_pulled += size;
                if (!h->layer_ever[l])
                        h->r.bytes_first += size;
                else
                        h->r.bytes_repulled += size;
                h->layer_ever[l] = true;
        }
        h->r.pulls++;
        h->r.repulls += h->ever_present[i];
        h->present[i] = h->ever_present[i] = true;
        h->detected_s[i] = now_s;
}

static size_t image_index(const struct host *h, const char *id) {
        /* ids are "sha256:" + the image's number + 1 in hex */
        return strtoull(id + strlen("sha256:"), NULL, 16) - 1;
}

/* A job's k-th container: 64 hex digits, as the engine's ids. */
static char *container_id(char buf[static 65], size_t job, size_t k) {
        snprintf(buf, 65, "%048zx%016zx", job, k);
        return buf;
}

/* ---- the daemon's decision ---------------------------------------------------------------------- */

struct snapshot {
        struct policy_snapshot s;
        struct policy_image *images;
        struct policy_container *containers;
        char (*container_ids)[65];
        char *(*tags)[2];
};

static void snapshot_done(struct snapshot *x) {
        free(x->images);
        free(x->containers);
        free(x->container_ids);
        free(x->tags);
        *x = (struct snapshot) {};
}

/* What the daemon's listings show: the present images (size: their unique bytes, Size - SharedSize) and
 * the running jobs' containers. Stopped job containers are gone (--rm). */
static int snapshot_build(const struct host *h, int64_t now_s, struct snapshot *ret) {
        const struct replay_trace *t = h->t;
        struct snapshot x = {};
        size_t n_containers = 0;
        for (size_t k = 0; k < h->n_running; k++)
                n_containers += t->jobs[h->running[k].job].n_images;
        x.images = calloc(t->n_images ? t->n_images : 1, sizeof *x.images);
        x.tags = calloc(t->n_images ? t->n_images : 1, sizeof *x.tags);
        x.containers = calloc(n_containers ? n_containers : 1, sizeof *x.containers);
        x.container_ids = calloc(n_containers ? n_containers : 1, sizeof *x.container_ids);
        if (!x.images || !x.tags || !x.containers || !x.container_ids) {
                snapshot_done(&x);
                return -ENOMEM;
        }
        size_t n = 0;
        for (size_t i = 0; i < t->n_images; i++) {
                if (!h->present[i])
                        continue;
                x.tags[n][0] = t->images[i].tag;
                x.images[n] = (struct policy_image) {
                        .id = t->images[i].id,
                        .tags = x.tags[n],
                        .created_ns = t->images[i].created_s * NSEC_PER_SEC_I64,
                        .size = unique_bytes(h, i),
                };
                n++;
        }
        size_t m = 0;
        for (size_t k = 0; k < h->n_running; k++) {
                const struct replay_job *j = &t->jobs[h->running[k].job];
                for (size_t q = 0; q < j->n_images; q++) {
                        container_id(x.container_ids[m], h->running[k].job, q);
                        x.containers[m] = (struct policy_container) {
                                .id = x.container_ids[m],
                                .image_id = t->images[j->images[q]].id,
                                .state = ENGINE_CONTAINER_RUNNING,
                                .created_ns = j->start_s * NSEC_PER_SEC_I64,
                        };
                        m++;
                }
        }
        x.s = (struct policy_snapshot) {
                .now_ns = now_s * NSEC_PER_SEC_I64,
                .containers = x.containers, .n_containers = m,
                .images = x.images, .n_images = n,
        };
        *ret = x;
        return 0;
}

struct gd_item {
        size_t action;
        enum policy_rule rule;
        double h;
};

static int gd_item_compare(const void *a, const void *b) {
        const struct gd_item *x = a, *y = b;
        if (x->rule != y->rule)
                return x->rule < y->rule ? -1 : 1;
        if (x->h != y->h)
                return x->h < y->h ? -1 : 1;
        return x->action < y->action ? -1 : x->action > y->action;
}

/* The candidates: the plan's image removals (its eligibility: in use, protected, min_age, the tiers),
 * reordered by the candidate's priority, lowest first, within each rule (maximum age, tier, critical
 * pass: the critical pass still comes last); every other action keeps its place. */
static double candidate_key(const struct host *h, size_t i, int64_t now_s) {
        if (h->policy == REPLAY_LRFU)
                return h->decayed[i] * exp2(-(double) (now_s - h->last_use_s[i]) / LRFU_HALF_LIFE_S);
        return h->gd_h[i];
}

static int gd_reorder(const struct host *h, struct policy_plan *plan, int64_t now_s) {
        size_t n = 0;
        for (size_t a = 0; a < plan->n_actions; a++)
                n += plan->actions[a].kind == POLICY_ACTION_REMOVE_IMAGE;
        if (n < 2)
                return 0;
        struct gd_item *items = calloc(n, sizeof *items);
        struct policy_action *sorted = calloc(n, sizeof *sorted);
        if (!items || !sorted) {
                free(items);
                free(sorted);
                return -ENOMEM;
        }
        size_t m = 0;
        for (size_t a = 0; a < plan->n_actions; a++)
                if (plan->actions[a].kind == POLICY_ACTION_REMOVE_IMAGE)
                        items[m++] = (struct gd_item) { a, plan->actions[a].rule,
                                                        candidate_key(h, image_index(h, plan->actions[a].id), now_s) };
        qsort(items, n, sizeof *items, gd_item_compare);
        for (size_t k = 0; k < n; k++)
                sorted[k] = plan->actions[items[k].action];
        m = 0;
        for (size_t a = 0; a < plan->n_actions; a++)
                if (plan->actions[a].kind == POLICY_ACTION_REMOVE_IMAGE)
                        plan->actions[a] = sorted[m++];
        free(items);
        free(sorted);
        return 0;
}

static int daemon_check(struct host *h, int64_t now_s) {
        struct usage u = host_usage(h);
        if (!policy_triggered(h->c, &u))
                return 0;
        struct snapshot x;
        int r = snapshot_build(h, now_s, &x);
        if (r < 0)
                return r;
        r = history_seed(h->history, &x.s, x.s.now_ns);
        if (r < 0) {
                snapshot_done(&x);
                return r;
        }
        history_fill_snapshot(h->history, x.images, x.s.n_images);
        struct policy_plan plan;
        r = policy_plan(h->c, &u, &x.s, &plan);
        if (r < 0) {
                snapshot_done(&x);
                return r;
        }
        if (h->policy == REPLAY_GDSF || h->policy == REPLAY_GDF || h->policy == REPLAY_LRFU)
                r = gd_reorder(h, &plan, now_s);
        char **removed = calloc(plan.n_actions + 1, sizeof *removed);
        size_t n_removed = 0;
        if (r == 0 && !removed)
                r = -ENOMEM;
        for (size_t a = 0; r == 0 && a < plan.n_actions; a++) {
                struct usage now = host_usage(h);
                if (policy_targets_met(h->c, &now))
                        break;
                if (plan.actions[a].kind != POLICY_ACTION_REMOVE_IMAGE)
                        continue;    /* the model has no other objects */
                size_t i = image_index(h, plan.actions[a].id);
                if (i >= h->t->n_images || !h->present[i]) {
                        r = -EPROTO;
                        break;
                }
                if (h->policy == REPLAY_GDSF || h->policy == REPLAY_GDF)
                        h->gd_l = fmax(h->gd_l, h->gd_h[i]);
                host_remove(h, i);
                removed[n_removed++] = plan.actions[a].id;
        }
        if (r == 0 && n_removed > 0)
                h->r.cleanups++;
        if (r == 0 && h->on_plan)
                h->on_plan(h->c, &u, &x.s, removed, n_removed, h->userdata);
        free(removed);
        policy_plan_done(&plan);
        snapshot_done(&x);
        return r;
}

/* ---- the peers ---------------------------------------------------------------------------------- */

struct peer_item {
        size_t image;
        double key1, key2;
};

static int peer_item_compare(const void *a, const void *b) {
        const struct peer_item *x = a, *y = b;
        if (x->key1 != y->key1)
                return x->key1 < y->key1 ? -1 : 1;
        if (x->key2 != y->key2)
                return x->key2 < y->key2 ? -1 : 1;
        return x->image < y->image ? -1 : x->image > y->image;
}

static double next_use_s(const struct host *h, size_t i) {
        return h->next_use[i] < h->n_uses[i] ? (double) h->t->jobs[h->uses[i][h->next_use[i]]].start_s : INFINITY;
}

/* When the bytes removing image i frees are needed again: the earliest next use of an image that has one
 * of i's unique layers (i itself included); i's own next use when it has none (it frees nothing). */
static double next_need_s(const struct host *h, size_t i) {
        const struct replay_image *im = &h->t->images[i];
        double need = INFINITY;
        bool any = false;
        for (size_t k = 0; k < im->n_layers; k++) {
                size_t l = im->layers[k];
                if (h->layer_refs[l] != 1)
                        continue;
                any = true;
                for (size_t q = 0; q < h->n_layer_images[l]; q++)
                        need = fmin(need, next_use_s(h, h->layer_images[l][q]));
        }
        return any ? need : next_use_s(h, i);
}

/* The unused images, in the order policy p removes them. */
static int peer_order(const struct host *h, int64_t now_s, struct peer_item **ret, size_t *ret_n) {
        struct peer_item *v = calloc(h->t->n_images ? h->t->n_images : 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < h->t->n_images; i++) {
                if (!h->present[i] || h->pins[i] > 0)
                        continue;
                struct peer_item it = { .image = i };
                switch (h->policy) {
                case REPLAY_KUBELET:
                        if (now_s - h->detected_s[i] < KUBELET_MIN_AGE_S)
                                continue;
                        it.key1 = (double) h->last_use_s[i];
                        it.key2 = (double) h->detected_s[i];
                        break;
                case REPLAY_DOCUUM:
                        it.key1 = (double) h->last_use_s[i];
                        break;
                case REPLAY_OFFLINE:
                        it.key1 = -next_need_s(h, i);
                        it.key2 = -(double) unique_bytes(h, i);
                        break;
                case REPLAY_PRUNE_CRON:
                        if (now_s - h->t->images[i].created_s < CRON_UNTIL_S)
                                continue;
                        break;
                case REPLAY_PRUNE_ALL:
                case REPLAY_DOCKERCLEAN:
                case REPLAY_GDSF:
                case REPLAY_GDF:
                case REPLAY_LRFU:
                case _REPLAY_POLICY_MAX:
                        break;
                }
                v[n++] = it;
        }
        qsort(v, n, sizeof *v, peer_item_compare);
        *ret = v;
        *ret_n = n;
        return 0;
}

static int peer_check(struct host *h, int64_t now_s, bool cron_tick) {
        struct usage u = host_usage(h);
        uint64_t cap = h->t->capacity;
        uint64_t docuum_threshold = (uint64_t) (h->c->disk.high_watermark / 100.0 * (double) cap);
        docuum_threshold = docuum_threshold > h->t->base_used ? docuum_threshold - h->t->base_used : 0;
        switch (h->policy) {
        case REPLAY_PRUNE_ALL:
        case REPLAY_OFFLINE:
                if (!policy_triggered(h->c, &u))
                        return 0;
                break;
        case REPLAY_PRUNE_CRON:
                if (!cron_tick)
                        return 0;
                break;
        case REPLAY_KUBELET:
                if (u.used_percent < KUBELET_HIGH)
                        return 0;
                break;
        case REPLAY_DOCUUM:
                if (h->image_bytes <= docuum_threshold)
                        return 0;
                break;
        case REPLAY_DOCKERCLEAN:
        case REPLAY_GDSF:
        case REPLAY_GDF:
        case REPLAY_LRFU:
        case _REPLAY_POLICY_MAX:
                return -EINVAL;
        }
        struct peer_item *v;
        size_t n;
        int r = peer_order(h, now_s, &v, &n);
        if (r < 0)
                return r;
        uint64_t kubelet_goal = u.used_bytes - (uint64_t) (KUBELET_LOW / 100.0 * (double) cap), kubelet_sum = 0;
        size_t removed = 0;
        for (size_t k = 0; k < n; k++) {
                struct usage now = host_usage(h);
                if (h->policy == REPLAY_OFFLINE && policy_targets_met(h->c, &now))
                        break;
                if (h->policy == REPLAY_DOCUUM && h->image_bytes <= docuum_threshold)
                        break;
                if (h->policy == REPLAY_KUBELET) {
                        if (kubelet_sum >= kubelet_goal)
                                break;
                        kubelet_sum += h->t->images[v[k].image].size;
                }
                host_remove(h, v[k].image);
                removed++;
        }
        h->r.cleanups += removed > 0;
        free(v);
        return 0;
}

/* ---- the run ------------------------------------------------------------------------------------- */

static int host_check(struct host *h, int64_t now_s, bool cron_tick) {
        if (cron_tick != (h->policy == REPLAY_PRUNE_CRON))
                return 0;    /* only the cron peer acts on the hour; it alone ignores the disk */
        if (h->policy == REPLAY_DOCKERCLEAN || h->policy == REPLAY_GDSF || h->policy == REPLAY_GDF ||
            h->policy == REPLAY_LRFU)
                return daemon_check(h, now_s);
        return peer_check(h, now_s, cron_tick);
}

/* Jobs that ended by until_s stop (their containers die and are removed), in end order, with the hourly
 * cron ticks in between. */
static int host_advance(struct host *h, int64_t until_s, int64_t *next_tick_s) {
        for (;;) {
                size_t first = SIZE_MAX;
                for (size_t k = 0; k < h->n_running; k++)
                        if (h->running[k].end_s <= until_s &&
                            (first == SIZE_MAX || h->running[k].end_s < h->running[first].end_s))
                                first = k;
                int64_t end_s = first == SIZE_MAX ? INT64_MAX : h->running[first].end_s;
                if (*next_tick_s <= until_s && *next_tick_s <= end_s) {
                        int r = host_check(h, *next_tick_s, true);
                        if (r < 0)
                                return r;
                        *next_tick_s += CRON_PERIOD_S;
                        continue;
                }
                if (first == SIZE_MAX)
                        return 0;
                const struct replay_job *j = &h->t->jobs[h->running[first].job];
                for (size_t q = 0; q < j->n_images; q++) {
                        char id[65];
                        container_id(id, h->running[first].job, q);
                        size_t i = j->images[q];
                        h->pins[i]--;
                        h->decayed[i] *= exp2(-(double) (end_s - h->last_use_s[i]) / LRFU_HALF_LIFE_S);
                        h->last_use_s[i] = end_s;
                        int r = history_note_event(h->history, "container", "die", id, h->t->images[j->images[q]].tag,
                                                   end_s * NSEC_PER_SEC_I64);
                        if (r >= 0)
                                r = history_note_event(h->history, "container", "destroy", id, NULL, end_s * NSEC_PER_SEC_I64);
                        if (r < 0)
                                return r;
                }
                h->running[first] = h->running[--h->n_running];
        }
}

static int host_start_job(struct host *h, size_t jn) {
        const struct replay_job *j = &h->t->jobs[jn];
        int64_t ns = j->start_s * NSEC_PER_SEC_I64;
        for (size_t q = 0; q < j->n_images; q++) {
                size_t i = j->images[q];
                const char *tag = h->t->images[i].tag;
                if (!h->present[i]) {
                        host_pull(h, i, j->start_s);
                        int r = history_note_event(h->history, "image", "pull", tag, NULL, ns);
                        if (r < 0)
                                return r;
                }
                char id[65];
                container_id(id, jn, q);
                int r = history_note_event(h->history, "container", "create", id, tag, ns);
                if (r >= 0)
                        r = history_note_event(h->history, "container", "start", id, tag, ns);
                if (r < 0)
                        return r;
                h->pins[i]++;
                h->decayed[i] = 1.0 + h->decayed[i] * exp2(-(double) (j->start_s - h->last_use_s[i]) / LRFU_HALF_LIFE_S);
                h->last_use_s[i] = j->start_s;
                h->use_count[i]++;
                h->next_use[i]++;
                /* Greedy-Dual: H = L + frequency * cost / size, at every use (size in MB, at least 1) */
                double mb = fmax(1.0, (double) h->t->images[i].size / 1e6);
                h->gd_h[i] = h->gd_l + (double) h->use_count[i] * (h->policy == REPLAY_GDF ? mb : 1.0) / mb;
        }
        h->running[h->n_running++] = (struct running) { jn, j->start_s + j->duration_s };
        if (h->t->capacity < h->t->base_used + h->image_bytes)
                h->r.over_capacity++;
        h->r.max_used_percent = fmax(h->r.max_used_percent, 100.0 * (double) (h->t->base_used + h->image_bytes) /
                                                                    (double) h->t->capacity);
        return host_check(h, j->start_s, false);
}

static void host_free(struct host *h) {
        free(h->present);
        free(h->ever_present);
        free(h->detected_s);
        free(h->last_use_s);
        free(h->pins);
        free(h->layer_refs);
        free(h->layer_ever);
        free(h->next_use);
        if (h->uses)
                for (size_t i = 0; i < h->t->n_images; i++)
                        free(h->uses[i]);
        free(h->uses);
        free(h->n_uses);
        if (h->layer_images)
                for (size_t l = 0; l < h->t->n_layers; l++)
                        free(h->layer_images[l]);
        free(h->layer_images);
        free(h->n_layer_images);
        free(h->use_count);
        free(h->gd_h);
        free(h->decayed);
        free(h->running);
        history_free(h->history);
}

static int host_init(struct host *h, const struct replay_trace *t) {
        size_t n = t->n_images ? t->n_images : 1;
        h->present = calloc(n, sizeof(bool));
        h->ever_present = calloc(n, sizeof(bool));
        h->detected_s = calloc(n, sizeof(int64_t));
        h->last_use_s = calloc(n, sizeof(int64_t));
        h->pins = calloc(n, sizeof(uint32_t));
        h->layer_refs = calloc(t->n_layers ? t->n_layers : 1, sizeof(uint32_t));
        h->layer_ever = calloc(t->n_layers ? t->n_layers : 1, sizeof(bool));
        h->next_use = calloc(n, sizeof(size_t));
        h->uses = calloc(n, sizeof(size_t *));
        h->n_uses = calloc(n, sizeof(size_t));
        h->layer_images = calloc(t->n_layers ? t->n_layers : 1, sizeof(size_t *));
        h->n_layer_images = calloc(t->n_layers ? t->n_layers : 1, sizeof(size_t));
        h->use_count = calloc(n, sizeof(uint64_t));
        h->gd_h = calloc(n, sizeof(double));
        h->decayed = calloc(n, sizeof(double));
        h->running = calloc(t->n_jobs ? t->n_jobs : 1, sizeof(struct running));
        if (!h->present || !h->ever_present || !h->detected_s || !h->last_use_s || !h->pins || !h->layer_refs ||
            !h->layer_ever || !h->next_use || !h->uses || !h->n_uses || !h->use_count || !h->gd_h || !h->decayed ||
            !h->running || !h->layer_images || !h->n_layer_images)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_images; i++)
                for (size_t k = 0; k < t->images[i].n_layers; k++) {
                        size_t l = t->images[i].layers[k];
                        size_t *p = realloc(h->layer_images[l], (h->n_layer_images[l] + 1) * sizeof(size_t));
                        if (!p)
                                return -ENOMEM;
                        h->layer_images[l] = p;
                        p[h->n_layer_images[l]++] = i;
                }
        size_t *cap = calloc(n, sizeof(size_t));
        if (!cap)
                return -ENOMEM;
        for (size_t jn = 0; jn < t->n_jobs; jn++)
                for (size_t q = 0; q < t->jobs[jn].n_images; q++) {
                        size_t i = t->jobs[jn].images[q];
                        if (h->n_uses[i] == cap[i]) {
                                size_t c = cap[i] ? 2 * cap[i] : 4;
                                size_t *p = realloc(h->uses[i], c * sizeof(size_t));
                                if (!p) {
                                        free(cap);
                                        return -ENOMEM;
                                }
                                h->uses[i] = p;
                                cap[i] = c;
                        }
                        h->uses[i][h->n_uses[i]++] = jn;
                }
        free(cap);
        return history_new(NULL, &h->history);
}

int replay_run(const struct replay_trace *t, enum replay_policy p, const struct config *c, replay_plan_cb on_plan,
               void *userdata, struct replay_result *ret) {
        if (!t || !c || !ret || (unsigned) p >= _REPLAY_POLICY_MAX)
                return -EINVAL;
        struct host h = { .t = t, .c = c, .policy = p, .on_plan = on_plan, .userdata = userdata };
        int r = host_init(&h, t);
        int64_t next_tick_s = t->n_jobs ? (t->jobs[0].start_s / CRON_PERIOD_S + 1) * CRON_PERIOD_S : 0;
        for (size_t jn = 0; r >= 0 && jn < t->n_jobs; jn++) {
                r = host_advance(&h, t->jobs[jn].start_s, &next_tick_s);
                if (r >= 0)
                        r = host_start_job(&h, jn);
        }
        int64_t last_end_s = 0;
        for (size_t k = 0; k < h.n_running; k++)
                last_end_s = h.running[k].end_s > last_end_s ? h.running[k].end_s : last_end_s;
        if (r >= 0)
                r = host_advance(&h, last_end_s, &next_tick_s);
        if (r >= 0)
                *ret = h.r;
        host_free(&h);
        return r < 0 ? r : 0;
}
