/* engine-internal.h: what lib/engine.c shares with the JSON decoders (lib/engine-decode-*.c, reading
 * with lib/json-read.h) and the value parsers (lib/engine-values.c), the fuzz target and the decode
 * benchmark. Nothing here knows about curl: every decoder takes the raw body as (buf, len), so it can
 * be driven straight from bytes.
 *
 * Decoders return 0, -EBADMSG (malformed, truncated or wrongly shaped JSON: err->message says where)
 * or -ENOMEM. On success *ret is filled and owned by the caller (free it with the matching *_done()
 * from engine.h); on failure *ret is untouched. err may be NULL.
 *
 * Shape rules: the top level and every item must have the documented JSON type; an absent field or
 * a null is the field's default (strings "", arrays empty, numbers as documented in engine.h); a
 * present field of the wrong type is -EBADMSG. Ids are required. */
#pragma once

#include <jansson.h>

#include "docker-ref.h"
#include "engine.h"
#include "macro.h"
#include "strv.h"

/* json_decrefp() comes with jansson >= 2.9. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* The one error setter of the engine client, for the transport (&e->error) and the decoders alike: sets
 * err (when non-NULL) to code and a printf-formatted message; returns code. */
int engine_error_set(struct engine_error *err, int code, const char *fmt, ...) _printf_(3, 4);


/* Parses "1.41" into major/minor; -EINVAL unless it is two decimal numbers. */
int engine_version_parse(const char *s, unsigned *ret_major, unsigned *ret_minor) _must_check_;
/* Orders two "X.Y" versions like strcmp; a version that does not parse sorts first. */
int engine_version_compare(const char *a, const char *b);

/* The engine's explanation in an error body: "message" of a JSON object (Docker's {"message"},
 * Podman's {"cause","message","response"}), else the body itself as printable text, truncated;
 * "" for an empty body. Never fails. */
void engine_decode_error_message(const char *buf, size_t len, char *msg, size_t msg_size);

int engine_decode_version(const char *buf, size_t len, struct engine_version *ret,
                          struct engine_error *err) _must_check_;
int engine_decode_info(const char *buf, size_t len, struct engine_info *ret, struct engine_error *err) _must_check_;
/* with_size: the list was asked for with size=1, so an absent SizeRw means 0 (not unknown). */
int engine_decode_containers(const char *buf, size_t len, bool with_size, struct engine_container_list *ret,
                             struct engine_error *err) _must_check_;
int engine_decode_container_detail(const char *buf, size_t len, struct engine_container_detail *ret,
                                   struct engine_error *err) _must_check_;
int engine_decode_images(const char *buf, size_t len, struct engine_image_list *ret,
                         struct engine_error *err) _must_check_;
int engine_decode_image_detail(const char *buf, size_t len, struct engine_image_detail *ret,
                               struct engine_error *err) _must_check_;
int engine_decode_image_delete(const char *buf, size_t len, struct engine_image_delete_result *ret,
                               struct engine_error *err) _must_check_;
int engine_decode_prune(const char *buf, size_t len, enum engine_prune_kind kind, struct engine_prune_result *ret,
                        struct engine_error *err) _must_check_;
int engine_decode_df(const char *buf, size_t len, struct engine_df *ret, struct engine_error *err) _must_check_;
int engine_decode_volumes(const char *buf, size_t len, struct engine_volume_list *ret,
                          struct engine_error *err) _must_check_;
int engine_decode_networks(const char *buf, size_t len, struct engine_network_list *ret,
                           struct engine_error *err) _must_check_;

/* One decoded line of the event stream. ev's strings point into root; valid until
 * engine_event_data_done(). */
struct engine_event_data {
        struct engine_event ev;
        struct engine_labels attributes;
        char actor_id[DOCKER_REF_ID_SIZE]; /* "sha256:<hex>" when the engine sent bare hex */
        json_t *root;
};
int engine_decode_event(const char *buf, size_t len, struct engine_event_data *ret,
                        struct engine_error *err) _must_check_;
void engine_event_data_done(struct engine_event_data *d);

/* A volume name the engine made up: 64 lowercase hex digits. */
bool engine_volume_name_is_anonymous(const char *name);

/* ---- shared by the decoders (lib/engine-values.c) ---- */

/* The engine's word for a container state ("running"; Podman's "stopped", "configured"...);
 * ENGINE_CONTAINER_UNKNOWN for any other. */
enum engine_container_state engine_container_state_from_string(const char *s);
/* Rewrites a bare hex image id in *id to Docker's "sha256:<hex>" (as every listing names images);
 * leaves NULL and any other id as they are. */
int engine_image_id_normalize(char **id) _must_check_;
