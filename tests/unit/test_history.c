/* test_history.c: the image usage history (lib/history.c): uses, events, name resolution, seeding,
 * pruning, and the state file (round trip, atomic replace, corrupt files). */
#include <check.h>
#include <inttypes.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dctest.h"
#include "history.h"
#include "macro.h"

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1800000000) * SEC)

#define ID_A "sha256:aaaa000000000000000000000000000000000000000000000000000000000001"
#define ID_B "sha256:bbbb000000000000000000000000000000000000000000000000000000000002"
#define ID_C "sha256:cccc000000000000000000000000000000000000000000000000000000000003"
#define ID_AB "sha256:ab00000000000000000000000000000000000000000000000000000000000004"
#define ID_A2 "sha256:aaaa100000000000000000000000000000000000000000000000000000000005"
#define HEX_A "aaaa000000000000000000000000000000000000000000000000000000000001"

static char scratch[256];

static void scratch_setup(void) {
        snprintf(scratch, sizeof(scratch), "/tmp/dc-test-history-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void scratch_teardown(void) {
        (void) dctest_sh("rm -rf '%s'", scratch);
}

static char *state_path(const char *name) {
        static char buf[512];
        snprintf(buf, sizeof(buf), "%s/%s", scratch, name);
        return buf;
}

static void write_text(const char *path, const char *text, size_t len) {
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(text, 1, len, f), len);
        ck_assert_int_eq(fclose(f), 0);
}

static char *read_text(const char *path) {
        static char buf[65536];
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        return buf;
}

static struct history *new_history(const char *dir) {
        struct history *h = NULL;
        ck_assert_int_eq(history_new(dir, &h), 0);
        ck_assert_ptr_nonnull(h);
        return h;
}

/* ---- uses and events ------------------------------------------------------------------------------ */

START_TEST(test_note_use) {
        struct history *h = new_history(NULL);

        ck_assert_int_eq(history_note_use(h, ID_A, T0), 1);
        ck_assert_int_eq(history_note_use(h, ID_A, T0 - SEC), 0);   /* older: ignored */
        ck_assert_int_eq(history_note_use(h, ID_A, T0), 0);         /* same: no change */
        ck_assert_int_eq(history_note_use(h, HEX_A, T0 + SEC), 1);  /* bare hex is the same id */
        ck_assert_int_eq(history_last_used(h, ID_A, NULL), T0 + SEC);
        ck_assert_int_eq(history_last_used(h, HEX_A, NULL), T0 + SEC);
        ck_assert_int_eq(history_last_used(h, ID_B, NULL), 0);
        ck_assert_uint_eq(history_size(h), 1);
        ck_assert(history_dirty(h));

        static const struct {
                const char *name;
                int64_t ns;
        } invalid[] = {
                { "", T0 }, { "a b", T0 }, { "a\tb", T0 }, { "a\nb", T0 }, { "a\x7f", T0 },
                { "bb:1", 0 }, { "bb:1", -5 },
        };
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                ck_assert_int_eq(history_note_use(h, invalid[i].name, invalid[i].ns), -EINVAL);
        ck_assert_int_eq(history_note_use(h, NULL, T0), -EINVAL);
        char longname[600];
        memset(longname, 'x', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        ck_assert_int_eq(history_note_use(h, longname, T0), -EINVAL);
        longname[512] = 0;
        ck_assert_int_eq(history_note_use(h, longname, T0), 1);
        ck_assert_uint_eq(history_size(h), 2);
        history_free(h);
        history_free(NULL);
}
END_TEST

START_TEST(test_note_event_table) {
        static const struct {
                char *type, *action, *actor, *image;
                char *expected_key; /* NULL = not a use */
        } table[] = {
                { "container", "create", "c1", "bb:1", "bb:1" },
                { "container", "start", "c1", ID_A, ID_A },
                { "container", "die", "c1", "bb:2", "bb:2" },
                { "container", "commit", "c1", "bb:3", "bb:3" },
                { "container", "destroy", "c1", "bb:4", NULL },
                { "container", "stop", "c1", "bb:4", NULL },
                { "container", "exec_start: sh", "c1", "bb:4", NULL },
                { "container", "create", "c1", NULL, NULL },     /* no image attribute */
                { "container", "create", "c1", "", NULL },
                { "image", "pull", "busybox:latest", NULL, "busybox:latest" }, /* Docker: Actor.ID is the reference */
                { "image", "tag", ID_B, "ignored", ID_B },
                { "image", "load", ID_C, NULL, ID_C },
                { "image", "import", HEX_A, NULL, ID_A },
                { "image", "build", "podman-built", NULL, "podman-built" },
                { "image", "commit", "committed", NULL, "committed" },
                { "image", "create", ID_C, NULL, ID_C },         /* API 1.46+: every image a build makes */
                { "image", "push", "pushed:1", NULL, NULL },
                { "image", "untag", ID_B, NULL, NULL },
                { "image", "delete", ID_B, NULL, NULL },
                { "image", "save", ID_B, NULL, NULL },
                { "network", "create", "n1", "bb:5", NULL },
                { "volume", "mount", "v1", "bb:5", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct history *h = new_history(NULL);
                int r = history_note_event(h, table[i].type, table[i].action, table[i].actor, table[i].image, T0);
                ck_assert_msg(r == (table[i].expected_key ? 1 : 0), "row %zu: %d", i, r);
                ck_assert_uint_eq(history_size(h), table[i].expected_key ? 1 : 0);
                if (table[i].expected_key) {
                        int64_t t;
                        if (strncmp(table[i].expected_key, "sha256:", 7) == 0)
                                t = history_last_used(h, table[i].expected_key, NULL);
                        else {
                                char *named[] = { table[i].expected_key, NULL };
                                t = history_last_used(h, NULL, named);
                        }
                        ck_assert_msg(t == T0, "row %zu", i);
                }
                history_free(h);
        }

        struct history *h = new_history(NULL);
        ck_assert_int_eq(history_note_event(h, NULL, "create", "x", "bb:1", T0), 0);
        ck_assert_int_eq(history_note_event(h, "container", "create", "x", "bb:1", 0), -EINVAL);
        ck_assert_int_eq(history_note_event(NULL, "container", "create", "x", "bb:1", T0), -EINVAL);
        history_free(h);
}
END_TEST

START_TEST(test_name_matching) {
        static const struct {
                const char *name;
                bool matches;
        } table[] = {
                { "bb:1", true },
                { "bb", false },                              /* = bb:latest */
                { "docker.io/library/bb:1", true },
                { "library/bb:1", true },
                { "index.docker.io/library/bb:1", true },
                { "registry:5000/team/app", true },           /* no tag = latest; the port is not a tag */
                { "registry:5000/team/app:latest", true },
                { "registry:5000/team/app:2", false },
                { "docker.io/team/app:latest", false },
                { "aaaa0000", true },                          /* short id */
                { "sha256:aaaa0000", true },
                { "aaa", false },                              /* too short to count as an id */
                { "aaab", false },
                { "bb:10", false },
        };
        char *tags[] = { "bb:1", "registry:5000/team/app:latest", NULL };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct history *h = new_history(NULL);
                ck_assert_int_eq(history_note_use(h, table[i].name, T0), 1);
                ck_assert_msg((history_last_used(h, ID_A, tags) == T0) == table[i].matches, "%s", table[i].name);
                history_free(h);
        }

        /* Podman lists fully qualified tags; events name the familiar form, and the other way round. */
        struct history *h = new_history(NULL);
        ck_assert_int_eq(history_note_use(h, "busybox", T0), 1);
        char *podman_tags[] = { "docker.io/library/busybox:latest", NULL };
        ck_assert_int_eq(history_last_used(h, ID_B, podman_tags), T0);
        history_free(h);

        /* A short id matching two images counts for both (conservative). */
        h = new_history(NULL);
        ck_assert_int_eq(history_note_use(h, "sha256:a", T0), 1); /* 1 digit: only a name */
        ck_assert_int_eq(history_note_use(h, "aaaa", T0 + SEC), 1);
        ck_assert_int_eq(history_last_used(h, ID_A, NULL), T0 + SEC);
        ck_assert_int_eq(history_last_used(h, ID_A2, NULL), T0 + SEC);
        ck_assert_int_eq(history_last_used(h, ID_AB, NULL), 0);
        ck_assert_int_eq(history_note_use(h, "ab00", T0 + 2 * SEC), 1);
        ck_assert_int_eq(history_last_used(h, ID_AB, NULL), T0 + 2 * SEC);
        history_free(h);
}
END_TEST

/* ---- seeding, resolution, pruning ------------------------------------------------------------------ */

START_TEST(test_seed_rules) {
        struct history *h = new_history(NULL);
        char *ta[] = { "a:1", NULL }, *tb[] = { "b:1", NULL };
        struct policy_image im[] = {
                /* Created only */
                { .id = ID_A, .tags = ta, .created_ns = T0 - 100 * SEC },
                /* LastTagTime after Created (pulled later than built) */
                { .id = ID_B, .tags = tb, .created_ns = T0 - 900 * SEC, .last_tag_time_ns = T0 - 50 * SEC },
                /* used by containers: an exited one (FinishedAt) and a running one (now) */
                { .id = ID_C, .created_ns = T0 - 900 * SEC },
                /* used by a created-only container (its Created) */
                { .id = ID_AB, .created_ns = T0 - 900 * SEC },
        };
        struct policy_container k[] = {
                { .id = "k1", .image_id = ID_C, .state = ENGINE_CONTAINER_EXITED, .created_ns = T0 - 800 * SEC,
                  .finished_at_ns = T0 - 700 * SEC },
                { .id = "k2", .image_id = ID_AB, .state = ENGINE_CONTAINER_CREATED, .created_ns = T0 - 600 * SEC },
                { .id = "k3", .image_id = "sha256:not-listed", .state = ENGINE_CONTAINER_RUNNING },
        };
        struct policy_snapshot s = { .now_ns = T0, .containers = k, .n_containers = ELEMENTSOF(k), .images = im,
                                     .n_images = ELEMENTSOF(im) };

        ck_assert_int_eq(history_seed(h, &s, T0), 0);
        ck_assert_int_eq(history_last_used(h, ID_A, NULL), T0 - 100 * SEC);
        ck_assert_int_eq(history_last_used(h, ID_B, NULL), T0 - 50 * SEC);
        ck_assert_int_eq(history_last_used(h, ID_C, NULL), T0 - 700 * SEC);
        ck_assert_int_eq(history_last_used(h, ID_AB, NULL), T0 - 600 * SEC);
        ck_assert_uint_eq(history_size(h), 4);

        /* A running container: the image is in use now. */
        k[0].state = ENGINE_CONTAINER_RUNNING;
        ck_assert_int_eq(history_seed(h, &s, T0 + 10 * SEC), 0);
        ck_assert_int_eq(history_last_used(h, ID_C, NULL), T0 + 10 * SEC);

        /* Seeding never lowers a known use. */
        ck_assert_int_eq(history_note_use(h, ID_A, T0 + 99 * SEC), 1);
        ck_assert_int_eq(history_seed(h, &s, T0 + 10 * SEC), 0);
        ck_assert_int_eq(history_last_used(h, ID_A, NULL), T0 + 99 * SEC);

        /* fill_snapshot writes what the planner reads. */
        history_fill_snapshot(h, im, ELEMENTSOF(im));
        ck_assert_int_eq(im[0].last_used_ns, T0 + 99 * SEC);
        ck_assert_int_eq(im[1].last_used_ns, T0 - 50 * SEC);
        ck_assert_int_eq(im[2].last_used_ns, T0 + 10 * SEC);
        history_free(h);
}
END_TEST

START_TEST(test_seed_resolves_names) {
        struct history *h = new_history(NULL);
        char *tags_a[] = { "app:1", NULL }, *digests_b[] = { "base@sha256:1234", NULL };
        struct policy_image im[] = {
                { .id = ID_A, .tags = tags_a, .created_ns = 1 },
                { .id = ID_B, .digests = digests_b, .created_ns = 1 },
        };
        struct policy_snapshot s = { .now_ns = T0, .images = im, .n_images = ELEMENTSOF(im) };

        ck_assert_int_eq(history_note_use(h, "app:1", T0 - 30 * SEC), 1);
        ck_assert_int_eq(history_note_use(h, "docker.io/library/base@sha256:1234", T0 - 20 * SEC), 1);
        ck_assert_int_eq(history_note_use(h, "unknown:1", T0 - 10 * SEC), 1);

        /* Before resolution the digest use is found through fill_snapshot (digests), the tag use both ways. */
        history_fill_snapshot(h, im, ELEMENTSOF(im));
        ck_assert_int_eq(im[0].last_used_ns, T0 - 30 * SEC);
        ck_assert_int_eq(im[1].last_used_ns, T0 - 20 * SEC);

        ck_assert_int_eq(history_seed(h, &s, T0), 0);
        ck_assert_int_eq(history_last_used(h, ID_A, NULL), T0 - 30 * SEC); /* now under the id */
        ck_assert_int_eq(history_last_used(h, ID_B, NULL), T0 - 20 * SEC);
        ck_assert_uint_eq(history_size(h), 3); /* two ids + the unresolved name */

        /* app:1 moves to another image: the old use stays with the image it named then. */
        tags_a[0] = "app:old";
        char *tags_c[] = { "app:1", NULL };
        struct policy_image im2[] = { im[0], im[1], { .id = ID_C, .tags = tags_c, .created_ns = 1 } };
        s.images = im2;
        s.n_images = ELEMENTSOF(im2);
        ck_assert_int_eq(history_seed(h, &s, T0 + SEC), 0);
        ck_assert_int_eq(history_last_used(h, ID_A, NULL), T0 - 30 * SEC);
        ck_assert_int_eq(history_last_used(h, ID_C, tags_c), 1); /* only its Created */
        history_free(h);
}
END_TEST

START_TEST(test_prune_on_save) {
        struct history *h = new_history(scratch);
        ck_assert_int_eq(history_note_use(h, ID_A, T0 - 100 * SEC), 1);
        ck_assert_int_eq(history_note_use(h, ID_B, T0 - 100 * SEC), 1);
        ck_assert_int_eq(history_note_use(h, "gone:1", T0 - 100 * SEC), 1);

        /* Without a seed nothing is known to be gone: everything is kept. */
        ck_assert_int_eq(history_save(h), 0);
        ck_assert_uint_eq(history_size(h), 3);

        /* Listing at T0 has only A. B and gone:1 were noted before: forgotten. C noted after: kept (pulled
         * after the listing). late:1 noted after: kept. */
        struct policy_image im[] = { { .id = ID_A, .created_ns = 1 } };
        struct policy_snapshot s = { .now_ns = T0, .images = im, .n_images = 1 };
        ck_assert_int_eq(history_seed(h, &s, T0), 0);
        ck_assert_int_eq(history_note_use(h, ID_C, T0 + SEC), 1);
        ck_assert_int_eq(history_note_use(h, "late:1", T0), 1);
        ck_assert_int_eq(history_save(h), 0);
        ck_assert_uint_eq(history_size(h), 3);
        ck_assert_int_eq(history_last_used(h, ID_A, NULL), T0 - 100 * SEC);
        ck_assert_int_eq(history_last_used(h, ID_B, NULL), 0);
        ck_assert_int_eq(history_last_used(h, ID_C, NULL), T0 + SEC);
        char *late[] = { "late:1", NULL }, *gone[] = { "gone:1", NULL };
        ck_assert_int_eq(history_last_used(h, NULL, late), T0);
        ck_assert_int_eq(history_last_used(h, NULL, gone), 0);

        /* And the file says the same. */
        struct history *l = NULL;
        ck_assert_int_eq(history_load(scratch, &l), 0);
        ck_assert_uint_eq(history_size(l), 3);
        ck_assert_int_eq(history_last_used(l, ID_B, NULL), 0);
        ck_assert_int_eq(history_last_used(l, ID_C, NULL), T0 + SEC);
        history_free(l);
        history_free(h);
}
END_TEST

/* ---- the file ----------------------------------------------------------------------------------------- */

START_TEST(test_round_trip) {
        struct history *h = new_history(scratch), *l = NULL;
        ck_assert_int_eq(history_load(scratch, &l), -ENOENT);
        ck_assert_ptr_null(l);

        ck_assert_int_eq(history_note_use(h, ID_B, T0 + 2), 1);
        ck_assert_int_eq(history_note_use(h, ID_A, T0 + 1), 1);
        ck_assert_int_eq(history_note_use(h, "registry:5000/x/y:z", INT64_MAX), 1);
        ck_assert_int_eq(history_note_use(h, "bb:1", 1), 1);
        ck_assert_int_eq(history_save(h), 0);
        ck_assert(!history_dirty(h));

        const char *text = read_text(state_path(HISTORY_FILE_NAME));
        ck_assert_ptr_nonnull(text);
        ck_assert_str_eq(text, HISTORY_HEADER "\n" ID_A " 1800000000000000001\n" ID_B " 1800000000000000002\n"
                               "bb:1 1\nregistry:5000/x/y:z 9223372036854775807\n");
        ck_assert_int_ne(access(state_path(HISTORY_FILE_NAME ".tmp"), F_OK), 0);

        ck_assert_int_eq(history_load(scratch, &l), 0);
        ck_assert_uint_eq(history_size(l), 4);
        ck_assert(!history_dirty(l));
        ck_assert_int_eq(history_last_used(l, ID_A, NULL), T0 + 1);
        ck_assert_int_eq(history_last_used(l, ID_B, NULL), T0 + 2);
        char *t1[] = { "bb:1", NULL }, *t2[] = { "registry:5000/x/y:z", NULL };
        ck_assert_int_eq(history_last_used(l, NULL, t1), 1);
        ck_assert_int_eq(history_last_used(l, NULL, t2), INT64_MAX);

        /* The loaded history saves where it was loaded from. */
        ck_assert_int_eq(history_note_use(l, ID_C, T0), 1);
        ck_assert_int_eq(history_save(l), 0);
        history_free(l);
        l = NULL;
        ck_assert_int_eq(history_load(scratch, &l), 0);
        ck_assert_uint_eq(history_size(l), 5);
        history_free(l);

        /* Unchanged: not rewritten (an edit made in between survives). */
        write_text(state_path(HISTORY_FILE_NAME), HISTORY_HEADER "\n", strlen(HISTORY_HEADER) + 1);
        ck_assert_int_eq(history_save(h), 0);
        ck_assert_str_eq(read_text(state_path(HISTORY_FILE_NAME)), HISTORY_HEADER "\n");
        history_free(h);

        /* Duplicate keys in a file: the later use wins. */
        char dup[512];
        int n = snprintf(dup, sizeof(dup), HISTORY_HEADER "\n%s 5\n%s 7\n%s 6\n", ID_A, ID_A, ID_A);
        write_text(state_path(HISTORY_FILE_NAME), dup, (size_t) n);
        ck_assert_int_eq(history_load(scratch, &l), 0);
        ck_assert_int_eq(history_last_used(l, ID_A, NULL), 7);
        history_free(l);
}
END_TEST

START_TEST(test_atomic_replace) {
        /* A file at the old temporary name (a crash of an older version, or planted): it is ignored, and
         * neither adopted nor removed by the next save (issue 20). */
        struct history *h = new_history(scratch), *l = NULL;
        ck_assert_int_eq(history_note_use(h, ID_A, T0), 1);
        ck_assert_int_eq(history_save(h), 0);
        write_text(state_path(HISTORY_FILE_NAME ".tmp"), "dockerclean-history 1\nsha256:trunc", 34);

        ck_assert_int_eq(history_load(scratch, &l), 0);
        ck_assert_uint_eq(history_size(l), 1);
        ck_assert_int_eq(history_last_used(l, ID_A, NULL), T0);
        history_free(l);

        ck_assert_int_eq(history_note_use(h, ID_B, T0), 1);
        ck_assert_int_eq(history_save(h), 0);
        struct stat tmp_st;
        ck_assert_int_eq(stat(state_path(HISTORY_FILE_NAME ".tmp"), &tmp_st), 0);
        ck_assert_int_eq(tmp_st.st_size, 34);
        ck_assert_int_eq(history_load(scratch, &l), 0);
        ck_assert_uint_eq(history_size(l), 2);
        history_free(l);

        /* The new file replaced the old one by rename: a reader holding the old one still sees it whole. */
        FILE *old = fopen(state_path(HISTORY_FILE_NAME), "re");
        ck_assert_ptr_nonnull(old);
        ck_assert_int_eq(history_note_use(h, ID_C, T0), 1);
        ck_assert_int_eq(history_save(h), 0);
        char buf[4096];
        size_t n = fread(buf, 1, sizeof(buf) - 1, old);
        buf[n] = 0;
        fclose(old);
        ck_assert_ptr_null(strstr(buf, ID_C));
        ck_assert_ptr_nonnull(strstr(read_text(state_path(HISTORY_FILE_NAME)), ID_C));
        history_free(h);
}
END_TEST

START_TEST(test_corrupt_files) {
        char longline[1200];
        memset(longline, 'k', sizeof(longline));
        memcpy(longline + sizeof(longline) - 4, " 5\n", 3);
        longline[sizeof(longline) - 1] = 0;
        char long_file[1400];
        snprintf(long_file, sizeof(long_file), HISTORY_HEADER "\n%s", longline);

        static const char nul_file[] = HISTORY_HEADER "\nab\0c 5\n";
        static const struct {
                const char *text;
                size_t len;   /* 0 = strlen */
                unsigned line;
        } table[] = {
                { "", 0, 1 },
                { "garbage\n", 0, 1 },
                { "dockerclean-history 2\n", 0, 1 },
                { HISTORY_HEADER, 0, 1 },                                  /* header without newline */
                { HISTORY_HEADER "\n" ID_A " 123\nbad line\n", 0, 3 },
                { HISTORY_HEADER "\nkey\n", 0, 2 },
                { HISTORY_HEADER "\nkey 12x\n", 0, 2 },
                { HISTORY_HEADER "\nkey -5\n", 0, 2 },
                { HISTORY_HEADER "\nkey +5\n", 0, 2 },
                { HISTORY_HEADER "\nkey 0\n", 0, 2 },
                { HISTORY_HEADER "\nkey 99999999999999999999\n", 0, 2 },
                { HISTORY_HEADER "\nkey 9223372036854775808\n", 0, 2 },    /* INT64_MAX + 1 */
                { HISTORY_HEADER "\nkey  5\n", 0, 2 },
                { HISTORY_HEADER "\nkey 5 6\n", 0, 2 },
                { HISTORY_HEADER "\n 5\n", 0, 2 },
                { HISTORY_HEADER "\n\n", 0, 2 },
                { HISTORY_HEADER "\nkey 5", 0, 2 },                        /* torn: no final newline */
                { HISTORY_HEADER "\nkey 55", 0, 2 },                       /* torn, though "key 5" would parse */
                { HISTORY_HEADER "\na\001b 5\n", 0, 2 },
                { HISTORY_HEADER "\nkey 5\r\n", 0, 2 },
                { HISTORY_HEADER "\nk 1\nk 2\nk 3\nk 4\nk 5\nk 6\n7\n", 0, 8 },
                { HISTORY_HEADER "\nstore \n", 0, 2 },                    /* a store without a name */
                { HISTORY_HEADER "\n" ID_A " 5\nstore containerd\n", 0, 3 }, /* only on line 2 */
                { nul_file, sizeof(nul_file) - 1, 2 },
        };
        for (size_t i = 0; i < ELEMENTSOF(table) + 1; i++) {
                const char *text = i < ELEMENTSOF(table) ? table[i].text : long_file;
                size_t len = i < ELEMENTSOF(table) && table[i].len ? table[i].len : strlen(text);
                unsigned expected_line = i < ELEMENTSOF(table) ? table[i].line : 2;
                write_text(state_path(HISTORY_FILE_NAME), text, len);
                struct history *h = NULL;
                unsigned line = 0;
                int r = history_load_full(scratch, &h, &line);
                ck_assert_msg(r == -EBADMSG, "row %zu: %d", i, r);
                ck_assert_ptr_null(h);
                ck_assert_msg(line == expected_line, "row %zu: line %u, expected %u", i, line, expected_line);
                ck_assert_int_eq(history_load(scratch, &h), -EBADMSG);
        }

        /* Not a regular file. */
        ck_assert_int_eq(unlink(state_path(HISTORY_FILE_NAME)), 0);
        ck_assert_int_eq(mkdir(state_path(HISTORY_FILE_NAME), 0755), 0);
        struct history *h = NULL;
        ck_assert_int_eq(history_load(scratch, &h), -EPERM);
        ck_assert_int_eq(rmdir(state_path(HISTORY_FILE_NAME)), 0);
        /* A FIFO is not waited on (it would block the start), a link is not followed. */
        ck_assert_int_eq(mkfifo(state_path(HISTORY_FILE_NAME), 0644), 0);
        ck_assert_int_eq(history_load(scratch, &h), -EPERM);
        ck_assert_int_eq(unlink(state_path(HISTORY_FILE_NAME)), 0);
        ck_assert_int_eq(symlink("/etc/passwd", state_path(HISTORY_FILE_NAME)), 0);
        ck_assert_int_eq(history_load(scratch, &h), -ELOOP);
        ck_assert_int_eq(unlink(state_path(HISTORY_FILE_NAME)), 0);

        /* After a corrupt file the daemon starts afresh; the first save replaces it. */
        write_text(state_path(HISTORY_FILE_NAME), "garbage\n", 8);
        h = new_history(scratch);
        ck_assert_int_eq(history_note_use(h, ID_A, T0), 1);
        ck_assert_int_eq(history_save(h), 0);
        history_free(h);
        h = NULL;
        ck_assert_int_eq(history_load(scratch, &h), 0);
        ck_assert_uint_eq(history_size(h), 1);
        history_free(h);
}
END_TEST

START_TEST(test_save_edge_cases) {
        /* Memory only: nothing written, no error. */
        struct history *h = new_history(NULL);
        ck_assert_int_eq(history_note_use(h, ID_A, T0), 1);
        ck_assert_int_eq(history_save(h), 0);
        history_free(h);
        DIR *d = opendir(scratch);
        ck_assert_ptr_nonnull(d);
        struct dirent *de;
        size_t entries = 0;
        while ((de = readdir(d)))
                entries += de->d_name[0] != '.';
        closedir(d);
        ck_assert_uint_eq(entries, 0);

        /* A missing state directory (one level) is created. */
        char sub[512];
        snprintf(sub, sizeof(sub), "%s/state", scratch);
        h = new_history(sub);
        ck_assert_int_eq(history_note_use(h, ID_A, T0), 1);
        ck_assert_int_eq(history_save(h), 0);
        history_free(h);
        struct history *l = NULL;
        ck_assert_int_eq(history_load(sub, &l), 0);
        ck_assert_int_eq(history_last_used(l, ID_A, NULL), T0);
        history_free(l);

        /* An impossible directory: an error, and the history stays dirty for the next try. */
        write_text(state_path("file"), "x", 1);
        char bad[512];
        snprintf(bad, sizeof(bad), "%s/file/state", scratch);
        h = new_history(bad);
        ck_assert_int_eq(history_note_use(h, ID_A, T0), 1);
        ck_assert_int_lt(history_save(h), 0);
        ck_assert(history_dirty(h));
        history_free(h);

        ck_assert_int_eq(history_new("x", NULL), -EINVAL);
        ck_assert_int_eq(history_load("", &l), -EINVAL);
        ck_assert_int_eq(history_save(NULL), -EINVAL);
}
END_TEST

/* The image store the ids belong to survives a save and a load; older files have none. */
START_TEST(test_store) {
        struct history *h = new_history(scratch);
        ck_assert_str_eq(history_store(h), "");
        ck_assert_int_eq(history_set_store(h, "containerd"), 1);
        ck_assert_int_eq(history_set_store(h, "containerd"), 0);
        ck_assert_int_eq(history_set_store(h, ""), -EINVAL);
        ck_assert_int_eq(history_set_store(h, "a b"), -EINVAL);
        ck_assert_int_eq(history_note_use(h, ID_A, T0), 1);
        ck_assert_int_eq(history_save(h), 0);
        history_free(h);
        char expected[256];
        snprintf(expected, sizeof expected, HISTORY_HEADER "\nstore containerd\n%s %" PRIi64 "\n", ID_A, T0);
        ck_assert_str_eq(read_text(state_path(HISTORY_FILE_NAME)), expected);
        struct history *l = NULL;
        ck_assert_int_eq(history_load(scratch, &l), 0);
        ck_assert_str_eq(history_store(l), "containerd");
        ck_assert_uint_eq(history_size(l), 1);
        history_free(l);
        write_text(state_path(HISTORY_FILE_NAME), HISTORY_HEADER "\n", strlen(HISTORY_HEADER) + 1);
        ck_assert_int_eq(history_load(scratch, &l), 0);
        ck_assert_str_eq(history_store(l), "");
        history_free(l);
}
END_TEST

static Suite *history_suite(void) {
        Suite *s = suite_create("history");
        TCase *tc = tcase_create("memory");
        tcase_add_test(tc, test_note_use);
        tcase_add_test(tc, test_note_event_table);
        tcase_add_test(tc, test_name_matching);
        tcase_add_test(tc, test_seed_rules);
        tcase_add_test(tc, test_seed_resolves_names);
        suite_add_tcase(s, tc);

        TCase *files = tcase_create("files");
        tcase_add_checked_fixture(files, scratch_setup, scratch_teardown);
        tcase_add_test(files, test_prune_on_save);
        tcase_add_test(files, test_round_trip);
        tcase_add_test(files, test_atomic_replace);
        tcase_add_test(files, test_corrupt_files);
        tcase_add_test(files, test_save_edge_cases);
        tcase_add_test(files, test_store);
        suite_add_tcase(s, files);
        return s;
}


int main(void) {
        int failed = dctest_run(history_suite());
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
