/* unlisted.c: the pure accounting of the space the Engine API does not list (see unlisted.h). */
#include "unlisted.h"

#include "format-util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-read.h"

const char *unlisted_source_to_string(enum unlisted_source s) {
        switch (s) {
        case UNLISTED_CONTAINER_LOG:
                return "container-log";
        case UNLISTED_DATA_ROOT_TMP:
                return "tmp";
        case UNLISTED_BUILDER:
                return "builder";
        case UNLISTED_ORPHAN_LAYERS:
                return "orphan-layers";
        case UNLISTED_UNEXPLAINED:
                return "unexplained";
        case _UNLISTED_SOURCE_MAX:
                break;
        }
        return "?";
}

bool unlisted_source_in_engine(enum unlisted_source s) {
        return s == UNLISTED_BUILDER;
}

void unlisted_report_done(struct unlisted_report *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++)
                free(r->items[i].name);
        free(r->items);
        free(r->path);
        free(r->containerd_path);
        *r = (struct unlisted_report) {};
}

uint64_t unlisted_containerd_unattributed(const struct unlisted_report *r) {
        return r->containerd_bytes > r->containerd_engine_bytes ? r->containerd_bytes - r->containerd_engine_bytes : 0;
}

int unlisted_report_add(struct unlisted_report *r, const struct unlisted_item *item) {
        if (!r || !item)
                return -EINVAL;
        int k = json_read_grow((void **) &r->items, &r->allocated, r->n + 1, sizeof *r->items);
        if (k < 0)
                return k;
        struct unlisted_item it = *item;
        if (item->name && !(it.name = strdup(item->name)))
                return -ENOMEM;
        r->items[r->n++] = it;
        r->cut_short = r->cut_short || item->cut_short;
        return 0;
}

uint64_t unlisted_unexplained(const struct unlisted_report *r) {
        uint64_t accounted = r->engine_bytes;
        for (size_t i = 0; i < r->n; i++)
                if (!unlisted_source_in_engine(r->items[i].source) && r->items[i].source != UNLISTED_UNEXPLAINED)
                        accounted += r->items[i].bytes;
        return r->used_bytes > accounted ? r->used_bytes - accounted : 0;
}

static int cmp_item(const void *a, const void *b) {
        const struct unlisted_item *x = a, *y = b;
        if (x->bytes != y->bytes)
                return x->bytes > y->bytes ? -1 : 1;
        if (x->source != y->source)
                return x->source < y->source ? -1 : 1;
        return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

int unlisted_report_finish(struct unlisted_report *r) {
        uint64_t u = r->engine_known ? unlisted_unexplained(r) : 0;
        if (u > 0) {
                int k = unlisted_report_add(r, &(struct unlisted_item) { .source = UNLISTED_UNEXPLAINED, .bytes = u });
                if (k < 0)
                        return k;
        }
        if (r->n > 1)
                qsort(r->items, r->n, sizeof *r->items, cmp_item);
        return 0;
}

uint64_t unlisted_source_bytes(const struct unlisted_report *r, enum unlisted_source s) {
        uint64_t b = 0;
        for (size_t i = 0; i < r->n; i++)
                if (r->items[i].source == s)
                        b += r->items[i].bytes;
        return b;
}

const struct unlisted_item *unlisted_largest(const struct unlisted_report *r) {
        for (size_t i = 0; i < r->n; i++)
                if (r->items[i].source != UNLISTED_UNEXPLAINED && r->items[i].bytes > 0)
                        return &r->items[i];
        return NULL;
}

void unlisted_remedy(const struct unlisted_item *it, char *buf, size_t n) {
        char b[32];
        format_bytes(it->bytes, b, sizeof b);
        const char *name = it->name ? it->name : "?";
        const char *cut = it->cut_short ? " (at least: the walk was cut short)" : "";
        switch (it->source) {
        case UNLISTED_CONTAINER_LOG:
                if (it->no_max_size)
                        snprintf(buf, n, "container %s's log is %s%s and it has no max-size: set log-opts", name, b, cut);
                else if (it->running)
                        snprintf(buf, n, "container %s's log is %s%s: lower its log-opts max-size and max-file", name, b, cut);
                else
                        snprintf(buf, n, "stopped container %s's log is %s%s: it goes with the container (docker rm %s)", name,
                                 b, cut, name);
                return;
        case UNLISTED_DATA_ROOT_TMP:
                snprintf(buf, n, "the data root's tmp holds %s%s of interrupted pulls, loads and builds: restart dockerd, "
                                 "which empties it", b, cut);
                return;
        case UNLISTED_BUILDER:
                snprintf(buf, n, "the builder %s keeps %s: docker buildx prune --builder %s", name, b, name);
                return;
        case UNLISTED_ORPHAN_LAYERS:
                snprintf(buf, n, "overlay2 holds %s%s that no layer uses (%zu %s): restart dockerd or reprovision", b, cut,
                         it->count, it->count == 1 ? "directory" : "directories");
                return;
        case UNLISTED_UNEXPLAINED:
                snprintf(buf, n, "%s used on the filesystem is not explained by the engine or these sources", b);
                return;
        case _UNLISTED_SOURCE_MAX:
                break;
        }
        snprintf(buf, n, "%s", b);
}

int unlisted_builder_name(const char *object, const char **ret_start, size_t *ret_len) {
        static const char prefix[] = "buildx_buildkit_", suffix[] = "_state";
        if (!object || strncmp(object, prefix, strlen(prefix)) != 0)
                return -EINVAL;
        const char *s = object + strlen(prefix);
        size_t len = strlen(s);
        if (len > strlen(suffix) && streq(s + len - strlen(suffix), suffix))
                len -= strlen(suffix);
        /* The node's index: buildx names node n of builder B "B" + n; the builder's own name may end in digits
         * too (ci0's node 0 is "ci00"), so only the last digit is taken for the index. */
        if (len < 2 || s[len - 1] < '0' || s[len - 1] > '9')
                return -EINVAL;
        len--;
        *ret_start = s;
        *ret_len = len;
        return 0;
}
