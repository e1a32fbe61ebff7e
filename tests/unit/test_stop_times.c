/* test_stop_times.c: the containers' stop times (lib/stop-times.c): noting, forgetting, events, the
 * snapshot's forgetting, and the state file (round trip, caps, corrupt files, the judged directory, and
 * the one-time migration from the usage history's "@" lines). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dctest.h"
#include "history.h"
#include "macro.h"
#include "stop-times.h"

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1800000000) * SEC)

#define ID_A "sha256:aaaa000000000000000000000000000000000000000000000000000000000001"
#define CT_1 "c100000000000000000000000000000000000000000000000000000000000001"
#define CT_2 "c200000000000000000000000000000000000000000000000000000000000002"
#define CT_3 "c300000000000000000000000000000000000000000000000000000000000003"

static char scratch[256];

static void scratch_setup(void) {
        snprintf(scratch, sizeof(scratch), "/tmp/dc-test-stop-times-XXXXXX");
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

static struct stop_times *new_store(const char *dir) {
        struct stop_times *st = NULL;
        ck_assert_int_eq(stop_times_new(dir, &st), 0);
        ck_assert_ptr_nonnull(st);
        return st;
}

/* ---- memory ------------------------------------------------------------------------------------- */

START_TEST(test_note_and_forget) {
        struct stop_times *st = new_store(NULL);
        int64_t t = -1, size = -2;

        ck_assert_int_eq(stop_times_get(st, CT_1, &t, &size), 0);
        ck_assert_int_eq(t, -1); /* untouched when unknown */
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, -1), 1);
        ck_assert(stop_times_dirty(st));
        ck_assert_int_eq(stop_times_get(st, CT_1, &t, &size), 1);
        ck_assert_int_eq(t, T0);
        ck_assert_int_eq(size, -1);
        /* The same stop: only a size is news. An earlier one: ignored. A later one replaces it, size too. */
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, -1), 0);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, 4096), 1);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, 4096), 0);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0 - SEC, 1), 0);
        ck_assert_int_eq(stop_times_get(st, CT_1, &t, &size), 1);
        ck_assert_int_eq(size, 4096);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0 + SEC, -1), 1);
        ck_assert_int_eq(stop_times_get(st, CT_1, &t, &size), 1);
        ck_assert_int_eq(t, T0 + SEC);
        ck_assert_int_eq(size, -1); /* it ran again: its layer may have changed */
        ck_assert_int_eq(stop_times_note(st, "c1", T0, -1), -EINVAL);
        ck_assert_int_eq(stop_times_note(st, "sha256:" CT_1, T0, -1), -EINVAL);
        ck_assert_int_eq(stop_times_note(st, CT_2, 0, -1), -EINVAL);
        ck_assert_int_eq(stop_times_note(NULL, CT_2, T0, -1), -EINVAL);
        ck_assert_uint_eq(stop_times_size(st), 1);
        ck_assert_int_eq(stop_times_forget(st, CT_3), 0);
        ck_assert_int_eq(stop_times_forget(st, CT_1), 1);
        ck_assert_uint_eq(stop_times_size(st), 0);
        ck_assert_int_eq(stop_times_get(NULL, CT_1, NULL, NULL), 0);
        stop_times_free(st);
}
END_TEST

START_TEST(test_events) {
        struct stop_times *st = new_store(NULL);
        int64_t t;

        /* die and stop note, start, restart, destroy and remove (Podman) forget. */
        ck_assert_int_eq(stop_times_note_event(st, "container", "die", CT_2, T0), 1);
        ck_assert_int_eq(stop_times_get(st, CT_2, &t, NULL), 1);
        ck_assert_int_eq(t, T0);
        ck_assert_int_eq(stop_times_note_event(st, "container", "stop", CT_2, T0 + 5), 1);
        ck_assert_int_eq(stop_times_get(st, CT_2, &t, NULL), 1);
        ck_assert_int_eq(t, T0 + 5);
        static const char *const forgets[] = { "start", "restart", "destroy", "remove" };
        for (size_t i = 0; i < ELEMENTSOF(forgets); i++) {
                ck_assert_int_eq(stop_times_note(st, CT_3, T0, 7), 1);
                ck_assert_int_eq(stop_times_note_event(st, "container", forgets[i], CT_3, T0 + SEC), 1);
                ck_assert_msg(stop_times_get(st, CT_3, NULL, NULL) == 0, "%s", forgets[i]);
        }
        /* Not a container's, not a container id, not a stop: nothing noted. */
        ck_assert_int_eq(stop_times_note_event(st, "image", "die", CT_3, T0), 0);
        ck_assert_int_eq(stop_times_note_event(st, "container", "die", "bb:1", T0), 0);
        ck_assert_int_eq(stop_times_note_event(st, "container", "die", NULL, T0), 0);
        ck_assert_int_eq(stop_times_note_event(st, "container", "create", CT_3, T0), 0);
        ck_assert_int_eq(stop_times_note_event(st, "container", "die", CT_3, 0), 0);
        ck_assert_int_eq(stop_times_note_event(st, NULL, "die", CT_3, T0), 0);
        ck_assert_int_eq(stop_times_get(st, CT_3, NULL, NULL), 0);
        ck_assert_int_eq(stop_times_note_event(NULL, "container", "die", CT_3, T0), -EINVAL);
        ck_assert_uint_eq(stop_times_size(st), 1);
        stop_times_free(st);
}
END_TEST

START_TEST(test_forget_unlisted) {
        struct stop_times *st = new_store(NULL);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, -1), 1);
        ck_assert_int_eq(stop_times_note(st, CT_2, T0, -1), 1);
        ck_assert_int_eq(stop_times_note(st, CT_3, T0, -1), 1);
        struct policy_container k[] = {
                { .id = CT_2, .image_id = ID_A, .state = ENGINE_CONTAINER_EXITED },
                { .id = NULL, .image_id = ID_A, .state = ENGINE_CONTAINER_EXITED },
        };
        struct policy_snapshot snap = { .now_ns = T0, .containers = k, .n_containers = ELEMENTSOF(k) };
        ck_assert_int_eq(stop_times_forget_unlisted(st, &snap), 0);
        ck_assert_int_eq(stop_times_get(st, CT_1, NULL, NULL), 0);
        ck_assert_int_eq(stop_times_get(st, CT_2, NULL, NULL), 1);
        ck_assert_int_eq(stop_times_get(st, CT_3, NULL, NULL), 0);
        ck_assert_int_eq(stop_times_forget_unlisted(NULL, &snap), -EINVAL);
        /* An empty listing: every container is gone. */
        struct policy_snapshot empty = { .now_ns = T0 };
        ck_assert_int_eq(stop_times_forget_unlisted(st, &empty), 0);
        ck_assert_uint_eq(stop_times_size(st), 0);
        stop_times_free(st);
}
END_TEST

/* ---- files -------------------------------------------------------------------------------------- */

START_TEST(test_round_trip) {
        struct stop_times *st = new_store(scratch), *l = NULL;
        int64_t t, size;
        ck_assert_int_eq(stop_times_note(st, CT_2, T0 + 2, 123456), 1);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0 + 1, -1), 1);
        ck_assert_int_eq(stop_times_save(st, NULL, 0), 0);
        ck_assert(!stop_times_dirty(st));
        ck_assert_str_eq(read_text(state_path(STOP_TIMES_FILE_NAME)),
                         STOP_TIMES_HEADER "\n" CT_1 " 1800000000000000001\n" CT_2 " 1800000000000000002 123456\n");
        /* Not written into the usage history's file. */
        ck_assert_ptr_null(read_text(state_path(HISTORY_FILE_NAME)));
        ck_assert_int_eq(stop_times_load(scratch, &l, NULL), 0);
        ck_assert_uint_eq(stop_times_size(l), 2);
        ck_assert_int_eq(stop_times_get(l, CT_1, &t, &size), 1);
        ck_assert_int_eq(t, T0 + 1);
        ck_assert_int_eq(size, -1);
        ck_assert_int_eq(stop_times_get(l, CT_2, &t, &size), 1);
        ck_assert_int_eq(t, T0 + 2);
        ck_assert_int_eq(size, 123456);
        ck_assert(!stop_times_dirty(l));
        /* Unchanged: not written again. */
        ck_assert_int_eq(unlink(state_path(STOP_TIMES_FILE_NAME)), 0);
        ck_assert_int_eq(stop_times_save(l, NULL, 0), 0);
        ck_assert_ptr_null(read_text(state_path(STOP_TIMES_FILE_NAME)));
        stop_times_free(l);
        stop_times_free(st);

        /* Memory only: nothing written, no error. An empty store is a header alone. */
        st = new_store(NULL);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, -1), 1);
        ck_assert_int_eq(stop_times_save(st, NULL, 0), 0);
        ck_assert_ptr_null(read_text(state_path(STOP_TIMES_FILE_NAME)));
        stop_times_free(st);
        st = new_store(scratch);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, -1), 1);
        ck_assert_int_eq(stop_times_forget(st, CT_1), 1);
        ck_assert_int_eq(stop_times_save(st, NULL, 0), 0);
        ck_assert_str_eq(read_text(state_path(STOP_TIMES_FILE_NAME)), STOP_TIMES_HEADER "\n");
        stop_times_free(st);
        ck_assert_int_eq(stop_times_load(scratch, &l, NULL), 0);
        ck_assert_uint_eq(stop_times_size(l), 0);
        stop_times_free(l);
        /* Neither file: -ENOENT, *ret untouched. */
        ck_assert_int_eq(unlink(state_path(STOP_TIMES_FILE_NAME)), 0);
        l = NULL;
        ck_assert_int_eq(stop_times_load(scratch, &l, NULL), -ENOENT);
        ck_assert_ptr_null(l);
        ck_assert_int_eq(stop_times_load(NULL, &l, NULL), -EINVAL);
}
END_TEST

START_TEST(test_corrupt_files) {
        static const char nul_file[] = STOP_TIMES_HEADER "\n" CT_1 "\0 5\n";
        static char long_file[2048];
        int n = snprintf(long_file, sizeof(long_file), STOP_TIMES_HEADER "\n%s 5 ", CT_1);
        memset(long_file + n, '1', 1100);
        long_file[n + 1100] = '\n';
        long_file[n + 1101] = 0;
        static const struct {
                const char *text;
                size_t len;
                unsigned line;
        } table[] = {
                { "", 0, 1 },
                { "dockerclean-container-stops 2\n", 0, 1 },
                { HISTORY_HEADER "\n", 0, 1 },                            /* another file's header */
                { STOP_TIMES_HEADER "\nc1 5\n", 0, 2 },                   /* not 64 hex digits */
                { STOP_TIMES_HEADER "\n" CT_1 "0 5\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 "\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 " 0\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 " -5\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 " +5\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 " 5x\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 " 9223372036854775808\n", 0, 2 }, /* INT64_MAX + 1 */
                { STOP_TIMES_HEADER "\n" CT_1 " 5 \n", 0, 2 },            /* sizes */
                { STOP_TIMES_HEADER "\n" CT_1 " 5 -1\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 " 5 1x\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 " 5 1 2\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 "  5\n", 0, 2 },
                { STOP_TIMES_HEADER "\n@" CT_1 " 5\n", 0, 2 },           /* the history's form */
                { STOP_TIMES_HEADER "\nC100000000000000000000000000000000000000000000000000000000000001 5\n", 0, 2 },
                { STOP_TIMES_HEADER "\n" CT_1 " 5\n" CT_2 " 5", 0, 3 },   /* torn: no final newline */
                { STOP_TIMES_HEADER "\n" CT_1 " 5\r\n", 0, 2 },
                { STOP_TIMES_HEADER "\n\n", 0, 2 },
                { nul_file, sizeof(nul_file) - 1, 2 },
        };
        for (size_t i = 0; i < ELEMENTSOF(table) + 1; i++) {
                const char *text = i < ELEMENTSOF(table) ? table[i].text : long_file;
                size_t len = i < ELEMENTSOF(table) && table[i].len ? table[i].len : strlen(text);
                unsigned expected_line = i < ELEMENTSOF(table) ? table[i].line : 2;
                write_text(state_path(STOP_TIMES_FILE_NAME), text, len);
                struct stop_times *st = NULL;
                unsigned line = 0;
                int r = stop_times_load(scratch, &st, &line);
                ck_assert_msg(r == -EBADMSG, "row %zu: %d", i, r);
                ck_assert_ptr_null(st);
                ck_assert_msg(line == expected_line, "row %zu: line %u, expected %u", i, line, expected_line);
        }
        struct stop_times *st = NULL;

        /* Not a regular file; a FIFO is not waited on, a link is not followed. */
        ck_assert_int_eq(unlink(state_path(STOP_TIMES_FILE_NAME)), 0);
        ck_assert_int_eq(mkdir(state_path(STOP_TIMES_FILE_NAME), 0755), 0);
        ck_assert_int_eq(stop_times_load(scratch, &st, NULL), -EPERM);
        ck_assert_int_eq(rmdir(state_path(STOP_TIMES_FILE_NAME)), 0);
        ck_assert_int_eq(mkfifo(state_path(STOP_TIMES_FILE_NAME), 0644), 0);
        ck_assert_int_eq(stop_times_load(scratch, &st, NULL), -EPERM);
        ck_assert_int_eq(unlink(state_path(STOP_TIMES_FILE_NAME)), 0);
        ck_assert_int_eq(symlink("/etc/passwd", state_path(STOP_TIMES_FILE_NAME)), 0);
        ck_assert_int_eq(stop_times_load(scratch, &st, NULL), -ELOOP);
        ck_assert_int_eq(unlink(state_path(STOP_TIMES_FILE_NAME)), 0);
        /* Over 64 MiB (sparse: only the size counts). */
        write_text(state_path(STOP_TIMES_FILE_NAME), STOP_TIMES_HEADER "\n", strlen(STOP_TIMES_HEADER) + 1);
        ck_assert_int_eq(truncate(state_path(STOP_TIMES_FILE_NAME), (off_t) 64 * 1024 * 1024 + 1), 0);
        ck_assert_int_eq(stop_times_load(scratch, &st, NULL), -EFBIG);
        ck_assert_ptr_null(st);

        /* After a corrupt file the daemon starts afresh; the first save replaces it. */
        write_text(state_path(STOP_TIMES_FILE_NAME), "garbage\n", 8);
        st = new_store(scratch);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, -1), 1);
        ck_assert_int_eq(stop_times_save(st, NULL, 0), 0);
        stop_times_free(st);
        st = NULL;
        ck_assert_int_eq(stop_times_load(scratch, &st, NULL), 0);
        ck_assert_uint_eq(stop_times_size(st), 1);
        stop_times_free(st);
}
END_TEST

/* The state directory is judged as the history's is: one others can change is not written in. */
START_TEST(test_refused_directory) {
        char dir[512], why[256];
        snprintf(dir, sizeof(dir), "%s/open", scratch);
        ck_assert_int_eq(mkdir(dir, 0777), 0);
        ck_assert_int_eq(chmod(dir, 0777), 0); /* not sticky, writable by all */
        struct stop_times *st = new_store(dir);
        ck_assert_int_eq(stop_times_note(st, CT_1, T0, -1), 1);
        ck_assert_int_eq(stop_times_save(st, why, sizeof(why)), -EPERM);
        ck_assert_str_ne(why, "");
        ck_assert(stop_times_dirty(st)); /* for the next try */
        stop_times_free(st);
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, STOP_TIMES_FILE_NAME);
        ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* An older daemon's history: the "@" lines become container-stops once; the history drops them. */
START_TEST(test_migration) {
        static const char old[] = HISTORY_HEADER "\nstore graphdriver\n" ID_A " 1800000000000000000\n@" CT_1
                                                 " 1800000000000000001\n@" CT_2 "/123456 1800000000000000002\n";
        write_text(state_path(HISTORY_FILE_NAME), old, strlen(old));
        struct stop_times *st = NULL;
        int64_t t, size;
        ck_assert_int_eq(stop_times_load(scratch, &st, NULL), 0);
        ck_assert_uint_eq(stop_times_size(st), 2);
        ck_assert_int_eq(stop_times_get(st, CT_1, &t, &size), 1);
        ck_assert_int_eq(t, T0 + 1);
        ck_assert_int_eq(size, -1);
        ck_assert_int_eq(stop_times_get(st, CT_2, &t, &size), 1);
        ck_assert_int_eq(t, T0 + 2);
        ck_assert_int_eq(size, 123456);
        ck_assert(stop_times_dirty(st)); /* container-stops is still to be written */
        ck_assert_int_eq(stop_times_save(st, NULL, 0), 0);
        stop_times_free(st);
        ck_assert_str_eq(read_text(state_path(STOP_TIMES_FILE_NAME)),
                         STOP_TIMES_HEADER "\n" CT_1 " 1800000000000000001\n" CT_2 " 1800000000000000002 123456\n");

        /* The history keeps its own lines and is written without the others. */
        struct history *h = NULL;
        ck_assert_int_eq(history_load(scratch, &h), 0);
        ck_assert_uint_eq(history_size(h), 1);
        ck_assert_str_eq(history_store(h), "graphdriver");
        ck_assert_int_eq(history_last_used(h, ID_A, NULL), T0);
        ck_assert(history_dirty(h));
        ck_assert_int_eq(history_save(h), 0);
        history_free(h);
        ck_assert_str_eq(read_text(state_path(HISTORY_FILE_NAME)),
                         HISTORY_HEADER "\nstore graphdriver\n" ID_A " 1800000000000000000\n");
        h = NULL;
        ck_assert_int_eq(history_load(scratch, &h), 0);
        ck_assert(!history_dirty(h));
        history_free(h);

        /* Read once: with container-stops there, the history's lines are not read again. */
        write_text(state_path(HISTORY_FILE_NAME), old, strlen(old));
        write_text(state_path(STOP_TIMES_FILE_NAME), STOP_TIMES_HEADER "\n", strlen(STOP_TIMES_HEADER) + 1);
        st = NULL;
        ck_assert_int_eq(stop_times_load(scratch, &st, NULL), 0);
        ck_assert_uint_eq(stop_times_size(st), 0);
        ck_assert(!stop_times_dirty(st));
        stop_times_free(st);

        /* An old history without stop times, or one that cannot be trusted: nothing to take (the history's
         * own load says what is wrong with it). */
        ck_assert_int_eq(unlink(state_path(STOP_TIMES_FILE_NAME)), 0);
        static const char *const none[] = {
                HISTORY_HEADER "\n" ID_A " 1800000000000000000\n",
                "garbage\n@" CT_1 " 5\n",
                HISTORY_HEADER "\n@" CT_1 " 5\n@c1 5\n",
                HISTORY_HEADER "\n@" CT_1 "/x 5\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(none); i++) {
                write_text(state_path(HISTORY_FILE_NAME), none[i], strlen(none[i]));
                st = NULL;
                ck_assert_msg(stop_times_load(scratch, &st, NULL) == -ENOENT, "row %zu", i);
                ck_assert_ptr_null(st);
        }
        ck_assert_int_eq(unlink(state_path(HISTORY_FILE_NAME)), 0);
        ck_assert_int_eq(symlink("/etc/passwd", state_path(HISTORY_FILE_NAME)), 0);
        ck_assert_int_eq(stop_times_load(scratch, &st, NULL), -ENOENT);
}
END_TEST

static Suite *stop_times_suite(void) {
        Suite *s = suite_create("stop_times");
        TCase *tc = tcase_create("memory");
        tcase_add_test(tc, test_note_and_forget);
        tcase_add_test(tc, test_events);
        tcase_add_test(tc, test_forget_unlisted);
        suite_add_tcase(s, tc);

        TCase *files = tcase_create("files");
        tcase_add_checked_fixture(files, scratch_setup, scratch_teardown);
        tcase_add_test(files, test_round_trip);
        tcase_add_test(files, test_corrupt_files);
        tcase_add_test(files, test_refused_directory);
        tcase_add_test(files, test_migration);
        suite_add_tcase(s, files);
        return s;
}

int main(void) {
        int failed = dctest_run(stop_times_suite());
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
