/* engine-http.c: the HTTP transport to the engine over libcurl (a unix socket, or tcp:// with TLS):
 * the body cap, timeouts, cancel and progress; API version negotiation; the versioned call and the
 * query strings it takes.
 *
 * One easy handle per engine, reset before every request, so the connection is reused. Never
 * CURLOPT_FAILONERROR: an HTTP error's body carries the engine's explanation. */

#include <curl/curl.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-http.h"
#include "fileio.h"
#include "engine-internal.h"

void engine_response_done(struct engine_response *r) {
        free(r->data);
        *r = (struct engine_response) {};
}

bool engine_is_cancelled(const struct engine *e) {
        return e->cancel && *e->cancel;
}

void engine_reset_error(struct engine *e) {
        e->error = (struct engine_error) {};
}

char *engine_url_escape(const char *s, bool keep_colon) {
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

size_t engine_body_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct engine_response *r = userdata;
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
        struct engine_response *r = userdata;
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
        return engine_is_cancelled(e) ? 1 : 0;
}

static int setup_transfer(struct engine *e, const struct engine_transfer *t, const char *url) {
        CURL *c = e->curl;
        uint64_t timeout = t->timeout == ENGINE_TIMEOUT_LONG  ? e->timeout_ms :
                           t->timeout == ENGINE_TIMEOUT_SHORT ? e->short_timeout_ms : 0;
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
        SET(CURLOPT_WRITEFUNCTION, t->write_cb ? t->write_cb : engine_body_cb);
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
        if (streq(t->method, "POST")) {
                SET(CURLOPT_POST, 1L);
                SET(CURLOPT_POSTFIELDS, "");
                SET(CURLOPT_POSTFIELDSIZE, 0L);
        } else if (!streq(t->method, "GET"))
                SET(CURLOPT_CUSTOMREQUEST, t->method);
#undef SET
        if (cc != CURLE_OK)
                return engine_error_set(&e->error, cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL, "cannot set up a request: %s",
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
                        return engine_error_set(&e->error, code, "engine unreachable: no socket at %s", e->socket_path);
                break;
        case ECONNREFUSED:
                code = -ECONNREFUSED;
                if (e->socket_path)
                        return engine_error_set(&e->error, code,
                                                "engine unreachable: nothing listens on %s (connection refused)",
                                                e->socket_path);
                break;
        case EACCES:
        case EPERM:
                code = -EACCES;
                if (e->socket_path)
                        return engine_error_set(&e->error, code, "engine unreachable: permission denied on %s", e->socket_path);
                break;
        default:
                code = -EHOSTUNREACH;
                break;
        }
        return engine_error_set(&e->error, code, "engine unreachable at %s: %s", e->host,
                                e->curl_error[0] ? e->curl_error : os_errno ? strerror(os_errno) : "connection failed");
}

/* The socket is the engine's word on what exists and what may go: only a socket its owner (root, or the
 * rootless engine's user named in engine.socket_owner) made is listened to. Another user's socket in a
 * directory they can write to would otherwise feed the planner. */
static int check_socket(struct engine *e) {
        struct stat st;
        if (stat(e->socket_path, &st) < 0)
                return unreachable(e, errno);
        if (S_ISSOCK(st.st_mode) && (st.st_uid == 0 || st.st_uid == geteuid() || st.st_uid == e->socket_owner))
                return 0;
        e->api_version[0] = 0; /* whatever answers once this is fixed may be another engine */
        if (!S_ISSOCK(st.st_mode))
                return engine_error_set(&e->error, -EHOSTUNREACH, "engine refused: %s is %s, not a socket", e->socket_path,
                                        fileio_type_name(st.st_mode));
        return engine_error_set(&e->error, -EHOSTUNREACH,
                                "engine refused: %s is owned by uid %u, not root (engine.socket_owner names a rootless engine's user)",
                                e->socket_path, (unsigned) st.st_uid);
}

int engine_perform(struct engine *e, const struct engine_transfer *t) {
        _cleanup_free_ char *url = NULL;
        long os_errno = 0;
        CURLcode cc;
        int r;

        snprintf(e->error.request, sizeof e->error.request, "%s %.*s", t->method, (int) strcspn(t->path, "?"), t->path);
        if (engine_is_cancelled(e))
                return engine_error_set(&e->error, -ECANCELED, "cancelled before %s %s", t->method, t->path);
        if (asprintf(&url, "%s%s", e->base_url, t->path) < 0)
                return -ENOMEM;
        t->resp->max = t->resp->max ? t->resp->max : e->max_body;
        t->resp->content_length = UINT64_MAX;
        if (e->socket_path && (r = check_socket(e)) < 0)
                return r;
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
                return engine_error_set(&e->error, -EBADMSG, "%s %s: the engine closed the connection mid-answer: %s",
                                        t->method, t->path, e->curl_error[0] ? e->curl_error : curl_easy_strerror(cc));
        case CURLE_OPERATION_TIMEDOUT:
                return engine_error_set(&e->error, -ETIMEDOUT, "%s %s: no complete answer from %s in time (%s)", t->method,
                                        t->path, e->host, e->curl_error[0] ? e->curl_error : "timed out");
        case CURLE_ABORTED_BY_CALLBACK:
                return engine_error_set(&e->error, -ECANCELED, "%s %s: cancelled", t->method, t->path);
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
                if (t->resp->oom)
                        return engine_error_set(&e->error, -ENOMEM, "%s %s: out of memory reading the answer", t->method,
                                                t->path);
                if (t->resp->too_big || cc == CURLE_FILESIZE_EXCEEDED)
                        return engine_error_set(&e->error, -EFBIG, "%s %s: the answer is larger than the cap of %zu bytes",
                                                t->method, t->path, t->resp->max);
                /* A stream writer stopped on purpose; it recorded why when it was an error. */
                if (e->error.code < 0)
                        return e->error.code;
                return engine_error_set(&e->error, -ECANCELED, "%s %s: stopped by the reader", t->method, t->path);
        case CURLE_OUT_OF_MEMORY:
                return engine_error_set(&e->error, -ENOMEM, "%s %s: out of memory", t->method, t->path);
        case CURLE_PARTIAL_FILE:
                return engine_error_set(&e->error, -EBADMSG, "%s %s: truncated answer: %s", t->method, t->path,
                                        e->curl_error[0] ? e->curl_error : curl_easy_strerror(cc));
        default:
                if (t->resp->status == 0)
                        return unreachable(e, (int) os_errno);
                return engine_error_set(&e->error, -EBADMSG, "%s %s: %s", t->method, t->path,
                                        e->curl_error[0] ? e->curl_error : curl_easy_strerror(cc));
        }
}

int engine_http_error(struct engine *e, const struct engine_transfer *t) {
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

/* GET /version (unversioned: it always answers). */
static int get_version(struct engine *e, struct engine_version *ret) {
        struct engine_response resp = { .max = 1024 * 1024 };
        struct engine_transfer t = { "GET", "/version", ENGINE_TIMEOUT_SHORT, &resp, NULL, NULL };
        int r = engine_perform(e, &t);
        if (r >= 0 && resp.status >= 400)
                r = engine_http_error(e, &t);
        if (r >= 0)
                r = engine_decode_version(resp.data, resp.len, ret, &e->error);
        engine_response_done(&resp);
        return r;
}

int engine_negotiate(struct engine *e) {
        struct engine_response resp = { .max = 64 * 1024 };
        struct engine_transfer t = { "GET", "/_ping", ENGINE_TIMEOUT_SHORT, &resp, NULL, NULL };
        char version[16];
        int r;

        r = engine_perform(e, &t);
        if (r >= 0 && resp.status >= 400)
                r = engine_http_error(e, &t);
        if (r >= 0 && resp.status != 200)
                r = engine_error_set(&e->error, -EBADMSG, "GET /_ping: unexpected HTTP status %ld", resp.status);
        if (r < 0) {
                engine_response_done(&resp);
                return r;
        }
        snprintf(version, sizeof version, "%s", resp.api_version);
        e->podman = resp.libpod;
        engine_response_done(&resp);
        _cleanup_(engine_version_done) struct engine_version v = {};
        if (!version[0]) {
                /* No Api-Version header (a proxy in between, an old engine): ask /version. */
                r = get_version(e, &v);
                if (r < 0)
                        return r;
                snprintf(version, sizeof version, "%s", v.api_version);
        }
        unsigned major, minor;
        if (engine_version_parse(version, &major, &minor) < 0)
                return engine_error_set(&e->error, -EBADMSG, "the engine at %s announced an unusable API version \"%s\"",
                                        e->host, version);
        if (engine_version_compare(version, ENGINE_API_MIN) < 0)
                return engine_error_set(&e->error, -EPROTONOSUPPORT,
                                        "the engine at %s speaks Engine API %s; dockerclean needs at least "
                                        ENGINE_API_MIN, e->host, version);
        if (engine_version_compare(version, ENGINE_API_MAX) > 0) {
                /* A newer engine may have raised its minimum above what we speak (Docker 29.0-29.2: 1.44; an
                 * operator's min-api-version): say so rather than send requests it refuses one by one. */
                if (!v.api_version && get_version(e, &v) >= 0 && v.min_api_version && *v.min_api_version &&
                    engine_version_compare(v.min_api_version, ENGINE_API_MAX) > 0)
                        return engine_error_set(&e->error, -EPROTONOSUPPORT,
                                                "the engine at %s accepts Engine API %s to %s; dockerclean speaks "
                                                ENGINE_API_MIN " to " ENGINE_API_MAX ": no version in common",
                                                e->host, v.min_api_version, version);
                engine_reset_error(e);
        }
        snprintf(e->api_version, sizeof e->api_version, "%s",
                 engine_version_compare(version, ENGINE_API_MAX) > 0 ? ENGINE_API_MAX : version);
        return 0;
}

int engine_ping(struct engine *e) {
        if (!e)
                return -EINVAL;
        engine_reset_error(e);
        return engine_negotiate(e);
}

int engine_call(struct engine *e, const char *method, enum engine_timeout_class timeout, const char *path,
                struct engine_response *resp) {
        _cleanup_free_ char *versioned = NULL;
        int r;

        engine_reset_error(e);
        if (!e->api_version[0] && (r = engine_negotiate(e)) < 0)
                return r;
        if (asprintf(&versioned, "/v%s%s", e->api_version, path) < 0)
                return -ENOMEM;
        struct engine_transfer t = { method, versioned, timeout, resp, NULL, NULL };
        r = engine_perform(e, &t);
        if (r < 0)
                return r;
        if (resp->status >= 400)
                return engine_http_error(e, &t);
        if (resp->status < 200 || resp->status >= 300)
                return engine_error_set(&e->error, -EBADMSG, "%s %s: unexpected HTTP status %ld", method, versioned,
                                        resp->status);
        return 0;
}

int engine_call_name(struct engine *e, const char *method, enum engine_timeout_class timeout, const char *prefix,
                            const char *name, const char *suffix, const char *query, struct engine_response *resp) {
        _cleanup_free_ char *escaped = NULL, *path = NULL;
        if (!name || !*name || streq(name, ".") || streq(name, ".."))
                return engine_error_set(&e->error, -EINVAL, "not a name or id: \"%s\"", name ? name : "");
        if (!(escaped = engine_url_escape(name, true)))
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
        return engine_call(e, method, timeout, path, resp);
}

int engine_filters_query(struct engine *e, const struct engine_filter *filters, size_t n, char **ret) {
        _cleanup_json_ json_t *obj = json_object();
        _cleanup_free_ char *dump = NULL, *escaped = NULL;
        char *q;

        if (!obj)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (!filters[i].key || !filters[i].value)
                        return engine_error_set(&e->error, -EINVAL, "filter %zu has no key or value", i);
                json_t *list = json_object_get(obj, filters[i].key);
                if (!list) {
                        list = json_array();
                        if (!list || json_object_set_new(obj, filters[i].key, list) < 0)
                                return -ENOMEM;
                }
                json_t *v = json_string(filters[i].value);
                if (!v)
                        return engine_error_set(&e->error, -EINVAL, "filter %s=%s is not UTF-8", filters[i].key,
                                                filters[i].value);
                if (json_array_append_new(list, v) < 0)
                        return -ENOMEM;
        }
        if (n == 0)
                q = strdup("");
        else {
                if (!(dump = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS)) ||
                    !(escaped = engine_url_escape(dump, false)))
                        return -ENOMEM;
                if (asprintf(&q, "filters=%s", escaped) < 0)
                        q = NULL;
        }
        if (!q)
                return -ENOMEM;
        *ret = q;
        return 0;
}
