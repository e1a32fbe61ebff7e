/* lease.c: image leases (see lease.h). */
#include "lease.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "strv.h"

static void lease_done(struct lease *l) {
        strv_freep(&l->image_ids);
        strv_freep(&l->refs);
}

void lease_set_done(struct lease_set *s) {
        for (size_t i = 0; i < s->n; i++)
                lease_done(&s->items[i]);
        free(s->items);
        *s = (struct lease_set){};
}

bool lease_id_valid(const char *id) {
        return id && strlen(id) == LEASE_ID_LEN && strspn(id, "0123456789abcdef") == LEASE_ID_LEN;
}

void lease_id_format(const uint8_t bytes[static 8], char ret[static LEASE_ID_LEN + 1]) {
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < 8; i++) {
                ret[2 * i] = hex[bytes[i] >> 4];
                ret[2 * i + 1] = hex[bytes[i] & 15];
        }
        ret[LEASE_ID_LEN] = 0;
}

int lease_set_find(const struct lease_set *s, const char *id) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->items[i].id, id))
                        return (int) i;
        return -ENOENT;
}

int lease_set_add(struct lease_set *s, const char *id, int64_t until_ns, uint32_t uid, char ***image_ids, char ***refs) {
        if (!lease_id_valid(id) || strv_isempty(*image_ids) || strv_length(*image_ids) > LEASE_IMAGES_MAX ||
            strv_length(*refs) != strv_length(*image_ids))
                return -EINVAL;
        if (s->n >= LEASE_SET_MAX)
                return -E2BIG;
        if (lease_set_find(s, id) >= 0)
                return -EEXIST;
        struct lease *n = realloc(s->items, (s->n + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        s->items = n;
        struct lease *l = &s->items[s->n++];
        *l = (struct lease){ .until_ns = until_ns, .uid = uid, .image_ids = TAKE_PTR(*image_ids), .refs = TAKE_PTR(*refs) };
        memcpy(l->id, id, LEASE_ID_LEN + 1);
        return 0;
}

void lease_set_remove(struct lease_set *s, size_t i) {
        if (i >= s->n)
                return;
        lease_done(&s->items[i]);
        memmove(&s->items[i], &s->items[i + 1], (s->n - i - 1) * sizeof *s->items);
        s->n--;
}

size_t lease_set_expire(struct lease_set *s, int64_t now_ns) {
        size_t gone = 0;
        for (size_t i = s->n; i-- > 0;)
                if (s->items[i].until_ns <= now_ns) {
                        lease_set_remove(s, i);
                        gone++;
                }
        return gone;
}

uint64_t lease_set_bytes(const struct lease_set *s) {
        uint64_t b = 0;
        for (size_t i = 0; i < s->n; i++)
                b += s->items[i].bytes;
        return b;
}

int64_t lease_set_next_end(const struct lease_set *s) {
        int64_t next = 0;
        for (size_t i = 0; i < s->n; i++)
                if (next == 0 || s->items[i].until_ns < next)
                        next = s->items[i].until_ns;
        return next;
}

int lease_set_image_ids(const struct lease_set *s, char ***ret) {
        _cleanup_strv_free_ char **l = strv_new_empty();
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++)
                for (char **id = s->items[i].image_ids; id && *id; id++)
                        if (!strv_contains(l, *id)) {
                                int r = strv_push_dup(&l, *id);
                                if (r < 0)
                                        return r;
                        }
        *ret = TAKE_PTR(l);
        return 0;
}

static json_t *strv_to_json(char *const *l) {
        json_t *a = json_array();
        for (; a && l && *l; l++)
                if (json_array_append_new(a, json_string(*l)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

int lease_set_write(const struct lease_set *s, FILE *f) {
        json_t *all = json_array();
        for (size_t i = 0; all && i < s->n; i++) {
                const struct lease *l = &s->items[i];
                json_t *o = json_pack("{s:s, s:I, s:I, s:o, s:o, s:I}", "id", l->id, "until_ns", (json_int_t) l->until_ns, "uid",
                                      (json_int_t) l->uid, "images", strv_to_json(l->image_ids), "refs", strv_to_json(l->refs),
                                      "bytes", (json_int_t) MIN(l->bytes, (uint64_t) INT64_MAX));
                if (!o || json_array_append_new(all, o) < 0) {
                        json_decref(all);
                        return -ENOMEM;
                }
        }
        json_t *root = all ? json_pack("{s:o}", "leases", all) : NULL;
        if (!root)
                return -ENOMEM;
        int r = json_dumpf(root, f, JSON_INDENT(1)) < 0 || fputc('\n', f) == EOF ? -EIO : 0;
        json_decref(root);
        return r;
}

static int json_strv(const json_t *a, char ***ret) {
        if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > LEASE_IMAGES_MAX)
                return -EBADMSG;
        _cleanup_strv_free_ char **l = strv_new_empty();
        if (!l)
                return -ENOMEM;
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v) {
                const char *s = json_string_value(v);
                if (!s || !*s)
                        return -EBADMSG;
                int r = strv_push_dup(&l, s);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int lease_set_parse(const char *text, size_t n, struct lease_set *ret) {
        if (n > LEASE_FILE_MAX)
                return -EFBIG;
        json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
        json_t *all = json_object_get(root, "leases");
        int r = json_is_array(all) ? 0 : -EBADMSG;
        struct lease_set s = {};
        size_t i;
        json_t *o;
        if (r == 0)
                json_array_foreach(all, i, o) {
                        const char *id = json_string_value(json_object_get(o, "id"));
                        json_t *until = json_object_get(o, "until_ns"), *uid = json_object_get(o, "uid");
                        _cleanup_strv_free_ char **ids = NULL, **refs = NULL;
                        if (!id || !json_is_integer(until) || !json_is_integer(uid) || json_integer_value(uid) < 0 ||
                            json_integer_value(uid) > UINT32_MAX)
                                r = -EBADMSG;
                        if (r == 0)
                                r = json_strv(json_object_get(o, "images"), &ids);
                        if (r == 0)
                                r = json_strv(json_object_get(o, "refs"), &refs);
                        if (r == 0)
                                r = lease_set_add(&s, id, (int64_t) json_integer_value(until), (uint32_t) json_integer_value(uid),
                                                  &ids, &refs);
                        if (r < 0)
                                break;
                        json_t *bytes = json_object_get(o, "bytes"); /* optional */
                        if (s.n > 0 && json_is_integer(bytes) && json_integer_value(bytes) > 0)
                                s.items[s.n - 1].bytes = (uint64_t) json_integer_value(bytes);
                }
        json_decref(root);
        if (r < 0) {
                lease_set_done(&s);
                return r == -ENOMEM ? r : -EBADMSG;
        }
        *ret = s;
        return 0;
}

static int lease_path(const char *state_dir, char **ret) {
        if (!state_dir || !*state_dir)
                return -EINVAL;
        return asprintf(ret, "%s/%s", state_dir, LEASE_FILE_NAME) < 0 ? -ENOMEM : 0;
}

int lease_set_load(const char *state_dir, struct lease_set *ret) {
        _cleanup_free_ char *path = NULL;
        int r = lease_path(state_dir, &path);
        if (r < 0)
                return r;
        /* Not blocking on a FIFO, not following a link, only a regular file: see fileio_open_regular(). */
        _cleanup_fclose_ FILE *f = NULL;
        r = fileio_open_regular(path, LEASE_FILE_MAX, &f, NULL);
        if (r == -ENOENT) {
                *ret = (struct lease_set){};
                return 0;
        }
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = malloc(LEASE_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        size_t got = fread(buf, 1, LEASE_FILE_MAX, f);
        if (ferror(f))
                return -EIO;
        return lease_set_parse(buf, got, ret);
}

static int write_content(FILE *f, const void *userdata) {
        return lease_set_write(userdata, f);
}

int lease_set_save(const char *state_dir, const struct lease_set *s, char *why, size_t why_size) {
        _cleanup_free_ char *path = NULL;
        int r = lease_path(state_dir, &path);
        if (r < 0)
                return r;
        if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        return fileio_write_atomic(path, 0644, write_content, s, why, why_size);
}
