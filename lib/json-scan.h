/* json-scan.h: internal to the engine's JSON decoders, not an interface of the library. A pull reader
 * over JSON text, for the items of the big listings (/containers/json, /images/json, /system/df):
 * it decodes straight into the structs of engine.h without building a jansson tree, and skips what no
 * decoder reads (Command, Ports, HostConfig...) without allocating anything. It follows the same rules
 * as jansson reading the whole body would (RFC 8259, strings in UTF-8 with no \u0000, nesting at most
 * 2048 deep) and the shape rules of engine-internal.h, with the messages of json-read.h.
 *
 * Every function returning int returns 0 (or 1/0 where said), -EBADMSG (s->d->err says where) or
 * -ENOMEM. Nothing is read past buf + len. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json-read.h"

struct json_scan {
        const char *buf;
        size_t len, pos;
        struct json_read_cursor *d;    /* for messages: what and which item */
};

/* The type of the next value (jansson's json_type, json_read_type_name() names it; JSON_INTEGER for any number), after whitespace;
 * -EBADMSG when no value starts there. */
int json_scan_peek(struct json_scan *s) _must_check_;

/* Skips one value, checking its syntax. */
int json_scan_skip(struct json_scan *s) _must_check_;
/* Consumes a null if one is next: 1 if it was, else 0. */
int json_scan_null(struct json_scan *s) _must_check_;

/* An object: begin consumes '{'; then, while next() returns 1, a member follows: read its name with
 * json_scan_key() (or json_scan_string() and json_scan_colon()), then its value. next() returns 0 after
 * consuming '}'. *first starts true. */
int json_scan_object_begin(struct json_scan *s) _must_check_;
int json_scan_object_next(struct json_scan *s, bool *first) _must_check_;
/* A member's name into key (up to key_size - 1 bytes; a longer name reads as "", which no decoder
 * asks for), and the ':' after it. */
int json_scan_key(struct json_scan *s, char *key, size_t key_size) _must_check_;
int json_scan_colon(struct json_scan *s) _must_check_;
/* An array: the same, with '[' and ']'; next() returns 1 when an item follows. */
int json_scan_array_begin(struct json_scan *s) _must_check_;
int json_scan_array_next(struct json_scan *s, bool *first) _must_check_;

/* A string value, unescaped, into a new NUL-terminated string (*ret_len without the NUL, may be NULL). */
int json_scan_string(struct json_scan *s, char **ret, size_t *ret_len) _must_check_;

/* ---- values as members, with json-read.h's rules and messages (key names the member); the others
 * are json-field.h's ---- */

/* A number member as int64 (a real is truncated); null = def. */
int json_scan_int(struct json_scan *s, const char *key, int64_t def, int64_t *ret) _must_check_;
/* The array that is the whole of buf (surrounding whitespace allowed): each(s, i, userdata) for
 * every item, positioned at it, with d->item = i; each must consume the item. 0, or the first error. */
int json_scan_each(struct json_read_cursor *d, const char *buf, size_t len,
                   int (*each)(struct json_scan *s, size_t i, void *userdata), void *userdata) _must_check_;

/* After a decoder refused buf (r = -EBADMSG): when buf is small enough to parse whole (4 MiB) and jansson
 * refuses it too, jansson's own message replaces the scanner's ("premature end of input", "maximum
 * parsing depth reached"...), so that a malformed answer is said as it was before the scanner, and as
 * the other decoders say it. Returns r. */
int json_scan_explain(struct json_read_cursor *d, const char *buf, size_t len, int r);

/* The next value parsed by jansson on its own (for small items that json-read.h's readers decode);
 * *ret is a new reference. */
int json_scan_json(struct json_scan *s, json_t **ret) _must_check_;
/* A member whose value is an array of objects (or null): each(s, i, userdata) for every item, positioned at
 * it, with d->item = i; each must consume the item. key names it in messages. */
int json_scan_objects(struct json_scan *s, const char *key, int (*each)(struct json_scan *s, size_t i, void *userdata),
                      void *userdata) _must_check_;
