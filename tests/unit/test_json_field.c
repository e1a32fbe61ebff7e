/* test_json_field.c: the pull reader over JSON text (lib/json-scan.c) on its own, and the two readers
 * one field table drives (lib/json-field.c): for the same text, the reader over the text and the one
 * over jansson give the same struct, or both refuse it. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dctest.h"
#include "json-field.h"
#include "strv.h"

/* ---- the reader over the text ---- */

static struct engine_error err;
static struct json_read_cursor cursor = { &err, "/test", -1 };

static struct json_scan scan_of(const char *text) {
        err = (struct engine_error) {};
        return (struct json_scan) { text, strlen(text), 0, &cursor };
}

/* Whether jansson accepts text as one value. */
static bool jansson_accepts(const char *text, size_t len) {
        json_error_t je;
        json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &je);
        json_decref(j);
        return j != NULL;
}

/* The scanner skips one value over the whole text, and nothing is left. */
static bool scanner_accepts(const char *text, size_t len) {
        err = (struct engine_error) {};
        struct json_scan s = { text, len, 0, &cursor };
        if (json_scan_skip(&s) < 0)
                return false;
        while (s.pos < len && strchr(" \t\r\n", text[s.pos]))
                s.pos++;
        return s.pos == len;
}

/* The same through the pull calls a decoder makes: begin/next/key, strings, numbers as int64. */
static int walk(struct json_scan *s) {
        bool first = true;
        char key[16];
        int64_t v;
        _cleanup_free_ char *str = NULL;
        int t = json_scan_peek(s), r;
        switch (t) {
        case JSON_OBJECT:
                if ((r = json_scan_object_begin(s)) < 0)
                        return r;
                while ((r = json_scan_object_next(s, &first)) > 0)
                        if ((r = json_scan_key(s, key, sizeof key)) < 0 || (r = walk(s)) < 0)
                                return r;
                return r;
        case JSON_ARRAY:
                if ((r = json_scan_array_begin(s)) < 0)
                        return r;
                while ((r = json_scan_array_next(s, &first)) > 0)
                        if ((r = walk(s)) < 0)
                                return r;
                return r;
        case JSON_STRING:
                return json_scan_string(s, &str, NULL);
        case JSON_INTEGER:
                return json_scan_int(s, "n", 0, &v);
        default:
                return t < 0 ? t : json_scan_skip(s);
        }
}

static bool walker_accepts(const char *text, size_t len) {
        err = (struct engine_error) {};
        struct json_scan s = { text, len, 0, &cursor };
        if (walk(&s) < 0)
                return false;
        while (s.pos < len && strchr(" \t\r\n", text[s.pos]))
                s.pos++;
        return s.pos == len;
}

START_TEST(test_scan_syntax) {
        static const char *const texts[] = {
                "{}", "[]", "0", "-0", "-0.5e-3", "1E+2", "true", "false", "null", "\"\"", " [1, {\"a\": [null]}] ",
                "{\"a\":1,\"a\":2}", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u00e9\\ud83d\\ude00\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"",
                /* refused */
                "", " ", "{", "[", "]", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{1:2}", "01", "1.", "-", ".5", "1e",
                "+1", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\"",
                "\"\\ud800\\u0041\"", "\"a\tb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
                "\"\xe2\x82\"", "[]]", "{}}", "[1] 2", "NaN", "[\"a\" , ]", "[,1]", "{,}", "{\"a\":}", "1e400", "-9223372036854775809",
        };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                size_t len = strlen(texts[i]);
                bool want = jansson_accepts(texts[i], len), got = scanner_accepts(texts[i], len);
                ck_assert_msg(got == want, "%s: scanner %s, jansson %s", texts[i], got ? "accepts" : "refuses",
                              want ? "accepts" : "refuses");
                got = walker_accepts(texts[i], len);
                ck_assert_msg(got == want, "%s: walker %s, jansson %s", texts[i], got ? "accepts" : "refuses",
                              want ? "accepts" : "refuses");
        }
}
END_TEST

/* Nesting is capped where jansson caps it (2048), without recursion. */
START_TEST(test_scan_depth) {
        static const size_t depths[] = { 1, 2047, 2048, 2049, 100000 };
        for (size_t k = 0; k < ELEMENTSOF(depths); k++) {
                size_t depth = depths[k];
                char *text = malloc(2 * depth + 1);
                ck_assert_ptr_nonnull(text);
                for (size_t i = 0; i < depth; i++) {
                        text[i] = '[';
                        text[2 * depth - 1 - i] = ']';
                }
                text[2 * depth] = 0;
                bool want = jansson_accepts(text, 2 * depth), got = scanner_accepts(text, 2 * depth);
                ck_assert_msg(got == want, "depth %zu: scanner %d, jansson %d", depth, got, want);
                ck_assert(got == (depth <= 2048));
                if (!got)
                        ck_assert_ptr_nonnull(strstr(err.message, "depth"));
                free(text);
        }
}
END_TEST

START_TEST(test_scan_strings) {
        static const char *const texts[] = {
                "\"plain\"", "\"\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u0041\\u00e9\\u20ac\\uffff\"",
                "\"\\ud83d\\ude00 \\uD83D\\uDE00\"", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "\"a\\u0001b\"",
        };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                struct json_scan s = scan_of(texts[i]);
                _cleanup_free_ char *got = NULL;
                size_t n;
                ck_assert_int_eq(json_scan_string(&s, &got, &n), 0);
                json_t *j = json_loads(texts[i], JSON_DECODE_ANY, NULL);
                ck_assert_ptr_nonnull(j);
                ck_assert_uint_eq(n, json_string_length(j));
                ck_assert_mem_eq(got, json_string_value(j), n + 1);
                ck_assert_uint_eq(s.pos, strlen(texts[i]));
                json_decref(j);
        }
        /* \u0000 would cut a C string short: refused, as jansson does. */
        struct json_scan s = scan_of("\"a\\u0000b\"");
        char *v = NULL;
        ck_assert_int_eq(json_scan_string(&s, &v, NULL), -EBADMSG);
        ck_assert_ptr_null(v);
        ck_assert_ptr_nonnull(strstr(err.message, "\\u0000"));
}
END_TEST

/* The caps: a member name longer than the buffer reads as "" (escaped or not), a number of 512 digits
 * is refused, an integer past int64 too. */
START_TEST(test_scan_caps) {
        char key[8];
        struct json_scan s = scan_of("\"1234567\": 1");
        ck_assert_int_eq(json_scan_key(&s, key, sizeof key), 0);
        ck_assert_str_eq(key, "1234567");
        s = scan_of("\"12345678\":1");
        ck_assert_int_eq(json_scan_key(&s, key, sizeof key), 0);
        ck_assert_str_eq(key, "");
        /* 14 bytes of text, 7 once unescaped: fits */
        s = scan_of("\"\\u0041BCDEFG\":1");
        ck_assert_int_eq(json_scan_key(&s, key, sizeof key), 0);
        ck_assert_str_eq(key, "ABCDEFG");

        char number[600];
        int64_t v;
        memset(number, '1', 511);
        number[511] = 0;
        number[0] = '0', number[1] = '.';
        s = scan_of(number);
        ck_assert_int_eq(json_scan_int(&s, "n", 0, &v), 0);
        ck_assert_int_eq(v, 0);
        memset(number, '1', 512);
        number[512] = 0;
        number[0] = '0', number[1] = '.';
        s = scan_of(number);
        ck_assert_int_eq(json_scan_int(&s, "n", 0, &v), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(err.message, "number too long"));
        s = scan_of("9223372036854775807");
        ck_assert_int_eq(json_scan_int(&s, "n", 0, &v), 0);
        ck_assert_int_eq(v, INT64_MAX);
        s = scan_of("9223372036854775808");
        ck_assert_int_eq(json_scan_int(&s, "n", 0, &v), -EBADMSG);
        s = scan_of("1e300");
        ck_assert_int_eq(json_scan_int(&s, "n", 0, &v), -EBADMSG);
        ck_assert_str_eq(err.message, "malformed answer to /test: \"n\" is out of range");
        s = scan_of("null");
        ck_assert_int_eq(json_scan_int(&s, "n", -7, &v), 0);
        ck_assert_int_eq(v, -7);
        s = scan_of("\"1\"");
        ck_assert_int_eq(json_scan_int(&s, "n", 0, &v), -EBADMSG);
        ck_assert_str_eq(err.message, "malformed answer to /test: \"n\" is a string, not a number");
}
END_TEST

/* ---- one table, two readers ---- */

static void fields_free(const struct json_field *fields, size_t n, void *obj) {
        for (size_t i = 0; i < n; i++) {
                const struct json_field *f = &fields[i];
                if (f->kind == JSON_FIELD_OBJECT)
                        fields_free(f->fields, f->n_fields, obj);
                else if (f->kind == JSON_FIELD_STRING)
                        free(*(char **) json_field_slot(f, obj));
                else if (f->kind == JSON_FIELD_STRV)
                        strv_free(*(char ***) json_field_slot(f, obj));
                else if (f->kind == JSON_FIELD_LABELS)
                        json_read_labels_free(json_field_slot(f, obj));
        }
}

static const char *strnull(const char *s) {
        return s ? s : "(null)";
}

/* Field by field, as its kind says; "" when the same, else which field differs and how. */
static void fields_diff(const struct json_field *fields, size_t n, void *a, void *b, char *out, size_t size) {
        for (size_t i = 0; i < n && !*out; i++) {
                const struct json_field *f = &fields[i];
                void *x = f->kind == JSON_FIELD_OBJECT ? NULL : json_field_slot(f, a);
                void *y = f->kind == JSON_FIELD_OBJECT ? NULL : json_field_slot(f, b);
                switch (f->kind) {
                case JSON_FIELD_OBJECT:
                        fields_diff(f->fields, f->n_fields, a, b, out, size);
                        break;
                case JSON_FIELD_STRING:
                        if (!*(char **) x || !*(char **) y || !streq(*(char **) x, *(char **) y))
                                snprintf(out, size, "%s: \"%s\" / \"%s\"", f->key, strnull(*(char **) x),
                                         strnull(*(char **) y));
                        break;
                case JSON_FIELD_INT:
                case JSON_FIELD_UNIX_SEC:
                case JSON_FIELD_TIME:
                        if (*(int64_t *) x != *(int64_t *) y)
                                snprintf(out, size, "%s: %" PRIi64 " / %" PRIi64, f->key, *(int64_t *) x, *(int64_t *) y);
                        break;
                case JSON_FIELD_BOOL:
                        if (*(bool *) x != *(bool *) y)
                                snprintf(out, size, "%s: %d / %d", f->key, *(bool *) x, *(bool *) y);
                        break;
                case JSON_FIELD_STATE:
                        if (*(enum engine_container_state *) x != *(enum engine_container_state *) y)
                                snprintf(out, size, "%s differs", f->key);
                        break;
                case JSON_FIELD_LABELS: {
                        const struct engine_labels *l = x, *m = y;
                        bool same = l->n == m->n;
                        for (size_t k = 0; same && k < l->n; k++)
                                same = streq(l->items[k].key, m->items[k].key) &&
                                       streq(l->items[k].value, m->items[k].value);
                        if (!same)
                                snprintf(out, size, "%s: %zu / %zu labels, or other ones", f->key, l->n, m->n);
                        break;
                }
                case JSON_FIELD_STRV: {
                        char **v = *(char ***) x, **w = *(char ***) y;
                        if (!v || !w) {
                                snprintf(out, size, "%s: NULL", f->key);
                                break;
                        }
                        size_t k = 0;
                        while (v[k] && w[k] && streq(v[k], w[k]))
                                k++;
                        if (v[k] || w[k])
                                snprintf(out, size, "%s[%zu]: \"%s\" / \"%s\"", f->key, k, strnull(v[k]), strnull(w[k]));
                        break;
                }
                }
        }
}

struct table {
        const char *name;
        const struct json_field *fields;
        const size_t *n;
        size_t size;
};

static const struct table tables[] = {
        { "image", engine_image_fields, &engine_image_n_fields, sizeof(struct engine_image) },
        { "container", engine_container_fields, &engine_container_n_fields, sizeof(struct engine_container) },
        { "container sized", engine_container_sized_fields, &engine_container_n_fields, sizeof(struct engine_container) },
        { "df image", engine_df_image_fields, &engine_df_image_n_fields, sizeof(struct engine_df_image) },
        { "df container", engine_df_container_fields, &engine_df_container_n_fields, sizeof(struct engine_df_container) },
        { "df volume", engine_df_volume_fields, &engine_df_volume_n_fields, sizeof(struct engine_df_volume) },
        { "df build cache", engine_df_build_cache_fields, &engine_df_build_cache_n_fields,
          sizeof(struct engine_df_build_cache) },
        { "volume", engine_volume_fields, &engine_volume_n_fields, sizeof(struct engine_volume) },
};

/* Both readers over text with table t: the same result, and when it is a refusal of text jansson
 * parses, the same message if want_message. Returns the scanner's result. With twice, the text has a
 * member twice: jansson reads only the last value, the scanner refuses a bad first one too. */
static int both(const struct table *t, const char *text, bool want_message, bool twice) {
        char scanned[512] = "", read[512] = "";
        void *a = calloc(1, t->size), *b = calloc(1, t->size);
        ck_assert(a && b);

        struct engine_error e = {};
        struct json_read_cursor d = { &e, "/test", -1 };
        struct json_scan s = { text, strlen(text), 0, &d };
        int ra = json_field_scan(&s, t->fields, *t->n, a);
        snprintf(scanned, sizeof scanned, "%s", e.message);

        json_error_t je;
        json_t *o = json_loads(text, 0, &je);
        int rb;
        e = (struct engine_error) {};
        if (!o) /* refused whole: the scanner, which reads what it reads, must have refused too */
                rb = -EBADMSG;
        else {
                rb = json_field_read(&d, o, t->fields, *t->n, b);
                snprintf(read, sizeof read, "%s", e.message);
        }
        if (twice && ra == -EBADMSG && rb == 0)
                rb = ra;
        ck_assert_msg(ra == rb, "%s: %s: scanner %d (%s), jansson %d (%s)", t->name, text, ra, scanned, rb,
                      o ? read : je.text);
        if (ra == 0) {
                char diff[256] = "";
                fields_diff(t->fields, *t->n, a, b, diff, sizeof diff);
                ck_assert_msg(!*diff, "%s: %s: %s (scanner / jansson)", t->name, text, diff);
        } else if (o && want_message)
                ck_assert_msg(streq(scanned, read), "%s: %s: \"%s\" / \"%s\"", t->name, text, scanned, read);
        json_decref(o);
        fields_free(t->fields, *t->n, a);
        fields_free(t->fields, *t->n, b);
        free(a);
        free(b);
        return ra;
}

START_TEST(test_field_tables_agree) {
        static const struct {
                size_t table;
                const char *text;
                int result;
        } cases[] = {
                { 0, "{\"Id\":\"sha256:1\",\"RepoTags\":[\"a:1\",\"<none>:<none>\"],\"RepoDigests\":null,\"Created\":1.9e3,"
                     "\"Size\":5,\"SharedSize\":null,\"Labels\":{\"k\":\"1\",\"k\":\"2\",\"\\u003c\":\"\\u003e\"},\"Extra\":[{}]}", 0 },
                { 0, "{\"Id\":\"x\",\"Created\":99999999999999,\"Size\":-3}", 0 },
                { 0, "{\"Id\":\"x\",\"Created\":-5}", 0 },
                { 0, "{\"Id\":\"\"}", -EBADMSG },
                { 0, "{\"Id\":null}", -EBADMSG },
                { 0, "{\"Id\":7}", -EBADMSG },
                { 0, "{\"Id\":\"x\",\"Size\":\"5\"}", -EBADMSG },
                { 0, "{\"Id\":\"x\",\"Labels\":[]}", -EBADMSG },
                { 0, "{\"Id\":\"x\",\"Labels\":{\"a\":1}}", -EBADMSG },
                { 0, "{\"Id\":\"x\",\"RepoTags\":[1]}", -EBADMSG },
                { 0, "{\"Id\":\"x\",\"RepoTags\":\"a\"}", -EBADMSG },
                { 1, "{\"Id\":\"c\\u00e9\",\"Names\":[\"/a\\\"b\",7],\"State\":\"exited\",\"State\":\"dead\","
                     "\"Status\":\"Exited (0) 2 hours ago\",\"NetworkSettings\":{\"Networks\":{\"bridge\":{},\"n2\":null}},"
                     "\"Mounts\":[{\"Name\":\"v1\",\"Type\":\"volume\"},{\"Type\":\"bind\",\"Name\":\"b\"},3,"
                     "{\"Type\":\"volume\",\"Name\":5},{\"Type\":\"volume\",\"Name\":\"\"}]}", 0 },
                { 1, "{\"Id\":\"c\",\"Names\":[\"/a\"],\"Names\":[],\"Status\":7,\"NetworkSettings\":{\"Networks\":{\"a\":1}},"
                     "\"NetworkSettings\":{\"Ports\":{}},\"Mounts\":null}", 0 },
                { 1, "{\"Id\":\"c\",\"Names\":\"a\"}", -EBADMSG },
                { 1, "{\"Id\":\"c\",\"Names\":[1]}", -EBADMSG },
                { 1, "{\"Id\":\"c\",\"NetworkSettings\":[]}", -EBADMSG },
                { 1, "{\"Id\":\"c\",\"NetworkSettings\":{\"Networks\":[]}}", -EBADMSG },
                { 1, "{\"Id\":\"c\",\"Mounts\":{}}", -EBADMSG },
                { 2, "{\"Id\":\"c\",\"SizeRootFs\":9}", 0 },
                { 3, "{\"Id\":\"ab\",\"Size\":5,\"Labels\":{\"a\":[]}}", 0 },
                { 4, "{\"Id\":\"ab\",\"ImageID\":null,\"State\":\"running\",\"SizeRw\":1.5}", 0 },
                { 5, "{\"Name\":\"v\",\"UsageData\":{\"Size\":7},\"CreatedAt\":\"2023-01-02T03:04:05.5+01:00\"}", 0 },
                { 5, "{\"Name\":\"v\",\"UsageData\":null,\"CreatedAt\":\"\"}", 0 },
                { 5, "{\"Name\":\"v\",\"UsageData\":{\"RefCount\":\"1\"}}", -EBADMSG },
                { 5, "{\"Name\":\"v\",\"CreatedAt\":\"yesterday\"}", -EBADMSG },
                { 5, "{\"Name\":\"v\",\"UsageData\":3}", -EBADMSG },
                { 6, "{\"ID\":\"b\",\"InUse\":true,\"Shared\":null,\"LastUsedAt\":\"2024-02-29T00:00:00Z\"}", 0 },
                { 6, "{\"ID\":\"b\",\"InUse\":1}", -EBADMSG },
                { 7, "{\"Name\":\"v\",\"Driver\":\"local\",\"Labels\":null}", 0 },
                { 7, "{\"Driver\":\"local\"}", -EBADMSG },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = both(&tables[cases[i].table], cases[i].text, true, false);
                ck_assert_msg(r == cases[i].result, "%s: %d, expected %d", cases[i].text, r, cases[i].result);
        }
}
END_TEST

/* ---- random objects for every table ---- */

struct text {
        char buf[8192];
        size_t len;
};

_printf_(2, 3) static void put(struct text *t, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
        va_end(ap);
        ck_assert(n >= 0 && (size_t) n < sizeof t->buf - t->len);
        t->len += (size_t) n;
}

static uint64_t rng = 42;
static unsigned pick(unsigned n) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        return (unsigned) (rng >> 33) % n;
}

static const char *const strings[] = {
        "\"\"", "\"a\"", "\"/name\"", "\"volume\"", "\"bind\"", "\"<none>:<none>\"", "\"<none>@<none>\"", "\"exited\"",
        "\"running\"", "\"c\\u00e9\\ud83d\\ude00\\n\"", "\"Exited (0) 3 hours ago\"", "\"Up 2 days\"",
        "\"2023-01-02T03:04:05Z\"", "\"0001-01-01T00:00:00Z\"", "\"not a time\"", "\"k\"",
};
static const char *const numbers[] = { "0", "-1", "7", "1.5e3", "-0.5", "1700000000", "99999999999", "9223372036854775807" };

static void put_any(struct text *t, unsigned depth);

static void put_object_of(struct text *t, unsigned depth, bool strings_only) {
        unsigned n = pick(4);
        put(t, "{");
        for (unsigned i = 0; i < n; i++) {
                put(t, "%s\"%c\":", i ? "," : "", "abk"[i]); /* no name twice: both() says why */
                if (strings_only && pick(8))
                        put(t, "%s", strings[pick(ELEMENTSOF(strings))]);
                else
                        put_any(t, depth + 1);
        }
        put(t, "}");
}

static void put_array_of(struct text *t, unsigned depth, bool strings_only) {
        unsigned n = pick(4);
        put(t, "[");
        for (unsigned i = 0; i < n; i++) {
                put(t, "%s", i ? "," : "");
                if (strings_only && pick(8))
                        put(t, "%s", strings[pick(ELEMENTSOF(strings))]);
                else
                        put_any(t, depth + 1);
        }
        put(t, "]");
}

static void put_any(struct text *t, unsigned depth) {
        switch (depth > 3 ? pick(5) : pick(7)) {
        case 0:
                put(t, "%s", strings[pick(ELEMENTSOF(strings))]);
                break;
        case 1:
                put(t, "%s", numbers[pick(ELEMENTSOF(numbers))]);
                break;
        case 2:
                put(t, "null");
                break;
        case 3:
                put(t, "true");
                break;
        case 4:
                put(t, "false");
                break;
        case 5:
                put_object_of(t, depth, pick(2));
                break;
        default:
                put_array_of(t, depth, pick(2));
                break;
        }
}

/* A value mostly of the shape the field wants, sometimes anything. */
static void put_value(struct text *t, const struct json_field *f) {
        if (pick(6) == 0) {
                put_any(t, 1);
                return;
        }
        if (streq(f->key, "Mounts")) {
                unsigned n = pick(4);
                put(t, "[");
                for (unsigned i = 0; i < n; i++)
                        put(t, "%s{\"Type\":%s,\"Name\":%s}", i ? "," : "", pick(2) ? "\"volume\"" : "\"bind\"",
                            strings[pick(ELEMENTSOF(strings))]);
                put(t, "]");
                return;
        }
        if (streq(f->key, "Networks") || f->kind == JSON_FIELD_LABELS)
                return put_object_of(t, 1, true);
        if (streq(f->key, "Names") || f->kind == JSON_FIELD_STRV)
                return put_array_of(t, 1, true);
        switch (f->kind) {
        case JSON_FIELD_INT:
        case JSON_FIELD_UNIX_SEC:
                if (!f->custom)
                        return put(t, "%s", numbers[pick(ELEMENTSOF(numbers))]);
                break;
        case JSON_FIELD_BOOL:
                return put(t, pick(2) ? "true" : "false");
        case JSON_FIELD_OBJECT: {
                put(t, "{");
                for (size_t i = 0; i < f->n_fields; i++) {
                        put(t, "%s\"%s\":", i ? "," : "", f->fields[i].key);
                        put_value(t, &f->fields[i]);
                }
                return put(t, "}");
        }
        case JSON_FIELD_STRING:
        case JSON_FIELD_TIME:
        case JSON_FIELD_STATE:
        case JSON_FIELD_LABELS:
        case JSON_FIELD_STRV:
                break;
        }
        put(t, "%s", strings[pick(ELEMENTSOF(strings))]);
}

START_TEST(test_field_tables_random) {
        size_t accepted = 0, refused = 0;
        for (size_t k = 0; k < ELEMENTSOF(tables); k++) {
                const struct table *tab = &tables[k];
                for (unsigned round = 0; round < 3000; round++) {
                        struct text t = { .len = 0 };
                        bool first = true, twice = false;
                        put(&t, "{");
                        for (size_t i = 0; i < *tab->n; i++) {
                                /* Each member absent, once or twice; unknown ones between. */
                                unsigned times = pick(5) ? 1 + (pick(8) == 0) : 0;
                                twice |= times > 1;
                                for (; times > 0; times--) {
                                        if (pick(4) == 0) {
                                                put(&t, "%s\"Other\":", first ? "" : ",");
                                                put_any(&t, 1);
                                                first = false;
                                        }
                                        put(&t, "%s\"%s\":", first ? "" : ",", tab->fields[i].key);
                                        put_value(&t, &tab->fields[i]);
                                        first = false;
                                }
                        }
                        put(&t, "}");
                        if (both(tab, t.buf, false, twice) == 0)
                                accepted++;
                        else
                                refused++;
                }
        }
        /* Both kinds of outcome were compared, many times. */
        ck_assert_uint_gt(accepted, 3000);
        ck_assert_uint_gt(refused, 3000);
}
END_TEST

int main(void) {
        Suite *s = suite_create("json_field");
        TCase *tc = tcase_create("scan");
        tcase_add_test(tc, test_scan_syntax);
        tcase_add_test(tc, test_scan_depth);
        tcase_add_test(tc, test_scan_strings);
        tcase_add_test(tc, test_scan_caps);
        suite_add_tcase(s, tc);
        tc = tcase_create("tables");
        tcase_add_test(tc, test_field_tables_agree);
        tcase_add_test(tc, test_field_tables_random);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
