/* engine.c: the Engine API transport (libcurl over a unix socket, or tcp:// with TLS), API version
 * negotiation, the typed calls of engine.h and the event stream. JSON decoding lives in
 * engine-json.c.
 *
 * One easy handle per engine, reset before every request, so the connection is reused. Never
 * CURLOPT_FAILONERROR: an HTTP error's body carries the engine's explanation. */

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "engine-internal.h"

#define SHORT_TIMEOUT_MS ((uint64_t) 60 * 1000)
#define DEFAULT_TIMEOUT_SEC ((uint64_t) 10 * 60)
#define DEFAULT_CONNECT_TIMEOUT_MS ((uint64_t) 5 * 1000)
#define EVENT_LINE_MAX ((size_t) 1024 * 1024)
#define STREAM_ERROR_BODY_MAX ((size_t) 64 * 1024)

struct engine {
        CURL *curl;
        char *host;        /* "unix:///path" or "tcp://host:port", for messages and engine_host() */
        char *socket_path; /* unix only */
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

enum timeout_class {
        TIMEOUT_SHORT,
        TIMEOUT_LONG,
        TIMEOUT_NONE,
};

/* One response: the body (capped), the status and the headers we care about. */
struct response {
        char *data;
        size_t len, cap, max;
        long status;
        char api_version[16];
        bool libpod;             /* a Libpod-Api-Version header: Podman's compat service */
        bool too_big, oom;
        uint64_t content_length; /* UINT64_MAX when not announced */
};

static void response_done(struct response *r) {
        free(r->data);
        *r = (struct response) {};
}

static bool is_cancelled(const struct engine *e) {
        return e->cancel && *e->cancel;
}

static int set_error(struct engine *e, int code, const char *fmt, ...) _printf_(3, 4);
static int set_error(struct engine *e, int code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->error.message, sizeof e->error.message, fmt, ap);
        va_end(ap);
        e->error.code = code;
        return code;
}

static void error_reset(struct engine *e) {
        e->error = (struct engine_error) {};
}

static bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Percent-encodes everything but RFC 3986 unreserved characters (and ':' when keep_colon, for
 * readable "repo:tag" paths). '/' is encoded too: the engine decodes %2F back, and a name then stays
 * one path segment (call_name() refuses "." and "..", which curl would fold). */
static char *url_escape(const char *s, bool keep_colon) {
        static const char hex[] = "0123456789ABCDEF";
        size_t n = strlen(s);
        char *out = malloc(n * 3 + 1), *p = out;
        if (!out)
                return NULL;
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '~' || c == '.' || (keep_colon && c == ':'))
                        *p++ = (char) c;
                else {
                        *p++ = '%';
                        *p++ = hex[c >> 4];
                        *p++ = hex[c & 15];
                }
        }
        *p = 0;
        return out;
}

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

/* ---- transport ---- */

static size_t body_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct response *r = userdata;
        size_t n = size * nmemb;

        /* Counted here as well as checked against Content-Length: chunked bodies announce nothing. */
        if (n > r->max - r->len) {
                r->too_big = true;
                return 0;
        }
        if (r->len + n + 1 > r->cap) {
                size_t cap = MAX(r->cap, (size_t) 16384);
                while (cap < r->len + n + 1)
                        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
                cap = MIN(cap, r->max + 1);
                char *p = realloc(r->data, cap);
                if (!p) {
                        r->oom = true;
                        return 0;
                }
                r->data = p;
                r->cap = cap;
        }
        memcpy(r->data + r->len, ptr, n);
        r->len += n;
        r->data[r->len] = 0;
        return n;
}

/* "Name: value\r\n" -> value (trimmed) when the name matches, case-insensitively. */
static bool header_value(const char *buf, size_t n, const char *name, char *value, size_t value_size) {
        size_t k = strlen(name);
        if (n <= k || strncasecmp(buf, name, k) != 0 || buf[k] != ':')
                return false;
        buf += k + 1;
        n -= k + 1;
        while (n > 0 && (*buf == ' ' || *buf == '\t'))
                buf++, n--;
        while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        if (n >= value_size)
                n = value_size - 1;
        memcpy(value, buf, n);
        value[n] = 0;
        return true;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata) {
        struct response *r = userdata;
        size_t n = size * nitems;
        char value[32];

        if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
                /* A new response (after a 100 Continue, say): forget the previous one's headers. */
                r->api_version[0] = 0;
                r->libpod = false;
                r->content_length = UINT64_MAX;
        } else if (header_value(buf, n, "Libpod-Api-Version", value, sizeof value))
                r->libpod = true;
        else if (header_value(buf, n, "Api-Version", r->api_version, sizeof r->api_version))
                ;
        else if (header_value(buf, n, "Content-Length", value, sizeof value)) {
                char *end;
                errno = 0;
                unsigned long long cl = strtoull(value, &end, 10);
                if (errno == 0 && end != value && *end == 0) {
                        r->content_length = cl;
                        /* Refuse before reading a byte of an announced oversize body. */
                        if (cl > r->max) {
                                r->too_big = true;
                                return 0;
                        }
                }
        }
        return n;
}

static int xferinfo_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
        const struct engine *e = userdata;
        if (e->progress)
                e->progress(e->progress_userdata);
        return is_cancelled(e) ? 1 : 0;
}

struct transfer {
        const char *method;  /* GET, POST, DELETE */
        const char *path;    /* "/v1.41/containers/json?all=1" or "/_ping" */
        enum timeout_class timeout;
        struct response *resp;
        /* The body goes to resp unless a stream writer is given. */
        curl_write_callback write_cb;
        void *write_data;
};

static int setup_transfer(struct engine *e, const struct transfer *t, const char *url) {
        CURL *c = e->curl;
        uint64_t timeout = t->timeout == TIMEOUT_LONG ? e->timeout_ms : t->timeout == TIMEOUT_SHORT ? e->short_timeout_ms : 0;
        CURLcode cc = CURLE_OK;

        curl_easy_reset(c);
        e->curl_error[0] = 0;
#define SET(opt, val)                                                  \
        do {                                                           \
                if (cc == CURLE_OK)                                    \
                        cc = curl_easy_setopt(c, opt, val);            \
        } while (0)
        SET(CURLOPT_URL, url);
        SET(CURLOPT_PROTOCOLS_STR, "http,https");
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_ERRORBUFFER, e->curl_error);
        SET(CURLOPT_USERAGENT, "dockerclean/" DOCKERCLEAN_VERSION);
        SET(CURLOPT_CONNECTTIMEOUT_MS, (long) MIN(e->connect_timeout_ms, (uint64_t) LONG_MAX));
        SET(CURLOPT_TIMEOUT_MS, (long) MIN(timeout, (uint64_t) LONG_MAX));
        SET(CURLOPT_NOPROGRESS, 0L);
        SET(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
        SET(CURLOPT_XFERINFODATA, e);
        SET(CURLOPT_HEADERFUNCTION, header_cb);
        SET(CURLOPT_HEADERDATA, t->resp);
        SET(CURLOPT_WRITEFUNCTION, t->write_cb ? t->write_cb : body_cb);
        SET(CURLOPT_WRITEDATA, t->write_cb ? t->write_data : t->resp);
        if (e->socket_path)
                SET(CURLOPT_UNIX_SOCKET_PATH, e->socket_path);
        else
                SET(CURLOPT_TCP_KEEPALIVE, 1L);
        if (e->ca_file) {
                SET(CURLOPT_CAINFO, e->ca_file);
                SET(CURLOPT_SSLCERT, e->cert_file);
                SET(CURLOPT_SSLKEY, e->key_file);
                SET(CURLOPT_SSL_VERIFYPEER, 1L);
                SET(CURLOPT_SSL_VERIFYHOST, 2L);
        }
        if (strcmp(t->method, "POST") == 0) {
                SET(CURLOPT_POST, 1L);
                SET(CURLOPT_POSTFIELDS, "");
                SET(CURLOPT_POSTFIELDSIZE, 0L);
        } else if (strcmp(t->method, "GET") != 0)
                SET(CURLOPT_CUSTOMREQUEST, t->method);
#undef SET
        if (cc != CURLE_OK)
                return set_error(e, cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL, "cannot set up a request: %s",
                                 curl_easy_strerror(cc));
        return 0;
}

static int unreachable(struct engine *e, int os_errno) {
        int code;
        e->error.os_errno = os_errno;
        /* Whatever answers next may be another engine version: negotiate again. */
        e->api_version[0] = 0;
        switch (os_errno) {
        case ENOENT:
                code = -ENOENT;
                if (e->socket_path)
                        return set_error(e, code, "engine unreachable: no socket at %s", e->socket_path);
                break;
        case ECONNREFUSED:
                code = -ECONNREFUSED;
                if (e->socket_path)
                        return set_error(e, code, "engine unreachable: nothing listens on %s (connection refused)",
                                         e->socket_path);
                break;
        case EACCES:
        case EPERM:
                code = -EACCES;
                if (e->socket_path)
                        return set_error(e, code, "engine unreachable: permission denied on %s", e->socket_path);
                break;
        default:
                code = -EHOSTUNREACH;
                break;
        }
        return set_error(e, code, "engine unreachable at %s: %s", e->host,
                         e->curl_error[0] ? e->curl_error : os_errno ? strerror(os_errno) : "connection failed");
}

/* Runs a transfer; 0 means an HTTP answer arrived (any status, in t->resp->status). */
static int perform(struct engine *e, const struct transfer *t) {
        _cleanup_free_ char *url = NULL;
        long os_errno = 0;
        CURLcode cc;
        int r;

        if (is_cancelled(e))
                return set_error(e, -ECANCELED, "cancelled before %s %s", t->method, t->path);
        if (asprintf(&url, "%s%s", e->base_url, t->path) < 0)
                return -ENOMEM;
        t->resp->max = t->resp->max ? t->resp->max : e->max_body;
        t->resp->content_length = UINT64_MAX;
        r = setup_transfer(e, t, url);
        if (r < 0)
                return r;
        cc = curl_easy_perform(e->curl);
        curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &t->resp->status);
        curl_easy_getinfo(e->curl, CURLINFO_OS_ERRNO, &os_errno);
        switch (cc) {
        case CURLE_OK:
                return 0;
        case CURLE_COULDNT_CONNECT:
                return unreachable(e, (int) os_errno);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
                return unreachable(e, 0);
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
                /* The engine went away mid-request (a restart, a crash). */
                if (t->resp->status == 0)
                        return unreachable(e, os_errno ? (int) os_errno : ECONNRESET);
                return set_error(e, -EBADMSG, "%s %s: the engine closed the connection mid-answer: %s", t->method,
                                 t->path, e->curl_error[0] ? e->curl_error : curl_easy_strerror(cc));
        case CURLE_OPERATION_TIMEDOUT:
                return set_error(e, -ETIMEDOUT, "%s %s: no complete answer from %s in time (%s)", t->method, t->path,
                                 e->host, e->curl_error[0] ? e->curl_error : "timed out");
        case CURLE_ABORTED_BY_CALLBACK:
                return set_error(e, -ECANCELED, "%s %s: cancelled", t->method, t->path);
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
                if (t->resp->oom)
                        return set_error(e, -ENOMEM, "%s %s: out of memory reading the answer", t->method, t->path);
                if (t->resp->too_big || cc == CURLE_FILESIZE_EXCEEDED)
                        return set_error(e, -EFBIG, "%s %s: the answer is larger than the cap of %zu bytes", t->method,
                                         t->path, t->resp->max);
                /* A stream writer stopped on purpose; it recorded why when it was an error. */
                if (e->error.code < 0)
                        return e->error.code;
                return set_error(e, -ECANCELED, "%s %s: stopped by the reader", t->method, t->path);
        case CURLE_OUT_OF_MEMORY:
                return set_error(e, -ENOMEM, "%s %s: out of memory", t->method, t->path);
        case CURLE_PARTIAL_FILE:
                return set_error(e, -EBADMSG, "%s %s: truncated answer: %s", t->method, t->path,
                                 e->curl_error[0] ? e->curl_error : curl_easy_strerror(cc));
        default:
                if (t->resp->status == 0)
                        return unreachable(e, (int) os_errno);
                return set_error(e, -EBADMSG, "%s %s: %s", t->method, t->path,
                                 e->curl_error[0] ? e->curl_error : curl_easy_strerror(cc));
        }
}

/* An HTTP error answer to -EREMOTEIO with the engine's own message. */
static int http_error(struct engine *e, const struct transfer *t) {
        e->error.http_status = t->resp->status;
        engine_decode_error_message(t->resp->data, t->resp->len, e->error.message, sizeof e->error.message);
        /* Podman answers a conflict Docker calls 409 (removing a running container) with 500 and
         * cause "container state improper": report the conflict as what it is. */
        if (t->resp->status == 500 && e->podman && t->resp->len > 0 && strstr(t->resp->data, "\"container state improper\""))
                e->error.http_status = 409;
        if (!e->error.message[0])
                snprintf(e->error.message, sizeof e->error.message, "HTTP %ld from %s %s with an empty body",
                         t->resp->status, t->method, t->path);
        e->error.code = -EREMOTEIO;
        return -EREMOTEIO;
}

static int negotiate(struct engine *e) {
        struct response resp = { .max = 64 * 1024 };
        struct transfer t = { "GET", "/_ping", TIMEOUT_SHORT, &resp, NULL, NULL };
        char version[16];
        int r;

        r = perform(e, &t);
        if (r >= 0 && resp.status >= 400)
                r = http_error(e, &t);
        if (r >= 0 && resp.status != 200)
                r = set_error(e, -EBADMSG, "GET /_ping: unexpected HTTP status %ld", resp.status);
        if (r < 0) {
                response_done(&resp);
                return r;
        }
        snprintf(version, sizeof version, "%s", resp.api_version);
        e->podman = resp.libpod;
        response_done(&resp);
        if (!version[0]) {
                /* No Api-Version header (a proxy in between, an old engine): ask /version. */
                _cleanup_(engine_version_done) struct engine_version v = {};
                struct transfer tv = { "GET", "/version", TIMEOUT_SHORT, &resp, NULL, NULL };
                resp = (struct response) { .max = 1024 * 1024 };
                r = perform(e, &tv);
                if (r >= 0 && resp.status >= 400)
                        r = http_error(e, &tv);
                if (r >= 0)
                        r = engine_decode_version(resp.data, resp.len, &v, &e->error);
                response_done(&resp);
                if (r < 0)
                        return r;
                snprintf(version, sizeof version, "%s", v.api_version);
        }
        unsigned major, minor;
        if (engine_version_parse(version, &major, &minor) < 0)
                return set_error(e, -EBADMSG, "the engine at %s announced an unusable API version \"%s\"", e->host,
                                 version);
        if (engine_version_compare(version, ENGINE_API_MIN) < 0)
                return set_error(e, -EPROTONOSUPPORT,
                                 "the engine at %s speaks Engine API %s; dockerclean needs at least " ENGINE_API_MIN,
                                 e->host, version);
        snprintf(e->api_version, sizeof e->api_version, "%s",
                 engine_version_compare(version, ENGINE_API_MAX) > 0 ? ENGINE_API_MAX : version);
        return 0;
}

int engine_ping(struct engine *e) {
        if (!e)
                return -EINVAL;
        error_reset(e);
        return negotiate(e);
}

/* Negotiates on first use, then METHOD /vX.Y PATH; 0 with a 2xx answer in resp, else an error
 * (-EREMOTEIO for an HTTP error, with the engine's message). */
static int call(struct engine *e, const char *method, enum timeout_class timeout, const char *path, struct response *resp) {
        _cleanup_free_ char *versioned = NULL;
        int r;

        error_reset(e);
        if (!e->api_version[0] && (r = negotiate(e)) < 0)
                return r;
        if (asprintf(&versioned, "/v%s%s", e->api_version, path) < 0)
                return -ENOMEM;
        struct transfer t = { method, versioned, timeout, resp, NULL, NULL };
        r = perform(e, &t);
        if (r < 0)
                return r;
        if (resp->status >= 400)
                return http_error(e, &t);
        if (resp->status < 200 || resp->status >= 300)
                return set_error(e, -EBADMSG, "%s %s: unexpected HTTP status %ld", method, versioned, resp->status);
        return 0;
}

/* prefix, the escaped name, suffix and ?query, then the call. */
static int call_name(struct engine *e, const char *method, enum timeout_class timeout, const char *prefix,
                     const char *name, const char *suffix, const char *query, struct response *resp) {
        _cleanup_free_ char *escaped = NULL, *path = NULL;
        if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return set_error(e, -EINVAL, "not a name or id: \"%s\"", name ? name : "");
        if (!(escaped = url_escape(name, true)))
                return -ENOMEM;
        if (asprintf(&path, "%s%s%s", prefix, escaped, suffix) < 0)
                return -ENOMEM;
        if (query && *query) {
                char *p;
                if (asprintf(&p, "%s?%s", path, query) < 0)
                        return -ENOMEM;
                free(path);
                path = p;
        }
        return call(e, method, timeout, path, resp);
}

/* "filters=<url-encoded {"key":["v",...]}>", or "" without filters. */
static int filters_query(struct engine *e, const struct engine_filter *filters, size_t n, char **ret) {
        _cleanup_json_ json_t *obj = json_object();
        _cleanup_free_ char *dump = NULL, *escaped = NULL;
        char *q;

        if (!obj)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (!filters[i].key || !filters[i].value)
                        return set_error(e, -EINVAL, "filter %zu has no key or value", i);
                json_t *list = json_object_get(obj, filters[i].key);
                if (!list) {
                        list = json_array();
                        if (!list || json_object_set_new(obj, filters[i].key, list) < 0)
                                return -ENOMEM;
                }
                json_t *v = json_string(filters[i].value);
                if (!v)
                        return set_error(e, -EINVAL, "filter %s=%s is not UTF-8", filters[i].key, filters[i].value);
                if (json_array_append_new(list, v) < 0)
                        return -ENOMEM;
        }
        if (n == 0)
                q = strdup("");
        else {
                if (!(dump = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS)) || !(escaped = url_escape(dump, false)))
                        return -ENOMEM;
                if (asprintf(&q, "filters=%s", escaped) < 0)
                        q = NULL;
        }
        if (!q)
                return -ENOMEM;
        *ret = q;
        return 0;
}

/* ---- calls ---- */

int engine_version(struct engine *e, struct engine_version *ret) {
        _cleanup_(response_done) struct response resp = {};
        int r = call(e, "GET", TIMEOUT_SHORT, "/version", &resp);
        return r < 0 ? r : engine_decode_version(resp.data, resp.len, ret, &e->error);
}

int engine_info(struct engine *e, struct engine_info *ret) {
        _cleanup_(response_done) struct response resp = {};
        int r = call(e, "GET", TIMEOUT_SHORT, "/info", &resp);
        return r < 0 ? r : engine_decode_info(resp.data, resp.len, ret, &e->error);
}

int engine_list_containers(struct engine *e, bool with_size, struct engine_container_list *ret) {
        _cleanup_(response_done) struct response resp = {};
        /* size=1 walks every writable layer on the engine side: as slow as df. */
        int r = call(e, "GET", with_size ? TIMEOUT_LONG : TIMEOUT_SHORT,
                     with_size ? "/containers/json?all=1&size=1" : "/containers/json?all=1", &resp);
        return r < 0 ? r : engine_decode_containers(resp.data, resp.len, with_size, ret, &e->error);
}

int engine_inspect_container(struct engine *e, const char *id, struct engine_container_detail *ret) {
        _cleanup_(response_done) struct response resp = {};
        int r = call_name(e, "GET", TIMEOUT_SHORT, "/containers/", id, "/json", NULL, &resp);
        return r < 0 ? r : engine_decode_container_detail(resp.data, resp.len, ret, &e->error);
}

int engine_delete_container(struct engine *e, const char *id, bool remove_anonymous_volumes, bool force) {
        _cleanup_(response_done) struct response resp = {};
        char query[32];
        snprintf(query, sizeof query, "v=%d&force=%d", remove_anonymous_volumes, force);
        /* Removing a big writable layer takes as long as the disk needs: the slow timeout. */
        return call_name(e, "DELETE", TIMEOUT_LONG, "/containers/", id, "", query, &resp);
}

int engine_list_images(struct engine *e, bool all, struct engine_image_list *ret) {
        _cleanup_(response_done) struct response resp = {};
        int r = call(e, "GET", TIMEOUT_SHORT, all ? "/images/json?all=1" : "/images/json", &resp);
        return r < 0 ? r : engine_decode_images(resp.data, resp.len, ret, &e->error);
}

int engine_inspect_image(struct engine *e, const char *name, struct engine_image_detail *ret) {
        _cleanup_(response_done) struct response resp = {};
        int r = call_name(e, "GET", TIMEOUT_SHORT, "/images/", name, "/json", NULL, &resp);
        return r < 0 ? r : engine_decode_image_detail(resp.data, resp.len, ret, &e->error);
}

int engine_delete_image(struct engine *e, const char *name, bool force, struct engine_image_delete_result *ret) {
        _cleanup_(response_done) struct response resp = {};
        struct engine_image_delete_result res;
        int r;

        if (force) {
                /* Podman's force also removes the containers using the image, running ones included;
                 * Docker's never touches a running container. Not sent to Podman. */
                error_reset(e);
                if (!e->api_version[0] && (r = negotiate(e)) < 0)
                        return r;
                if (e->podman)
                        return set_error(e, -EOPNOTSUPP,
                                         "not forcing the removal of %s: Podman's force removes the containers using "
                                         "it, running ones included", name ? name : "");
        }
        r = call_name(e, "DELETE", TIMEOUT_LONG, "/images/", name, "", force ? "force=1" : "force=0", &resp);
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
        _cleanup_(response_done) struct response resp = {};
        _cleanup_free_ char *repo = NULL, *repo_q = NULL, *tag_q = NULL, *query = NULL;
        const char *tag = "latest";

        error_reset(e);
        if (!reference || !*reference || strchr(reference, '@'))
                return set_error(e, -EINVAL, "cannot tag with \"%s\": a repository[:tag] is needed",
                                 reference ? reference : "");
        if (!(repo = strdup(reference)))
                return -ENOMEM;
        /* The tag is after the last ':' that follows the last '/' ("host:5000/repo" has none). */
        char *colon = strrchr(repo, ':'), *slash = strrchr(repo, '/');
        if (colon && (!slash || colon > slash)) {
                *colon = 0;
                tag = colon + 1;
        }
        if (!*repo || !*tag)
                return set_error(e, -EINVAL, "cannot tag with \"%s\": empty repository or tag", reference);
        if (!(repo_q = url_escape(repo, false)) || !(tag_q = url_escape(tag, false)) ||
            asprintf(&query, "repo=%s&tag=%s", repo_q, tag_q) < 0)
                return -ENOMEM;
        return call_name(e, "POST", TIMEOUT_SHORT, "/images/", id, "/tag", query, &resp);
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
        _cleanup_(response_done) struct response resp = {};
        _cleanup_free_ char *query = NULL, *path = NULL;
        struct engine_prune_result res;
        int r;

        error_reset(e);
        if ((size_t) kind >= ELEMENTSOF(paths))
                return set_error(e, -EINVAL, "unknown prune kind %d", (int) kind);
        if ((r = filters_query(e, filters, n_filters, &query)) < 0)
                return r;
        if (kind == ENGINE_PRUNE_BUILD_CACHE && build) {
                /* The knobs depend on the version: negotiate before choosing them. */
                if (!e->api_version[0] && (r = negotiate(e)) < 0)
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
        r = call(e, "POST", TIMEOUT_LONG, path, &resp);
        if (r == -EREMOTEIO && kind == ENGINE_PRUNE_BUILD_CACHE && e->error.http_status == 404)
                return set_error(e, -EOPNOTSUPP, "the engine at %s has no build cache to prune (%s)", e->host,
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

int engine_system_df(struct engine *e, struct engine_df *ret) {
        _cleanup_(response_done) struct response resp = {};
        /* Walks every writable layer on 20.10: minutes on a big host. */
        int r = call(e, "GET", TIMEOUT_LONG, "/system/df", &resp);
        if (r < 0 || (r = engine_decode_df(resp.data, resp.len, ret, &e->error)) < 0)
                return r;
        /* Podman sends an always-empty BuildCache array: it has no build cache to manage. */
        if (e->podman)
                ret->build_cache_supported = false;
        return 0;
}

int engine_list_volumes(struct engine *e, struct engine_volume_list *ret) {
        _cleanup_(response_done) struct response resp = {};
        int r = call(e, "GET", TIMEOUT_SHORT, "/volumes", &resp);
        return r < 0 ? r : engine_decode_volumes(resp.data, resp.len, ret, &e->error);
}

int engine_delete_volume(struct engine *e, const char *name) {
        _cleanup_(response_done) struct response resp = {};
        return call_name(e, "DELETE", TIMEOUT_LONG, "/volumes/", name, "", NULL, &resp);
}

int engine_list_networks(struct engine *e, struct engine_network_list *ret) {
        _cleanup_(response_done) struct response resp = {};
        int r = call(e, "GET", TIMEOUT_SHORT, "/networks", &resp);
        return r < 0 ? r : engine_decode_networks(resp.data, resp.len, ret, &e->error);
}

int engine_delete_network(struct engine *e, const char *id) {
        _cleanup_(response_done) struct response resp = {};
        return call_name(e, "DELETE", TIMEOUT_SHORT, "/networks/", id, "", NULL, &resp);
}

/* ---- events ---- */

struct stream {
        struct engine *e;
        struct response *resp; /* status, and the body of an HTTP error */
        engine_event_cb cb;
        void *userdata;
        char *line;            /* the partial line so far */
        size_t len, cap;
        bool stopped;          /* the reader stopped the transfer; stop_value says why */
        bool by_callback;      /* ... because the callback returned non-zero */
        int stop_value;
        bool have_last;        /* an event was delivered: last_ns and last_line are set */
        int64_t last_ns;
        char *last_line;
        size_t n_delivered;    /* on this connection */
};

static int stream_stop(struct stream *s, int value) {
        s->stopped = true;
        s->stop_value = value;
        return 0;
}

static int stream_line(struct stream *s, char *line, size_t len) {
        _cleanup_(engine_event_data_done) struct engine_event_data ed = {};
        int r;

        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
                len--;
        if (len == 0)
                return 0;
        line[len] = 0;
        r = engine_decode_event(line, len, &ed, &s->e->error);
        if (r < 0)
                return r;
        /* After a reconnect the engine replays from `since` inclusive: skip what was delivered. */
        if (s->have_last && (ed.ev.time_ns < s->last_ns || (ed.ev.time_ns == s->last_ns && strcmp(line, s->last_line) == 0)))
                return 0;
        char *copy = strdup(line);
        if (!copy)
                return -ENOMEM;
        free(s->last_line);
        s->last_line = copy;
        s->last_ns = ed.ev.time_ns;
        s->have_last = true;
        s->n_delivered++;
        r = s->cb(&ed.ev, s->userdata);
        if (r != 0) {
                stream_stop(s, r);
                s->by_callback = true;
                return 1;
        }
        return 0;
}

static size_t stream_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct stream *s = userdata;
        size_t n = size * nmemb;
        long status = 0;

        curl_easy_getinfo(s->e->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status >= 300) {
                /* Keep the start of an error body for the message; drop the rest. */
                size_t keep = MIN(n, s->resp->max > s->resp->len ? s->resp->max - s->resp->len : 0);
                if (keep > 0 && body_cb(ptr, 1, keep, s->resp) != keep)
                        return 0;
                return n;
        }
        for (size_t done = 0; done < n;) {
                const char *nl = memchr(ptr + done, '\n', n - done);
                size_t k = nl ? (size_t) (nl - (ptr + done)) : n - done;
                if (s->len + k > EVENT_LINE_MAX)
                        return stream_stop(s, set_error(s->e, -EFBIG, "GET /events: an event line is longer than %zu bytes",
                                                        EVENT_LINE_MAX));
                if (s->len + k + 1 > s->cap) {
                        size_t cap = MIN(MAX(s->cap * 2, s->len + k + 1), EVENT_LINE_MAX + 1);
                        char *p = realloc(s->line, cap);
                        if (!p)
                                return stream_stop(s, set_error(s->e, -ENOMEM, "GET /events: out of memory"));
                        s->line = p;
                        s->cap = cap;
                }
                memcpy(s->line + s->len, ptr + done, k);
                s->len += k;
                done += k;
                if (!nl)
                        break;
                done++; /* the newline */
                int r = stream_line(s, s->line, s->len);
                s->len = 0;
                if (r == -ENOMEM)
                        r = set_error(s->e, r, "GET /events: out of memory");
                if (r < 0)
                        return stream_stop(s, r);
                if (r > 0)
                        return 0;
        }
        return n;
}

static int64_t now_realtime_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps ms in small steps; false when cancelled meanwhile. */
static bool backoff_sleep(const struct engine *e, uint64_t ms) {
        while (ms > 0) {
                if (is_cancelled(e))
                        return false;
                uint64_t step = MIN(ms, (uint64_t) 50);
                nanosleep(&(struct timespec) { .tv_sec = 0, .tv_nsec = (long) step * 1000000 }, NULL);
                ms -= step;
        }
        return !is_cancelled(e);
}

/* Failures a reconnect may mend: the engine went away, or answered garbage while going. */
static bool stream_retryable(int r) {
        return engine_error_is_unreachable(r) || r == -ETIMEDOUT || r == -EBADMSG;
}

int engine_events_follow(struct engine *e, const struct engine_filter *filters, size_t n_filters, int64_t since_ns,
                         uint64_t max_backoff_ms, engine_event_cb cb, void *userdata) {
        return engine_events_follow_full(e, filters, n_filters, since_ns, max_backoff_ms, cb, NULL, userdata);
}

int engine_events_follow_full(struct engine *e, const struct engine_filter *filters, size_t n_filters,
                              int64_t since_ns, uint64_t max_backoff_ms, engine_event_cb cb,
                              engine_stream_drop_cb drop_cb, void *userdata) {
        _cleanup_free_ char *filter_q = NULL;
        struct stream s = { .e = e, .cb = cb, .userdata = userdata };
        int64_t resume_ns = since_ns;
        uint64_t backoff = 0;
        int r;

        if (!e || !cb)
                return -EINVAL;
        error_reset(e);
        if ((r = filters_query(e, filters, n_filters, &filter_q)) < 0)
                return r;
        for (;;) {
                _cleanup_(response_done) struct response resp = { .max = STREAM_ERROR_BODY_MAX };
                _cleanup_free_ char *path = NULL;
                char since_q[64] = "";

                if (is_cancelled(e)) {
                        r = set_error(e, -ECANCELED, "GET /events: cancelled");
                        break;
                }
                error_reset(e);
                r = e->api_version[0] ? 0 : negotiate(e);
                if (r >= 0) {
                        if (resume_ns > 0)
                                snprintf(since_q, sizeof since_q, "since=%" PRId64 ".%09" PRId64,
                                         resume_ns / 1000000000, resume_ns % 1000000000);
                        if (asprintf(&path, "/v%s/events%s%s%s%s", e->api_version, *since_q || *filter_q ? "?" : "",
                                     since_q, *since_q && *filter_q ? "&" : "", filter_q) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        /* Without a since, a reconnect resumes from when the first connection began. */
                        int64_t started_ns = now_realtime_ns();
                        struct transfer t = { "GET", path, TIMEOUT_NONE, &resp, stream_cb, &s };
                        s.resp = &resp;
                        s.len = 0;
                        s.n_delivered = 0;
                        r = perform(e, &t);
                        if (s.stopped) {
                                /* The callback's own stop is no engine error. */
                                if (s.by_callback)
                                        error_reset(e);
                                r = s.stop_value;
                                break;
                        }
                        if (r >= 0 && resp.status >= 400) {
                                r = http_error(e, &t);
                                break;
                        }
                        /* Subscribed (headers came), whatever ended it: events from then on are owed. */
                        if (resp.status >= 200 && resp.status < 300 && resume_ns == 0 && !s.have_last)
                                resume_ns = started_ns;
                        if (r >= 0)
                                /* The engine ended the stream (shutting down): reconnect like after a drop. */
                                r = set_error(e, -ECONNRESET, "GET /events: the engine closed the stream");
                        if (s.n_delivered > 0)
                                backoff = 0;
                }
                if (r != -ECONNRESET && !stream_retryable(r))
                        break;
                if (drop_cb)
                        drop_cb(r, userdata);
                if (s.have_last)
                        resume_ns = s.last_ns;
                backoff = backoff ? MIN(backoff * 2, max_backoff_ms) : MIN((uint64_t) 100, max_backoff_ms);
                if (!backoff_sleep(e, backoff)) {
                        r = set_error(e, -ECANCELED, "GET /events: cancelled");
                        break;
                }
        }
        free(s.line);
        free(s.last_line);
        return r;
}
