/* metrics: the textfile parses as Prometheus text and is replaced atomically. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "dctest.h"

static struct config_disk disk = { .high_watermark = 85, .low_watermark = 75, .min_free = 10, .target_free = 20,
                                   .inode_high_watermark = 95, .inode_low_watermark = 90 };

static char *format(const struct metrics_sample *m) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(metrics_format(m, f), 0);
        fclose(f);
        return buf;
}

/* A strict reading of the text format: every sample line is NAME[{labels}] VALUE, every metric has
 * HELP and TYPE before its samples, counters end in _total, no name repeats its TYPE. */
static void check_exposition(const char *text) {
        char *copy = strdup(text), *save = NULL;
        char typed[64][96];
        size_t n_typed = 0;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, "# HELP ", 7) == 0)
                        continue;
                if (strncmp(line, "# TYPE ", 7) == 0) {
                        char name[96], type[32];
                        ck_assert_int_eq(sscanf(line + 7, "%95s %31s", name, type), 2);
                        ck_assert_msg(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0, "%s", line);
                        if (strcmp(type, "counter") == 0)
                                ck_assert_msg(strlen(name) > 6 && strcmp(name + strlen(name) - 6, "_total") == 0, "%s", name);
                        for (size_t i = 0; i < n_typed; i++)
                                ck_assert_msg(strcmp(typed[i], name) != 0, "TYPE twice: %s", name);
                        ck_assert_uint_lt(n_typed, 64);
                        snprintf(typed[n_typed++], sizeof typed[0], "%s", name);
                        continue;
                }
                ck_assert_msg(line[0] != '#', "stray comment: %s", line);
                char name[96] = "";
                size_t k = strcspn(line, "{ ");
                ck_assert_uint_lt(k, sizeof name);
                memcpy(name, line, k);
                ck_assert_msg(strncmp(name, "dockerclean_", 12) == 0, "%s", line);
                bool known = false;
                for (size_t i = 0; i < n_typed; i++)
                        known = known || strcmp(typed[i], name) == 0;
                ck_assert_msg(known, "sample before TYPE: %s", line);
                const char *value = strrchr(line, ' ');
                ck_assert_ptr_nonnull(value);
                char *end;
                strtod(value + 1, &end);
                ck_assert_msg(*end == 0 && end != value + 1, "bad value: %s", line);
        }
        free(copy);
}

/* One filesystem at `used` of 1000 bytes with 123 free and a quarter of its inodes free. */
static struct usage_set one_fs(const char *path, double used) {
        struct usage_set s = { .n = 1 };
        s.fs[0] = (struct usage_fs){ .path = path,
                                     .usage = { .used_percent = used * 100.0, .free_bytes = 123, .total_bytes = 1000,
                                                .total_inodes = 4, .free_inodes = 1 } };
        return s;
}

START_TEST(test_format) {
        struct usage_set fs = one_fs("/var/lib/docker", 0.5);
        fs.fs[fs.n++] = (struct usage_fs){ .path = "/srv/odd \"path\"\\x", .usage = { .used_percent = 25.0 } };
        struct metrics_sample m = { .filesystems = &fs, .disk = &disk, .cleanups_total = 3,
                                    .last_cleanup_unix = 1700000000, .engine_up = true };
        m.reclaimed_bytes_total[CONFIG_TIER_UNUSED_IMAGES] = 4096;
        m.removed_objects_total[CONFIG_TIER_STOPPED_CONTAINERS] = 7;
        m.short_removals_total[CONFIG_TIER_UNUSED_IMAGES] = 3;
        char *t = format(&m);
        check_exposition(t);
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_filesystem_used_ratio{path=\"/var/lib/docker\"} 0.5\n"));
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_filesystem_used_ratio{path=\"/srv/odd \\\"path\\\"\\\\x\"} 0.25\n"));
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_filesystem_free_bytes{path=\"/var/lib/docker\"} 123\n"));
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_filesystem_free_inodes_ratio{path=\"/var/lib/docker\"} 0.25\n"));
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_filesystem_free_inodes_ratio{path=\"/srv/odd \\\"path\\\"\\\\x\"} 1\n"));
        ck_assert_int_eq(dctest_count(t, "# TYPE dockerclean_filesystem_used_ratio gauge"), 1);
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_high_watermark_ratio 0.84999999999999998\n"));
        ck_assert_ptr_nonnull(strstr(t, "dockerclean_reclaimed_bytes_total{tier=\"unused-images\"} 4096\n"));
        ck_assert_ptr_nonnull(strstr(t, "dockerclean_removed_objects_total{tier=\"stopped-containers\"} 7\n"));
        ck_assert_ptr_nonnull(strstr(t, "dockerclean_short_removals_total{tier=\"unused-images\"} 3\n"));
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_cleanups_total 3\n"));
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_engine_up 1\n"));
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_last_cleanup_timestamp_seconds 1700000000\n"));
        free(t);

        /* Before the first measurement: no filesystem figures, the rest stands. */
        struct metrics_sample none = { .disk = &disk };
        t = format(&none);
        check_exposition(t);
        ck_assert_ptr_null(strstr(t, "dockerclean_filesystem_used_ratio"));
        ck_assert_ptr_nonnull(strstr(t, "\ndockerclean_engine_up 0\n"));
        free(t);
}
END_TEST

START_TEST(test_write_atomic) {
        char dir[] = "/tmp/dcmetricsXXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof path, "%s/dockerclean.prom", dir);
        struct usage_set fs = one_fs("/d", 0.1);
        struct metrics_sample m = { .filesystems = &fs, .disk = &disk };
        ck_assert_int_eq(metrics_write_file(path, &m, NULL, 0), 0);
        fs.fs[0].usage.used_percent = 20.0;
        ck_assert_int_eq(metrics_write_file(path, &m, NULL, 0), 0);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        char buf[8192];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        ck_assert_ptr_nonnull(strstr(buf, "\ndockerclean_filesystem_used_ratio{path=\"/d\"} 0.20000000000000001\n"));
        ck_assert_int_eq(metrics_write_file("/nonexistent-dir/x.prom", &m, NULL, 0), -ENOENT);
        unlink(path);
        ck_assert_int_eq(rmdir(dir), 0); /* no temp file left behind */
}
END_TEST

int main(void) {
        Suite *s = suite_create("metrics");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_format);
        tcase_add_test(tc, test_write_atomic);
        suite_add_tcase(s, tc);
        int failed = dctest_run(s);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
