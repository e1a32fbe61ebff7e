/* test_policy_unknowns.c: policy_unknowns() (lib/policy-unknowns.c) on hand-made snapshots: which unknown
 * stop and tag times it names. Its guarantee over random snapshots is in test_policy_random.c. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy.h"
#include "dctest.h"

#define SEC INT64_C(1000000000)
#define HOUR (3600 * SEC)
#define NOW (INT64_C(1800000000) * SEC)

static struct config one_tier(enum config_tier_type t, unsigned max_removals) {
        struct config c = {
                .disk = { .high_watermark = 90, .low_watermark = 80, .inode_high_watermark = 95, .inode_low_watermark = 90 },
                .max_removals = max_removals,
        };
        c.tiers[0] = (struct config_tier) { .type = t, .min_age_sec = 3600 };
        c.n_tiers = 1;
        return c;
}

static struct policy_snapshot snapshot(const struct policy_container *k, size_t n_k, const struct policy_image *im,
                                       size_t n_im) {
        return (struct policy_snapshot) { .now_ns = NOW, .containers = k, .n_containers = n_k, .images = im, .n_images = n_im };
}

/* b stopped 9 h ago (known); a, of unknown stop time, was created just before: it may have stopped
 * first, so its stop time is named; created just after, it cannot be the one of max_removals = 1. */
START_TEST(test_stop_named_by_its_created_bound) {
        struct config c = one_tier(CONFIG_TIER_STOPPED_CONTAINERS, 1);
        struct policy_container k[] = {
                { .id = "a", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 9 * HOUR - 1 },
                { .id = "b", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 20 * HOUR,
                  .finished_at_ns = NOW - 9 * HOUR },
        };
        bool stop[] = { true, false };
        struct policy_snapshot s = snapshot(k, ELEMENTSOF(k), NULL, 0);
        struct policy_unknown_input in = { .stop = stop };
        _cleanup_(policy_unknowns_done) struct policy_unknowns u = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &u), 0);
        ck_assert_uint_eq(u.n_stops, 1);
        ck_assert_uint_eq(u.stops[0], 0);

        k[0].created_ns = NOW - 9 * HOUR + 1;
        _cleanup_(policy_unknowns_done) struct policy_unknowns v = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &v), 0);
        ck_assert_uint_eq(v.n_stops, 0);
}
END_TEST

/* The critical pass takes what the tier's min_age left: a container created within min_age is named
 * only when disk.critical_watermark is set. */
START_TEST(test_stop_named_for_the_critical_pass) {
        struct config c = one_tier(CONFIG_TIER_STOPPED_CONTAINERS, 5);
        struct policy_container k[] = {
                { .id = "young", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 30 * 60 * SEC },
        };
        bool stop[] = { true };
        struct policy_snapshot s = snapshot(k, ELEMENTSOF(k), NULL, 0);
        struct policy_unknown_input in = { .stop = stop };
        _cleanup_(policy_unknowns_done) struct policy_unknowns u = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &u), 0);
        ck_assert_uint_eq(u.n_stops, 0);
        c.disk.critical_watermark = 95;
        c.disk.critical_min_age_sec = 60;
        _cleanup_(policy_unknowns_done) struct policy_unknowns v = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &v), 0);
        ck_assert_uint_eq(v.n_stops, 1);
}
END_TEST

/* Tag times: all the unpinned tagged ones of unknown tag time once one of them is planned; none when
 * none is; with newest_per_repository all of them (pinned too), and no stop time before them. */
START_TEST(test_tags) {
        static char *t1[] = { "app:1", NULL }, *t2[] = { "app:2", NULL }, *t3[] = { "app:3", NULL };
        struct config c = one_tier(CONFIG_TIER_UNUSED_IMAGES, 10);
        c.tiers[0].min_age_sec = 86400;
        struct policy_image im[] = {
                { .id = "sha256:old", .tags = t1, .created_ns = NOW - 100 * HOUR },
                { .id = "sha256:new", .tags = t2, .created_ns = NOW - 2 * HOUR },
                { .id = "sha256:used", .tags = t3, .created_ns = NOW - 100 * HOUR },
        };
        struct policy_container k[] = {
                { .id = "k", .image_id = "sha256:used", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 50 * HOUR },
        };
        bool stop[] = { true }, tag[] = { true, true, true };
        struct policy_snapshot s = snapshot(k, ELEMENTSOF(k), im, ELEMENTSOF(im));
        struct policy_unknown_input in = { .stop = stop, .tag = tag };
        _cleanup_(policy_unknowns_done) struct policy_unknowns u = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &u), 0);
        ck_assert_uint_eq(u.n_tags, 2);
        ck_assert_uint_eq(u.tags[0], 0);
        ck_assert_uint_eq(u.tags[1], 1);
        ck_assert_uint_eq(u.n_stops, 0); /* no stopped-containers tier */

        im[0].created_ns = NOW - 2 * HOUR; /* none old enough even at its lower bound */
        _cleanup_(policy_unknowns_done) struct policy_unknowns v = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &v), 0);
        ck_assert_uint_eq(v.n_tags, 0);

        c.protect_newest_per_repository = 1;
        c.tiers[1] = (struct config_tier) { .type = CONFIG_TIER_STOPPED_CONTAINERS, .min_age_sec = 0 };
        c.n_tiers = 2;
        _cleanup_(policy_unknowns_done) struct policy_unknowns w = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &w), 0);
        ck_assert_uint_eq(w.n_tags, 3);
        ck_assert_uint_eq(w.n_stops, 0);
}
END_TEST

/* Sizes: only of the containers the plan takes, and none with max_removals = 0. */
START_TEST(test_sizes) {
        struct config c = one_tier(CONFIG_TIER_STOPPED_CONTAINERS, 1);
        struct policy_container k[] = {
                { .id = "a", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 20 * HOUR,
                  .finished_at_ns = NOW - 10 * HOUR },
                { .id = "b", .image_id = "sha256:x", .state = ENGINE_CONTAINER_EXITED, .created_ns = NOW - 20 * HOUR,
                  .finished_at_ns = NOW - 5 * HOUR },
        };
        bool size[] = { true, true };
        struct policy_snapshot s = snapshot(k, ELEMENTSOF(k), NULL, 0);
        struct policy_unknown_input in = { .size = size };
        _cleanup_(policy_unknowns_done) struct policy_unknowns u = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &u), 0);
        ck_assert_uint_eq(u.n_sizes, 1);
        ck_assert_uint_eq(u.sizes[0], 0);
        c.max_removals = 0;
        _cleanup_(policy_unknowns_done) struct policy_unknowns v = {};
        ck_assert_int_eq(policy_unknowns(&c, &s, &in, &v), 0);
        ck_assert_uint_eq(v.n_sizes + v.n_stops + v.n_tags, 0);
        ck_assert_int_eq(policy_unknowns(&c, &s, NULL, &v), -EINVAL);
}
END_TEST

int main(void) {
        Suite *s = suite_create("policy_unknowns");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_stop_named_by_its_created_bound);
        tcase_add_test(tc, test_stop_named_for_the_critical_pass);
        tcase_add_test(tc, test_tags);
        tcase_add_test(tc, test_sizes);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
