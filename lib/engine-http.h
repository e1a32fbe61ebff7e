/* engine-http.h: internal, not part of the public interface. What the engine client's files share:
 * the client itself, and the HTTP transport of lib/engine-http.c that the typed calls (lib/engine.c)
 * and the event stream (lib/engine-events.c) use. The JSON decoders are in engine-internal.h. */
#pragma once

#include <sys/types.h>

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "macro.h"

struct engine {
        CURL *curl;
        char *host;        /* "unix:///path" or "tcp://host:port", for messages and engine_host() */
        char *socket_path; /* unix only */
        uid_t socket_owner; /* who besides root and us may own it */
        char *base_url;    /* "http://localhost", "http://host:port" or "https://host:port" */
        char *ca_file, *cert_file, *key_file; /* tcp with DOCKER_TLS_VERIFY */
        uint64_t timeout_ms;       /* slow calls: prune, df, deletes, sized listings */
        uint64_t short_timeout_ms; /* everything else but the event stream */
        uint64_t connect_timeout_ms;
        size_t max_body;
        const volatile sig_atomic_t *cancel;
        void (*progress)(void *userdata);
        void *progress_userdata;
        char api_version[16]; /* "" until negotiated */
        bool podman;          /* /_ping carried Libpod-Api-Version */
        char curl_error[CURL_ERROR_SIZE];
        struct engine_error error;
};

enum engine_timeout_class {
        ENGINE_TIMEOUT_SHORT,
        ENGINE_TIMEOUT_LONG,
        ENGINE_TIMEOUT_NONE,
};

/* One response: the body (capped), the status and the headers we care about. Zero it (max 0 means
 * the engine's max_body) and release it with engine_response_done(). */
struct engine_response {
        char *data;
        size_t len, cap, max;
        long status;
        char api_version[16];
        bool libpod;             /* a Libpod-Api-Version header: Podman's compat service */
        bool too_big, oom;
        uint64_t content_length; /* UINT64_MAX when not announced */
};
void engine_response_done(struct engine_response *r);

struct engine_transfer {
        const char *method;  /* GET, POST, DELETE */
        const char *path;    /* "/v1.41/containers/json?all=1" or "/_ping" */
        enum engine_timeout_class timeout;
        struct engine_response *resp;
        /* The body goes to resp unless a stream writer is given. */
        curl_write_callback write_cb;
        void *write_data;
};

bool engine_is_cancelled(const struct engine *e);
void engine_reset_error(struct engine *e);

/* Percent-encodes everything but RFC 3986 unreserved characters (and ':' when keep_colon, for
 * readable "repo:tag" paths). '/' is encoded too: the engine decodes %2F back, and a name then stays
 * one path segment (engine_call_name() refuses "." and "..", which curl would fold). */
char *engine_url_escape(const char *s, bool keep_colon);
/* "filters=<url-encoded {"key":["v",...]}>", or "" without filters. */
int engine_filters_query(struct engine *e, const struct engine_filter *filters, size_t n, char **ret) _must_check_;

/* The writer of a transfer without a stream writer: appends to the struct engine_response in
 * userdata, up to its cap. */
size_t engine_body_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
/* Runs a transfer; 0 means an HTTP answer arrived (any status, in t->resp->status). */
int engine_perform(struct engine *e, const struct engine_transfer *t) _must_check_;
/* An HTTP error answer to -EREMOTEIO with the engine's own message. */
int engine_http_error(struct engine *e, const struct engine_transfer *t) _must_check_;
/* GET /_ping (else /version): sets api_version (at most ENGINE_API_MAX) and podman. */
int engine_negotiate(struct engine *e) _must_check_;

/* Negotiates on first use, then METHOD /vX.Y PATH; 0 with a 2xx answer in resp, else an error
 * (-EREMOTEIO for an HTTP error, with the engine's message). */
int engine_call(struct engine *e, const char *method, enum engine_timeout_class timeout, const char *path,
                struct engine_response *resp) _must_check_;
/* prefix, the escaped name, suffix and ?query, then the call. */
int engine_call_name(struct engine *e, const char *method, enum engine_timeout_class timeout, const char *prefix,
                     const char *name, const char *suffix, const char *query,
                     struct engine_response *resp) _must_check_;
