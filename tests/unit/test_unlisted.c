/* unlisted: the accounting of the space the Engine API does not list (order, unexplained arithmetic,
 * remedies, builder names), the read-only walks on a scratch tree, and the metric series. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dctest.h"
#include "metrics.h"
#include "unlisted-measure.h"
#include "unlisted.h"

#define MiB (1024ull * 1024ull)
#define GiB (1024ull * MiB)

static void add(struct unlisted_report *r, enum unlisted_source s, const char *name, uint64_t bytes, bool no_max) {
        char *copy = name ? strdup(name) : NULL;
        struct unlisted_item it = { .source = s, .name = copy, .bytes = bytes, .count = 1, .running = no_max,
                                    .no_max_size = no_max };
        ck_assert_int_eq(unlisted_report_add(r, &it), 0);
        free(copy);
}

START_TEST(test_order_and_unexplained) {
        struct unlisted_report r = { .used_bytes = 100 * GiB, .engine_bytes = 40 * GiB, .engine_known = true };
        ck_assert_ptr_nonnull(r.path = strdup("/var/lib/docker"));
        add(&r, UNLISTED_CONTAINER_LOG, "web", 12 * GiB, true);
        add(&r, UNLISTED_BUILDER, "ci0", 8 * GiB, false);       /* inside the engine's figures: not subtracted */
        add(&r, UNLISTED_ORPHAN_LAYERS, NULL, 30 * GiB, false);
        add(&r, UNLISTED_DATA_ROOT_TMP, NULL, 1 * GiB, false);
        add(&r, UNLISTED_CONTAINER_LOG, "db", 1 * GiB, false);
        /* 100 - 40 - (12 + 30 + 1 + 1) = 16 */
        ck_assert_uint_eq(unlisted_unexplained(&r), 16 * GiB);
        ck_assert_int_eq(unlisted_report_finish(&r), 0);
        ck_assert_uint_eq(r.n, 6);
        static const enum unlisted_source order[] = { UNLISTED_ORPHAN_LAYERS, UNLISTED_UNEXPLAINED, UNLISTED_CONTAINER_LOG,
                                                      UNLISTED_BUILDER, UNLISTED_CONTAINER_LOG, UNLISTED_DATA_ROOT_TMP };
        for (size_t i = 0; i < r.n; i++)
                ck_assert_int_eq(r.items[i].source, order[i]);
        for (size_t i = 1; i < r.n; i++)
                ck_assert_uint_ge(r.items[i - 1].bytes, r.items[i].bytes);
        /* equal bytes: by source, then name (db before tmp: container-log orders first) */
        ck_assert_str_eq(r.items[4].name, "db");
        ck_assert_uint_eq(unlisted_source_bytes(&r, UNLISTED_CONTAINER_LOG), 13 * GiB);
        ck_assert_uint_eq(unlisted_source_bytes(&r, UNLISTED_UNEXPLAINED), 16 * GiB);
        /* the largest with a remedy: never the unexplained rest */
        const struct unlisted_item *top = unlisted_largest(&r);
        ck_assert_ptr_nonnull(top);
        ck_assert_int_eq(top->source, UNLISTED_ORPHAN_LAYERS);
        /* finishing again adds no second unexplained */
        unlisted_report_done(&r);

        /* more accounted than used (figures taken at different moments): no unexplained, no underflow */
        struct unlisted_report s = { .used_bytes = 10 * GiB, .engine_bytes = 9 * GiB, .engine_known = true };
        add(&s, UNLISTED_CONTAINER_LOG, "x", 2 * GiB, false);
        ck_assert_uint_eq(unlisted_unexplained(&s), 0);
        ck_assert_int_eq(unlisted_report_finish(&s), 0);
        ck_assert_uint_eq(s.n, 1);
        unlisted_report_done(&s);

        /* nothing to name: no largest */
        struct unlisted_report e = { .used_bytes = 10 * GiB, .engine_bytes = 4 * GiB, .engine_known = true };
        ck_assert_int_eq(unlisted_report_finish(&e), 0);
        ck_assert_ptr_null(unlisted_largest(&e));
        ck_assert_uint_eq(unlisted_source_bytes(&e, UNLISTED_UNEXPLAINED), 6 * GiB);
        unlisted_report_done(&e);

        /* the engine's bytes not asked (exhausted: no /system/df): nothing is said unexplained */
        struct unlisted_report x = { .used_bytes = 10 * GiB };
        add(&x, UNLISTED_DATA_ROOT_TMP, NULL, 1 * GiB, false);
        ck_assert_int_eq(unlisted_report_finish(&x), 0);
        ck_assert_uint_eq(x.n, 1);
        ck_assert_uint_eq(unlisted_source_bytes(&x, UNLISTED_UNEXPLAINED), 0);
        unlisted_report_done(&x);
}
END_TEST

START_TEST(test_remedies) {
        char buf[512];
        struct unlisted_item log = { .source = UNLISTED_CONTAINER_LOG, .name = "web", .bytes = 12 * GiB, .running = true,
                                     .no_max_size = true };
        unlisted_remedy(&log, buf, sizeof buf);
        ck_assert_str_eq(buf, "container web's log is 12.0 GiB and it has no max-size: set log-opts");
        log.no_max_size = false, log.running = false;
        unlisted_remedy(&log, buf, sizeof buf);
        ck_assert_str_eq(buf, "stopped container web's log is 12.0 GiB: it goes with the container (docker rm web)");
        struct unlisted_item b = { .source = UNLISTED_BUILDER, .name = "ci0", .bytes = (uint64_t) (8.1 * GiB) };
        unlisted_remedy(&b, buf, sizeof buf);
        ck_assert_str_eq(buf, "the builder ci0 keeps 8.1 GiB: docker buildx prune --builder ci0");
        struct unlisted_item o = { .source = UNLISTED_ORPHAN_LAYERS, .bytes = 30 * GiB, .count = 3 };
        unlisted_remedy(&o, buf, sizeof buf);
        ck_assert_str_eq(buf, "overlay2 holds 30.0 GiB that no layer uses (3 directories): restart dockerd or reprovision");
        o.cut_short = true, o.count = 1;
        unlisted_remedy(&o, buf, sizeof buf);
        ck_assert_str_eq(buf, "overlay2 holds 30.0 GiB (at least: the walk was cut short) that no layer uses (1 directory): "
                              "restart dockerd or reprovision");
        struct unlisted_item t = { .source = UNLISTED_DATA_ROOT_TMP, .bytes = 50 * MiB };
        unlisted_remedy(&t, buf, sizeof buf);
        ck_assert_str_eq(buf, "the data root's tmp holds 50.0 MiB of interrupted pulls, loads and builds: restart dockerd, "
                              "which empties it");
        /* truncated, still terminated */
        unlisted_remedy(&b, buf, 8);
        ck_assert_uint_eq(strlen(buf), 7);
}
END_TEST

START_TEST(test_builder_names) {
        const char *s;
        size_t n;
        ck_assert_int_eq(unlisted_builder_name("buildx_buildkit_ci00_state", &s, &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_int_eq(strncmp(s, "ci0", n), 0);
        ck_assert_int_eq(unlisted_builder_name("buildx_buildkit_ci00", &s, &n), 0);
        ck_assert_int_eq(strncmp(s, "ci0", n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_int_eq(unlisted_builder_name("buildx_buildkit_mybuilder1_state", &s, &n), 0);
        ck_assert_uint_eq(n, 9);
        ck_assert_int_eq(unlisted_builder_name("buildx_buildkit_x", &s, &n), -EINVAL);
        ck_assert_int_eq(unlisted_builder_name("buildx_buildkit_0", &s, &n), -EINVAL);
        ck_assert_int_eq(unlisted_builder_name("web", &s, &n), -EINVAL);
        ck_assert_int_eq(unlisted_builder_name("my_buildx_buildkit_ci00", &s, &n), -EINVAL);
}
END_TEST

static void write_file(const char *path, size_t bytes) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        ck_assert_int_ge(fd, 0);
        char buf[4096];
        memset(buf, 'x', sizeof buf);
        for (size_t done = 0; done < bytes; done += sizeof buf)
                ck_assert_int_eq(write(fd, buf, sizeof buf), (ssize_t) sizeof buf);
        close(fd);
}

static void write_id(const char *path, const char *id) {
        FILE *f = fopen(path, "wx");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "%s", id);
        fclose(f);
}

/* A data root in miniature: a layer (cache-id aaa), a container (mount-id bbb, init-id bbb-init), and
 * overlay2 directories for them, the short links, and one orphan (ccc) with 64 KiB in it; a log with two
 * rotations next to another container's log. */
START_TEST(test_walks) {
        char root[] = "/tmp/dcunl.XXXXXX", p[512];
        ck_assert_ptr_nonnull(mkdtemp(root));
        static const char *const dirs[] = { "image", "image/overlay2", "image/overlay2/layerdb", "image/overlay2/layerdb/sha256",
                                            "image/overlay2/layerdb/sha256/l1", "image/overlay2/layerdb/mounts",
                                            "image/overlay2/layerdb/mounts/c1", "overlay2", "overlay2/l", "overlay2/aaa",
                                            "overlay2/bbb", "overlay2/bbb-init", "overlay2/ccc", "overlay2/ccc/diff", "tmp",
                                            "containers", "containers/c1", NULL };
        for (const char *const *d = dirs; *d; d++) {
                snprintf(p, sizeof p, "%s/%s", root, *d);
                ck_assert_int_eq(mkdir(p, 0700), 0);
        }
        snprintf(p, sizeof p, "%s/image/overlay2/layerdb/sha256/l1/cache-id", root), write_id(p, "aaa");
        snprintf(p, sizeof p, "%s/image/overlay2/layerdb/mounts/c1/mount-id", root), write_id(p, "bbb");
        snprintf(p, sizeof p, "%s/image/overlay2/layerdb/mounts/c1/init-id", root), write_id(p, "bbb-init\n");
        snprintf(p, sizeof p, "%s/overlay2/aaa/big", root), write_file(p, 256 * 1024);
        snprintf(p, sizeof p, "%s/overlay2/ccc/diff/f", root), write_file(p, 64 * 1024);
        snprintf(p, sizeof p, "%s/tmp/pull", root), write_file(p, 128 * 1024);
        /* a symbolic link in tmp to the big layer: not followed */
        snprintf(p, sizeof p, "%s/tmp/link", root);
        char target[512];
        snprintf(target, sizeof target, "%s/overlay2/aaa", root);
        ck_assert_int_eq(symlink(target, p), 0);
        snprintf(p, sizeof p, "%s/containers/c1/c1-json.log", root), write_file(p, 32 * 1024);
        snprintf(p, sizeof p, "%s/containers/c1/c1-json.log.1", root), write_file(p, 32 * 1024);
        snprintf(p, sizeof p, "%s/containers/c1/c1-json.log.2.gz", root), write_file(p, 16 * 1024);
        snprintf(p, sizeof p, "%s/containers/c1/c1-json.logger", root), write_file(p, 16 * 1024); /* not a rotation */
        snprintf(p, sizeof p, "%s/containers/c1/hostname", root), write_file(p, 4096);

        struct unlisted_walk w = {};
        uint64_t bytes = 0;
        size_t count = 0;
        ck_assert_int_eq(unlisted_overlay2_orphans(root, &w, &bytes, &count), 0);
        ck_assert_uint_eq(count, 1);
        ck_assert_uint_ge(bytes, 64 * 1024);
        ck_assert_uint_lt(bytes, 64 * 1024 + 3 * 4096 + 1);
        ck_assert(!w.cut_short);
        /* BuildKit's snapshots: overlay2 directories that its snapshots.db names (a bolt file, read raw) are
         * the build cache, not orphans (seen on dockerd 28: "97zpr5sr7ijnw1jqqrv3cwac0"). */
        snprintf(p, sizeof p, "%s/overlay2/97zpr5sr7ijnw1jqqrv3cwac0", root);
        ck_assert_int_eq(mkdir(p, 0700), 0);
        snprintf(p, sizeof p, "%s/overlay2/97zpr5sr7ijnw1jqqrv3cwac0/f", root), write_file(p, 32 * 1024);
        snprintf(p, sizeof p, "%s/buildkit", root);
        ck_assert_int_eq(mkdir(p, 0700), 0);
        snprintf(p, sizeof p, "%s/buildkit/snapshots.db", root);
        FILE *db = fopen(p, "wx");
        ck_assert_ptr_nonnull(db);
        static const char bolt[] = "\x02\x00snapshots\x00\x19" "97zpr5sr7ijnw1jqqrv3cwac0" "\x01\x00parent\x00";
        ck_assert_uint_eq(fwrite(bolt, 1, sizeof bolt, db), sizeof bolt);
        fclose(db);
        ck_assert_int_eq(unlisted_overlay2_orphans(root, &w, &bytes, &count), 0);
        ck_assert_uint_eq(count, 1); /* still ccc alone */
        ck_assert_uint_lt(bytes, 64 * 1024 + 3 * 4096 + 1);

        ck_assert_int_eq(unlisted_tmp_bytes(root, &w, &bytes), 0);
        ck_assert_uint_ge(bytes, 128 * 1024);
        ck_assert_uint_lt(bytes, 128 * 1024 + 2 * 4096 + 1); /* the link's target is not counted */

        snprintf(p, sizeof p, "%s/containers/c1/c1-json.log", root);
        ck_assert_int_eq(unlisted_log_bytes(p, &w, &bytes, &count), 0);
        ck_assert_uint_eq(count, 3);
        ck_assert_uint_eq(bytes, 80 * 1024);
        snprintf(p, sizeof p, "%s/containers/c1/none-json.log", root);
        ck_assert_int_eq(unlisted_log_bytes(p, &w, &bytes, &count), -ENOENT);

        /* an entry bound: cut short, and said */
        struct unlisted_walk tight = { .max_entries = 1 };
        ck_assert_int_eq(unlisted_tmp_bytes(root, &tight, &bytes), 0);
        ck_assert(tight.cut_short);
        /* no layer store: not guessed from names */
        snprintf(p, sizeof p, "%s/containers", root);
        ck_assert_int_eq(unlisted_overlay2_orphans(p, &w, &bytes, &count), -ENOENT);

        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* containerd's root: its content store and snapshotters are walked, nothing else there; the figure not
 * attributed to an image is the rest over the engine's, never below 0. */
START_TEST(test_containerd) {
        char root[] = "/tmp/dcctrd.XXXXXX", p[512];
        ck_assert_ptr_nonnull(mkdtemp(root));
        static const char *const dirs[] = { "io.containerd.content.v1.content", "io.containerd.content.v1.content/blobs",
                                            "io.containerd.content.v1.content/blobs/sha256",
                                            "io.containerd.snapshotter.v1.overlayfs",
                                            "io.containerd.snapshotter.v1.overlayfs/snapshots", "io.containerd.metadata.v1.bolt",
                                            NULL };
        for (const char *const *d = dirs; *d; d++) {
                snprintf(p, sizeof p, "%s/%s", root, *d);
                ck_assert_int_eq(mkdir(p, 0700), 0);
        }
        snprintf(p, sizeof p, "%s/io.containerd.content.v1.content/blobs/sha256/aa", root), write_file(p, 256 * 1024);
        snprintf(p, sizeof p, "%s/io.containerd.snapshotter.v1.overlayfs/snapshots/f", root), write_file(p, 64 * 1024);
        snprintf(p, sizeof p, "%s/io.containerd.metadata.v1.bolt/meta.db", root), write_file(p, 512 * 1024); /* not content */

        struct unlisted_walk w = {};
        uint64_t bytes = 0;
        ck_assert_int_eq(unlisted_containerd_bytes(root, &w, &bytes), 0);
        ck_assert_uint_ge(bytes, 320 * 1024);
        ck_assert_uint_lt(bytes, 320 * 1024 + 8 * 4096 + 1);
        snprintf(p, sizeof p, "%s/io.containerd.metadata.v1.bolt", root);
        ck_assert_int_eq(unlisted_containerd_bytes(p, &w, &bytes), -ENOENT);
        ck_assert_int_eq(unlisted_containerd_bytes("relative", &w, &bytes), -EINVAL);

        struct unlisted_report r = { .containerd_bytes = 10 * MiB, .containerd_engine_bytes = 4 * MiB };
        ck_assert_uint_eq(unlisted_containerd_unattributed(&r), 6 * MiB);
        r.containerd_engine_bytes = 11 * MiB;
        ck_assert_uint_eq(unlisted_containerd_unattributed(&r), 0);

        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_metrics) {
        struct config_disk disk = { .high_watermark = 85, .low_watermark = 75 };
        struct unlisted_report r = { .used_bytes = 100, .engine_bytes = 10, .engine_known = true };
        ck_assert_ptr_nonnull(r.path = strdup("/d"));
        add(&r, UNLISTED_CONTAINER_LOG, "web", 50, true);
        add(&r, UNLISTED_ORPHAN_LAYERS, NULL, 30, false);
        ck_assert_int_eq(unlisted_report_finish(&r), 0);
        struct metrics_sample m = { .disk = &disk, .unlisted = &r };
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(metrics_format(&m, f), 0);
        fclose(f);
        ck_assert_ptr_nonnull(strstr(buf, "\ndockerclean_unlisted_bytes{path=\"/d\",source=\"container-log\"} 50\n"));
        ck_assert_ptr_nonnull(strstr(buf, "\ndockerclean_unlisted_bytes{path=\"/d\",source=\"orphan-layers\"} 30\n"));
        ck_assert_ptr_nonnull(strstr(buf, "\ndockerclean_unlisted_bytes{path=\"/d\",source=\"unexplained\"} 10\n"));
        ck_assert_ptr_nonnull(strstr(buf, "\ndockerclean_unlisted_bytes{path=\"/d\",source=\"tmp\"} 0\n"));
        ck_assert_ptr_nonnull(strstr(buf, "\ndockerclean_container_log_bytes{name=\"web\",max_size=\"none\"} 50\n"));
        free(buf);
        /* the engine's bytes unknown: no unexplained series (a 0 would be a false figure) */
        r.engine_known = false;
        buf = NULL;
        f = open_memstream(&buf, &len);
        ck_assert_int_eq(metrics_format(&m, f), 0);
        fclose(f);
        ck_assert_ptr_null(strstr(buf, "source=\"unexplained\""));
        ck_assert_ptr_nonnull(strstr(buf, "source=\"container-log\"} 50\n"));
        free(buf);
        /* none measured: no series */
        m.unlisted = NULL;
        buf = NULL;
        f = open_memstream(&buf, &len);
        ck_assert_int_eq(metrics_format(&m, f), 0);
        fclose(f);
        ck_assert_ptr_null(strstr(buf, "dockerclean_unlisted_bytes"));
        free(buf);
        unlisted_report_done(&r);
}
END_TEST

int main(void) {
        Suite *s = suite_create("unlisted");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_order_and_unexplained);
        tcase_add_test(tc, test_remedies);
        tcase_add_test(tc, test_builder_names);
        tcase_add_test(tc, test_walks);
        tcase_add_test(tc, test_metrics);
        tcase_add_test(tc, test_containerd);
        suite_add_tcase(s, tc);
        int failed = dctest_run(s);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
