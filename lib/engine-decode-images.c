/* engine-decode-images.c: /images/json and /images/{name}/json to the structs of engine.h. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "time-util.h"
#include "json-field.h"

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

#define IMAGE_FIELD(name_, member_, kind_, ...) \
        { .key = (name_), .offset = offsetof(struct engine_image, member_), .kind = (kind_), __VA_ARGS__ }
const struct json_field engine_image_fields[] = {
        IMAGE_FIELD("Id", id, JSON_FIELD_STRING, .required = true),
        IMAGE_FIELD("RepoTags", repo_tags, JSON_FIELD_STRV, .skip = "<none>:<none>"),
        IMAGE_FIELD("RepoDigests", repo_digests, JSON_FIELD_STRV, .skip = "<none>@<none>"),
        IMAGE_FIELD("Created", created, JSON_FIELD_UNIX_SEC),
        IMAGE_FIELD("Size", size, JSON_FIELD_INT, .def = 0),
        IMAGE_FIELD("SharedSize", shared_size, JSON_FIELD_INT, .def = -1),
        IMAGE_FIELD("Containers", containers, JSON_FIELD_INT, .def = -1),
        IMAGE_FIELD("Labels", labels, JSON_FIELD_LABELS),
        IMAGE_FIELD("ParentId", parent_id, JSON_FIELD_STRING),
};
const size_t engine_image_n_fields = ELEMENTSOF(engine_image_fields);

/* One item of /images/json, straight from the text. */
static int scan_image(struct json_scan *s, size_t i, void *userdata) {
        struct images_ctx *ctx = userdata;
        struct engine_image_list *l = ctx->list;
        if (json_read_grow((void **) &l->items, &ctx->allocated, l->n, sizeof *l->items) < 0)
                return -ENOMEM;
        struct engine_image *im = &l->items[l->n++];
        int r = json_field_scan(s, engine_image_fields, engine_image_n_fields, im);
        if (r < 0)
                return r;
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
