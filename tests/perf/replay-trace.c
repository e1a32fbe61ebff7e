/* replay-trace.c: reading the traces tests/perf/replay-gen.py writes (format there). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define LINE_MAX_BYTES 65536

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || *s == '-')
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int parse_i64(const char *s, int64_t *ret) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* "1,2,3" -> indices, each < limit. */
static int parse_list(const char *s, size_t limit, size_t **ret, size_t *ret_n) {
        size_t n = 1;
        for (const char *p = s; *p; p++)
                n += *p == ',';
        size_t *v = calloc(n, sizeof *v);
        if (!v)
                return -ENOMEM;
        const char *p = s;
        for (size_t k = 0; k < n; k++) {
                char *end;
                errno = 0;
                unsigned long long x = strtoull(p, &end, 10);
                if (errno || end == p || x >= limit || (*end != ',' && *end) || (*end == ',') != (k + 1 < n)) {
                        free(v);
                        return -EBADMSG;
                }
                v[k] = x;
                p = end + 1;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int grow(void **array, size_t n, size_t *allocated, size_t size) {
        if (n < *allocated)
                return 0;
        size_t a = *allocated ? 2 * *allocated : 64;
        void *p = realloc(*array, a * size);
        if (!p)
                return -ENOMEM;
        *array = p;
        *allocated = a;
        return 0;
}

static int parse_line(struct replay_trace *t, char *line, size_t *alloc) {
        char *save = NULL;
        char *word = strtok_r(line, " ", &save);
        if (!word)
                return -EBADMSG;
        if (strcmp(word, "param") == 0) {
                char *rest = save;
                if (!rest || !*rest)
                        return -EBADMSG;
                int r = grow((void **) &t->params, t->n_params + 1, &alloc[0], sizeof(char *));
                if (r < 0)
                        return r;
                if (!(t->params[t->n_params] = strdup(rest)))
                        return -ENOMEM;
                t->params[++t->n_params] = NULL;
                return 0;
        }
        char *a[4] = {};
        size_t n = 0;
        for (char *w; n < 4 && (w = strtok_r(NULL, " ", &save)); )
                a[n++] = w;
        if (strtok_r(NULL, " ", &save))
                return -EBADMSG;
        if (strcmp(word, "disk") == 0) {
                if (n != 2 || parse_u64(a[0], &t->capacity) < 0 || parse_u64(a[1], &t->base_used) < 0 ||
                    t->base_used >= t->capacity)
                        return -EBADMSG;
                return 0;
        }
        if (strcmp(word, "layer") == 0) {
                uint64_t size;
                if (n != 1 || parse_u64(a[0], &size) < 0)
                        return -EBADMSG;
                int r = grow((void **) &t->layer_size, t->n_layers, &alloc[1], sizeof(uint64_t));
                if (r < 0)
                        return r;
                t->layer_size[t->n_layers++] = size;
                return 0;
        }
        if (strcmp(word, "image") == 0) {
                if (n != 3)
                        return -EBADMSG;
                int r = grow((void **) &t->images, t->n_images, &alloc[2], sizeof(struct replay_image));
                if (r < 0)
                        return r;
                struct replay_image *i = &t->images[t->n_images];
                *i = (struct replay_image) {};
                if (parse_i64(a[1], &i->created_s) < 0 || strchr(a[0], ':') == NULL)
                        return -EBADMSG;
                r = parse_list(a[2], t->n_layers, &i->layers, &i->n_layers);
                if (r < 0)
                        return r;
                if (!(i->tag = strdup(a[0]))) {
                        free(i->layers);
                        return -ENOMEM;
                }
                snprintf(i->id, sizeof i->id, "sha256:%064zx", t->n_images + 1);
                for (size_t k = 0; k < i->n_layers; k++)
                        i->size += t->layer_size[i->layers[k]];
                t->n_images++;
                return 0;
        }
        if (strcmp(word, "job") == 0) {
                if (n != 3)
                        return -EBADMSG;
                int r = grow((void **) &t->jobs, t->n_jobs, &alloc[3], sizeof(struct replay_job));
                if (r < 0)
                        return r;
                struct replay_job *j = &t->jobs[t->n_jobs];
                *j = (struct replay_job) {};
                if (parse_i64(a[0], &j->start_s) < 0 || parse_i64(a[1], &j->duration_s) < 0 || j->duration_s < 0 ||
                    (t->n_jobs > 0 && j->start_s < t->jobs[t->n_jobs - 1].start_s))
                        return -EBADMSG;
                r = parse_list(a[2], t->n_images, &j->images, &j->n_images);
                if (r < 0)
                        return r;
                t->n_jobs++;
                return 0;
        }
        return -EBADMSG;
}

int replay_trace_read(FILE *f, struct replay_trace **ret, unsigned *ret_line) {
        struct replay_trace *t = calloc(1, sizeof *t);
        char *line = malloc(LINE_MAX_BYTES);
        size_t alloc[4] = {};
        unsigned no = 0;
        int r = 0;
        if (!t || !line) {
                r = -ENOMEM;
                goto out;
        }
        while (fgets(line, LINE_MAX_BYTES, f)) {
                no++;
                size_t len = strlen(line);
                if (len == 0 || line[len - 1] != '\n') {
                        r = -EBADMSG;
                        break;
                }
                line[len - 1] = 0;
                if (no == 1) {
                        if (strcmp(line, "dockerclean-replay 1") != 0) {
                                r = -EBADMSG;
                                break;
                        }
                        continue;
                }
                r = parse_line(t, line, alloc);
                if (r < 0)
                        break;
        }
        if (r == 0 && (no == 0 || t->capacity == 0))
                r = -EBADMSG;
out:
        free(line);
        if (r < 0) {
                if (ret_line)
                        *ret_line = no;
                replay_trace_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

void replay_trace_free(struct replay_trace *t) {
        if (!t)
                return;
        for (size_t k = 0; k < t->n_params; k++)
                free(t->params[k]);
        free(t->params);
        for (size_t k = 0; k < t->n_images; k++) {
                free(t->images[k].tag);
                free(t->images[k].layers);
        }
        free(t->images);
        for (size_t k = 0; k < t->n_jobs; k++)
                free(t->jobs[k].images);
        free(t->jobs);
        free(t->layer_size);
        free(t);
}
