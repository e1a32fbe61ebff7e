/* engine-decode-objects.c: /volumes and /networks to the structs of engine.h. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "json-field.h"
#include "time-util.h"

void engine_volume_list_done(struct engine_volume_list *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].name);
                free(l->items[i].driver);
                free(l->items[i].mountpoint);
                json_read_labels_free(&l->items[i].labels);
        }
        free(l->items);
        *l = (struct engine_volume_list) {};
}

#define VOLUME_FIELD(name_, member_, kind_, ...) \
        { .key = (name_), .offset = offsetof(struct engine_volume, member_), .kind = (kind_), __VA_ARGS__ }
const struct json_field engine_volume_fields[] = {
        VOLUME_FIELD("Name", name, JSON_FIELD_STRING, .required = true),
        VOLUME_FIELD("Driver", driver, JSON_FIELD_STRING),
        VOLUME_FIELD("Mountpoint", mountpoint, JSON_FIELD_STRING),
        VOLUME_FIELD("Labels", labels, JSON_FIELD_LABELS),
};
const size_t engine_volume_n_fields = ELEMENTSOF(engine_volume_fields);

static int decode_volume(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata) {
        struct engine_volume_list *l = userdata;
        struct engine_volume *v = &l->items[l->n++];
        int r;

        if ((r = json_field_read(d, o, engine_volume_fields, engine_volume_n_fields, v)) < 0)
                return r;
        v->anonymous = engine_labels_get(&v->labels, "com.docker.volume.anonymous") ||
                       engine_volume_name_is_anonymous(v->name);
        return 0;
}

int engine_decode_volumes(const char *buf, size_t len, struct engine_volume_list *ret, struct engine_error *err) {
        struct json_read_cursor d = { err, "/volumes", -1 };
        _cleanup_json_ json_t *root = NULL;
        _cleanup_(engine_volume_list_done) struct engine_volume_list l = {};
        json_t *volumes = NULL;
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_OBJECT, &root)) < 0 ||
            (r = json_read_array(&d, root, "Volumes", &volumes)) < 0)
                return r;
        if (!(l.items = calloc_at_least_one(json_array_size(volumes), sizeof *l.items)))
                return -ENOMEM;
        if ((r = json_read_each_object(&d, volumes, decode_volume, &l)) < 0)
                return r;
        *ret = TAKE_STRUCT(l);
        return 0;
}

void engine_network_list_done(struct engine_network_list *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].id);
                free(l->items[i].name);
                free(l->items[i].driver);
                json_read_labels_free(&l->items[i].labels);
        }
        free(l->items);
        *l = (struct engine_network_list) {};
}

static int decode_network(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata) {
        static const char *const builtin[] = { "bridge", "host", "none", "podman" };
        struct engine_network_list *l = userdata;
        struct engine_network *n = &l->items[l->n++];
        json_t *containers = NULL;
        int64_t created_ns;
        int r;

        if ((r = json_read_str(d, o, "Id", true, &n->id)) < 0 ||
            (r = json_read_str(d, o, "Name", true, &n->name)) < 0 ||
            (r = json_read_str(d, o, "Driver", false, &n->driver)) < 0 ||
            (r = json_read_time(d, o, "Created", &created_ns)) < 0 ||
            (r = json_read_labels(d, o, "Labels", &n->labels)) < 0 ||
            (r = json_read_object(d, o, "Containers", &containers)) < 0)
                return r;
        n->created = created_ns / NSEC_PER_SEC;
        n->n_containers = json_object_size(containers);
        for (size_t k = 0; k < ELEMENTSOF(builtin); k++)
                if (streq(n->name, builtin[k]))
                        n->builtin = true;
        return 0;
}

int engine_decode_networks(const char *buf, size_t len, struct engine_network_list *ret, struct engine_error *err) {
        struct json_read_cursor d = { err, "/networks", -1 };
        _cleanup_json_ json_t *root = NULL;
        _cleanup_(engine_network_list_done) struct engine_network_list l = {};
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_ARRAY, &root)) < 0)
                return r;
        if (!(l.items = calloc_at_least_one(json_array_size(root), sizeof *l.items)))
                return -ENOMEM;
        if ((r = json_read_each_object(&d, root, decode_network, &l)) < 0)
                return r;
        *ret = TAKE_STRUCT(l);
        return 0;
}
