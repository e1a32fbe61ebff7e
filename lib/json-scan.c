/* json-scan.c: the pull reader of json-scan.h. */

#include "json-scan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define SCAN_DEPTH_MAX 2048 /* jansson's JSON_PARSER_MAX_DEPTH */
#define NUMBER_MAX 512

static size_t skip_ws(const struct json_scan *s, size_t p) {
        while (p < s->len && (s->buf[p] == ' ' || s->buf[p] == '\t' || s->buf[p] == '\n' || s->buf[p] == '\r'))
                p++;
        return p;
}

/* Always -EBADMSG (json_read_bad()'s), written so that a reader of this file alone (clang's analyzer
 * too) sees an error path end negative. */
static int bad_at(const struct json_scan *s, size_t p, const char *what) {
        int r = p >= s->len ? json_read_bad(s->d, "%s: the body ends at byte %zu", what, p)
                            : json_read_bad(s->d, "%s at byte %zu", what, p);
        return r < 0 ? r : -EBADMSG;
}

int json_scan_peek(struct json_scan *s) {
        s->pos = skip_ws(s, s->pos);
        if (s->pos >= s->len)
                return bad_at(s, s->pos, "a value expected");
        switch (s->buf[s->pos]) {
        case '{':
                return JSON_OBJECT;
        case '[':
                return JSON_ARRAY;
        case '"':
                return JSON_STRING;
        case 't':
                return JSON_TRUE;
        case 'f':
                return JSON_FALSE;
        case 'n':
                return JSON_NULL;
        case '-':
        case '0' ... '9':
                return JSON_INTEGER;
        }
        return bad_at(s, s->pos, "invalid token");
}

/* The length of the UTF-8 sequence at p (1-4), or 0 when it is not one (overlong, surrogate, > U+10FFFF,
 * truncated): jansson refuses such input. */
static size_t utf8_length(const unsigned char *b, size_t n) {
        unsigned c = b[0];
        size_t k;
        unsigned cp;
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                k = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                k = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                k = 4, cp = c & 0x07;
        else
                return 0;
        if (n < k)
                return 0;
        for (size_t i = 1; i < k; i++) {
                if ((b[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (b[i] & 0x3f);
        }
        if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                return 0;
        return k;
}

static int hex4(const char *p, unsigned *ret) {
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
                char c = p[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned) (c - 'A' + 10);
                else
                        return -1;
        }
        *ret = v;
        return 0;
}

static size_t utf8_put(char *out, unsigned cp) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* The string at s->pos (its opening quote): checked, and when out is non-NULL unescaped into out (which
 * has room for as many bytes as the raw string: unescaping never grows it). *ret_len is the unescaped
 * length. s->pos ends after the closing quote. */
static int scan_string(struct json_scan *s, char *out, size_t *ret_len) {
        const unsigned char *b = (const unsigned char *) s->buf;
        size_t p = s->pos + 1, n = 0;

        for (;;) {
                /* The plain run up to the next quote, backslash, control or non-ASCII byte. */
                size_t q = p;
                while (q < s->len && b[q] >= 0x20 && b[q] < 0x80 && b[q] != '"' && b[q] != '\\')
                        q++;
                if (out && q > p)
                        memcpy(out + n, b + p, q - p);
                n += q - p;
                p = q;
                if (p >= s->len)
                        return bad_at(s, p, "unterminated string");
                unsigned c = b[p];
                if (c == '"')
                        break;
                if (c < 0x20)
                        return bad_at(s, p, "control character in a string");
                if (c >= 0x80) {
                        size_t k = utf8_length(b + p, s->len - p);
                        if (k == 0)
                                return bad_at(s, p, "invalid UTF-8 in a string");
                        if (out)
                                memcpy(out + n, b + p, k);
                        n += k;
                        p += k;
                        continue;
                }
                /* A backslash. */
                if (p + 1 >= s->len)
                        return bad_at(s, p, "unterminated string");
                char e = (char) b[p + 1];
                static const char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
                const char *k = e ? strchr(plain, e) : NULL;
                if (k) {
                        if (out)
                                out[n] = meant[k - plain];
                        n++;
                        p += 2;
                        continue;
                }
                if (e != 'u')
                        return bad_at(s, p, "invalid escape in a string");
                unsigned cp, lo;
                if (s->len - p < 6 || hex4(s->buf + p + 2, &cp) < 0)
                        return bad_at(s, p, "invalid \\u escape in a string");
                p += 6;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                        if (s->len - p < 6 || b[p] != '\\' || b[p + 1] != 'u' || hex4(s->buf + p + 2, &lo) < 0 ||
                            lo < 0xdc00 || lo > 0xdfff)
                                return bad_at(s, p, "invalid surrogate pair in a string");
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        p += 6;
                } else if (cp >= 0xdc00 && cp <= 0xdfff)
                        return bad_at(s, p, "lone low surrogate in a string");
                if (cp == 0)
                        return bad_at(s, p, "\\u0000 is not allowed in a string");
                /* A \uXXXX escape is 6 bytes (12 for a pair) and unescapes to at most 4: out has room. */
                if (out)
                        n += utf8_put(out + n, cp);
                else
                        n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        }
        s->pos = p + 1;
        if (ret_len)
                *ret_len = n;
        return 0;
}

/* A number's text at s->pos, checked against the grammar; *ret_integer says whether it has neither
 * fraction nor exponent. */
static int scan_number(struct json_scan *s, size_t *ret_end, bool *ret_integer) {
        const char *b = s->buf;
        size_t p = s->pos, n = s->len;
        bool integer = true;
        if (p < n && b[p] == '-')
                p++;
        if (p < n && b[p] == '0')
                p++;
        else if (p < n && b[p] >= '1' && b[p] <= '9')
                while (p < n && b[p] >= '0' && b[p] <= '9')
                        p++;
        else
                return bad_at(s, p, "invalid number");
        if (p < n && b[p] == '.') {
                integer = false;
                p++;
                if (p >= n || b[p] < '0' || b[p] > '9')
                        return bad_at(s, p, "invalid number");
                while (p < n && b[p] >= '0' && b[p] <= '9')
                        p++;
        }
        if (p < n && (b[p] == 'e' || b[p] == 'E')) {
                integer = false;
                p++;
                if (p < n && (b[p] == '+' || b[p] == '-'))
                        p++;
                if (p >= n || b[p] < '0' || b[p] > '9')
                        return bad_at(s, p, "invalid number");
                while (p < n && b[p] >= '0' && b[p] <= '9')
                        p++;
        }
        *ret_end = p;
        *ret_integer = integer;
        return 0;
}

/* The number at s->pos (ending at end) in jansson's range, for a value no decoder reads: an integer fits
 * in long long, a real is finite. */
static int number_in_range(const struct json_scan *s, size_t end, bool integer) {
        char small[64];
        size_t k = end - s->pos;
        if (integer && k <= 18) /* at most 18 digits: within long long, no need to convert */
                return 0;
        _cleanup_free_ char *big = k < sizeof small ? NULL : malloc(k + 1);
        char *text = big ? big : small;
        if (k >= sizeof small && !big)
                return -ENOMEM;
        memcpy(text, s->buf + s->pos, k);
        text[k] = 0;
        errno = 0;
        if (integer) {
                long long v = strtoll(text, NULL, 10);
                if (errno == ERANGE)
                        return bad_at(s, s->pos, v < 0 ? "too big negative integer" : "too big integer");
        } else if (isinf(strtod(text, NULL)))
                return bad_at(s, s->pos, "real number overflow");
        return 0;
}

static int scan_literal(struct json_scan *s, const char *word) {
        size_t k = strlen(word);
        if (s->len - s->pos < k || memcmp(s->buf + s->pos, word, k) != 0)
                return bad_at(s, s->pos, "invalid token");
        s->pos += k;
        return 0;
}

int json_scan_null(struct json_scan *s) {
        s->pos = skip_ws(s, s->pos);
        if (s->len - s->pos >= 4 && memcmp(s->buf + s->pos, "null", 4) == 0) {
                s->pos += 4;
                return 1;
        }
        return 0;
}

/* Iterative, with the open brackets kept as bits: no recursion for hostile nesting. */
int json_scan_skip(struct json_scan *s) {
        unsigned char open[SCAN_DEPTH_MAX / 8] = {}; /* bit set = object */
        size_t depth = 0;
        bool need_value = true;
        int r;

        for (;;) {
                if (need_value) {
                        int t = json_scan_peek(s);
                        if (t < 0)
                                return t;
                        switch (t) {
                        case JSON_OBJECT:
                        case JSON_ARRAY:
                                if (depth >= SCAN_DEPTH_MAX)
                                        return bad_at(s, s->pos, "maximum parsing depth reached");
                                if (t == JSON_OBJECT)
                                        open[depth / 8] |= (unsigned char) (1u << (depth % 8));
                                else
                                        open[depth / 8] &= (unsigned char) ~(1u << (depth % 8));
                                depth++;
                                s->pos = skip_ws(s, s->pos + 1);
                                if (s->pos < s->len && s->buf[s->pos] == (t == JSON_OBJECT ? '}' : ']')) {
                                        s->pos++;
                                        depth--;
                                        need_value = false;
                                        break;
                                }
                                if (t == JSON_OBJECT) {
                                        char key[1];
                                        if (s->pos >= s->len || s->buf[s->pos] != '"')
                                                return bad_at(s, s->pos, "a member name expected");
                                        if ((r = json_scan_key(s, key, sizeof key)) < 0)
                                                return r;
                                }
                                continue; /* the first value inside */
                        case JSON_STRING:
                                if ((r = scan_string(s, NULL, NULL)) < 0)
                                        return r;
                                break;
                        case JSON_INTEGER: {
                                size_t end;
                                bool integer;
                                if ((r = scan_number(s, &end, &integer)) < 0 ||
                                    (r = number_in_range(s, end, integer)) < 0)
                                        return r;
                                s->pos = end;
                                break;
                        }
                        case JSON_TRUE:
                        case JSON_FALSE:
                        case JSON_NULL:
                                if ((r = scan_literal(s, t == JSON_TRUE ? "true" : t == JSON_FALSE ? "false" : "null")) < 0)
                                        return r;
                                break;
                        }
                        need_value = false;
                }
                if (depth == 0)
                        return 0;
                /* After a value inside a container: ',' and the next, or the container's end. */
                bool object = open[(depth - 1) / 8] & (1u << ((depth - 1) % 8));
                s->pos = skip_ws(s, s->pos);
                if (s->pos >= s->len)
                        return bad_at(s, s->pos, "unterminated array or object");
                char c = s->buf[s->pos];
                if (c == ',') {
                        s->pos = skip_ws(s, s->pos + 1);
                        if (object) {
                                char key[1];
                                if (s->pos >= s->len || s->buf[s->pos] != '"')
                                        return bad_at(s, s->pos, "a member name expected");
                                if ((r = json_scan_key(s, key, sizeof key)) < 0)
                                        return r;
                        }
                        need_value = true;
                } else if (c == (object ? '}' : ']')) {
                        s->pos++;
                        depth--;
                } else
                        return bad_at(s, s->pos, object ? "',' or '}' expected" : "',' or ']' expected");
        }
}

static int begin(struct json_scan *s, char c) {
        s->pos = skip_ws(s, s->pos);
        if (s->pos >= s->len || s->buf[s->pos] != c)
                return bad_at(s, s->pos, c == '{' ? "'{' expected" : "'[' expected");
        s->pos++;
        return 0;
}

/* Where a container's members or items go on: 1 with one next, 0 after its end (consumed). */
static int next(struct json_scan *s, bool *first, char close, bool object) {
        s->pos = skip_ws(s, s->pos);
        if (s->pos >= s->len)
                return bad_at(s, s->pos, "unterminated array or object");
        char c = s->buf[s->pos];
        if (c == close) {
                s->pos++;
                return 0;
        }
        if (!*first) {
                if (c != ',')
                        return bad_at(s, s->pos, object ? "',' or '}' expected" : "',' or ']' expected");
                s->pos = skip_ws(s, s->pos + 1);
        }
        *first = false;
        if (object && (s->pos >= s->len || s->buf[s->pos] != '"'))
                return bad_at(s, s->pos, "a member name expected");
        if (!object && (s->pos >= s->len || s->buf[s->pos] == close))
                return bad_at(s, s->pos, "a value expected");
        return 1;
}

int json_scan_object_begin(struct json_scan *s) {
        return begin(s, '{');
}

int json_scan_object_next(struct json_scan *s, bool *first) {
        return next(s, first, '}', true);
}

int json_scan_array_begin(struct json_scan *s) {
        return begin(s, '[');
}

int json_scan_array_next(struct json_scan *s, bool *first) {
        return next(s, first, ']', false);
}

int json_scan_colon(struct json_scan *s) {
        s->pos = skip_ws(s, s->pos);
        if (s->pos >= s->len || s->buf[s->pos] != ':')
                return bad_at(s, s->pos, "':' expected");
        s->pos++;
        return 0;
}

int json_scan_key(struct json_scan *s, char *key, size_t key_size) {
        s->pos = skip_ws(s, s->pos);
        if (s->pos >= s->len || s->buf[s->pos] != '"')
                return bad_at(s, s->pos, "a member name expected");
        size_t start = s->pos, n;
        int r = scan_string(s, NULL, &n);
        if (r < 0)
                return r;
        if (n < key_size) {
                /* Unescaping never grows a string, but the raw text may not fit where its result does. */
                size_t raw = s->pos - start - 2;
                _cleanup_free_ char *tmp = raw < key_size ? NULL : malloc(raw + 1);
                if (raw >= key_size && !tmp)
                        return -ENOMEM;
                struct json_scan t = *s;
                t.pos = start;
                if ((r = scan_string(&t, tmp ? tmp : key, NULL)) < 0)
                        return r;
                if (tmp)
                        memcpy(key, tmp, n);
                key[n] = 0;
        } else if (key_size > 0)
                key[0] = 0;
        return json_scan_colon(s);
}

int json_scan_string(struct json_scan *s, char **ret, size_t *ret_len) {
        s->pos = skip_ws(s, s->pos);
        if (s->pos >= s->len || s->buf[s->pos] != '"')
                return bad_at(s, s->pos, "a string expected");
        const unsigned char *b = (const unsigned char *) s->buf;
        size_t start = s->pos, q = start + 1, n;
        char *out;
        /* Most strings are plain ASCII: copied at once. Others are measured, then unescaped. */
        while (q < s->len && b[q] >= 0x20 && b[q] < 0x80 && b[q] != '"' && b[q] != '\\')
                q++;
        if (q < s->len && b[q] == '"') {
                n = q - start - 1;
                if (!(out = malloc(n + 1)))
                        return -ENOMEM;
                memcpy(out, b + start + 1, n);
                s->pos = q + 1;
        } else {
                int r = scan_string(s, NULL, &n);
                if (r < 0)
                        return r;
                if (!(out = malloc(n + 1)))
                        return -ENOMEM;
                struct json_scan t = *s;
                t.pos = start;
                if ((r = scan_string(&t, out, NULL)) < 0) {
                        free(out);
                        return r;
                }
        }
        out[n] = 0;
        *ret = out;
        if (ret_len)
                *ret_len = n;
        return 0;
}

/* ---- members ---- */

static int wrong_type(struct json_scan *s, const char *key, int type, const char *want) {
        return json_read_bad(s->d, "\"%s\" is %s, not %s", key, json_read_type_name(type), want);
}

int json_scan_int(struct json_scan *s, const char *key, int64_t def, int64_t *ret) {
        int t = json_scan_peek(s);
        if (t < 0)
                return t;
        if (t == JSON_NULL) {
                *ret = def;
                return scan_literal(s, "null");
        }
        if (t != JSON_INTEGER)
                return wrong_type(s, key, t, "a number");
        size_t end;
        bool integer;
        int r = scan_number(s, &end, &integer);
        if (r < 0)
                return r;
        size_t k = end - s->pos;
        if (k >= NUMBER_MAX)
                return bad_at(s, s->pos, "number too long");
        char text[NUMBER_MAX];
        memcpy(text, s->buf + s->pos, k);
        text[k] = 0;
        if (integer) {
                /* jansson refuses integers that do not fit in json_int_t (long long). */
                errno = 0;
                long long v = strtoll(text, NULL, 10);
                if (errno == ERANGE)
                        return bad_at(s, s->pos, v < 0 ? "too big negative integer" : "too big integer");
                *ret = v;
        } else {
                /* Not what Docker sends, but harmless: sizes as 1.5e9 still mean bytes. The grammar above
                 * leaves strtod nothing locale-dependent but the decimal point, which C's locale keeps. */
                double x = strtod(text, NULL);
                if (!isfinite(x) || x < -9.2e18 || x > 9.2e18)
                        return json_read_bad(s->d, "\"%s\" is out of range", key);
                *ret = (int64_t) x;
        }
        s->pos = end;
        return 0;
}

#define EXPLAIN_MAX ((size_t) 4 * 1024 * 1024)

int json_scan_explain(struct json_read_cursor *d, const char *buf, size_t len, int r) {
        if (r != -EBADMSG || len == 0 || len > EXPLAIN_MAX)
                return r;
        json_error_t je;
        json_t *j = json_loadb(buf, len, 0, &je);
        if (j) {
                json_decref(j); /* well-formed: the scanner's shape message stands */
                return r;
        }
        if (json_error_code(&je) == json_error_out_of_memory)
                return r;
        d->item = -1;
        return json_read_bad(d, "%s at byte %d", je.text, je.position);
}

int json_scan_json(struct json_scan *s, json_t **ret) {
        s->pos = skip_ws(s, s->pos);
        size_t start = s->pos;
        int r = json_scan_skip(s);
        if (r < 0)
                return r;
        json_error_t je;
        json_t *j = json_loadb(s->buf + start, s->pos - start, JSON_DECODE_ANY, &je);
        if (!j) {
                if (json_error_code(&je) == json_error_out_of_memory)
                        return engine_error_set(s->d->err, -ENOMEM, "out of memory decoding %s", s->d->what);
                return bad_at(s, start + (size_t) MAX(je.position, 0), je.text);
        }
        *ret = j;
        return 0;
}

/* The items of the array at s->pos. */
static int each_object(struct json_scan *s, int (*each)(struct json_scan *s, size_t i, void *userdata), void *userdata) {
        bool first = true;
        int r, t;
        if ((r = json_scan_array_begin(s)) < 0)
                return r;
        for (size_t i = 0; (r = json_scan_array_next(s, &first)) > 0; i++) {
                s->d->item = (ssize_t) i;
                if ((t = json_scan_peek(s)) < 0)
                        return t;
                if (t != JSON_OBJECT)
                        return json_read_bad(s->d, "item is %s, not an object", json_read_type_name(t));
                if ((r = each(s, i, userdata)) < 0)
                        return r;
                s->d->item = -1;
        }
        return r;
}

int json_scan_objects(struct json_scan *s, const char *key, int (*each)(struct json_scan *s, size_t i, void *userdata),
                      void *userdata) {
        int t = json_scan_peek(s);
        if (t < 0)
                return t;
        if (t == JSON_NULL)
                return scan_literal(s, "null");
        if (t != JSON_ARRAY)
                return wrong_type(s, key, t, "an array");
        return each_object(s, each, userdata);
}

int json_scan_each(struct json_read_cursor *d, const char *buf, size_t len,
                   int (*each)(struct json_scan *s, size_t i, void *userdata), void *userdata) {
        struct json_scan s = { buf, len, 0, d };
        int r;

        s.pos = skip_ws(&s, 0);
        if (s.pos >= len)
                return json_read_bad(d, "empty body");
        int t = json_scan_peek(&s);
        if (t < 0)
                return json_scan_explain(d, buf, len, t);
        if (t != JSON_ARRAY)
                return json_scan_explain(d, buf, len, json_read_bad(d, "expected an array, got %s", json_read_type_name(t)));
        r = each_object(&s, each, userdata);
        if (r < 0)
                return json_scan_explain(d, buf, len, r);
        s.pos = skip_ws(&s, s.pos);
        if (s.pos != len)
                return json_scan_explain(d, buf, len, json_read_bad(d, "end of file expected at byte %zu", s.pos));
        return 0;
}
