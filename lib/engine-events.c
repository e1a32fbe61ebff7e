/* engine-events.c: the event stream (GET /events, followed): one line per event, reconnects with a
 * backoff after a drop, resuming with since= from the last event delivered, and a drop callback. */

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine-http.h"
#include "engine-internal.h"
#include "time-util.h"

#define EVENT_LINE_MAX ((size_t) 1024 * 1024)
#define STREAM_ERROR_BODY_MAX ((size_t) 64 * 1024)

struct stream {
        struct engine *e;
        struct engine_response *resp; /* status, and the body of an HTTP error */
        engine_event_cb cb;
        void *userdata;
        char *line;                   /* the partial line so far */
        size_t len, cap;
        bool stopped;                 /* the reader stopped the transfer; stop_value says why */
        bool by_callback;             /* ... because the callback returned non-zero */
        int stop_value;
        bool have_last;               /* an event was delivered: last_ns and last_line are set */
        int64_t last_ns;
        char *last_line;
        size_t n_delivered;           /* on this connection */
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
        if (s->have_last && (ed.ev.time_ns < s->last_ns || (ed.ev.time_ns == s->last_ns && streq(line, s->last_line))))
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
                if (keep > 0 && engine_body_cb(ptr, 1, keep, s->resp) != keep)
                        return 0;
                return n;
        }
        for (size_t done = 0; done < n;) {
                const char *nl = memchr(ptr + done, '\n', n - done);
                size_t k = nl ? (size_t) (nl - (ptr + done)) : n - done;
                if (s->len + k > EVENT_LINE_MAX)
                        return stream_stop(s, engine_error_set(&s->e->error, -EFBIG,
                                                               "GET /events: an event line is longer than %zu bytes",
                                                               EVENT_LINE_MAX));
                if (s->len + k + 1 > s->cap) {
                        size_t cap = MIN(MAX(s->cap * 2, s->len + k + 1), EVENT_LINE_MAX + 1);
                        char *p = realloc(s->line, cap);
                        if (!p)
                                return stream_stop(s, engine_error_set(&s->e->error, -ENOMEM, "GET /events: out of memory"));
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
                        r = engine_error_set(&s->e->error, r, "GET /events: out of memory");
                if (r < 0)
                        return stream_stop(s, r);
                if (r > 0)
                        return 0;
        }
        return n;
}

/* Sleeps ms in small steps; false when cancelled meanwhile. */
static bool backoff_sleep(const struct engine *e, uint64_t ms) {
        while (ms > 0) {
                if (engine_is_cancelled(e))
                        return false;
                uint64_t step = MIN(ms, (uint64_t) 50);
                nanosleep(&(struct timespec) { .tv_sec = 0, .tv_nsec = (long) step * NSEC_PER_MSEC }, NULL);
                ms -= step;
        }
        return !engine_is_cancelled(e);
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
        engine_reset_error(e);
        if ((r = engine_filters_query(e, filters, n_filters, &filter_q)) < 0)
                return r;
        for (;;) {
                _cleanup_(engine_response_done) struct engine_response resp = { .max = STREAM_ERROR_BODY_MAX };
                _cleanup_free_ char *path = NULL;
                char since_q[64] = "";

                if (engine_is_cancelled(e)) {
                        r = engine_error_set(&e->error, -ECANCELED, "GET /events: cancelled");
                        break;
                }
                engine_reset_error(e);
                r = e->api_version[0] ? 0 : engine_negotiate(e);
                if (r >= 0) {
                        if (resume_ns > 0)
                                snprintf(since_q, sizeof since_q, "since=%" PRId64 ".%09" PRId64,
                                         resume_ns / NSEC_PER_SEC, resume_ns % NSEC_PER_SEC);
                        if (asprintf(&path, "/v%s/events%s%s%s%s", e->api_version, *since_q || *filter_q ? "?" : "",
                                     since_q, *since_q && *filter_q ? "&" : "", filter_q) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        /* Without a since, a reconnect resumes from when the first connection began. */
                        int64_t started_ns = now_realtime_ns();
                        struct engine_transfer t = { "GET", path, ENGINE_TIMEOUT_NONE, &resp, stream_cb, &s };
                        s.resp = &resp;
                        s.len = 0;
                        s.n_delivered = 0;
                        r = engine_perform(e, &t);
                        if (s.stopped) {
                                /* The callback's own stop is no engine error. */
                                if (s.by_callback)
                                        engine_reset_error(e);
                                r = s.stop_value;
                                break;
                        }
                        if (r >= 0 && resp.status >= 400) {
                                r = engine_http_error(e, &t);
                                break;
                        }
                        /* Subscribed (headers came), whatever ended it: events from then on are owed. */
                        if (resp.status >= 200 && resp.status < 300 && resume_ns == 0 && !s.have_last)
                                resume_ns = started_ns;
                        if (r >= 0)
                                /* The engine ended the stream (shutting down): reconnect like after a drop. */
                                r = engine_error_set(&e->error, -ECONNRESET, "GET /events: the engine closed the stream");
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
                        r = engine_error_set(&e->error, -ECANCELED, "GET /events: cancelled");
                        break;
                }
        }
        free(s.line);
        free(s.last_line);
        return r;
}
