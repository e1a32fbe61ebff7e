/* json-field.h: internal to the engine's JSON decoders (lib/engine-decode-*.c), not an interface of the
 * library. One table per decoded struct says which member goes into which field, read how, with what
 * default, required or not; the same table drives both readers: json_field_scan() over the text
 * (json-scan.h, for the big listings) and json_field_read() over a jansson object (json-read.h, for the
 * small answers). So the member-matching loop is written once, here, and both readers fill the same
 * struct from the same text by the same rules (shape rules of engine-internal.h) with json-read.h's
 * messages; tests/unit/test_json_field.c holds them to it.
 *
 * Both return 0, -EBADMSG (the cursor says where) or -ENOMEM. obj must come zeroed; what they put in it
 * is the caller's to free (the struct's *_done()), also after a failure. A member that appears twice
 * is read twice, the last one standing, as in a jansson object. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json-read.h"
#include "json-scan.h"

enum json_field_kind {
        JSON_FIELD_STRING,   /* char *: "" when absent or null; required: absent, null or "" is refused */
        JSON_FIELD_INT,      /* int64_t, a real truncated: def when absent or null */
        JSON_FIELD_UNIX_SEC, /* int64_t unix seconds clamped by time_clamp_unix_sec(): 0 when absent */
        JSON_FIELD_BOOL,     /* bool: false when absent */
        JSON_FIELD_TIME,     /* int64_t ns from an RFC 3339 string (engine_parse_time()): 0 when absent or "" */
        JSON_FIELD_STATE,    /* enum engine_container_state, from its word */
        JSON_FIELD_LABELS,   /* struct engine_labels from an object of strings: empty when absent */
        JSON_FIELD_STRV,     /* char **, NULL-terminated, from an array of strings, less those equal to
                              * skip: empty when absent */
        JSON_FIELD_OBJECT,   /* no field of its own: an object whose members fields reads into obj */
};

struct json_field;

/* A member no kind reads as it should: custom readers, for a field of the kind given (which sets its
 * default and what an absent one becomes). */
struct json_field_custom {
        /* The member's value at s->pos (of any type, null too): consume it, fill the field. */
        int (*scan)(struct json_scan *s, const struct json_field *f, void *obj);
        /* The member's value, NULL when absent or null. */
        int (*read)(const struct json_read_cursor *d, const struct json_field *f, json_t *v, void *obj);
};

struct json_field {
        const char *key;
        size_t offset;                 /* of the field in obj (offsetof()); not for JSON_FIELD_OBJECT */
        enum json_field_kind kind;
        bool required;                 /* JSON_FIELD_STRING only */
        bool loose;                    /* a value of another type reads as absent rather than an error */
        int64_t def;                   /* JSON_FIELD_INT */
        const char *skip;              /* JSON_FIELD_STRV */
        const struct json_field *fields; /* JSON_FIELD_OBJECT: its members */
        size_t n_fields;
        const struct json_field_custom *custom; /* NULL: read as kind says */
};

/* The longest member name a table may hold. */
#define JSON_FIELD_KEY_MAX 31

/* The object at s->pos into obj, by fields[0..n). Members the table does not name are skipped. */
int json_field_scan(struct json_scan *s, const struct json_field *fields, size_t n, void *obj) _must_check_;
/* The object o into obj, by fields[0..n), in table order. */
int json_field_read(const struct json_read_cursor *d, const json_t *o, const struct json_field *fields, size_t n,
                    void *obj) _must_check_;

/* The field f of obj (offsetof() in the table). */
static inline void *json_field_slot(const struct json_field *f, void *obj) {
        return (char *) obj + f->offset;
}

/* The field tables of the structs the decoders fill member by member, each read over the
 * text or over jansson by the same table; the decoders' own checks and normalizing come after. Declared here
 * for the differential test (tests/unit/test_json_field.c). */
extern const struct json_field engine_image_fields[], engine_container_fields[], engine_container_sized_fields[],
        engine_df_image_fields[], engine_df_container_fields[], engine_df_volume_fields[],
        engine_df_build_cache_fields[], engine_volume_fields[];
extern const size_t engine_image_n_fields, engine_container_n_fields, engine_df_image_n_fields,
        engine_df_container_n_fields, engine_df_volume_n_fields, engine_df_build_cache_n_fields,
        engine_volume_n_fields;
