/* json-read.c: the toolkit the engine's JSON decoders read with (json-read.h). */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "engine-internal.h"
#include "json-read.h"

int json_read_bad(const struct json_read_cursor *d, const char *fmt, ...) {
        char detail[384];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        if (d->item >= 0)
                return engine_error_set(d->err, -EBADMSG, "malformed answer to %s[%zd]: %s", d->what, d->item,
                                        detail);
        return engine_error_set(d->err, -EBADMSG, "malformed answer to %s: %s", d->what, detail);
}

const char *json_read_type_name(json_type type) {
        switch (type) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "?";
}

int json_read_parse(const struct json_read_cursor *d, const char *buf, size_t len, json_type want, json_t **ret) {
        json_error_t je;
        json_t *j;

        if (len == 0)
                return json_read_bad(d, "empty body");
        /* jansson rejects \u0000 in strings by default, so every string is a proper C string, and it
         * caps nesting depth, so hostile input cannot exhaust the stack. */
        j = json_loadb(buf, len, 0, &je);
        if (!j) {
                if (json_error_code(&je) == json_error_out_of_memory)
                        return engine_error_set(d->err, -ENOMEM, "out of memory decoding %s", d->what);
                return json_read_bad(d, "%s at byte %d", je.text, je.position);
        }
        if (json_typeof(j) != want) {
                const char *got = json_read_type_name(json_typeof(j));
                json_decref(j);
                return json_read_bad(d, "expected %s, got %s", want == JSON_ARRAY ? "an array" : "an object", got);
        }
        *ret = j;
        return 0;
}

json_t *json_read_member(const json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);
        return json_is_null(v) ? NULL : v;
}

int json_read_object(const struct json_read_cursor *d, const json_t *o, const char *key, json_t **ret) {
        json_t *v = json_read_member(o, key);
        if (v && !json_is_object(v))
                return json_read_bad(d, "\"%s\" is %s, not an object", key, json_read_type_name(json_typeof(v)));
        *ret = v;
        return 0;
}

int json_read_array(const struct json_read_cursor *d, const json_t *o, const char *key, json_t **ret) {
        json_t *v = json_read_member(o, key);
        if (v && !json_is_array(v))
                return json_read_bad(d, "\"%s\" is %s, not an array", key, json_read_type_name(json_typeof(v)));
        *ret = v;
        return 0;
}

int json_read_peek_str(const struct json_read_cursor *d, const json_t *o, const char *key, bool required,
                       const char **ret) {
        json_t *v = json_read_member(o, key);
        if (!v) {
                if (required)
                        return json_read_bad(d, "\"%s\" is missing", key);
                *ret = "";
                return 0;
        }
        if (!json_is_string(v))
                return json_read_bad(d, "\"%s\" is %s, not a string", key, json_read_type_name(json_typeof(v)));
        if (required && json_string_length(v) == 0)
                return json_read_bad(d, "\"%s\" is empty", key);
        *ret = json_string_value(v);
        return 0;
}

int json_read_str(const struct json_read_cursor *d, const json_t *o, const char *key, bool required, char **ret) {
        const char *s = "";
        int r = json_read_peek_str(d, o, key, required, &s);
        if (r < 0)
                return r;
        char *c = strdup(s);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

static int json_to_int64(const struct json_read_cursor *d, const char *key, const json_t *v, int64_t *ret) {
        if (json_is_integer(v)) {
                *ret = json_integer_value(v);
                return 0;
        }
        if (json_is_real(v)) {
                /* Not what Docker sends, but harmless: sizes as 1.5e9 still mean bytes. */
                double x = json_real_value(v);
                if (!isfinite(x) || x < -9.2e18 || x > 9.2e18)
                        return json_read_bad(d, "\"%s\" is out of range", key);
                *ret = (int64_t) x;
                return 0;
        }
        return json_read_bad(d, "\"%s\" is %s, not a number", key, json_read_type_name(json_typeof(v)));
}

int json_read_int(const struct json_read_cursor *d, const json_t *o, const char *key, int64_t def, int64_t *ret) {
        json_t *v = json_read_member(o, key);
        if (!v) {
                *ret = def;
                return 0;
        }
        return json_to_int64(d, key, v, ret);
}

int json_read_bool(const struct json_read_cursor *d, const json_t *o, const char *key, bool *ret) {
        json_t *v = json_read_member(o, key);
        if (!v) {
                *ret = false;
                return 0;
        }
        if (!json_is_boolean(v))
                return json_read_bad(d, "\"%s\" is %s, not a boolean", key, json_read_type_name(json_typeof(v)));
        *ret = json_is_true(v);
        return 0;
}

int json_read_time_string(const struct json_read_cursor *d, const char *key, const char *s, int64_t *ret_ns) {
        if (!*s) {
                *ret_ns = 0;
                return 0;
        }
        if (engine_parse_time(s, ret_ns) < 0)
                return json_read_bad(d, "\"%s\" is not an RFC 3339 time in range: \"%.64s\"", key, s);
        return 0;
}

int json_read_time(const struct json_read_cursor *d, const json_t *o, const char *key, int64_t *ret_ns) {
        const char *s = "";
        int r = json_read_peek_str(d, o, key, false, &s);
        if (r < 0)
                return r;
        return json_read_time_string(d, key, s, ret_ns);
}

void json_read_labels_free(struct engine_labels *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].key);
                free(l->items[i].value);
        }
        free(l->items);
        *l = (struct engine_labels) {};
}

static int labels_from_object(const struct json_read_cursor *d, const char *key, json_t *o,
                              struct engine_labels *ret) {
        struct engine_labels l = {};
        const char *k;
        json_t *v;

        if (!o) {
                *ret = l;
                return 0;
        }
        l.items = calloc_at_least_one(json_object_size(o), sizeof *l.items);
        if (!l.items)
                return -ENOMEM;
        json_object_foreach(o, k, v) {
                if (!json_is_string(v)) {
                        json_read_labels_free(&l);
                        return json_read_bad(d, "\"%s\".\"%.64s\" is %s, not a string", key, k,
                                             json_read_type_name(json_typeof(v)));
                }
                struct engine_kv *kv = &l.items[l.n++];
                kv->key = strdup(k);
                kv->value = strdup(json_string_value(v));
                if (!kv->key || !kv->value) {
                        json_read_labels_free(&l);
                        return -ENOMEM;
                }
        }
        *ret = l;
        return 0;
}

int json_read_labels(const struct json_read_cursor *d, const json_t *o, const char *key, struct engine_labels *ret) {
        json_t *v = NULL;
        int r = json_read_object(d, o, key, &v);
        if (r < 0)
                return r;
        return labels_from_object(d, key, v, ret);
}

int json_read_strv(const struct json_read_cursor *d, const json_t *o, const char *key, const char *skip,
                   char ***ret) {
        json_t *a = NULL, *v = NULL;
        size_t i, n = 0;
        int r = json_read_array(d, o, key, &a);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **strv = calloc(json_array_size(a) + 1, sizeof(char *));
        if (!strv)
                return -ENOMEM;
        json_array_foreach(a, i, v) {
                if (!json_is_string(v))
                        return json_read_bad(d, "\"%s\"[%zu] is %s, not a string", key, i, json_read_type_name(json_typeof(v)));
                if (skip && streq(json_string_value(v), skip))
                        continue;
                strv[n] = strdup(json_string_value(v));
                if (!strv[n])
                        return -ENOMEM;
                n++;
        }
        *ret = TAKE_PTR(strv);
        return 0;
}

int json_read_state(const struct json_read_cursor *d, const json_t *o, const char *key,
                    enum engine_container_state *ret) {
        const char *s = "";
        int r = json_read_peek_str(d, o, key, false, &s);
        if (r < 0)
                return r;
        *ret = engine_container_state_from_string(s);
        return 0;
}

int json_read_each_object(struct json_read_cursor *d, const json_t *a,
                          int (*each)(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata),
                          void *userdata) {
        size_t i;
        json_t *o;
        json_array_foreach(a, i, o) {
                d->item = (ssize_t) i;
                if (!json_is_object(o))
                        return json_read_bad(d, "item is %s, not an object", json_read_type_name(json_typeof(o)));
                int r = each(d, o, i, userdata);
                if (r < 0)
                        return r;
        }
        d->item = -1;
        return 0;
}

/* ---- big answers, one item at a time ---- */

int json_read_grow(void **items, size_t *allocated, size_t n, size_t size) {
        if (n < *allocated)
                return 0;
        size_t want = MAX(*allocated * 2, (size_t) 4);
        void *p = reallocarray(*items, want, size);
        if (!p)
                return -ENOMEM;
        memset((char *) p + *allocated * size, 0, (want - *allocated) * size);
        *items = p;
        *allocated = want;
        return 0;
}
