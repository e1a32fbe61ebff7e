/* engine-decode-system.c: the engine's answers about itself, /version, /info and /system/df (the disk
 * usage of images, containers, volumes and the build cache), to the structs of engine.h. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "json-field.h"

void engine_version_done(struct engine_version *v) {
        if (!v)
                return;
        free(v->version);
        free(v->api_version);
        free(v->min_api_version);
        free(v->os);
        free(v->arch);
        *v = (struct engine_version) {};
}

int engine_decode_version(const char *buf, size_t len, struct engine_version *ret, struct engine_error *err) {
        struct json_read_cursor d = { err, "/version", -1 };
        _cleanup_json_ json_t *root = NULL;
        _cleanup_(engine_version_done) struct engine_version v = {};
        json_t *components = NULL, *c = NULL;
        size_t i;
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_OBJECT, &root)) < 0 ||
            (r = json_read_str(&d, root, "Version", false, &v.version)) < 0 ||
            (r = json_read_str(&d, root, "ApiVersion", true, &v.api_version)) < 0 ||
            (r = json_read_str(&d, root, "MinAPIVersion", false, &v.min_api_version)) < 0 ||
            (r = json_read_str(&d, root, "Os", false, &v.os)) < 0 ||
            (r = json_read_str(&d, root, "Arch", false, &v.arch)) < 0 ||
            (r = json_read_array(&d, root, "Components", &components)) < 0)
                return r;
        json_array_foreach(components, i, c) {
                json_t *name = json_is_object(c) ? json_object_get(c, "Name") : NULL;
                if (json_is_string(name) && streq(json_string_value(name), "Podman Engine"))
                        v.podman = true;
        }
        *ret = TAKE_STRUCT(v);
        return 0;
}

void engine_info_done(struct engine_info *i) {
        if (!i)
                return;
        free(i->docker_root_dir);
        free(i->driver);
        free(i->server_version);
        *i = (struct engine_info) {};
}

/* DriverStatus: [[key, value], ...]; anything of another shape says nothing about the store. */
static bool driver_status_has(const json_t *status, const char *key, const char *value) {
        size_t i;
        json_t *pair;
        json_array_foreach(status, i, pair) {
                const char *k = json_string_value(json_array_get(pair, 0)), *v = json_string_value(json_array_get(pair, 1));
                if (k && v && streq(k, key) && streq(v, value))
                        return true;
        }
        return false;
}

int engine_decode_info(const char *buf, size_t len, struct engine_info *ret, struct engine_error *err) {
        struct json_read_cursor d = { err, "/info", -1 };
        _cleanup_json_ json_t *root = NULL;
        _cleanup_(engine_info_done) struct engine_info info = {};
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_OBJECT, &root)) < 0 ||
            (r = json_read_str(&d, root, "DockerRootDir", false, &info.docker_root_dir)) < 0 ||
            (r = json_read_str(&d, root, "Driver", false, &info.driver)) < 0 ||
            (r = json_read_str(&d, root, "ServerVersion", false, &info.server_version)) < 0 ||
            (r = json_read_int(&d, root, "Containers", 0, &info.containers)) < 0 ||
            (r = json_read_int(&d, root, "ContainersRunning", 0, &info.containers_running)) < 0 ||
            (r = json_read_int(&d, root, "ContainersPaused", 0, &info.containers_paused)) < 0 ||
            (r = json_read_int(&d, root, "ContainersStopped", 0, &info.containers_stopped)) < 0 ||
            (r = json_read_int(&d, root, "Images", 0, &info.images)) < 0)
                return r;
        json_t *status = json_read_member(root, "DriverStatus");
        info.containerd_store = json_is_array(status) &&
                                driver_status_has(status, "driver-type", "io.containerd.snapshotter.v1");
        *ret = TAKE_STRUCT(info);
        return 0;
}

void engine_df_done(struct engine_df *df) {
        if (!df)
                return;
        for (size_t i = 0; i < df->n_images; i++) {
                free(df->images[i].id);
                strv_freep(&df->images[i].repo_tags);
        }
        free(df->images);
        for (size_t i = 0; i < df->n_containers; i++) {
                free(df->containers[i].id);
                free(df->containers[i].image_id);
        }
        free(df->containers);
        for (size_t i = 0; i < df->n_volumes; i++)
                free(df->volumes[i].name);
        free(df->volumes);
        for (size_t i = 0; i < df->n_build_cache; i++) {
                free(df->build_cache[i].id);
                free(df->build_cache[i].type);
        }
        free(df->build_cache);
        *df = (struct engine_df) {};
}

/* Podman reports sizes it could not compute as negative numbers. */
static int64_t clamp0(int64_t v) {
        return v < 0 ? 0 : v;
}

/* The df being filled, with how much of each array is allocated. */
struct df_ctx {
        struct engine_df *df;
        size_t images, containers, volumes, build_cache;
};

#define DF_IMAGE_FIELD(name_, member_, kind_, ...) \
        { .key = (name_), .offset = offsetof(struct engine_df_image, member_), .kind = (kind_), __VA_ARGS__ }
const struct json_field engine_df_image_fields[] = {
        DF_IMAGE_FIELD("Id", id, JSON_FIELD_STRING, .required = true),
        DF_IMAGE_FIELD("Size", size, JSON_FIELD_INT, .def = 0),
        DF_IMAGE_FIELD("SharedSize", shared_size, JSON_FIELD_INT, .def = 0),
        DF_IMAGE_FIELD("Containers", containers, JSON_FIELD_INT, .def = -1),
        DF_IMAGE_FIELD("Created", created, JSON_FIELD_UNIX_SEC),
        DF_IMAGE_FIELD("RepoTags", repo_tags, JSON_FIELD_STRV, .skip = "<none>:<none>"),
};
const size_t engine_df_image_n_fields = ELEMENTSOF(engine_df_image_fields);

static int scan_df_image(struct json_scan *s, size_t i, void *userdata) {
        struct df_ctx *ctx = userdata;
        struct engine_df *df = ctx->df;
        if (json_read_grow((void **) &df->images, &ctx->images, df->n_images, sizeof *df->images) < 0)
                return -ENOMEM;
        struct engine_df_image *im = &df->images[df->n_images++];
        int r;

        if ((r = json_field_scan(s, engine_df_image_fields, engine_df_image_n_fields, im)) < 0 ||
            (r = engine_image_id_normalize(&im->id)) < 0)
                return r;
        /* Podman's df lists "<none>" for untagged images and a bare "latest" for tagged ones: keep
         * only what is a repo:tag. */
        size_t k = 0;
        for (size_t j = 0; im->repo_tags[j]; j++)
                if (strchr(im->repo_tags[j], ':'))
                        im->repo_tags[k++] = im->repo_tags[j];
                else
                        free(im->repo_tags[j]);
        im->repo_tags[k] = NULL;
        im->size = clamp0(im->size);
        im->shared_size = clamp0(im->shared_size);
        if (im->containers < 0)
                im->containers = -1;
        return 0;
}

#define DF_CONTAINER_FIELD(name_, member_, kind_, ...) \
        { .key = (name_), .offset = offsetof(struct engine_df_container, member_), .kind = (kind_), __VA_ARGS__ }
const struct json_field engine_df_container_fields[] = {
        DF_CONTAINER_FIELD("Id", id, JSON_FIELD_STRING, .required = true),
        DF_CONTAINER_FIELD("ImageID", image_id, JSON_FIELD_STRING),
        DF_CONTAINER_FIELD("State", state, JSON_FIELD_STATE),
        DF_CONTAINER_FIELD("SizeRw", size_rw, JSON_FIELD_INT, .def = 0),
        DF_CONTAINER_FIELD("SizeRootFs", size_root_fs, JSON_FIELD_INT, .def = 0),
};
const size_t engine_df_container_n_fields = ELEMENTSOF(engine_df_container_fields);

static int scan_df_container(struct json_scan *s, size_t i, void *userdata) {
        struct df_ctx *ctx = userdata;
        struct engine_df *df = ctx->df;
        if (json_read_grow((void **) &df->containers, &ctx->containers, df->n_containers, sizeof *df->containers) < 0)
                return -ENOMEM;
        struct engine_df_container *c = &df->containers[df->n_containers++];
        int r;

        if ((r = json_field_scan(s, engine_df_container_fields, engine_df_container_n_fields, c)) < 0 ||
            (r = engine_image_id_normalize(&c->image_id)) < 0)
                return r;
        c->size_rw = clamp0(c->size_rw);
        c->size_root_fs = clamp0(c->size_root_fs);
        return 0;
}

#define DF_VOLUME_FIELD(name_, member_, kind_, ...) \
        { .key = (name_), .offset = offsetof(struct engine_df_volume, member_), .kind = (kind_), __VA_ARGS__ }
static const struct json_field df_volume_usage_fields[] = {
        DF_VOLUME_FIELD("Size", size, JSON_FIELD_INT, .def = -1),
        DF_VOLUME_FIELD("RefCount", ref_count, JSON_FIELD_INT, .def = -1),
};
const struct json_field engine_df_volume_fields[] = {
        DF_VOLUME_FIELD("Name", name, JSON_FIELD_STRING, .required = true),
        { .key = "UsageData", .kind = JSON_FIELD_OBJECT, .fields = df_volume_usage_fields, .n_fields = ELEMENTSOF(df_volume_usage_fields) },
        DF_VOLUME_FIELD("CreatedAt", created_ns, JSON_FIELD_TIME),
};
const size_t engine_df_volume_n_fields = ELEMENTSOF(engine_df_volume_fields);

static int decode_df_volume(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata) {
        struct df_ctx *ctx = userdata;
        struct engine_df *df = ctx->df;
        if (json_read_grow((void **) &df->volumes, &ctx->volumes, df->n_volumes, sizeof *df->volumes) < 0)
                return -ENOMEM;
        struct engine_df_volume *v = &df->volumes[df->n_volumes++];
        _cleanup_(json_read_labels_free) struct engine_labels labels = {};
        int r;

        if ((r = json_field_read(d, o, engine_df_volume_fields, engine_df_volume_n_fields, v)) < 0 ||
            (r = json_read_labels(d, o, "Labels", &labels)) < 0)
                return r;
        /* -1 is the engine's own "not computed"; Podman's other negatives mean the same. */
        v->size = v->size < 0 ? -1 : v->size;
        v->ref_count = v->ref_count < 0 ? -1 : v->ref_count;
        v->anonymous = engine_labels_get(&labels, "com.docker.volume.anonymous") ||
                       engine_volume_name_is_anonymous(v->name);
        return 0;
}

#define BUILD_CACHE_FIELD(name_, member_, kind_, ...) \
        { .key = (name_), .offset = offsetof(struct engine_df_build_cache, member_), .kind = (kind_), __VA_ARGS__ }
const struct json_field engine_df_build_cache_fields[] = {
        BUILD_CACHE_FIELD("ID", id, JSON_FIELD_STRING, .required = true),
        BUILD_CACHE_FIELD("Type", type, JSON_FIELD_STRING),
        BUILD_CACHE_FIELD("Size", size, JSON_FIELD_INT, .def = 0),
        BUILD_CACHE_FIELD("InUse", in_use, JSON_FIELD_BOOL),
        BUILD_CACHE_FIELD("Shared", shared, JSON_FIELD_BOOL),
        BUILD_CACHE_FIELD("LastUsedAt", last_used_ns, JSON_FIELD_TIME),
        BUILD_CACHE_FIELD("CreatedAt", created_ns, JSON_FIELD_TIME),
};
const size_t engine_df_build_cache_n_fields = ELEMENTSOF(engine_df_build_cache_fields);

static int decode_df_build_cache(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata) {
        struct df_ctx *ctx = userdata;
        struct engine_df *df = ctx->df;
        if (json_read_grow((void **) &df->build_cache, &ctx->build_cache, df->n_build_cache, sizeof *df->build_cache) < 0)
                return -ENOMEM;
        struct engine_df_build_cache *b = &df->build_cache[df->n_build_cache++];
        int r = json_field_read(d, o, engine_df_build_cache_fields, engine_df_build_cache_n_fields, b);
        if (r < 0)
                return r;
        b->size = clamp0(b->size);
        return 0;
}

/* Volumes and build cache records are few: each is parsed by jansson on its own. */
static int scan_df_volume(struct json_scan *s, size_t i, void *userdata) {
        _cleanup_json_ json_t *o = NULL;
        int r = json_scan_json(s, &o);
        return r < 0 ? r : decode_df_volume(s->d, o, i, userdata);
}

static int scan_df_build_cache(struct json_scan *s, size_t i, void *userdata) {
        _cleanup_json_ json_t *o = NULL;
        int r = json_scan_json(s, &o);
        return r < 0 ? r : decode_df_build_cache(s->d, o, i, userdata);
}

static int decode_df(const char *buf, size_t len, struct engine_df *ret, struct json_read_cursor *dp) {
        struct json_read_cursor d = *dp;
        _cleanup_(engine_df_done) struct engine_df df = {};
        struct df_ctx ctx = { .df = &df };
        struct json_scan s = { buf, len, 0, &d };
        bool first = true;
        char key[16];
        int r, t;

        /* Straight from the text: on a big host df is 40 MB of JSON. */
        if ((t = json_scan_peek(&s)) < 0)
                return len == 0 ? json_read_bad(&d, "empty body") : t;
        if (t != JSON_OBJECT)
                return json_read_bad(&d, "expected an object, got %s", json_read_type_name(t));
        if ((r = json_scan_object_begin(&s)) < 0)
                return r;
        while ((r = json_scan_object_next(&s, &first)) > 0) {
                if ((r = json_scan_key(&s, key, sizeof key)) < 0)
                        return r;
                if (streq(key, "LayersSize")) {
                        r = json_scan_int(&s, "LayersSize", 0, &df.layers_size);
                } else if (streq(key, "Images")) {
                        d.what = "/system/df Images";
                        r = json_scan_objects(&s, "Images", scan_df_image, &ctx);
                } else if (streq(key, "Containers")) {
                        d.what = "/system/df Containers";
                        r = json_scan_objects(&s, "Containers", scan_df_container, &ctx);
                } else if (streq(key, "Volumes")) {
                        d.what = "/system/df Volumes";
                        r = json_scan_objects(&s, "Volumes", scan_df_volume, &ctx);
                } else if (streq(key, "BuildCache")) {
                        /* Docker sends "BuildCache" (null when empty on some versions); Podman leaves it out. */
                        df.build_cache_supported = true;
                        d.what = "/system/df BuildCache";
                        r = json_scan_objects(&s, "BuildCache", scan_df_build_cache, &ctx);
                } else
                        r = json_scan_skip(&s);
                d.what = "/system/df";
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        while (s.pos < len && (buf[s.pos] == ' ' || buf[s.pos] == '\t' || buf[s.pos] == '\n' || buf[s.pos] == '\r'))
                s.pos++;
        if (s.pos != len)
                return json_read_bad(&d, "end of file expected at byte %zu", s.pos);
        df.layers_size = clamp0(df.layers_size);
        if ((!df.images && !(df.images = calloc(1, sizeof *df.images))) ||
            (!df.containers && !(df.containers = calloc(1, sizeof *df.containers))) ||
            (!df.volumes && !(df.volumes = calloc(1, sizeof *df.volumes))) ||
            (!df.build_cache && !(df.build_cache = calloc(1, sizeof *df.build_cache))))
                return -ENOMEM;
        *ret = TAKE_STRUCT(df);
        return 0;
}

int engine_decode_df(const char *buf, size_t len, struct engine_df *ret, struct engine_error *err) {
        struct json_read_cursor d = { err, "/system/df", -1 };
        int r = decode_df(buf, len, ret, &d);
        return r < 0 ? json_scan_explain(&d, buf, len, r) : r;
}
