/* engine-decode-removal.c: what the engine says it removed, the answers to DELETE /images/{name} and
 * to the prune endpoints (whose image kind lists its removals the same way), to the structs of
 * engine.h. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "json-read.h"

void engine_image_delete_result_done(struct engine_image_delete_result *res) {
        if (!res)
                return;
        for (size_t i = 0; i < res->n; i++) {
                free(res->items[i].untagged);
                free(res->items[i].deleted);
        }
        free(res->items);
        *res = (struct engine_image_delete_result) {};
}

/* A member that is absent stays NULL here: "Untagged" and "Deleted" say which kind an entry is. */
static int get_str_or_null(const struct json_read_cursor *d, const json_t *o, const char *key, char **ret) {
        if (!json_read_member(o, key)) {
                *ret = NULL;
                return 0;
        }
        return json_read_str(d, o, key, false, ret);
}

static int decode_deleted(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata) {
        struct engine_image_delete_result *res = userdata;
        struct engine_image_deleted *x = &res->items[res->n++];
        int r;

        if ((r = get_str_or_null(d, o, "Untagged", &x->untagged)) < 0 ||
            (r = get_str_or_null(d, o, "Deleted", &x->deleted)) < 0)
                return r;
        return engine_image_id_normalize(&x->deleted);
}

static int decode_deleted_array(struct json_read_cursor *d, const json_t *a, struct engine_image_delete_result *ret) {
        _cleanup_(engine_image_delete_result_done) struct engine_image_delete_result res = {};
        int r;

        if (!(res.items = calloc_at_least_one(json_array_size(a), sizeof *res.items)))
                return -ENOMEM;
        if (a && (r = json_read_each_object(d, a, decode_deleted, &res)) < 0)
                return r;
        *ret = TAKE_STRUCT(res);
        return 0;
}

int engine_decode_image_delete(const char *buf, size_t len, struct engine_image_delete_result *ret,
                               struct engine_error *err) {
        struct json_read_cursor d = { err, "DELETE /images/{name}", -1 };
        _cleanup_json_ json_t *root = NULL;
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_ARRAY, &root)) < 0)
                return r;
        return decode_deleted_array(&d, root, ret);
}

void engine_prune_result_done(struct engine_prune_result *res) {
        if (!res)
                return;
        strv_freep(&res->deleted);
        engine_image_delete_result_done(&res->images);
        *res = (struct engine_prune_result) {};
}

int engine_decode_prune(const char *buf, size_t len, enum engine_prune_kind kind, struct engine_prune_result *ret,
                        struct engine_error *err) {
        static const struct {
                const char *what, *key;
        } kinds[] = {
                [ENGINE_PRUNE_CONTAINERS] = { "/containers/prune", "ContainersDeleted" },
                [ENGINE_PRUNE_IMAGES] = { "/images/prune", "ImagesDeleted" },
                [ENGINE_PRUNE_BUILD_CACHE] = { "/build/prune", "CachesDeleted" },
                [ENGINE_PRUNE_VOLUMES] = { "/volumes/prune", "VolumesDeleted" },
                [ENGINE_PRUNE_NETWORKS] = { "/networks/prune", "NetworksDeleted" },
        };
        _cleanup_json_ json_t *root = NULL;
        _cleanup_(engine_prune_result_done) struct engine_prune_result res = {};
        int64_t reclaimed;
        json_t *a = NULL;
        int r;

        if ((size_t) kind >= ELEMENTSOF(kinds))
                return engine_error_set(err, -EINVAL, "unknown prune kind %d", (int) kind);
        struct json_read_cursor d = { err, kinds[kind].what, -1 };
        if ((r = json_read_parse(&d, buf, len, JSON_OBJECT, &root)) < 0 ||
            (r = json_read_array(&d, root, kinds[kind].key, &a)) < 0 ||
            (r = json_read_int(&d, root, "SpaceReclaimed", 0, &reclaimed)) < 0)
                return r;
        res.space_reclaimed = reclaimed > 0 ? (uint64_t) reclaimed : 0;
        if (kind == ENGINE_PRUNE_IMAGES) {
                if ((r = decode_deleted_array(&d, a, &res.images)) < 0)
                        return r;
                /* deleted[] lists the removed image ids; untagged references stay in images. */
                if (!(res.deleted = calloc(res.images.n + 1, sizeof(char *))))
                        return -ENOMEM;
                for (size_t i = 0; i < res.images.n; i++)
                        if (res.images.items[i].deleted) {
                                if (!(res.deleted[res.n_deleted] = strdup(res.images.items[i].deleted)))
                                        return -ENOMEM;
                                res.n_deleted++;
                        }
        } else {
                if ((r = json_read_strv(&d, root, kinds[kind].key, NULL, &res.deleted)) < 0)
                        return r;
                while (res.deleted[res.n_deleted])
                        res.n_deleted++;
        }
        *ret = TAKE_STRUCT(res);
        return 0;
}
