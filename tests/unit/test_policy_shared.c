/* Content shared between images and the build cache (BuildKit-built images, the containerd store): the
 * prune's keep counts what the engine counts, the cheaper victim goes first, a short removal is told. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dctest.h"
#include "macro.h"
#include "policy.h"

#define SEC INT64_C(1000000000)
#define NOW (INT64_C(1800000000) * SEC)
#define MiB UINT64_C(1048576)
#define GiB (1024 * MiB)

#define PLAN(c, u, s, p) ck_assert_int_eq(policy_plan((c), (u), (s), (p)), 0)

static struct config config_with(const enum config_tier_type *types, size_t n) {
        struct config c = {
                .disk = { .high_watermark = 80, .low_watermark = 60, .inode_high_watermark = 95, .inode_low_watermark = 90 },
                .max_removals = 1000,
        };
        for (size_t i = 0; i < n; i++)
                c.tiers[i] = (struct config_tier) { .type = types[i] };
        c.n_tiers = n;
        return c;
}

/* A 1 GiB filesystem at `percent` used (1-byte blocks, no reserve). */
static struct usage usage_percent(unsigned percent) {
        uint64_t total = GiB, used = total / 100 * percent;
        struct usage u;
        usage_from_counts(1, total, total - used, total - used, 0, 0, 0, &u);
        return u;
}

/* The order of the plan's kinds, one letter each: c container, i image, b build-cache prune. */
static void plan_kinds(const struct policy_plan *p, char *buf, size_t size) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_actions && n + 1 < size; i++)
                buf[n++] = p->actions[i].kind == POLICY_ACTION_REMOVE_CONTAINER  ? 'c'
                           : p->actions[i].kind == POLICY_ACTION_REMOVE_IMAGE     ? 'i'
                           : p->actions[i].kind == POLICY_ACTION_PRUNE_BUILD_CACHE ? 'b'
                                                                                   : '?';
        buf[n] = 0;
}

static char *const tags_a[] = { "bk1:v1", NULL }, *const tags_b[] = { "bk2:v1", NULL };

/* Which goes first, by configured order, shared bytes and what the prune can still take. */
START_TEST(test_prune_before_images_that_share) {
        static const struct {
                enum config_tier_type order[4];
                size_t n;
                uint64_t counted, shared;
                const char *kinds;
        } table[] = {
                /* The order: build-cache already before unused-images; the dangling image waits for the
                 * prune (the base image stays: the container uses it). */
                { { CONFIG_TIER_STOPPED_CONTAINERS, CONFIG_TIER_DANGLING_IMAGES, CONFIG_TIER_BUILD_CACHE, CONFIG_TIER_UNUSED_IMAGES },
                  4, 300 * MiB, 50 * MiB, "cbiii" },
                /* Images configured first: the prune still goes first while the cache shares their layers. */
                { { CONFIG_TIER_UNUSED_IMAGES, CONFIG_TIER_BUILD_CACHE }, 2, 300 * MiB, 50 * MiB, "bii" },
                /* Nothing shared (legacy-built images): the configured order. */
                { { CONFIG_TIER_UNUSED_IMAGES, CONFIG_TIER_BUILD_CACHE }, 2, 300 * MiB, 0, "iib" },
                /* Nothing the prune can take: the configured order (the images unshare what is left). */
                { { CONFIG_TIER_UNUSED_IMAGES, CONFIG_TIER_BUILD_CACHE }, 2, 0, 50 * MiB, "ii" },
                /* No build-cache tier: images as configured. */
                { { CONFIG_TIER_UNUSED_IMAGES }, 1, 300 * MiB, 50 * MiB, "ii" },
        };
        for (size_t k = 0; k < ELEMENTSOF(table); k++) {
                struct config c = config_with(table[k].order, table[k].n);
                struct usage u = usage_percent(90);
                struct policy_container ct = { .id = "c1", .image_id = "sha256:base", .state = ENGINE_CONTAINER_EXITED,
                                               .created_ns = NOW - 100 * SEC, .size_rw = MiB };
                struct policy_image im[] = {
                        { .id = "sha256:a", .tags = tags_a, .created_ns = NOW - 50 * SEC, .size = 10 * MiB },
                        { .id = "sha256:b", .tags = tags_b, .created_ns = NOW - 40 * SEC, .size = 10 * MiB },
                        { .id = "sha256:d", .created_ns = NOW - 60 * SEC, .size = 10 * MiB }, /* dangling */
                        { .id = "sha256:base", .tags = (char *const[]) { "base:1", NULL }, .created_ns = 1 },
                };
                struct policy_snapshot s = {
                        .now_ns = NOW,
                        .containers = &ct,
                        .n_containers = 1,
                        .images = im,
                        .n_images = ELEMENTSOF(im),
                        .build_cache = { .supported = true, .counted = table[k].counted, .reclaimable = table[k].counted,
                                         .shared = table[k].shared },
                };
                struct policy_plan p = {};
                PLAN(&c, &u, &s, &p);
                char kinds[16];
                plan_kinds(&p, kinds, sizeof kinds);
                const char *want = table[k].kinds;
                ck_assert_msg(strcmp(kinds, want) == 0, "case %zu: kinds %s, want %s", k, kinds, want);
                policy_plan_done(&p);
        }
}
END_TEST

/* The keep sent to the prune and its estimate count the records the engine counts (policy.counted):
 * the figures, 631.7 MiB private and 90 MiB shared, 220 MiB needed. */
START_TEST(test_keep_counts_private_records) {
        enum config_tier_type order[] = { CONFIG_TIER_BUILD_CACHE };
        struct config c = config_with(order, 1);
        struct usage u = usage_percent(80);
        uint64_t need = policy_bytes_needed(&c, &u);
        struct policy_snapshot s = {
                .now_ns = NOW,
                .build_cache = { .supported = true, .counted = 632 * MiB, .reclaimable = 632 * MiB, .shared = 90 * MiB },
        };
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_actions, 1);
        ck_assert_uint_eq(p.actions[0].keep_storage, 632 * MiB - need);
        ck_assert_uint_eq(p.actions[0].estimated_bytes, need);
        ck_assert_uint_eq(p.actions[0].build_cache_counted, 632 * MiB);
        ck_assert_uint_eq(policy_build_cache_keep_storage(&c, &u, 632 * MiB), 632 * MiB - need);
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_removal_short_table) {
        static const struct {
                uint64_t estimated, freed;
                bool short_;
        } table[] = {
                { 10 * MiB, 12 * 1024, true },       /* the 12.0 KiB of a 10 MiB image */
                { 10 * MiB, 10 * MiB, false },
                { 100 * MiB, MiB, false },           /* exactly 1 %: not under it */
                { 100 * MiB, MiB - 1, true },
                { 100, 0, true },
                { 100, 1, false },
                { 101, 1, true },                    /* 1 * 100 < 101 */
                { 0, 0, false },                     /* nothing estimated: nothing to miss */
                { UINT64_MAX, UINT64_MAX / 100 + 1, false },
                { UINT64_MAX, 0, true },
        };
        for (size_t k = 0; k < ELEMENTSOF(table); k++)
                ck_assert_msg(policy_removal_short(table[k].estimated, table[k].freed) == table[k].short_,
                              "case %zu", k);
        /* A prune short of its estimate with a target unmet plans again; so does one over a cache that shares
         * layers with images; an image never does (its own rule). */
        struct policy_action prune = { .kind = POLICY_ACTION_PRUNE_BUILD_CACHE, .estimated_bytes = 68 * MiB };
        ck_assert(policy_prune_replans(&prune, 55 * MiB, false));
        ck_assert(!policy_prune_replans(&prune, 55 * MiB, true));
        ck_assert(!policy_prune_replans(&prune, 68 * MiB, false));
        prune.estimated_bytes = 100 * MiB;
        ck_assert(!policy_prune_replans(&prune, 90 * MiB, false));
        ck_assert(policy_prune_replans(&prune, 90 * MiB - 1, false));
        prune.replan_unless_met = true;
        ck_assert(policy_prune_replans(&prune, 100 * MiB, false));
        ck_assert(!policy_prune_replans(&prune, 100 * MiB, true));
        prune = (struct policy_action) { .kind = POLICY_ACTION_PRUNE_BUILD_CACHE, .estimated_bytes = UINT64_MAX };
        ck_assert(!policy_prune_replans(&prune, UINT64_MAX - UINT64_MAX / 10, false));
        prune.estimated_bytes = 0;
        ck_assert(!policy_prune_replans(&prune, 0, false));
        /* It kept private records on purpose, and the target is unmet: prune again before any image. */
        prune = (struct policy_action) { .kind = POLICY_ACTION_PRUNE_BUILD_CACHE, .estimated_bytes = 45 * MiB, .keep_storage = 60 * MiB };
        ck_assert(policy_prune_replans(&prune, 45 * MiB, false));
        ck_assert(!policy_prune_replans(&prune, 45 * MiB, true));
        prune.keep_storage = 0;
        ck_assert(!policy_prune_replans(&prune, 45 * MiB, false));
        struct policy_action image = { .kind = POLICY_ACTION_REMOVE_IMAGE, .estimated_bytes = 68 * MiB, .replan_unless_met = true };
        ck_assert(!policy_prune_replans(&image, 0, false));
        ck_assert(policy_short_stops_kind(POLICY_ACTION_REMOVE_IMAGE));
        ck_assert(policy_short_stops_kind(POLICY_ACTION_PRUNE_BUILD_CACHE));
        ck_assert(!policy_short_stops_kind(POLICY_ACTION_REMOVE_CONTAINER));
        ck_assert(!policy_short_stops_kind(POLICY_ACTION_REMOVE_VOLUME));
        ck_assert(!policy_short_stops_kind(POLICY_ACTION_REMOVE_NETWORK));
}
END_TEST

int main(void) {
        Suite *s = suite_create("policy_shared");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_prune_before_images_that_share);
        tcase_add_test(tc, test_keep_counts_private_records);
        tcase_add_test(tc, test_removal_short_table);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? 0 : 1;
}
