/* engine-decode-system.c: the engine's answers about itself, /version, /info and /system/df (the disk
 * usage of images, containers, volumes and the build cache), to the structs of engine.h. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "json-read.h"
#include "json-scan.h"

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

static int scan_df_image(struct json_scan *s, size_t i, void *userdata) {
        struct df_ctx *ctx = userdata;
        struct engine_df *df = ctx->df;
        if (json_read_grow((void **) &df->images, &ctx->images, df->n_images, sizeof *df->images) < 0)
                return -ENOMEM;
        struct engine_df_image *im = &df->images[df->n_images++];
        bool first = true;
        char key[16];
        int r;

        im->containers = -1;
        if ((r = json_scan_object_begin(s)) < 0)
                return r;
        while ((r = json_scan_object_next(s, &first)) > 0) {
                if ((r = json_scan_key(s, key, sizeof key)) < 0)
                        return r;
                if (streq(key, "Id"))
                        r = json_scan_str(s, "Id", true, &im->id);
                else if (streq(key, "Size"))
                        r = json_scan_int(s, "Size", 0, &im->size);
                else if (streq(key, "SharedSize"))
                        r = json_scan_int(s, "SharedSize", 0, &im->shared_size);
                else if (streq(key, "Containers"))
                        r = json_scan_int(s, "Containers", -1, &im->containers);
                else if (streq(key, "Created"))
                        r = engine_scan_created(s, &im->created);
                else if (streq(key, "RepoTags"))
                        r = json_scan_strv(s, "RepoTags", "<none>:<none>", &im->repo_tags);
                else
                        r = json_scan_skip(s);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (!im->id)
                return json_read_bad(s->d, "\"Id\" is missing");
        if ((r = engine_image_id_normalize(&im->id)) < 0)
                return r;
        if (!im->repo_tags && !(im->repo_tags = calloc(1, sizeof(char *))))
                return -ENOMEM;
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

static int scan_df_container(struct json_scan *s, size_t i, void *userdata) {
        struct df_ctx *ctx = userdata;
        struct engine_df *df = ctx->df;
        if (json_read_grow((void **) &df->containers, &ctx->containers, df->n_containers, sizeof *df->containers) < 0)
                return -ENOMEM;
        struct engine_df_container *c = &df->containers[df->n_containers++];
        bool first = true;
        char key[16];
        int r;

        if ((r = json_scan_object_begin(s)) < 0)
                return r;
        while ((r = json_scan_object_next(s, &first)) > 0) {
                if ((r = json_scan_key(s, key, sizeof key)) < 0)
                        return r;
                if (streq(key, "Id"))
                        r = json_scan_str(s, "Id", true, &c->id);
                else if (streq(key, "ImageID"))
                        r = json_scan_str(s, "ImageID", false, &c->image_id);
                else if (streq(key, "State"))
                        r = json_scan_state(s, "State", &c->state);
                else if (streq(key, "SizeRw"))
                        r = json_scan_int(s, "SizeRw", 0, &c->size_rw);
                else if (streq(key, "SizeRootFs"))
                        r = json_scan_int(s, "SizeRootFs", 0, &c->size_root_fs);
                else
                        r = json_scan_skip(s);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (!c->id)
                return json_read_bad(s->d, "\"Id\" is missing");
        if (!c->image_id && !(c->image_id = strdup("")))
                return -ENOMEM;
        if ((r = engine_image_id_normalize(&c->image_id)) < 0)
                return r;
        c->size_rw = clamp0(c->size_rw);
        c->size_root_fs = clamp0(c->size_root_fs);
        return 0;
}

static int decode_df_volume(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata) {
        struct df_ctx *ctx = userdata;
        struct engine_df *df = ctx->df;
        if (json_read_grow((void **) &df->volumes, &ctx->volumes, df->n_volumes, sizeof *df->volumes) < 0)
                return -ENOMEM;
        struct engine_df_volume *v = &df->volumes[df->n_volumes++];
        _cleanup_(json_read_labels_free) struct engine_labels labels = {};
        json_t *usage = NULL;
        int r;

        v->size = v->ref_count = -1;
        if ((r = json_read_str(d, o, "Name", true, &v->name)) < 0 ||
            (r = json_read_object(d, o, "UsageData", &usage)) < 0 ||
            (r = json_read_labels(d, o, "Labels", &labels)) < 0 ||
            (r = json_read_time(d, o, "CreatedAt", &v->created_ns)) < 0)
                return r;
        if (usage && ((r = json_read_int(d, usage, "Size", -1, &v->size)) < 0 ||
                      (r = json_read_int(d, usage, "RefCount", -1, &v->ref_count)) < 0))
                return r;
        /* -1 is the engine's own "not computed"; Podman's other negatives mean the same. */
        v->size = v->size < 0 ? -1 : v->size;
        v->ref_count = v->ref_count < 0 ? -1 : v->ref_count;
        v->anonymous = engine_labels_get(&labels, "com.docker.volume.anonymous") ||
                       engine_volume_name_is_anonymous(v->name);
        return 0;
}

static int decode_df_build_cache(struct json_read_cursor *d, const json_t *o, size_t i, void *userdata) {
        struct df_ctx *ctx = userdata;
        struct engine_df *df = ctx->df;
        if (json_read_grow((void **) &df->build_cache, &ctx->build_cache, df->n_build_cache, sizeof *df->build_cache) < 0)
                return -ENOMEM;
        struct engine_df_build_cache *b = &df->build_cache[df->n_build_cache++];
        int r;

        if ((r = json_read_str(d, o, "ID", true, &b->id)) < 0 ||
            (r = json_read_str(d, o, "Type", false, &b->type)) < 0 ||
            (r = json_read_int(d, o, "Size", 0, &b->size)) < 0 ||
            (r = json_read_bool(d, o, "InUse", &b->in_use)) < 0 ||
            (r = json_read_bool(d, o, "Shared", &b->shared)) < 0 ||
            (r = json_read_time(d, o, "LastUsedAt", &b->last_used_ns)) < 0 ||
            (r = json_read_time(d, o, "CreatedAt", &b->created_ns)) < 0)
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
