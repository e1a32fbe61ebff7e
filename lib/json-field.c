/* json-field.c: the table-driven readers of json-field.h, over the text and over jansson. */

#include "json-field.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "time-util.h"

/* ---- over the text: one reader per kind ---- */

static int wrong_type(struct json_scan *s, const char *key, int type, const char *want) {
        return json_read_bad(s->d, "\"%s\" is %s, not %s", key, json_read_type_name((json_type) type), want);
}

/* A string member; null = "". required: null or "" is -EBADMSG. Replaces (frees) *ret. */
static int scan_str(struct json_scan *s, const char *key, bool required, char **ret) {
        int t = json_scan_peek(s);
        if (t < 0)
                return t;
        char *v = NULL;
        size_t n = 0;
        int r;
        if (t == JSON_NULL) {
                (void) !json_scan_null(s);
                if (required)
                        return json_read_bad(s->d, "\"%s\" is missing", key);
                if (!(v = strdup("")))
                        return -ENOMEM;
        } else if (t != JSON_STRING)
                return wrong_type(s, key, t, "a string");
        else if ((r = json_scan_string(s, &v, &n)) < 0)
                return r;
        if (required && n == 0) {
                free(v);
                return json_read_bad(s->d, "\"%s\" is empty", key);
        }
        free(*ret);
        *ret = v;
        return 0;
}

static int scan_bool(struct json_scan *s, const char *key, bool *ret) {
        int t = json_scan_peek(s);
        if (t < 0)
                return t;
        if (t != JSON_NULL && t != JSON_TRUE && t != JSON_FALSE)
                return wrong_type(s, key, t, "a boolean");
        *ret = t == JSON_TRUE;
        return json_scan_skip(s);
}

static int scan_time(struct json_scan *s, const char *key, int64_t *ret_ns) {
        _cleanup_free_ char *v = NULL;
        int r = scan_str(s, key, false, &v);
        if (r < 0)
                return r;
        return json_read_time_string(s->d, key, v, ret_ns);
}

static int scan_state(struct json_scan *s, const char *key, enum engine_container_state *ret) {
        _cleanup_free_ char *v = NULL;
        int r = scan_str(s, key, false, &v);
        if (r < 0)
                return r;
        *ret = engine_container_state_from_string(v);
        return 0;
}

/* An object of strings as labels; null = empty. Replaces (frees) *ret; a name given twice keeps the last value. */
static int scan_labels(struct json_scan *s, const char *key, struct engine_labels *ret) {
        _cleanup_(json_read_labels_free) struct engine_labels l = {};
        size_t allocated = 0;
        int t = json_scan_peek(s), r;
        if (t < 0)
                return t;
        if (t == JSON_NULL)
                (void) !json_scan_null(s);
        else if (t != JSON_OBJECT)
                return wrong_type(s, key, t, "an object");
        else {
                if ((r = json_scan_object_begin(s)) < 0)
                        return r;
                bool first = true;
                while ((r = json_scan_object_next(s, &first)) > 0) {
                        _cleanup_free_ char *k = NULL, *v = NULL;
                        if ((r = json_scan_string(s, &k, NULL)) < 0 || (r = json_scan_colon(s)) < 0)
                                return r;
                        if ((t = json_scan_peek(s)) < 0)
                                return t;
                        if (t != JSON_STRING)
                                return json_read_bad(s->d, "\"%s\".\"%.64s\" is %s, not a string", key, k,
                                                     json_read_type_name((json_type) t));
                        if ((r = json_scan_string(s, &v, NULL)) < 0)
                                return r;
                        /* A name given twice is one member, the last, as in a jansson object. */
                        size_t i = 0;
                        while (i < l.n && !streq(l.items[i].key, k))
                                i++;
                        if (i < l.n) {
                                free(l.items[i].value);
                                l.items[i].value = TAKE_PTR(v);
                                continue;
                        }
                        if (json_read_grow((void **) &l.items, &allocated, l.n, sizeof *l.items) < 0)
                                return -ENOMEM;
                        l.items[l.n++] = (struct engine_kv) { TAKE_PTR(k), TAKE_PTR(v) };
                }
                if (r < 0)
                        return r;
        }
        /* Thousands of containers with a few labels each: no slack kept. */
        if (l.n > 0 && l.n < allocated) {
                struct engine_kv *fit = reallocarray(l.items, l.n, sizeof *l.items);
                if (fit)
                        l.items = fit;
        }
        json_read_labels_free(ret);
        *ret = l;
        l = (struct engine_labels) {};
        return 0;
}

/* An array of strings, without those equal to skip (unless NULL); null = empty. Replaces (frees) *ret. */
static int scan_strv(struct json_scan *s, const char *key, const char *skip, char ***ret) {
        _cleanup_strv_free_ char **strv = NULL;
        size_t n = 0, allocated = 0;
        int t = json_scan_peek(s), r;
        if (t < 0)
                return t;
        if (t == JSON_NULL)
                (void) !json_scan_null(s);
        else if (t != JSON_ARRAY)
                return wrong_type(s, key, t, "an array");
        else {
                if ((r = json_scan_array_begin(s)) < 0)
                        return r;
                bool first = true;
                for (size_t i = 0; (r = json_scan_array_next(s, &first)) > 0; i++) {
                        if ((t = json_scan_peek(s)) < 0)
                                return t;
                        if (t != JSON_STRING)
                                return json_read_bad(s->d, "\"%s\"[%zu] is %s, not a string", key, i,
                                                     json_read_type_name((json_type) t));
                        char *v;
                        if ((r = json_scan_string(s, &v, NULL)) < 0)
                                return r;
                        if (skip && streq(v, skip)) {
                                free(v);
                                continue;
                        }
                        /* One more for the NULL at the end. */
                        if (json_read_grow((void **) &strv, &allocated, n + 1, sizeof *strv) < 0) {
                                free(v);
                                return -ENOMEM;
                        }
                        strv[n++] = v;
                }
                if (r < 0)
                        return r;
        }
        if (!strv && !(strv = calloc(1, sizeof *strv)))
                return -ENOMEM;
        if (n + 1 < allocated) {
                char **fit = reallocarray(strv, n + 1, sizeof *strv);
                if (fit)
                        strv = fit;
        }
        strv_freep(ret);
        *ret = TAKE_PTR(strv);
        return 0;
}

/* ---- the table ---- */

/* Whether a value of type t is what kind reads (null aside). */
static bool kind_accepts(enum json_field_kind kind, int t) {
        switch (kind) {
        case JSON_FIELD_STRING:
        case JSON_FIELD_TIME:
        case JSON_FIELD_STATE:
                return t == JSON_STRING;
        case JSON_FIELD_INT:
        case JSON_FIELD_UNIX_SEC:
                return t == JSON_INTEGER || t == JSON_REAL;
        case JSON_FIELD_BOOL:
                return t == JSON_TRUE || t == JSON_FALSE;
        case JSON_FIELD_LABELS:
        case JSON_FIELD_OBJECT:
                return t == JSON_OBJECT;
        case JSON_FIELD_STRV:
                return t == JSON_ARRAY;
        }
        return false;
}

/* Every field at its default before reading: numbers at def, the rest as zeroed. */
static void fields_init(const struct json_field *fields, size_t n, void *obj) {
        for (size_t i = 0; i < n; i++)
                if (fields[i].kind == JSON_FIELD_INT)
                        *(int64_t *) json_field_slot(&fields[i], obj) = fields[i].def;
                else if (fields[i].kind == JSON_FIELD_OBJECT)
                        fields_init(fields[i].fields, fields[i].n_fields, obj);
}

/* Back to the default (what was read is freed). */
static void field_reset(const struct json_field *f, void *obj) {
        void *slot = json_field_slot(f, obj);
        switch (f->kind) {
        case JSON_FIELD_STRING:
                free(*(char **) slot);
                *(char **) slot = NULL;
                break;
        case JSON_FIELD_INT:
                *(int64_t *) slot = f->def;
                break;
        case JSON_FIELD_UNIX_SEC:
        case JSON_FIELD_TIME:
                *(int64_t *) slot = 0;
                break;
        case JSON_FIELD_BOOL:
                *(bool *) slot = false;
                break;
        case JSON_FIELD_STATE:
                *(enum engine_container_state *) slot = ENGINE_CONTAINER_UNKNOWN;
                break;
        case JSON_FIELD_LABELS:
                json_read_labels_free(slot);
                break;
        case JSON_FIELD_STRV:
                strv_freep(slot);
                break;
        case JSON_FIELD_OBJECT:
                for (size_t i = 0; i < f->n_fields; i++)
                        field_reset(&f->fields[i], obj);
                break;
        }
}

/* After reading: absent strings are "", absent lists empty, a required string said missing. */
static int fields_finish(const struct json_read_cursor *d, const struct json_field *fields, size_t n, void *obj) {
        for (size_t i = 0; i < n; i++) {
                const struct json_field *f = &fields[i];
                void *slot = f->kind == JSON_FIELD_OBJECT ? NULL : json_field_slot(f, obj);
                int r;
                if (f->kind == JSON_FIELD_OBJECT) {
                        if ((r = fields_finish(d, f->fields, f->n_fields, obj)) < 0)
                                return r;
                } else if (f->kind == JSON_FIELD_STRING && !*(char **) slot) {
                        if (f->required)
                                return json_read_bad(d, "\"%s\" is missing", f->key);
                        if (!(*(char **) slot = strdup("")))
                                return -ENOMEM;
                } else if (f->kind == JSON_FIELD_STRV && !*(char ***) slot &&
                           !(*(char ***) slot = calloc(1, sizeof(char *))))
                        return -ENOMEM;
        }
        return 0;
}

static const struct json_field *field_find(const struct json_field *fields, size_t n, const char *key) {
        /* Two bytes first (no table holds ""): most names a listing item has are in no table (20,000
         * items, 20 names each). */
        for (size_t i = 0; i < n; i++)
                if (fields[i].key[0] == key[0] && fields[i].key[1] == key[1] && streq(fields[i].key, key))
                        return &fields[i];
        return NULL;
}

static int scan_members(struct json_scan *s, const struct json_field *fields, size_t n, void *obj);

static int scan_field(struct json_scan *s, const struct json_field *f, void *obj) {
        void *slot = f->kind == JSON_FIELD_OBJECT ? NULL : json_field_slot(f, obj);
        int t, r;
        /* A member given twice: the last one stands, whole, as in a jansson object. */
        field_reset(f, obj);
        if (f->loose) {
                if ((t = json_scan_peek(s)) < 0)
                        return t;
                if (t != JSON_NULL && !kind_accepts(f->kind, t))
                        return json_scan_skip(s);
        }
        if (f->custom)
                return f->custom->scan(s, f, obj);
        switch (f->kind) {
        case JSON_FIELD_STRING:
                return scan_str(s, f->key, f->required, slot);
        case JSON_FIELD_INT:
                return json_scan_int(s, f->key, f->def, slot);
        case JSON_FIELD_UNIX_SEC:
                if ((r = json_scan_int(s, f->key, 0, slot)) < 0)
                        return r;
                *(int64_t *) slot = time_clamp_unix_sec(*(int64_t *) slot);
                return 0;
        case JSON_FIELD_BOOL:
                return scan_bool(s, f->key, slot);
        case JSON_FIELD_TIME:
                return scan_time(s, f->key, slot);
        case JSON_FIELD_STATE:
                return scan_state(s, f->key, slot);
        case JSON_FIELD_LABELS:
                return scan_labels(s, f->key, slot);
        case JSON_FIELD_STRV:
                return scan_strv(s, f->key, f->skip, slot);
        case JSON_FIELD_OBJECT:
                if ((t = json_scan_peek(s)) < 0)
                        return t;
                if (t == JSON_NULL)
                        return json_scan_null(s) < 0 ? -EBADMSG : 0;
                if (t != JSON_OBJECT)
                        return wrong_type(s, f->key, t, "an object");
                return scan_members(s, f->fields, f->n_fields, obj);
        }
        return -EINVAL;
}

/* The one member-matching loop over the text. */
static int scan_members(struct json_scan *s, const struct json_field *fields, size_t n, void *obj) {
        bool first = true;
        char key[JSON_FIELD_KEY_MAX + 1];
        int r;

        if ((r = json_scan_object_begin(s)) < 0)
                return r;
        while ((r = json_scan_object_next(s, &first)) > 0) {
                /* A longer name reads as "", which no table holds. */
                if ((r = json_scan_key(s, key, sizeof key)) < 0)
                        return r;
                const struct json_field *f = field_find(fields, n, key);
                if ((r = f ? scan_field(s, f, obj) : json_scan_skip(s)) < 0)
                        return r;
        }
        return r;
}

int json_field_scan(struct json_scan *s, const struct json_field *fields, size_t n, void *obj) {
        fields_init(fields, n, obj);
        int r = scan_members(s, fields, n, obj);
        if (r < 0)
                return r;
        return fields_finish(s->d, fields, n, obj);
}

/* ---- over jansson ---- */

static int read_members(const struct json_read_cursor *d, const json_t *o, const struct json_field *fields, size_t n,
                        void *obj);

static int read_field(const struct json_read_cursor *d, const json_t *o, const struct json_field *f, void *obj) {
        void *slot = f->kind == JSON_FIELD_OBJECT ? NULL : json_field_slot(f, obj);
        json_t *v = json_read_member(o, f->key), *sub = NULL;
        int r;
        if (f->loose && v && !kind_accepts(f->kind, json_typeof(v)))
                return 0;
        if (f->custom)
                return f->custom->read(d, f, v, obj);
        switch (f->kind) {
        case JSON_FIELD_STRING:
                return json_read_str(d, o, f->key, f->required, slot);
        case JSON_FIELD_INT:
                return json_read_int(d, o, f->key, f->def, slot);
        case JSON_FIELD_UNIX_SEC:
                if ((r = json_read_int(d, o, f->key, 0, slot)) < 0)
                        return r;
                *(int64_t *) slot = time_clamp_unix_sec(*(int64_t *) slot);
                return 0;
        case JSON_FIELD_BOOL:
                return json_read_bool(d, o, f->key, slot);
        case JSON_FIELD_TIME:
                return json_read_time(d, o, f->key, slot);
        case JSON_FIELD_STATE:
                return json_read_state(d, o, f->key, slot);
        case JSON_FIELD_LABELS:
                return json_read_labels(d, o, f->key, slot);
        case JSON_FIELD_STRV:
                return json_read_strv(d, o, f->key, f->skip, slot);
        case JSON_FIELD_OBJECT:
                if ((r = json_read_object(d, o, f->key, &sub)) < 0)
                        return r;
                return sub ? read_members(d, sub, f->fields, f->n_fields, obj) : 0;
        }
        return -EINVAL;
}

static int read_members(const struct json_read_cursor *d, const json_t *o, const struct json_field *fields, size_t n,
                        void *obj) {
        for (size_t i = 0; i < n; i++) {
                int r = read_field(d, o, &fields[i], obj);
                if (r < 0)
                        return r;
        }
        return 0;
}

int json_field_read(const struct json_read_cursor *d, const json_t *o, const struct json_field *fields, size_t n,
                    void *obj) {
        fields_init(fields, n, obj);
        int r = read_members(d, o, fields, n, obj);
        if (r < 0)
                return r;
        return fields_finish(d, fields, n, obj);
}
