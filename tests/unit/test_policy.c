/* test_policy.c: table-driven tests of the pure planner (lib/policy*.c). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy.h"
#include "dctest.h"

#define SEC INT64_C(1000000000)
#define NOW (INT64_C(1800000000) * SEC)
#define MiB UINT64_C(1048576)
#define GiB (1024 * MiB)

/* ---- helpers -------------------------------------------------------------------------------------- */

static struct config base_config(void) {
        struct config c = {
                .disk = {
                        .high_watermark = 90,
                        .low_watermark = 80,
                        .inode_high_watermark = 95,
                        .inode_low_watermark = 90,
                },
                .max_removals = 1000,
        };
        static const enum config_tier_type order[] = {
                CONFIG_TIER_STOPPED_CONTAINERS, CONFIG_TIER_DANGLING_IMAGES, CONFIG_TIER_BUILD_CACHE,
                CONFIG_TIER_UNUSED_IMAGES,      CONFIG_TIER_UNUSED_VOLUMES,  CONFIG_TIER_UNUSED_NETWORKS,
        };
        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                c.tiers[i] = (struct config_tier) { .type = order[i] };
        c.n_tiers = ELEMENTSOF(order);
        return c;
}

static void set_tiers(struct config *c, const enum config_tier_type *types, size_t n) {
        for (size_t i = 0; i < n; i++)
                c->tiers[i] = (struct config_tier) { .type = types[i] };
        c->n_tiers = n;
}

/* A filesystem of used + free bytes (1-byte blocks, no reserve) with optional inode figures. */
static struct usage mk_usage(uint64_t used, uint64_t avail, uint64_t files, uint64_t files_used) {
        struct usage u;
        usage_from_counts(1, used + avail, avail, avail, files, files - files_used, files - files_used, &u);
        return u;
}

/* 100 GiB filesystem at `percent` used, no inode figures. */
static struct usage usage_percent(unsigned percent) {
        uint64_t total = 100 * GiB;
        return mk_usage(total / 100 * percent, total - total / 100 * percent, 0, 0);
}

static struct policy_snapshot snap(void) {
        return (struct policy_snapshot) { .now_ns = NOW };
}

static size_t count_kind(const struct policy_plan *p, enum policy_action_kind k) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_actions; i++)
                n += p->actions[i].kind == k;
        return n;
}

static bool plan_has(const struct policy_plan *p, const char *id) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].id && strcmp(p->actions[i].id, id) == 0)
                        return true;
        return false;
}

/* "a,b,c": the ids of the plan's actions in order ("cache" for the build-cache prune). */
static char *plan_ids(const struct policy_plan *p) {
        static char buf[4096];
        buf[0] = 0;
        for (size_t i = 0; i < p->n_actions; i++) {
                if (i > 0)
                        strcat(buf, ",");
                strcat(buf, p->actions[i].id ? p->actions[i].id : "cache");
        }
        return buf;
}

#define PLAN(c, u, s, p) ck_assert_int_eq(policy_plan((c), (u), (s), (p)), 0)

/* ---- measuring ------------------------------------------------------------------------------------ */

START_TEST(test_triggered_table) {
        static const struct {
                uint64_t used, avail, files, files_used, min_free;
                bool expected;
        } table[] = {
                /* high watermark 90 %: exactly at it triggers, just below does not */
                { 90 * MiB, 10 * MiB, 0, 0, 0, true },
                { 90 * MiB - 1, 10 * MiB + 1, 0, 0, 0, false },
                { 99 * MiB, 1 * MiB, 0, 0, 0, true },
                /* min_free: strictly below triggers; equal does not; 0 = off */
                { 10 * MiB, 5 * MiB - 1, 0, 0, 5 * MiB, true },
                { 10 * MiB, 5 * MiB, 0, 0, 5 * MiB, false },
                { 1, 99, 0, 0, 0, false },
                { 1, 99, 0, 0, 100, true },
                /* inodes 95 %: at it triggers, below not */
                { 10 * MiB, 90 * MiB, 1000, 950, 0, true },
                { 10 * MiB, 90 * MiB, 1000, 949, 0, false },
                /* no inode figures (btrfs): never an inode trigger */
                { 10 * MiB, 90 * MiB, 0, 0, 0, false },
        };
        struct config c = base_config();
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct usage u = mk_usage(table[i].used, table[i].avail, table[i].files, table[i].files_used);
                c.disk.min_free = table[i].min_free;
                ck_assert_msg(policy_triggered(&c, &u) == table[i].expected, "row %zu", i);
        }

        /* Absent inode figures win over a stale percent. */
        struct usage u = mk_usage(10, 90, 0, 0);
        u.inodes_used_percent = 99;
        ck_assert(!policy_triggered(&c, &u));
        ck_assert(!policy_inode_target_unmet(&c, &u));
}
END_TEST

START_TEST(test_targets_table) {
        static const struct {
                uint64_t used, avail, files, files_used, min_free, target_free;
                bool expected, bytes_expected;
        } table[] = {
                /* low watermark 80 %: strictly below is met, exactly at it is not */
                { 80 * MiB, 20 * MiB, 0, 0, 0, 0, false, false },
                { 80 * MiB - 1, 20 * MiB + 1, 0, 0, 0, 0, true, true },
                /* target_free */
                { 10 * MiB, 30 * MiB, 0, 0, 0, 30 * MiB, true, true },
                { 10 * MiB, 30 * MiB - 1, 0, 0, 0, 30 * MiB, false, false },
                /* target_free 0 with min_free set: min_free is the target */
                { 10 * MiB, 30 * MiB - 1, 0, 0, 30 * MiB, 0, false, false },
                { 10 * MiB, 30 * MiB, 0, 0, 30 * MiB, 0, true, true },
                /* target_free set wins over min_free */
                { 10 * MiB, 30 * MiB, 0, 0, 20 * MiB, 40 * MiB, false, false },
                /* inodes: 90 % low, strictly below is met */
                { 10 * MiB, 90 * MiB, 1000, 900, 0, 0, false, true },
                { 10 * MiB, 90 * MiB, 1000, 899, 0, 0, true, true },
                { 10 * MiB, 90 * MiB, 0, 0, 0, 0, true, true },
        };
        struct config c = base_config();
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct usage u = mk_usage(table[i].used, table[i].avail, table[i].files, table[i].files_used);
                c.disk.min_free = table[i].min_free;
                c.disk.target_free = table[i].target_free;
                ck_assert_msg(policy_targets_met(&c, &u) == table[i].expected, "row %zu", i);
                ck_assert_msg(policy_byte_targets_met(&c, &u) == table[i].bytes_expected, "row %zu", i);
        }
}
END_TEST

START_TEST(test_bytes_needed) {
        struct config c = base_config();
        struct usage u = usage_percent(95), after;

        /* 95 GiB used of 100 GiB, target < 80 %: a bit more than 15 GiB, exactly the boundary. */
        uint64_t need = policy_bytes_needed(&c, &u);
        ck_assert_uint_gt(need, 15 * GiB);
        ck_assert_uint_le(need, 15 * GiB + 1);
        usage_after_freeing(&u, need, &after);
        ck_assert(policy_byte_targets_met(&c, &after));
        usage_after_freeing(&u, need - 1, &after);
        ck_assert(!policy_byte_targets_met(&c, &after));

        /* Free-bytes target dominates. */
        c.disk.target_free = 30 * GiB;
        ck_assert_uint_eq(policy_bytes_needed(&c, &u), 25 * GiB);

        /* Already met: 0. */
        struct usage low = usage_percent(50);
        ck_assert_uint_eq(policy_bytes_needed(&c, &low), 0);

        /* Unreachable: the target is larger than the filesystem. */
        c.disk.target_free = 200 * GiB;
        ck_assert_uint_eq(policy_bytes_needed(&c, &u), UINT64_MAX);
        c.disk.target_free = 0;
        c.disk.low_watermark = 0;
        ck_assert_uint_eq(policy_bytes_needed(&c, &u), UINT64_MAX);
}
END_TEST

START_TEST(test_neediest_table) {
        /* base_config(): clean at 90 %, down to below 80 %. Each row: up to three filesystems by percent used
         * (0 = absent), and the index policy_neediest() names. */
        static const struct {
                unsigned pct[3];
                bool unreachable; /* clean at 1 % down to below 0 %: no filesystem can meet it */
                size_t expected;
        } table[] = {
                { { 95, 0, 0 }, false, 0 },
                { { 50, 95, 0 }, false, 1 },      /* the one whose targets are unmet */
                { { 95, 85, 0 }, false, 0 },      /* both unmet: the one that needs more */
                { { 85, 97, 92 }, false, 1 },
                { { 50, 70, 60 }, false, 1 },     /* every target holds: the fullest (a cleanup ends where it began) */
                { { 1, 43, 0 }, true, 1 },   /* both unmet and out of reach (UINT64_MAX each): the fuller */
                { { 43, 1, 0 }, true, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct config c = base_config();
                if (table[i].unreachable) {
                        c.disk.high_watermark = 1;
                        c.disk.low_watermark = 0;
                }
                struct usage_set s = {};
                for (size_t k = 0; k < 3 && table[i].pct[k]; k++)
                        s.fs[s.n++].usage = usage_percent(table[i].pct[k]);
                ck_assert_msg(policy_neediest(&c, &s) == table[i].expected, "row %zu: %zu", i, policy_neediest(&c, &s));
        }
}
END_TEST

START_TEST(test_build_cache_keep_storage) {
        struct config c = base_config();
        c.disk.target_free = 30 * GiB; /* from 5 GiB free: 25 GiB needed */
        struct usage u = usage_percent(95);

        ck_assert_uint_eq(policy_build_cache_keep_storage(&c, &u, 40 * GiB), 15 * GiB);
        ck_assert_uint_eq(policy_build_cache_keep_storage(&c, &u, 25 * GiB), 0);
        ck_assert_uint_eq(policy_build_cache_keep_storage(&c, &u, 10 * GiB), 0);
        /* Nothing needed: keep everything. */
        struct usage low = usage_percent(10);
        ck_assert_uint_eq(policy_build_cache_keep_storage(&c, &low, 10 * GiB), 0 + 10 * GiB - 0);
        /* Inode pressure: relief cannot be estimated, free all that is old enough. */
        struct usage inodes = mk_usage(10 * GiB, 90 * GiB, 1000, 990);
        ck_assert_uint_eq(policy_build_cache_keep_storage(&c, &inodes, 10 * GiB), 0);
}
END_TEST

/* ---- protection ----------------------------------------------------------------------------------- */

START_TEST(test_labels_protected_table) {
        struct engine_kv kv[] = { { "keep", "" }, { "tier", "gold" }, { "team", "ci" } };
        struct engine_labels labels = { kv, ELEMENTSOF(kv) };
        static const struct {
                char *rule;
                bool expected;
        } table[] = {
                { "keep", true },          /* key present with empty value */
                { "tier", true },          /* key present, any value */
                { "tier=gold", true },     /* exact value */
                { "tier=silver", false },  /* other value */
                { "tier=gol", false },     /* no prefix matching */
                { "tier=", false },        /* empty value is a value */
                { "keep=", true },
                { "missing", false },
                { "team=c*", false },      /* no globs in labels */
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct config c = base_config();
                char *rules[] = { table[i].rule, NULL };
                c.protect_labels = rules;
                ck_assert_msg(policy_labels_protected(&c, &labels) == table[i].expected, "rule %s", table[i].rule);
        }

        struct config c = base_config();
        ck_assert(!policy_labels_protected(&c, &labels)); /* no rules */
        char *rules[] = { "keep", NULL };
        c.protect_labels = rules;
        ck_assert(!policy_labels_protected(&c, NULL));
        struct engine_labels none = {};
        ck_assert(!policy_labels_protected(&c, &none));
}
END_TEST

START_TEST(test_image_protected_table) {
        static const struct {
                char *glob, *tag;
                bool expected;
        } table[] = {
                { "x/*", "x/y:tag", true },
                { "x/*", "x/y/z:1", true },
                { "x/*", "xy/z:1", false },
                { "nginx", "nginx:1.25", true },                  /* repo without tag */
                { "nginx", "nginx-extra:1", false },
                { "nginx:1.*", "nginx:1.25", true },
                { "nginx:1.*", "nginx:2.0", false },
                { "registry:5000/app", "registry:5000/app:v1", true }, /* port is not a tag */
                { "registry:5000/*", "registry:5000/app:v1", true },
                { "registry", "registry:5000/app:v1", false },
                { "*:latest", "bb:latest", true },
                { "*:1", "team/app:1", true },                     /* a star crosses '/' */
                { "ngin", "nginx:1", false },
                { "*", "anything:1", true },
                { "gitlab/gitlab-runner:*", "gitlab/gitlab-runner:alpine-v16", true },
                /* Podman lists qualified names; the familiar form is matched too. */
                { "keep/*", "docker.io/keep/by-glob:1", true },
                { "nginx", "docker.io/library/nginx:1.25", true },
                { "docker.io/library/nginx", "docker.io/library/nginx:1.25", true },
                { "keep/*", "quay.io/keep/x:1", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct config c = base_config();
                char *globs[] = { table[i].glob, NULL };
                char *tags[] = { "filler:none", table[i].tag, NULL };
                c.protect_images = globs;
                ck_assert_msg(policy_image_protected(&c, tags, NULL) == table[i].expected, "%s vs %s",
                              table[i].glob, table[i].tag);
        }

        struct config c = base_config();
        char *globs[] = { "*", NULL };
        c.protect_images = globs;
        ck_assert(!policy_image_protected(&c, NULL, NULL)); /* dangling: only labels can protect */
        char *rules[] = { "keep=1", NULL };
        c.protect_labels = rules;
        struct engine_kv kv[] = { { "keep", "1" } };
        struct engine_labels labels = { kv, 1 };
        ck_assert(policy_image_protected(&c, NULL, &labels));
}
END_TEST

/* ---- containers -------------------------------------------------------------------------------------- */

START_TEST(test_containers_states_and_order) {
        struct config c = base_config();
        c.tiers[0].min_age_sec = 3600;
        struct usage u = usage_percent(95);
        struct policy_container k[] = {
                /* ordered by FinishedAt, or Created when never started */
                { .id = "exited-new", .image_id = "sha256:i", .state = ENGINE_CONTAINER_EXITED,
                  .created_ns = NOW - 100 * 3600 * SEC, .finished_at_ns = NOW - 2 * 3600 * SEC, .size_rw = 1 },
                { .id = "exited-old", .image_id = "sha256:i", .state = ENGINE_CONTAINER_EXITED,
                  .created_ns = NOW - 5 * 3600 * SEC, .finished_at_ns = NOW - 4 * 3600 * SEC, .size_rw = 2 },
                { .id = "created", .image_id = "sha256:i", .state = ENGINE_CONTAINER_CREATED,
                  .created_ns = NOW - 3 * 3600 * SEC, .size_rw = 3 },
                { .id = "dead", .image_id = "sha256:i", .state = ENGINE_CONTAINER_DEAD,
                  .created_ns = NOW - 9 * 3600 * SEC, .finished_at_ns = NOW - 3600 * SEC, .size_rw = 4 },
                /* exactly at min_age: old enough; one ns younger: not */
                { .id = "at-min-age", .image_id = "sha256:i", .state = ENGINE_CONTAINER_EXITED,
                  .created_ns = NOW - 7200 * SEC, .finished_at_ns = NOW - 3600 * SEC, .size_rw = 5 },
                { .id = "too-young", .image_id = "sha256:i", .state = ENGINE_CONTAINER_EXITED,
                  .created_ns = NOW - 7200 * SEC, .finished_at_ns = NOW - 3600 * SEC + 1 },
                { .id = "created-young", .image_id = "sha256:i", .state = ENGINE_CONTAINER_CREATED,
                  .created_ns = NOW - 60 * SEC },
                { .id = "running", .image_id = "sha256:i", .state = ENGINE_CONTAINER_RUNNING,
                  .created_ns = NOW - 99 * 3600 * SEC, .finished_at_ns = NOW - 98 * 3600 * SEC },
                { .id = "paused", .image_id = "sha256:i", .state = ENGINE_CONTAINER_PAUSED, .created_ns = 1 },
                { .id = "restarting", .image_id = "sha256:i", .state = ENGINE_CONTAINER_RESTARTING, .created_ns = 1 },
                { .id = "removing", .image_id = "sha256:i", .state = ENGINE_CONTAINER_REMOVING, .created_ns = 1 },
                { .id = "unknown", .image_id = "sha256:i", .state = ENGINE_CONTAINER_UNKNOWN, .created_ns = 1 },
                { .id = "no-times", .image_id = "sha256:i", .state = ENGINE_CONTAINER_EXITED },
        };
        struct policy_snapshot s = snap();
        s.containers = k;
        s.n_containers = ELEMENTSOF(k);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        /* dead and at-min-age tie on FinishedAt; Created breaks the tie (dead is older) */
        ck_assert_str_eq(plan_ids(&p), "exited-old,created,exited-new,dead,at-min-age");
        ck_assert_uint_eq(p.actions[0].estimated_bytes, 2);
        ck_assert_int_eq(p.actions[0].kind, POLICY_ACTION_REMOVE_CONTAINER);
        ck_assert_int_eq(p.actions[0].tier, CONFIG_TIER_STOPPED_CONTAINERS);
        ck_assert_int_eq(p.actions[0].reference_ns, NOW - 4 * 3600 * SEC);
        ck_assert_uint_eq(p.tier_bytes[CONFIG_TIER_STOPPED_CONTAINERS], 1 + 2 + 3 + 4 + 5);
        ck_assert_uint_eq(p.tier_actions[CONFIG_TIER_STOPPED_CONTAINERS], 5);
        policy_plan_done(&p);

        /* min_age 0: even unknown times and young ones go; live states still never. */
        c.tiers[0].min_age_sec = 0;
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_actions, 8);
        ck_assert(plan_has(&p, "no-times") && plan_has(&p, "too-young") && plan_has(&p, "created-young"));
        ck_assert(!plan_has(&p, "running") && !plan_has(&p, "paused") && !plan_has(&p, "restarting") &&
                  !plan_has(&p, "removing") && !plan_has(&p, "unknown"));
        policy_plan_done(&p);
        policy_plan_done(&p); /* idempotent */
}
END_TEST

START_TEST(test_containers_protected) {
        struct config c = base_config();
        char *rules[] = { "keep", "env=prod", NULL };
        c.protect_labels = rules;
        struct usage u = usage_percent(95);
        struct engine_kv keep[] = { { "keep", "x" } }, prod[] = { { "env", "prod" } }, dev[] = { { "env", "dev" } };
        struct policy_container k[] = {
                { .id = "a", .image_id = "sha256:i", .state = ENGINE_CONTAINER_EXITED, .created_ns = 1,
                  .labels = { keep, 1 } },
                { .id = "b", .image_id = "sha256:i", .state = ENGINE_CONTAINER_EXITED, .created_ns = 2,
                  .labels = { prod, 1 } },
                { .id = "c", .image_id = "sha256:i", .state = ENGINE_CONTAINER_EXITED, .created_ns = 3,
                  .labels = { dev, 1 } },
        };
        struct policy_snapshot s = snap();
        s.containers = k;
        s.n_containers = ELEMENTSOF(k);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "c");
        policy_plan_done(&p);
}
END_TEST

/* ---- images ------------------------------------------------------------------------------------------ */

START_TEST(test_images_pinned_by_every_state) {
        struct config c = base_config();
        struct usage u = usage_percent(95);
        static const enum engine_container_state states[] = {
                ENGINE_CONTAINER_UNKNOWN, ENGINE_CONTAINER_CREATED, ENGINE_CONTAINER_RESTARTING,
                ENGINE_CONTAINER_RUNNING, ENGINE_CONTAINER_REMOVING, ENGINE_CONTAINER_PAUSED,
                ENGINE_CONTAINER_EXITED,  ENGINE_CONTAINER_DEAD,
        };
        char *tags[] = { "app:1", NULL };
        for (size_t i = 0; i < ELEMENTSOF(states); i++) {
                struct policy_container k = { .id = "k", .image_id = "sha256:used", .state = states[i],
                                              .created_ns = 1, .finished_at_ns = 2 };
                struct policy_image im[] = {
                        { .id = "sha256:used", .tags = tags, .created_ns = 1, .size = 10 },
                        { .id = "sha256:dangling-used", .created_ns = 1, .size = 10 },
                        { .id = "sha256:free", .created_ns = 1, .size = 10 },
                };
                struct policy_container k2 = k;
                k2.id = "k2";
                k2.image_id = "sha256:dangling-used";
                struct policy_container ks[] = { k, k2 };
                struct policy_snapshot s = snap();
                s.containers = ks;
                s.n_containers = 2;
                s.images = im;
                s.n_images = ELEMENTSOF(im);
                struct policy_plan p = {};
                PLAN(&c, &u, &s, &p);
                /* Even when the container itself is planned (exited, created, dead), its image stays. */
                ck_assert_msg(!plan_has(&p, "sha256:used"), "state %d", states[i]);
                ck_assert_msg(!plan_has(&p, "sha256:dangling-used"), "state %d", states[i]);
                ck_assert(plan_has(&p, "sha256:free"));
                ck_assert_uint_eq(count_kind(&p, POLICY_ACTION_REMOVE_CONTAINER),
                                  (states[i] == ENGINE_CONTAINER_EXITED || states[i] == ENGINE_CONTAINER_CREATED ||
                                   states[i] == ENGINE_CONTAINER_DEAD) ? 2 : 0);
                policy_plan_done(&p);
        }

        /* A container whose image id is unknown blocks every image removal. */
        struct policy_container unknown = { .id = "k", .image_id = "", .state = ENGINE_CONTAINER_RUNNING };
        struct policy_image im = { .id = "sha256:free", .created_ns = 1, .size = 10 };
        struct policy_snapshot s = snap();
        s.containers = &unknown;
        s.n_containers = 1;
        s.images = &im;
        s.n_images = 1;
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_actions, 0);
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_images_lru_order_and_min_age) {
        struct config c = base_config();
        enum config_tier_type only[] = { CONFIG_TIER_UNUSED_IMAGES };
        set_tiers(&c, only, 1);
        c.tiers[0].min_age_sec = 24 * 3600;
        struct usage u = usage_percent(95);
        char *t1[] = { "a:1", NULL }, *t2[] = { "b:1", "b:latest", NULL }, *t3[] = { "c:1", NULL },
             *t4[] = { "d:1", NULL }, *t5[] = { "e:1", NULL }, *t6[] = { "f:1", NULL }, *t7[] = { "g:1", NULL };
        int64_t day = 24 * 3600 * SEC;
        struct policy_image im[] = {
                /* used 3 days ago */
                { .id = "sha256:a", .tags = t1, .created_ns = NOW - 30 * day, .last_used_ns = NOW - 3 * day },
                /* used 10 days ago: least recently used */
                { .id = "sha256:b", .tags = t2, .created_ns = NOW - 30 * day, .last_used_ns = NOW - 10 * day },
                /* same last use as a, older Created: before a */
                { .id = "sha256:c", .tags = t3, .created_ns = NOW - 40 * day, .last_used_ns = NOW - 3 * day },
                /* same last use and Created as a: id breaks the tie */
                { .id = "sha256:0", .tags = t4, .created_ns = NOW - 30 * day, .last_used_ns = NOW - 3 * day },
                /* used an hour ago: too recent, although created long ago */
                { .id = "sha256:e", .tags = t5, .created_ns = NOW - 90 * day, .last_used_ns = NOW - 3600 * SEC },
                /* no history: Created counts (5 days) */
                { .id = "sha256:f", .tags = t6, .created_ns = NOW - 5 * day },
                /* exactly min_age since last use: old enough */
                { .id = "sha256:g", .tags = t7, .created_ns = NOW - 5 * day, .last_used_ns = NOW - day },
                /* dangling: not this tier */
                { .id = "sha256:dangling", .created_ns = NOW - 90 * day },
        };
        struct policy_snapshot s = snap();
        s.images = im;
        s.n_images = ELEMENTSOF(im);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:b,sha256:f,sha256:c,sha256:0,sha256:a,sha256:g");
        /* Every tag travels with the action, copied. */
        ck_assert_ptr_nonnull(p.actions[0].tags);
        ck_assert_str_eq(p.actions[0].tags[0], "b:1");
        ck_assert_str_eq(p.actions[0].tags[1], "b:latest");
        ck_assert_ptr_null(p.actions[0].tags[2]);
        ck_assert_ptr_ne(p.actions[0].tags[0], t2[0]);
        ck_assert_str_eq(p.actions[0].name, "b:1");
        ck_assert_int_eq(p.actions[0].reference_ns, NOW - 10 * day);
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_images_dangling_tier) {
        struct config c = base_config();
        enum config_tier_type only[] = { CONFIG_TIER_DANGLING_IMAGES };
        set_tiers(&c, only, 1);
        c.tiers[0].min_age_sec = 3600;
        struct usage u = usage_percent(95);
        char *tags[] = { "a:1", NULL }, *empty[] = { NULL };
        char *rules[] = { "keep", NULL };
        c.protect_labels = rules;
        struct engine_kv keep[] = { { "keep", "1" } };
        struct policy_image im[] = {
                { .id = "sha256:tagged", .tags = tags, .created_ns = NOW - 9000 * SEC },
                { .id = "sha256:d2", .tags = empty, .created_ns = NOW - 7200 * SEC, .size = 7,
                  .last_used_ns = NOW - SEC /* dangling images go by Created */ },
                { .id = "sha256:d1", .created_ns = NOW - 8000 * SEC, .size = 5 },
                { .id = "sha256:young", .created_ns = NOW - 3599 * SEC },
                { .id = "sha256:protected", .created_ns = NOW - 9000 * SEC, .labels = { keep, 1 } },
        };
        struct policy_snapshot s = snap();
        s.images = im;
        s.n_images = ELEMENTSOF(im);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:d1,sha256:d2");
        ck_assert_ptr_nonnull(p.actions[0].tags);
        ck_assert_ptr_null(p.actions[0].tags[0]);
        ck_assert_ptr_null(p.actions[0].name);
        ck_assert_uint_eq(p.tier_bytes[CONFIG_TIER_DANGLING_IMAGES], 12);
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_images_children_before_parents) {
        struct config c = base_config();
        enum config_tier_type only[] = { CONFIG_TIER_UNUSED_IMAGES };
        set_tiers(&c, only, 1);
        struct usage u = usage_percent(95);
        char *tb[] = { "base:1", NULL }, *tm[] = { "mid:1", NULL }, *tl[] = { "leaf:1", NULL },
             *to[] = { "other:1", NULL };
        /* base <- mid <- leaf; base is least recently used, leaf most; other sits in between. */
        struct policy_image im[] = {
                { .id = "sha256:leaf", .tags = tl, .created_ns = 30, .last_used_ns = 400, .parent_id = "sha256:mid" },
                { .id = "sha256:base", .tags = tb, .created_ns = 10, .last_used_ns = 100 },
                { .id = "sha256:mid", .tags = tm, .created_ns = 20, .last_used_ns = 200, .parent_id = "sha256:base" },
                { .id = "sha256:other", .tags = to, .created_ns = 5, .last_used_ns = 300,
                  .parent_id = "sha256:not-listed" },
        };
        struct policy_snapshot s = snap();
        s.images = im;
        s.n_images = ELEMENTSOF(im);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:other,sha256:leaf,sha256:mid,sha256:base");
        /* A parent the listing does not show (an intermediate) is one for the executor to take along; a
         * tagged one never is. */
        ck_assert_str_eq(p.actions[0].untagged_parent_id, "sha256:not-listed");
        for (size_t i = 1; i < p.n_actions; i++)
                ck_assert_msg(!p.actions[i].untagged_parent_id, "action %zu", i);
        policy_plan_done(&p);

        /* A kept child (protected by glob) keeps its whole ancestry. */
        char *globs[] = { "leaf", NULL };
        c.protect_images = globs;
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:other");
        policy_plan_done(&p);
        c.protect_images = NULL;

        /* A child used by a container keeps its parents too. */
        struct policy_container k = { .id = "k", .image_id = "sha256:mid", .state = ENGINE_CONTAINER_RUNNING };
        s.containers = &k;
        s.n_containers = 1;
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:other,sha256:leaf");
        policy_plan_done(&p);

        /* max_removals cuts a prefix: a parent never goes without its children. */
        s.n_containers = 0;
        c.max_removals = 2;
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:other,sha256:leaf");
        ck_assert(p.truncated);
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_images_dangling_parent_of_tagged_child) {
        /* The dangling tier runs first; its parent's child is tagged and only a later tier may take it, so the
         * dangling parent stays this cycle. With the unused tier first, both go, child first. */
        struct config c = base_config();
        struct usage u = usage_percent(95);
        char *tags[] = { "child:1", NULL };
        struct policy_image im[] = {
                { .id = "sha256:parent", .created_ns = 10 },
                { .id = "sha256:child", .tags = tags, .created_ns = 20, .parent_id = "sha256:parent" },
        };
        struct policy_snapshot s = snap();
        s.images = im;
        s.n_images = ELEMENTSOF(im);
        enum config_tier_type dangling_first[] = { CONFIG_TIER_DANGLING_IMAGES, CONFIG_TIER_UNUSED_IMAGES };
        set_tiers(&c, dangling_first, 2);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:child");
        policy_plan_done(&p);

        enum config_tier_type unused_first[] = { CONFIG_TIER_UNUSED_IMAGES, CONFIG_TIER_DANGLING_IMAGES };
        set_tiers(&c, unused_first, 2);
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:child,sha256:parent");
        ck_assert_int_eq(p.actions[1].tier, CONFIG_TIER_DANGLING_IMAGES);
        ck_assert_str_eq(p.actions[0].untagged_parent_id, "sha256:parent"); /* listed, without a tag */
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_images_protected_by_glob_and_label) {
        struct config c = base_config();
        enum config_tier_type only[] = { CONFIG_TIER_UNUSED_IMAGES };
        set_tiers(&c, only, 1);
        char *globs[] = { "registry.example/team/*", "nginx", NULL };
        char *rules[] = { "org.example.keep=true", NULL };
        c.protect_images = globs;
        c.protect_labels = rules;
        struct usage u = usage_percent(95);
        char *t1[] = { "registry.example/team/app:v3", NULL }, *t2[] = { "scratch:1", "nginx:1.25", NULL },
             *t3[] = { "busybox:1", NULL }, *t4[] = { "busybox:2", NULL };
        struct engine_kv keep[] = { { "org.example.keep", "true" } }, nokeep[] = { { "org.example.keep", "false" } };
        struct policy_image im[] = {
                { .id = "sha256:1", .tags = t1, .created_ns = 1 },
                { .id = "sha256:2", .tags = t2, .created_ns = 1 }, /* one protected tag protects the image */
                { .id = "sha256:3", .tags = t3, .created_ns = 1, .labels = { keep, 1 } },
                { .id = "sha256:4", .tags = t4, .created_ns = 1, .labels = { nokeep, 1 } },
        };
        struct policy_snapshot s = snap();
        s.images = im;
        s.n_images = ELEMENTSOF(im);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "sha256:4");
        policy_plan_done(&p);
}
END_TEST

/* ---- limits, tier order, dry run ------------------------------------------------------------------ */

static struct policy_container mixed_containers[] = {
        { .id = "k1", .image_id = "sha256:pinned", .state = ENGINE_CONTAINER_EXITED, .created_ns = 1, .size_rw = 1 },
        { .id = "k2", .image_id = "sha256:pinned", .state = ENGINE_CONTAINER_EXITED, .created_ns = 2, .size_rw = 1 },
        { .id = "k3", .image_id = "sha256:pinned", .state = ENGINE_CONTAINER_RUNNING, .created_ns = 3 },
};
static char *mixed_tags[] = { "t:1", NULL };
static struct policy_image mixed_images[] = {
        { .id = "sha256:pinned", .created_ns = 1, .size = 1 },
        { .id = "sha256:img", .tags = mixed_tags, .created_ns = 1, .size = 1 },
        { .id = "sha256:dang", .created_ns = 1, .size = 1 },
};
static struct policy_volume mixed_volumes[] = {
        { .name = "anon", .anonymous = true, .created_ns = 1, .size = 1, .ref_count = 0 },
};
static struct policy_network mixed_networks[] = {
        { .id = "n1", .name = "net1", .created_ns = 1 },
};

static struct policy_snapshot mixed_snapshot(void) {
        struct policy_snapshot s = snap();
        s.containers = mixed_containers;
        s.n_containers = ELEMENTSOF(mixed_containers);
        s.images = mixed_images;
        s.n_images = ELEMENTSOF(mixed_images);
        s.volumes = mixed_volumes;
        s.n_volumes = ELEMENTSOF(mixed_volumes);
        s.networks = mixed_networks;
        s.n_networks = ELEMENTSOF(mixed_networks);
        s.build_cache = (struct policy_build_cache) { .supported = true, .counted = 100, .reclaimable = 100 };
        return s;
}

START_TEST(test_tier_order_and_omission) {
        struct config c = base_config();
        struct usage u = usage_percent(95);
        struct policy_snapshot s = mixed_snapshot();
        struct policy_plan p = {};

        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "k1,k2,sha256:dang,cache,sha256:img,anon,n1");
        policy_plan_done(&p);

        enum config_tier_type order[] = { CONFIG_TIER_UNUSED_NETWORKS, CONFIG_TIER_UNUSED_IMAGES,
                                          CONFIG_TIER_STOPPED_CONTAINERS };
        set_tiers(&c, order, ELEMENTSOF(order));
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "n1,sha256:img,k1,k2");
        ck_assert_uint_eq(count_kind(&p, POLICY_ACTION_REMOVE_VOLUME), 0);
        ck_assert_uint_eq(count_kind(&p, POLICY_ACTION_PRUNE_BUILD_CACHE), 0);
        ck_assert_uint_eq(p.tier_actions[CONFIG_TIER_UNUSED_VOLUMES], 0);
        policy_plan_done(&p);

        set_tiers(&c, order, 0);
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_actions, 0);
        ck_assert(!p.reachable);
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_max_removals) {
        struct config c = base_config();
        struct usage u = usage_percent(95);
        struct policy_snapshot s = mixed_snapshot();
        static const struct {
                unsigned max;
                const char *expected;
                bool truncated;
        } table[] = {
                { 0, "", true },
                { 1, "k1", true },
                { 3, "k1,k2,sha256:dang", true },
                { 4, "k1,k2,sha256:dang,cache", true },
                { 6, "k1,k2,sha256:dang,cache,sha256:img,anon", true },
                { 7, "k1,k2,sha256:dang,cache,sha256:img,anon,n1", false },
                { 100, "k1,k2,sha256:dang,cache,sha256:img,anon,n1", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct policy_plan p = {};
                c.max_removals = table[i].max;
                PLAN(&c, &u, &s, &p);
                ck_assert_str_eq(plan_ids(&p), table[i].expected);
                ck_assert_uint_le(p.n_actions, table[i].max);
                ck_assert_msg(p.truncated == table[i].truncated, "max %u", table[i].max);
                policy_plan_done(&p);
        }
}
END_TEST

/* What the tiers leave is counted once, under the first reason that holds. */
START_TEST(test_kept_reasons) {
        struct config c = base_config();
        struct usage u = usage_percent(95);
        struct policy_snapshot s = mixed_snapshot();
        static const struct {
                unsigned max;
                size_t in_use, over_max_removals;
        } table[] = {
                { 100, 2, 0 }, /* k3 runs; its image is pinned */
                { 3, 2, 3 },   /* k1, k2, dang planned; img, anon, n1 past max_removals (the build cache is one prune) */
                { 0, 2, 6 },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct policy_plan p = {};
                c.max_removals = table[i].max;
                PLAN(&c, &u, &s, &p);
                ck_assert_msg(p.kept.in_use == table[i].in_use, "max %u: in use %zu", table[i].max, p.kept.in_use);
                ck_assert_msg(p.kept.over_max_removals == table[i].over_max_removals, "max %u: over max_removals %zu", table[i].max,
                              p.kept.over_max_removals);
                ck_assert_uint_eq(p.kept.protected_, 0);
                ck_assert_uint_eq(p.kept.too_young, 0);
                policy_plan_done(&p);
        }

        /* Protected beats too young; the earliest moment a young one is old enough is told. */
        struct engine_kv keep[] = { { "keep", "" } };
        char *labels[] = { "keep", NULL };
        c = base_config();
        c.protect_labels = labels;
        c.tiers[0].min_age_sec = 3600;
        struct policy_container k[] = {
                { .id = "old", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 7200 * SEC,
                  .finished_at_ns = NOW - 7000 * SEC },
                { .id = "young", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 7200 * SEC,
                  .finished_at_ns = NOW - 600 * SEC },
                { .id = "younger", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED,
                  .created_ns = NOW - 7200 * SEC, .finished_at_ns = NOW - 60 * SEC },
                { .id = "kept", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 60 * SEC,
                  .finished_at_ns = NOW - 30 * SEC, .labels = { keep, 1 } },
                { .id = "paused", .image_id = "sha256:x", .state = ENGINE_CONTAINER_PAUSED, .created_ns = 1 },
        };
        s = snap();
        s.containers = k;
        s.n_containers = ELEMENTSOF(k);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "old");
        ck_assert_uint_eq(p.kept.protected_, 1);
        ck_assert_uint_eq(p.kept.too_young, 2);
        ck_assert_int_eq(p.kept.next_eligible_ns, NOW - 600 * SEC + 3600 * SEC);
        ck_assert_uint_eq(p.kept.in_use, 1);
        policy_plan_done(&p);
}
END_TEST

static bool plans_equal(const struct policy_plan *a, const struct policy_plan *b) {
        if (a->n_actions != b->n_actions || a->n_to_target != b->n_to_target || a->reachable != b->reachable)
                return false;
        for (size_t i = 0; i < a->n_actions; i++) {
                const struct policy_action *x = &a->actions[i], *y = &b->actions[i];
                if (x->kind != y->kind || x->estimated_bytes != y->estimated_bytes ||
                    x->keep_storage != y->keep_storage)
                        return false;
                if ((x->id || y->id) && (!x->id || !y->id || strcmp(x->id, y->id) != 0))
                        return false;
        }
        return true;
}

START_TEST(test_dry_run_same_plan) {
        struct config c = base_config();
        struct usage u = usage_percent(95);
        struct policy_snapshot s = mixed_snapshot();
        struct policy_plan a = {}, b = {};
        PLAN(&c, &u, &s, &a);
        c.dry_run = true;
        PLAN(&c, &u, &s, &b);
        ck_assert(plans_equal(&a, &b));
        ck_assert_uint_gt(a.n_actions, 0);
        policy_plan_done(&a);
        policy_plan_done(&b);
}
END_TEST

/* ---- volumes, networks, build cache ---------------------------------------------------------------- */

START_TEST(test_volumes) {
        struct config c = base_config();
        enum config_tier_type only[] = { CONFIG_TIER_UNUSED_VOLUMES };
        set_tiers(&c, only, 1);
        char *rules[] = { "keep", NULL };
        c.protect_labels = rules;
        struct usage u = usage_percent(95);
        struct engine_kv keep[] = { { "keep", "" } };
        char *mounts[] = { "mounted-by-stopped", NULL };
        struct policy_container k = { .id = "k", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED,
                                      .created_ns = 1, .volumes = mounts };
        struct policy_volume v[] = {
                { .name = "named", .created_ns = 10, .size = 100, .ref_count = -1 },
                { .name = "anon-b", .anonymous = true, .created_ns = 30, .size = 1, .ref_count = 0 },
                { .name = "anon-a", .anonymous = true, .created_ns = 20, .size = 2, .ref_count = -1 },
                { .name = "mounted-by-stopped", .anonymous = true, .created_ns = 1, .ref_count = -1 },
                { .name = "ref-counted", .anonymous = true, .created_ns = 1, .ref_count = 1 },
                { .name = "protected", .anonymous = true, .created_ns = 1, .labels = { keep, 1 } },
                { .name = "no-created", .anonymous = true },
        };
        struct policy_snapshot s = snap();
        s.containers = &k;
        s.n_containers = 1;
        s.volumes = v;
        s.n_volumes = ELEMENTSOF(v);
        struct policy_plan p = {};

        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "no-created,anon-a,anon-b");
        ck_assert_uint_eq(p.tier_bytes[CONFIG_TIER_UNUSED_VOLUMES], 3);
        policy_plan_done(&p);

        c.tiers[0].include_named = true;
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "no-created,named,anon-a,anon-b");
        ck_assert_int_eq(p.actions[1].kind, POLICY_ACTION_REMOVE_VOLUME);
        ck_assert_str_eq(p.actions[1].name, "named");
        policy_plan_done(&p);

        /* With a min_age, an unknown creation time keeps the volume. */
        c.tiers[0].min_age_sec = 1;
        PLAN(&c, &u, &s, &p);
        ck_assert_str_eq(plan_ids(&p), "named,anon-a,anon-b");
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_networks) {
        struct config c = base_config();
        enum config_tier_type only[] = { CONFIG_TIER_UNUSED_NETWORKS };
        set_tiers(&c, only, 1);
        char *rules[] = { "keep", NULL };
        c.protect_labels = rules;
        c.tiers[0].min_age_sec = 60;
        struct usage u = usage_percent(95);
        struct engine_kv keep[] = { { "keep", "" } };
        char *nets_by_name[] = { "by-name", NULL }, *nets_by_id[] = { "id-by-id", NULL };
        struct policy_container k[] = {
                { .id = "k1", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .networks = nets_by_name },
                { .id = "k2", .image_id = "sha256:x", .state = ENGINE_CONTAINER_CREATED, .networks = nets_by_id },
        };
        struct policy_network w[] = {
                { .id = "id-bridge", .name = "bridge", .builtin = true, .created_ns = 1 },
                { .id = "id-b", .name = "b-net", .created_ns = 2 },
                { .id = "id-a", .name = "a-net", .created_ns = 2 },
                { .id = "id-attached", .name = "attached", .created_ns = 1, .n_containers = 1 },
                { .id = "id-by-name", .name = "by-name", .created_ns = 1 },
                { .id = "id-by-id", .name = "by-id", .created_ns = 1 },
                { .id = "id-protected", .name = "protected", .created_ns = 1, .labels = { keep, 1 } },
                { .id = "id-young", .name = "young", .created_ns = NOW - 59 * SEC },
        };
        struct policy_snapshot s = snap();
        s.containers = k;
        s.n_containers = ELEMENTSOF(k);
        s.networks = w;
        s.n_networks = ELEMENTSOF(w);
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        /* containers k1/k2 are not removed: only the networks tier is listed */
        ck_assert_str_eq(plan_ids(&p), "id-a,id-b");
        ck_assert_uint_eq(p.actions[0].estimated_bytes, 0);
        ck_assert_str_eq(p.actions[0].name, "a-net");
        ck_assert_int_eq(p.actions[0].kind, POLICY_ACTION_REMOVE_NETWORK);
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_build_cache_tier) {
        struct config c = base_config();
        c.disk.target_free = 30 * GiB; /* 95 % used of 100 GiB: 25 GiB needed */
        enum config_tier_type order[] = { CONFIG_TIER_STOPPED_CONTAINERS, CONFIG_TIER_BUILD_CACHE };
        set_tiers(&c, order, 2);
        c.tiers[1].min_age_sec = 7200;
        struct usage u = usage_percent(95);
        struct policy_container k = { .id = "k", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED,
                                      .created_ns = 1, .size_rw = 5 * GiB };
        struct policy_snapshot s = snap();
        s.containers = &k;
        s.n_containers = 1;
        s.build_cache = (struct policy_build_cache) { .supported = true, .counted = 50 * GiB, .reclaimable = 40 * GiB };
        struct policy_plan p = {};

        /* 20 GiB still needed after the container: keep 30 GiB of 50. */
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_actions, 2);
        const struct policy_action *a = &p.actions[1];
        ck_assert_int_eq(a->kind, POLICY_ACTION_PRUNE_BUILD_CACHE);
        ck_assert_ptr_null(a->id);
        ck_assert_uint_eq(a->keep_storage, 30 * GiB);
        ck_assert_uint_eq(a->estimated_bytes, 20 * GiB);
        ck_assert_uint_eq(a->until_sec, 7200);
        ck_assert_uint_eq(a->build_cache_counted, 50 * GiB);
        ck_assert_uint_eq(p.n_to_target, 2);
        ck_assert(p.reachable);
        policy_plan_done(&p);

        /* Less reclaimable than needed: keep 0 of 15, estimate capped by what is reclaimable. */
        s.build_cache = (struct policy_build_cache) { .supported = true, .counted = 15 * GiB, .reclaimable = 12 * GiB };
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.actions[1].keep_storage, 0);
        ck_assert_uint_eq(p.actions[1].estimated_bytes, 12 * GiB);
        ck_assert(!p.reachable);
        ck_assert_uint_eq(p.n_to_target, 2);
        policy_plan_done(&p);

        /* Podman (no /build/prune) and an empty cache: no action. */
        s.build_cache = (struct policy_build_cache) { .supported = false, .counted = 15 * GiB, .reclaimable = 12 * GiB };
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(count_kind(&p, POLICY_ACTION_PRUNE_BUILD_CACHE), 0);
        policy_plan_done(&p);
        s.build_cache = (struct policy_build_cache) { .supported = true };
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(count_kind(&p, POLICY_ACTION_PRUNE_BUILD_CACHE), 0);
        policy_plan_done(&p);
}
END_TEST

/* ---- n_to_target ---------------------------------------------------------------------------------- */

START_TEST(test_n_to_target) {
        struct config c = base_config();
        c.disk.target_free = 30 * GiB; /* 95 % used: 25 GiB needed */
        enum config_tier_type only[] = { CONFIG_TIER_STOPPED_CONTAINERS };
        set_tiers(&c, only, 1);
#define EXITED(name, created, size)                                                                 \
        { .id = name, .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = created, \
          .size_rw = size }
        struct policy_container k[] = {
                EXITED("k1", 1, 10 * GiB),
                EXITED("k2", 2, 10 * GiB),
                EXITED("k3", 3, 5 * GiB),
                EXITED("k4", 4, 1 * GiB),
        };
#undef EXITED
        struct policy_snapshot s = snap();
        s.containers = k;
        s.n_containers = ELEMENTSOF(k);
        struct policy_plan p = {};

        struct usage u = usage_percent(95);
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_actions, 4); /* the plan goes beyond the target: estimates can be low */
        ck_assert_uint_eq(p.n_to_target, 3); /* 10 + 10 + 5 = 25 GiB exactly */
        ck_assert(p.reachable);
        ck_assert(!p.inode_pressure);
        ck_assert_uint_eq(p.bytes_needed, 25 * GiB);
        ck_assert_uint_eq(p.estimated_total, 26 * GiB);
        policy_plan_done(&p);

        /* One byte more needed: the fourth action. */
        u = mk_usage(95 * GiB + 1, 5 * GiB - 1, 0, 0);
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_to_target, 4);
        ck_assert(p.reachable);
        policy_plan_done(&p);

        /* Not reachable: n_to_target = n_actions. */
        c.disk.target_free = 60 * GiB;
        u = usage_percent(95);
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_to_target, 4);
        ck_assert(!p.reachable);
        policy_plan_done(&p);

        /* Targets already met (not triggered): 0, the plan is still listed. */
        c.disk.target_free = 0;
        u = usage_percent(50);
        PLAN(&c, &u, &s, &p);
        ck_assert_uint_eq(p.n_to_target, 0);
        ck_assert_uint_eq(p.n_actions, 4);
        ck_assert(p.reachable);
        policy_plan_done(&p);

        /* Inode pressure: cannot be estimated, every action counts. */
        u = mk_usage(50 * GiB, 50 * GiB, 1000, 999);
        PLAN(&c, &u, &s, &p);
        ck_assert(p.inode_pressure);
        ck_assert_uint_eq(p.n_to_target, 4);
        ck_assert(!p.reachable);
        policy_plan_done(&p);
}
END_TEST

/* ---- ownership and misc ----------------------------------------------------------------------------- */

START_TEST(test_plan_owns_its_strings) {
        struct config c = base_config();
        struct usage u = usage_percent(95);
        char *id = strdup("container-id"), *name = strdup("ctr"), *img = strdup("sha256:img"), *tag = strdup("a:b");
        char *tags[] = { tag, NULL };
        ck_assert(id && name && img && tag);
        struct policy_container k = { .id = id, .name = name, .image_id = "sha256:other",
                                      .state = ENGINE_CONTAINER_EXITED, .created_ns = 1 };
        struct policy_image im = { .id = img, .tags = tags, .created_ns = 1 };
        struct policy_snapshot s = snap();
        s.containers = &k;
        s.n_containers = 1;
        s.images = &im;
        s.n_images = 1;
        struct policy_plan p = {};
        PLAN(&c, &u, &s, &p);
        memset(id, 'X', strlen(id));
        memset(tag, 'X', strlen(tag));
        free(id);
        free(name);
        free(img);
        free(tag);
        ck_assert_str_eq(p.actions[0].id, "container-id");
        ck_assert_str_eq(p.actions[0].name, "ctr");
        ck_assert_str_eq(p.actions[1].id, "sha256:img");
        ck_assert_str_eq(p.actions[1].tags[0], "a:b");
        policy_plan_done(&p);
        ck_assert_ptr_null(p.actions);
        ck_assert_uint_eq(p.n_actions, 0);
}
END_TEST

START_TEST(test_misc) {
        ck_assert_str_eq(policy_action_kind_to_string(POLICY_ACTION_REMOVE_CONTAINER), "remove-container");
        ck_assert_str_eq(policy_action_kind_to_string(POLICY_ACTION_REMOVE_IMAGE), "remove-image");
        ck_assert_str_eq(policy_action_kind_to_string(POLICY_ACTION_PRUNE_BUILD_CACHE), "prune-build-cache");
        ck_assert_str_eq(policy_action_kind_to_string(POLICY_ACTION_REMOVE_VOLUME), "remove-volume");
        ck_assert_str_eq(policy_action_kind_to_string(POLICY_ACTION_REMOVE_NETWORK), "remove-network");
        ck_assert_ptr_null(policy_action_kind_to_string(_POLICY_ACTION_KIND_MAX));

        struct config c = base_config();
        struct usage u = usage_percent(95);
        struct policy_snapshot s = snap();
        struct policy_plan p = { .n_actions = 12345 };
        ck_assert_int_eq(policy_plan(NULL, &u, &s, &p), -EINVAL);
        ck_assert_int_eq(policy_plan(&c, &u, &s, NULL), -EINVAL);
        s.n_images = 3; /* count without array */
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), -EINVAL);
        ck_assert_uint_eq(p.n_actions, 12345); /* untouched on failure */
        policy_plan_done(NULL);
}
END_TEST

static Suite *policy_suite(void) {
        Suite *s = suite_create("policy");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_triggered_table);
        tcase_add_test(tc, test_targets_table);
        tcase_add_test(tc, test_bytes_needed);
        tcase_add_test(tc, test_neediest_table);
        tcase_add_test(tc, test_build_cache_keep_storage);
        tcase_add_test(tc, test_labels_protected_table);
        tcase_add_test(tc, test_image_protected_table);
        tcase_add_test(tc, test_containers_states_and_order);
        tcase_add_test(tc, test_containers_protected);
        tcase_add_test(tc, test_images_pinned_by_every_state);
        tcase_add_test(tc, test_images_lru_order_and_min_age);
        tcase_add_test(tc, test_images_dangling_tier);
        tcase_add_test(tc, test_images_children_before_parents);
        tcase_add_test(tc, test_images_dangling_parent_of_tagged_child);
        tcase_add_test(tc, test_images_protected_by_glob_and_label);
        tcase_add_test(tc, test_tier_order_and_omission);
        tcase_add_test(tc, test_max_removals);
        tcase_add_test(tc, test_kept_reasons);
        tcase_add_test(tc, test_dry_run_same_plan);
        tcase_add_test(tc, test_volumes);
        tcase_add_test(tc, test_networks);
        tcase_add_test(tc, test_build_cache_tier);
        tcase_add_test(tc, test_n_to_target);
        tcase_add_test(tc, test_plan_owns_its_strings);
        tcase_add_test(tc, test_misc);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        int failed = dctest_run(policy_suite());
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
