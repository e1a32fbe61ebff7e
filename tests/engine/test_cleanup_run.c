/* test_cleanup_run.c: the rounds of one cleanup (cleanup_run) against the scripted fake engine's "world"
 * scenario, whose objects hold their bytes as files on a small tmpfs, so that the executor's statvfs
 * after every removal measures real space. Needs root (a private mount namespace for the tmpfs), python3,
 * and no real engine. */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "dctest.h"
#include "engine.h"
#include "fake.h"
#include "history.h"
#include "stop-times.h"
#include "macro.h"
#include "usage.h"

#define MIB (1024 * 1024)
#define IMAGE_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IMAGE_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CONTAINER_1 "c111111111111111111111111111111111111111111111111111111111111111"
#define CONTAINER_2 "c222222222222222222222222222222222222222222222222222222222222222"

/* One case's world: the fake engine, its data on a 16 MiB tmpfs, a client and a configuration. */
struct world {
        char dir[64];
        char data[96];
        char images[96];               /* "" or a second tmpfs that holds the images (the containerd store) */
        struct fake fake;
        struct engine *engine;
        struct config config;
};

/* Two stopped containers of image A (app:1), image B (old:1) used by none: 2 + 2 + 4 + 2 MiB of 16. */
#define WORLD_DEFAULT \
        "{\"containers\": [" \
        "  {\"Id\": \"" CONTAINER_1 "\", \"Name\": \"c1\", \"ImageID\": \"" IMAGE_A "\", \"State\": \"exited\"," \
        "   \"Created\": %1$lld, \"FinishedAt\": %2$lld, \"bytes\": %5$d}," \
        "  {\"Id\": \"" CONTAINER_2 "\", \"Name\": \"c2\", \"ImageID\": \"" IMAGE_A "\", \"State\": \"exited\"," \
        "   \"Created\": %1$lld, \"FinishedAt\": %3$lld, \"bytes\": %5$d}]," \
        " \"images\": [" \
        "  {\"Id\": \"" IMAGE_A "\", \"RepoTags\": [\"app:1\"], \"Created\": %4$lld, \"bytes\": %6$d}," \
        "  {\"Id\": \"" IMAGE_B "\", \"RepoTags\": %8$s, \"Created\": %4$lld, \"bytes\": %5$d %9$s}]" \
        " %7$s}"

/* What a case changes in the default world, and its configuration. */
struct world_opts {
        const char *config;            /* appended to the tiers */
        const char *fail;              /* more of the world: ", \"fail\": {...}", ", \"build_cache\": [...]" */
        const char *b_tags;            /* B's RepoTags, default [\"old:1\"] */
        const char *b_extra;           /* more of B's fields, ", \"refuse\": true" */
        bool image_fs;                 /* images on a filesystem of their own (as with the containerd store) */
        const char *tiers;             /* instead of stopped-containers and unused-images, both 1h */
        long long c1_finished;         /* c1's FinishedAt (unix s), default two days ago */
};

static void world_start(struct world *w, const struct world_opts *opts) {
        dctest_require(geteuid() == 0, "needs root: the case mounts a tmpfs in a private mount namespace");
        memset(w, 0, sizeof *w);
        /* The tmpfs goes away with this case's process, however the case ends. */
        ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
        ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        snprintf(w->dir, sizeof w->dir, "/tmp/dcrun.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(w->dir));
        snprintf(w->data, sizeof w->data, "%s/data", w->dir);
        ck_assert_int_eq(mkdir(w->data, 0700), 0);
        ck_assert_int_eq(mount("tmpfs", w->data, "tmpfs", 0, "size=16m"), 0);
        if (opts->image_fs) {
                snprintf(w->images, sizeof w->images, "%s/images", w->dir);
                ck_assert_int_eq(mkdir(w->images, 0700), 0);
                ck_assert_int_eq(mount("tmpfs", w->images, "tmpfs", 0, "size=8m"), 0);
        }

        long long now = (long long) time(NULL);
        _cleanup_free_ char *json = NULL, *path = NULL;
        ck_assert_int_ge(asprintf(&json, WORLD_DEFAULT, now - 3 * 86400, opts->c1_finished ? opts->c1_finished : now - 2 * 86400, now - 86400, now - 3 * 86400,
                                  2 * MIB, 4 * MIB, opts->fail ? opts->fail : "",
                                  opts->b_tags ? opts->b_tags : "[\"old:1\"]", opts->b_extra ? opts->b_extra : ""),
                         0);
        ck_assert_int_ge(asprintf(&path, "%s/world.json", w->dir), 0);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(json, f);
        fclose(f);

        const char *const extra[] = { "--world", path, "--data", w->data, opts->image_fs ? "--image-data" : NULL,
                                      w->images, NULL };
        fake_start_args(&w->fake, "world", extra);
        _cleanup_free_ char *host = NULL;
        ck_assert_int_ge(asprintf(&host, "unix://%s", w->fake.sock), 0);
        struct engine_options o = { .host = host, .timeout_sec = 30 };
        ck_assert_int_eq(engine_new(&o, &w->engine), 0);

        _cleanup_free_ char *text = NULL;
        ck_assert_int_ge(asprintf(&text, "tiers = ( %s );\n%s\n",
                                  opts->tiers ? opts->tiers
                                              : "{ type = \"stopped-containers\"; min_age = \"1h\"; },"
                                                "{ type = \"unused-images\"; min_age = \"1h\"; }",
                                  opts->config ? opts->config : ""),
                         0);
        struct config_error err = {};
        ck_assert_msg(config_parse_string(text, "test.conf", &w->config, &err) == 0, "%s", err.text);
}

static void world_stop(struct world *w) {
        /* Never the image prune: on the containerd store it deletes the leases of pulls in flight. */
        _cleanup_free_ char *log = fake_log(&w->fake);
        ck_assert_msg(!strstr(log, "/images/prune"), "log: %s", log);
        engine_free(w->engine);
        config_done(&w->config);
        fake_stop(&w->fake);
        umount(w->data);
        if (w->images[0])
                umount(w->images);
        dctest_sh("rm -rf %s", w->dir);
}

static bool object_left(const struct world *w, const char *kind, const char *id) {
        char path[256];
        const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
        snprintf(path, sizeof path, "%s/%s-%s", w->images[0] && strcmp(kind, "image") == 0 ? w->images : w->data, kind, hex);
        return access(path, F_OK) == 0;
}

/* What the callbacks saw. */
struct seen {
        unsigned plans;
        uint64_t build_cache_estimate; /* the first plan's build-cache prune */
        uint64_t estimate_b;           /* the first plan's estimate for image B */
        unsigned steps;
        char failure[512];             /* the message of the last failed step */
        size_t first_plan_actions;
        atomic_int cancel;
        unsigned cancel_after;         /* raise cancel after this many steps; 0 = never */
        struct history *history;       /* NULL: none */
        struct stop_times *stop_times; /* NULL: none */
};

static void on_plan(const struct policy_plan *plan, const struct usage *u, void *userdata) {
        struct seen *s = userdata;
        if (s->plans++ == 0) {
                s->first_plan_actions = plan->n_actions;
                for (size_t i = 0; i < plan->n_actions; i++)
                        if (plan->actions[i].id && streq(plan->actions[i].id, IMAGE_B))
                                s->estimate_b = plan->actions[i].estimated_bytes;
                        else if (plan->actions[i].kind == POLICY_ACTION_PRUNE_BUILD_CACHE)
                                s->build_cache_estimate = plan->actions[i].estimated_bytes;
        }
}

static void on_step(const struct cleanup_step *step, void *userdata) {
        struct seen *s = userdata;
        s->steps++;
        if (step->result < 0 && step->result != -ENOENT && step->result != -EBUSY)
                snprintf(s->failure, sizeof s->failure, "%s", step->message ? step->message : "(none)");
        if (s->cancel_after && s->steps >= s->cancel_after)
                s->cancel = 1;
}

static struct cleanup_result run(struct world *w, struct seen *s) {
        struct usage_set fs = {};
        ck_assert_int_eq(usage_set_add(&fs, w->data), 1);
        if (w->images[0])
                ck_assert_int_eq(usage_set_add(&fs, w->images), 1);
        ck_assert_int_eq(usage_set_measure(&fs, NULL), 0);
        struct cleanup_run_options o = {
                .history = s->history,
                .stop_times = s->stop_times,
                .cancel = &s->cancel,
                .on_plan = on_plan,
                .on_step = on_step,
                .userdata = s,
        };
        struct cleanup_result res;
        ck_assert_int_eq(cleanup_run(w->engine, &w->config, &fs, &o, &res), 0);
        return res;
}

static size_t df_requests(const struct world *w) {
        _cleanup_free_ char *log = fake_log(&w->fake);
        return dctest_count(log, "GET /v1.41/system/df");
}

static size_t listings(const struct world *w) {
        _cleanup_free_ char *log = fake_log(&w->fake);
        return dctest_count(log, "GET /v1.41/containers/json?");
}

/* Round 1 removes both containers and the unused image; that unpins A, which round 2 removes. */
START_TEST(test_rounds_unpin_images) {
        struct world w;
        world_start(&w, &(struct world_opts){ .config = "disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };" });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_int_eq(res.n_rounds, 2);
        ck_assert_int_eq(res.stop, CLEANUP_STOP_TARGETS_MET);
        ck_assert_uint_eq(res.n_removed, 4);
        ck_assert_uint_eq(res.tier_removed[CONFIG_TIER_STOPPED_CONTAINERS], 2);
        ck_assert_uint_eq(res.tier_removed[CONFIG_TIER_UNUSED_IMAGES], 2);
        ck_assert(res.targets_met);
        ck_assert_uint_eq(s.plans, 2);
        ck_assert_uint_eq(s.first_plan_actions, 3); /* A is pinned in round 1 */
        ck_assert(!object_left(&w, "image", IMAGE_A));
        ck_assert_uint_eq(listings(&w), 2);
        ck_assert_uint_ge(res.reclaimed_bytes, 9 * MIB);
        ck_assert_uint_ge(res.tier_reclaimed[CONFIG_TIER_UNUSED_IMAGES], 5 * MIB);
        world_stop(&w);
}
END_TEST

/* max_removals counts over the whole cleanup: 2 containers in round 1 leave 1 removal for round 2. */
START_TEST(test_max_removals_across_rounds) {
        struct world w;
        world_start(&w, &(struct world_opts){ .config = "max_removals = 3; disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };" });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_uint_eq(res.n_removed, 3);
        ck_assert_int_eq(res.stop, CLEANUP_STOP_MAX_REMOVALS);
        ck_assert(!res.targets_met);
        ck_assert_int_eq(res.n_rounds, 1); /* round 1 already planned 3: c1, c2, B */
        ck_assert(object_left(&w, "image", IMAGE_A));
        world_stop(&w);
}
END_TEST

/* With B protected, round 1 removes only the two containers; round 2 may take one image of two. */
START_TEST(test_max_removals_spent_in_round_two) {
        struct world w;
        world_start(&w, &(struct world_opts){
                                .config = "max_removals = 3; protect = { images = [ \"old\" ]; };"
                                          "disk = { high_watermark = \"50%\"; low_watermark = \"1%\"; };",
                        });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_int_eq(res.n_rounds, 2);
        ck_assert_uint_eq(res.n_removed, 3);
        ck_assert_int_eq(res.stop, CLEANUP_STOP_MAX_REMOVALS);
        ck_assert(!object_left(&w, "image", IMAGE_A));
        ck_assert(object_left(&w, "image", IMAGE_B));
        world_stop(&w);
}
END_TEST

START_TEST(test_cancel_mid_round) {
        struct world w;
        world_start(&w, &(struct world_opts){ .config = "disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };" });
        struct seen s = { .cancel_after = 1 };
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.stop, CLEANUP_STOP_CANCELLED);
        ck_assert(res.cancelled);
        ck_assert_uint_eq(res.n_removed, 1);
        ck_assert_int_eq(res.n_rounds, 1);
        ck_assert(!object_left(&w, "container", CONTAINER_1));
        ck_assert(object_left(&w, "container", CONTAINER_2));
        world_stop(&w);
}
END_TEST

/* A listing that fails in round 2 ends the cleanup with the error; round 1's work is in the totals. */
START_TEST(test_listing_fails_in_round_two) {
        struct world w;
        world_start(&w, &(struct world_opts){
                                .config = "disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .fail = ", \"fail\": {\"/containers/json\": [2]}",
                        });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, -EREMOTEIO);
        ck_assert_int_eq(res.error_stage, CLEANUP_STAGE_SNAPSHOT);
        ck_assert_int_eq(res.stop, CLEANUP_STOP_ERROR);
        ck_assert_int_eq(res.n_rounds, 2);
        ck_assert_uint_eq(res.n_removed, 3);
        ck_assert_str_eq(engine_last_error(w.engine)->message, "fake: /containers/json failed");
        ck_assert(object_left(&w, "image", IMAGE_A));
        world_stop(&w);
}
END_TEST

/* A tag of B that went before the engine refused was put back. */
static void assert_tag_put_back(const struct world *w) {
        _cleanup_free_ char *log = fake_log(&w->fake);
        ck_assert_msg(dctest_count(log, "POST /v1.41/images/" IMAGE_B "/tag?repo=old&tag=") >= 1, "log: %s", log);
}

/* The engine refuses to delete B after its first tag went (as when a container was created from it a
 * moment ago): a skip, not a failure, and the tag is put back. */
START_TEST(test_conflict_is_a_skip) {
        struct world w;
        world_start(&w, &(struct world_opts){
                                .config = "disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .b_tags = "[\"old:1\", \"old:2\"]",
                                .b_extra = ", \"refuse\": true",
                        });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_uint_eq(res.n_failed, 0);
        ck_assert_uint_ge(res.n_skipped, 1);
        ck_assert_uint_eq(res.n_refused, res.n_skipped);
        ck_assert_uint_eq(res.n_removed, 3); /* c1, c2, then A in round 2 */
        ck_assert(object_left(&w, "image", IMAGE_B));
        assert_tag_put_back(&w);
        _cleanup_(engine_image_list_done) struct engine_image_list images = {};
        ck_assert_int_eq(engine_list_images(w.engine, false, &images), 0);
        ck_assert_uint_eq(images.n, 1);
        char *const *tags = images.items[0].repo_tags;
        ck_assert(tags && tags[0] && tags[1] && !tags[2]);
        ck_assert((strcmp(tags[0], "old:1") == 0 && strcmp(tags[1], "old:2") == 0) ||
                  (strcmp(tags[0], "old:2") == 0 && strcmp(tags[1], "old:1") == 0));
        world_stop(&w);
}
END_TEST

/* A delete that fails after a tag went: the tag is put back, and the failure says the delete's error, not
 * the tag call's. */
START_TEST(test_failure_message_survives_retag) {
        struct world w;
        world_start(&w, &(struct world_opts){
                                .config = "disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .b_tags = "[\"old:1\", \"old:2\"]",
                                .b_extra = ", \"refuse\": \"500\"",
                        });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_uint_ge(res.n_failed, 1);
        ck_assert_str_eq(s.failure, "fake: the storage driver failed to delete bbbbbbbbbbbb");
        ck_assert(object_left(&w, "image", IMAGE_B));
        assert_tag_put_back(&w);
        world_stop(&w);
}
END_TEST

/* Two containers bring usage below the low watermark: one round, the images stay. */
START_TEST(test_targets_met_in_round_one) {
        struct world w;
        world_start(&w, &(struct world_opts){ .config = "disk = { high_watermark = \"50%\"; low_watermark = \"45%\"; };" });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_int_eq(res.stop, CLEANUP_STOP_TARGETS_MET);
        ck_assert_int_eq(res.n_rounds, 1);
        ck_assert_uint_eq(res.n_removed, 2);
        ck_assert(res.targets_met);
        ck_assert(res.after.used_percent < 45.0);
        ck_assert(object_left(&w, "image", IMAGE_A));
        ck_assert(object_left(&w, "image", IMAGE_B));
        ck_assert_uint_eq(listings(&w), 1);
        world_stop(&w);
}
END_TEST

/* Images on a filesystem of their own (6 of 8 MiB: 75%), the containers' one at 25%: the trigger on the
 * image filesystem starts the cleanup, which goes on until the targets hold on both. */
START_TEST(test_two_filesystems) {
        struct world w;
        world_start(&w, &(struct world_opts){
                                .config = "disk = { high_watermark = \"50%\"; low_watermark = \"40%\"; };",
                                .image_fs = true,
                        });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_int_eq(res.stop, CLEANUP_STOP_TARGETS_MET);
        ck_assert_uint_eq(res.after_set.n, 2);
        ck_assert(res.before_set.fs[1].usage.used_percent > 70.0);
        ck_assert_msg(res.after_set.fs[1].usage.used_percent < 40.0, "%.1f%%", res.after_set.fs[1].usage.used_percent);
        ck_assert(res.after_set.fs[0].usage.used_percent < 40.0);
        /* The plan was for the image filesystem: its usage is what the result reports. */
        ck_assert_str_eq(res.after_set.fs[1].path, w.images);
        ck_assert(res.before.used_percent > 70.0);
        ck_assert_uint_ge(res.reclaimed_bytes, 4 * MIB);
        /* Round 2 removed A once round 1 had unpinned it: both images went, B alone did not suffice. */
        ck_assert(!object_left(&w, "image", IMAGE_A));
        world_stop(&w);
}
END_TEST

/* SharedSize == Size (Docker 26 and Podman 5, for a legacy build whose last step adds no layer) is not
 * "nothing to free": the estimate comes from the build chain, asked with ?all=1. */
START_TEST(test_estimate_when_shared_size_lies) {
        struct world w;
        char extra[512];
        /* B: 2 MiB, all of it "shared", built on an untagged intermediate (listed with all=1 only) that has
         * no parent: the intermediate goes with B, so B frees its whole Size. */
        snprintf(extra, sizeof extra,
                 ", \"SharedSize\": %d, \"ParentId\": \"sha256:%064d\"}, "
                 "{\"Id\": \"sha256:%064d\", \"RepoTags\": [], \"Created\": 1700000000, \"bytes\": 0, "
                 "\"Size\": %d, \"intermediate\": true",
                 2 * MIB, 7, 7, 3 * MIB / 2);
        world_start(&w, &(struct world_opts){
                                .config = "dry_run = true; disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .b_extra = extra,
                        });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_uint_eq(s.estimate_b, 2 * MIB);
        _cleanup_free_ char *log = fake_log(&w.fake);
        ck_assert_msg(dctest_has_line(log, "GET /v1.41/images/json?all=1"), "log: %s", log);
        world_stop(&w);

        /* A SharedSize that can be right (smaller than Size): no chain is asked for. */
        snprintf(extra, sizeof extra, ", \"SharedSize\": %d", MIB / 2);
        world_start(&w, &(struct world_opts){
                                .config = "dry_run = true; disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .b_extra = extra,
                        });
        s = (struct seen){};
        res = run(&w, &s);
        ck_assert_uint_eq(s.estimate_b, 2 * MIB - MIB / 2);
        _cleanup_free_ char *log2 = fake_log(&w.fake);
        ck_assert_msg(!strstr(log2, "images/json?all=1"), "log: %s", log2);
        world_stop(&w);
}
END_TEST

/* B built on A (B's parent, listed): all of B's layers really are A's too, so B frees nothing beyond its
 * own 1 MiB: Size(B) - Size(A). */
START_TEST(test_estimate_from_a_listed_parent) {
        struct world w;
        char extra[256];
        snprintf(extra, sizeof extra, ", \"Size\": %d, \"SharedSize\": %d, \"ParentId\": \"" IMAGE_A "\"", 5 * MIB, 5 * MIB);
        world_start(&w, &(struct world_opts){
                                .config = "dry_run = true; disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .b_extra = extra,
                        });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_uint_eq(s.estimate_b, 1 * MIB);
        world_stop(&w);
}
END_TEST

/* The build-cache estimate counts only what the prune can take: not in use, not shared, unused for the
 * tier's min_age (the prune's until). */
START_TEST(test_build_cache_estimate) {
        struct world w;
        char cache[1024];
        long long now = (long long) time(NULL);
        char old[32], young[32];
        strftime(old, sizeof old, "%Y-%m-%dT%H:%M:%SZ", gmtime(&(time_t){ (time_t) (now - 2 * 86400) }));
        strftime(young, sizeof young, "%Y-%m-%dT%H:%M:%SZ", gmtime(&(time_t){ (time_t) (now - 600) }));
        snprintf(cache, sizeof cache,
                 ", \"build_cache\": ["
                 "{\"ID\": \"old\", \"Size\": %d, \"InUse\": false, \"Shared\": false, \"LastUsedAt\": \"%s\"},"
                 "{\"ID\": \"never-used\", \"Size\": %d, \"InUse\": false, \"Shared\": false, \"CreatedAt\": \"%s\"},"
                 "{\"ID\": \"young\", \"Size\": %d, \"InUse\": false, \"Shared\": false, \"LastUsedAt\": \"%s\"},"
                 "{\"ID\": \"shared\", \"Size\": %d, \"InUse\": false, \"Shared\": true, \"LastUsedAt\": \"%s\"},"
                 "{\"ID\": \"busy\", \"Size\": %d, \"InUse\": true, \"Shared\": false, \"LastUsedAt\": \"%s\"}]",
                 3 * MIB, old, MIB, old, 5 * MIB, young, 7 * MIB, old, 11 * MIB, old);
        world_start(&w, &(struct world_opts){
                                .config = "dry_run = true; disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .tiers = "{ type = \"build-cache\"; min_age = \"24h\"; }",
                                .fail = cache,
                        });
        struct seen s = {};
        ck_assert_int_eq(run(&w, &s).error, 0);
        ck_assert_uint_eq(s.build_cache_estimate, 4 * MIB); /* old + never-used */
        world_stop(&w);
}
END_TEST

/* A dry run plans once and sends nothing that removes anything. */
START_TEST(test_dry_run_plans_once) {
        struct world w;
        world_start(&w, &(struct world_opts){ .config = "dry_run = true; disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };" });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_int_eq(res.stop, CLEANUP_STOP_DRY_RUN);
        ck_assert_uint_eq(s.plans, 1);
        ck_assert_uint_eq(s.first_plan_actions, 3);
        ck_assert_uint_eq(s.steps, 0);
        ck_assert_uint_eq(res.n_removed, 0);
        _cleanup_free_ char *log = fake_log(&w.fake);
        ck_assert_msg(!strstr(log, "DELETE") && !strstr(log, "POST"), "log: %s", log);
        world_stop(&w);
}
END_TEST

/* Engine times out of any range saturate, never overflow (UBSan stops the case if one does): c1's Status
 * says "Exited (0) 293 years ago" while the stop times have it stopped two days ago (the Status bound, in
 * nanoseconds, is past INT64_MAX), and image B was created at INT64_MAX unix seconds. c1 goes on its
 * stored stop time; B is too young to go. */
START_TEST(test_engine_times_out_of_range) {
        struct world w;
        long long now = (long long) time(NULL);
        world_start(&w, &(struct world_opts){ .config = "disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                              .c1_finished = now - 293LL * 365 * 86400,
                                              .b_extra = ", \"Created\": 9223372036854775807" });
        struct seen s = {};
        ck_assert_int_eq(stop_times_new(NULL, &s.stop_times), 0);
        ck_assert_int_eq(stop_times_note(s.stop_times, CONTAINER_1, (int64_t) (now - 2 * 86400) * 1000000000, -1), 1);
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert(!object_left(&w, "container", CONTAINER_1));
        ck_assert(object_left(&w, "image", IMAGE_B));
        _cleanup_free_ char *log = fake_log(&w.fake);
        ck_assert_msg(!strstr(log, "/containers/" CONTAINER_1 "/json"), "c1 inspected: %s", log);
        stop_times_free(s.stop_times);
        world_stop(&w);
}
END_TEST

/* A /system/df the engine fails once (dockerd refuses one while another runs) is asked again; failed twice,
 * the cleanup goes on with the listing's figures and says why in its result. */
START_TEST(test_df_failure_retried_then_said) {
        struct world w;
        world_start(&w, &(struct world_opts){ .config = "disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .fail = ", \"fail\": {\"/system/df\": [1]}" });
        struct seen s = {};
        struct cleanup_result res = run(&w, &s);
        ck_assert_int_eq(res.error, 0);
        ck_assert_str_eq(res.df_error, "");
        ck_assert_uint_eq(df_requests(&w), res.n_rounds + 1);
        world_stop(&w);

        world_start(&w, &(struct world_opts){ .config = "disk = { high_watermark = \"50%\"; low_watermark = \"10%\"; };",
                                .fail = ", \"fail\": {\"/system/df\": [1, 2, 3, 4, 5, 6, 7, 8]}" });
        struct seen s2 = {};
        res = run(&w, &s2);
        ck_assert_int_eq(res.error, 0);
        ck_assert_uint_eq(res.n_removed, 4); /* the containers and images go all the same */
        ck_assert_ptr_nonnull(strstr(res.df_error, "fake: /system/df failed"));
        world_stop(&w);
}
END_TEST

int main(void) {
        Suite *s = suite_create("cleanup_run");
        TCase *tc = tcase_create("rounds");
        tcase_set_timeout(tc, 120); /* the fake's start may take up to 60 s on a loaded host */
        tcase_add_test(tc, test_rounds_unpin_images);
        tcase_add_test(tc, test_max_removals_across_rounds);
        tcase_add_test(tc, test_max_removals_spent_in_round_two);
        tcase_add_test(tc, test_cancel_mid_round);
        tcase_add_test(tc, test_listing_fails_in_round_two);
        tcase_add_test(tc, test_conflict_is_a_skip);
        tcase_add_test(tc, test_failure_message_survives_retag);
        tcase_add_test(tc, test_targets_met_in_round_one);
        tcase_add_test(tc, test_two_filesystems);
        tcase_add_test(tc, test_estimate_when_shared_size_lies);
        tcase_add_test(tc, test_estimate_from_a_listed_parent);
        tcase_add_test(tc, test_build_cache_estimate);
        tcase_add_test(tc, test_dry_run_plans_once);
        tcase_add_test(tc, test_engine_times_out_of_range);
        tcase_add_test(tc, test_df_failure_retried_then_said);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
