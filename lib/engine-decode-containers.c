/* engine-decode-containers.c: /containers/json and /containers/{id}/json to the structs of engine.h. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "json-field.h"

static void container_free(struct engine_container *c) {
        free(c->id);
        free(c->name);
        free(c->image);
        free(c->image_id);
        json_read_labels_free(&c->labels);
        strv_freep(&c->networks);
        strv_freep(&c->volumes);
}

void engine_container_list_done(struct engine_container_list *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                container_free(&l->items[i]);
        free(l->items);
        *l = (struct engine_container_list) {};
}

/* "/name" (Docker keeps the leading slash of the old link tree) to "name". */
static int strdup_name(const char *s, char **ret) {
        char *c = strdup(s[0] == '/' ? s + 1 : s);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

struct containers_ctx {
        struct engine_container_list *list;
        size_t allocated;
        bool with_size;
};

/* Names: the first, which must be a string, without Docker's leading '/'; the others are not read. */
static int scan_names(struct json_scan *s, const struct json_field *f, void *obj) {
        char **name = json_field_slot(f, obj);
        bool first = true;
        int r, t;

        if ((t = json_scan_peek(s)) < 0)
                return t;
        if (t == JSON_NULL)
                return json_scan_null(s) < 0 ? -EBADMSG : 0;
        if (t != JSON_ARRAY)
                return json_read_bad(s->d, "\"Names\" is %s, not an array", json_read_type_name((json_type) t));
        if ((r = json_scan_array_begin(s)) < 0)
                return r;
        for (size_t i = 0; (r = json_scan_array_next(s, &first)) > 0; i++) {
                if (i > 0) {
                        if ((r = json_scan_skip(s)) < 0)
                                return r;
                        continue;
                }
                if ((t = json_scan_peek(s)) < 0)
                        return t;
                if (t != JSON_STRING)
                        return json_read_bad(s->d, "\"Names\"[0] is %s, not a string", json_read_type_name((json_type) t));
                _cleanup_free_ char *v = NULL;
                if ((r = json_scan_string(s, &v, NULL)) < 0)
                        return r;
                free(*name);
                *name = NULL;
                if ((r = strdup_name(v, name)) < 0)
                        return r;
        }
        return r;
}

static int read_names(const struct json_read_cursor *d, const struct json_field *f, json_t *v, void *obj) {
        char **name = json_field_slot(f, obj);
        if (!v)
                return 0;
        if (!json_is_array(v))
                return json_read_bad(d, "\"Names\" is %s, not an array", json_read_type_name(json_typeof(v)));
        if (json_array_size(v) == 0)
                return 0;
        const json_t *first = json_array_get(v, 0);
        if (!json_is_string(first))
                return json_read_bad(d, "\"Names\"[0] is %s, not a string", json_read_type_name(json_typeof(first)));
        return strdup_name(json_string_value(first), name);
}

/* Status: human words, only a hint to when it stopped; anything else in it is no error. */
static int status_age(const char *status, int64_t *stopped_max_sec) {
        if (engine_parse_status_age(status, stopped_max_sec) < 0)
                *stopped_max_sec = -1;
        return 0;
}

static int scan_status(struct json_scan *s, const struct json_field *f, void *obj) {
        int t = json_scan_peek(s);
        if (t != JSON_STRING)
                return json_scan_skip(s);
        _cleanup_free_ char *status = NULL;
        int r = json_scan_string(s, &status, NULL);
        return r < 0 ? r : status_age(status, json_field_slot(f, obj));
}

static int read_status(const struct json_read_cursor *d, const struct json_field *f, json_t *v, void *obj) {
        return json_is_string(v) ? status_age(json_string_value(v), json_field_slot(f, obj)) : 0;
}

/* NetworkSettings.Networks: the names only (attached even when stopped: the network list only counts
 * running endpoints). */
static int scan_networks(struct json_scan *s, const struct json_field *f, void *obj) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0, allocated = 0;
        bool first = true;
        int r, t;

        if ((t = json_scan_peek(s)) < 0)
                return t;
        if (t == JSON_NULL) {
                (void) !json_scan_null(s);
                strv_freep(json_field_slot(f, obj));
                return 0;
        }
        if (t != JSON_OBJECT)
                return json_read_bad(s->d, "\"Networks\" is %s, not an object", json_read_type_name((json_type) t));
        if ((r = json_scan_object_begin(s)) < 0)
                return r;
        while ((r = json_scan_object_next(s, &first)) > 0) {
                char *name;
                if ((r = json_scan_string(s, &name, NULL)) < 0)
                        return r;
                if (json_read_grow((void **) &names, &allocated, n + 1, sizeof *names) < 0) {
                        free(name);
                        return -ENOMEM;
                }
                names[n++] = name;
                if ((r = json_scan_colon(s)) < 0 || (r = json_scan_skip(s)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        strv_freep(json_field_slot(f, obj));
        *(char ***) json_field_slot(f, obj) = TAKE_PTR(names);
        return 0;
}

static int read_networks(const struct json_read_cursor *d, const struct json_field *f, json_t *v, void *obj) {
        const char *name;
        json_t *value;
        size_t n = 0;
        if (!v)
                return 0;
        if (!json_is_object(v))
                return json_read_bad(d, "\"Networks\" is %s, not an object", json_read_type_name(json_typeof(v)));
        _cleanup_strv_free_ char **names = calloc(json_object_size(v) + 1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        json_object_foreach(v, name, value)
                if (!(names[n++] = strdup(name)))
                        return -ENOMEM;
        *(char ***) json_field_slot(f, obj) = TAKE_PTR(names);
        return 0;
}

/* Mounts: the names of those of Type "volume"; anything else in the array is passed over. */
struct mount {
        char *type, *name;
};
static const struct json_field mount_fields[] = {
        { .key = "Type", .offset = offsetof(struct mount, type), .kind = JSON_FIELD_STRING, .loose = true },
        { .key = "Name", .offset = offsetof(struct mount, name), .kind = JSON_FIELD_STRING, .loose = true },
};

/* Takes m's name into *names when m is a named volume; m is emptied either way. */
static int mount_take(struct mount *m, char ***names, size_t *n, size_t *allocated) {
        _cleanup_free_ char *type = TAKE_PTR(m->type), *name = TAKE_PTR(m->name);
        if (!type || !streq(type, "volume") || !name || !*name)
                return 0;
        if (json_read_grow((void **) names, allocated, *n + 1, sizeof **names) < 0)
                return -ENOMEM;
        (*names)[(*n)++] = TAKE_PTR(name);
        return 0;
}

static int scan_mounts(struct json_scan *s, const struct json_field *f, void *obj) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0, allocated = 0;
        bool first = true;
        int r, t;

        if ((t = json_scan_peek(s)) < 0)
                return t;
        if (t == JSON_NULL)
                return json_scan_null(s) < 0 ? -EBADMSG : 0;
        if (t != JSON_ARRAY)
                return json_read_bad(s->d, "\"Mounts\" is %s, not an array", json_read_type_name((json_type) t));
        if ((r = json_scan_array_begin(s)) < 0)
                return r;
        while ((r = json_scan_array_next(s, &first)) > 0) {
                if ((t = json_scan_peek(s)) < 0)
                        return t;
                if (t != JSON_OBJECT) {
                        if ((r = json_scan_skip(s)) < 0)
                                return r;
                        continue;
                }
                struct mount m = {};
                r = json_field_scan(s, mount_fields, ELEMENTSOF(mount_fields), &m);
                if (r >= 0)
                        r = mount_take(&m, &names, &n, &allocated);
                free(m.type);
                free(m.name);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (names) {
                strv_freep(json_field_slot(f, obj));
                *(char ***) json_field_slot(f, obj) = TAKE_PTR(names);
        }
        return 0;
}

static int read_mounts(const struct json_read_cursor *d, const struct json_field *f, json_t *v, void *obj) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0, allocated = 0, i;
        json_t *item;
        if (!v)
                return 0;
        if (!json_is_array(v))
                return json_read_bad(d, "\"Mounts\" is %s, not an array", json_read_type_name(json_typeof(v)));
        json_array_foreach(v, i, item) {
                if (!json_is_object(item))
                        continue;
                struct mount m = {};
                int r = json_field_read(d, item, mount_fields, ELEMENTSOF(mount_fields), &m);
                if (r >= 0)
                        r = mount_take(&m, &names, &n, &allocated);
                free(m.type);
                free(m.name);
                if (r < 0)
                        return r;
        }
        if (names)
                *(char ***) json_field_slot(f, obj) = TAKE_PTR(names);
        return 0;
}

static const struct json_field_custom names_reader = { scan_names, read_names },
                                      status_reader = { scan_status, read_status },
                                      networks_reader = { scan_networks, read_networks },
                                      mounts_reader = { scan_mounts, read_mounts };

#define CONTAINER_FIELD(name_, member_, kind_, ...) \
        { .key = (name_), .offset = offsetof(struct engine_container, member_), .kind = (kind_), __VA_ARGS__ }
static const struct json_field network_settings_fields[] = {
        CONTAINER_FIELD("Networks", networks, JSON_FIELD_STRV, .custom = &networks_reader),
};
/* With size=1 the engine omits SizeRw when it is 0; without it both are unknown. */
#define CONTAINER_FIELDS(size_def)                                                                               \
        {                                                                                                        \
                CONTAINER_FIELD("Id", id, JSON_FIELD_STRING, .required = true),                                  \
                CONTAINER_FIELD("Names", name, JSON_FIELD_STRING, .custom = &names_reader),                      \
                CONTAINER_FIELD("Image", image, JSON_FIELD_STRING),                                              \
                CONTAINER_FIELD("ImageID", image_id, JSON_FIELD_STRING),                                         \
                CONTAINER_FIELD("State", state, JSON_FIELD_STATE),                                               \
                CONTAINER_FIELD("Created", created, JSON_FIELD_UNIX_SEC),                                        \
                CONTAINER_FIELD("SizeRw", size_rw, JSON_FIELD_INT, .def = (size_def)),                           \
                CONTAINER_FIELD("SizeRootFs", size_root_fs, JSON_FIELD_INT, .def = (size_def)),                  \
                CONTAINER_FIELD("Labels", labels, JSON_FIELD_LABELS),                                            \
                CONTAINER_FIELD("Status", stopped_max_sec, JSON_FIELD_INT, .def = -1, .custom = &status_reader), \
                { .key = "NetworkSettings", .kind = JSON_FIELD_OBJECT, .fields = network_settings_fields,                    \
                  .n_fields = ELEMENTSOF(network_settings_fields) },                                             \
                CONTAINER_FIELD("Mounts", volumes, JSON_FIELD_STRV, .custom = &mounts_reader),                   \
        }
const struct json_field engine_container_fields[] = CONTAINER_FIELDS(-1);
const struct json_field engine_container_sized_fields[] = CONTAINER_FIELDS(0);
const size_t engine_container_n_fields = ELEMENTSOF(engine_container_fields);

/* One item of /containers/json, straight from the text: 20,000 of them are 30 MB of JSON. */
static int scan_container(struct json_scan *s, size_t i, void *userdata) {
        struct containers_ctx *ctx = userdata;
        if (json_read_grow((void **) &ctx->list->items, &ctx->allocated, ctx->list->n, sizeof *ctx->list->items) < 0)
                return -ENOMEM;
        struct engine_container *c = &ctx->list->items[ctx->list->n++];
        return json_field_scan(s, ctx->with_size ? engine_container_sized_fields : engine_container_fields,
                               engine_container_n_fields, c);
}

int engine_decode_containers(const char *buf, size_t len, bool with_size, struct engine_container_list *ret,
                             struct engine_error *err) {
        struct json_read_cursor d = { err, "/containers/json", -1 };
        _cleanup_(engine_container_list_done) struct engine_container_list l = {};
        struct containers_ctx ctx = { .list = &l, .with_size = with_size };
        int r;

        if ((r = json_scan_each(&d, buf, len, scan_container, &ctx)) < 0)
                return r;
        if (!l.items && !(l.items = calloc(1, sizeof *l.items)))
                return -ENOMEM;
        *ret = TAKE_STRUCT(l);
        return 0;
}

void engine_container_detail_done(struct engine_container_detail *c) {
        if (!c)
                return;
        free(c->id);
        free(c->name);
        free(c->image_id);
        free(c->log_path);
        free(c->log_driver);
        json_read_labels_free(&c->labels);
        *c = (struct engine_container_detail) {};
}

int engine_decode_container_detail(const char *buf, size_t len, struct engine_container_detail *ret,
                                   struct engine_error *err) {
        struct json_read_cursor d = { err, "/containers/{id}/json", -1 };
        _cleanup_json_ json_t *root = NULL;
        _cleanup_(engine_container_detail_done) struct engine_container_detail c = {};
        json_t *state = NULL, *config = NULL, *host_config = NULL, *log_config = NULL, *log_opts = NULL;
        const char *name;
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_OBJECT, &root)) < 0 ||
            (r = json_read_str(&d, root, "Id", true, &c.id)) < 0 ||
            (r = json_read_peek_str(&d, root, "Name", false, &name)) < 0 || (r = strdup_name(name, &c.name)) < 0 ||
            (r = json_read_str(&d, root, "Image", false, &c.image_id)) < 0 ||
            (r = json_read_time(&d, root, "Created", &c.created_ns)) < 0 ||
            (r = json_read_int(&d, root, "SizeRw", -1, &c.size_rw)) < 0 ||
            (r = json_read_object(&d, root, "State", &state)) < 0 ||
            (r = json_read_object(&d, root, "Config", &config)) < 0 ||
            (r = json_read_str(&d, root, "LogPath", false, &c.log_path)) < 0 ||
            (r = json_read_object(&d, root, "HostConfig", &host_config)) < 0)
                return r;
        if (host_config && (r = json_read_object(&d, host_config, "LogConfig", &log_config)) < 0)
                return r;
        if (log_config && ((r = json_read_str(&d, log_config, "Type", false, &c.log_driver)) < 0 ||
                           (r = json_read_object(&d, log_config, "Config", &log_opts)) < 0))
                return r;
        if (log_opts) {
                const char *max_size = NULL;
                if ((r = json_read_peek_str(&d, log_opts, "max-size", false, &max_size)) < 0)
                        return r;
                c.log_max_size = max_size && *max_size;
        }
        if (state && ((r = json_read_state(&d, state, "Status", &c.state)) < 0 ||
                      (r = json_read_time(&d, state, "StartedAt", &c.started_at_ns)) < 0 ||
                      (r = json_read_time(&d, state, "FinishedAt", &c.finished_at_ns)) < 0))
                return r;
        if (config && (r = json_read_labels(&d, config, "Labels", &c.labels)) < 0)
                return r;
        *ret = TAKE_STRUCT(c);
        return 0;
}
