/* stop-times.c: the stopped containers' stop times (see stop-times.h). File I/O only in load and save. */
#include "stop-times.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "docker-ref.h"
#include "fileio.h"
#include "history.h"
#include "macro.h"
#include "sort-util.h"
#include "strv.h"

#define LINE_MAX_BYTES 1024
#define FILE_MAX_BYTES ((size_t) 64 * 1024 * 1024)

/* A stopped container: its id (64 hex digits), when it stopped, its writable layer's size (-1 unknown). */
struct stop_time {
        char id[65];
        int64_t finished_ns;
        int64_t size_rw;
};

struct stop_times {
        char *state_dir;               /* NULL = memory only */
        struct stop_time *items;       /* sorted by id */
        size_t n, allocated;
        bool dirty;
};

/* ---- life cycle --------------------------------------------------------------------------------- */

void stop_times_free(struct stop_times *st) {
        if (!st)
                return;
        free(st->items);
        free(st->state_dir);
        free(st);
}

static void stop_times_freep(struct stop_times **st) {
        stop_times_free(*st);
}

int stop_times_new(const char *state_dir, struct stop_times **ret) {
        if (!ret)
                return -EINVAL;
        _cleanup_(stop_times_freep) struct stop_times *st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        if (state_dir && *state_dir && !(st->state_dir = strdup(state_dir)))
                return -ENOMEM;
        *ret = TAKE_PTR(st);
        return 0;
}

size_t stop_times_size(const struct stop_times *st) {
        return st ? st->n : 0;
}

bool stop_times_dirty(const struct stop_times *st) {
        return st && st->dirty;
}

/* ---- entries ------------------------------------------------------------------------------------ */

static int cmp_id_stop_time(const void *key, const void *element) {
        return strcmp(key, ((const struct stop_time *) element)->id);
}

/* Container id's entry, or NULL. */
static struct stop_time *find(const struct stop_times *st, const char *id) {
        return st->n > 0 ? bsearch(id, st->items, st->n, sizeof(*st->items), cmp_id_stop_time) : NULL;
}

static void remove_at(struct stop_times *st, size_t i) {
        memmove(st->items + i, st->items + i + 1, (st->n - i - 1) * sizeof(*st->items));
        st->n--;
        st->dirty = true;
}

int stop_times_note(struct stop_times *st, const char *id, int64_t finished_ns, int64_t size_rw) {
        if (!st || !id || !docker_ref_is_hex64(id) || finished_ns <= 0)
                return -EINVAL;
        size_rw = size_rw < 0 ? -1 : size_rw;
        struct stop_time *c = find(st, id);
        if (c) {
                if (finished_ns < c->finished_ns || (finished_ns == c->finished_ns && (size_rw < 0 || size_rw == c->size_rw)))
                        return 0;
                c->size_rw = size_rw;
                c->finished_ns = finished_ns;
                st->dirty = true;
                return 1;
        }
        if (st->n == st->allocated) {
                size_t n = MAX(st->allocated * 2, (size_t) 64);
                struct stop_time *items = reallocarray(st->items, n, sizeof(*items));
                if (!items)
                        return -ENOMEM;
                st->items = items;
                st->allocated = n;
        }
        size_t i = sort_lower_bound(st->items, st->n, sizeof(*st->items), id, cmp_id_stop_time);
        memmove(st->items + i + 1, st->items + i, (st->n - i) * sizeof(*st->items));
        st->items[i] = (struct stop_time) { .finished_ns = finished_ns, .size_rw = size_rw };
        memcpy(st->items[i].id, id, sizeof(st->items[i].id));
        st->n++;
        st->dirty = true;
        return 1;
}

int stop_times_forget(struct stop_times *st, const char *id) {
        const struct stop_time *c = st && id ? find(st, id) : NULL;
        if (!c)
                return 0;
        remove_at(st, (size_t) (c - st->items));
        return 1;
}

int stop_times_get(const struct stop_times *st, const char *id, int64_t *ret_finished_ns, int64_t *ret_size_rw) {
        const struct stop_time *c = st && id ? find(st, id) : NULL;
        if (!c)
                return 0;
        if (ret_finished_ns)
                *ret_finished_ns = c->finished_ns;
        if (ret_size_rw)
                *ret_size_rw = c->size_rw;
        return 1;
}

int stop_times_note_event(struct stop_times *st, const char *type, const char *action, const char *actor_id,
                          int64_t time_ns) {
        static char *const stops[] = { "die", "stop", NULL };
        static char *const forgets[] = { "start", "restart", "destroy", "remove", NULL };

        if (!st)
                return -EINVAL;
        if (!type || !action || !streq(type, "container") || !actor_id || !docker_ref_is_hex64(actor_id))
                return 0;
        if (strv_contains(stops, action) && time_ns > 0)
                return stop_times_note(st, actor_id, time_ns, -1);
        if (strv_contains(forgets, action))
                return stop_times_forget(st, actor_id);
        return 0;
}

static int cmp_str_ptr(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int stop_times_forget_unlisted(struct stop_times *st, const struct policy_snapshot *s) {
        if (!st || !s || (s->n_containers > 0 && !s->containers))
                return -EINVAL;
        if (st->n == 0)
                return 0;
        _cleanup_free_ const char **listed = calloc(s->n_containers + 1, sizeof(*listed));
        if (!listed)
                return -ENOMEM;
        size_t n = 0;
        for (size_t k = 0; k < s->n_containers; k++)
                if (s->containers[k].id)
                        listed[n++] = s->containers[k].id;
        qsort(listed, n, sizeof(*listed), cmp_str_ptr);
        for (size_t i = st->n; i-- > 0;) {
                const char *id = st->items[i].id;
                if (!bsearch(&id, listed, n, sizeof(*listed), cmp_str_ptr))
                        remove_at(st, i);
        }
        return 0;
}

/* ---- files -------------------------------------------------------------------------------------- */

/* A decimal number of 1 to 19 digits and nothing else (strtoll alone would take signs, spaces, "0x"). */
static int parse_number(const char *s, size_t n, int64_t *ret) {
        char buf[20];
        if (n == 0 || n > 19 || strspn(s, "0123456789") < n)
                return -EBADMSG;
        memcpy(buf, s, n);
        buf[n] = 0;
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        if (errno != 0)
                return -EBADMSG;
        *ret = (int64_t) v;
        return 0;
}

/* Notes one entry: id (not NUL-terminated, must be 64 characters), its stop time and size (-1). */
static int note_parsed(struct stop_times *st, const char *id, size_t n_id, int64_t finished_ns, int64_t size_rw) {
        char buf[65];
        if (n_id != 64 || finished_ns <= 0)
                return -EBADMSG;
        memcpy(buf, id, 64);
        buf[64] = 0;
        int r = stop_times_note(st, buf, finished_ns, size_rw);
        return r == -EINVAL ? -EBADMSG : r < 0 ? r : 0;
}

/* "ID FINISHED_NS" or "ID FINISHED_NS SIZE_RW" (container-stops). */
static int parse_line(struct stop_times *st, const char *line) {
        const char *sp1 = strchr(line, ' ');
        if (!sp1)
                return -EBADMSG;
        const char *num = sp1 + 1, *sp2 = strchr(num, ' ');
        int64_t finished_ns, size_rw = -1;
        int r = parse_number(num, sp2 ? (size_t) (sp2 - num) : strlen(num), &finished_ns);
        if (r < 0)
                return r;
        if (sp2 && (r = parse_number(sp2 + 1, strlen(sp2 + 1), &size_rw)) < 0)
                return r;
        return note_parsed(st, line, (size_t) (sp1 - line), finished_ns, size_rw);
}

/* "@ID FINISHED_NS" or "@ID/SIZE_RW FINISHED_NS" (the usage history's, before container-stops); the
 * history's other lines are its own. */
static int parse_history_line(struct stop_times *st, const char *line) {
        if (line[0] != '@')
                return 0;
        const char *sp = strchr(line, ' ');
        if (!sp)
                return -EBADMSG;
        const char *id = line + 1, *slash = memchr(id, '/', (size_t) (sp - id));
        int64_t finished_ns, size_rw = -1;
        int r = parse_number(sp + 1, strlen(sp + 1), &finished_ns);
        if (r < 0)
                return r;
        if (slash && (r = parse_number(slash + 1, (size_t) (sp - slash - 1), &size_rw)) < 0)
                return r;
        return note_parsed(st, id, (size_t) ((slash ? slash : sp) - id), finished_ns, size_rw);
}

/* Reads the file at path, whose first line must be header, passing every other line to parse. */
static int parse_file(const char *path, const char *header, int (*parse)(struct stop_times *, const char *),
                      struct stop_times *st, unsigned *ret_line_no) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;
        unsigned line_no = 0;

        *ret_line_no = 1;
        /* Not blocking on a FIFO, not following a link, only a regular file: see fileio_open_regular(). */
        int r = fileio_open_regular(path, FILE_MAX_BYTES, &f, NULL);
        if (r < 0)
                return r;
        for (;;) {
                errno = 0;
                ssize_t n = getline(&line, &allocated, f);
                if (n < 0) {
                        if (ferror(f))
                                return errno > 0 ? -errno : -EIO;
                        break;
                }
                *ret_line_no = ++line_no;
                /* A line without its newline is a torn or hand-mangled file: reject rather than guess. */
                if (n > LINE_MAX_BYTES || memchr(line, 0, (size_t) n) || line[n - 1] != '\n')
                        return -EBADMSG;
                line[n - 1] = 0;
                r = line_no == 1 ? (streq(line, header) ? 0 : -EBADMSG) : parse(st, line);
                if (r < 0)
                        return r;
        }
        return line_no == 0 ? -EBADMSG : 0; /* empty: the header is missing */
}

static int path_of(const char *dir, const char *name, char **ret) {
        char *p;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* The stop times an older daemon kept in the usage history: 0 with *ret set (dirty, so that the next save
 * writes container-stops) when it had any, else -ENOENT. */
static int migrate_from_history(const char *state_dir, struct stop_times **ret) {
        _cleanup_(stop_times_freep) struct stop_times *st = NULL;
        _cleanup_free_ char *path = NULL;
        unsigned line_no;
        int r = path_of(state_dir, HISTORY_FILE_NAME, &path);
        if (r < 0)
                return r;
        r = stop_times_new(state_dir, &st);
        if (r < 0)
                return r;
        r = parse_file(path, HISTORY_HEADER, parse_history_line, st, &line_no);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || st->n == 0)
                return -ENOENT; /* a history that cannot be read is the history's to say */
        *ret = TAKE_PTR(st);
        return 0;
}

int stop_times_load(const char *state_dir, struct stop_times **ret, unsigned *error_line) {
        _cleanup_(stop_times_freep) struct stop_times *st = NULL;
        _cleanup_free_ char *path = NULL;
        unsigned line_no;
        int r;

        if (!state_dir || !*state_dir || !ret)
                return -EINVAL;
        r = path_of(state_dir, STOP_TIMES_FILE_NAME, &path);
        if (r < 0)
                return r;
        r = stop_times_new(state_dir, &st);
        if (r < 0)
                return r;
        r = parse_file(path, STOP_TIMES_HEADER, parse_line, st, &line_no);
        if (r == -ENOENT)
                return migrate_from_history(state_dir, ret);
        if (r < 0) {
                if (r == -EBADMSG && error_line)
                        *error_line = line_no;
                return r;
        }
        st->dirty = false;
        *ret = TAKE_PTR(st);
        return 0;
}

static int write_content(FILE *f, const void *userdata) {
        const struct stop_times *st = userdata;
        if (fprintf(f, "%s\n", STOP_TIMES_HEADER) < 0)
                return -EIO;
        for (size_t i = 0; i < st->n; i++) {
                const struct stop_time *c = &st->items[i];
                int r = c->size_rw >= 0 ? fprintf(f, "%s %" PRIi64 " %" PRIi64 "\n", c->id, c->finished_ns, c->size_rw)
                                        : fprintf(f, "%s %" PRIi64 "\n", c->id, c->finished_ns);
                if (r < 0)
                        return -EIO;
        }
        return 0;
}

int stop_times_save(struct stop_times *st, char *why, size_t why_size) {
        _cleanup_free_ char *path = NULL;

        if (why && why_size > 0)
                why[0] = 0;
        if (!st)
                return -EINVAL;
        if (!st->state_dir || !st->dirty)
                return 0;
        int r = path_of(st->state_dir, STOP_TIMES_FILE_NAME, &path);
        if (r < 0)
                return r;
        /* systemd's StateDirectory= makes it; a hand-run daemon may not have. One level only. */
        if (mkdir(st->state_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        r = fileio_write_atomic(path, 0644, write_content, st, why, why_size);
        if (r < 0)
                return r;
        st->dirty = false;
        return 0;
}
