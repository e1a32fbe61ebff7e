/* test_policy_builders.c: the inactive-builders tier of the planner (lib/policy.c): which buildx builder
 * containers go, each followed by its state volume, and which stay, and why. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy.h"
#include "dctest.h"

#define SEC INT64_C(1000000000)
#define NOW (INT64_C(1800000000) * SEC)
#define DAY (86400 * SEC)
#define GiB UINT64_C(1073741824)

static struct config builders_config(uint64_t min_age_sec) {
        static char *labels[] = { "keep", NULL };
        struct config c = {
                .disk = { .high_watermark = 90, .low_watermark = 80, .inode_high_watermark = 95, .inode_low_watermark = 90 },
                .max_removals = 1000,
                .protect_labels = labels,
        };
        c.tiers[0] = (struct config_tier) { .type = CONFIG_TIER_INACTIVE_BUILDERS, .min_age_sec = min_age_sec };
        c.n_tiers = 1;
        return c;
}

static struct usage usage_95(void) {
        struct usage u;
        usage_from_counts(1, 100 * GiB, 5 * GiB, 5 * GiB, 0, 0, 0, &u);
        return u;
}

/* "a,b,c": the ids of the plan's actions in order. */
static const char *plan_ids(const struct policy_plan *p) {
        static char buf[1024];
        buf[0] = 0;
        for (size_t i = 0; i < p->n_actions; i++) {
                if (i > 0)
                        strcat(buf, ",");
                strcat(buf, p->actions[i].id);
        }
        return buf;
}

static struct engine_kv keep_kv[] = { { "keep", "1" } };
static char *mount_ci0[] = { "buildx_buildkit_ci00_state", NULL };
static char *mount_ci1[] = { "buildx_buildkit_ci10_state", NULL };
static char *mount_old[] = { "buildx_buildkit_old0_state", NULL };
static char *mount_run[] = { "buildx_buildkit_run0_state", NULL };
static char *mount_kept[] = { "buildx_buildkit_kept0_state", NULL };
static char *mount_young[] = { "buildx_buildkit_young0_state", NULL };
static char *mount_shared[] = { "buildx_buildkit_shared0_state", NULL };
static char *mount_unk[] = { "buildx_buildkit_unk0_state", NULL };
static char *mount_plain[] = { "plain_state", NULL };

/* One snapshot with every case; each row says whether the container (and its volume) is planned. */
static const struct policy_container containers[] = {
        /* stopped 10 days ago: goes, the oldest first */
        { .id = "c-old", .name = "buildx_buildkit_old0", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .finished_at_ns = NOW - 10 * DAY, .size_rw = 7, .volumes = mount_old },
        /* stopped 8 days ago */
        { .id = "c-ci0", .name = "buildx_buildkit_ci00", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 20 * DAY, .finished_at_ns = NOW - 8 * DAY, .size_rw = 5, .volumes = mount_ci0 },
        /* running: never touched */
        { .id = "c-run", .name = "buildx_buildkit_run0", .state = ENGINE_CONTAINER_RUNNING, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .volumes = mount_run },
        /* paused: in use too */
        { .id = "c-ci1", .name = "buildx_buildkit_ci10", .state = ENGINE_CONTAINER_PAUSED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .volumes = mount_ci1 },
        /* protected by label */
        { .id = "c-kept", .name = "buildx_buildkit_kept0", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .finished_at_ns = NOW - 10 * DAY, .labels = { keep_kv, 1 },
          .volumes = mount_kept },
        /* stopped a day ago: too young for 7 days; created long ago, which does not count */
        { .id = "c-young", .name = "buildx_buildkit_young0", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .finished_at_ns = NOW - 1 * DAY, .volumes = mount_young },
        /* stopped long ago, but its state volume is mounted by another container too */
        { .id = "c-shared", .name = "buildx_buildkit_shared0", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .finished_at_ns = NOW - 10 * DAY, .volumes = mount_shared },
        { .id = "c-other", .name = "debug", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .finished_at_ns = NOW - 10 * DAY, .volumes = mount_shared },
        /* stopped at an unknown time (no FinishedAt): not old enough, whatever its Created */
        { .id = "c-unknown", .name = "buildx_buildkit_unk0", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .volumes = mount_unk },
        /* not named like a builder, with a volume named like one's: never this tier's */
        { .id = "c-plain", .name = "plain", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .finished_at_ns = NOW - 10 * DAY, .volumes = mount_plain },
        /* named like a builder without its node index: not a builder's */
        { .id = "c-noindex", .name = "buildx_buildkit_x", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .finished_at_ns = NOW - 10 * DAY },
        /* a builder container whose state volume is not listed: nothing to pair it with, it stays */
        { .id = "c-novol", .name = "buildx_buildkit_novol0", .state = ENGINE_CONTAINER_EXITED, .image_id = "sha256:b",
          .created_ns = NOW - 30 * DAY, .finished_at_ns = NOW - 10 * DAY },
};

static const struct policy_volume volumes[] = {
        { .name = "buildx_buildkit_ci00_state", .created_ns = NOW - 20 * DAY, .size = 100, .ref_count = 1 },
        { .name = "buildx_buildkit_old0_state", .created_ns = NOW - 30 * DAY, .size = 300, .ref_count = -1 },
        { .name = "buildx_buildkit_run0_state", .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = 1 },
        { .name = "buildx_buildkit_ci10_state", .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = 1 },
        { .name = "buildx_buildkit_kept0_state", .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = 1 },
        { .name = "buildx_buildkit_young0_state", .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = 1 },
        { .name = "buildx_buildkit_shared0_state", .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = -1 },
        { .name = "buildx_buildkit_unk0_state", .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = -1 },
        { .name = "plain_state", .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = 1 },
        /* a builder's state volume whose container is gone: the tier removes builders, not stray volumes */
        { .name = "buildx_buildkit_gone0_state", .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = 0 },
        { .name = "unrelated", .anonymous = true, .created_ns = NOW - 30 * DAY, .size = 1, .ref_count = 0 },
};

static struct policy_snapshot snapshot(void) {
        return (struct policy_snapshot) {
                .now_ns = NOW,
                .containers = containers,
                .n_containers = ELEMENTSOF(containers),
                .volumes = volumes,
                .n_volumes = ELEMENTSOF(volumes),
        };
}

static const struct policy_kept_object *kept(const struct policy_plan *p, const char *id) {
        for (size_t i = 0; i < p->n_kept_objects; i++)
                if (streq(p->kept_objects[i].id, id))
                        return &p->kept_objects[i];
        return NULL;
}

START_TEST(test_builders_eligibility) {
        struct config c = builders_config(7 * 86400);
        struct usage u = usage_95();
        struct policy_snapshot s = snapshot();
        struct policy_plan p = {};

        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        /* Oldest stop first; each container right before its state volume. */
        ck_assert_str_eq(plan_ids(&p), "c-old,buildx_buildkit_old0_state,c-ci0,buildx_buildkit_ci00_state");
        static const enum policy_action_kind kinds[] = { POLICY_ACTION_REMOVE_CONTAINER, POLICY_ACTION_REMOVE_VOLUME,
                                                         POLICY_ACTION_REMOVE_CONTAINER, POLICY_ACTION_REMOVE_VOLUME };
        static const bool with_previous[] = { false, true, false, true };
        static const uint64_t bytes[] = { 7, 300, 5, 100 };
        for (size_t i = 0; i < 4; i++) {
                ck_assert_int_eq(p.actions[i].kind, kinds[i]);
                ck_assert_int_eq(p.actions[i].tier, CONFIG_TIER_INACTIVE_BUILDERS);
                ck_assert_int_eq(p.actions[i].with_previous, with_previous[i]);
                ck_assert_uint_eq(p.actions[i].estimated_bytes, bytes[i]);
                ck_assert_uint_eq(p.actions[i].age_sec, 7 * 86400);
        }
        ck_assert_str_eq(p.actions[0].name, "buildx_buildkit_old0");
        ck_assert_uint_eq(p.tier_bytes[CONFIG_TIER_INACTIVE_BUILDERS], 412);
        ck_assert_uint_eq(p.tier_actions[CONFIG_TIER_INACTIVE_BUILDERS], 4);

        static const struct {
                const char *id;
                enum policy_kept_reason reason; /* _POLICY_KEPT_REASON_MAX: not looked at (not this tier's) */
        } table[] = {
                { "c-run", POLICY_KEPT_IN_USE },      { "c-ci1", POLICY_KEPT_IN_USE },
                { "c-shared", POLICY_KEPT_IN_USE },   { "c-kept", POLICY_KEPT_PROTECTED },
                { "c-young", POLICY_KEPT_TOO_YOUNG }, { "c-unknown", POLICY_KEPT_TOO_YOUNG },
                { "c-plain", _POLICY_KEPT_REASON_MAX }, { "c-noindex", _POLICY_KEPT_REASON_MAX },
                { "c-novol", _POLICY_KEPT_REASON_MAX }, { "c-other", _POLICY_KEPT_REASON_MAX },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                const struct policy_kept_object *k = kept(&p, table[i].id);
                if (table[i].reason == _POLICY_KEPT_REASON_MAX)
                        ck_assert_msg(!k, "%s looked at", table[i].id);
                else {
                        ck_assert_msg(k, "%s not kept", table[i].id);
                        ck_assert_msg(k->reason == table[i].reason, "%s kept as %d", table[i].id, k->reason);
                        ck_assert_int_eq(k->kind, POLICY_ACTION_REMOVE_CONTAINER);
                }
        }
        ck_assert_uint_eq(p.kept.in_use, 3);
        ck_assert_uint_eq(p.kept.protected_, 1);
        ck_assert_uint_eq(p.kept.too_young, 2);
        /* c-young is eligible 7 days after its stop; c-unknown never by its time */
        ck_assert_int_eq(kept(&p, "c-young")->eligible_ns, NOW + 6 * DAY);
        ck_assert_int_eq(p.kept.next_eligible_ns, NOW + 6 * DAY);
        policy_plan_done(&p);

        /* min_age 0: the builder stopped at an unknown time goes too; the running ones still stay. */
        c.tiers[0].min_age_sec = 0;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "c-unknown,buildx_buildkit_unk0_state,c-old,buildx_buildkit_old0_state,"
                                       "c-ci0,buildx_buildkit_ci00_state,c-young,buildx_buildkit_young0_state");
        policy_plan_done(&p);
}
END_TEST

/* Without the tier listed nothing of a builder's goes, even in the tiers that take containers and volumes. */
START_TEST(test_builders_tier_not_listed) {
        struct config c = builders_config(0);
        c.tiers[0] = (struct config_tier) { .type = CONFIG_TIER_UNUSED_VOLUMES, .include_named = true };
        struct usage u = usage_95();
        struct policy_snapshot s = snapshot();
        struct policy_plan p = {};

        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        /* unused-volumes takes only the volumes no container mounts (ref_count 0, none in the list). */
        ck_assert_str_eq(plan_ids(&p), "buildx_buildkit_gone0_state,unrelated");
        ck_assert_uint_eq(p.tier_actions[CONFIG_TIER_INACTIVE_BUILDERS], 0);
        policy_plan_done(&p);
}
END_TEST

/* A builder is both its actions or neither: max_removals never splits a pair. */
START_TEST(test_builders_max_removals) {
        struct config c = builders_config(7 * 86400);
        struct usage u = usage_95();
        struct policy_snapshot s = snapshot();
        struct policy_plan p = {};

        c.max_removals = 3;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_str_eq(plan_ids(&p), "c-old,buildx_buildkit_old0_state");
        ck_assert(p.truncated);
        ck_assert_uint_eq(p.kept.over_max_removals, 1);
        policy_plan_done(&p);

        c.max_removals = 1;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        ck_assert_uint_eq(p.n_actions, 0);
        ck_assert(p.truncated);
        policy_plan_done(&p);
}
END_TEST

/* With the tier listed, a builder container with its state volume is its own: a stopped-containers tier
 * listed first (and with a shorter min_age) leaves it, which would otherwise take the container alone and
 * leave the volume behind; a builder-named container without a listed state volume is still a stopped
 * container. Without the tier, builder containers are stopped containers like any other. */
START_TEST(test_builders_after_stopped_containers) {
        struct config c = builders_config(7 * 86400);
        c.tiers[1] = c.tiers[0];
        c.tiers[0] = (struct config_tier) { .type = CONFIG_TIER_STOPPED_CONTAINERS, .min_age_sec = 3600 };
        c.n_tiers = 2;
        struct usage u = usage_95();
        struct policy_snapshot s = snapshot();
        struct policy_plan p = {};

        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        /* stopped-containers: c-other, c-plain, c-noindex, c-novol (10 days ago; c-kept is protected), not the
         * builders; then the builders tier as alone. */
        ck_assert_str_eq(plan_ids(&p), "c-noindex,c-novol,c-other,c-plain,"
                                       "c-old,buildx_buildkit_old0_state,c-ci0,buildx_buildkit_ci00_state");
        ck_assert_uint_eq(p.tier_actions[CONFIG_TIER_STOPPED_CONTAINERS], 4);
        ck_assert_uint_eq(p.tier_actions[CONFIG_TIER_INACTIVE_BUILDERS], 4);
        policy_plan_done(&p);

        c.n_tiers = 1;
        ck_assert_int_eq(policy_plan(&c, &u, &s, &p), 0);
        const char *ids = plan_ids(&p);
        ck_assert_msg(strstr(ids, "c-old") && strstr(ids, "c-young") && !strstr(ids, "_state"), "%s", ids);
        policy_plan_done(&p);
}
END_TEST

START_TEST(test_builder_container_names) {
        static const struct {
                const char *name;
                bool expected;
        } table[] = {
                { "buildx_buildkit_ci00", true },   { "buildx_buildkit_b1", true },
                { "buildx_buildkit_ci00_state", false }, { "buildx_buildkit_", false },
                { "buildx_buildkit_x", false },     { "buildx_buildkit_0", false },
                { "xbuildx_buildkit_ci00", false }, { "ci00", false },
                { "", false },                      { NULL, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                ck_assert_msg(policy_builder_container(table[i].name) == table[i].expected, "row %zu", i);
        ck_assert_str_eq(config_tier_type_to_string(CONFIG_TIER_INACTIVE_BUILDERS), "inactive-builders");
        ck_assert_int_eq(config_tier_type_from_string("inactive-builders"), CONFIG_TIER_INACTIVE_BUILDERS);
}
END_TEST

/* ---- random worlds: the rules written out again, checked on every plan ---------------------------- */

#define R_N 6
static uint64_t rng;
static unsigned rnd(unsigned n) {
        rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        return (unsigned) (rng >> 33) % n;
}

struct rworld {
        struct config config;
        struct policy_container containers[R_N];
        struct policy_volume volumes[R_N];
        char cnames[R_N][40], cids[R_N][8], vnames[R_N][48];
        char *mounts[R_N][3];
};

static bool r_protected(const struct engine_labels *l) {
        return l->n > 0;
}

static bool r_mounted_by_other(const struct rworld *w, size_t self, const char *volume) {
        for (size_t i = 0; i < R_N; i++)
                for (char *const *m = w->containers[i].volumes; i != self && m && *m; m++)
                        if (streq(*m, volume))
                                return true;
        return false;
}

static int r_position(const struct policy_plan *p, enum policy_action_kind kind, const char *id) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kind == kind && streq(p->actions[i].id, id))
                        return (int) i;
        return -1;
}

/* Builder container i of the world: eligible by itself (the tier's own rules), given its state volume v. */
static bool r_eligible(const struct rworld *w, size_t i, size_t v, uint64_t min_age_sec) {
        const struct policy_container *k = &w->containers[i];
        const struct policy_volume *vol = &w->volumes[v];
        int64_t ref = k->finished_at_ns > 0 ? k->finished_at_ns : k->state == ENGINE_CONTAINER_CREATED ? k->created_ns : 0;
        bool removable = k->state == ENGINE_CONTAINER_EXITED || k->state == ENGINE_CONTAINER_DEAD ||
                         k->state == ENGINE_CONTAINER_CREATED;
        bool old = min_age_sec == 0 || (ref > 0 && NOW - ref >= (int64_t) min_age_sec * SEC);
        return removable && old && !r_protected(&k->labels) && !r_protected(&vol->labels) && vol->ref_count <= 1 &&
               !r_mounted_by_other(w, i, vol->name);
}

START_TEST(test_builders_random) {
        static struct engine_kv kv[] = { { "keep", "" } };
        static const int64_t stops[] = { 0, NOW - 30 * SEC, NOW - 2 * DAY, NOW + 60 * SEC };
        static const uint64_t ages[] = { 0, 60, 86400 };
        size_t planned = 0, kept_running = 0;

        for (unsigned it = 0; it < 5000; it++) {
                struct rworld w = {};
                rng = it * UINT64_C(0x9e3779b97f4a7c15) + 1;
                w.config = builders_config(ages[rnd(3)]);
                w.config.max_removals = rnd(8);
                switch (rnd(3)) { /* the builders tier alone, after the stopped containers, before the volumes */
                case 1:
                        w.config.tiers[1] = w.config.tiers[0];
                        w.config.tiers[0] = (struct config_tier) { .type = CONFIG_TIER_STOPPED_CONTAINERS,
                                                                   .min_age_sec = ages[rnd(3)] };
                        w.config.n_tiers = 2;
                        break;
                case 2:
                        w.config.tiers[1] = (struct config_tier) { .type = CONFIG_TIER_UNUSED_VOLUMES, .include_named = true };
                        w.config.n_tiers = 2;
                        break;
                }
                for (size_t i = 0; i < R_N; i++) {
                        struct policy_container *k = &w.containers[i];
                        struct policy_volume *v = &w.volumes[i];
                        snprintf(w.cids[i], sizeof w.cids[i], "c%zu", i);
                        snprintf(w.cnames[i], sizeof w.cnames[i], rnd(10) < 8 ? "buildx_buildkit_b%zu0" : "plain%zu", i);
                        snprintf(w.vnames[i], sizeof w.vnames[i], rnd(10) < 8 ? "buildx_buildkit_b%zu0_state" : "v%zu", i);
                        size_t nm = 0;
                        if (rnd(10) < 8)
                                w.mounts[i][nm++] = w.vnames[i];
                        if (rnd(10) < 2)
                                w.mounts[i][nm++] = w.vnames[rnd(R_N)];
                        *k = (struct policy_container) {
                                .id = w.cids[i], .name = w.cnames[i], .image_id = "sha256:b",
                                .state = (enum engine_container_state) rnd(ENGINE_CONTAINER_DEAD + 1),
                                .created_ns = NOW - 10 * DAY, .finished_at_ns = stops[rnd(4)],
                                .size_rw = rnd(100), .labels = { kv, rnd(10) < 2 }, .volumes = w.mounts[i],
                        };
                        *v = (struct policy_volume) { .name = w.vnames[i], .created_ns = NOW - 10 * DAY, .size = rnd(1000),
                                                      .ref_count = (int64_t) rnd(4) - 1, .labels = { kv, rnd(10) < 2 } };
                }
                struct policy_snapshot s = { .now_ns = NOW, .containers = w.containers, .n_containers = R_N,
                                             .volumes = w.volumes, .n_volumes = R_N };
                struct usage u = usage_95();
                struct policy_plan p = {};
                const struct config_tier *bt = &w.config.tiers[w.config.tiers[0].type == CONFIG_TIER_INACTIVE_BUILDERS ? 0 : 1];

                ck_assert_int_eq(policy_plan(&w.config, &u, &s, &p), 0);
                ck_assert_uint_le(p.n_actions, w.config.max_removals);
                for (size_t a = 0; a < p.n_actions; a++) {
                        const struct policy_action *x = &p.actions[a];
                        if (x->tier != CONFIG_TIER_INACTIVE_BUILDERS) {
                                ck_assert(!x->with_previous);
                                continue;
                        }
                        ck_assert_msg(x->kind == POLICY_ACTION_REMOVE_CONTAINER, "iteration %u: a volume first", it);
                        /* the container, then right after it its own state volume */
                        size_t i = (size_t) (x->id[1] - '0');
                        char want[64];
                        snprintf(want, sizeof want, "%s_state", w.cnames[i]);
                        ck_assert(policy_builder_container(w.cnames[i]));
                        ck_assert_uint_lt(a + 1, p.n_actions);
                        const struct policy_action *y = &p.actions[++a];
                        ck_assert(y->kind == POLICY_ACTION_REMOVE_VOLUME && y->with_previous &&
                                  y->tier == CONFIG_TIER_INACTIVE_BUILDERS && streq(y->id, want));
                        size_t v = (size_t) (y->id[strlen("buildx_buildkit_b")] - '0');
                        ck_assert_msg(r_eligible(&w, i, v, bt->min_age_sec), "iteration %u: c%zu not eligible", it, i);
                        planned++;
                }
                /* every volume planned by another tier is mounted by no container at all */
                for (size_t a = 0; a < p.n_actions; a++)
                        if (p.actions[a].kind == POLICY_ACTION_REMOVE_VOLUME && !p.actions[a].with_previous)
                                ck_assert(!r_mounted_by_other(&w, SIZE_MAX, p.actions[a].id));
                /* complete unless truncated: an eligible builder left out was taken apart by an earlier tier */
                for (size_t i = 0; !p.truncated && i < R_N; i++) {
                        char want[64];
                        snprintf(want, sizeof want, "%s_state", w.cnames[i]);
                        if (!policy_builder_container(w.cnames[i]) || !streq(w.vnames[i], want) ||
                            !r_eligible(&w, i, i, bt->min_age_sec))
                                continue;
                        int c = r_position(&p, POLICY_ACTION_REMOVE_CONTAINER, w.cids[i]);
                        ck_assert_msg(c >= 0, "iteration %u: eligible builder c%zu left out", it, i);
                        if (p.actions[c].tier == CONFIG_TIER_INACTIVE_BUILDERS)
                                ck_assert_int_eq(r_position(&p, POLICY_ACTION_REMOVE_VOLUME, want), c + 1);
                }
                for (size_t i = 0; i < R_N; i++)
                        kept_running += engine_container_state_is_active(w.containers[i].state) &&
                                        policy_builder_container(w.cnames[i]) &&
                                        r_position(&p, POLICY_ACTION_REMOVE_CONTAINER, w.cids[i]) < 0;
                policy_plan_done(&p);
        }
        /* the worlds exercise the tier */
        ck_assert_uint_gt(planned, 500);
        ck_assert_uint_gt(kept_running, 1000);
}
END_TEST

static Suite *builders_suite(void) {
        Suite *s = suite_create("policy_builders");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_builders_eligibility);
        tcase_add_test(tc, test_builders_tier_not_listed);
        tcase_add_test(tc, test_builders_max_removals);
        tcase_add_test(tc, test_builders_after_stopped_containers);
        tcase_add_test(tc, test_builder_container_names);
        tcase_add_test(tc, test_builders_random);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        int failed = dctest_run(builders_suite());
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
