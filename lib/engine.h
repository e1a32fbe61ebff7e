/* engine.h: a small typed client for the Docker Engine API (and Podman's compatible service).
 *
 * Transport is libcurl over a unix socket (or tcp:// with TLS); JSON is decoded with jansson, but no
 * jansson type appears here. Every call returns 0 (or a positive count) on success and a negative
 * errno on failure; engine_last_error() then tells the details. Outputs are named ret_* and are set
 * only on success; the caller owns them and frees them with the matching *_done() function.
 *
 * Error classes (the return value):
 *   -ENOENT, -ECONNREFUSED, -EACCES, -EHOSTUNREACH  engine unreachable (no socket, refused, permission
 *                                                   denied, other); engine_error_is_unreachable()
 *   -ETIMEDOUT        the request timed out
 *   -EREMOTEIO        the engine answered with an HTTP error; err->http_status and err->message
 *                     (the engine's own "message") say which. 404, 409 (conflict, or a prune already
 *                     running: engine_error_is_prune_running()), 500...
 *   -EBADMSG          protocol error: malformed, truncated or wrongly shaped JSON
 *   -EFBIG            the response body was larger than the cap
 *   -EPROTONOSUPPORT  the engine's API version is below 1.25
 *   -ECANCELED        the cancel flag was raised while the request was in flight
 *   -ENOMEM, -EINVAL  as usual
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define ENGINE_DEFAULT_SOCKET "/var/run/docker.sock"
#define ENGINE_DEFAULT_MAX_BODY ((size_t) 256 * 1024 * 1024)
#define ENGINE_API_MAX "1.51" /* keeps the legacy /system/df shape */
#define ENGINE_API_MIN "1.25"

struct engine;

struct engine_options {
        const char *host;              /* "/path", "unix:///path", "tcp://host:port"; NULL or "" =
                                        * $DOCKER_HOST, else ENGINE_DEFAULT_SOCKET */
        uid_t socket_owner;            /* a unix socket must be a socket owned by root, by the caller or by
                                        * this uid (a rootless engine's user; 0 = nobody else): anything
                                        * else is refused before connecting (-EHOSTUNREACH, the message says
                                        * what it is) */
        uint64_t timeout_sec;          /* overall timeout for slow calls (prune, df); 0 = 10 min */
        uint64_t connect_timeout_ms;   /* 0 = 5 s */
        size_t max_body;               /* 0 = ENGINE_DEFAULT_MAX_BODY */
        const volatile sig_atomic_t *cancel; /* when non-NULL and set, requests in flight abort */
        /* When non-NULL, called now and then (about once a second) while a request is in flight, on
         * the calling thread: a prune can take minutes, and the daemon's watchdog must not starve. */
        void (*progress)(void *userdata);
        void *progress_userdata;
};

struct engine_error {
        int code;                      /* the negative errno last returned */
        int os_errno;                  /* for unreachable: ENOENT, ECONNREFUSED, EACCES... */
        long http_status;              /* for -EREMOTEIO */
        char message[512];             /* human-readable; the engine's "message" for HTTP errors */
        char request[160];             /* the request last sent, "GET /v1.41/containers/json" (no query);
                                        * "" when the call failed before sending one */
};

/* Creates a client; no I/O happens until the first call. */
int engine_new(const struct engine_options *o, struct engine **ret) _must_check_;
void engine_free(struct engine *e);
const struct engine_error *engine_last_error(const struct engine *e);
bool engine_error_is_unreachable(int r);
bool engine_error_is_prune_running(const struct engine *e, int r);
/* "unix:///run/docker.sock" or "tcp://..." as resolved from options and environment. */
const char *engine_host(const struct engine *e);

/* GET /_ping: negotiates the API version (min of the server's and ENGINE_API_MAX). Every other call
 * negotiates on first use if this was not called. */
int engine_ping(struct engine *e) _must_check_;
/* "1.41" after negotiation, NULL before. */
const char *engine_api_version(const struct engine *e);
/* After negotiation: the engine is Podman's compatible service (its /_ping names a Libpod API). */
bool engine_is_podman(const struct engine *e);
/* Compares the negotiated version with "1.48" etc.: <0, 0, >0. */
int engine_api_compare(const struct engine *e, const char *version);

/* Key/value pairs (labels, event attributes). */
struct engine_kv {
        char *key;
        char *value;
};
struct engine_labels {
        struct engine_kv *items;
        size_t n;
};
/* The value of label key; NULL if absent. A NULL key or value (hand-made labels, as in the policy's
 * tests) is skipped or reads as "". Inline, so that the pure modules need only engine.h's types. */
static inline const char *engine_labels_get(const struct engine_labels *l, const char *key) {
        if (!l || !key)
                return NULL;
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].key && streq(l->items[i].key, key))
                        return l->items[i].value ? l->items[i].value : "";
        return NULL;
}

struct engine_version {
        char *version;                 /* "20.10.24" */
        char *api_version;             /* server max */
        char *min_api_version;
        char *os, *arch;
        bool podman;                   /* Components name "Podman Engine" */
};
int engine_version(struct engine *e, struct engine_version *ret) _must_check_;
void engine_version_done(struct engine_version *v);

struct engine_info {
        char *docker_root_dir;
        char *driver;
        char *server_version;
        int64_t containers, containers_running, containers_paused, containers_stopped, images;
        /* DriverStatus has ["driver-type", "io.containerd.snapshotter.v1"]: the containerd image store, whose
         * images and container layers live under containerd's root, not DockerRootDir. */
        bool containerd_store;
};
int engine_info(struct engine *e, struct engine_info *ret) _must_check_;
void engine_info_done(struct engine_info *i);

enum engine_container_state {
        ENGINE_CONTAINER_UNKNOWN,
        ENGINE_CONTAINER_CREATED,
        ENGINE_CONTAINER_RESTARTING,
        ENGINE_CONTAINER_RUNNING,
        ENGINE_CONTAINER_REMOVING,
        ENGINE_CONTAINER_PAUSED,
        ENGINE_CONTAINER_EXITED,
        ENGINE_CONTAINER_DEAD,
};
const char *engine_container_state_to_string(enum engine_container_state s);
/* The classes of states the daemon decides by, each an allow-list, so that a state added to the engine
 * later falls in none: active (running, paused, restarting: in use now), stopped (exited, dead) and
 * removable (stopped, or created and never started: safe to delete without force). Inline, so that the
 * pure modules (policy, history) need only engine.h's types. */
static inline bool engine_container_state_is_active(enum engine_container_state s) {
        return s == ENGINE_CONTAINER_RUNNING || s == ENGINE_CONTAINER_PAUSED || s == ENGINE_CONTAINER_RESTARTING;
}
static inline bool engine_container_state_is_stopped(enum engine_container_state s) {
        return s == ENGINE_CONTAINER_EXITED || s == ENGINE_CONTAINER_DEAD;
}
static inline bool engine_container_state_is_removable(enum engine_container_state s) {
        return engine_container_state_is_stopped(s) || s == ENGINE_CONTAINER_CREATED;
}

/* Times are unix seconds (Created) or unix nanoseconds (*_ns); 0 = unknown / never. */
struct engine_container {
        char *id;
        char *name;                    /* first of Names, without the leading '/' */
        char *image;                   /* as given at create ("bb:1" or an id) */
        char *image_id;                /* "sha256:..." */
        enum engine_container_state state;
        int64_t created;
        int64_t size_rw;               /* -1 unless listed with size */
        int64_t size_root_fs;          /* -1 unless listed with size */
        int64_t stopped_max_sec;       /* Status "Exited (0) 3 hours ago": it stopped at most this many
                                        * seconds ago (engine_parse_status_age()); -1 when Status does not say */
        struct engine_labels labels;
        char **networks;               /* NULL-terminated: the names in NetworkSettings.Networks */
        char **volumes;                /* NULL-terminated: Mounts[].Name of the mounts of Type "volume" */
};
struct engine_container_list {
        struct engine_container *items;
        size_t n;
};
/* GET /containers/json?all=1[&size=1]. with_size costs a layer walk on the engine side. */
int engine_list_containers(struct engine *e, bool with_size, struct engine_container_list *ret) _must_check_;
void engine_container_list_done(struct engine_container_list *l);

struct engine_container_detail {
        char *id;
        char *name;
        char *image_id;
        enum engine_container_state state;
        int64_t created_ns;
        int64_t started_at_ns;         /* 0 when never started ("0001-01-01T00:00:00Z") */
        int64_t finished_at_ns;        /* 0 when never finished */
        int64_t size_rw;               /* SizeRw: inspected with size, else -1 */
        struct engine_labels labels;
        char *log_path;                /* LogPath: the json-file log ("" or NULL for other drivers) */
        char *log_driver;              /* HostConfig.LogConfig.Type ("json-file", "local", ...); NULL unknown */
        bool log_max_size;             /* HostConfig.LogConfig.Config has a non-empty max-size */
};
int engine_inspect_container(struct engine *e, const char *id, struct engine_container_detail *ret) _must_check_;
/* GET /containers/{id}/json?size=1: also SizeRw, at the cost of a walk of this container's writable layer
 * (what /system/df's container part does for every container). */
int engine_inspect_container_size(struct engine *e, const char *id, struct engine_container_detail *ret) _must_check_;
void engine_container_detail_done(struct engine_container_detail *d);
/* DELETE /containers/{id}; remove_anonymous_volumes = v=1. Never forces a running container unless force. */
int engine_delete_container(struct engine *e, const char *id, bool remove_anonymous_volumes, bool force) _must_check_;

struct engine_image {
        char *id;                      /* "sha256:..." */
        char **repo_tags;              /* NULL-terminated; "<none>:<none>" entries are dropped */
        char **repo_digests;           /* NULL-terminated */
        int64_t created;               /* unix seconds */
        int64_t size;                  /* bytes, including parent layers */
        int64_t shared_size;           /* -1 when unknown */
        int64_t containers;            /* -1 when unknown */
        struct engine_labels labels;
        char *parent_id;               /* "" for none */
};
struct engine_image_list {
        struct engine_image *items;
        size_t n;
};
/* GET /images/json[?all=1]. */
int engine_list_images(struct engine *e, bool all, struct engine_image_list *ret) _must_check_;
void engine_image_list_done(struct engine_image_list *l);

struct engine_image_detail {
        char *id;
        char **repo_tags;
        int64_t created_ns;
        int64_t last_tag_time_ns;      /* Metadata.LastTagTime; 0 when never tagged */
        int64_t size;
        struct engine_labels labels;
        char *parent_id;               /* "Parent"; NULL or "" when none or not said (API >= 1.52 drops it) */
};
int engine_inspect_image(struct engine *e, const char *name, struct engine_image_detail *ret) _must_check_;
void engine_image_detail_done(struct engine_image_detail *d);

/* One entry of an image delete or image prune answer. */
struct engine_image_deleted {
        char *untagged;                /* reference, or NULL */
        char *deleted;                 /* image or layer id, or NULL */
};
struct engine_image_delete_result {
        struct engine_image_deleted *items;
        size_t n;
};
/* DELETE /images/{name}: by tag (untags; deletes when it was the last) or by id. force is refused with
 * -EOPNOTSUPP on Podman, whose force also removes the containers using the image, running or not. */
int engine_delete_image(struct engine *e, const char *name, bool force,
                        struct engine_image_delete_result *ret) _must_check_;
/* POST /images/{id}/tag?repo=R&tag=T: gives an image a reference again ("repo:tag"; a missing tag
 * means "latest"). Used to undo an untag when the image turned out to be in use. */
int engine_tag_image(struct engine *e, const char *id, const char *reference) _must_check_;
void engine_image_delete_result_done(struct engine_image_delete_result *r);

/* Filters for prune, events and listings: each (key, value) pair adds value to key's list;
 * keys are ANDed by the engine. */
struct engine_filter {
        const char *key;               /* "until", "label", "label!", "dangling", "type", "event"... */
        const char *value;
};

enum engine_prune_kind {
        ENGINE_PRUNE_CONTAINERS,
        ENGINE_PRUNE_IMAGES,
        ENGINE_PRUNE_BUILD_CACHE,
        ENGINE_PRUNE_VOLUMES,
        ENGINE_PRUNE_NETWORKS,
};
/* Build prune size knobs: keep_storage before API 1.48, reserved/max_used/min_free from 1.48.
 * 0 = not sent. */
struct engine_build_prune_options {
        uint64_t keep_storage;
        uint64_t reserved_space;
        uint64_t max_used_space;
        uint64_t min_free_space;
        bool all;
};
struct engine_prune_result {
        char **deleted;                /* NULL-terminated ids or names */
        size_t n_deleted;
        struct engine_image_delete_result images; /* ENGINE_PRUNE_IMAGES only */
        uint64_t space_reclaimed;      /* 0 when the engine does not say (networks) or says < 0 */
};
/* POST /{containers,images,build,volumes,networks}/prune. A 404 for build prune (Podman) is -EOPNOTSUPP. */
int engine_prune(struct engine *e, enum engine_prune_kind kind, const struct engine_filter *filters, size_t n_filters,
                 const struct engine_build_prune_options *build, struct engine_prune_result *ret) _must_check_;
void engine_prune_result_done(struct engine_prune_result *r);

/* GET /system/df (legacy shape, version capped at 1.51). Sizes < 0 from Podman are clamped to 0. */
struct engine_df_image {
        char *id;
        int64_t size, shared_size, containers;
        int64_t created;
        char **repo_tags;
};
struct engine_df_container {
        char *id;
        char *image_id;
        enum engine_container_state state;
        int64_t size_rw, size_root_fs;
};
struct engine_df_volume {
        char *name;
        int64_t size;                  /* -1 unknown */
        int64_t ref_count;             /* -1 unknown */
        bool anonymous;                /* label com.docker.volume.anonymous present, or a 64-hex name */
        int64_t created_ns;            /* CreatedAt; 0 unknown */
};
struct engine_df_build_cache {
        char *id;
        char *type;
        int64_t size;
        bool in_use, shared;
        int64_t last_used_ns;          /* 0 = never used */
        int64_t created_ns;
};
struct engine_df {
        int64_t layers_size;
        struct engine_df_image *images;
        size_t n_images;
        struct engine_df_container *containers;
        size_t n_containers;
        struct engine_df_volume *volumes;
        size_t n_volumes;
        struct engine_df_build_cache *build_cache;
        size_t n_build_cache;
        bool build_cache_supported;    /* the answer carries a BuildCache array (Docker; not Podman) */
        unsigned types;                /* the parts the engine was asked for (enum engine_df_type): the
                                        * others' arrays are empty because they were not computed */
};
/* The parts of /system/df; from API 1.42 the engine computes only those asked for (type=...). The
 * container part walks every writable layer: minutes on a busy host. */
enum engine_df_type {
        ENGINE_DF_IMAGES = 1u << 0,
        ENGINE_DF_CONTAINERS = 1u << 1,
        ENGINE_DF_VOLUMES = 1u << 2,
        ENGINE_DF_BUILD_CACHE = 1u << 3,
        ENGINE_DF_ALL = (1u << 4) - 1,
};
/* GET /system/df?type=... for the parts in types (a non-empty set of enum engine_df_type) on API >= 1.42;
 * below 1.42 (20.10, Podman) the plain call, which computes every part; so does types == ENGINE_DF_ALL.
 * ret->types says what was asked: every part after a plain call. */
int engine_system_df_types(struct engine *e, unsigned types, struct engine_df *ret) _must_check_;
/* engine_system_df_types(e, ENGINE_DF_ALL, ret). */
int engine_system_df(struct engine *e, struct engine_df *ret) _must_check_;
void engine_df_done(struct engine_df *d);

struct engine_volume {
        char *name;
        char *driver;
        char *mountpoint;
        struct engine_labels labels;
        bool anonymous;
};
struct engine_volume_list {
        struct engine_volume *items;
        size_t n;
};
int engine_list_volumes(struct engine *e, struct engine_volume_list *ret) _must_check_;
void engine_volume_list_done(struct engine_volume_list *l);
/* DELETE /volumes/{name} (never forced). */
int engine_delete_volume(struct engine *e, const char *name) _must_check_;

struct engine_network {
        char *id;
        char *name;
        char *driver;
        int64_t created;
        bool builtin;                  /* bridge, host, none, or Podman's "podman" */
        size_t n_containers;
        struct engine_labels labels;
};
struct engine_network_list {
        struct engine_network *items;
        size_t n;
};
int engine_list_networks(struct engine *e, struct engine_network_list *ret) _must_check_;
void engine_network_list_done(struct engine_network_list *l);
int engine_delete_network(struct engine *e, const char *id) _must_check_;

/* Events. */
struct engine_event {
        const char *type;              /* "container", "image", ... */
        const char *action;            /* "create", "start", "pull", "tag", "die", ... */
        const char *actor_id;
        const struct engine_labels *attributes; /* Actor.Attributes, e.g. "image", "name" */
        int64_t time_ns;               /* timeNano */
};
/* Called once per event; the event is valid only during the call. Return 0 to go on, non-zero to
 * make engine_events_follow() return that value. */
typedef int (*engine_event_cb)(const struct engine_event *ev, void *userdata);
/* GET /events with filters, since = since_ns (0 = from now). Runs until the callback returns
 * non-zero, the cancel flag is raised (-ECANCELED), or a call fails in a way a reconnect cannot mend.
 * After a drop it reconnects with since = the last event's timeNano, backing off between tries up
 * to max_backoff_ms; no overall timeout (a stream may stay idle forever). Partial lines are buffered;
 * one line is capped at 1 MiB. */
int engine_events_follow(struct engine *e, const struct engine_filter *filters, size_t n_filters, int64_t since_ns,
                         uint64_t max_backoff_ms, engine_event_cb cb, void *userdata) _must_check_;
/* Told, on the following thread, each time the stream fails in a way a reconnect may mend (the engine
 * went away, closed the stream, timed out): error is why. The daemon uses it to notice an engine that
 * is gone without polling one. */
typedef void (*engine_stream_drop_cb)(int error, void *userdata);
/* engine_events_follow() with a drop callback (may be NULL). */
int engine_events_follow_full(struct engine *e, const struct engine_filter *filters, size_t n_filters,
                              int64_t since_ns, uint64_t max_backoff_ms, engine_event_cb cb,
                              engine_stream_drop_cb drop_cb, void *userdata) _must_check_;

/* How long ago a container stopped, at most, from the Status of a listing: "Exited (0) 3 hours ago"
 * (Docker's and Podman's words, go-units' HumanDuration), with its rounding undone: "3 hours" is less
 * than 3.5 h, "2 days" less than 3 days, "About a minute" less than 2 minutes. -EINVAL for any other
 * Status ("Up 2 hours", "Dead", "Created"). */
int engine_parse_status_age(const char *status, int64_t *ret_max_sec) _must_check_;

/* Time helpers: RFC 3339 with optional fraction ("2026-11-29T06:36:03.797318163Z") to unix ns;
 * the zero time "0001-01-01T00:00:00Z" gives 0. -EINVAL on garbage. */
int engine_parse_time(const char *s, int64_t *ret_ns) _must_check_;
