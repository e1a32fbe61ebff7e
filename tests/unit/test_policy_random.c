/* test_policy_random.c: the planner against random snapshots and configurations.
 *
 * Every plan is checked against the rules written out again here, independently of lib/policy*.c: nothing
 * live, pinned, protected or too young; volumes and networks only when their tier is listed; tier order and
 * within-tier order; children before parents; max_removals; completeness when not truncated; n_to_target
 * is the first point where the estimate meets the targets; dry_run changes nothing.
 *
 * The seed comes from $DOCKERCLEAN_SEED (decimal) or the clock; it is printed at the start and in every
 * failure message: DOCKERCLEAN_SEED=<seed> ./test_policy_random replays the run. */
#include <check.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "policy.h"
#include "dctest.h"

#define ITERATIONS 12000
#define SEC INT64_C(1000000000)
#define NOW (INT64_C(1800000000) * SEC)

#define MAX_CONTAINERS 14
#define MAX_IMAGES 14
#define MAX_VOLUMES 7
#define MAX_NETWORKS 6
#define MAX_TAGS 3

static uint64_t seed;
static int iteration;
static uint64_t rng_state;

#define CHECK(cond, ...)                                                                                       \
        ck_assert_msg((cond), "seed %" PRIu64 " iteration %d: %s", seed, iteration, describe(__VA_ARGS__))

/* Formats a failure detail (static buffer; the test process stops at the first failure). */
_printf_(1, 2) static const char *describe(const char *fmt, ...) {
        static char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return buf;
}

static uint64_t rnd(void) {
        /* splitmix64: small, good enough, and identical everywhere for replay */
        uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static unsigned rnd_below(unsigned n) {
        return n ? (unsigned) (rnd() % n) : 0;
}

static bool chance(unsigned percent) {
        return rnd_below(100) < percent;
}

/* ---- generation (all storage static: one world at a time) ------------------------------------------ */

static char *label_keys[] = { "keep", "env", "team", "other" };
static char *label_values[] = { "", "prod", "ci", "dev" };
static char *protect_label_pool[] = { "keep", "env=prod", "team=ci", "other=dev" };
static char *protect_image_pool[] = { "x/*", "nginx", "r1/*:2", "*:latest", "reg:5000/app" };
static char *tag_pool[] = { "x/y:1", "x/z:latest", "nginx:1.25", "nginx:2", "r1/a:2", "r1/a:3", "r2/b:2",
                            "reg:5000/app:v1", "reg:5000/app2:v1", "bb:latest", "bb:1", "solo:9" };
static const int64_t ages[] = { 0, 1, 59, 60, 3600, 3601, 86400, 864000 };
static const uint64_t min_ages[] = { 0, 60, 3600, 86400 };

struct world {
        struct config config;
        struct usage usage;
        struct policy_snapshot snapshot;

        struct policy_container containers[MAX_CONTAINERS];
        char container_ids[MAX_CONTAINERS][24];
        char *container_volumes[MAX_CONTAINERS][MAX_VOLUMES + 1];
        char *container_networks[MAX_CONTAINERS][MAX_NETWORKS + 1];
        struct engine_kv container_kv[MAX_CONTAINERS][2];

        struct policy_image images[MAX_IMAGES];
        char image_ids[MAX_IMAGES][24];
        char *image_tags[MAX_IMAGES][MAX_TAGS + 1];
        struct engine_kv image_kv[MAX_IMAGES][2];

        struct policy_volume volumes[MAX_VOLUMES];
        char volume_names[MAX_VOLUMES][24];
        struct engine_kv volume_kv[MAX_VOLUMES][2];

        struct policy_network networks[MAX_NETWORKS];
        char network_ids[MAX_NETWORKS][24], network_names[MAX_NETWORKS][24];
        struct engine_kv network_kv[MAX_NETWORKS][2];

        char *protect_labels[ELEMENTSOF(protect_label_pool) + 1];
        char *protect_images[ELEMENTSOF(protect_image_pool) + 1];
};

static struct world W;

static int64_t random_time(void) {
        switch (rnd_below(10)) {
        case 0:
                return 0;                          /* unknown */
        case 1:
                return NOW + (int64_t) rnd_below(3600) * SEC; /* in the future: clock skew */
        default:
                /* right at, just before and just after the min_age boundaries */
                return NOW - ages[rnd_below(ELEMENTSOF(ages))] * SEC + (int64_t) rnd_below(3) - 1;
        }
}

static struct engine_labels random_labels(struct engine_kv kv[2]) {
        size_t n = rnd_below(3);
        /* two distinct keys: labels are a map on the engine side */
        unsigned k0 = rnd_below(ELEMENTSOF(label_keys)), k1 = (k0 + 1 + rnd_below(ELEMENTSOF(label_keys) - 1)) %
                                                             ELEMENTSOF(label_keys);
        unsigned keys[2] = { k0, k1 };
        for (size_t i = 0; i < n; i++)
                kv[i] = (struct engine_kv) { label_keys[keys[i]], label_values[rnd_below(ELEMENTSOF(label_values))] };
        return (struct engine_labels) { kv, n };
}

static void generate(void) {
        memset(&W, 0, sizeof(W));
        struct config *c = &W.config;
        struct policy_snapshot *s = &W.snapshot;

        /* configuration */
        c->disk.high_watermark = 50 + rnd_below(51);
        c->disk.low_watermark = rnd_below((unsigned) c->disk.high_watermark + 1);
        c->disk.min_free = chance(40) ? (uint64_t) rnd_below(2000) : 0;
        c->disk.target_free = chance(40) ? (uint64_t) rnd_below(3000) : 0;
        c->disk.inode_high_watermark = 50 + rnd_below(51);
        c->disk.inode_low_watermark = rnd_below((unsigned) c->disk.inode_high_watermark + 1);
        c->max_removals = chance(20) ? rnd_below(4) : rnd_below(40);
        c->dry_run = chance(50);
        enum config_tier_type order[_CONFIG_TIER_MAX];
        for (size_t i = 0; i < _CONFIG_TIER_MAX; i++)
                order[i] = (enum config_tier_type) i;
        for (size_t i = _CONFIG_TIER_MAX - 1; i > 0; i--) {
                size_t j = rnd_below((unsigned) i + 1);
                enum config_tier_type t = order[i];
                order[i] = order[j];
                order[j] = t;
        }
        c->n_tiers = rnd_below(_CONFIG_TIER_MAX + 1);
        for (size_t i = 0; i < c->n_tiers; i++)
                c->tiers[i] = (struct config_tier) { .type = order[i],
                                                     .min_age_sec = min_ages[rnd_below(ELEMENTSOF(min_ages))],
                                                     .include_named = chance(50) };
        size_t n = 0;
        for (size_t i = 0; i < ELEMENTSOF(protect_label_pool); i++)
                if (chance(25))
                        W.protect_labels[n++] = protect_label_pool[i];
        c->protect_labels = chance(80) ? W.protect_labels : NULL;
        n = 0;
        for (size_t i = 0; i < ELEMENTSOF(protect_image_pool); i++)
                if (chance(20))
                        W.protect_images[n++] = protect_image_pool[i];
        c->protect_images = chance(80) ? W.protect_images : NULL;

        /* usage: a small filesystem in bytes so that the estimates matter */
        uint64_t total = 1000 + rnd_below(9000), used = rnd_below((unsigned) total + 1);
        uint64_t files = chance(30) ? 0 : 100 + rnd_below(1000);
        uint64_t files_free = files ? rnd_below((unsigned) files + 1) : 0;
        usage_from_counts(1, total, total - used, total - used, files, files_free, files_free, &W.usage);

        /* images: parents point to lower indices only (the engine's graph is acyclic) */
        s->n_images = rnd_below(MAX_IMAGES + 1);
        unsigned id_base = rnd_below(50);
        for (size_t i = 0; i < s->n_images; i++) {
                struct policy_image *im = &W.images[i];
                /* ids not in index order, so sorting by id differs from generation order */
                snprintf(W.image_ids[i], sizeof(W.image_ids[i]), "sha256:%02u", (unsigned) ((i * 37 + id_base) % 100));
                im->id = W.image_ids[i];
                size_t nt = chance(35) ? 0 : 1 + rnd_below(MAX_TAGS);
                for (size_t t = 0; t < nt; t++)
                        W.image_tags[i][t] = tag_pool[rnd_below(ELEMENTSOF(tag_pool))];
                im->tags = nt == 0 && chance(50) ? NULL : W.image_tags[i];
                im->created_ns = random_time();
                im->last_used_ns = chance(30) ? 0 : random_time();
                im->size = rnd_below(500);
                im->labels = random_labels(W.image_kv[i]);
                if (i > 0 && chance(40))
                        im->parent_id = W.image_ids[rnd_below((unsigned) i)];
                else if (chance(10))
                        im->parent_id = "sha256:gone";
        }

        s->n_volumes = rnd_below(MAX_VOLUMES + 1);
        for (size_t i = 0; i < s->n_volumes; i++) {
                struct policy_volume *v = &W.volumes[i];
                snprintf(W.volume_names[i], sizeof(W.volume_names[i]), "vol%u", (unsigned) i);
                v->name = W.volume_names[i];
                v->anonymous = chance(50);
                v->created_ns = random_time();
                v->size = rnd_below(800);
                v->ref_count = (int64_t) rnd_below(3) - 1;
                v->labels = random_labels(W.volume_kv[i]);
        }

        s->n_networks = rnd_below(MAX_NETWORKS + 1);
        for (size_t i = 0; i < s->n_networks; i++) {
                struct policy_network *w = &W.networks[i];
                snprintf(W.network_ids[i], sizeof(W.network_ids[i]), "net-id-%u", (unsigned) i);
                snprintf(W.network_names[i], sizeof(W.network_names[i]), "net%u", (unsigned) i);
                w->id = W.network_ids[i];
                w->name = W.network_names[i];
                w->builtin = chance(20);
                w->created_ns = random_time();
                w->n_containers = chance(20);
                w->labels = random_labels(W.network_kv[i]);
        }

        s->n_containers = rnd_below(MAX_CONTAINERS + 1);
        for (size_t i = 0; i < s->n_containers; i++) {
                struct policy_container *k = &W.containers[i];
                snprintf(W.container_ids[i], sizeof(W.container_ids[i]), "ctr%02u", (unsigned) i);
                k->id = W.container_ids[i];
                k->name = chance(50) ? W.container_ids[i] + 3 : NULL;
                k->state = (enum engine_container_state) rnd_below(ENGINE_CONTAINER_DEAD + 1);
                if (chance(2))
                        k->image_id = chance(50) ? "" : NULL;
                else if (s->n_images > 0 && chance(80))
                        k->image_id = W.image_ids[rnd_below((unsigned) s->n_images)];
                else
                        k->image_id = "sha256:not-listed";
                k->created_ns = random_time();
                k->finished_at_ns = chance(40) ? 0 : random_time();
                k->size_rw = rnd_below(600);
                k->labels = random_labels(W.container_kv[i]);
                size_t nv = 0, nw = 0;
                for (size_t v = 0; v < s->n_volumes; v++)
                        if (chance(15))
                                W.container_volumes[i][nv++] = W.volume_names[v];
                for (size_t w = 0; w < s->n_networks; w++)
                        if (chance(15))
                                W.container_networks[i][nw++] = chance(50) ? W.network_ids[w] : W.network_names[w];
                k->volumes = nv == 0 && chance(50) ? NULL : W.container_volumes[i];
                k->networks = nw == 0 && chance(50) ? NULL : W.container_networks[i];
        }

        s->now_ns = NOW;
        s->containers = W.containers;
        s->images = W.images;
        s->volumes = W.volumes;
        s->networks = W.networks;
        s->build_cache = (struct policy_build_cache) { .supported = chance(70),
                                                       .counted = chance(20) ? 0 : rnd_below(5000) };
        s->build_cache.reclaimable = rnd_below((unsigned) s->build_cache.counted + 1);
}

/* ---- the rules, written out again ------------------------------------------------------------------ */

static bool has_label_rule(const struct engine_labels *l) {
        if (!W.config.protect_labels)
                return false;
        for (char **r = W.config.protect_labels; *r; r++)
                for (size_t i = 0; i < l->n; i++) {
                        size_t klen = strlen(l->items[i].key);
                        if (strcmp(*r, l->items[i].key) == 0)
                                return true;
                        if (strncmp(*r, l->items[i].key, klen) == 0 && (*r)[klen] == '=' &&
                            strcmp(*r + klen + 1, l->items[i].value) == 0)
                                return true;
                }
        return false;
}

static bool image_globbed(char *const *tags) {
        if (!W.config.protect_images || !tags)
                return false;
        for (char *const *t = tags; *t; t++)
                for (char **g = W.config.protect_images; *g; g++) {
                        if (fnmatch(*g, *t, 0) == 0)
                                return true;
                        /* the repo part: cut a ":tag" that contains no '/' */
                        char repo[128];
                        snprintf(repo, sizeof(repo), "%s", *t);
                        char *colon = strrchr(repo, ':');
                        if (colon && !strchr(colon, '/')) {
                                *colon = 0;
                                if (fnmatch(*g, repo, 0) == 0)
                                        return true;
                        }
                }
        return false;
}

static bool old(int64_t ref, uint64_t min_age_sec) {
        if (min_age_sec == 0)
                return true;
        return ref > 0 && ref <= NOW && NOW - ref >= (int64_t) min_age_sec * SEC;
}

static bool tags_empty(char *const *t) {
        return !t || !t[0];
}

static int64_t container_ref(const struct policy_container *k) {
        return k->finished_at_ns ? k->finished_at_ns : k->created_ns;
}

static int64_t image_ref(const struct policy_image *im, bool dangling) {
        if (dangling)
                return im->created_ns;
        return im->last_used_ns > im->created_ns ? im->last_used_ns : im->created_ns;
}

static bool in_list(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (strcmp(*l, s) == 0)
                        return true;
        return false;
}

static bool container_eligible(const struct policy_container *k, const struct config_tier *t) {
        bool stopped = k->state == ENGINE_CONTAINER_EXITED || k->state == ENGINE_CONTAINER_CREATED ||
                       k->state == ENGINE_CONTAINER_DEAD;
        return stopped && old(container_ref(k), t->min_age_sec) && !has_label_rule(&k->labels);
}

static bool images_blocked(void) {
        for (size_t i = 0; i < W.snapshot.n_containers; i++)
                if (!W.containers[i].image_id || !W.containers[i].image_id[0])
                        return true;
        return false;
}

static bool image_pinned(const struct policy_image *im) {
        for (size_t i = 0; i < W.snapshot.n_containers; i++)
                if (W.containers[i].image_id && strcmp(W.containers[i].image_id, im->id) == 0)
                        return true;
        return false;
}

/* Eligible for the tier by the image's own properties (children are checked separately). */
static bool image_self_eligible(const struct policy_image *im, const struct config_tier *t) {
        bool dangling = tags_empty(im->tags);
        if (dangling != (t->type == CONFIG_TIER_DANGLING_IMAGES))
                return false;
        return !image_pinned(im) && old(image_ref(im, dangling), t->min_age_sec) && !has_label_rule(&im->labels) &&
               !image_globbed(im->tags);
}

static bool volume_eligible(const struct policy_volume *v, const struct config_tier *t) {
        if (!v->anonymous && !t->include_named)
                return false;
        if (v->ref_count > 0 || !old(v->created_ns, t->min_age_sec) || has_label_rule(&v->labels))
                return false;
        for (size_t i = 0; i < W.snapshot.n_containers; i++)
                if (in_list(W.containers[i].volumes, v->name))
                        return false;
        return true;
}

static bool network_eligible(const struct policy_network *w, const struct config_tier *t) {
        if (w->builtin || w->n_containers > 0 || !old(w->created_ns, t->min_age_sec) || has_label_rule(&w->labels))
                return false;
        for (size_t i = 0; i < W.snapshot.n_containers; i++)
                if (in_list(W.containers[i].networks, w->id) || in_list(W.containers[i].networks, w->name))
                        return false;
        return true;
}

static int tier_position(enum config_tier_type type) {
        for (size_t i = 0; i < W.config.n_tiers; i++)
                if (W.config.tiers[i].type == type)
                        return (int) i;
        return -1;
}

/* Position of the action removing this id in the plan, or -1. */
static int plan_position(const struct policy_plan *p, enum policy_action_kind kind, const char *id) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kind == kind && p->actions[i].id && strcmp(p->actions[i].id, id) == 0)
                        return (int) i;
        return -1;
}

static const struct policy_image *find_image(const char *id) {
        for (size_t i = 0; i < W.snapshot.n_images; i++)
                if (strcmp(W.images[i].id, id) == 0)
                        return &W.images[i];
        return NULL;
}

/* (key1, key2, name) order used within a tier. */
static int cmp3(int64_t a1, int64_t a2, const char *a3, int64_t b1, int64_t b2, const char *b3) {
        if (a1 != b1)
                return a1 < b1 ? -1 : 1;
        if (a2 != b2)
                return a2 < b2 ? -1 : 1;
        return strcmp(a3, b3);
}

static bool byte_targets(const struct usage *u) {
        uint64_t target = W.config.disk.target_free ? W.config.disk.target_free : W.config.disk.min_free;
        return u->used_percent < W.config.disk.low_watermark && u->free_bytes >= target;
}

static bool inode_unmet(const struct usage *u) {
        return u->total_inodes > 0 && u->inodes_used_percent >= W.config.disk.inode_low_watermark;
}

static uint64_t need_after(uint64_t freed) {
        /* linear scan: the filesystem is at most 10000 bytes */
        struct usage a;
        for (uint64_t x = freed; x <= freed + W.usage.used_bytes + 1; x++) {
                usage_after_freeing(&W.usage, x, &a);
                if (byte_targets(&a))
                        return x - freed;
        }
        return UINT64_MAX;
}

static void check_plan(const struct policy_plan *p) {
        const struct config *c = &W.config;
        const struct policy_snapshot *s = &W.snapshot;

        CHECK(p->n_actions <= c->max_removals, "%zu actions > max_removals %u", p->n_actions, c->max_removals);
        CHECK(!p->truncated || p->n_actions == c->max_removals, "truncated below the limit");

        uint64_t sum = 0, tier_bytes[_CONFIG_TIER_MAX] = {};
        size_t tier_actions[_CONFIG_TIER_MAX] = {};
        int last_tier_pos = -1;
        bool blocked = images_blocked();

        for (size_t i = 0; i < p->n_actions; i++) {
                const struct policy_action *a = &p->actions[i];
                int pos = tier_position(a->tier);
                CHECK(pos >= 0, "action %zu from unlisted tier %d", i, a->tier);
                CHECK(pos >= last_tier_pos, "tier order broken at action %zu", i);
                last_tier_pos = pos;
                const struct config_tier *t = &c->tiers[pos];
                tier_bytes[a->tier] += a->estimated_bytes;
                tier_actions[a->tier]++;

                switch (a->kind) {
                case POLICY_ACTION_REMOVE_CONTAINER: {
                        CHECK(t->type == CONFIG_TIER_STOPPED_CONTAINERS, "container from tier %d", t->type);
                        const struct policy_container *k = NULL;
                        for (size_t j = 0; j < s->n_containers; j++)
                                if (strcmp(W.containers[j].id, a->id) == 0)
                                        k = &W.containers[j];
                        CHECK(k, "unknown container %s", a->id);
                        CHECK(container_eligible(k, t), "ineligible container %s (state %d)", k->id, k->state);
                        CHECK(a->estimated_bytes == k->size_rw, "container bytes");
                        CHECK(plan_position(p, a->kind, a->id) == (int) i, "container %s twice", a->id);
                        if (i > 0 && p->actions[i - 1].kind == a->kind && p->actions[i - 1].tier == a->tier) {
                                const struct policy_container *prev = NULL;
                                for (size_t j = 0; j < s->n_containers; j++)
                                        if (strcmp(W.containers[j].id, p->actions[i - 1].id) == 0)
                                                prev = &W.containers[j];
                                CHECK(prev && cmp3(container_ref(prev), prev->created_ns, prev->id, container_ref(k),
                                                   k->created_ns, k->id) <= 0,
                                      "containers out of order at %zu", i);
                        }
                        break;
                }
                case POLICY_ACTION_REMOVE_IMAGE: {
                        CHECK(t->type == CONFIG_TIER_DANGLING_IMAGES || t->type == CONFIG_TIER_UNUSED_IMAGES,
                              "image from tier %d", t->type);
                        CHECK(!blocked, "image planned although a container's image is unknown");
                        const struct policy_image *im = find_image(a->id);
                        CHECK(im, "unknown image %s", a->id);
                        CHECK(image_self_eligible(im, t), "ineligible image %s in tier %d", im->id, t->type);
                        CHECK(a->estimated_bytes == im->size, "image bytes");
                        CHECK(plan_position(p, a->kind, a->id) == (int) i, "image %s twice", a->id);
                        /* every tag travels with it */
                        size_t nt = 0;
                        for (; im->tags && im->tags[nt]; nt++)
                                CHECK(a->tags && a->tags[nt] && strcmp(a->tags[nt], im->tags[nt]) == 0, "tags");
                        CHECK(a->tags && !a->tags[nt], "tag count");
                        /* children first: every child image is planned earlier */
                        for (size_t j = 0; j < s->n_images; j++) {
                                if (!W.images[j].parent_id || strcmp(W.images[j].parent_id, im->id) != 0)
                                        continue;
                                int cp = plan_position(p, POLICY_ACTION_REMOVE_IMAGE, W.images[j].id);
                                CHECK(cp >= 0 && cp < (int) i, "image %s before its child %s", im->id, W.images[j].id);
                        }
                        /* LRU with children first: an image of the same tier later in the plan with a smaller key
                         * must have been blocked by a child not yet planned at this point */
                        bool dangling = t->type == CONFIG_TIER_DANGLING_IMAGES;
                        for (size_t j = i + 1; j < p->n_actions; j++) {
                                const struct policy_action *b = &p->actions[j];
                                if (b->kind != a->kind || b->tier != a->tier)
                                        continue;
                                const struct policy_image *bi = find_image(b->id);
                                if (cmp3(image_ref(bi, dangling), bi->created_ns, bi->id, image_ref(im, dangling),
                                         im->created_ns, im->id) >= 0)
                                        continue;
                                bool was_blocked = false;
                                for (size_t q = 0; q < s->n_images; q++)
                                        if (W.images[q].parent_id && strcmp(W.images[q].parent_id, bi->id) == 0 &&
                                            plan_position(p, a->kind, W.images[q].id) >= (int) i)
                                                was_blocked = true;
                                CHECK(was_blocked, "image %s planned before LRU-older %s", im->id, bi->id);
                        }
                        break;
                }
                case POLICY_ACTION_PRUNE_BUILD_CACHE: {
                        CHECK(t->type == CONFIG_TIER_BUILD_CACHE, "build cache from tier %d", t->type);
                        CHECK(s->build_cache.supported && s->build_cache.counted > 0, "build cache prune without cache");
                        CHECK(a->until_sec == t->min_age_sec, "until");
                        CHECK(a->build_cache_counted == s->build_cache.counted, "total");
                        uint64_t need = need_after(sum);
                        uint64_t keep = inode_unmet(&W.usage) ? 0
                                        : need >= s->build_cache.counted ? 0
                                                                       : s->build_cache.counted - need;
                        CHECK(a->keep_storage == keep, "keep %" PRIu64 " expected %" PRIu64, a->keep_storage, keep);
                        uint64_t est = s->build_cache.counted - keep;
                        if (est > s->build_cache.reclaimable)
                                est = s->build_cache.reclaimable;
                        CHECK(a->estimated_bytes == est, "build cache estimate");
                        CHECK(!a->id, "build cache id");
                        break;
                }
                case POLICY_ACTION_REMOVE_VOLUME: {
                        CHECK(t->type == CONFIG_TIER_UNUSED_VOLUMES, "volume from tier %d", t->type);
                        const struct policy_volume *v = NULL;
                        for (size_t j = 0; j < s->n_volumes; j++)
                                if (strcmp(W.volumes[j].name, a->id) == 0)
                                        v = &W.volumes[j];
                        CHECK(v, "unknown volume");
                        CHECK(volume_eligible(v, t), "ineligible volume %s", v->name);
                        CHECK(a->estimated_bytes == v->size, "volume bytes");
                        CHECK(plan_position(p, a->kind, a->id) == (int) i, "volume twice");
                        if (i > 0 && p->actions[i - 1].kind == a->kind) {
                                const struct policy_volume *prev = NULL;
                                for (size_t j = 0; j < s->n_volumes; j++)
                                        if (strcmp(W.volumes[j].name, p->actions[i - 1].id) == 0)
                                                prev = &W.volumes[j];
                                CHECK(prev && cmp3(prev->created_ns, 0, prev->name, v->created_ns, 0, v->name) <= 0,
                                      "volumes out of order");
                        }
                        break;
                }
                case POLICY_ACTION_REMOVE_NETWORK: {
                        CHECK(t->type == CONFIG_TIER_UNUSED_NETWORKS, "network from tier %d", t->type);
                        const struct policy_network *w = NULL;
                        for (size_t j = 0; j < s->n_networks; j++)
                                if (strcmp(W.networks[j].id, a->id) == 0)
                                        w = &W.networks[j];
                        CHECK(w, "unknown network");
                        CHECK(network_eligible(w, t), "ineligible network %s", w->name);
                        CHECK(a->estimated_bytes == 0, "network bytes");
                        CHECK(plan_position(p, a->kind, a->id) == (int) i, "network twice");
                        if (i > 0 && p->actions[i - 1].kind == a->kind) {
                                const struct policy_network *prev = NULL;
                                for (size_t j = 0; j < s->n_networks; j++)
                                        if (strcmp(W.networks[j].id, p->actions[i - 1].id) == 0)
                                                prev = &W.networks[j];
                                CHECK(prev && cmp3(prev->created_ns, 0, prev->name, w->created_ns, 0, w->name) <= 0,
                                      "networks out of order");
                        }
                        break;
                }
                case _POLICY_ACTION_KIND_MAX:
                        CHECK(false, "unknown action kind %d", a->kind);
                }
                sum += a->estimated_bytes;
        }

        CHECK(p->estimated_total == sum, "estimated_total");
        for (size_t t = 0; t < _CONFIG_TIER_MAX; t++) {
                CHECK(p->tier_bytes[t] == tier_bytes[t], "tier_bytes[%zu]", t);
                CHECK(p->tier_actions[t] == tier_actions[t], "tier_actions[%zu]", t);
        }

        /* Completeness: without truncation every eligible object is planned. */
        if (!p->truncated) {
                for (size_t ti = 0; ti < c->n_tiers; ti++) {
                        const struct config_tier *t = &c->tiers[ti];
                        switch (t->type) {
                        case CONFIG_TIER_STOPPED_CONTAINERS:
                                for (size_t j = 0; j < s->n_containers; j++) {
                                        const char *id = W.containers[j].id;
                                        CHECK(!container_eligible(&W.containers[j], t) ||
                                                      plan_position(p, POLICY_ACTION_REMOVE_CONTAINER, id) >= 0,
                                              "eligible container %s left out", id);
                                }
                                break;
                        case CONFIG_TIER_UNUSED_VOLUMES:
                                for (size_t j = 0; j < s->n_volumes; j++) {
                                        const char *name = W.volumes[j].name;
                                        CHECK(!volume_eligible(&W.volumes[j], t) ||
                                                      plan_position(p, POLICY_ACTION_REMOVE_VOLUME, name) >= 0,
                                              "eligible volume %s left out", name);
                                }
                                break;
                        case CONFIG_TIER_UNUSED_NETWORKS:
                                for (size_t j = 0; j < s->n_networks; j++) {
                                        const char *id = W.networks[j].id;
                                        CHECK(!network_eligible(&W.networks[j], t) ||
                                                      plan_position(p, POLICY_ACTION_REMOVE_NETWORK, id) >= 0,
                                              "eligible network %s left out", id);
                                }
                                break;
                        case CONFIG_TIER_BUILD_CACHE:
                                CHECK(!(s->build_cache.supported && s->build_cache.counted > 0) ||
                                              p->tier_actions[CONFIG_TIER_BUILD_CACHE] == 1,
                                      "build cache left out");
                                break;
                        case CONFIG_TIER_DANGLING_IMAGES:
                        case CONFIG_TIER_UNUSED_IMAGES:
                                if (blocked)
                                        break;
                                /* left out only because a child stays (not planned by the end of this tier) */
                                for (size_t j = 0; j < s->n_images; j++) {
                                        const struct policy_image *im = &W.images[j];
                                        if (!image_self_eligible(im, t) ||
                                            plan_position(p, POLICY_ACTION_REMOVE_IMAGE, im->id) >= 0)
                                                continue;
                                        bool child_stays = false;
                                        for (size_t q = 0; q < s->n_images; q++) {
                                                const char *parent = W.images[q].parent_id;
                                                if (!parent || strcmp(parent, im->id) != 0)
                                                        continue;
                                                int cp = plan_position(p, POLICY_ACTION_REMOVE_IMAGE, W.images[q].id);
                                                if (cp < 0 || tier_position(p->actions[cp].tier) > (int) ti)
                                                        child_stays = true;
                                        }
                                        CHECK(child_stays, "eligible image %s left out", im->id);
                                }
                                break;
                        case CONFIG_TIER_INACTIVE_BUILDERS: /* its own random test: unit/test_policy_builders */
                        case _CONFIG_TIER_MAX:
                                break;
                        }
                }
        }

        /* n_to_target: the first prefix whose estimate meets the targets. */
        if (inode_unmet(&W.usage)) {
                CHECK(p->inode_pressure && p->n_to_target == p->n_actions && !p->reachable, "inode pressure");
        } else {
                uint64_t cum = 0;
                size_t k = 0;
                struct usage a;
                for (;; k++) {
                        usage_after_freeing(&W.usage, cum, &a);
                        if (byte_targets(&a) || k == p->n_actions)
                                break;
                        cum += p->actions[k].estimated_bytes;
                }
                bool met = byte_targets(&a);
                CHECK(!p->inode_pressure, "no inode pressure");
                CHECK(p->n_to_target == k, "n_to_target %zu expected %zu", p->n_to_target, k);
                CHECK(p->reachable == met, "reachable");
        }
}

START_TEST(test_random_plans) {
        struct policy_plan p = {}, q = {};
        size_t total_actions = 0, truncated = 0, reachable = 0, n_image_actions = 0;

        for (iteration = 0; iteration < ITERATIONS; iteration++) {
                rng_state = seed + (uint64_t) iteration * UINT64_C(0x2545f4914f6cdd1d);
                generate();
                int r = policy_plan(&W.config, &W.usage, &W.snapshot, &p);
                CHECK(r == 0, "policy_plan: %d", r);
                check_plan(&p);

                /* dry_run changes nothing */
                W.config.dry_run = !W.config.dry_run;
                CHECK(policy_plan(&W.config, &W.usage, &W.snapshot, &q) == 0, "replan");
                CHECK(q.n_actions == p.n_actions && q.n_to_target == p.n_to_target, "dry_run changed the plan");
                for (size_t i = 0; i < p.n_actions; i++) {
                        const struct policy_action *x = &p.actions[i], *y = &q.actions[i];
                        CHECK(x->kind == y->kind && x->estimated_bytes == y->estimated_bytes &&
                                      (x->id == y->id || (x->id && y->id && strcmp(x->id, y->id) == 0)),
                              "dry_run changed action %zu", i);
                }

                total_actions += p.n_actions;
                truncated += p.truncated;
                reachable += p.reachable;
                for (size_t i = 0; i < p.n_actions; i++)
                        n_image_actions += p.actions[i].kind == POLICY_ACTION_REMOVE_IMAGE;
                policy_plan_done(&p);
                policy_plan_done(&q);
        }
        /* The generator must exercise the planner, not produce empty plans. */
        fprintf(stderr, "%d plans, %zu actions (%zu images), %zu truncated, %zu reachable\n", ITERATIONS,
                total_actions, n_image_actions, truncated, reachable);
        ck_assert_uint_gt(total_actions, (size_t) ITERATIONS);
        ck_assert_uint_gt(n_image_actions, (size_t) ITERATIONS / 10);
        ck_assert_uint_gt(truncated, (size_t) ITERATIONS / 20);
        ck_assert_uint_gt(reachable, (size_t) ITERATIONS / 20);
}
END_TEST

/* ---- plan(partial + what policy_unknowns() names) == plan(all) -------------------------------------- */

static struct policy_container truth_containers[MAX_CONTAINERS];
static struct policy_image truth_images[MAX_IMAGES];

static void check_same_plan(const struct usage *u, const struct policy_snapshot *partial, const char *what) {
        struct policy_snapshot all = W.snapshot;
        all.containers = truth_containers;
        all.images = truth_images;
        _cleanup_(policy_plan_done) struct policy_plan p = {}, q = {};
        CHECK(policy_plan(&W.config, u, partial, &p) == 0 && policy_plan(&W.config, u, &all, &q) == 0, "plan");
        CHECK(p.n_actions == q.n_actions, "%s: %zu actions over the partial snapshot, %zu over all", what, p.n_actions,
              q.n_actions);
        for (size_t i = 0; i < p.n_actions; i++) {
                const struct policy_action *x = &p.actions[i], *y = &q.actions[i];
                CHECK(x->kind == y->kind && x->rule == y->rule && x->tier == y->tier &&
                              x->estimated_bytes == y->estimated_bytes && x->reference_ns == y->reference_ns &&
                              x->keep_storage == y->keep_storage &&
                              (x->id == y->id || (x->id && y->id && strcmp(x->id, y->id) == 0)),
                      "%s: action %zu differs: %s %s vs %s %s", what, i, policy_action_kind_to_string(x->kind),
                      x->id ? x->id : "-", policy_action_kind_to_string(y->kind), y->id ? y->id : "-");
        }
}

START_TEST(test_random_unknowns) {
        size_t hidden = 0, named = 0, rounds = 0;

        for (iteration = 0; iteration < ITERATIONS; iteration++) {
                rng_state = (seed ^ UINT64_C(0x5bd1e995)) + (uint64_t) iteration * UINT64_C(0x2545f4914f6cdd1d);
                generate();
                struct config *c = &W.config;
                struct policy_snapshot *s = &W.snapshot;
                if (chance(40)) {
                        c->disk.critical_watermark = 50 + rnd_below(51);
                        c->disk.critical_min_age_sec = min_ages[rnd_below(ELEMENTSOF(min_ages))];
                }
                for (size_t t = 0; t < c->n_tiers; t++)
                        if (chance(30))
                                c->tiers[t].max_unused_age_sec = min_ages[rnd_below(ELEMENTSOF(min_ages))];
                c->protect_newest_per_repository = chance(25) ? 1 + rnd_below(2) : 0;

                /* The truth: a stop time is 0 (never ran) or not before Created; the last use the planner
                 * reads is at least the tag time (the history is seeded with it). */
                struct policy_container part_c[MAX_CONTAINERS];
                struct policy_image part_i[MAX_IMAGES];
                bool stop[MAX_CONTAINERS] = {}, size[MAX_CONTAINERS] = {}, tag[MAX_IMAGES] = {};
                int64_t known_use[MAX_IMAGES];
                for (size_t i = 0; i < s->n_containers; i++) {
                        struct policy_container *k = &W.containers[i];
                        if (k->finished_at_ns != 0 && k->finished_at_ns < k->created_ns)
                                k->finished_at_ns = k->created_ns + (int64_t) rnd_below(2) * 3600 * SEC;
                        truth_containers[i] = part_c[i] = *k;
                        bool stopped = k->state == ENGINE_CONTAINER_EXITED || k->state == ENGINE_CONTAINER_DEAD;
                        stop[i] = stopped && chance(70);
                        size[i] = chance(30);
                        if (stop[i])
                                part_c[i].finished_at_ns = 0;
                        if (size[i])
                                part_c[i].size_rw = 0;
                        hidden += stop[i];
                }
                for (size_t i = 0; i < s->n_images; i++) {
                        struct policy_image *im = &W.images[i];
                        known_use[i] = im->last_used_ns;
                        im->last_tag_time_ns = chance(50) ? random_time() : 0;
                        im->last_used_ns = MAX(im->last_used_ns, im->last_tag_time_ns);
                        truth_images[i] = part_i[i] = *im;
                        tag[i] = chance(60);
                        if (tag[i]) {
                                part_i[i].last_tag_time_ns = 0;
                                part_i[i].last_used_ns = known_use[i];
                        }
                        hidden += tag[i];
                }
                struct policy_snapshot partial = *s;
                partial.containers = part_c;
                partial.images = part_i;

                /* Ask, reveal what is named, until nothing is. */
                for (size_t round = 0;; round++) {
                        CHECK(round <= MAX_CONTAINERS + MAX_IMAGES + 1, "no end after %zu rounds", round);
                        _cleanup_(policy_unknowns_done) struct policy_unknowns u = {};
                        struct policy_unknown_input in = { stop, size, tag };
                        CHECK(policy_unknowns(c, &partial, &in, &u) == 0, "policy_unknowns");
                        rounds++;
                        for (size_t j = 0; j < u.n_stops; j++) {
                                size_t i = u.stops[j];
                                CHECK(stop[i], "container %zu named, its stop time known", i);
                                part_c[i].finished_at_ns = truth_containers[i].finished_at_ns;
                                stop[i] = false;
                        }
                        for (size_t j = 0; j < u.n_sizes; j++) {
                                size_t i = u.sizes[j];
                                CHECK(size[i], "container %zu named, its size known", i);
                                part_c[i].size_rw = truth_containers[i].size_rw;
                                size[i] = false;
                        }
                        for (size_t j = 0; j < u.n_tags; j++) {
                                size_t i = u.tags[j];
                                CHECK(tag[i], "image %zu named, its tag time known", i);
                                part_i[i] = truth_images[i];
                                tag[i] = false;
                        }
                        named += u.n_stops + u.n_tags;
                        if (u.n_stops == 0 && u.n_tags == 0)
                                break;
                }
                struct usage worst;
                usage_from_counts(1, 100, 0, 0, 0, 0, 0, &worst);
                check_same_plan(&W.usage, &partial, "this usage");
                check_same_plan(&worst, &partial, "a full disk");
        }
        fprintf(stderr, "%zu unknowns, %zu named, %zu rounds\n", hidden, named, rounds);
        /* The function must leave unknowns unnamed, not name all: else the test proves nothing. */
        ck_assert_uint_gt(named, hidden / 20);
        ck_assert_uint_lt(named, hidden / 2);
}
END_TEST

int main(void) {
        const char *e = getenv("DOCKERCLEAN_SEED");
        if (e && *e)
                seed = strtoull(e, NULL, 10);
        else
                seed = (uint64_t) time(NULL) ^ ((uint64_t) clock() << 32);
        fprintf(stderr, "DOCKERCLEAN_SEED=%" PRIu64 "\n", seed);

        Suite *s = suite_create("policy-random");
        TCase *tc = tcase_create("random");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_random_plans);
        tcase_add_test(tc, test_random_unknowns);
        suite_add_tcase(s, tc);
        int failed = dctest_run(s);
        if (failed)
                fprintf(stderr, "replay with DOCKERCLEAN_SEED=%" PRIu64 "\n", seed);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
