/* engine-decode-containers.c: /containers/json and /containers/{id}/json to the structs of engine.h. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "json-read.h"

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
 * network list only counts running endpoints) and the named or anonymous volumes it mounts. */
static int container_networks_and_volumes(const struct json_read_cursor *d, const json_t *o,
                                          struct engine_container *c) {
        json_t *settings = NULL, *networks = NULL, *mounts = NULL, *v;
        const char *key;
        size_t i, n = 0;
        int r;

        if ((r = json_read_object(d, o, "NetworkSettings", &settings)) < 0)
                return r;
        if (settings && (r = json_read_object(d, settings, "Networks", &networks)) < 0)
                return r;
        c->networks = calloc((networks ? json_object_size(networks) : 0) + 1, sizeof(char *));
        if (!c->networks)
                return -ENOMEM;
        if (networks)
                json_object_foreach(networks, key, v)
                        if (!(c->networks[n++] = strdup(key)))
                                return -ENOMEM;

        if ((r = json_read_array(d, o, "Mounts", &mounts)) < 0)
                return r;
        c->volumes = calloc((mounts ? json_array_size(mounts) : 0) + 1, sizeof(char *));
        if (!c->volumes)
                return -ENOMEM;
        n = 0;
        if (mounts)
                json_array_foreach(mounts, i, v) {
                        json_t *type = json_is_object(v) ? json_object_get(v, "Type") : NULL;
                        json_t *name = json_is_object(v) ? json_object_get(v, "Name") : NULL;
                        if (!json_is_string(type) || !streq(json_string_value(type), "volume") ||
                            !json_is_string(name) || !*json_string_value(name))
                                continue;
                        if (!(c->volumes[n++] = strdup(json_string_value(name))))
                                return -ENOMEM;
                }
        return 0;
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

static int decode_container(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata) {
        struct containers_ctx *ctx = userdata;
        if (json_read_grow((void **) &ctx->list->items, &ctx->allocated, ctx->list->n, sizeof *ctx->list->items) < 0)
                return -ENOMEM;
        struct engine_container *c = &ctx->list->items[ctx->list->n++];
        /* With size=1 the engine omits SizeRw when it is 0; without it both are unknown. */
        int64_t size_def = ctx->with_size ? 0 : -1;
        json_t *names = NULL;
        const char *name = "";
        int r;

        if ((r = json_read_str(d, o, "Id", true, &c->id)) < 0 || (r = json_read_array(d, o, "Names", &names)) < 0)
                return r;
        if (json_array_size(names) > 0) {
                json_t *first = json_array_get(names, 0);
                if (!json_is_string(first))
                        return json_read_bad(d, "\"Names\"[0] is %s, not a string", json_read_type_name(first));
                name = json_string_value(first);
        }
        if ((r = strdup_name(name, &c->name)) < 0 || (r = json_read_str(d, o, "Image", false, &c->image)) < 0 ||
            (r = json_read_str(d, o, "ImageID", false, &c->image_id)) < 0 ||
            (r = json_read_state(d, o, "State", &c->state)) < 0 ||
            (r = json_read_int(d, o, "Created", 0, &c->created)) < 0 ||
            (r = json_read_int(d, o, "SizeRw", size_def, &c->size_rw)) < 0 ||
            (r = json_read_int(d, o, "SizeRootFs", size_def, &c->size_root_fs)) < 0 ||
            (r = json_read_labels(d, o, "Labels", &c->labels)) < 0 ||
            (r = container_networks_and_volumes(d, o, c)) < 0)
                return r;
        return 0;
}

int engine_decode_containers(const char *buf, size_t len, bool with_size, struct engine_container_list *ret,
                             struct engine_error *err) {
        struct json_read_cursor d = { err, "/containers/json", -1 };
        _cleanup_(engine_container_list_done) struct engine_container_list l = {};
        struct containers_ctx ctx = { .list = &l, .with_size = with_size };
        int r;

        /* Item by item: 20,000 containers are 30 MB of JSON, a tree of several hundred. */
        if ((r = json_read_parse_each(&d, buf, len, decode_container, &ctx)) < 0)
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
        json_read_labels_free(&c->labels);
        *c = (struct engine_container_detail) {};
}

int engine_decode_container_detail(const char *buf, size_t len, struct engine_container_detail *ret,
                                   struct engine_error *err) {
        struct json_read_cursor d = { err, "/containers/{id}/json", -1 };
        _cleanup_json_ json_t *root = NULL;
        _cleanup_(engine_container_detail_done) struct engine_container_detail c = {};
        json_t *state = NULL, *config = NULL;
        const char *name;
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_OBJECT, &root)) < 0 ||
            (r = json_read_str(&d, root, "Id", true, &c.id)) < 0 ||
            (r = json_read_peek_str(&d, root, "Name", false, &name)) < 0 || (r = strdup_name(name, &c.name)) < 0 ||
            (r = json_read_str(&d, root, "Image", false, &c.image_id)) < 0 ||
            (r = json_read_time(&d, root, "Created", &c.created_ns)) < 0 ||
            (r = json_read_object(&d, root, "State", &state)) < 0 ||
            (r = json_read_object(&d, root, "Config", &config)) < 0)
                return r;
        if (state && ((r = json_read_state(&d, state, "Status", &c.state)) < 0 ||
                      (r = json_read_time(&d, state, "StartedAt", &c.started_at_ns)) < 0 ||
                      (r = json_read_time(&d, state, "FinishedAt", &c.finished_at_ns)) < 0))
                return r;
        if (config && (r = json_read_labels(&d, config, "Labels", &c.labels)) < 0)
                return r;
        *ret = TAKE_STRUCT(c);
        return 0;
}
