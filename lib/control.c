/* control.c: the control socket's messages and the --ensure-free decisions (see control.h). Pure. */
#include "control.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"

static const char *const status_names[_CONTROL_STATUS_MAX] = {
        [CONTROL_STATUS_OK] = "ok",
        [CONTROL_STATUS_NOT_NOW] = "not-now",
        [CONTROL_STATUS_NEVER] = "never",
        [CONTROL_STATUS_REFUSED] = "refused",
        [CONTROL_STATUS_INVALID] = "invalid",
};

const char *control_status_to_string(enum control_status s) {
        return (unsigned) s < _CONTROL_STATUS_MAX ? status_names[s] : NULL;
}

static void json_decref_p(json_t **j) {
        if (*j)
                json_decref(*j);
}

/* The message without its final newline, parsed as one object; the caller frees it. */
static json_t *message_parse(const char *text, size_t n, char *why, size_t why_size) {
        if (n > CONTROL_MESSAGE_MAX) {
                snprintf(why, why_size, "request longer than %d bytes", CONTROL_MESSAGE_MAX);
                return NULL;
        }
        if (n > 0 && text[n - 1] == '\n')
                n--;
        json_error_t e;
        json_t *j = json_loadb(text, n, JSON_REJECT_DUPLICATES, &e);
        if (!j) {
                snprintf(why, why_size, "not JSON: %s at byte %d", e.text, e.position);
                return NULL;
        }
        if (!json_is_object(j)) {
                json_decref(j);
                snprintf(why, why_size, "not a JSON object");
                return NULL;
        }
        return j;
}

static bool only_members(json_t *j, const char *a, const char *b, char *why, size_t why_size) {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
                if (!streq(key, "op") && !streq(key, a) && !streq(key, b)) {
                        snprintf(why, why_size, "unknown member \"%.40s\"", key);
                        return false;
                }
        return true;
}

static int parse_lease(json_t *j, struct control_request *ret, char *why, size_t why_size) {
        if (!only_members(j, "images", "seconds", why, why_size))
                return -EINVAL;
        json_t *images = json_object_get(j, "images"), *seconds = json_object_get(j, "seconds");
        if (!json_is_array(images) || json_array_size(images) == 0 || json_array_size(images) > CONTROL_LEASE_IMAGES_MAX) {
                snprintf(why, why_size, "\"images\" must be a list of 1 to %d images", CONTROL_LEASE_IMAGES_MAX);
                return -EINVAL;
        }
        if (!json_is_integer(seconds) || json_integer_value(seconds) <= 0 || json_integer_value(seconds) > CONTROL_LEASE_SECONDS_MAX) {
                snprintf(why, why_size, "\"seconds\" must be 1 to %d", CONTROL_LEASE_SECONDS_MAX);
                return -EINVAL;
        }
        _cleanup_strv_free_ char **l = strv_new_empty();
        if (!l)
                return -ENOMEM;
        size_t i;
        json_t *v;
        json_array_foreach(images, i, v) {
                const char *s = json_string_value(v);
                /* A reference or an id: no spaces, no control characters, nothing a URL path would split. */
                if (!s || !*s || strlen(s) > 255 || strpbrk(s, " ?#%\\\t\n\r") || s[0] == '-') {
                        snprintf(why, why_size, "\"images\"[%zu] is not an image reference or id", i);
                        return -EINVAL;
                }
                int r = strv_push_dup(&l, s);
                if (r < 0)
                        return r;
        }
        *ret = (struct control_request){ .op = CONTROL_OP_LEASE, .images = TAKE_PTR(l), .seconds = (uint64_t) json_integer_value(seconds) };
        return 0;
}

static int parse_release(json_t *j, struct control_request *ret, char *why, size_t why_size) {
        if (!only_members(j, "lease", "lease", why, why_size))
                return -EINVAL;
        const char *id = json_string_value(json_object_get(j, "lease"));
        if (!id || strlen(id) != 16 || strspn(id, "0123456789abcdef") != 16) {
                snprintf(why, why_size, "\"lease\" must be a lease id (16 hex digits)");
                return -EINVAL;
        }
        struct control_request r = { .op = CONTROL_OP_RELEASE };
        snprintf(r.lease, sizeof r.lease, "%s", id);
        *ret = r;
        return 0;
}

int control_request_parse(const char *text, size_t n, struct control_request *ret, char *why, size_t why_size) {
        __attribute__((cleanup(json_decref_p))) json_t *j = message_parse(text, n, why, why_size);
        if (!j)
                return -EINVAL;
        const char *key, *op = json_string_value(json_object_get(j, "op"));
        json_t *v;
        if (op && streq(op, "lease"))
                return parse_lease(j, ret, why, why_size);
        if (op && streq(op, "release"))
                return parse_release(j, ret, why, why_size);
        if (!op || !streq(op, "ensure-free")) {
                snprintf(why, why_size, "\"op\" must be \"ensure-free\", \"lease\" or \"release\"");
                return -EINVAL;
        }
        json_object_foreach(j, key, v)
                if (!streq(key, "op") && !streq(key, "bytes") && !streq(key, "path")) {
                        snprintf(why, why_size, "unknown member \"%.40s\"", key);
                        return -EINVAL;
                }
        json_t *bytes = json_object_get(j, "bytes");
        if (!json_is_integer(bytes) || json_integer_value(bytes) <= 0) {
                snprintf(why, why_size, "\"bytes\" must be a positive integer");
                return -EINVAL;
        }
        json_t *path = json_object_get(j, "path");
        const char *p = NULL;
        if (path) {
                p = json_string_value(path);
                if (!p || p[0] != '/' || strlen(p) >= PATH_MAX) {
                        snprintf(why, why_size, "\"path\" must be an absolute path");
                        return -EINVAL;
                }
        }
        char *copy = p ? strdup(p) : NULL;
        if (p && !copy)
                return -ENOMEM;
        *ret = (struct control_request){ .op = CONTROL_OP_ENSURE_FREE, .bytes = (uint64_t) json_integer_value(bytes), .path = copy };
        return 0;
}

void control_request_done(struct control_request *r) {
        free(r->path);
        r->path = NULL;
        strv_freep(&r->images);
}

static int dump_line(json_t *j, char *buf, size_t size) {
        if (!j)
                return -ENOMEM;
        size_t n = json_dumpb(j, buf, size, JSON_COMPACT);
        json_decref(j);
        if (n == 0 || n + 2 > size)
                return -ENOBUFS;
        buf[n] = '\n';
        buf[n + 1] = 0;
        return (int) n + 1;
}

int control_request_format(const struct control_request *r, char *buf, size_t size) {
        if (r->op == CONTROL_OP_RELEASE)
                return dump_line(json_pack("{s:s, s:s}", "op", "release", "lease", r->lease), buf, size);
        if (r->op == CONTROL_OP_LEASE) {
                json_t *a = json_array();
                for (char **i = r->images; a && i && *i; i++)
                        json_array_append_new(a, json_string(*i));
                return dump_line(a ? json_pack("{s:s, s:o, s:I}", "op", "lease", "images", a, "seconds", (json_int_t) r->seconds) : NULL,
                                 buf, size);
        }
        if (r->bytes > INT64_MAX)
                return -ERANGE;
        json_t *j = json_pack("{s:s, s:I}", "op", "ensure-free", "bytes", (json_int_t) r->bytes);
        if (j && r->path && json_object_set_new(j, "path", json_string(r->path)) < 0) {
                json_decref(j);
                return -ENOMEM;
        }
        return dump_line(j, buf, size);
}

int control_reply_format(const struct control_reply *r, char *buf, size_t size) {
        const char *s = control_status_to_string(r->status);
        if (!s)
                return -EINVAL;
        json_t *j = json_pack("{s:s, s:I, s:s}", "status", s, "free", (json_int_t) MIN(r->free_bytes, (uint64_t) INT64_MAX),
                              "reason", r->reason);
        if (j && r->lease[0] && json_object_set_new(j, "lease", json_string(r->lease)) < 0) {
                json_decref(j);
                return -ENOMEM;
        }
        return dump_line(j, buf, size);
}

int control_reply_parse(const char *text, size_t n, struct control_reply *ret) {
        char why[128];
        __attribute__((cleanup(json_decref_p))) json_t *j = message_parse(text, n, why, sizeof why);
        if (!j)
                return -EBADMSG;
        const char *s = json_string_value(json_object_get(j, "status"));
        json_t *f = json_object_get(j, "free");
        const char *reason = json_string_value(json_object_get(j, "reason"));
        if (!s || !json_is_integer(f) || json_integer_value(f) < 0 || !reason)
                return -EBADMSG;
        struct control_reply r = { .status = _CONTROL_STATUS_MAX, .free_bytes = (uint64_t) json_integer_value(f) };
        for (size_t i = 0; i < _CONTROL_STATUS_MAX; i++)
                if (streq(s, status_names[i]))
                        r.status = (enum control_status) i;
        if (r.status == _CONTROL_STATUS_MAX)
                return -EBADMSG;
        snprintf(r.reason, sizeof r.reason, "%s", reason);
        const char *lease = json_string_value(json_object_get(j, "lease"));
        if (lease)
                snprintf(r.lease, sizeof r.lease, "%s", lease);
        *ret = r;
        return 0;
}

static bool covers(const struct control_want *w, size_t i) {
        return w->fs < 0 || (size_t) w->fs == i;
}

enum control_verdict control_judge(const struct usage_set *s, const struct control_want *w) {
        bool met = true;
        for (size_t i = 0; i < s->n; i++) {
                if (!covers(w, i))
                        continue;
                const struct usage *u = &s->fs[i].usage;
                /* Everything used freed is the most a cleanup could ever give. */
                struct usage best;
                usage_after_freeing(u, u->used_bytes, &best);
                if (best.free_bytes < w->bytes)
                        return CONTROL_VERDICT_NEVER;
                met = met && u->free_bytes >= w->bytes;
        }
        return met ? CONTROL_VERDICT_MET : CONTROL_VERDICT_WAIT;
}

size_t control_tightest(const struct usage_set *s, const struct control_want *w) {
        size_t best = 0;
        bool found = false;
        for (size_t i = 0; i < s->n; i++)
                if (covers(w, i) && (!found || s->fs[i].usage.free_bytes < s->fs[best].usage.free_bytes)) {
                        best = i;
                        found = true;
                }
        return best;
}

size_t control_round(const struct control_want *wants, size_t n, const struct usage_set *s, uint64_t *ret_bytes,
                     bool ret_fs[static USAGE_SET_MAX]) {
        size_t waiting = 0;
        uint64_t bytes = 0;
        bool fs[USAGE_SET_MAX] = {};
        for (size_t k = 0; k < n; k++) {
                if (control_judge(s, &wants[k]) != CONTROL_VERDICT_WAIT)
                        continue;
                waiting++;
                bytes = MAX(bytes, wants[k].bytes);
                for (size_t i = 0; i < s->n; i++)
                        if (covers(&wants[k], i) && s->fs[i].usage.free_bytes < wants[k].bytes)
                                fs[i] = true;
        }
        *ret_bytes = bytes;
        memcpy(ret_fs, fs, sizeof fs);
        return waiting;
}
