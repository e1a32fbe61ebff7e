/* requests.c: the control socket (--ensure-free): accepts, reads and answers requests without ever
 * blocking the loop, and runs one cleanup for all the requests waiting (lib/control.h decides).
 *
 * A unix stream socket rather than D-Bus: there is no system bus on many build hosts, the peer's
 * credentials come with SO_PEERCRED at no cost, and the protocol is one JSON line each way. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "cleanup.h"
#include "control.h"
#include "lease.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"
#include "records.h"
#include "time-util.h"

/* What a request may take to arrive; the gathering of concurrent requests into one cleanup. */
#define REQUEST_READ_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define REQUEST_GATHER_USEC (200 * 1000)

struct request_client {
        int fd;                        /* -1 = free slot */
        struct ucred cred;
        char unit[128];
        uint64_t accepted_usec;
        char *buf;                     /* CONTROL_MESSAGE_MAX + 1, while reading */
        size_t n;
        bool waiting;                  /* read, waiting for its room */
        struct control_request req;
        struct control_want want;
        uint64_t received_usec;
        char lease[LEASE_ID_LEN + 1];  /* the lease taken, for the answer */
};

struct requests {
        struct daemon *d;
        int listen_fd, gather_fd, lease_fd;  /* lease_fd: the next lease's end (CLOCK_REALTIME) */
        bool gather_armed;
        char *path;                    /* the socket, unlinked at the end */
        struct request_client clients[REQUESTS_CLIENTS_MAX];
};

static void client_close(struct request_client *c) {
        closep(&c->fd);
        c->fd = -1;
        free(c->buf);
        c->buf = NULL;
        c->n = 0;
        c->waiting = false;
        c->lease[0] = 0;
        control_request_done(&c->req);
}

static const char *who(const struct request_client *c, char buf[static 192]) {
        snprintf(buf, 192, "uid %u pid %d%s%s", (unsigned) c->cred.uid, (int) c->cred.pid, c->unit[0] ? " unit " : "", c->unit);
        return buf;
}

/* Answers, logs what was asked and what was done, and closes. */
static void client_answer(struct requests *q, struct request_client *c, enum control_status status, uint64_t free_bytes,
                          const char *fmt, ...) _printf_(5, 6);
static void client_answer(struct requests *q, struct request_client *c, enum control_status status, uint64_t free_bytes,
                          const char *fmt, ...) {
        struct control_reply r = { .status = status, .free_bytes = free_bytes };
        snprintf(r.lease, sizeof r.lease, "%s", c->lease);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r.reason, sizeof r.reason, fmt, ap);
        va_end(ap);
        char line[CONTROL_MESSAGE_MAX], w[192], uid[16], pid[16], asked[32], took[32], wanted[32] = "-";
        if (control_reply_format(&r, line, sizeof line) > 0)
                /* A client that went away misses its answer; nothing else depends on it. */
                (void) !send(c->fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
        snprintf(uid, sizeof uid, "%u", (unsigned) c->cred.uid);
        snprintf(pid, sizeof pid, "%d", (int) c->cred.pid);
        snprintf(asked, sizeof asked, "%" PRIu64, c->want.bytes);
        snprintf(took, sizeof took, "%" PRIu64, now_monotonic_usec() - c->accepted_usec);
        if (c->want.bytes)
                daemon_format_bytes(c->want.bytes, wanted, sizeof wanted);
        struct log_field f[] = {
                { "DOCKERCLEAN_REQUEST_UID", uid },
                { "DOCKERCLEAN_REQUEST_PID", pid },
                { "DOCKERCLEAN_REQUEST_UNIT", c->unit },
                { "DOCKERCLEAN_REQUEST_BYTES", asked },
                { "DOCKERCLEAN_REQUEST_PATH", c->req.path ? c->req.path : "" },
                { "DOCKERCLEAN_REQUEST_STATUS", control_status_to_string(status) },
                { "DOCKERCLEAN_REQUEST_USEC", took },
        };
        static const char *const ops[_CONTROL_OP_MAX] = {
                [CONTROL_OP_ENSURE_FREE] = "ensure-free", [CONTROL_OP_LEASE] = "lease", [CONTROL_OP_RELEASE] = "release"
        };
        struct log_field op = { "DOCKERCLEAN_REQUEST_OP", c->req.op < _CONTROL_OP_MAX ? ops[c->req.op] : "" };
        char what[64];
        if (c->req.op == CONTROL_OP_ENSURE_FREE)
                snprintf(what, sizeof what, "ensure %s free", wanted);
        else
                snprintf(what, sizeof what, "%s", op.value);
        log_structured(status == CONTROL_STATUS_OK ? LOG_INFO : LOG_NOTICE, RECORD_MID_REQUEST,
                       (struct log_field[]){ f[0], f[1], f[2], f[3], f[4], f[5], f[6], op }, ELEMENTSOF(f) + 1,
                       "Request from %s: %s%s%s: %s%s%s (%.3f s)", who(c, w), what, c->req.path ? " for " : "",
                       c->req.path ? c->req.path : "", control_status_to_string(status), r.reason[0] ? ": " : "", r.reason,
                       (double) (now_monotonic_usec() - c->accepted_usec) / USEC_PER_SEC);
        if (status == CONTROL_STATUS_REFUSED)
                q->d->stats.requests_refused++;
        client_close(c);
}

static bool allowed(const struct daemon *d, int fd, const struct ucred *cred) {
        if (cred->uid == 0)
                return true;
        const char *name = d->config.control_group;
        if (!name || !*name)
                return false;
        struct group *g = getgrnam(name);
        if (!g)
                return false;
        if (cred->gid == g->gr_gid)
                return true;
        gid_t groups[256];
        socklen_t len = sizeof groups;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
                return false;
        for (size_t i = 0; i < len / sizeof(gid_t); i++)
                if (groups[i] == g->gr_gid)
                        return true;
        return false;
}

static void on_accept(struct requests *q) {
        for (;;) {
                int fd = accept4(q->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return;
                struct request_client *c = NULL;
                for (size_t i = 0; i < REQUESTS_CLIENTS_MAX && !c; i++)
                        if (q->clients[i].fd < 0)
                                c = &q->clients[i];
                struct request_client busy = { .fd = -1 };
                if (!c)
                        c = &busy;
                *c = (struct request_client){ .fd = fd, .accepted_usec = now_monotonic_usec() };
                socklen_t len = sizeof c->cred;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
                        client_close(c);
                        continue;
                }
                _cleanup_free_ char *unit = NULL;
                if (sd_pid_get_unit(c->cred.pid, &unit) >= 0)
                        snprintf(c->unit, sizeof c->unit, "%s", unit);
                q->d->stats.requests++;
                if (!allowed(q->d, fd, &c->cred)) {
                        client_answer(q, c, CONTROL_STATUS_REFUSED, 0, "only root%s%s may ask",
                                      q->d->config.control_group && *q->d->config.control_group ? " and group " : "",
                                      q->d->config.control_group ? q->d->config.control_group : "");
                        continue;
                }
                if (c == &busy) {
                        client_answer(q, c, CONTROL_STATUS_NOT_NOW, 0, "%d requests are in progress already", REQUESTS_CLIENTS_MAX);
                        continue;
                }
                c->buf = malloc(CONTROL_MESSAGE_MAX + 1);
                if (!c->buf)
                        client_close(c);
        }
}

/* The index of the filesystem of d->fs holding path, or -1 (then *ret_none). */
static int fs_of(const struct daemon *d, const char *path, bool *ret_none) {
        struct stat st;
        *ret_none = false;
        if (!path)
                return -1;
        if (stat(path, &st) >= 0)
                for (size_t i = 0; i < d->fs.n; i++)
                        if (d->fs.fs[i].dev == st.st_dev)
                                return (int) i;
        *ret_none = true;
        return -1;
}

static void arm_gather(struct requests *q) {
        if (q->gather_armed)
                return;
        struct itimerspec its = { .it_value = { .tv_nsec = REQUEST_GATHER_USEC * 1000 } };
        if (timerfd_settime(q->gather_fd, 0, &its, NULL) >= 0)
                q->gather_armed = true;
}

/* Answers a request whose room is there, or that can never have it; true when answered. */
static bool judge(struct requests *q, struct request_client *c) {
        const struct usage_set *s = &q->d->fs;
        size_t k = control_tightest(s, &c->want);
        const struct usage *u = &s->fs[k].usage;
        char has[32], total[32];
        daemon_format_bytes(u->free_bytes, has, sizeof has);
        daemon_format_bytes(u->total_bytes, total, sizeof total);
        switch (control_judge(s, &c->want)) {
        case CONTROL_VERDICT_MET:
                client_answer(q, c, CONTROL_STATUS_OK, u->free_bytes, "%s has %s free", s->fs[k].path, has);
                return true;
        case CONTROL_VERDICT_NEVER:
                client_answer(q, c, CONTROL_STATUS_NEVER, u->free_bytes,
                              "%s (%s) can never have that much free, even empty", s->fs[k].path, total);
                return true;
        case CONTROL_VERDICT_WAIT:
        case _CONTROL_VERDICT_MAX:
                break;
        }
        return false;
}

static void arm_lease_end(struct requests *q) {
        int64_t next = lease_set_next_end(&q->d->leases);
        struct itimerspec its = { .it_value = { .tv_sec = (time_t) (next / NSEC_PER_SEC), .tv_nsec = (long) (next % NSEC_PER_SEC) } };
        if (next > 0 && its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                its.it_value.tv_nsec = 1;
        (void) timerfd_settime(q->lease_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_lease(struct requests *q, struct request_client *c) {
        char id[LEASE_ID_LEN + 1], why[256] = "";
        _cleanup_free_ char *names = NULL;
        int r = daemon_lease_take(q->d, c->req.images, c->req.seconds, c->cred.uid, id, why, sizeof why);
        if (r < 0) {
                client_answer(q, c, r == -ENOMEM || r == -E2BIG ? CONTROL_STATUS_NOT_NOW : CONTROL_STATUS_INVALID, 0, "%s",
                              why[0] ? why : strerror(-r));
                return;
        }
        arm_lease_end(q);
        size_t len = 0;
        for (char **i = c->req.images; *i; i++)
                len += strlen(*i) + 1;
        if ((names = calloc(1, len + 1)))
                for (char **i = c->req.images; *i; i++)
                        strcat(strcat(names, i == c->req.images ? "" : " "), *i);
        snprintf(c->lease, sizeof c->lease, "%s", id);
        client_answer(q, c, CONTROL_STATUS_OK, 0, "lease %s: %s count as in use for %s", id, names ? names : "the images",
                      DAEMON_DURATION(c->req.seconds));
}

static void on_release(struct requests *q, struct request_client *c) {
        int r = daemon_lease_release(q->d, c->req.lease, c->cred.uid);
        if (r < 0) {
                client_answer(q, c, r == -EPERM ? CONTROL_STATUS_REFUSED : CONTROL_STATUS_INVALID, 0,
                              r == -EPERM ? "lease %s was taken by another user" : "no lease %s", c->req.lease);
                return;
        }
        arm_lease_end(q);
        client_answer(q, c, CONTROL_STATUS_OK, 0, "lease %s released", c->req.lease);
}

static void on_request(struct requests *q, struct request_client *c) {
        char why[256];
        int r = control_request_parse(c->buf, c->n, &c->req, why, sizeof why);
        free(c->buf);
        c->buf = NULL;
        if (r < 0) {
                client_answer(q, c, CONTROL_STATUS_INVALID, 0, "%s", why);
                return;
        }
        switch (c->req.op) {
        case CONTROL_OP_LEASE:
                on_lease(q, c);
                return;
        case CONTROL_OP_RELEASE:
                on_release(q, c);
                return;
        case CONTROL_OP_ENSURE_FREE:
        case _CONTROL_OP_MAX:
                break;
        }
        c->want.bytes = c->req.bytes;
        c->received_usec = now_monotonic_usec();
        struct daemon *d = q->d;
        size_t failed;
        if (!d->engine_up || d->fs.n == 0 || usage_set_measure(&d->fs, &failed) < 0) {
                client_answer(q, c, CONTROL_STATUS_NOT_NOW, 0, "the engine is unreachable: %s",
                              d->engine_error[0] ? d->engine_error : "not checked yet");
                return;
        }
        bool none;
        c->want.fs = fs_of(d, c->req.path, &none);
        if (none) {
                client_answer(q, c, CONTROL_STATUS_NEVER, 0, "%s is not on a filesystem that holds engine data", c->req.path);
                return;
        }
        if (judge(q, c))
                return;
        c->waiting = true;
        arm_gather(q);
}

static void on_readable(struct requests *q, struct request_client *c) {
        if (c->waiting) {
                /* Nothing more is expected: the client went away before its cleanup began. */
                char b[64];
                if (recv(c->fd, b, sizeof b, MSG_DONTWAIT) == 0) {
                        log_info("Request from uid %u pid %d: the client went away while waiting", (unsigned) c->cred.uid,
                                 (int) c->cred.pid);
                        client_close(c);
                }
                return;
        }
        ssize_t n = recv(c->fd, c->buf + c->n, CONTROL_MESSAGE_MAX + 1 - c->n, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                client_close(c);
                return;
        }
        c->n += (size_t) n;
        if (memchr(c->buf, '\n', c->n))
                on_request(q, c);
        else if (c->n > CONTROL_MESSAGE_MAX)
                client_answer(q, c, CONTROL_STATUS_INVALID, 0, "request longer than %d bytes", CONTROL_MESSAGE_MAX);
}

struct round {
        struct requests *q;
        struct usage_set set;
        bool fs[USAGE_SET_MAX];
};

/* After each removal: whoever has their room now is answered at once. */
static void on_progress(void *userdata) {
        struct round *x = userdata;
        struct daemon *d = x->q->d;
        if (usage_set_measure(&d->fs, NULL) < 0)
                return;
        for (size_t i = 0; i < REQUESTS_CLIENTS_MAX; i++) {
                struct request_client *c = &x->q->clients[i];
                if (c->fd >= 0 && c->waiting && control_judge(&d->fs, &c->want) == CONTROL_VERDICT_MET)
                        judge(x->q, c);
        }
}

static void kept_reason(const struct cleanup_result *t, char *buf, size_t n) {
        const struct policy_kept *k = &t->kept;
        snprintf(buf, n, "kept %zu in use or running, %zu protected, %zu newest of their repository, %zu younger than min_age, "
                 "%zu over max_removals, %zu refused by the engine",
                 k->in_use, k->protected_, k->newest, k->too_young, k->over_max_removals, t->n_refused);
}

static void on_gather(struct requests *q) {
        uint64_t ticks;
        (void) !read(q->gather_fd, &ticks, sizeof ticks);
        q->gather_armed = false;
        struct daemon *d = q->d;
        struct control_want wants[REQUESTS_CLIENTS_MAX];
        size_t n = 0;
        if (usage_set_measure(&d->fs, NULL) < 0)
                return;
        for (size_t i = 0; i < REQUESTS_CLIENTS_MAX; i++) {
                struct request_client *c = &q->clients[i];
                if (c->fd >= 0 && c->waiting && !judge(q, c))
                        wants[n++] = c->want;
        }
        struct round x = { .q = q };
        uint64_t bytes;
        if (control_round(wants, n, &d->fs, &bytes, x.fs) == 0)
                return;
        for (size_t i = 0; i < d->fs.n; i++)
                if (x.fs[i])
                        x.set.fs[x.set.n++] = d->fs.fs[i];
        log_info("One cleanup for %zu waiting request%s: %" PRIu64 " bytes free", n, n == 1 ? "" : "s", bytes);
        struct cleanup_result t;
        int r = daemon_clean_to_free(d, &x.set, bytes, on_progress, &x, &t);
        char reason[384] = "";
        if (r < 0)
                snprintf(reason, sizeof reason, "the cleanup failed: %s", strerror(-r));
        else if (t.error < 0)
                snprintf(reason, sizeof reason, "the cleanup stopped: %s", strerror(-t.error));
        else
                kept_reason(&t, reason, sizeof reason);
        (void) usage_set_measure(&d->fs, NULL);
        for (size_t i = 0; i < REQUESTS_CLIENTS_MAX; i++) {
                struct request_client *c = &q->clients[i];
                if (c->fd < 0 || !c->waiting || judge(q, c))
                        continue;
                size_t k = control_tightest(&d->fs, &c->want);
                char has[32];
                daemon_format_bytes(d->fs.fs[k].usage.free_bytes, has, sizeof has);
                client_answer(q, c, CONTROL_STATUS_NOT_NOW, d->fs.fs[k].usage.free_bytes, "%s has %s free after the cleanup; %s",
                              d->fs.fs[k].path, has, reason);
        }
}

int requests_open(struct daemon *d, struct requests **ret) {
        const char *path = d->config.control_socket;
        *ret = NULL;
        if (!path || !*path)
                return 0;
        _cleanup_free_ struct requests *q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        *q = (struct requests){ .d = d, .listen_fd = -1, .gather_fd = -1, .lease_fd = -1 };
        for (size_t i = 0; i < REQUESTS_CLIENTS_MAX; i++)
                q->clients[i].fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        struct stat st;
        /* A socket left by an earlier run goes (nobody answers on it); a running daemon's stays. */
        if (lstat(path, &st) >= 0 && S_ISSOCK(st.st_mode)) {
                _cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof sa) < 0 && errno == ECONNREFUSED)
                        (void) unlink(path);
        }
        q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        q->gather_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        q->lease_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
        int r = 0;
        /* Anyone may connect; SO_PEERCRED decides who may ask (and the refusal is logged and counted). */
        if (q->listen_fd < 0 || q->gather_fd < 0 || q->lease_fd < 0 || bind(q->listen_fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            chmod(path, 0666) < 0 || listen(q->listen_fd, 64) < 0)
                r = negative_errno();
        if (r < 0) {
                /* Outside the unit (no RuntimeDirectory=) the default directory may not exist: then no socket. */
                if (r == -ENOENT)
                        log_info("No control socket: the directory of %s does not exist", path);
                else
                        log_warning("Cannot listen on the control socket %s: %s; --ensure-free requests get no answer", path,
                                    strerror(-r));
                closep(&q->listen_fd);
                closep(&q->gather_fd);
                closep(&q->lease_fd);
                return r;
        }
        q->path = strdup(path);
        arm_lease_end(q);
        log_info("Listening for --ensure-free requests on %s (root%s%s)", path,
                 d->config.control_group && *d->config.control_group ? " and group " : " only",
                 d->config.control_group ? d->config.control_group : "");
        *ret = TAKE_PTR(q);
        return 0;
}

void requests_free(struct requests *q) {
        if (!q)
                return;
        for (size_t i = 0; i < REQUESTS_CLIENTS_MAX; i++)
                if (q->clients[i].fd >= 0)
                        client_answer(q, &q->clients[i], CONTROL_STATUS_NOT_NOW, 0, "the daemon is stopping");
        closep(&q->listen_fd);
        closep(&q->gather_fd);
        closep(&q->lease_fd);
        if (q->path)
                (void) unlink(q->path);
        free(q->path);
        free(q);
}

size_t requests_fds(const struct requests *q, struct pollfd *p) {
        size_t n = 0;
        if (!q)
                return 0;
        p[n++] = (struct pollfd){ .fd = q->listen_fd, .events = POLLIN };
        p[n++] = (struct pollfd){ .fd = q->gather_fd, .events = POLLIN };
        p[n++] = (struct pollfd){ .fd = q->lease_fd, .events = POLLIN };
        for (size_t i = 0; i < REQUESTS_CLIENTS_MAX; i++)
                p[n++] = (struct pollfd){ .fd = q->clients[i].fd, .events = POLLIN };
        return n;
}

int requests_timeout_ms(const struct requests *q) {
        int ms = -1;
        uint64_t now = now_monotonic_usec();
        for (size_t i = 0; q && i < REQUESTS_CLIENTS_MAX; i++) {
                const struct request_client *c = &q->clients[i];
                if (c->fd < 0 || c->waiting)
                        continue;
                uint64_t end = c->accepted_usec + REQUEST_READ_TIMEOUT_USEC;
                int left = end <= now ? 0 : (int) ((end - now + 999) / 1000);
                ms = ms < 0 ? left : MIN(ms, left);
        }
        return ms;
}

bool requests_dispatch(struct requests *q, const struct pollfd *p) {
        bool check = false;
        if (!q)
                return false;
        uint64_t now = now_monotonic_usec();
        for (size_t i = 0; i < REQUESTS_CLIENTS_MAX; i++) {
                struct request_client *c = &q->clients[i];
                if (c->fd < 0 || p[3 + i].fd != c->fd)
                        continue;
                if (p[3 + i].revents & (POLLIN | POLLHUP | POLLERR))
                        on_readable(q, c);
                if (c->fd >= 0 && !c->waiting && now - c->accepted_usec >= REQUEST_READ_TIMEOUT_USEC)
                        client_answer(q, c, CONTROL_STATUS_INVALID, 0, "no complete request within %d s",
                                      (int) (REQUEST_READ_TIMEOUT_USEC / USEC_PER_SEC));
        }
        if (p[0].revents & POLLIN)
                on_accept(q);
        if (p[1].revents & POLLIN)
                on_gather(q);
        if (p[2].revents & POLLIN) {
                uint64_t ticks;
                (void) !read(q->lease_fd, &ticks, sizeof ticks);
                /* A lease ended: what it kept may go now, if the disk needs it. */
                check = daemon_leases_expire(q->d);
                arm_lease_end(q);
        }
        return check;
}
