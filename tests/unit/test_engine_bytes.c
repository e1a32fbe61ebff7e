/* test_engine_bytes.c: disk.max_engine_bytes (lib/engine-bytes.c): when /system/df is due and for which parts, what a
 * partial or full answer replaces, what removals subtract, when the limit starts and ends a cleanup, and
 * how it extends a plan. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "dctest.h"
#include "engine-bytes.h"
#include "macro.h"

#define MIB (UINT64_C(1) << 20)
#define SEC UINT64_C(1000000)
#define CHEAP (ENGINE_DF_IMAGES | ENGINE_DF_BUILD_CACHE | ENGINE_DF_VOLUMES)

static struct engine_bytes configured(uint64_t max, uint64_t target) {
        struct config c = { .interval_sec = 60, .disk = { .max_engine_bytes = max, .target_engine_bytes = target,
                                                           .engine_usage_interval_sec = 600 } };
        struct engine_bytes b = {};
        engine_bytes_configure(&b, &c);
        return b;
}

/* A /system/df of every part or some: images (LayersSize), one container, one volume, two build records
 * of which one is shared (not counted, as docker system df does not). */
static void df_of(unsigned types, uint64_t images, uint64_t containers, uint64_t volumes, uint64_t build, struct engine_df *ret,
                  struct engine_df_container *c, struct engine_df_volume *v, struct engine_df_build_cache *bc) {
        c[0] = (struct engine_df_container){ .size_rw = (int64_t) containers };
        v[0] = (struct engine_df_volume){ .size = (int64_t) volumes };
        v[1] = (struct engine_df_volume){ .size = -1 }; /* not sized: nothing */
        bc[0] = (struct engine_df_build_cache){ .size = (int64_t) build };
        bc[1] = (struct engine_df_build_cache){ .size = 99 * (int64_t) MIB, .shared = true };
        *ret = (struct engine_df){
                .layers_size = types & ENGINE_DF_IMAGES ? (int64_t) images : 0,
                .containers = c, .n_containers = types & ENGINE_DF_CONTAINERS ? 1 : 0,
                .volumes = v, .n_volumes = types & ENGINE_DF_VOLUMES ? 2 : 0,
                .build_cache = bc, .n_build_cache = types & ENGINE_DF_BUILD_CACHE ? 2 : 0,
                .types = types,
        };
}

static void measure(struct engine_bytes *b, unsigned types, uint64_t images, uint64_t containers, uint64_t volumes, uint64_t build,
                    uint64_t now) {
        struct engine_df df;
        struct engine_df_container c[1];
        struct engine_df_volume v[2];
        struct engine_df_build_cache bc[2];
        df_of(types, images, containers, volumes, build, &df, c, v, bc);
        engine_bytes_measured(b, &df, now);
}

START_TEST(test_parts_from_df) {
        struct engine_df df;
        struct engine_df_container c[1];
        struct engine_df_volume v[2];
        struct engine_df_build_cache bc[2];
        struct engine_bytes_parts p;
        df_of(ENGINE_DF_ALL, 10 * MIB, 2 * MIB, 3 * MIB, 4 * MIB, &df, c, v, bc);
        engine_bytes_parts_from_df(&df, &p);
        ck_assert_uint_eq(p.images, 10 * MIB);
        ck_assert_uint_eq(p.containers, 2 * MIB);
        ck_assert_uint_eq(p.volumes, 3 * MIB);
        ck_assert_uint_eq(p.build_cache, 4 * MIB);
        /* Negative figures (Podman's -1) count as nothing. */
        df.layers_size = -1;
        c[0].size_rw = -1;
        engine_bytes_parts_from_df(&df, &p);
        ck_assert_uint_eq(p.images, 0);
        ck_assert_uint_eq(p.containers, 0);
        /* An answer without types (an engine below 1.42, or a plain call) holds every part. */
        df.types = 0;
        ck_assert_uint_eq(engine_bytes_df_types(&df), ENGINE_DF_ALL);
        df.types = ENGINE_DF_IMAGES;
        ck_assert_uint_eq(engine_bytes_df_types(&df), ENGINE_DF_IMAGES);
}
END_TEST

START_TEST(test_due_table) {
        static const struct {
                const char *what;
                uint64_t max;
                bool measured;               /* every part measured at T0 */
                uint64_t partial_after_sec;  /* a partial refresh that long after T0; 0 = none */
                bool grew;
                uint64_t now_after_sec;
                unsigned expected;
        } t[] = {
                { "off: never", 0, false, 0, true, 10000, 0 },
                { "never measured: every part", 50 * MIB, false, 0, false, 0, ENGINE_DF_ALL },
                { "measured just now, nothing grew", 50 * MIB, true, 0, false, 1, 0 },
                { "just before engine_usage_interval (600 s)", 50 * MIB, true, 0, false, 599, 0 },
                { "engine_usage_interval passed: every part", 50 * MIB, true, 0, false, 600, ENGINE_DF_ALL },
                { "grew, but within the check interval (60 s) of the last /system/df", 50 * MIB, true, 0, true, 59, 0 },
                { "grew, a check interval later: the parts events report, not containers", 50 * MIB, true, 0, true, 60, CHEAP },
                { "grew again within 60 s of that partial refresh", 50 * MIB, true, 100, true, 159, 0 },
                { "grew again 60 s after it", 50 * MIB, true, 100, true, 160, CHEAP },
                { "a partial refresh does not postpone the full one", 50 * MIB, true, 590, false, 600, ENGINE_DF_ALL },
                { "the full one wins over a partial one", 50 * MIB, true, 0, true, 700, ENGINE_DF_ALL },
        };
        const uint64_t T0 = 1000 * SEC;
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct engine_bytes b = configured(t[i].max, 0);
                if (t[i].measured)
                        measure(&b, ENGINE_DF_ALL, 1, 1, 1, 1, T0);
                if (t[i].partial_after_sec)
                        measure(&b, CHEAP, 1, 1, 1, 1, T0 + t[i].partial_after_sec * SEC);
                if (t[i].grew)
                        engine_bytes_note_grew(&b);
                unsigned got = engine_bytes_due(&b, T0 + t[i].now_after_sec * SEC);
                ck_assert_msg(got == t[i].expected, "%s: got 0x%x, want 0x%x", t[i].what, got, t[i].expected);
        }
}
END_TEST

START_TEST(test_measure_and_free) {
        struct engine_bytes b = configured(50 * MIB, 45 * MIB);
        ck_assert(!engine_bytes_over(&b));
        ck_assert(engine_bytes_met(&b)); /* unknown: it asks nothing */
        /* A partial answer alone does not make the figures known: containers are missing. */
        measure(&b, CHEAP, 30 * MIB, 0, 5 * MIB, 10 * MIB, 1 * SEC);
        ck_assert(!b.known);
        ck_assert(!engine_bytes_over(&b));
        measure(&b, ENGINE_DF_ALL, 30 * MIB, 8 * MIB, 5 * MIB, 10 * MIB, 2 * SEC);
        ck_assert(b.known);
        ck_assert_uint_eq(engine_bytes_used(&b), 53 * MIB);
        ck_assert(engine_bytes_over(&b));
        ck_assert(!engine_bytes_met(&b));
        ck_assert_uint_eq(engine_bytes_needed(&b), 8 * MIB + 1); /* below 45 MiB */
        /* Removals subtract from their part; networks hold nothing; never below 0. */
        engine_bytes_freed(&b, POLICY_ACTION_REMOVE_CONTAINER, 3 * MIB);
        engine_bytes_freed(&b, POLICY_ACTION_REMOVE_NETWORK, 40 * MIB);
        ck_assert_uint_eq(b.parts.containers, 5 * MIB);
        ck_assert_uint_eq(engine_bytes_used(&b), 50 * MIB);
        ck_assert(engine_bytes_over(&b)); /* at max: still over */
        engine_bytes_freed(&b, POLICY_ACTION_REMOVE_IMAGE, 1);
        ck_assert(!engine_bytes_over(&b));
        ck_assert(!engine_bytes_met(&b)); /* between target and max: a running cleanup goes on, none starts */
        engine_bytes_freed(&b, POLICY_ACTION_PRUNE_BUILD_CACHE, 100 * MIB);
        ck_assert_uint_eq(b.parts.build_cache, 0);
        ck_assert_uint_eq(b.freed_since, 3 * MIB + 1 + 10 * MIB);
        ck_assert_uint_eq(engine_bytes_used(&b), 40 * MIB - 1);
        ck_assert(engine_bytes_met(&b));
        ck_assert_uint_eq(engine_bytes_needed(&b), 0);
        engine_bytes_freed(&b, POLICY_ACTION_REMOVE_VOLUME, 1 * MIB);
        ck_assert_uint_eq(b.parts.volumes, 4 * MIB);
        /* A partial refresh replaces only its parts, and forgets what was subtracted. */
        measure(&b, CHEAP, 31 * MIB, 999 * MIB, 4 * MIB, 2 * MIB, 3 * SEC);
        ck_assert_uint_eq(b.parts.containers, 5 * MIB);
        ck_assert_uint_eq(b.parts.images, 31 * MIB);
        ck_assert_uint_eq(b.parts.build_cache, 2 * MIB);
        ck_assert_uint_eq(b.freed_since, 0);
        ck_assert_uint_eq(b.measured_usec, 2 * SEC);
        ck_assert_uint_eq(b.refreshed_usec, 3 * SEC);
        /* NULL: off. */
        ck_assert(engine_bytes_met(NULL));
        ck_assert(!engine_bytes_over(NULL));
        ck_assert_uint_eq(engine_bytes_needed(NULL), 0);
}
END_TEST

START_TEST(test_adjust_plan) {
        struct policy_action actions[3] = {
                { .kind = POLICY_ACTION_REMOVE_CONTAINER, .estimated_bytes = 2 * MIB },
                { .kind = POLICY_ACTION_REMOVE_IMAGE, .estimated_bytes = 4 * MIB },
                { .kind = POLICY_ACTION_REMOVE_IMAGE, .estimated_bytes = 8 * MIB },
        };
        static const struct {
                const char *what;
                uint64_t used_mib;             /* against max 50 MiB, target 45 MiB */
                size_t n_to_target;            /* the filesystem's */
                uint64_t bytes_needed;
                size_t want_n_to_target;
                bool want_reachable;
                uint64_t want_bytes_needed;
        } t[] = {
                { "met: unchanged", 44, 0, 0, 0, true, 0 },
                { "needs 1 MiB + 1: the first action", 46, 0, 0, 1, true, 1 * MIB + 1 },
                { "needs 5 MiB + 1: two", 50, 0, 0, 2, true, 5 * MIB + 1 },
                { "needs 6 MiB + 1: all three", 51, 0, 0, 3, true, 6 * MIB + 1 },
                { "the filesystem needs more: its figures stay", 46, 3, 20 * MIB, 3, true, 20 * MIB },
                { "beyond every estimate: unreachable", 60, 0, 0, 3, false, 15 * MIB + 1 },
                { "the filesystem's unreachable need stays so", 46, 3, UINT64_MAX, 3, true, UINT64_MAX },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct engine_bytes b = configured(50 * MIB, 45 * MIB);
                measure(&b, ENGINE_DF_ALL, t[i].used_mib * MIB, 0, 0, 0, 1);
                struct policy_plan p = { .actions = actions, .n_actions = 3, .n_to_target = t[i].n_to_target, .reachable = true,
                                         .bytes_needed = t[i].bytes_needed };
                engine_bytes_adjust_plan(&b, &p);
                ck_assert_msg(p.n_to_target == t[i].want_n_to_target, "%s: n_to_target %zu", t[i].what, p.n_to_target);
                ck_assert_msg(p.reachable == t[i].want_reachable, "%s: reachable", t[i].what);
                ck_assert_msg(p.bytes_needed == t[i].want_bytes_needed, "%s: bytes_needed %llu", t[i].what,
                              (unsigned long long) p.bytes_needed);
        }
        struct policy_plan p = { .actions = actions, .n_actions = 3, .n_to_target = 1, .reachable = true };
        engine_bytes_adjust_plan(NULL, &p);
        ck_assert_uint_eq(p.n_to_target, 1);
}
END_TEST

int main(void) {
        Suite *s = suite_create("engine_bytes");
        TCase *tc = tcase_create("engine_bytes");
        tcase_add_test(tc, test_parts_from_df);
        tcase_add_test(tc, test_due_table);
        tcase_add_test(tc, test_measure_and_free);
        tcase_add_test(tc, test_adjust_plan);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
