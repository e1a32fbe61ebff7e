/* Where the bytes the engine does not list are: measured for --report and when every tier is exhausted
 * (see unlisted-run.h); read-only, bounded in time and entries. */
#include "unlisted-run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "engine-bytes.h"
#include "engine.h"
#include "format-util.h"
#include "json-read.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"
#include "unlisted-measure.h"

/* The engine's own bytes on DockerRootDir's filesystem: everything, unless the containerd image store keeps
 * images and container layers on another filesystem. */
static uint64_t engine_bytes_on_root(const struct daemon *d, const struct engine_df *df) {
        struct engine_bytes_parts p;
        engine_bytes_parts_from_df(df, &p);
        if (d->containerd_store && d->fs.n > 1)
                return p.volumes + p.build_cache;
        return p.images + p.containers + p.volumes + p.build_cache;
}

static const struct engine_df_container *df_container(const struct engine_df *df, const char *id) {
        if (!df)
                return NULL;
        for (size_t i = 0; i < df->n_containers; i++)
                if (df->containers[i].id && streq(df->containers[i].id, id))
                        return &df->containers[i];
        return NULL;
}

/* Adds bytes to builder name's item (made on first use). */
static int builder_add(struct unlisted_report *r, const char *start, size_t len, uint64_t bytes) {
        for (size_t i = 0; i < r->n; i++) {
                struct unlisted_item *it = &r->items[i];
                if (it->source == UNLISTED_BUILDER && strlen(it->name) == len && strncmp(it->name, start, len) == 0) {
                        it->bytes += bytes;
                        it->count++;
                        return 0;
                }
        }
        _cleanup_free_ char *name = strndup(start, len);
        if (!name)
                return -ENOMEM;
        return unlisted_report_add(r, &(struct unlisted_item) { .source = UNLISTED_BUILDER, .name = name, .bytes = bytes, .count = 1 });
}

/* The log files where dockerd keeps them for the json-file driver (<root>/containers/<id>/<id>-json.log
 * and its rotations) and the local one (local-logs/container.log...), by the id the listing gave: a
 * figure for every container without a request each (LogPath of the largest is asked below). */
static int log_bytes_by_id(const struct daemon *d, const char *id, struct unlisted_walk *w, uint64_t *ret_bytes,
                           size_t *ret_files) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/containers/%s/%s-json.log", d->root_dir, id, id) < 0)
                return -ENOMEM;
        int k = unlisted_log_bytes(p, w, ret_bytes, ret_files);
        if (k != -ENOENT)
                return k;
        _cleanup_free_ char *local = NULL;
        if (asprintf(&local, "%s/containers/%s/local-logs/container.log", d->root_dir, id) < 0)
                return -ENOMEM;
        return unlisted_log_bytes(local, w, ret_bytes, ret_files);
}

struct log_candidate {
        size_t index;                  /* in the listing */
        uint64_t bytes;
        size_t files;
};

static int cmp_log_candidate(const void *a, const void *b) {
        const struct log_candidate *x = a, *y = b;
        return x->bytes != y->bytes ? (x->bytes > y->bytes ? -1 : 1) : (x->index < y->index ? -1 : x->index > y->index);
}

/* Builders from the listing's names; every container's log from its directory (no request each); then the
 * largest logs inspected, at most DAEMON_UNLISTED_INSPECTS: their LogPath (measured again from it: the
 * engine's word wins), log driver and max-size. */
/* Without /system/df (when exhausted: the plans' own df requests back off, these must not add to them): the
 * builders' state volumes from the volume listing, each measured by a walk of its Mountpoint. */
static int builder_volumes_walked(struct daemon *d, struct unlisted_walk *w, struct unlisted_report *r) {
        _cleanup_(engine_volume_list_done) struct engine_volume_list l = {};
        int k = engine_list_volumes(d->engine, &l);
        if (k < 0)
                return k;
        for (size_t i = 0; i < l.n; i++) {
                const struct engine_volume *v = &l.items[i];
                const char *start;
                size_t len;
                uint64_t bytes = 0;
                if (!v->name || unlisted_builder_name(v->name, &start, &len) < 0 || !v->mountpoint || v->mountpoint[0] != '/')
                        continue;
                if ((k = unlisted_du_at(AT_FDCWD, v->mountpoint, w, &bytes, NULL)) < 0)
                        log_debug("Volume %s not measured: %s", v->name, strerror(-k));
                if ((k = builder_add(r, start, len, bytes)) < 0)
                        return k;
        }
        return 0;
}

static int measure_containers(struct daemon *d, const struct engine_df *df, struct unlisted_walk *w, struct unlisted_report *r) {
        _cleanup_(engine_container_list_done) struct engine_container_list l = {};
        int k = engine_list_containers(d->engine, false, &l);
        if (k < 0)
                return k;
        _cleanup_free_ struct log_candidate *c = calloc(l.n ? l.n : 1, sizeof *c);
        if (!c)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < l.n; i++) {
                const struct engine_container *ct = &l.items[i];
                const char *start;
                size_t len;
                if (ct->name && unlisted_builder_name(ct->name, &start, &len) >= 0) {
                        const struct engine_df_container *dc = df_container(df, ct->id);
                        if ((k = builder_add(r, start, len, dc && dc->size_rw > 0 ? (uint64_t) dc->size_rw : 0)) < 0)
                                return k;
                }
                uint64_t bytes = 0;
                size_t files = 0;
                if (ct->id && !strchr(ct->id, '/') && log_bytes_by_id(d, ct->id, w, &bytes, &files) >= 0 && bytes > 0)
                        c[n++] = (struct log_candidate) { i, bytes, files };
        }
        qsort(c, n, sizeof *c, cmp_log_candidate);
        for (size_t j = 0; j < n; j++) {
                const struct engine_container *ct = &l.items[c[j].index];
                struct unlisted_item it = {
                        .source = UNLISTED_CONTAINER_LOG,
                        .name = ct->name ? ct->name : ct->id,
                        .bytes = c[j].bytes,
                        .count = c[j].files,
                        .running = engine_container_state_is_active(ct->state),
                        .cut_short = w->cut_short,
                };
                struct engine_container_detail cd = {};
                bool inspected = false;
                if (j < DAEMON_UNLISTED_INSPECTS) {
                        k = engine_inspect_container(d->engine, ct->id, &cd);
                        if (k == -EREMOTEIO && engine_last_error(d->engine)->http_status == 404)
                                continue; /* gone meanwhile, and its log with it */
                        if (k < 0)
                                return k;
                        inspected = true;
                        uint64_t bytes = 0;
                        size_t files = 0;
                        if (cd.log_path && *cd.log_path && unlisted_log_bytes(cd.log_path, w, &bytes, &files) >= 0)
                                it.bytes = bytes, it.count = files;
                        it.running = engine_container_state_is_active(cd.state);
                        it.no_max_size = it.running && cd.log_driver && streq(cd.log_driver, "json-file") && !cd.log_max_size;
                }
                k = unlisted_report_add(r, &it);
                if (inspected)
                        engine_container_detail_done(&cd);
                if (k < 0)
                        return k;
        }
        return 0;
}

int daemon_unlisted_measure(struct daemon *d, const struct engine_df *df, struct unlisted_report *ret) {
        if (!d->root_dir || d->fs.n == 0)
                return -ENODATA;
        _cleanup_(unlisted_report_done) struct unlisted_report r = {};
        if (!(r.path = strdup(d->fs.fs[0].path)))
                return -ENOMEM;
        r.used_bytes = d->fs.fs[0].usage.used_bytes;
        r.engine_known = df != NULL;
        r.engine_bytes = df ? engine_bytes_on_root(d, df) : 0;
        struct unlisted_walk w = { .deadline_usec = now_monotonic_usec() + DAEMON_UNLISTED_TIME_USEC,
                                   .max_entries = DAEMON_UNLISTED_ENTRIES_MAX };
        int k;
        /* Builder state: the volumes buildx names buildx_buildkit_<builder><n>_state, sized by /system/df. */
        for (size_t i = 0; df && i < df->n_volumes; i++) {
                const char *start;
                size_t len;
                if (df->volumes[i].name && unlisted_builder_name(df->volumes[i].name, &start, &len) >= 0 &&
                    (k = builder_add(&r, start, len, df->volumes[i].size > 0 ? (uint64_t) df->volumes[i].size : 0)) < 0)
                        return k;
        }
        if (!df && (k = builder_volumes_walked(d, &w, &r)) < 0)
                return k;
        if ((k = measure_containers(d, df, &w, &r)) < 0)
                return k;
        uint64_t bytes = 0;
        if ((k = unlisted_tmp_bytes(d->root_dir, &w, &bytes)) >= 0) {
                if (bytes > 0 && (k = unlisted_report_add(&r, &(struct unlisted_item) { .source = UNLISTED_DATA_ROOT_TMP,
                                                                                         .bytes = bytes, .count = 1,
                                                                                         .cut_short = w.cut_short })) < 0)
                        return k;
        } else
                log_debug("%s/tmp not measured: %s", d->root_dir, strerror(-k));
        size_t count = 0;
        bytes = 0;
        if (!d->containerd_store && (k = unlisted_overlay2_orphans(d->root_dir, &w, &bytes, &count)) >= 0) {
                if (count > 0 && (k = unlisted_report_add(&r, &(struct unlisted_item) { .source = UNLISTED_ORPHAN_LAYERS,
                                                                                        .bytes = bytes, .count = count,
                                                                                        .cut_short = w.cut_short })) < 0)
                        return k;
        } else if (!d->containerd_store)
                log_debug("overlay2 directories not compared with the layer store: %s", strerror(-k));
        /* containerd's root (--report: the engine's figures are known): its content and snapshots walked. */
        if (d->containerd_store && df && d->fs.n > 1) {
                bool cut_before = w.cut_short;
                if ((k = unlisted_containerd_bytes(d->fs.fs[1].path, &w, &bytes)) >= 0) {
                        struct engine_bytes_parts p;
                        engine_bytes_parts_from_df(df, &p);
                        if (!(r.containerd_path = strdup(d->fs.fs[1].path)))
                                return -ENOMEM;
                        r.containerd_bytes = bytes;
                        r.containerd_engine_bytes = p.images + p.containers + p.build_cache;
                        r.containerd_cut_short = w.cut_short && !cut_before;
                } else
                        log_debug("%s not measured: %s", d->fs.fs[1].path, strerror(-k));
        }
        r.cut_short = r.cut_short || w.cut_short;
        if ((k = unlisted_report_finish(&r)) < 0)
                return k;
        *ret = TAKE_STRUCT(r);
        return 0;
}

void daemon_unlisted_print(const struct daemon *d, const struct unlisted_report *r) {
        char used[32], eng[32], b[32];
        format_bytes(r->used_bytes, used, sizeof used);
        format_bytes(r->engine_bytes, eng, sizeof eng);
        printf("\nNot listed by the engine on %s (%s used, the engine accounts for %s), largest first:\n", r->path, used, eng);
        printf("  %-14s %-40s %11s %14s\n", "SOURCE", "NAME", "SIZE", "BYTES");
        size_t logs = 0, logs_more = 0;
        uint64_t logs_more_bytes = 0;
        for (size_t i = 0; i < r->n; i++) {
                const struct unlisted_item *it = &r->items[i];
                char name[256], note[160] = "";
                format_bytes(it->bytes, b, sizeof b);
                switch (it->source) {
                case UNLISTED_CONTAINER_LOG:
                        if (logs++ >= DAEMON_UNLISTED_LOGS_SHOWN) {
                                logs_more++, logs_more_bytes += it->bytes;
                                continue;
                        }
                        snprintf(name, sizeof name, "%s", it->name);
                        snprintf(note, sizeof note, "  %s, %zu %s%s", it->running ? "running" : "stopped", it->count,
                                 it->count == 1 ? "file" : "files", it->no_max_size ? ", no max-size: set log-opts" : "");
                        break;
                case UNLISTED_DATA_ROOT_TMP:
                        snprintf(name, sizeof name, "%s/tmp", d->root_dir ? d->root_dir : "");
                        break;
                case UNLISTED_BUILDER:
                        snprintf(name, sizeof name, "%s", it->name);
                        snprintf(note, sizeof note, "  state volumes and containers, in the engine's figures: "
                                                    "docker buildx prune --builder %s", it->name);
                        break;
                case UNLISTED_ORPHAN_LAYERS:
                        snprintf(name, sizeof name, "%zu overlay2 %s", it->count, it->count == 1 ? "directory" : "directories");
                        snprintf(note, sizeof note, "  no layer or container refers to them");
                        break;
                case UNLISTED_UNEXPLAINED:
                        snprintf(name, sizeof name, "-");
                        snprintf(note, sizeof note, "  used, but neither the engine nor these sources account for it");
                        break;
                case _UNLISTED_SOURCE_MAX:
                        continue;
                }
                printf("  %-14s %-40s %11s %14" PRIu64 "%s%s\n", unlisted_source_to_string(it->source), name, b, it->bytes, note,
                       it->cut_short ? " (at least: cut short)" : "");
        }
        if (logs_more) {
                format_bytes(logs_more_bytes, b, sizeof b);
                printf("  %-14s %-40s %11s %14" PRIu64 "\n", "container-log", "(more containers)", b, logs_more_bytes);
        }
        const struct unlisted_item *top = unlisted_largest(r);
        if (top) {
                char remedy[512];
                unlisted_remedy(top, remedy, sizeof remedy);
                printf("Largest:     %s\n", remedy);
        }
        if (r->cut_short)
                printf("Cut short:   the walks stopped at their bound; the figures marked are floors\n");
        for (size_t i = 1; i < d->fs.n; i++) {
                if (!d->containerd_store)
                        continue;
                if (i > 1 || !r->containerd_path) {
                        printf("Not measured on %s: containerd content and snapshots that no image references\n", d->fs.fs[i].path);
                        continue;
                }
                /* Not the exact set of blobs and snapshots no image references (the API does not list them):
                 * the walk's bytes less the engine's, said as such. */
                char held[32], ctrd_eng[32];
                uint64_t rest = unlisted_containerd_unattributed(r);
                format_bytes(rest, b, sizeof b);
                format_bytes(r->containerd_bytes, held, sizeof held);
                format_bytes(r->containerd_engine_bytes, ctrd_eng, sizeof ctrd_eng);
                printf("containerd content not attributed to an image on %s: %s (%" PRIu64 " bytes)%s: its content store and "
                       "snapshotters hold %s (%" PRIu64 " bytes, walked), the engine's images, containers and build cache "
                       "%s (%" PRIu64 " bytes); the difference, an estimate: content and snapshots no image lists "
                       "(interrupted pulls, not yet garbage-collected), and how the two count shared and compressed bytes\n",
                       r->containerd_path, b, rest, r->containerd_cut_short ? " (at least: cut short)" : "", held,
                       r->containerd_bytes, ctrd_eng, r->containerd_engine_bytes);
        }
}

static void record_unlisted(const struct unlisted_report *r) {
        const struct unlisted_item *top = unlisted_largest(r);
        if (!top) {
                struct log_field f[] = { { "DOCKERCLEAN_PATH", r->path } };
                log_structured(LOG_WARNING, RECORD_MID_UNLISTED, f, ELEMENTSOF(f),
                               "Where the bytes are on %s: no container log, tmp, builder or orphaned layer to name; "
                               "\"dockercleand --report\" compares the engine's own bytes with the filesystem's", r->path);
                return;
        }
        char bytes[32], remedy[512];
        snprintf(bytes, sizeof bytes, "%" PRIu64, top->bytes);
        unlisted_remedy(top, remedy, sizeof remedy);
        struct log_field f[] = {
                { "DOCKERCLEAN_PATH", r->path },
                { "DOCKERCLEAN_UNLISTED_SOURCE", unlisted_source_to_string(top->source) },
                { "DOCKERCLEAN_UNLISTED_NAME", top->name ? top->name : "" },
                { "DOCKERCLEAN_UNLISTED_BYTES", bytes },
                { "DOCKERCLEAN_UNLISTED_CUT_SHORT", r->cut_short ? "1" : "0" },
        };
        log_structured(LOG_WARNING, RECORD_MID_UNLISTED, f, ELEMENTSOF(f), "Where the bytes are on %s: %s%s", r->path, remedy,
                       r->cut_short ? " (the walks were cut short)" : "");
}

void daemon_unlisted_exhausted(struct daemon *d, bool first) {
        uint64_t now = now_monotonic_usec();
        if (!first && d->unlisted_last_usec && now - d->unlisted_last_usec < d->config.interval_sec * 1000000ULL)
                return;
        d->unlisted_last_usec = now;
        /* No /system/df here: it is the plans' request, which backs off while exhausted; the unexplained rest
         * is --report's. */
        _cleanup_(unlisted_report_done) struct unlisted_report rep = {};
        int r = daemon_unlisted_measure(d, NULL, &rep);
        if (r < 0) {
                log_debug("Not measuring where the bytes are: %s", strerror(-r));
                return;
        }
        if (first)
                record_unlisted(&rep);
        unlisted_report_done(&d->unlisted);
        d->unlisted = TAKE_STRUCT(rep);
}

void daemon_unlisted_forget(struct daemon *d) {
        unlisted_report_done(&d->unlisted);
        d->unlisted_last_usec = 0;
}
