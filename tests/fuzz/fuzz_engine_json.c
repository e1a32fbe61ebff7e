/* fuzz_engine_json.c: libFuzzer over the Engine API decoders (lib/engine-decode-*.c), no curl involved.
 *
 * The first byte picks the decoder (see decoders[]); the rest is the body. Every input also goes
 * through the RFC 3339 parser, the version parser and the error-message extractor. Besides crashes,
 * leaks and sanitizer reports, it aborts when:
 *   - a decoder returns anything but 0, -EBADMSG or -ENOMEM, or on failure touches its output, or
 *     leaves an error code or message that does not match;
 *   - a decoded struct breaks its contract: NULL strings, unterminated string lists, a "<none>:<none>"
 *     tag, an unknown state, negative df sizes, an image id deleted without "sha256:" when it was hex;
 *   - a parsed time does not survive formatting and parsing again, or a version does not compare equal
 *     to itself;
 *   - an error message is unterminated or holds control characters. */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine-internal.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                           \
        do {                                                                               \
                if (!(x)) {                                                                \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x); \
                        abort();                                                           \
                }                                                                          \
        } while (0)

static const unsigned char SENTINEL = 0xa5;

static bool untouched(const void *p, size_t n) {
        const unsigned char *b = p;
        for (size_t i = 0; i < n; i++)
                if (b[i] != SENTINEL)
                        return false;
        return true;
}

static void check_str(const char *s) {
        CHECK(s);
        (void) strlen(s);
}

static void check_strv(char *const *v, const char *forbidden) {
        CHECK(v);
        for (; *v; v++) {
                check_str(*v);
                if (forbidden)
                        CHECK(strcmp(*v, forbidden) != 0);
        }
}

static void check_labels(const struct engine_labels *l) {
        CHECK(l->n == 0 || l->items);
        for (size_t i = 0; i < l->n; i++) {
                check_str(l->items[i].key);
                check_str(l->items[i].value);
                CHECK(engine_labels_get(l, l->items[i].key));
        }
}

static void check_state(enum engine_container_state s) {
        CHECK(s >= ENGINE_CONTAINER_UNKNOWN && s <= ENGINE_CONTAINER_DEAD);
        check_str(engine_container_state_to_string(s));
}

static bool is_hex64(const char *s) {
        size_t n = strspn(s, "0123456789abcdef");
        return n == 64 && s[n] == 0;
}

static void check_deleted(const struct engine_image_delete_result *r) {
        CHECK(r->n == 0 || r->items);
        for (size_t i = 0; i < r->n; i++)
                if (r->items[i].deleted)
                        CHECK(!is_hex64(r->items[i].deleted));
}

/* Each decoder: decode into a sentinel-filled struct, check the outcome, free. */
static void run(int which, const char *buf, size_t len, unsigned char extra) {
        union {
                struct engine_version version;
                struct engine_info info;
                struct engine_container_list containers;
                struct engine_container_detail container;
                struct engine_image_list images;
                struct engine_image_detail image;
                struct engine_image_delete_result deleted;
                struct engine_prune_result prune;
                struct engine_df df;
                struct engine_volume_list volumes;
                struct engine_network_list networks;
                struct engine_event_data event;
        } out;
        struct engine_error err = {};
        int r = 0;

        memset(&out, SENTINEL, sizeof out);
        switch (which) {
        case 0:
                r = engine_decode_version(buf, len, &out.version, &err);
                if (r == 0) {
                        check_str(out.version.version);
                        check_str(out.version.api_version);
                        check_str(out.version.min_api_version);
                        check_str(out.version.os);
                        check_str(out.version.arch);
                        CHECK(*out.version.api_version);
                        engine_version_done(&out.version);
                }
                break;
        case 1:
                r = engine_decode_info(buf, len, &out.info, &err);
                if (r == 0) {
                        check_str(out.info.docker_root_dir);
                        check_str(out.info.driver);
                        check_str(out.info.server_version);
                        engine_info_done(&out.info);
                }
                break;
        case 2:
        case 3:
                r = engine_decode_containers(buf, len, which == 3, &out.containers, &err);
                if (r == 0) {
                        CHECK(out.containers.items);
                        for (size_t i = 0; i < out.containers.n; i++) {
                                const struct engine_container *c = &out.containers.items[i];
                                CHECK(*c->id);
                                check_str(c->name);
                                check_str(c->image);
                                check_str(c->image_id);
                                check_state(c->state);
                                check_labels(&c->labels);
                        }
                        engine_container_list_done(&out.containers);
                        CHECK(!out.containers.items && out.containers.n == 0);
                }
                break;
        case 4:
                r = engine_decode_container_detail(buf, len, &out.container, &err);
                if (r == 0) {
                        CHECK(*out.container.id);
                        check_str(out.container.name);
                        check_str(out.container.image_id);
                        check_state(out.container.state);
                        check_labels(&out.container.labels);
                        engine_container_detail_done(&out.container);
                }
                break;
        case 5:
                r = engine_decode_images(buf, len, &out.images, &err);
                if (r == 0) {
                        for (size_t i = 0; i < out.images.n; i++) {
                                const struct engine_image *im = &out.images.items[i];
                                CHECK(*im->id);
                                check_strv(im->repo_tags, "<none>:<none>");
                                check_strv(im->repo_digests, "<none>@<none>");
                                check_labels(&im->labels);
                                check_str(im->parent_id);
                        }
                        engine_image_list_done(&out.images);
                }
                break;
        case 6:
                r = engine_decode_image_detail(buf, len, &out.image, &err);
                if (r == 0) {
                        CHECK(*out.image.id);
                        check_strv(out.image.repo_tags, "<none>:<none>");
                        check_labels(&out.image.labels);
                        engine_image_detail_done(&out.image);
                }
                break;
        case 7:
                r = engine_decode_image_delete(buf, len, &out.deleted, &err);
                if (r == 0) {
                        check_deleted(&out.deleted);
                        engine_image_delete_result_done(&out.deleted);
                }
                break;
        case 8: {
                enum engine_prune_kind kind = (enum engine_prune_kind) (extra % 5);
                r = engine_decode_prune(buf, len, kind, &out.prune, &err);
                if (r == 0) {
                        check_strv(out.prune.deleted, NULL);
                        size_t n = 0;
                        while (out.prune.deleted[n])
                                n++;
                        CHECK(n == out.prune.n_deleted);
                        CHECK(kind == ENGINE_PRUNE_IMAGES || out.prune.images.n == 0);
                        check_deleted(&out.prune.images);
                        CHECK(out.prune.space_reclaimed <= INT64_MAX);
                        engine_prune_result_done(&out.prune);
                }
                break;
        }
        case 9:
                r = engine_decode_df(buf, len, &out.df, &err);
                if (r == 0) {
                        const struct engine_df *df = &out.df;
                        CHECK(df->layers_size >= 0);
                        for (size_t i = 0; i < df->n_images; i++) {
                                CHECK(!is_hex64(df->images[i].id));
                                CHECK(df->images[i].size >= 0 && df->images[i].shared_size >= 0);
                                CHECK(df->images[i].containers >= -1);
                                check_strv(df->images[i].repo_tags, "<none>:<none>");
                                for (char **t = df->images[i].repo_tags; *t; t++)
                                        CHECK(strchr(*t, ':'));
                        }
                        for (size_t i = 0; i < df->n_containers; i++) {
                                CHECK(*df->containers[i].id);
                                check_str(df->containers[i].image_id);
                                CHECK(!is_hex64(df->containers[i].image_id));
                                CHECK(df->containers[i].size_rw >= 0 && df->containers[i].size_root_fs >= 0);
                                check_state(df->containers[i].state);
                        }
                        for (size_t i = 0; i < df->n_volumes; i++) {
                                CHECK(*df->volumes[i].name);
                                CHECK(df->volumes[i].size >= -1 && df->volumes[i].ref_count >= -1);
                        }
                        for (size_t i = 0; i < df->n_build_cache; i++) {
                                CHECK(*df->build_cache[i].id);
                                check_str(df->build_cache[i].type);
                                CHECK(df->build_cache[i].size >= 0);
                        }
                        CHECK(df->build_cache_supported || df->n_build_cache == 0);
                        engine_df_done(&out.df);
                }
                break;
        case 10:
                r = engine_decode_volumes(buf, len, &out.volumes, &err);
                if (r == 0) {
                        for (size_t i = 0; i < out.volumes.n; i++) {
                                const struct engine_volume *v = &out.volumes.items[i];
                                CHECK(*v->name);
                                check_str(v->driver);
                                check_str(v->mountpoint);
                                check_labels(&v->labels);
                                CHECK(v->anonymous == (engine_labels_get(&v->labels, "com.docker.volume.anonymous") ||
                                                       engine_volume_name_is_anonymous(v->name)));
                        }
                        engine_volume_list_done(&out.volumes);
                }
                break;
        case 11:
                r = engine_decode_networks(buf, len, &out.networks, &err);
                if (r == 0) {
                        for (size_t i = 0; i < out.networks.n; i++) {
                                CHECK(*out.networks.items[i].id && *out.networks.items[i].name);
                                check_str(out.networks.items[i].driver);
                                check_labels(&out.networks.items[i].labels);
                        }
                        engine_network_list_done(&out.networks);
                }
                break;
        default:
                r = engine_decode_event(buf, len, &out.event, &err);
                if (r == 0) {
                        check_str(out.event.ev.type);
                        check_str(out.event.ev.action);
                        check_str(out.event.ev.actor_id);
                        CHECK(out.event.ev.attributes == &out.event.attributes);
                        check_labels(out.event.ev.attributes);
                        if (strcmp(out.event.ev.type, "image") == 0)
                                CHECK(!is_hex64(out.event.ev.actor_id));
                        engine_event_data_done(&out.event);
                }
                break;
        }
        CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r < 0) {
                CHECK(untouched(&out, sizeof out));
                CHECK(err.code == r);
                CHECK(memchr(err.message, 0, sizeof err.message));
                CHECK(err.message[0]);
        } else
                CHECK(err.code == 0);
}

static void check_time(const char *s) {
        int64_t ns = 42;
        int r = engine_parse_time(s, &ns);
        CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r < 0) {
                CHECK(ns == 42);
                return;
        }
        if (ns == 0)
                return;
        /* Format the instant canonically and parse it again: the same nanosecond. */
        int64_t secs = ns / 1000000000, frac = ns % 1000000000;
        if (frac < 0) {
                secs--;
                frac += 1000000000;
        }
        time_t t = (time_t) secs;
        struct tm tm;
        CHECK(gmtime_r(&t, &tm));
        char again[64];
        snprintf(again, sizeof again, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRId64 "Z", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
        int64_t ns2 = 0;
        CHECK(engine_parse_time(again, &ns2) == 0);
        CHECK(ns2 == ns);
}

static void check_version(const char *s) {
        unsigned major, minor;
        if (engine_version_parse(s, &major, &minor) < 0)
                return;
        CHECK(engine_version_compare(s, s) == 0);
        char again[32];
        snprintf(again, sizeof again, "%u.%u", major, minor);
        CHECK(engine_version_compare(s, again) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 2)
                return 0;
        const char *body = (const char *) data + 2;
        size_t len = size - 2;

        run(data[0] % 13, body, len, data[1]);

        char *s = malloc(len + 1);
        CHECK(s);
        memcpy(s, body, len);
        s[len] = 0;
        check_time(s);
        check_version(s);
        free(s);

        char msg[64];
        engine_decode_error_message(body, len, msg, sizeof msg);
        size_t n = strnlen(msg, sizeof msg);
        CHECK(n < sizeof msg);
        for (size_t i = 0; i < n; i++)
                CHECK((unsigned char) msg[i] >= 0x20 && msg[i] != 0x7f);
        return 0;
}
