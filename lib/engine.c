/* engine.c: the client's life cycle (options, host and TLS settings from the environment) and the
 * typed calls of engine.h. The transport is engine-http.c, the event stream engine-events.c, the JSON
 * decoders engine-decode-*.c (reading with json-read.c), the value parsers engine-values.c. */

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "docker-ref.h"
#include "engine-http.h"
#include "engine-internal.h"

#define SHORT_TIMEOUT_MS ((uint64_t) 60 * 1000)
#define DEFAULT_TIMEOUT_SEC ((uint64_t) 10 * 60)
#define DEFAULT_CONNECT_TIMEOUT_MS ((uint64_t) 5 * 1000)

/* ---- setup ---- */

static int resolve_tcp(struct engine *e, const char *hostport) {
        _cleanup_free_ char *hp = strdup(hostport);
        const char *verify = getenv("DOCKER_TLS_VERIFY");
        bool tls = verify && *verify;
        if (!hp)
                return -ENOMEM;
        /* tcp://host:port/ is accepted as written by people. */
        size_t n = strlen(hp);
        while (n > 0 && hp[n - 1] == '/')
                hp[--n] = 0;
        if (n == 0 || strpbrk(hp, "/?#@ "))
                return -EINVAL;
        const char *bracket = strrchr(hp, ']'), *colon = strrchr(hp, ':');
        bool has_port = colon && (!bracket || colon > bracket);
        if (has_port && colon[1] == 0)
                return -EINVAL;
        /* Docker's own defaults: 2376 with TLS, 2375 without. */
        const char *dflt = has_port ? "" : tls ? ":2376" : ":2375";
        if (asprintf(&e->host, "tcp://%s%s", hp, dflt) < 0 || asprintf(&e->base_url, "%s://%s%s", tls ? "https" : "http", hp, dflt) < 0)
                return -ENOMEM;
        if (tls) {
                const char *dir = getenv("DOCKER_CERT_PATH"), *home = getenv("HOME");
                _cleanup_free_ char *fallback = NULL;
                if (!dir || !*dir) {
                        if (asprintf(&fallback, "%s/.docker", home && *home ? home : "") < 0)
                                return -ENOMEM;
                        dir = fallback;
                }
                if (asprintf(&e->ca_file, "%s/ca.pem", dir) < 0 || asprintf(&e->cert_file, "%s/cert.pem", dir) < 0 ||
                    asprintf(&e->key_file, "%s/key.pem", dir) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int resolve_host(struct engine *e, const char *host) {
        const char *path;

        if (!host || !*host)
                host = getenv("DOCKER_HOST");
        if (!host || !*host)
                host = ENGINE_DEFAULT_SOCKET;
        if (startswith(host, "tcp://"))
                return resolve_tcp(e, host + strlen("tcp://"));
        if (startswith(host, "unix://"))
                path = host + strlen("unix://");
        else if (host[0] == '/')
                path = host;
        else
                return -EINVAL; /* ssh://, npipe://, fd://: not ours */
        if (path[0] != '/' || strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return -EINVAL;
        if (!(e->socket_path = strdup(path)) || asprintf(&e->host, "unix://%s", path) < 0 ||
            !(e->base_url = strdup("http://localhost")))
                return -ENOMEM;
        return 0;
}

int engine_new(const struct engine_options *o, struct engine **ret) {
        static const struct engine_options defaults = {};
        int r;

        if (!ret)
                return -EINVAL;
        if (!o)
                o = &defaults;
        /* Reference-counted and thread-safe in libcurl >= 7.84; paired with engine_free(). */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -ENOMEM;
        struct engine *e = calloc(1, sizeof *e);
        if (!e) {
                curl_global_cleanup();
                return -ENOMEM;
        }
        uint64_t timeout_sec = o->timeout_sec ? o->timeout_sec : DEFAULT_TIMEOUT_SEC;
        e->timeout_ms = timeout_sec > UINT64_MAX / 1000 ? UINT64_MAX : timeout_sec * 1000;
        /* A short overall timeout (tests, impatient operators) shortens the quick calls too. */
        e->short_timeout_ms = MIN(e->timeout_ms, SHORT_TIMEOUT_MS);
        e->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
        e->max_body = o->max_body ? o->max_body : ENGINE_DEFAULT_MAX_BODY;
        e->cancel = o->cancel;
        e->socket_owner = o->socket_owner;
        e->progress = o->progress;
        e->progress_userdata = o->progress_userdata;
        r = resolve_host(e, o->host);
        if (r >= 0 && !(e->curl = curl_easy_init()))
                r = -ENOMEM;
        if (r < 0) {
                engine_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

void engine_free(struct engine *e) {
        if (!e)
                return;
        if (e->curl)
                curl_easy_cleanup(e->curl);
        free(e->host);
        free(e->socket_path);
        free(e->base_url);
        free(e->ca_file);
        free(e->cert_file);
        free(e->key_file);
        free(e);
        curl_global_cleanup();
}

const struct engine_error *engine_last_error(const struct engine *e) {
        return &e->error;
}

const char *engine_host(const struct engine *e) {
        return e->host;
}

bool engine_error_is_unreachable(int r) {
        return r == -ENOENT || r == -ECONNREFUSED || r == -EACCES || r == -EHOSTUNREACH;
}

bool engine_error_is_prune_running(const struct engine *e, int r) {
        return e && r == -EREMOTEIO && e->error.http_status == 409 &&
               strstr(e->error.message, "prune operation is already running");
}

bool engine_is_podman(const struct engine *e) {
        return e->podman;
}

const char *engine_api_version(const struct engine *e) {
        return e->api_version[0] ? e->api_version : NULL;
}

int engine_api_compare(const struct engine *e, const char *version) {
        return engine_version_compare(e->api_version[0] ? e->api_version : NULL, version);
}

/* ---- calls ---- */

int engine_version(struct engine *e, struct engine_version *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        int r = engine_call(e, "GET", ENGINE_TIMEOUT_SHORT, "/version", &resp);
        return r < 0 ? r : engine_decode_version(resp.data, resp.len, ret, &e->error);
}

int engine_info(struct engine *e, struct engine_info *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        int r = engine_call(e, "GET", ENGINE_TIMEOUT_SHORT, "/info", &resp);
        return r < 0 ? r : engine_decode_info(resp.data, resp.len, ret, &e->error);
}

int engine_list_containers(struct engine *e, bool with_size, struct engine_container_list *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        /* size=1 walks every writable layer on the engine side: as slow as df. */
        int r = engine_call(e, "GET", with_size ? ENGINE_TIMEOUT_LONG : ENGINE_TIMEOUT_SHORT,
                            with_size ? "/containers/json?all=1&size=1" : "/containers/json?all=1", &resp);
        return r < 0 ? r : engine_decode_containers(resp.data, resp.len, with_size, ret, &e->error);
}

static int inspect_container(struct engine *e, const char *id, bool with_size, struct engine_container_detail *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        struct engine_container_detail d;
        /* size=1 walks the writable layer: the slow timeout. */
        int r = engine_call_name(e, "GET", with_size ? ENGINE_TIMEOUT_LONG : ENGINE_TIMEOUT_SHORT, "/containers/", id,
                                 "/json", with_size ? "size=1" : NULL, &resp);
        if (r < 0 || (r = engine_decode_container_detail(resp.data, resp.len, &d, &e->error)) < 0)
                return r;
        /* Asked with size, an absent SizeRw is 0; without, it is unknown. */
        if (with_size && d.size_rw < 0)
                d.size_rw = 0;
        else if (!with_size)
                d.size_rw = -1;
        *ret = d;
        return 0;
}

int engine_inspect_container(struct engine *e, const char *id, struct engine_container_detail *ret) {
        return inspect_container(e, id, false, ret);
}

int engine_inspect_container_size(struct engine *e, const char *id, struct engine_container_detail *ret) {
        return inspect_container(e, id, true, ret);
}

int engine_delete_container(struct engine *e, const char *id, bool remove_anonymous_volumes, bool force) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        char query[32];
        snprintf(query, sizeof query, "v=%d&force=%d", remove_anonymous_volumes, force);
        /* Removing a big writable layer takes as long as the disk needs: the slow timeout. */
        return engine_call_name(e, "DELETE", ENGINE_TIMEOUT_LONG, "/containers/", id, "", query, &resp);
}

int engine_list_images(struct engine *e, bool all, struct engine_image_list *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        int r = engine_call(e, "GET", ENGINE_TIMEOUT_SHORT, all ? "/images/json?all=1" : "/images/json", &resp);
        return r < 0 ? r : engine_decode_images(resp.data, resp.len, ret, &e->error);
}

int engine_inspect_image(struct engine *e, const char *name, struct engine_image_detail *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        int r = engine_call_name(e, "GET", ENGINE_TIMEOUT_SHORT, "/images/", name, "/json", NULL, &resp);
        return r < 0 ? r : engine_decode_image_detail(resp.data, resp.len, ret, &e->error);
}

int engine_delete_image(struct engine *e, const char *name, bool force, struct engine_image_delete_result *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        struct engine_image_delete_result res;
        int r;

        if (force) {
                /* Podman's force also removes the containers using the image, running ones included;
                 * Docker's never touches a running container. Not sent to Podman. */
                engine_reset_error(e);
                if (!e->api_version[0] && (r = engine_negotiate(e)) < 0)
                        return r;
                if (e->podman)
                        return engine_error_set(&e->error, -EOPNOTSUPP,
                                                "not forcing the removal of %s: Podman's force removes the "
                                                "containers using it, running ones included", name ? name : "");
        }
        r = engine_call_name(e, "DELETE", ENGINE_TIMEOUT_LONG, "/images/", name, "", force ? "force=1" : "force=0",
                             &resp);
        if (r < 0)
                return r;
        r = engine_decode_image_delete(resp.data, resp.len, &res, &e->error);
        if (r < 0)
                return r;
        if (ret)
                *ret = res;
        else
                engine_image_delete_result_done(&res);
        return 0;
}

int engine_tag_image(struct engine *e, const char *id, const char *reference) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        _cleanup_free_ char *repo = NULL, *repo_q = NULL, *tag_q = NULL, *query = NULL;
        const char *tag = "latest";

        engine_reset_error(e);
        if (!reference || !*reference || strchr(reference, '@'))
                return engine_error_set(&e->error, -EINVAL, "cannot tag with \"%s\": a repository[:tag] is needed",
                                        reference ? reference : "");
        /* "host:5000/repo" has no tag. */
        const char *colon = docker_ref_tag_separator(reference);
        if (!(repo = colon ? strndup(reference, (size_t) (colon - reference)) : strdup(reference)))
                return -ENOMEM;
        if (colon)
                tag = colon + 1;
        if (!*repo || !*tag)
                return engine_error_set(&e->error, -EINVAL, "cannot tag with \"%s\": empty repository or tag", reference);
        if (!(repo_q = engine_url_escape(repo, false)) || !(tag_q = engine_url_escape(tag, false)) ||
            asprintf(&query, "repo=%s&tag=%s", repo_q, tag_q) < 0)
                return -ENOMEM;
        return engine_call_name(e, "POST", ENGINE_TIMEOUT_SHORT, "/images/", id, "/tag", query, &resp);
}

/* "&name=value" for a non-zero build prune knob. */
static int append_param(char **query, const char *name, uint64_t value) {
        char *q;
        if (value == 0)
                return 0;
        if (asprintf(&q, "%s%s%s=%" PRIu64, *query, **query ? "&" : "", name, value) < 0)
                return -ENOMEM;
        free(*query);
        *query = q;
        return 0;
}

int engine_prune(struct engine *e, enum engine_prune_kind kind, const struct engine_filter *filters, size_t n_filters,
                 const struct engine_build_prune_options *build, struct engine_prune_result *ret) {
        static const char *const paths[] = {
                [ENGINE_PRUNE_CONTAINERS] = "/containers/prune", [ENGINE_PRUNE_IMAGES] = "/images/prune",
                [ENGINE_PRUNE_BUILD_CACHE] = "/build/prune",     [ENGINE_PRUNE_VOLUMES] = "/volumes/prune",
                [ENGINE_PRUNE_NETWORKS] = "/networks/prune",
        };
        _cleanup_(engine_response_done) struct engine_response resp = {};
        _cleanup_free_ char *query = NULL, *path = NULL;
        struct engine_prune_result res;
        int r;

        engine_reset_error(e);
        if ((size_t) kind >= ELEMENTSOF(paths))
                return engine_error_set(&e->error, -EINVAL, "unknown prune kind %d", (int) kind);
        if ((r = engine_filters_query(e, filters, n_filters, &query)) < 0)
                return r;
        if (kind == ENGINE_PRUNE_BUILD_CACHE && build) {
                /* The knobs depend on the version: negotiate before choosing them. */
                if (!e->api_version[0] && (r = engine_negotiate(e)) < 0)
                        return r;
                if (engine_api_compare(e, "1.48") < 0)
                        r = append_param(&query, "keep-storage", build->keep_storage ? build->keep_storage : build->reserved_space);
                else if ((r = append_param(&query, "reserved-space",
                                           build->reserved_space ? build->reserved_space : build->keep_storage)) >= 0 &&
                         (r = append_param(&query, "max-used-space", build->max_used_space)) >= 0)
                        r = append_param(&query, "min-free-space", build->min_free_space);
                if (r < 0)
                        return r;
                if (build->all) {
                        char *q;
                        if (asprintf(&q, "%s%sall=1", query, *query ? "&" : "") < 0)
                                return -ENOMEM;
                        free(query);
                        query = q;
                }
        }
        if (asprintf(&path, "%s%s%s", paths[kind], *query ? "?" : "", query) < 0)
                return -ENOMEM;
        /* The engine says nothing until the whole prune is done: the slow timeout. */
        r = engine_call(e, "POST", ENGINE_TIMEOUT_LONG, path, &resp);
        if (r == -EREMOTEIO && kind == ENGINE_PRUNE_BUILD_CACHE && e->error.http_status == 404)
                return engine_error_set(&e->error, -EOPNOTSUPP, "the engine at %s has no build cache to prune (%s)", e->host,
                                        e->error.message);
        if (r < 0)
                return r;
        if ((r = engine_decode_prune(resp.data, resp.len, kind, &res, &e->error)) < 0)
                return r;
        if (ret)
                *ret = res;
        else
                engine_prune_result_done(&res);
        return 0;
}

int engine_system_df_types(struct engine *e, unsigned types, struct engine_df *ret) {
        static const struct {
                unsigned type;
                const char *name;
        } parts[] = {
                { ENGINE_DF_CONTAINERS, "container" },
                { ENGINE_DF_IMAGES, "image" },
                { ENGINE_DF_VOLUMES, "volume" },
                { ENGINE_DF_BUILD_CACHE, "build-cache" },
        };
        _cleanup_(engine_response_done) struct engine_response resp = {};
        char path[96] = "/system/df";
        int r;

        engine_reset_error(e);
        if (types == 0 || (types & ~ENGINE_DF_ALL))
                return engine_error_set(&e->error, -EINVAL, "no or unknown /system/df types (0x%x)", types);
        /* type= is 1.42's: negotiate before choosing the query. An older engine computes every part
         * whatever it is asked. */
        if (!e->api_version[0] && (r = engine_negotiate(e)) < 0)
                return r;
        if (types != ENGINE_DF_ALL && engine_api_compare(e, "1.42") >= 0) {
                size_t n = strlen(path);
                const char *sep = "?";
                for (size_t i = 0; i < ELEMENTSOF(parts); i++)
                        if (types & parts[i].type) {
                                n += (size_t) snprintf(path + n, sizeof path - n, "%stype=%s", sep, parts[i].name);
                                sep = "&";
                        }
        } else
                types = ENGINE_DF_ALL;
        /* Walks every writable layer on 20.10 (and on later engines when containers are asked for):
         * minutes on a big host. */
        r = engine_call(e, "GET", ENGINE_TIMEOUT_LONG, path, &resp);
        if (r < 0 || (r = engine_decode_df(resp.data, resp.len, ret, &e->error)) < 0)
                return r;
        ret->types = types;
        /* Podman sends an always-empty BuildCache array: it has no build cache to manage. */
        if (e->podman)
                ret->build_cache_supported = false;
        return 0;
}

int engine_system_df(struct engine *e, struct engine_df *ret) {
        return engine_system_df_types(e, ENGINE_DF_ALL, ret);
}

int engine_list_volumes(struct engine *e, struct engine_volume_list *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        int r = engine_call(e, "GET", ENGINE_TIMEOUT_SHORT, "/volumes", &resp);
        return r < 0 ? r : engine_decode_volumes(resp.data, resp.len, ret, &e->error);
}

int engine_delete_volume(struct engine *e, const char *name) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        return engine_call_name(e, "DELETE", ENGINE_TIMEOUT_LONG, "/volumes/", name, "", NULL, &resp);
}

int engine_list_networks(struct engine *e, struct engine_network_list *ret) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        int r = engine_call(e, "GET", ENGINE_TIMEOUT_SHORT, "/networks", &resp);
        return r < 0 ? r : engine_decode_networks(resp.data, resp.len, ret, &e->error);
}

int engine_delete_network(struct engine *e, const char *id) {
        _cleanup_(engine_response_done) struct engine_response resp = {};
        return engine_call_name(e, "DELETE", ENGINE_TIMEOUT_SHORT, "/networks/", id, "", NULL, &resp);
}
