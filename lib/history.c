/* history.c: the image usage history (see history.h). File I/O only in load and save. */
#include "history.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docker-ref.h"
#include "fileio.h"
#include "macro.h"
#include "sort-util.h"
#include "strv.h"

#define KEY_MAX 512
#define LINE_MAX_BYTES 1024
#define FILE_MAX_BYTES ((size_t) 64 * 1024 * 1024)

struct entry {
        char *key;
        int64_t ns;
};

/* Sorted by key: binary search, and a deterministic file. */
struct table {
        struct entry *items;
        size_t n, allocated;
};

struct history {
        char *state_dir;               /* NULL = memory only */
        struct table ids;              /* "sha256:<64 hex>" */
        struct table names;            /* references and short ids not resolved yet */
        char **present;                /* NULL-terminated, sorted image ids of the last history_seed(); NULL = never seeded */
        size_t n_present;
        int64_t present_ns;
        char store[16];                /* the image store the ids belong to; "" = not recorded */
        bool dirty;
        bool dropped_stop_times;      /* the file held container stop times (now stop-times.h's) */
};

static bool key_valid(const char *key) {
        size_t n = strlen(key);
        if (n == 0 || n > KEY_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) key[i] <= ' ' || key[i] == 0x7f)
                        return false;
        return true;
}

/* ---- tables ------------------------------------------------------------------------------------- */

static int cmp_key_entry(const void *key, const void *element) {
        return strcmp(key, ((const struct entry *) element)->key);
}

/* Lower bound of key; *ret_found says whether it is there. */
static size_t table_search(const struct table *t, const char *key, bool *ret_found) {
        size_t i = sort_lower_bound(t->items, t->n, sizeof(*t->items), key, cmp_key_entry);
        *ret_found = i < t->n && streq(t->items[i].key, key);
        return i;
}

static int64_t table_get(const struct table *t, const char *key) {
        bool found;
        size_t i = table_search(t, key, &found);
        return found ? t->items[i].ns : 0;
}

/* Keeps the later time. 1 = changed, 0 = not, -ENOMEM. */
static int table_put(struct table *t, const char *key, int64_t ns) {
        bool found;
        size_t i = table_search(t, key, &found);
        if (found) {
                if (t->items[i].ns >= ns)
                        return 0;
                t->items[i].ns = ns;
                return 1;
        }
        if (t->n == t->allocated) {
                size_t n = MAX(t->allocated * 2, (size_t) 64);
                struct entry *e = reallocarray(t->items, n, sizeof(*e));
                if (!e)
                        return -ENOMEM;
                t->items = e;
                t->allocated = n;
        }
        char *k = strdup(key);
        if (!k)
                return -ENOMEM;
        memmove(t->items + i + 1, t->items + i, (t->n - i) * sizeof(*t->items));
        t->items[i] = (struct entry) { k, ns };
        t->n++;
        return 1;
}

static void table_remove_at(struct table *t, size_t i) {
        free(t->items[i].key);
        memmove(t->items + i, t->items + i + 1, (t->n - i - 1) * sizeof(*t->items));
        t->n--;
}

static void table_done(struct table *t) {
        for (size_t i = 0; i < t->n; i++)
                free(t->items[i].key);
        free(t->items);
        *t = (struct table) {};
}

/* ---- names -------------------------------------------------------------------------------------- */

/* "sha256:<hex>" for a full id, also for a bare 64-hex one (as Podman writes ids); NULL for anything else. */
static const char *normalize_id(const char *id, char buf[static DOCKER_REF_ID_SIZE]) {
        const char *n = docker_ref_id_normalize(id, buf);
        return docker_ref_is_full_id(n) ? n : NULL;
}

/* Routes a key to its table: full ids to ids, the rest to names. */
static int history_put(struct history *h, const char *key, int64_t ns) {
        char buf[DOCKER_REF_ID_SIZE];
        const char *id = normalize_id(key, buf);
        int r = table_put(id ? &h->ids : &h->names, id ? id : key, ns);
        if (r > 0)
                h->dirty = true;
        return r;
}

/* Equal in the familiar form: Podman lists "docker.io/library/busybox:latest", events say "busybox". */
static bool refs_equal(const char *a, const char *b) {
        char na[KEY_MAX + 32], nb[KEY_MAX + 32];
        if (streq(a, b))
                return true;
        docker_ref_familiar(a, na, sizeof(na));
        docker_ref_familiar(b, nb, sizeof(nb));
        return streq(na, nb);
}

static bool name_matches_image(const char *name, const char *id, char *const *tags, char *const *digests) {
        if (id && docker_ref_is_short_id_of(name, id))
                return true;
        for (char *const *t = tags; t && *t; t++)
                if (refs_equal(name, *t))
                        return true;
        for (char *const *d = digests; d && *d; d++)
                if (refs_equal(name, *d))
                        return true;
        return false;
}

/* ---- life cycle --------------------------------------------------------------------------------- */

static void present_done(struct history *h) {
        strv_freep(&h->present);
        h->n_present = 0;
}

void history_free(struct history *h) {
        if (!h)
                return;
        table_done(&h->ids);
        table_done(&h->names);
        present_done(h);
        free(h->state_dir);
        free(h);
}

static void history_freep(struct history **h) {
        history_free(*h);
}

int history_new(const char *state_dir, struct history **ret) {
        if (!ret)
                return -EINVAL;
        _cleanup_(history_freep) struct history *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        if (state_dir && *state_dir && !(h->state_dir = strdup(state_dir)))
                return -ENOMEM;
        *ret = TAKE_PTR(h);
        return 0;
}

size_t history_size(const struct history *h) {
        return h ? h->ids.n + h->names.n : 0;
}

bool history_dirty(const struct history *h) {
        return h && h->dirty;
}

/* ---- uses --------------------------------------------------------------------------------------- */

int history_note_use(struct history *h, const char *image, int64_t time_ns) {
        if (!h || !image || !key_valid(image) || time_ns <= 0)
                return -EINVAL;
        return history_put(h, image, time_ns);
}

int history_note_event(struct history *h, const char *type, const char *action, const char *actor_id,
                       const char *image, int64_t time_ns) {
        static char *const container_uses[] = { "create", "start", "die", "commit", NULL };
        /* "create": API 1.46+ sends one for every image a build makes. */
        static char *const image_uses[] = { "pull", "tag", "load", "import", "build", "commit", "create", NULL };
        const char *name = NULL;

        if (!h)
                return -EINVAL;
        if (!type || !action)
                return 0;
        if (streq(type, "container") && strv_contains(container_uses, action))
                name = image;
        else if (streq(type, "image") && strv_contains(image_uses, action))
                name = actor_id;
        if (!name || !*name)
                return 0;
        int r = history_note_use(h, name, time_ns);
        return r < 0 ? r : 1;
}

static int cmp_container_image(const void *a, const void *b) {
        return strcmp((*(const struct policy_container *const *) a)->image_id,
                      (*(const struct policy_container *const *) b)->image_id);
}

static int cmp_id_container_image(const void *key, const void *element) {
        return strcmp(key, (*(const struct policy_container *const *) element)->image_id);
}

/* A reference of an image in its familiar form ("busybox:latest"), for looking names up. */
struct ref_entry {
        char *familiar;
        size_t image;
};

static int cmp_ref_entry(const void *a, const void *b) {
        return strcmp(((const struct ref_entry *) a)->familiar, ((const struct ref_entry *) b)->familiar);
}

static int cmp_key_ref_entry(const void *key, const void *element) {
        return strcmp(key, ((const struct ref_entry *) element)->familiar);
}

/* An image id's hex digits, for short-id prefixes. */
struct hex_entry {
        char hex[DOCKER_REF_ID_HEX_LEN + 1];
        size_t image;
};

static int cmp_hex_entry(const void *a, const void *b) {
        return strcmp(((const struct hex_entry *) a)->hex, ((const struct hex_entry *) b)->hex);
}

static int cmp_key_hex_entry(const void *key, const void *element) {
        return strcmp(key, ((const struct hex_entry *) element)->hex);
}

struct ref_list {
        struct ref_entry *items;
        size_t n, allocated;
};

static void ref_list_done(struct ref_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].familiar);
        free(l->items);
        *l = (struct ref_list) {};
}

static int ref_list_add(struct ref_list *l, const char *ref, size_t image) {
        char fam[KEY_MAX + 32];
        if (l->n == l->allocated) {
                size_t k = MAX(l->allocated * 2, (size_t) 256);
                struct ref_entry *p = reallocarray(l->items, k, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                l->items = p;
                l->allocated = k;
        }
        docker_ref_familiar(ref, fam, sizeof(fam));
        if (!(l->items[l->n].familiar = strdup(fam)))
                return -ENOMEM;
        l->items[l->n++].image = image;
        return 0;
}

/* Folds each name that names an image (a tag or digest in the familiar form, or a short id) into that
 * image's id entry, and drops it. The images' references and ids are indexed once, so that thousands of
 * names (the image references of a day of container events) against thousands of images stay cheap. */
int history_resolve_names(struct history *h, const struct policy_image *images, size_t n_images) {
        char buf[DOCKER_REF_ID_SIZE], fam[KEY_MAX + 32];
        int r = 0;

        if (!h || (n_images > 0 && !images))
                return -EINVAL;
        if (h->names.n == 0 || n_images == 0)
                return 0;
        _cleanup_(ref_list_done) struct ref_list refs = {};
        size_t n_hex = 0;
        _cleanup_free_ struct hex_entry *hexes = calloc(n_images, sizeof(*hexes));
        _cleanup_free_ const char **ids = calloc(n_images, sizeof(*ids)); /* normalized, per image */
        _cleanup_free_ char (*idbuf)[DOCKER_REF_ID_SIZE] = calloc(n_images, sizeof(*idbuf));
        if (!hexes || !ids || !idbuf)
                return -ENOMEM;
        for (size_t j = 0; j < n_images; j++) {
                const char *id = images[j].id ? normalize_id(images[j].id, buf) : NULL;
                if (!id)
                        continue;
                memcpy(idbuf[j], id, DOCKER_REF_ID_SIZE);
                ids[j] = idbuf[j];
                hexes[n_hex].image = j;
                memcpy(hexes[n_hex].hex, docker_ref_id_hex(id), DOCKER_REF_ID_HEX_LEN + 1);
                n_hex++;
                for (char *const *t = images[j].tags; t && *t; t++)
                        if ((r = ref_list_add(&refs, *t, j)) < 0)
                                return r;
                for (char *const *t = images[j].digests; t && *t; t++)
                        if ((r = ref_list_add(&refs, *t, j)) < 0)
                                return r;
        }
        if (refs.n > 0)
                qsort(refs.items, refs.n, sizeof(*refs.items), cmp_ref_entry);
        qsort(hexes, n_hex, sizeof(*hexes), cmp_hex_entry);

        /* Only full ids are written here, so the names table does not move under the loop. */
        for (size_t i = h->names.n; i-- > 0;) {
                const struct entry *e = &h->names.items[i];
                bool matched = false;
                docker_ref_familiar(e->key, fam, sizeof(fam));
                size_t k = refs.n > 0 ? sort_lower_bound(refs.items, refs.n, sizeof(*refs.items), fam, cmp_key_ref_entry) : 0;
                for (; k < refs.n && streq(refs.items[k].familiar, fam); k++) {
                        if ((r = table_put(&h->ids, ids[refs.items[k].image], e->ns)) < 0)
                                return r;
                        matched = true;
                }
                const char *hex = docker_ref_id_hex(e->key);
                size_t n = strlen(hex);
                if (n >= DOCKER_REF_SHORT_ID_MIN && n <= DOCKER_REF_ID_HEX_LEN && docker_ref_is_hex(hex, n))
                        for (k = sort_lower_bound(hexes, n_hex, sizeof(*hexes), hex, cmp_key_hex_entry);
                             k < n_hex && strncmp(hexes[k].hex, hex, n) == 0; k++) {
                                if ((r = table_put(&h->ids, ids[hexes[k].image], e->ns)) < 0)
                                        return r;
                                matched = true;
                        }
                if (matched) {
                        table_remove_at(&h->names, i);
                        h->dirty = true;
                }
        }
        return 0;
}

int history_seed(struct history *h, const struct policy_snapshot *s, int64_t now_ns) {
        char buf[DOCKER_REF_ID_SIZE];
        int r;

        if (!h || !s || (s->n_images > 0 && !s->images) || (s->n_containers > 0 && !s->containers))
                return -EINVAL;

        /* Names first, while they still point where they pointed when they were used. */
        r = history_resolve_names(h, s->images, s->n_images);
        if (r < 0)
                return r;

        /* Containers sorted by image id, so each image finds its own without a scan of all of them. */
        _cleanup_free_ const struct policy_container **byimg = calloc(s->n_containers + 1, sizeof(*byimg));
        if (!byimg)
                return -ENOMEM;
        size_t nb = 0;
        for (size_t k = 0; k < s->n_containers; k++)
                if (s->containers[k].image_id)
                        byimg[nb++] = &s->containers[k];
        qsort(byimg, nb, sizeof(*byimg), cmp_container_image);
        for (size_t j = 0; j < s->n_images; j++) {
                const struct policy_image *im = &s->images[j];
                const char *id = im->id ? normalize_id(im->id, buf) : NULL;
                if (!id)
                        continue;
                int64_t t = MAX(im->created_ns, im->last_tag_time_ns);
                size_t first = sort_lower_bound(byimg, nb, sizeof(*byimg), im->id, cmp_id_container_image);
                for (size_t k = first; k < nb; k++) {
                        const struct policy_container *c = byimg[k];
                        if (!streq(c->image_id, im->id))
                                break;
                        t = MAX(t, MAX(c->created_ns, c->finished_at_ns));
                        if (engine_container_state_is_active(c->state))
                                t = MAX(t, now_ns);
                }
                if (t > 0) {
                        r = history_put(h, id, t);
                        if (r < 0)
                                return r;
                }
        }

        /* Remember what exists, for pruning at save time. */
        _cleanup_strv_free_ char **present = calloc(s->n_images + 1, sizeof(char *));
        if (!present)
                return -ENOMEM;
        size_t n = 0;
        for (size_t j = 0; j < s->n_images; j++) {
                const char *id = s->images[j].id ? normalize_id(s->images[j].id, buf) : NULL;
                if (!id)
                        continue;
                present[n] = strdup(id);
                if (!present[n])
                        return -ENOMEM;
                n++;
        }
        qsort(present, n, sizeof(char *), strv_compare_entries);
        present_done(h);
        h->present = TAKE_PTR(present);
        h->n_present = n;
        h->present_ns = now_ns;
        return 0;
}

int history_unseed_image(struct history *h, const char *id, int64_t created_ns) {
        char buf[DOCKER_REF_ID_SIZE];
        bool found;
        const char *key = h && id ? normalize_id(id, buf) : NULL;
        if (!key)
                return 0;
        size_t i = table_search(&h->ids, key, &found);
        if (!found || h->ids.items[i].ns > created_ns)
                return 0;
        table_remove_at(&h->ids, i);
        h->dirty = true;
        return 1;
}

static int64_t last_used(const struct history *h, const char *id, char *const *tags, char *const *digests) {
        char buf[DOCKER_REF_ID_SIZE];
        const char *key = id ? normalize_id(id, buf) : NULL;
        int64_t t = key ? table_get(&h->ids, key) : 0;

        for (size_t i = 0; i < h->names.n; i++)
                if (name_matches_image(h->names.items[i].key, id, tags, digests))
                        t = MAX(t, h->names.items[i].ns);
        return t;
}

int64_t history_last_used(const struct history *h, const char *id, char *const *tags) {
        return h ? last_used(h, id, tags, NULL) : 0;
}

void history_fill_snapshot(const struct history *h, struct policy_image *images, size_t n_images) {
        for (size_t i = 0; h && i < n_images; i++)
                images[i].last_used_ns = last_used(h, images[i].id, images[i].tags, images[i].digests);
}

/* ---- files -------------------------------------------------------------------------------------- */

static int history_path(const char *dir, char **ret) {
        char *p;
        if (asprintf(&p, "%s/%s", dir, HISTORY_FILE_NAME) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* Parses one "KEY NS" line (newline already cut). */
static int parse_entry(struct history *h, char *line) {
        char *sp = strchr(line, ' ');
        if (!sp || sp == line)
                return -EBADMSG;
        *sp = 0;
        const char *num = sp + 1;
        size_t n = strlen(num);
        /* digits only: strtoll alone would take signs, spaces and "0x" */
        if (n == 0 || n > 19 || strspn(num, "0123456789") != n)
                return -EBADMSG;
        errno = 0;
        long long v = strtoll(num, NULL, 10);
        if (errno != 0 || v <= 0 || !key_valid(line))
                return -EBADMSG;
        if (line[0] == '@') {
                /* A container's stop time, as kept before container-stops (stop-times.h, which reads it
                 * from here once): dropped, and the file rewritten without it. */
                h->dropped_stop_times = true;
                return 0;
        }
        int r = history_put(h, line, (int64_t) v);
        return r < 0 ? r : 0;
}

/* Reads the whole file into h; *ret_line_no is the line it stopped at (1-based), also on failure. */
static int parse_file(FILE *f, struct history *h, unsigned *ret_line_no) {
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;
        unsigned line_no = 0;
        int r;

        *ret_line_no = 1;
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
                if (line_no == 1) {
                        if (!streq(line, HISTORY_HEADER))
                                return -EBADMSG;
                        continue;
                }
                /* "store NAME" on line 2 (absent in files written before it was kept). */
                if (line_no == 2 && startswith(line, HISTORY_STORE_PREFIX)) {
                        const char *name = line + strlen(HISTORY_STORE_PREFIX);
                        if (!*name || strlen(name) >= sizeof h->store || !key_valid(name))
                                return -EBADMSG;
                        snprintf(h->store, sizeof h->store, "%s", name);
                        continue;
                }
                r = parse_entry(h, line);
                if (r < 0)
                        return r;
        }
        return line_no == 0 ? -EBADMSG : 0; /* empty: the header is missing */
}

int history_load_full(const char *state_dir, struct history **ret, unsigned *error_line) {
        _cleanup_(history_freep) struct history *h = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        unsigned line_no;
        int r;

        if (!state_dir || !*state_dir || !ret)
                return -EINVAL;
        r = history_path(state_dir, &path);
        if (r < 0)
                return r;
        /* Not blocking on a FIFO, not following a link, only a regular file: see fileio_open_regular(). */
        r = fileio_open_regular(path, FILE_MAX_BYTES, &f, NULL);
        if (r < 0)
                return r;
        r = history_new(state_dir, &h);
        if (r < 0)
                return r;
        r = parse_file(f, h, &line_no);
        if (r < 0) {
                if (r == -EBADMSG && error_line)
                        *error_line = line_no;
                return r;
        }
        h->dirty = h->dropped_stop_times;
        *ret = TAKE_PTR(h);
        return 0;
}

int history_load(const char *state_dir, struct history **ret) {
        return history_load_full(state_dir, ret, NULL);
}

static bool present_contains(const struct history *h, const char *id) {
        return bsearch(&id, h->present, h->n_present, sizeof(char *), strv_compare_entries);
}

/* Forgets entries for images that were gone at the last seed, except uses noted since. */
static void history_prune(struct history *h) {
        if (!h->present)
                return;
        for (size_t i = h->ids.n; i-- > 0;)
                if (h->ids.items[i].ns < h->present_ns && !present_contains(h, h->ids.items[i].key)) {
                        table_remove_at(&h->ids, i);
                        h->dirty = true;
                }
        /* Names that matched an image were folded at seed time; those left named nothing then. */
        for (size_t i = h->names.n; i-- > 0;)
                if (h->names.items[i].ns < h->present_ns) {
                        table_remove_at(&h->names, i);
                        h->dirty = true;
                }
}

static int write_table(FILE *f, const struct table *t) {
        for (size_t i = 0; i < t->n; i++)
                if (fprintf(f, "%s %" PRIi64 "\n", t->items[i].key, t->items[i].ns) < 0)
                        return -EIO;
        return 0;
}

static int write_content(FILE *f, const void *userdata) {
        const struct history *h = userdata;
        if (fprintf(f, "%s\n", HISTORY_HEADER) < 0 ||
            (h->store[0] && fprintf(f, HISTORY_STORE_PREFIX "%s\n", h->store) < 0) || write_table(f, &h->ids) < 0 ||
            write_table(f, &h->names) < 0)
                return -EIO;
        return 0;
}

int history_save_full(struct history *h, char *why, size_t why_size) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (why && why_size > 0)
                why[0] = 0;
        if (!h)
                return -EINVAL;
        history_prune(h);
        if (!h->state_dir || !h->dirty)
                return 0;
        r = history_path(h->state_dir, &path);
        if (r < 0)
                return r;
        /* systemd's StateDirectory= makes it; a hand-run daemon may not have. One level only. */
        if (mkdir(h->state_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();

        r = fileio_write_atomic(path, 0644, write_content, h, why, why_size);
        if (r < 0)
                return r;
        h->dirty = false;
        return 0;
}

int history_save(struct history *h) {
        return history_save_full(h, NULL, 0);
}

const char *history_store(const struct history *h) {
        return h ? h->store : "";
}

int history_set_store(struct history *h, const char *store) {
        if (!h || !store || !*store || strlen(store) >= sizeof h->store || !key_valid(store))
                return -EINVAL;
        if (streq(h->store, store))
                return 0;
        snprintf(h->store, sizeof h->store, "%s", store);
        h->dirty = true;
        return 1;
}
