/* engine-decode-images.c: /images/json and /images/{name}/json to the structs of engine.h. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "time-util.h"
#include "json-read.h"
#include "json-scan.h"

static void image_free(struct engine_image *im) {
        free(im->id);
        strv_freep(&im->repo_tags);
        strv_freep(&im->repo_digests);
        json_read_labels_free(&im->labels);
        free(im->parent_id);
}

void engine_image_list_done(struct engine_image_list *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                image_free(&l->items[i]);
        free(l->items);
        *l = (struct engine_image_list) {};
}

struct images_ctx {
        struct engine_image_list *list;
        size_t allocated;
};

/* One item of /images/json, straight from the text. */
static int scan_image(struct json_scan *s, size_t i, void *userdata) {
        struct images_ctx *ctx = userdata;
        struct engine_image_list *l = ctx->list;
        if (json_read_grow((void **) &l->items, &ctx->allocated, l->n, sizeof *l->items) < 0)
                return -ENOMEM;
        struct engine_image *im = &l->items[l->n++];
        bool first = true;
        char key[16];
        int r;

        im->shared_size = im->containers = -1;
        if ((r = json_scan_object_begin(s)) < 0)
                return r;
        while ((r = json_scan_object_next(s, &first)) > 0) {
                if ((r = json_scan_key(s, key, sizeof key)) < 0)
                        return r;
                if (streq(key, "Id"))
                        r = json_scan_str(s, "Id", true, &im->id);
                else if (streq(key, "RepoTags"))
                        r = json_scan_strv(s, "RepoTags", "<none>:<none>", &im->repo_tags);
                else if (streq(key, "RepoDigests"))
                        r = json_scan_strv(s, "RepoDigests", "<none>@<none>", &im->repo_digests);
                else if (streq(key, "Created"))
                        r = engine_scan_created(s, &im->created);
                else if (streq(key, "Size"))
                        r = json_scan_int(s, "Size", 0, &im->size);
                else if (streq(key, "SharedSize"))
                        r = json_scan_int(s, "SharedSize", -1, &im->shared_size);
                else if (streq(key, "Containers"))
                        r = json_scan_int(s, "Containers", -1, &im->containers);
                else if (streq(key, "Labels"))
                        r = json_scan_labels(s, "Labels", &im->labels);
                else if (streq(key, "ParentId"))
                        r = json_scan_str(s, "ParentId", false, &im->parent_id);
                else
                        r = json_scan_skip(s);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (!im->id)
                return json_read_bad(s->d, "\"Id\" is missing");
        if ((!im->repo_tags && !(im->repo_tags = calloc(1, sizeof(char *)))) ||
            (!im->repo_digests && !(im->repo_digests = calloc(1, sizeof(char *)))) ||
            (!im->parent_id && !(im->parent_id = strdup(""))))
                return -ENOMEM;
        /* Podman says the parent by bare hex, though the image itself as "sha256:...". */
        return engine_image_id_normalize(&im->parent_id);
}

int engine_decode_images(const char *buf, size_t len, struct engine_image_list *ret, struct engine_error *err) {
        struct json_read_cursor d = { err, "/images/json", -1 };
        _cleanup_(engine_image_list_done) struct engine_image_list l = {};
        struct images_ctx ctx = { .list = &l };
        int r;

        if ((r = json_scan_each(&d, buf, len, scan_image, &ctx)) < 0)
                return r;
        if (!l.items && !(l.items = calloc(1, sizeof *l.items)))
                return -ENOMEM;
        *ret = TAKE_STRUCT(l);
        return 0;
}

void engine_image_detail_done(struct engine_image_detail *im) {
        if (!im)
                return;
        free(im->id);
        strv_freep(&im->repo_tags);
        json_read_labels_free(&im->labels);
        free(im->parent_id);
        *im = (struct engine_image_detail) {};
}

int engine_decode_image_detail(const char *buf, size_t len, struct engine_image_detail *ret,
                               struct engine_error *err) {
        struct json_read_cursor d = { err, "/images/{name}/json", -1 };
        _cleanup_json_ json_t *root = NULL;
        _cleanup_(engine_image_detail_done) struct engine_image_detail im = {};
        json_t *config = NULL, *metadata = NULL;
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_OBJECT, &root)) < 0 ||
            (r = json_read_str(&d, root, "Id", true, &im.id)) < 0 ||
            (r = json_read_strv(&d, root, "RepoTags", "<none>:<none>", &im.repo_tags)) < 0 ||
            (r = json_read_time(&d, root, "Created", &im.created_ns)) < 0 ||
            (r = json_read_int(&d, root, "Size", 0, &im.size)) < 0 ||
            (r = json_read_str(&d, root, "Parent", false, &im.parent_id)) < 0 ||
            (r = engine_image_id_normalize(&im.parent_id)) < 0 ||
            (r = json_read_object(&d, root, "Config", &config)) < 0 ||
            (r = json_read_object(&d, root, "Metadata", &metadata)) < 0)
                return r;
        if (config && (r = json_read_labels(&d, config, "Labels", &im.labels)) < 0)
                return r;
        if (metadata && (r = json_read_time(&d, metadata, "LastTagTime", &im.last_tag_time_ns)) < 0)
                return r;
        /* Never tagged: overlay2 says year 1 (0 already), the containerd store 1970-01-01; both are unknown. */
        if (im.last_tag_time_ns <= NSEC_PER_SEC)
                im.last_tag_time_ns = 0;
        *ret = TAKE_STRUCT(im);
        return 0;
}
