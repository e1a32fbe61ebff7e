#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "engine.h"
#include "history.h"
#include "log.h"
#include "macro.h"

#define USEC_PER_SEC 1000000ULL
#define EVENT_QUEUE_MAX 4096
/* Growth events are coalesced: the check runs this long after the first of a burst. */
#define EVENT_CHECK_DELAY_USEC (1 * USEC_PER_SEC)

/* Written by signal handlers, read by the loop: the only globals, as signal handlers need them. */
static int wake_pipe[2] = { -1, -1 };
static volatile sig_atomic_t reload_requested, check_requested;

void loop_signal_wakeup(int sig) {
        int saved = errno;
        char c = (char) sig;
        if (wake_pipe[1] >= 0)
                (void) !write(wake_pipe[1], &c, 1);
        errno = saved;
}

static void on_reload_signal(int sig) {
        reload_requested = 1;
        loop_signal_wakeup(sig);
}

static void on_check_signal(int sig) {
        check_requested = 1;
        loop_signal_wakeup(sig);
}

/* Engine events are read by a thread of their own (the stream blocks in libcurl); it hands them to the
 * loop through a queue and an eventfd. */
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
        struct engine *engine;
        volatile sig_atomic_t cancel;
        pthread_mutex_t lock;
        struct queued_event queue[EVENT_QUEUE_MAX];
        size_t n_queued;
        bool overflow;
        bool dropped;                  /* the stream failed since the last drain: is the engine gone? */
        int efd;
        int64_t since_ns;
        int result;
};

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
        uint64_t one = 1;
        (void) !write(t->efd, &one, sizeof one);
        return 0;
}

static void events_drop_cb(int error, void *userdata) {
        struct events *t = userdata;
        pthread_mutex_lock(&t->lock);
        t->dropped = true;
        pthread_mutex_unlock(&t->lock);
        uint64_t one = 1;
        (void) !write(t->efd, &one, sizeof one);
}

static void *events_main(void *userdata) {
        struct events *t = userdata;
        static const struct engine_filter filters[] = {
                { "type", "container" },
                { "type", "image" },
        };
        t->result = engine_events_follow_full(t->engine, filters, ELEMENTSOF(filters), t->since_ns, 30 * 1000, events_cb,
                                              events_drop_cb, t);
        uint64_t one = 1;
        (void) !write(t->efd, &one, sizeof one);
        return NULL;
}

static int events_start(struct events *t, const struct daemon *d) {
        struct engine_options o = {
                .host = d->config.engine_socket,
                .cancel = &t->cancel,
        };
        t->cancel = 0;
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

static void events_stop(struct events *t) {
        if (!t->running)
                return;
        t->cancel = 1;
        pthread_join(t->thread, NULL);
        t->running = false;
        engine_free(TAKE_PTR(t->engine));
        /* What arrived after the last drain (a restart of the stream keeps since_ns, so it is not lost). */
        for (size_t i = 0; i < t->n_queued; i++) {
                free(t->queue[i].actor_id);
                free(t->queue[i].image);
        }
        t->n_queued = 0;
}

/* A burst of pulls or builds should not wait out a whole interval. */
static bool event_grows_disk(const struct queued_event *q) {
        static const char *const image_actions[] = { "pull", "load", "import", "build", "commit", "tag" };
        if (strcmp(q->type, "container") == 0)
                return strcmp(q->action, "die") == 0 || strcmp(q->action, "commit") == 0;
        if (strcmp(q->type, "image") == 0)
                for (size_t i = 0; i < ELEMENTSOF(image_actions); i++)
                        if (strcmp(q->action, image_actions[i]) == 0)
                                return true;
        return false;
}

/* Drains the queue into the usage history; returns whether a check should follow soon. *ret_dropped
 * tells whether the stream failed meanwhile. */
static bool events_drain(struct events *t, struct daemon *d, bool *ret_dropped) {
        bool grow = false;
        uint64_t n;
        (void) !read(t->efd, &n, sizeof n);
        pthread_mutex_lock(&t->lock);
        for (size_t i = 0; i < t->n_queued; i++) {
                struct queued_event *q = &t->queue[i];
                if (d->history)
                        history_note_event(d->history, q->type, q->action, q->actor_id, q->image, q->time_ns);
                grow = grow || event_grows_disk(q);
                if (q->time_ns > t->since_ns)
                        t->since_ns = q->time_ns;
                free(q->actor_id);
                free(q->image);
        }
        t->n_queued = 0;
        if (t->overflow)
                grow = true;
        t->overflow = false;
        *ret_dropped = t->dropped;
        t->dropped = false;
        pthread_mutex_unlock(&t->lock);
        return grow;
}

static int timer_arm(int fd, uint64_t usec, bool periodic) {
        struct itimerspec its = {
                .it_value = { .tv_sec = (time_t) (usec / USEC_PER_SEC), .tv_nsec = (long) (usec % USEC_PER_SEC) * 1000 },
        };
        if (usec == 0)
                its.it_value.tv_nsec = 1; /* 0 would disarm */
        if (periodic)
                its.it_interval = its.it_value;
        return timerfd_settime(fd, 0, &its, NULL) < 0 ? negative_errno() : 0;
}

static void timer_disarm(int fd) {
        struct itimerspec its = {};
        timerfd_settime(fd, 0, &its, NULL);
}

static void timer_ack(int fd) {
        uint64_t n;
        (void) !read(fd, &n, sizeof n);
}

static void notify_status(const struct daemon *d) {
        char status[1200];
        if (!d->engine_up)
                snprintf(status, sizeof status, "STATUS=engine unreachable: %s", d->engine_error);
        else if (!d->have_usage)
                snprintf(status, sizeof status, "STATUS=starting");
        else if (d->stats.cleanups == 0)
                snprintf(status, sizeof status, "STATUS=%.1f%% used (clean at %.0f%%, down to %.0f%%); no cleanup yet",
                         d->last_usage.used_percent, d->config.disk.high_watermark, d->config.disk.low_watermark);
        else
                snprintf(status, sizeof status,
                         "STATUS=%.1f%% used (clean at %.0f%%, down to %.0f%%); %llu cleanups, last freed %llu bytes",
                         d->last_usage.used_percent, d->config.disk.high_watermark, d->config.disk.low_watermark,
                         (unsigned long long) d->stats.cleanups, (unsigned long long) d->stats.last_reclaimed_bytes);
        sd_notify(0, status);
}

static bool engine_settings_changed(const struct config *a, const struct config *b) {
        const char *sa = a->engine_socket ? a->engine_socket : "", *sb = b->engine_socket ? b->engine_socket : "";
        return strcmp(sa, sb) != 0 || a->engine_timeout_sec != b->engine_timeout_sec;
}

static uint64_t now_monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* SIGHUP: a broken file keeps the running configuration. */
static void reload(struct daemon *d, struct events *ev, int interval_fd) {
        char msg[64];
        snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long) now_monotonic_usec());
        sd_notify(0, msg);

        struct config c = {};
        if (daemon_load_config(d->config_path, d->config_explicit, &c, true) < 0) {
                sd_notify(0, "READY=1");
                notify_status(d);
                return;
        }
        if (d->force_dry_run)
                c.dry_run = true;
        bool engine_changed = engine_settings_changed(&d->config, &c);
        config_done(&d->config);
        d->config = c;
        log_set_max_priority(d->log_level_override >= 0 ? d->log_level_override : d->config.log_level);
        if (engine_changed) {
                events_stop(ev);
                daemon_engine_setup(d);
                daemon_engine_refresh(d);
                events_start(ev, d);
        }
        struct log_field f[] = { { "DOCKERCLEAN_CONFIG", d->config_path } };
        log_structured(LOG_INFO, LOG_MID_CONFIG_RELOADED, f, ELEMENTSOF(f), "Configuration reloaded from %s",
                       d->config_path);
        timer_arm(interval_fd, d->config.interval_sec * USEC_PER_SEC, true);
        sd_notify(0, "READY=1");
        notify_status(d);
}

int loop_run(struct daemon *d) {
        _cleanup_close_ int interval_fd = -1, soon_fd = -1, watchdog_fd = -1;
        struct events ev = { .efd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
        uint64_t backoff_usec = 0, watchdog_usec = 0;
        bool soon_armed = false;
        int r;

        if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
                log_error("Cannot create a pipe: %m");
                return EXIT_FAILURE;
        }
        struct sigaction sa = { .sa_handler = on_reload_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGHUP, &sa, NULL);
        sa.sa_handler = on_check_signal;
        sigaction(SIGUSR1, &sa, NULL);

        interval_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        soon_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        ev.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (interval_fd < 0 || soon_fd < 0 || watchdog_fd < 0 || ev.efd < 0) {
                log_error("Cannot create timers: %m");
                return EXIT_FAILURE;
        }
        if (sd_watchdog_enabled(false, &watchdog_usec) > 0 && watchdog_usec > 0) {
                d->watchdog_usec = watchdog_usec;
                timer_arm(watchdog_fd, watchdog_usec / 2, true);
        }

        log_structured(LOG_INFO, LOG_MID_STARTED, NULL, 0, "dockercleand %s started: engine %s, every %llus, clean at %.0f%% down to %.0f%%%s",
                       DOCKERCLEAN_VERSION, d->engine ? engine_host(d->engine) : "?",
                       (unsigned long long) d->config.interval_sec, d->config.disk.high_watermark,
                       d->config.disk.low_watermark, d->config.dry_run ? " (dry run)" : "");

        /* READY once the configuration is loaded and the engine was tried, reachable or not. */
        r = daemon_check_and_clean(d, false);
        if (events_start(&ev, d) < 0)
                log_warning("Cannot follow engine events; relying on the interval alone");
        sd_notify(0, "READY=1");
        notify_status(d);
        if (r < 0 && !d->engine_up)
                backoff_usec = USEC_PER_SEC;
        timer_arm(interval_fd, backoff_usec ? backoff_usec : d->config.interval_sec * USEC_PER_SEC, !backoff_usec);

        while (!*d->stop) {
                struct pollfd p[] = {
                        { .fd = wake_pipe[0], .events = POLLIN },
                        { .fd = interval_fd, .events = POLLIN },
                        { .fd = soon_fd, .events = POLLIN },
                        { .fd = watchdog_fd, .events = POLLIN },
                        { .fd = ev.efd, .events = POLLIN },
                };
                if (poll(p, ELEMENTSOF(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error("poll: %m");
                        break;
                }
                bool check = false;
                if (p[0].revents & POLLIN) {
                        char buf[64];
                        while (read(wake_pipe[0], buf, sizeof buf) > 0)
                                ;
                }
                if (*d->stop)
                        break;
                if (p[3].revents & POLLIN) {
                        timer_ack(watchdog_fd);
                        daemon_watchdog_ping(d);
                }
                if (reload_requested) {
                        reload_requested = 0;
                        reload(d, &ev, interval_fd);
                }
                if (check_requested) {
                        check_requested = 0;
                        check = true;
                }
                if (p[1].revents & POLLIN) {
                        timer_ack(interval_fd);
                        check = true;
                }
                if (p[2].revents & POLLIN) {
                        timer_ack(soon_fd);
                        soon_armed = false;
                        check = true;
                }
                if (p[4].revents & POLLIN) {
                        bool dropped = false;
                        if (events_drain(&ev, d, &dropped) && !soon_armed) {
                                timer_arm(soon_fd, EVENT_CHECK_DELAY_USEC, false);
                                soon_armed = true;
                        }
                        /* The stream is the only connection kept while idle: when it fails, find out
                         * whether the engine is gone (logged once), and if so retry with backoff. */
                        if (dropped && d->engine_up && daemon_engine_refresh(d) < 0 && !d->engine_up) {
                                backoff_usec = USEC_PER_SEC;
                                timer_arm(interval_fd, backoff_usec, false);
                                notify_status(d);
                                daemon_write_metrics(d);
                        }
                        if (ev.running && ev.result != 0 && ev.result != -ECANCELED) {
                                /* The follower gave up (it reconnects by itself for ordinary drops). */
                                events_stop(&ev);
                                events_start(&ev, d);
                        }
                }
                if (!check)
                        continue;

                r = daemon_check_and_clean(d, false);
                if (*d->stop)
                        break;
                if (r < 0 && !d->engine_up) {
                        /* Unreachable: retry soon, doubling up to the interval. */
                        uint64_t cap = d->config.interval_sec * USEC_PER_SEC;
                        backoff_usec = backoff_usec ? MIN(backoff_usec * 2, cap) : USEC_PER_SEC;
                        timer_arm(interval_fd, backoff_usec, false);
                } else if (backoff_usec) {
                        backoff_usec = 0;
                        timer_arm(interval_fd, d->config.interval_sec * USEC_PER_SEC, true);
                }
                if (soon_armed) { /* this check covers the events that armed it */
                        timer_disarm(soon_fd);
                        soon_armed = false;
                }
                notify_status(d);
        }

        sd_notify(0, "STOPPING=1");
        log_info("Stopping");
        events_stop(&ev);
        if (ev.efd >= 0)
                close(ev.efd);
        if (d->history && history_dirty(d->history)) {
                r = history_save(d->history);
                if (r < 0)
                        log_warning("Cannot save the usage history in %s: %s", d->config.state_dir, strerror(-r));
        }
        close(wake_pipe[0]);
        close(wake_pipe[1]);
        wake_pipe[0] = wake_pipe[1] = -1;
        return EXIT_SUCCESS;
}
