/* json-read.h: internal to the engine's JSON decoders (lib/engine-decode-*.c), not an interface of the
 * library: reading jansson values into the types of engine.h, following the shape rules of
 * engine-internal.h (an absent member or a null is the default, a present one of the wrong type is
 * -EBADMSG), with messages that say where: "malformed answer to /containers/json[3]: \"Id\" is a
 * number, not a string".
 *
 * Every function returning int returns 0, -EBADMSG (d->err, when non-NULL, says where and what) or
 * -ENOMEM. *ret is set only on success; what it gets is the caller's to free, except members (json_t)
 * and peeked strings, which are borrowed from the JSON value. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "engine-internal.h"

/* Hands a struct out of a cleanup scope, leaving zeroes behind. */
#define TAKE_STRUCT(s)                                  \
        ({                                              \
                __typeof__(s) _taken_s_ = (s);          \
                memset(&(s), 0, sizeof(s));             \
                _taken_s_;                              \
        })

/* Where a decoder is, for the error message. */
struct json_read_cursor {
        struct engine_error *err;
        const char *what;              /* the endpoint: "/containers/json" */
        ssize_t item;                  /* index of the array item being read; -1 outside one */
};

/* Sets d->err to -EBADMSG and "malformed answer to <what>[<item>]: <detail>"; returns -EBADMSG. */
int json_read_bad(const struct json_read_cursor *d, const char *fmt, ...) _printf_(2, 3);
/* "an object", "a number"...: for messages (of jansson's values and json-scan.h's peeks alike). */
const char *json_read_type_name(json_type type);

/* Parses a whole body, whose top level must be of type want; *ret is a new reference. */
int json_read_parse(const struct json_read_cursor *d, const char *buf, size_t len, json_type want,
                    json_t **ret) _must_check_;

/* A member, with null treated as absent (NULL). */
json_t *json_read_member(const json_t *o, const char *key);
/* A member that must be an object (an array) when present; NULL when absent. */
int json_read_object(const struct json_read_cursor *d, const json_t *o, const char *key, json_t **ret) _must_check_;
int json_read_array(const struct json_read_cursor *d, const json_t *o, const char *key, json_t **ret) _must_check_;
/* A string; "" when absent. required: absent or "" is -EBADMSG. */
int json_read_peek_str(const struct json_read_cursor *d, const json_t *o, const char *key, bool required,
                       const char **ret) _must_check_;
int json_read_str(const struct json_read_cursor *d, const json_t *o, const char *key, bool required,
                  char **ret) _must_check_;
/* A number as int64 (a real is truncated); def when absent. */
int json_read_int(const struct json_read_cursor *d, const json_t *o, const char *key, int64_t def,
                  int64_t *ret) _must_check_;
/* false when absent. */
int json_read_bool(const struct json_read_cursor *d, const json_t *o, const char *key, bool *ret) _must_check_;
/* An RFC 3339 string (engine_parse_time()) as unix ns; 0 when absent or "". */
int json_read_time(const struct json_read_cursor *d, const json_t *o, const char *key, int64_t *ret_ns) _must_check_;
/* The same, from the string s (the member key's value) itself. */
int json_read_time_string(const struct json_read_cursor *d, const char *key, const char *s,
                          int64_t *ret_ns) _must_check_;
/* A container state word as the enum (engine_container_state_from_string()). */
int json_read_state(const struct json_read_cursor *d, const json_t *o, const char *key,
                    enum engine_container_state *ret) _must_check_;
/* An object of strings as labels; empty when absent. Free with json_read_labels_free(). */
int json_read_labels(const struct json_read_cursor *d, const json_t *o, const char *key,
                     struct engine_labels *ret) _must_check_;
void json_read_labels_free(struct engine_labels *l);
/* A NULL-terminated copy of an array of strings, without the entries equal to skip (unless NULL); empty
 * when absent. */
int json_read_strv(const struct json_read_cursor *d, const json_t *o, const char *key, const char *skip,
                   char ***ret) _must_check_;

/* Calls each(d, item, i, userdata) for every item of the array a (NULL: none), which must be an object,
 * with d->item = i; returns the first error, else 0 with d->item back at -1. */
int json_read_each_object(struct json_read_cursor *d, const json_t *a,
                          int (*each)(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata),
                          void *userdata) _must_check_;

/* Grows *items (of *allocated elements of size bytes) to hold at least n + 1, zeroing the new part;
 * -ENOMEM. For decoders that fill items[n++] as the items come (json-scan.h reads big listings so). */
int json_read_grow(void **items, size_t *allocated, size_t n, size_t size) _must_check_;
