/* The eviction replay (tests/perf/replay.c): it decides with the real planner (every plan it executes is
 * policy_plan()'s own on the same snapshot), its snapshots show what the model holds, removals free what
 * the layer sharing frees, and the peers and the offline reference do what docs/BENCHMARKS.md says. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "dctest.h"

#define MB UINT64_C(1000000)
#define T0 INT64_C(1700000000)

static struct replay_trace *trace_from_text(const char *text) {
        char *copy = strdup(text);
        ck_assert_ptr_nonnull(copy);
        FILE *f = fmemopen(copy, strlen(copy), "r");
        ck_assert_ptr_nonnull(f);
        struct replay_trace *t = NULL;
        ck_assert_int_eq(replay_trace_read(f, &t, NULL), 0);
        fclose(f);
        free(copy);
        return t;
}

/* A small busy host: 40 images of 8 repositories over 3 shared bases, 400 jobs with a skewed choice. */
static struct replay_trace *trace_random(void) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        ck_assert_ptr_nonnull(f);
        uint64_t x = 12345;
#define NEXT() (x = x * 6364136223846793005ULL + 1442695040888963407ULL, (unsigned) (x >> 33))
        fprintf(f, "dockerclean-replay 1\ndisk %" PRIu64 " %" PRIu64 "\n", 12000 * MB, 1000 * MB);
        for (int l = 0; l < 3; l++)
                fprintf(f, "layer %" PRIu64 "\n", (200 + 100 * (uint64_t) l) * MB);
        for (int i = 0; i < 40; i++)
                fprintf(f, "layer %" PRIu64 "\n", (100 + NEXT() % 800) * MB);
        for (int i = 0; i < 40; i++)
                fprintf(f, "image repo%d:v%d %" PRId64 " %d,%d\n", i % 8, i / 8, T0 - 86400 + i * 60, i % 3, 3 + i);
        for (int j = 0; j < 400; j++) {
                unsigned a = NEXT() % 40, b = NEXT() % 40;
                a = a < b ? a : b;           /* smaller numbers more often */
                if (NEXT() % 3 == 0)
                        fprintf(f, "job %" PRId64 " %u %u,%u\n", T0 + j * 600, 300 + NEXT() % 1500, a, (a + 1) % 40);
                else
                        fprintf(f, "job %" PRId64 " %u %u\n", T0 + j * 600, 300 + NEXT() % 1500, a);
        }
#undef NEXT
        fclose(f);
        struct replay_trace *t = trace_from_text(text);
        free(text);
        return t;
}

struct check_state {
        const struct replay_trace *t;
        size_t plans, removing_plans, removed, compared;
};

/* Every plan the replay executed is a prefix of policy_plan()'s own actions on the snapshot it built; and
 * that snapshot's images are the model's, sized by their unique bytes (what no other image holds). */
static void on_plan(const struct config *c, const struct usage *u, const struct policy_snapshot *s,
                    char *const *removed, size_t n_removed, void *userdata) {
        struct check_state *st = userdata;
        struct policy_plan plan;
        ck_assert_int_eq(policy_plan(c, u, s, &plan), 0);
        size_t k = 0;
        for (size_t a = 0; a < plan.n_actions && k < n_removed; a++) {
                ck_assert_int_eq(plan.actions[a].kind, POLICY_ACTION_REMOVE_IMAGE);
                ck_assert_str_eq(removed[k], plan.actions[a].id);
                k++;
                st->compared++;
        }
        ck_assert_uint_eq(k, n_removed);
        policy_plan_done(&plan);

        uint32_t *refs = calloc(st->t->n_layers, sizeof *refs);
        ck_assert_ptr_nonnull(refs);
        const struct replay_image **im = calloc(s->n_images + 1, sizeof *im);
        ck_assert_ptr_nonnull(im);
        for (size_t i = 0; i < s->n_images; i++) {
                for (size_t n = 0; n < st->t->n_images; n++)
                        if (strcmp(st->t->images[n].id, s->images[i].id) == 0)
                                im[i] = &st->t->images[n];
                ck_assert_ptr_nonnull(im[i]);
                ck_assert_str_eq(s->images[i].tags[0], im[i]->tag);
                ck_assert_int_gt(s->images[i].last_used_ns, 0);     /* the history knew every image */
                for (size_t l = 0; l < im[i]->n_layers; l++)
                        refs[im[i]->layers[l]]++;
        }
        for (size_t i = 0; i < s->n_images; i++) {
                uint64_t unique = 0;
                for (size_t l = 0; l < im[i]->n_layers; l++)
                        if (refs[im[i]->layers[l]] == 1)
                                unique += st->t->layer_size[im[i]->layers[l]];
                ck_assert_uint_eq(s->images[i].size, unique);
        }
        free(im);
        free(refs);
        st->plans++;
        st->removing_plans += n_removed > 0;
        st->removed += n_removed;
}

static const char *const configs[] = {
        NULL,   /* the compiled-in defaults: unused-images min_age 24h, critical pass at 95 % */
        "tiers = ( { type = \"unused-images\"; min_age = \"0s\"; } );\n"
        "protect = { newest_per_repository = 1; };\n",
        "disk = { high_watermark = \"70%\"; low_watermark = \"40%\"; };\n"
        "tiers = ( { type = \"unused-images\"; min_age = \"2h\"; } );\n",
};

START_TEST(test_plans_are_the_planners) {
        struct config c;
        struct config_error e;
        if (configs[_i])
                ck_assert_msg(config_parse_string(configs[_i], "test", &c, &e) == 0, "%s", e.text);
        else
                ck_assert_int_eq(config_init_defaults(&c), 0);
        struct replay_trace *t = trace_random();
        struct check_state st = { .t = t };
        struct replay_result r;
        ck_assert_int_eq(replay_run(t, REPLAY_DOCKERCLEAN, &c, on_plan, &st, &r), 0);
        /* the checks really ran, on plans that removed something */
        ck_assert_uint_ge(st.removing_plans, 5);
        ck_assert_uint_eq(st.removed, r.removals);
        ck_assert_uint_eq(st.compared, r.removals);
        ck_assert_uint_gt(r.bytes_repulled, 0);
        replay_trace_free(t);
        config_done(&c);
}
END_TEST

/* A, B and C share a 400 MB base and have 300 MB of their own; the disk is 1500 MB (85 % = 1275). C's pull
 * makes 1300 MB; A comes back after that. */
static const char trace_shared[] =
        "dockerclean-replay 1\n"
        "disk 1500000000 0\n"
        "layer 400000000\nlayer 300000000\nlayer 300000000\nlayer 300000000\n"
        "image a:1 1699990000 0,1\nimage b:1 1699990000 0,2\nimage c:1 1699990000 0,3\n"
        "job 1700000000 10 0\njob 1700000100 10 1\njob 1700000200 10 2\njob 1700000300 10 0\n";

static const struct {
        enum replay_policy policy;
        uint64_t repulled;
        size_t pulls, removals;
} shared_cases[] = {
        /* LRU takes A (frees 300 MB, not 700: the base stays for C), A comes back: 300 MB again; that
         * crosses 85 % again and B goes */
        { REPLAY_DOCKERCLEAN, 300 * MB, 4, 2 },
        /* furthest next use: B is never used again, A is */
        { REPLAY_OFFLINE, 0, 3, 1 },
        /* every unused image: A and B */
        { REPLAY_PRUNE_ALL, 300 * MB, 4, 2 },
        /* docuum's threshold is 85 % of the disk; the same choice as LRU here */
        { REPLAY_DOCUUM, 300 * MB, 4, 2 },
};

START_TEST(test_shared_layers) {
        struct config c;
        struct config_error e;
        ck_assert_msg(config_parse_string("tiers = ( { type = \"unused-images\"; min_age = \"0s\"; } );\n", "test", &c,
                                          &e) == 0, "%s", e.text);
        struct replay_trace *t = trace_from_text(trace_shared);
        struct replay_result r;
        ck_assert_int_eq(replay_run(t, shared_cases[_i].policy, &c, NULL, NULL, &r), 0);
        ck_assert_uint_eq(r.bytes_first, 1300 * MB);
        ck_assert_uint_eq(r.bytes_repulled, shared_cases[_i].repulled);
        ck_assert_uint_eq(r.bytes_pulled, r.bytes_first + r.bytes_repulled);
        ck_assert_uint_eq(r.pulls, shared_cases[_i].pulls);
        ck_assert_uint_eq(r.removals, shared_cases[_i].removals);
        ck_assert_uint_eq(r.over_capacity, 0);
        replay_trace_free(t);
        config_done(&c);
}
END_TEST

/* A is never used again, but a:2, pulled next, has A's 300 MB layer: the offline reference keeps that
 * layer (it removes C, needed later, 200 MB to pull again) where the image-by-image rule would remove A
 * (300 MB again at once). Disk 1400 MB: 85 % = 1190, 75 % = 1050. */
static const char trace_future_sharing[] =
        "dockerclean-replay 1\n"
        "disk 1400000000 0\n"
        "layer 400000000\nlayer 300000000\nlayer 300000000\nlayer 200000000\nlayer 100000000\n"
        "image a:1 1699990000 0,1\nimage c:1 1699990000 0,3\nimage d:1 1699990000 0,2\n"
        "image a:2 1699990000 0,1,4\n"
        "job 1700000000 10 0\njob 1700000100 10 1\njob 1700000200 10 2\njob 1700000300 10 3\n"
        "job 1700000400 10 1\n";

START_TEST(test_future_sharing) {
        struct config c;
        struct config_error e;
        ck_assert_msg(config_parse_string("tiers = ( { type = \"unused-images\"; min_age = \"0s\"; } );\n", "test", &c,
                                          &e) == 0, "%s", e.text);
        struct replay_trace *t = trace_from_text(trace_future_sharing);
        struct replay_result r;
        ck_assert_int_eq(replay_run(t, REPLAY_OFFLINE, &c, NULL, NULL, &r), 0);
        ck_assert_uint_eq(r.bytes_repulled, 200 * MB);
        /* LRU: A, then C and D when a:2 brings back A's layer; C comes back */
        ck_assert_int_eq(replay_run(t, REPLAY_DOCKERCLEAN, &c, NULL, NULL, &r), 0);
        ck_assert_uint_eq(r.bytes_repulled, 500 * MB);
        replay_trace_free(t);
        config_done(&c);
}
END_TEST

static const char *const bad_traces[] = {
        "",
        "dockerclean-replay 2\ndisk 10 1\n",
        "dockerclean-replay 1\n",                                          /* no disk */
        "dockerclean-replay 1\ndisk 10 10\n",                              /* nothing left for images */
        "dockerclean-replay 1\ndisk 10 1\nimage a:1 0 0\n",                /* an unknown layer */
        "dockerclean-replay 1\ndisk 10 1\nlayer 1\nimage a 0 0\n",         /* a tag without ':' */
        "dockerclean-replay 1\ndisk 10 1\nlayer 1\nimage a:1 0 0\njob 5 1 1\n",          /* an unknown image */
        "dockerclean-replay 1\ndisk 10 1\nlayer 1\nimage a:1 0 0\njob 5 1 0\njob 4 1 0\n", /* out of order */
        "dockerclean-replay 1\ndisk 10 1\nlayer 1\nimage a:1 0 0\njob 5 1 0,\n",
        "dockerclean-replay 1\ndisk 10 1\nlayer 1",                        /* no final newline */
        "dockerclean-replay 1\ndisk 10 1\nlayer -1\n",
        "dockerclean-replay 1\ndisk 10 1\nbogus 1\n",
};

START_TEST(test_bad_trace) {
        char *copy = strdup(bad_traces[_i]);
        ck_assert_ptr_nonnull(copy);
        FILE *f = *copy ? fmemopen(copy, strlen(copy), "r") : fopen("/dev/null", "re");
        ck_assert_ptr_nonnull(f);
        struct replay_trace *t = NULL;
        ck_assert_int_eq(replay_trace_read(f, &t, NULL), -EBADMSG);
        ck_assert_ptr_null(t);
        fclose(f);
        free(copy);
}
END_TEST

int main(void) {
        Suite *s = suite_create("replay");
        TCase *tc = tcase_create("core");
        tcase_add_loop_test(tc, test_plans_are_the_planners, 0, sizeof configs / sizeof configs[0]);
        tcase_add_loop_test(tc, test_shared_layers, 0, sizeof shared_cases / sizeof shared_cases[0]);
        tcase_add_test(tc, test_future_sharing);
        tcase_add_loop_test(tc, test_bad_trace, 0, sizeof bad_traces / sizeof bad_traces[0]);
        suite_add_tcase(s, tc);
        int failed = dctest_run(s);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
