/* test_policy_levers.c: the operator's levers in the pure planner (issue 15): the critical pass, the newest
 * images of each repository, the tiers' maximum unused age, and what the plan says about each (rule per
 * action, reason per object kept). Tables of cases. */
#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dctest.h"
#include "docker-ref.h"
#include "macro.h"
#include "policy.h"

#define SEC INT64_C(1000000000)
#define MIN_ (60 * SEC)
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
#define NOW (INT64_C(1800000000) * SEC)
#define MiB UINT64_C(1048576)
#define GiB (1024 * MiB)

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
        return c;
}

static void add_tier(struct config *c, enum config_tier_type t, uint64_t min_age_sec, uint64_t max_unused_age_sec) {
        c->tiers[c->n_tiers++] = (struct config_tier) { .type = t, .min_age_sec = min_age_sec,
                                                        .max_unused_age_sec = max_unused_age_sec };
}

/* About 100 GiB at `percent` used (two decimals), in blocks whose count makes the percentage exact. */
static struct usage usage_percent(double percent) {
        uint64_t blocks = 10000, used = (uint64_t) (percent * 100.0 + 0.5);
        struct usage u;
        usage_from_counts(10 * MiB, blocks, blocks - used, blocks - used, 0, 0, 0, &u);
        return u;
}

/* "a,b,c": the ids of the plan's actions in order ("cache" for the build-cache prune); each followed by
 * "!" when in the critical pass and "+" when by maximum age. */
static const char *plan_ids(const struct policy_plan *p) {
        static char buf[4096];
        buf[0] = 0;
        for (size_t i = 0; i < p->n_actions; i++) {
                const struct policy_action *a = &p->actions[i];
                if (i > 0)
                        strcat(buf, ",");
                strcat(buf, a->id ? a->id : "cache");
                if (a->rule == POLICY_RULE_CRITICAL)
                        strcat(buf, "!");
                else if (a->rule == POLICY_RULE_MAX_AGE)
                        strcat(buf, "+");
        }
        return buf;
}

/* "id:reason,...": the kept objects (reason as a letter: u in use, p protected, n newest, y young), with
 * "+" when the maximum-age pass kept it and "!" the critical pass. */
static const char *kept_ids(const struct policy_plan *p) {
        static char buf[4096];
        static const char letter[] = { [POLICY_KEPT_IN_USE] = 'u', [POLICY_KEPT_PROTECTED] = 'p',
                                       [POLICY_KEPT_NEWEST] = 'n', [POLICY_KEPT_TOO_YOUNG] = 'y' };
        buf[0] = 0;
        for (size_t i = 0; i < p->n_kept_objects; i++) {
                char one[128];
                const struct policy_kept_object *o = &p->kept_objects[i];
                snprintf(one, sizeof one, "%s%s:%c%s", i > 0 ? "," : "", o->id, letter[o->reason],
                         o->rule == POLICY_RULE_MAX_AGE ? "+" : o->rule == POLICY_RULE_CRITICAL ? "!" : "");
                strcat(buf, one);
        }
        return buf;
}

/* ---- newest per repository ------------------------------------------------------------------------ */

/* Images of a CI host: app:<sha> builds, a base image, an image tagged in two repositories, a Podman
 * name. Times are days ago; last use is old for all of them, so plain LRU would take every one. */
struct img {
        const char *id;
        char *tags[3];
        int created_days, tagged_days; /* tagged_days < 0: no LastTagTime */
};

static struct img ci_images[] = {
        { "app1", { "app:1" }, 10, -1 },
        { "app2", { "app:2" }, 9, -1 },
        { "app3", { "app:3" }, 8, -1 },
        { "app4", { "app:4", "app:latest" }, 7, -1 },
        { "base", { "base:1" }, 30, -1 },
        /* created long ago, tagged again recently: newer than app4 by its tag */
        { "old", { "app:old" }, 40, 2 },
        /* two repositories: newest of other/x, not of app */
        { "both", { "other/x:1", "app:both" }, 50, -1 },
        /* Podman's qualified name is the same repository as its familiar form */
        { "pod1", { "docker.io/library/tool:1" }, 20, -1 },
        { "pod2", { "tool:2" }, 19, -1 },
        /* a registry port is not a tag */
        { "reg1", { "registry:5000/svc:1" }, 15, -1 },
        { "reg2", { "registry:5000/svc:2" }, 14, -1 },
};

static void ci_snapshot(struct policy_image *out, size_t *n) {
        for (size_t i = 0; i < ELEMENTSOF(ci_images); i++)
                out[i] = (struct policy_image) {
                        .id = ci_images[i].id,
                        .tags = ci_images[i].tags,
                        .created_ns = NOW - ci_images[i].created_days * DAY,
                        .last_tag_time_ns = ci_images[i].tagged_days >= 0 ? NOW - ci_images[i].tagged_days * DAY : 0,
                        .last_used_ns = NOW - 60 * DAY,
                        .size = 100 * MiB,
                };
        *n = ELEMENTSOF(ci_images);
}

START_TEST(test_newest_per_repository_table) {
        static const struct {
                unsigned n;
                const char *pinned;   /* an image a container uses, or NULL */
                const char *planned;  /* ids in plan order (LRU: all last used at the same time, so by Created) */
                size_t newest;
        } table[] = {
                /* off: plain LRU takes every image, the oldest created first */
                { 0, NULL, "both,old,base,pod1,pod2,reg1,reg2,app1,app2,app3,app4", 0 },
                /* 1: old (tagged 2 days ago) is app's newest, both is other/x's, base, tool:2, svc:2 */
                { 1, NULL, "pod1,reg1,app1,app2,app3,app4", 5 },
                /* 2: app keeps old and app4; tool keeps both; svc both */
                { 2, NULL, "app1,app2,app3", 8 },
                { 3, NULL, "app1,app2", 9 },
                /* an image in use counts among the newest (old is app's newest and pinned: app4 is not kept) */
                { 1, "old", "pod1,reg1,app1,app2,app3,app4", 4 },
                { 100, NULL, "", 11 },
        };
        for (size_t row = 0; row < ELEMENTSOF(table); row++) {
                struct config c = base_config();
                add_tier(&c, CONFIG_TIER_UNUSED_IMAGES, 3600, 0);
                c.protect_newest_per_repository = table[row].n;
                c.disk.low_watermark = 1; /* every candidate is needed */
                struct policy_image images[ELEMENTSOF(ci_images)];
                size_t n_images;
                ci_snapshot(images, &n_images);
                struct policy_container k = { .id = "k", .image_id = table[row].pinned, .state = ENGINE_CONTAINER_RUNNING,
                                              .created_ns = NOW - DAY };
                struct policy_snapshot s = { .now_ns = NOW, .images = images, .n_images = n_images,
                                             .containers = &k, .n_containers = table[row].pinned ? 1 : 0 };
                struct usage u = usage_percent(95);
                struct policy_plan p;
                ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
                ck_assert_msg(strcmp(plan_ids(&p), table[row].planned) == 0, "row %zu: %s", row, plan_ids(&p));
                ck_assert_msg(p.kept.newest == table[row].newest, "row %zu: newest %zu", row, p.kept.newest);
                for (size_t i = 0; i < p.n_kept_objects; i++)
                        if (p.kept_objects[i].reason == POLICY_KEPT_NEWEST)
                                ck_assert_int_eq(p.kept_objects[i].tier, CONFIG_TIER_UNUSED_IMAGES);
                policy_plan_done(&p);
        }
}
END_TEST

/* Newest applies to the unused-images tier only: a dangling image has no repository, and protection
 * comes first in the reasons. It holds in the critical pass and by maximum age as well. */
START_TEST(test_newest_other_rules) {
        struct config c = base_config();
        add_tier(&c, CONFIG_TIER_DANGLING_IMAGES, 0, 0);
        add_tier(&c, CONFIG_TIER_UNUSED_IMAGES, 3600, 7 * 86400);
        c.protect_newest_per_repository = 1;
        c.disk.critical_watermark = 95;
        c.disk.critical_min_age_sec = 60;
        char *protect[] = { "keep:*", NULL };
        c.protect_images = protect;
        char *t_a1[] = { "a:1", NULL }, *t_a2[] = { "a:2", NULL }, *t_k[] = { "keep:1", NULL };
        struct policy_image images[] = {
                { .id = "dangling", .created_ns = NOW - DAY, .size = MiB },
                { .id = "a1", .tags = t_a1, .created_ns = NOW - 30 * DAY, .last_used_ns = NOW - 30 * DAY, .size = MiB },
                /* a2 is a's newest: kept by every rule, even used long ago */
                { .id = "a2", .tags = t_a2, .created_ns = NOW - 20 * DAY, .last_used_ns = NOW - 20 * DAY, .size = MiB },
                { .id = "keep", .tags = t_k, .created_ns = NOW - 20 * DAY, .size = MiB },
        };
        struct policy_snapshot s = { .now_ns = NOW, .images = images, .n_images = ELEMENTSOF(images) };
        struct usage u = usage_percent(97);
        struct policy_plan p;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "a1+,dangling");
        ck_assert_str_eq(kept_ids(&p), "a2:n+,keep:p+,a2:n!,keep:p!");
        ck_assert_uint_eq(p.kept_max_age.newest, 1);
        ck_assert_uint_eq(p.kept.newest, 1);
        ck_assert_uint_eq(p.kept.protected_, 1);
        policy_plan_done(&p);
}
END_TEST

/* ---- the critical pass ----------------------------------------------------------------------------- */

START_TEST(test_critical_table) {
        /* Stopped containers and unused images, aged (minutes since stop / last use). The tiers' min_age is
         * 1h; critical_min_age 10m. */
        static const struct {
                double used, critical;
                uint64_t critical_min_age_sec;
                const char *planned;
                size_t normal_too_young, final_too_young;
        } table[] = {
                /* below the critical watermark: only what is an hour old */
                { 94.99, 95, 600, "c120,i120", 4, 4 },
                /* at it: the tiers first, then the critical pass, oldest first, never within 10m */
                { 95, 95, 600, "c120,i120,c30!,i30!", 4, 2 },
                { 99, 95, 600, "c120,i120,c30!,i30!", 4, 2 },
                /* off */
                { 99, 0, 600, "c120,i120", 4, 4 },
                /* a critical_min_age of 0 takes even what was used a minute ago (never what is in use) */
                { 99, 95, 0, "c120,i120,c30!,c1!,i30!,i1!", 4, 0 },
                /* a critical_min_age above the tiers' min_age lowers nothing */
                { 99, 95, 7200, "c120,i120", 4, 4 },
        };
        for (size_t row = 0; row < ELEMENTSOF(table); row++) {
                struct config c = base_config();
                add_tier(&c, CONFIG_TIER_STOPPED_CONTAINERS, 3600, 0);
                add_tier(&c, CONFIG_TIER_UNUSED_IMAGES, 3600, 0);
                c.disk.low_watermark = 1;
                c.disk.critical_watermark = table[row].critical;
                c.disk.critical_min_age_sec = table[row].critical_min_age_sec;
                char *t120[] = { "i:120", NULL }, *t30[] = { "i:30", NULL }, *t1[] = { "i:1", NULL }, *tr[] = { "i:run", NULL };
                struct policy_image images[] = {
                        { .id = "i120", .tags = t120, .created_ns = NOW - 120 * MIN_, .size = MiB },
                        { .id = "i30", .tags = t30, .created_ns = NOW - 30 * MIN_, .size = MiB },
                        { .id = "i1", .tags = t1, .created_ns = NOW - 300 * MIN_, .last_used_ns = NOW - 1 * MIN_, .size = MiB },
                        { .id = "irun", .tags = tr, .created_ns = NOW - 300 * MIN_, .size = MiB },
                };
                struct policy_container containers[] = {
                        { .id = "c120", .state = ENGINE_CONTAINER_EXITED, .image_id = "irun", .created_ns = NOW - DAY,
                          .finished_at_ns = NOW - 120 * MIN_ },
                        { .id = "c30", .state = ENGINE_CONTAINER_EXITED, .image_id = "irun", .created_ns = NOW - DAY,
                          .finished_at_ns = NOW - 30 * MIN_ },
                        { .id = "c1", .state = ENGINE_CONTAINER_EXITED, .image_id = "irun", .created_ns = NOW - DAY,
                          .finished_at_ns = NOW - 1 * MIN_ },
                        /* running since long ago: never, in any pass */
                        { .id = "crun", .state = ENGINE_CONTAINER_RUNNING, .image_id = "irun", .created_ns = NOW - DAY },
                };
                struct policy_snapshot s = { .now_ns = NOW, .images = images, .n_images = ELEMENTSOF(images),
                                             .containers = containers, .n_containers = ELEMENTSOF(containers) };
                struct usage u = usage_percent(table[row].used);
                struct policy_plan p;
                ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
                ck_assert_msg(strcmp(plan_ids(&p), table[row].planned) == 0, "row %zu: %s", row, plan_ids(&p));
                ck_assert_msg(p.kept_normal.too_young == table[row].normal_too_young, "row %zu: normal %zu", row,
                              p.kept_normal.too_young);
                ck_assert_msg(p.kept.too_young == table[row].final_too_young, "row %zu: final %zu", row, p.kept.too_young);
                ck_assert_msg(p.critical == policy_critical(&c, &u), "row %zu", row);
                /* in use: crun and irun, in every pass */
                ck_assert_uint_eq(p.kept.in_use, 2);
                ck_assert_uint_eq(p.kept_normal.in_use, 2);
                for (size_t i = 0; i < p.n_actions; i++)
                        if (p.actions[i].rule == POLICY_RULE_CRITICAL)
                                ck_assert_uint_eq(p.actions[i].age_sec, table[row].critical_min_age_sec);
                        else
                                ck_assert_uint_eq(p.actions[i].age_sec, 3600);
                policy_plan_done(&p);
        }
}
END_TEST

/* The critical pass never takes a protected object, and max_removals counts both passes. The build cache
 * is pruned again with the lower age. */
START_TEST(test_critical_protected_max_removals_build_cache) {
        struct config c = base_config();
        add_tier(&c, CONFIG_TIER_BUILD_CACHE, 86400, 0);
        add_tier(&c, CONFIG_TIER_STOPPED_CONTAINERS, 3600, 0);
        c.disk.low_watermark = 1;
        c.disk.critical_watermark = 95;
        c.disk.critical_min_age_sec = 600;
        char *labels[] = { "keep", NULL };
        c.protect_labels = labels;
        struct engine_kv keep_label = { "keep", "" };
        struct policy_container containers[] = {
                { .id = "young", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - DAY, .finished_at_ns = NOW - 20 * MIN_ },
                { .id = "prot", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - DAY, .finished_at_ns = NOW - 20 * MIN_,
                  .labels = { .items = &keep_label, .n = 1 } },
                { .id = "young2", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - DAY, .finished_at_ns = NOW - 15 * MIN_ },
        };
        struct policy_snapshot s = { .now_ns = NOW, .containers = containers, .n_containers = ELEMENTSOF(containers),
                                     .build_cache = { .supported = true, .counted = GiB, .reclaimable = GiB / 2 } };
        struct usage u = usage_percent(96);
        struct policy_plan p;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "cache,cache!,young!,young2!");
        ck_assert_uint_eq(p.actions[0].until_sec, 86400);
        ck_assert_uint_eq(p.actions[1].until_sec, 600);
        ck_assert_uint_eq(p.actions[1].estimated_bytes, 0); /* not estimated: the snapshot cannot tell */
        ck_assert_str_eq(kept_ids(&p), "prot:p!");
        ck_assert_uint_eq(p.rule_actions[POLICY_RULE_CRITICAL], 3);
        policy_plan_done(&p);

        c.max_removals = 2;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "cache,cache!");
        ck_assert(p.truncated);
        ck_assert_uint_eq(p.kept.over_max_removals, 2);
        policy_plan_done(&p);
}
END_TEST

/* ---- maximum unused age ---------------------------------------------------------------------------- */

START_TEST(test_max_age_table) {
        /* unused-images with min_age 1h and max_unused_age 30d; images last used N days ago */
        static const struct {
                double used;
                const char *planned;
                size_t n_max_age, n_to_target;
        } table[] = {
                /* below every target: only what is unused for 30 days, oldest first; n_to_target covers them */
                { 10, "d90+,d31+,d5,d2", 2, 2 },
                /* under pressure: the maximum-age ones lead, then the tier's own LRU for the target */
                { 95, "d90+,d31+,d5,d2", 2, 4 },
        };
        for (size_t row = 0; row < ELEMENTSOF(table); row++) {
                struct config c = base_config();
                add_tier(&c, CONFIG_TIER_UNUSED_IMAGES, 3600, 30 * 86400);
                c.disk.low_watermark = 1;
                char *t90[] = { "x:90", NULL }, *t31[] = { "x:31", NULL }, *t29[] = { "prot:29", NULL },
                     *t5[] = { "x:5", NULL }, *t2[] = { "x:2", NULL }, *tp[] = { "p:100", NULL }, *tu[] = { "u:100", NULL };
                char *protect[] = { "p", NULL };
                c.protect_images = protect;
                struct policy_image images[] = {
                        { .id = "d5", .tags = t5, .created_ns = NOW - 100 * DAY, .last_used_ns = NOW - 5 * DAY, .size = MiB },
                        { .id = "d90", .tags = t90, .created_ns = NOW - 100 * DAY, .last_used_ns = NOW - 90 * DAY, .size = MiB },
                        { .id = "d31", .tags = t31, .created_ns = NOW - 100 * DAY, .last_used_ns = NOW - 31 * DAY, .size = MiB },
                        { .id = "d2", .tags = t2, .created_ns = NOW - 2 * DAY, .size = MiB },
                        /* protected, and in use: never, by any rule */
                        { .id = "p100", .tags = tp, .created_ns = NOW - 100 * DAY, .size = MiB },
                        { .id = "u100", .tags = tu, .created_ns = NOW - 100 * DAY, .size = MiB },
                        /* young by its created time, dangling: not this tier's */
                        { .id = "dangling", .tags = t29 + 1, .created_ns = NOW - 100 * DAY, .size = MiB },
                };
                struct policy_container k = { .id = "k", .image_id = "u100", .state = ENGINE_CONTAINER_EXITED,
                                              .created_ns = NOW - 100 * DAY, .finished_at_ns = NOW - 99 * DAY };
                struct policy_snapshot s = { .now_ns = NOW, .images = images, .n_images = ELEMENTSOF(images),
                                             .containers = &k, .n_containers = 1 };
                struct usage u = usage_percent(table[row].used);
                if (table[row].used < 80)
                        c.disk.low_watermark = 80;
                struct policy_plan p;
                ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
                ck_assert_msg(strcmp(plan_ids(&p), table[row].planned) == 0, "row %zu: %s", row, plan_ids(&p));
                ck_assert_uint_eq(p.n_max_age, table[row].n_max_age);
                ck_assert_msg(p.n_to_target == table[row].n_to_target, "row %zu: n_to_target %zu", row, p.n_to_target);
                ck_assert_uint_eq(p.actions[0].age_sec, 30 * 86400);
                /* counted by the tier pass, and apart by the maximum-age pass (which also keeps the two
                 * unused for less than 30 days) */
                ck_assert_uint_eq(p.kept.in_use, 1);
                ck_assert_uint_eq(p.kept.protected_, 1);
                ck_assert_uint_eq(p.kept.too_young, 0);
                ck_assert_uint_eq(p.kept_max_age.in_use, 1);
                ck_assert_uint_eq(p.kept_max_age.protected_, 1);
                ck_assert_uint_eq(p.kept_max_age.too_young, 2);
                ck_assert_str_eq(kept_ids(&p), "d5:y+,d2:y+,p100:p+,u100:u+,p100:p,u100:u");
                policy_plan_done(&p);
        }
}
END_TEST

/* The build cache by maximum age: a prune with until = max_unused_age and keep_storage 0, before the tier's
 * own; without a max_unused_age no such prune. */
START_TEST(test_max_age_build_cache) {
        struct config c = base_config();
        add_tier(&c, CONFIG_TIER_BUILD_CACHE, 86400, 14 * 86400);
        struct policy_snapshot s = { .now_ns = NOW, .build_cache = { .supported = true, .counted = GiB, .reclaimable = GiB } };
        struct usage u = usage_percent(10);
        struct policy_plan p;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "cache+,cache");
        ck_assert_uint_eq(p.actions[0].until_sec, 14 * 86400);
        ck_assert_uint_eq(p.actions[0].keep_storage, 0);
        ck_assert_uint_eq(p.actions[1].until_sec, 86400);
        ck_assert_uint_eq(p.n_max_age, 1);
        ck_assert_uint_eq(p.n_to_target, 1);
        policy_plan_done(&p);

        c.tiers[0].max_unused_age_sec = 0;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "cache");
        ck_assert_uint_eq(p.n_max_age, 0);
        ck_assert_uint_eq(p.n_to_target, 0);
        policy_plan_done(&p);
}
END_TEST

/* A child that stays keeps its parent under maximum age as under the tier (the engine refuses a parent). */
START_TEST(test_max_age_parent_child) {
        struct config c = base_config();
        add_tier(&c, CONFIG_TIER_UNUSED_IMAGES, 0, 10 * 86400);
        char *tp[] = { "parent:1", NULL }, *tc[] = { "child:1", NULL };
        struct policy_image images[] = {
                { .id = "parent", .tags = tp, .created_ns = NOW - 50 * DAY, .size = MiB },
                { .id = "child", .tags = tc, .created_ns = NOW - 5 * DAY, .parent_id = "parent", .size = MiB },
        };
        struct policy_snapshot s = { .now_ns = NOW, .images = images, .n_images = ELEMENTSOF(images) };
        struct usage u = usage_percent(10);
        struct policy_plan p;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "child,parent"); /* both by the tier (min_age 0), none by age */
        ck_assert_uint_eq(p.n_max_age, 0);
        policy_plan_done(&p);

        images[1].created_ns = NOW - 20 * DAY;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "child+,parent+");
        policy_plan_done(&p);
}
END_TEST

/* The names of rules and reasons, as the plan and the logs say them. */
START_TEST(test_names) {
        ck_assert_str_eq(policy_rule_to_string(POLICY_RULE_TIER), "tier");
        ck_assert_str_eq(policy_rule_to_string(POLICY_RULE_CRITICAL), "critical pass");
        ck_assert_str_eq(policy_rule_to_string(POLICY_RULE_MAX_AGE), "maximum age");
        ck_assert_ptr_null(policy_rule_to_string(_POLICY_RULE_MAX));
        ck_assert_str_eq(policy_kept_reason_to_string(POLICY_KEPT_NEWEST), "newest of its repository");
        ck_assert_str_eq(policy_kept_reason_to_string(POLICY_KEPT_TOO_YOUNG), "too young");
        ck_assert_ptr_null(policy_kept_reason_to_string(_POLICY_KEPT_REASON_MAX));
        struct config c = base_config();
        c.disk.critical_watermark = 95;
        struct usage u = usage_percent(95);
        ck_assert(policy_critical(&c, &u));
        u = usage_percent(94.9);
        ck_assert(!policy_critical(&c, &u));
        c.disk.critical_watermark = 0;
        u = usage_percent(100);
        ck_assert(!policy_critical(&c, &u));
}
END_TEST

/* Kept objects carry when a too-young one is old enough. */
START_TEST(test_kept_objects) {
        struct config c = base_config();
        add_tier(&c, CONFIG_TIER_STOPPED_CONTAINERS, 3600, 0);
        struct policy_container containers[] = {
                { .id = "run", .name = "r", .state = ENGINE_CONTAINER_RUNNING, .created_ns = NOW - DAY },
                { .id = "new", .name = "n", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - DAY,
                  .finished_at_ns = NOW - 10 * MIN_ },
        };
        struct policy_snapshot s = { .now_ns = NOW, .containers = containers, .n_containers = ELEMENTSOF(containers) };
        struct usage u = usage_percent(95);
        struct policy_plan p;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(kept_ids(&p), "run:u,new:y");
        ck_assert_str_eq(p.kept_objects[0].name, "r");
        ck_assert_int_eq(p.kept_objects[0].kind, POLICY_ACTION_REMOVE_CONTAINER);
        ck_assert_int_eq(p.kept_objects[1].eligible_ns, NOW + 50 * MIN_);
        ck_assert_int_eq(p.kept_objects[0].eligible_ns, 0);
        policy_plan_done(&p);
}
END_TEST

/* ---- random snapshots: the rules no lever may break ---------------------------------------------- */

static uint64_t rng_state;
static unsigned rnd(unsigned n) {
        rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return n ? (unsigned) ((rng_state >> 33) % n) : 0;
}

static bool old_enough_ref(int64_t ref, uint64_t age) {
        return age == 0 || (ref > 0 && ref <= NOW && NOW - ref >= (int64_t) age * SEC);
}

static const char *repo_pool[] = { "app", "base", "docker.io/library/app", "reg:5000/svc", "x/y" };

#define R_IMAGES 14
#define R_CONTAINERS 8

struct rworld {
        struct config c;
        char ids[R_IMAGES][16], cids[R_CONTAINERS][16];
        char tagbuf[R_IMAGES][2][40];
        char *tags[R_IMAGES][3];
        struct policy_image images[R_IMAGES];
        struct policy_container containers[R_CONTAINERS];
        struct engine_kv keep;
        struct policy_snapshot s;
        struct usage u;
};

static int64_t rtime(void) {
        static const int64_t ago[] = { 0, 30 * SEC, 5 * MIN_, 30 * MIN_, 2 * HOUR, 2 * DAY, 40 * DAY };
        int64_t a = ago[rnd(ELEMENTSOF(ago))];
        return a == 0 && rnd(2) ? 0 : NOW - a;
}

static void rgenerate(struct rworld *w) {
        static char *labels[] = { "keep", NULL }, *globs[] = { "base*", NULL };
        static const uint64_t ages[] = { 0, 60, 600, 3600, 86400 };
        memset(w, 0, sizeof(*w));
        w->c = base_config();
        w->c.max_removals = rnd(4) == 0 ? rnd(5) : 1000;
        w->c.protect_labels = labels;
        w->c.protect_images = globs;
        w->c.protect_newest_per_repository = rnd(4);
        w->c.disk.critical_watermark = rnd(2) ? 92 : 0;
        w->c.disk.critical_min_age_sec = ages[rnd(ELEMENTSOF(ages))];
        static const enum config_tier_type types[] = { CONFIG_TIER_STOPPED_CONTAINERS, CONFIG_TIER_DANGLING_IMAGES,
                                                       CONFIG_TIER_BUILD_CACHE, CONFIG_TIER_UNUSED_IMAGES };
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                if (rnd(5) == 0)
                        continue;
                uint64_t min_age = ages[rnd(ELEMENTSOF(ages))], max_age = 0;
                if ((types[i] == CONFIG_TIER_UNUSED_IMAGES || types[i] == CONFIG_TIER_BUILD_CACHE) && rnd(2))
                        max_age = min_age + ages[rnd(ELEMENTSOF(ages))];
                add_tier(&w->c, types[i], min_age, max_age);
        }
        w->keep = (struct engine_kv) { "keep", "1" };
        for (size_t i = 0; i < R_IMAGES; i++) {
                snprintf(w->ids[i], sizeof w->ids[i], "img%02zu", i);
                size_t nt = rnd(3);
                for (size_t t = 0; t < nt; t++) {
                        snprintf(w->tagbuf[i][t], sizeof w->tagbuf[i][t], "%s:%u", repo_pool[rnd(ELEMENTSOF(repo_pool))], rnd(50));
                        w->tags[i][t] = w->tagbuf[i][t];
                }
                w->images[i] = (struct policy_image) {
                        .id = w->ids[i],
                        .tags = w->tags[i],
                        .created_ns = rtime(),
                        .last_used_ns = rtime(),
                        .last_tag_time_ns = rnd(3) ? 0 : rtime(),
                        .size = (1 + rnd(10)) * MiB,
                        .parent_id = i > 0 && rnd(4) == 0 ? w->ids[rnd((unsigned) i)] : NULL,
                        .labels = rnd(6) == 0 ? (struct engine_labels) { &w->keep, 1 } : (struct engine_labels) {},
                };
        }
        static const enum engine_container_state states[] = { ENGINE_CONTAINER_CREATED, ENGINE_CONTAINER_RUNNING,
                                                              ENGINE_CONTAINER_EXITED, ENGINE_CONTAINER_DEAD,
                                                              ENGINE_CONTAINER_PAUSED, ENGINE_CONTAINER_EXITED };
        size_t nc = rnd(R_CONTAINERS + 1);
        for (size_t i = 0; i < nc; i++) {
                snprintf(w->cids[i], sizeof w->cids[i], "ctr%02zu", i);
                w->containers[i] = (struct policy_container) {
                        .id = w->cids[i],
                        .image_id = w->ids[rnd(R_IMAGES)],
                        .state = states[rnd(ELEMENTSOF(states))],
                        .created_ns = rtime(),
                        .finished_at_ns = rnd(2) ? rtime() : 0,
                        .size_rw = MiB,
                        .labels = rnd(6) == 0 ? (struct engine_labels) { &w->keep, 1 } : (struct engine_labels) {},
                };
        }
        w->s = (struct policy_snapshot) { .now_ns = NOW, .images = w->images, .n_images = R_IMAGES,
                                          .containers = w->containers, .n_containers = nc,
                                          .build_cache = { .supported = true, .counted = 100 * MiB, .reclaimable = 50 * MiB } };
        w->u = usage_percent(80 + rnd(21));
}

static const struct config_tier *rtier(const struct config *c, enum config_tier_type t) {
        for (size_t i = 0; i < c->n_tiers; i++)
                if (c->tiers[i].type == t)
                        return &c->tiers[i];
        return NULL;
}

static uint64_t rule_age(const struct config *c, const struct config_tier *t, enum policy_rule r) {
        if (r == POLICY_RULE_MAX_AGE)
                return MAX(t->max_unused_age_sec, t->min_age_sec);
        if (r == POLICY_RULE_CRITICAL)
                return MIN(t->min_age_sec, c->disk.critical_min_age_sec);
        return t->min_age_sec;
}

static void repo_of(const char *tag, char *buf, size_t n) {
        docker_ref_familiar(tag, buf, n);
        const char *colon = docker_ref_tag_separator(buf);
        if (colon)
                buf[colon - buf] = 0;
}

/* Brute force: whether image i is among the N newest (Created or LastTagTime; ties by id) of a repository. */
static bool rnewest(const struct rworld *w, size_t i) {
        unsigned n = w->c.protect_newest_per_repository;
        if (n == 0)
                return false;
        const struct policy_image *x = &w->images[i];
        int64_t xt = MAX(x->created_ns, x->last_tag_time_ns);
        for (char *const *t = x->tags; t && *t; t++) {
                char repo[256];
                repo_of(*t, repo, sizeof repo);
                unsigned before = 0;
                for (size_t j = 0; j < R_IMAGES; j++) {
                        const struct policy_image *y = &w->images[j];
                        bool in_repo = false;
                        for (char *const *u = y->tags; u && *u && !in_repo; u++) {
                                char r2[256];
                                repo_of(*u, r2, sizeof r2);
                                in_repo = strcmp(r2, repo) == 0;
                        }
                        int64_t yt = MAX(y->created_ns, y->last_tag_time_ns);
                        if (j != i && in_repo && (yt > xt || (yt == xt && strcmp(y->id, x->id) < 0)))
                                before++;
                }
                if (before < n)
                        return true;
        }
        return false;
}

static int action_pos(const struct policy_plan *p, enum policy_action_kind k, const char *id) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kind == k && p->actions[i].id && strcmp(p->actions[i].id, id) == 0)
                        return (int) i;
        return -1;
}

START_TEST(test_random_levers) {
        uint64_t seed = getenv("DOCKERCLEAN_SEED") ? strtoull(getenv("DOCKERCLEAN_SEED"), NULL, 10) : 20261202;
        static struct rworld w;
        for (unsigned run = 0; run < 3000; run++) {
                rng_state = seed + run;
                rgenerate(&w);
                struct policy_plan p;
                ck_assert_int_eq(policy_plan(&w.c, &w.u, &w.s, &p), 0);
#define RCHECK(cond, seed_, fmt, ...) ck_assert_msg(cond, "seed %" PRIu64 ": " fmt, seed_, ##__VA_ARGS__)
                uint64_t rs = seed + run;
                size_t n_max_age = 0, prunes[_POLICY_RULE_MAX] = {};
                for (size_t i = 0; i < p.n_actions; i++) {
                        const struct policy_action *a = &p.actions[i];
                        const struct config_tier *t = rtier(&w.c, a->tier);
                        RCHECK(t, rs, "action %zu of an unlisted tier", i);
                        RCHECK(i == 0 || a->rule >= p.actions[i - 1].rule, rs, "rules out of order at %zu", i);
                        RCHECK(a->rule != POLICY_RULE_CRITICAL || policy_critical(&w.c, &w.u), rs, "critical below the watermark");
                        RCHECK(a->rule != POLICY_RULE_MAX_AGE || t->max_unused_age_sec > 0, rs, "max age without max_unused_age");
                        n_max_age += a->rule == POLICY_RULE_MAX_AGE;
                        uint64_t age = rule_age(&w.c, t, a->rule);
                        RCHECK(a->age_sec == age, rs, "age_sec");
                        switch (a->kind) {
                        case POLICY_ACTION_REMOVE_CONTAINER: {
                                const struct policy_container *k = NULL;
                                for (size_t j = 0; j < w.s.n_containers; j++)
                                        if (strcmp(w.containers[j].id, a->id) == 0)
                                                k = &w.containers[j];
                                RCHECK(k && engine_container_state_is_removable(k->state), rs, "container %s not removable", a->id);
                                RCHECK(k->labels.n == 0, rs, "protected container %s", a->id);
                                RCHECK(old_enough_ref(k->finished_at_ns > 0 ? k->finished_at_ns : k->created_ns, age), rs,
                                       "young container %s", a->id);
                                RCHECK(action_pos(&p, a->kind, a->id) == (int) i, rs, "container twice");
                                break;
                        }
                        case POLICY_ACTION_REMOVE_IMAGE: {
                                size_t x = (size_t) (a->id[3] - '0') * 10 + (size_t) (a->id[4] - '0');
                                const struct policy_image *im = &w.images[x];
                                for (size_t j = 0; j < w.s.n_containers; j++)
                                        RCHECK(strcmp(w.containers[j].image_id, im->id) != 0, rs, "image %s in use", im->id);
                                RCHECK(!policy_image_protected(&w.c, im->tags, &im->labels), rs, "protected image %s", im->id);
                                bool dangling = !im->tags || !im->tags[0];
                                RCHECK(dangling == (a->tier == CONFIG_TIER_DANGLING_IMAGES), rs, "image %s in tier %d", im->id, a->tier);
                                RCHECK(dangling || !rnewest(&w, x), rs, "image %s is among the newest of a repository", im->id);
                                int64_t ref = dangling ? im->created_ns : MAX(im->last_used_ns, im->created_ns);
                                RCHECK(old_enough_ref(ref, age), rs, "young image %s (rule %d)", im->id, a->rule);
                                RCHECK(action_pos(&p, a->kind, a->id) == (int) i, rs, "image twice");
                                for (size_t j = 0; j < R_IMAGES; j++)
                                        if (w.images[j].parent_id && strcmp(w.images[j].parent_id, im->id) == 0) {
                                                int c = action_pos(&p, a->kind, w.images[j].id);
                                                RCHECK(c >= 0 && c < (int) i, rs, "image %s before its child", im->id);
                                        }
                                break;
                        }
                        case POLICY_ACTION_PRUNE_BUILD_CACHE:
                                RCHECK(++prunes[a->rule] == 1, rs, "two prunes of one rule");
                                RCHECK(a->until_sec == age, rs, "until");
                                RCHECK(a->rule != POLICY_RULE_MAX_AGE || a->keep_storage == 0, rs, "max-age prune keeps");
                                break;
                        case POLICY_ACTION_REMOVE_VOLUME:
                        case POLICY_ACTION_REMOVE_NETWORK:
                        case _POLICY_ACTION_KIND_MAX:
                                RCHECK(false, rs, "unexpected kind");
                        }
                }
                RCHECK(p.n_max_age == n_max_age, rs, "n_max_age");
                RCHECK(p.n_to_target >= p.n_max_age && p.n_to_target <= p.n_actions, rs, "n_to_target");
                RCHECK(p.n_actions <= w.c.max_removals, rs, "max_removals");
                RCHECK(p.critical == policy_critical(&w.c, &w.u), rs, "critical");
#undef RCHECK
                policy_plan_done(&p);
        }
}
END_TEST

int main(void) {
        Suite *s = suite_create("policy_levers");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_newest_per_repository_table);
        tcase_add_test(tc, test_newest_other_rules);
        tcase_add_test(tc, test_critical_table);
        tcase_add_test(tc, test_critical_protected_max_removals_build_cache);
        tcase_add_test(tc, test_max_age_table);
        tcase_add_test(tc, test_max_age_build_cache);
        tcase_add_test(tc, test_max_age_parent_child);
        tcase_add_test(tc, test_names);
        tcase_add_test(tc, test_kept_objects);
        tcase_add_test(tc, test_random_levers);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? 0 : 1;
}
