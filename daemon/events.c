/* The engine-event follower: a thread reading the stream, a queue, an eventfd to wake the loop. */
#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine.h"
#include "history.h"
#include "stop-times.h"
#include "macro.h"
#include "strv.h"

#define EVENT_QUEUE_MAX 4096
/* The follower's own reconnect back-off after a drop, at most. */
#define EVENT_RECONNECT_MAX_MS (30 * 1000)

struct queued_event {
        char type[16];
        char action[48];
        char *actor_id;
        char *image;
        int64_t time_ns;
};

struct events {
        pthread_t thread;
        bool running;
        struct engine *engine;         /* the thread's own client */
        atomic_int cancel;
        pthread_mutex_t lock;          /* guards queue, n_queued, overflow, dropped, result */
        struct queued_event queue[EVENT_QUEUE_MAX];
        size_t n_queued;
        bool overflow;
        bool dropped;                  /* the stream failed since the last drain: is the engine gone? */
        int efd;
        int64_t since_ns;              /* the last drained event: where a restarted stream resumes */
        int result;                    /* what the follower returned; 0 while it runs */
};

static void events_wake(struct events *t) {
        uint64_t one = 1;
        (void) !write(t->efd, &one, sizeof one);
}

static int events_cb(const struct engine_event *ev, void *userdata) {
        struct events *t = userdata;
        pthread_mutex_lock(&t->lock);
        if (t->n_queued < EVENT_QUEUE_MAX) {
                struct queued_event *q = &t->queue[t->n_queued++];
                memset(q, 0, sizeof *q);
                snprintf(q->type, sizeof q->type, "%s", ev->type ? ev->type : "");
                snprintf(q->action, sizeof q->action, "%s", ev->action ? ev->action : "");
                q->actor_id = ev->actor_id ? strdup(ev->actor_id) : NULL;
                const char *image = ev->attributes ? engine_labels_get(ev->attributes, "image") : NULL;
                q->image = image ? strdup(image) : NULL;
                q->time_ns = ev->time_ns;
        } else
                t->overflow = true;
        pthread_mutex_unlock(&t->lock);
        events_wake(t);
        return 0;
}

static void events_drop_cb(int error, void *userdata) {
        struct events *t = userdata;
        pthread_mutex_lock(&t->lock);
        t->dropped = true;
        pthread_mutex_unlock(&t->lock);
        events_wake(t);
}

static void *events_main(void *userdata) {
        struct events *t = userdata;
        static const struct engine_filter filters[] = {
                { "type", "container" },
                { "type", "image" },
                { "type", "volume" },
                { "type", "network" },
        };
        int r = engine_events_follow_full(t->engine, filters, ELEMENTSOF(filters), t->since_ns,
                                          EVENT_RECONNECT_MAX_MS, events_cb, events_drop_cb, t);
        pthread_mutex_lock(&t->lock);
        t->result = r;
        pthread_mutex_unlock(&t->lock);
        events_wake(t);
        return NULL;
}

int events_new(struct events **ret) {
        _cleanup_free_ struct events *t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (t->efd < 0)
                return negative_errno();
        pthread_mutex_init(&t->lock, NULL);
        *ret = TAKE_PTR(t);
        return 0;
}

void events_free(struct events *t) {
        if (!t)
                return;
        events_stop(t);
        close(t->efd);
        pthread_mutex_destroy(&t->lock);
        free(t);
}

int events_fd(const struct events *t) {
        return t->efd;
}

int events_start(struct events *t, const char *host, uid_t socket_owner) {
        struct engine_options o = {
                .host = host,
                .socket_owner = socket_owner,
                .cancel = &t->cancel,
        };
        t->cancel = 0;
        t->result = 0; /* a restarted follower must not look as if it gave up again */
        int r = engine_new(&o, &t->engine);
        if (r < 0)
                return r;
        r = -pthread_create(&t->thread, NULL, events_main, t);
        if (r < 0) {
                engine_free(TAKE_PTR(t->engine));
                return r;
        }
        t->running = true;
        return 0;
}

void events_stop(struct events *t) {
        if (!t->running)
                return;
        t->cancel = 1;
        pthread_join(t->thread, NULL);
        t->running = false;
        engine_free(TAKE_PTR(t->engine));
        for (size_t i = 0; i < t->n_queued; i++) {
                free(t->queue[i].actor_id);
                free(t->queue[i].image);
        }
        t->n_queued = 0;
}

/* What an event may have done to disk use: grown it (a check soon), or freed or unpinned something (an
 * exhausted host may plan again). Podman says "remove" where Docker says "destroy". */
static unsigned events_effect(const struct queued_event *q) {
        static char *const container_grow[] = { "die", "commit", NULL };
        static char *const container_free[] = { "die", "stop", "destroy", "remove", NULL };
        static char *const image_grow[] = { "pull", "load", "import", "build", "commit", "tag", NULL };
        static char *const image_free[] = { "untag", "delete", "remove", NULL };
        static char *const object_free[] = { "destroy", "remove", NULL };
        unsigned e = 0;
        if (streq(q->type, "container")) {
                e |= strv_contains(container_grow, q->action) ? EVENTS_GREW : 0;
                e |= strv_contains(container_free, q->action) ? EVENTS_FREED : 0;
        } else if (streq(q->type, "image")) {
                e |= strv_contains(image_grow, q->action) ? EVENTS_GREW : 0;
                e |= strv_contains(image_free, q->action) ? EVENTS_FREED : 0;
        } else if (streq(q->type, "volume") || streq(q->type, "network"))
                e |= strv_contains(object_free, q->action) ? EVENTS_FREED : 0;
        return e;
}

unsigned events_drain(struct events *t, struct history *h, struct stop_times *st, bool *ret_dropped) {
        unsigned effect = 0;
        uint64_t n;
        (void) !read(t->efd, &n, sizeof n);
        pthread_mutex_lock(&t->lock);
        for (size_t i = 0; i < t->n_queued; i++) {
                struct queued_event *q = &t->queue[i];
                /* A name the history refuses (-EINVAL) was never a use to keep; after -ENOMEM the next
                 * snapshot's seeding still brings back what the containers prove. */
                if (h)
                        (void) !history_note_event(h, q->type, q->action, q->actor_id, q->image, q->time_ns);
                /* After -ENOMEM, the next cleanup inspects that container. */
                if (st)
                        (void) !stop_times_note_event(st, q->type, q->action, q->actor_id, q->time_ns);
                effect |= events_effect(q);
                if (q->time_ns > t->since_ns)
                        t->since_ns = q->time_ns;
                free(q->actor_id);
                free(q->image);
        }
        t->n_queued = 0;
        if (t->overflow)
                effect |= EVENTS_GREW | EVENTS_FREED; /* lost events may have been anything */
        t->overflow = false;
        *ret_dropped = t->dropped;
        t->dropped = false;
        pthread_mutex_unlock(&t->lock);
        return effect;
}

int events_revive(struct events *t, const char *host, uid_t socket_owner) {
        if (!t->running)
                return 0;
        pthread_mutex_lock(&t->lock);
        int result = t->result;
        pthread_mutex_unlock(&t->lock);
        if (result == 0 || result == -ECANCELED)
                return 0;
        events_stop(t);
        return events_start(t, host, socket_owner);
}
