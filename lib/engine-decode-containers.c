/* engine-decode-containers.c: /containers/json and /containers/{id}/json to the structs of engine.h. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "json-read.h"
#include "json-scan.h"

static void container_free(struct engine_container *c) {
        free(c->id);
        free(c->name);
        free(c->image);
        free(c->image_id);
        json_read_labels_free(&c->labels);
        strv_freep(&c->networks);
        strv_freep(&c->volumes);
}

/* What a container pins besides its image: the networks it is attached to (even stopped: the
 * network list only counts running endpoints) and the named or anonymous volumes it mounts
 * (scan_networks(), scan_mounts() below). */

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

/* NetworkSettings.Networks: the names only. */
static int scan_networks(struct json_scan *s, struct engine_container *c) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0, allocated = 0;
        char key[32];
        bool first = true;
        int r, t;

        if ((t = json_scan_peek(s)) < 0)
                return t;
        if (t == JSON_NULL)
                return json_scan_null(s) < 0 ? -EBADMSG : 0;
        if (t != JSON_OBJECT)
                return json_read_bad(s->d, "\"NetworkSettings\" is %s, not an object", json_read_type_name(t));
        if ((r = json_scan_object_begin(s)) < 0)
                return r;
        while ((r = json_scan_object_next(s, &first)) > 0) {
                if ((r = json_scan_key(s, key, sizeof key)) < 0)
                        return r;
                if (!streq(key, "Networks")) {
                        if ((r = json_scan_skip(s)) < 0)
                                return r;
                        continue;
                }
                if ((t = json_scan_peek(s)) < 0)
                        return t;
                strv_freep(&names);
                n = allocated = 0;
                if (t == JSON_NULL) {
                        (void) !json_scan_null(s);
                        continue;
                }
                if (t != JSON_OBJECT)
                        return json_read_bad(s->d, "\"Networks\" is %s, not an object", json_read_type_name(t));
                if ((r = json_scan_object_begin(s)) < 0)
                        return r;
                bool first_net = true;
                while ((r = json_scan_object_next(s, &first_net)) > 0) {
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
        }
        if (r < 0)
                return r;
        if (names) {
                strv_freep(&c->networks);
                c->networks = TAKE_PTR(names);
        }
        return 0;
}

/* Mounts: the names of those of Type "volume"; anything else in the array is passed over. */
static int scan_mounts(struct json_scan *s, struct engine_container *c) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0, allocated = 0;
        bool first = true;
        int r, t;

        if ((t = json_scan_peek(s)) < 0)
                return t;
        if (t == JSON_NULL)
                return json_scan_null(s) < 0 ? -EBADMSG : 0;
        if (t != JSON_ARRAY)
                return json_read_bad(s->d, "\"Mounts\" is %s, not an array", json_read_type_name(t));
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
                _cleanup_free_ char *type = NULL, *name = NULL;
                bool first_member = true;
                char key[8];
                if ((r = json_scan_object_begin(s)) < 0)
                        return r;
                while ((r = json_scan_object_next(s, &first_member)) > 0) {
                        if ((r = json_scan_key(s, key, sizeof key)) < 0)
                                return r;
                        char **slot = streq(key, "Type") ? &type : streq(key, "Name") ? &name : NULL;
                        if (slot && (t = json_scan_peek(s)) == JSON_STRING) {
                                free(*slot);
                                *slot = NULL;
                                r = json_scan_string(s, slot, NULL);
                        } else {
                                if (slot) {
                                        free(*slot);
                                        *slot = NULL;
                                }
                                r = json_scan_skip(s);
                        }
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                if (!type || !streq(type, "volume") || !name || !*name)
                        continue;
                if (json_read_grow((void **) &names, &allocated, n + 1, sizeof *names) < 0)
                        return -ENOMEM;
                names[n++] = TAKE_PTR(name);
        }
        if (r < 0)
                return r;
        if (names) {
                strv_freep(&c->volumes);
                c->volumes = TAKE_PTR(names);
        }
        return 0;
}

/* Names: the first, which must be a string; the others are not read. */
static int scan_names(struct json_scan *s, struct engine_container *c) {
        bool first = true;
        int r, t;

        if ((t = json_scan_peek(s)) < 0)
                return t;
        if (t == JSON_NULL)
                return json_scan_null(s) < 0 ? -EBADMSG : 0;
        if (t != JSON_ARRAY)
                return json_read_bad(s->d, "\"Names\" is %s, not an array", json_read_type_name(t));
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
                        return json_read_bad(s->d, "\"Names\"[0] is %s, not a string", json_read_type_name(t));
                _cleanup_free_ char *name = NULL;
                if ((r = json_scan_string(s, &name, NULL)) < 0)
                        return r;
                free(c->name);
                c->name = NULL;
                if ((r = strdup_name(name, &c->name)) < 0)
                        return r;
        }
        return r;
}

/* One item of /containers/json, straight from the text: 20,000 of them are 30 MB of JSON. */
static int scan_container(struct json_scan *s, size_t i, void *userdata) {
        struct containers_ctx *ctx = userdata;
        if (json_read_grow((void **) &ctx->list->items, &ctx->allocated, ctx->list->n, sizeof *ctx->list->items) < 0)
                return -ENOMEM;
        struct engine_container *c = &ctx->list->items[ctx->list->n++];
        /* With size=1 the engine omits SizeRw when it is 0; without it both are unknown. */
        int64_t size_def = ctx->with_size ? 0 : -1;
        bool first = true;
        char key[16];
        int r;

        c->created = 0;
        c->size_rw = c->size_root_fs = size_def;
        c->stopped_max_sec = -1;
        if ((r = json_scan_object_begin(s)) < 0)
                return r;
        while ((r = json_scan_object_next(s, &first)) > 0) {
                if ((r = json_scan_key(s, key, sizeof key)) < 0)
                        return r;
                if (streq(key, "Id"))
                        r = json_scan_str(s, "Id", true, &c->id);
                else if (streq(key, "Names"))
                        r = scan_names(s, c);
                else if (streq(key, "Image"))
                        r = json_scan_str(s, "Image", false, &c->image);
                else if (streq(key, "ImageID"))
                        r = json_scan_str(s, "ImageID", false, &c->image_id);
                else if (streq(key, "State"))
                        r = json_scan_state(s, "State", &c->state);
                else if (streq(key, "Created"))
                        r = engine_scan_created(s, &c->created);
                else if (streq(key, "SizeRw"))
                        r = json_scan_int(s, "SizeRw", size_def, &c->size_rw);
                else if (streq(key, "SizeRootFs"))
                        r = json_scan_int(s, "SizeRootFs", size_def, &c->size_root_fs);
                else if (streq(key, "Labels"))
                        r = json_scan_labels(s, "Labels", &c->labels);
                else if (streq(key, "Status") && json_scan_peek(s) == JSON_STRING) {
                        /* Human words, only a hint: anything else in it is no error. */
                        _cleanup_free_ char *status = NULL;
                        if ((r = json_scan_string(s, &status, NULL)) >= 0 &&
                            engine_parse_status_age(status, &c->stopped_max_sec) < 0)
                                c->stopped_max_sec = -1;
                }
                else if (streq(key, "NetworkSettings"))
                        r = scan_networks(s, c);
                else if (streq(key, "Mounts"))
                        r = scan_mounts(s, c);
                else
                        r = json_scan_skip(s);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (!c->id)
                return json_read_bad(s->d, "\"Id\" is missing");
        /* Absent strings are "", absent lists empty, as json-read.h has it. */
        if ((!c->name && !(c->name = strdup(""))) || (!c->image && !(c->image = strdup(""))) ||
            (!c->image_id && !(c->image_id = strdup(""))) || (!c->networks && !(c->networks = calloc(1, sizeof(char *)))) ||
            (!c->volumes && !(c->volumes = calloc(1, sizeof(char *)))))
                return -ENOMEM;
        return 0;
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
