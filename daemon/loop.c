/* The daemon's main loop: one poll() over the signals' self-pipe, the timers and the event follower. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "engine.h"
#include "episode.h"
#include "events.h"
#include "history.h"
#include "log.h"
#include "records.h"
#include "strv.h"
#include "macro.h"
#include "time-util.h"

/* Growth events are coalesced: the check runs this long after the first of a burst. */
#define EVENT_CHECK_DELAY_USEC (1 * USEC_PER_SEC)

/* Written by signal handlers, read by the loop: the only globals, as signal handlers need them. */
static int wake_pipe[2] = { -1, -1 };
static atomic_int reload_requested, check_requested;

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

/* The poll() slots, one per source. */
enum {
        SLOT_WAKE,      /* wake_pipe: a signal arrived */
        SLOT_INTERVAL,  /* the periodic check, or the next retry while the engine is unreachable */
        SLOT_SOON,      /* a check shortly after events that grow disk use */
        SLOT_WATCHDOG,  /* time for WATCHDOG=1 */
        SLOT_EVENTS,    /* the event follower has something */
        SLOT_COMMAND_EXIT,    /* exhausted_command ended (its pidfd) */
        SLOT_COMMAND_OUTPUT,  /* ... wrote something */
        SLOT_COMMAND_TIMEOUT, /* ... ran out of time */
        _SLOT_MAX,
};

/* Retries while the engine is unreachable: 1 s, then doubling, capped at the interval. */
struct backoff {
        uint64_t usec;                 /* the last delay; 0 = not backing off */
};

static uint64_t backoff_next(struct backoff *b, uint64_t cap_usec) {
        b->usec = b->usec ? MIN(b->usec * 2, cap_usec) : USEC_PER_SEC;
        return b->usec;
}

/* Returns whether it was backing off. */
static bool backoff_reset(struct backoff *b) {
        bool was = b->usec != 0;
        b->usec = 0;
        return was;
}

struct loop {
        struct daemon *d;
        struct events *events;
        int interval_fd, soon_fd, watchdog_fd;
        bool soon_armed;
        struct backoff backoff;
        struct requests *requests;     /* the control socket; NULL when off */
        int error;                     /* a timer could not be set, poll() failed: the loop ends (exit 1) */
};

static int timer_arm(int fd, uint64_t usec, bool periodic) _must_check_;
static int timer_arm(int fd, uint64_t usec, bool periodic) {
        struct itimerspec its = {
                .it_value = { .tv_sec = (time_t) (usec / USEC_PER_SEC), .tv_nsec = (long) (usec % USEC_PER_SEC) * NSEC_PER_USEC },
        };
        if (usec == 0)
                its.it_value.tv_nsec = 1; /* 0 would disarm */
        if (periodic)
                its.it_interval = its.it_value;
        return timerfd_settime(fd, 0, &its, NULL) < 0 ? negative_errno() : 0;
}

/* A timer that cannot be set would leave the daemon waiting on nothing: said, and the loop ends with exit
 * status 1 (systemd's Restart= starts it again) rather than going on deaf. */
static void loop_timer_set(struct loop *l, int fd, uint64_t usec, bool periodic, const char *what) {
        int r = timer_arm(fd, usec, periodic);
        if (r < 0 && l->error == 0) {
                log_error("Cannot set the %s timer: %s", what, strerror(-r));
                l->error = r;
        }
}

static void loop_timer_disarm(struct loop *l, int fd, const char *what) {
        struct itimerspec its = {};
        if (timerfd_settime(fd, 0, &its, NULL) < 0 && l->error == 0) {
                l->error = negative_errno();
                log_error("Cannot disarm the %s timer: %s", what, strerror(-l->error));
        }
}

static void timer_ack(int fd) {
        uint64_t n;
        (void) !read(fd, &n, sizeof n);
}

static void notify_status(const struct daemon *d) {
        char status[2048], on[300] = "", last[96] = "", freed[32], engine[96];
        if (!d->engine_up) {
                snprintf(status, sizeof status, "STATUS=engine unreachable: %s", d->engine_error);
                sd_notify(0, status);
                return;
        }
        if (!d->have_usage) {
                sd_notify(0, d->check_error[0] ? "STATUS=starting; the first check failed" : "STATUS=starting");
                return;
        }
        /* With several filesystems, the one that needs the most is named. */
        if (d->fs.n > 1 && d->last_usage_path)
                snprintf(on, sizeof on, " on %s", d->last_usage_path);
        if (d->stats.cleanups == 0)
                snprintf(last, sizeof last, "no cleanup yet");
        else {
                daemon_format_bytes(d->stats.last_reclaimed_bytes, freed, sizeof freed);
                snprintf(last, sizeof last, "%llu cleanups, last freed %s", (unsigned long long) d->stats.cleanups, freed);
        }
        daemon_engine_bytes_status(d, engine, sizeof engine);
        snprintf(status, sizeof status, "STATUS=%.1f%% used%s (clean at %s, down to %s)%s; %s%s%s%s",
                 d->last_usage.used_percent, on, DAEMON_PERCENT(d->config.disk.high_watermark),
                 DAEMON_PERCENT(d->config.disk.low_watermark), engine, last,
                 d->episode.active ? "; every tier exhausted" : "", d->check_error[0] ? "; check failing: " : "",
                 d->check_error);
        sd_notify(0, status);
}

static void loop_arm_interval(struct loop *l) {
        loop_timer_set(l, l->interval_fd, l->d->config.interval_sec * USEC_PER_SEC, true, "interval");
}

/* The engine is unreachable: the next check is a retry, sooner than the interval. */
static void loop_retry(struct loop *l) {
        loop_timer_set(l, l->interval_fd, backoff_next(&l->backoff, l->d->config.interval_sec * USEC_PER_SEC), false,
                       "retry");
}

static bool engine_settings_changed(const struct config *a, const struct config *b) {
        const char *sa = a->engine_socket ? a->engine_socket : "", *sb = b->engine_socket ? b->engine_socket : "";
        return !streq(sa, sb) || a->engine_timeout_sec != b->engine_timeout_sec;
}

/* SIGHUP: a broken file keeps the running configuration. */
static void loop_reload(struct loop *l) {
        struct daemon *d = l->d;
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
        bool paths_changed = !strv_equal(d->config.disk.paths, c.disk.paths);
        config_done(&d->config);
        d->config = c;
        log_set_max_priority(d->log_level_override >= 0 ? d->log_level_override : d->config.log_level);
        if (!engine_changed && paths_changed)
                daemon_filesystems_setup(d); /* the paths it measured belonged to the old configuration */
        if (engine_changed) {
                events_stop(l->events);
                daemon_engine_setup(d);
                daemon_engine_refresh(d);
                if (events_start(l->events, d->config.engine_socket, d->config.engine_socket_owner) < 0)
                        log_warning("Cannot follow engine events; relying on the interval alone");
        }
        record_config_reloaded(d->config_path);
        loop_arm_interval(l);
        sd_notify(0, "READY=1");
        notify_status(d);
}

static int loop_setup(struct loop *l) {
        if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
                int r = negative_errno();
                log_error("Cannot create a pipe: %m");
                return r;
        }
        struct sigaction sa = { .sa_handler = on_reload_signal };
        sigemptyset(&sa.sa_mask);
        struct sigaction sc = sa;
        sc.sa_handler = on_check_signal;
        if (sigaction(SIGHUP, &sa, NULL) < 0 || sigaction(SIGUSR1, &sc, NULL) < 0) {
                int r = negative_errno();
                log_error("Cannot handle SIGHUP and SIGUSR1: %s", strerror(-r));
                return r;
        }

        l->interval_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        l->soon_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        l->watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        int r = l->interval_fd < 0 || l->soon_fd < 0 || l->watchdog_fd < 0 ? negative_errno() : events_new(&l->events);
        if (r < 0) {
                log_error("Cannot create timers: %s", strerror(-r));
                return r;
        }
        uint64_t watchdog_usec = 0;
        (void) requests_open(l->d, &l->requests); /* a failure is logged; the watermarks work without it */
        if (sd_watchdog_enabled(false, &watchdog_usec) > 0 && watchdog_usec > 0) {
                l->d->watchdog_usec = watchdog_usec;
                r = timer_arm(l->watchdog_fd, watchdog_usec / 2, true);
                if (r < 0) {
                        log_error("Cannot set the watchdog timer: %s", strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* READY once the configuration is loaded and the engine was tried, reachable or not. */
static void loop_start(struct loop *l) {
        struct daemon *d = l->d;
        record_started(&d->config, d->engine ? engine_host(d->engine) : NULL);

        int r = daemon_check_and_clean(d, false);
        if (events_start(l->events, d->config.engine_socket, d->config.engine_socket_owner) < 0)
                log_warning("Cannot follow engine events; relying on the interval alone");
        sd_notify(0, "READY=1");
        notify_status(d);
        if (r < 0 && !d->engine_up)
                loop_retry(l);
        else
                loop_arm_interval(l);
}

static void loop_on_wake(void) {
        char buf[64];
        while (read(wake_pipe[0], buf, sizeof buf) > 0)
                ;
}

static void loop_on_watchdog(struct loop *l) {
        timer_ack(l->watchdog_fd);
        daemon_watchdog_ping(l->d);
}

/* SIGHUP reloads now; SIGUSR1 asks for a check. Returns whether a check is due. */
static bool loop_on_signal_flags(struct loop *l) {
        if (reload_requested) {
                reload_requested = 0;
                loop_reload(l);
        }
        if (!check_requested)
                return false;
        check_requested = 0;
        return true;
}

static bool loop_on_interval(struct loop *l) {
        timer_ack(l->interval_fd);
        return true;
}

static bool loop_on_soon(struct loop *l) {
        timer_ack(l->soon_fd);
        l->soon_armed = false;
        return true;
}

static void loop_on_events(struct loop *l) {
        struct daemon *d = l->d;
        bool dropped = false;
        unsigned effect = events_drain(l->events, d->history, d->stop_times, &dropped);
        if (effect & EVENTS_FREED)
                episode_note_freed(&d->episode);
        if (effect & EVENTS_GREW)
                engine_bytes_note_grew(&d->engine_bytes);
        /* Growth, or something freed while every tier was exhausted: check soon rather than next interval. */
        if (((effect & EVENTS_GREW) || ((effect & EVENTS_FREED) && d->episode.active)) && !l->soon_armed) {
                loop_timer_set(l, l->soon_fd, EVENT_CHECK_DELAY_USEC, false, "event check");
                l->soon_armed = true;
        }
        /* The stream is the only connection kept while idle: when it fails, find out whether the engine
         * is gone (logged once), and if so retry with backoff, from its start. */
        if (dropped && d->engine_up && daemon_engine_refresh(d) < 0 && !d->engine_up) {
                backoff_reset(&l->backoff);
                loop_retry(l);
                notify_status(d);
                daemon_write_metrics(d);
        }
        if (events_revive(l->events, d->config.engine_socket, d->config.engine_socket_owner) < 0)
                log_warning("Cannot follow engine events; relying on the interval alone");
}

/* Handles what poll() reported (the order matters: stop first, reload before the check it may
 * change). Returns whether a check is due. */
static bool loop_dispatch(struct loop *l, const struct pollfd *p) {
        bool check = false;
        if (p[SLOT_WAKE].revents & POLLIN)
                loop_on_wake();
        if (*l->d->stop)
                return false;
        if (p[SLOT_WATCHDOG].revents & POLLIN)
                loop_on_watchdog(l);
        check |= loop_on_signal_flags(l);
        if (p[SLOT_INTERVAL].revents & POLLIN)
                check |= loop_on_interval(l);
        if (p[SLOT_SOON].revents & POLLIN)
                check |= loop_on_soon(l);
        if (p[SLOT_EVENTS].revents & POLLIN)
                loop_on_events(l);
        daemon_command_dispatch(l->d, p[SLOT_COMMAND_EXIT].revents, p[SLOT_COMMAND_OUTPUT].revents,
                                p[SLOT_COMMAND_TIMEOUT].revents);
        return check;
}

static void loop_check(struct loop *l) {
        struct daemon *d = l->d;
        int r = daemon_check_and_clean(d, false);
        if (*d->stop)
                return;
        if (r < 0 && !d->engine_up)
                loop_retry(l);
        else if (backoff_reset(&l->backoff))
                loop_arm_interval(l);
        if (l->soon_armed) { /* this check covers the events that armed it */
                loop_timer_disarm(l, l->soon_fd, "event check");
                l->soon_armed = false;
        }
        notify_status(d);
}

static void loop_stop(struct loop *l) {
        struct daemon *d = l->d;
        sd_notify(0, "STOPPING=1");
        log_info("Stopping");
        daemon_command_stop(d);
        requests_free(TAKE_PTR(l->requests));
        events_free(TAKE_PTR(l->events));
        daemon_stores_save(d);
}

static void loop_done(struct loop *l) {
        events_free(l->events);
        requests_free(l->requests);
        closep(&l->interval_fd);
        closep(&l->soon_fd);
        closep(&l->watchdog_fd);
        closep(&wake_pipe[0]);
        closep(&wake_pipe[1]);
        wake_pipe[0] = wake_pipe[1] = -1;
}

int loop_run(struct daemon *d) {
        _cleanup_(loop_done) struct loop l = { .d = d, .interval_fd = -1, .soon_fd = -1, .watchdog_fd = -1 };
        if (loop_setup(&l) < 0)
                return EXIT_FAILURE;
        loop_start(&l);

        while (!*d->stop && l.error == 0) {
                struct pollfd p[_SLOT_MAX + REQUESTS_FDS_MAX] = {
                        [SLOT_WAKE] = { .fd = wake_pipe[0], .events = POLLIN },
                        [SLOT_INTERVAL] = { .fd = l.interval_fd, .events = POLLIN },
                        [SLOT_SOON] = { .fd = l.soon_fd, .events = POLLIN },
                        [SLOT_WATCHDOG] = { .fd = l.watchdog_fd, .events = POLLIN },
                        [SLOT_EVENTS] = { .fd = events_fd(l.events), .events = POLLIN },
                        [SLOT_COMMAND_EXIT] = { .events = POLLIN },
                        [SLOT_COMMAND_OUTPUT] = { .events = POLLIN },
                        [SLOT_COMMAND_TIMEOUT] = { .events = POLLIN },
                };
                daemon_command_fds(d, &p[SLOT_COMMAND_EXIT].fd, &p[SLOT_COMMAND_OUTPUT].fd, &p[SLOT_COMMAND_TIMEOUT].fd);
                size_t n = _SLOT_MAX + requests_fds(l.requests, p + _SLOT_MAX);
                if (poll(p, n, requests_timeout_ms(l.requests)) < 0) {
                        if (errno == EINTR)
                                continue;
                        l.error = negative_errno();
                        log_error("poll: %s", strerror(-l.error));
                        break;
                }
                if (loop_dispatch(&l, p))
                        loop_check(&l);
                if (!*d->stop && l.requests) {
                        if (requests_dispatch(l.requests, p + _SLOT_MAX))
                                loop_check(&l);
                        notify_status(d);
                }
        }

        loop_stop(&l);
        return l.error == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
