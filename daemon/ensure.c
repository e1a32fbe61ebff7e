/* ensure.c: dockercleand --ensure-free: asks the running daemon on its control socket and waits. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "control.h"
#include "daemon.h"
#include "macro.h"
#include "time-util.h"

static int exit_status(enum control_status s) {
        switch (s) {
        case CONTROL_STATUS_OK:
                return 0;
        case CONTROL_STATUS_NOT_NOW:
                return EXIT_TEMPFAIL;
        case CONTROL_STATUS_NEVER:
                return EXIT_NEVER;
        case CONTROL_STATUS_REFUSED:
                return EXIT_NOPERM;
        case CONTROL_STATUS_INVALID:
        case _CONTROL_STATUS_MAX:
                break;
        }
        return EXIT_USAGE;
}

/* Sends req and waits for the answer; returns 0 with *ret set, or the exit status (> 0) after saying why. */
static int ask(const char *socket_path, const struct control_request *req, uint64_t timeout_sec, struct control_reply *ret) {
        char line[CONTROL_MESSAGE_MAX + 1];
        int n = control_request_format(req, line, sizeof line);
        if (n < 0) {
                fprintf(stderr, "dockercleand: cannot format the request: %s\n", strerror(-n));
                return EXIT_USAGE;
        }
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (!socket_path || !*socket_path || strlen(socket_path) >= sizeof sa.sun_path) {
                fprintf(stderr, "dockercleand: no control socket configured (control.socket)\n");
                return EXIT_UNAVAILABLE;
        }
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", socket_path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                fprintf(stderr, "dockercleand: no daemon answers on %s: %m\n", socket_path);
                return EXIT_UNAVAILABLE;
        }
        /* A refusal may be answered (and the connection closed) before the request is read: on a failed
         * send the answer is still read. */
        bool sent = send(fd, line, (size_t) n, MSG_NOSIGNAL) == n;
        int send_errno = errno;
        uint64_t end = now_monotonic_usec() + timeout_sec * USEC_PER_SEC;
        size_t got = 0;
        while (got < sizeof line - 1 && !memchr(line, '\n', got)) {
                uint64_t now = now_monotonic_usec();
                if (now >= end) {
                        fprintf(stderr, "dockercleand: no answer within %s\n", DAEMON_DURATION(timeout_sec));
                        return EXIT_TEMPFAIL;
                }
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t ms = (end - now + 999) / 1000;
                int r = poll(&p, 1, ms > 60000 ? 60000 : (int) ms);
                if (r <= 0)
                        continue;
                ssize_t k = recv(fd, line + got, sizeof line - 1 - got, 0);
                if (k <= 0) {
                        if (!sent)
                                fprintf(stderr, "dockercleand: the daemon on %s did not take the request: %s\n", socket_path,
                                        strerror(send_errno));
                        else
                                fprintf(stderr, "dockercleand: the daemon closed the connection without an answer\n");
                        return EXIT_UNAVAILABLE;
                }
                got += (size_t) k;
        }
        if (control_reply_parse(line, got, ret) < 0) {
                fprintf(stderr, "dockercleand: the daemon's answer is malformed\n");
                return EXIT_UNAVAILABLE;
        }
        return 0;
}

int daemon_ensure_free(const char *socket_path, uint64_t bytes, char *path, uint64_t timeout_sec) {
        struct control_request req = { .op = CONTROL_OP_ENSURE_FREE, .bytes = bytes, .path = path };
        struct control_reply rep;
        int r = ask(socket_path, &req, timeout_sec, &rep);
        if (r > 0)
                return r;
        char want[32];
        daemon_format_bytes(bytes, want, sizeof want);
        if (rep.status == CONTROL_STATUS_OK)
                printf("%s free: %s\n", want, rep.reason);
        else
                fprintf(stderr, "dockercleand: --ensure-free %s: %s: %s\n", want, control_status_to_string(rep.status), rep.reason);
        return exit_status(rep.status);
}

int daemon_lease(const char *socket_path, char **images, uint64_t seconds, uint64_t timeout_sec) {
        struct control_request req = { .op = CONTROL_OP_LEASE, .images = images, .seconds = seconds };
        struct control_reply rep;
        int r = ask(socket_path, &req, timeout_sec, &rep);
        if (r > 0)
                return r;
        if (rep.status != CONTROL_STATUS_OK) {
                fprintf(stderr, "dockercleand: --lease: %s: %s\n", control_status_to_string(rep.status), rep.reason);
                return exit_status(rep.status);
        }
        /* The id alone on stdout, for a hook to keep: lease=$(dockercleand --lease app:1 --for 2h). */
        printf("%s\n", rep.lease);
        fprintf(stderr, "dockercleand: %s\n", rep.reason);
        return 0;
}

int daemon_release(const char *socket_path, const char *id, uint64_t timeout_sec) {
        struct control_request req = { .op = CONTROL_OP_RELEASE };
        snprintf(req.lease, sizeof req.lease, "%s", id);
        struct control_reply rep;
        int r = ask(socket_path, &req, timeout_sec, &rep);
        if (r > 0)
                return r;
        if (rep.status != CONTROL_STATUS_OK)
                fprintf(stderr, "dockercleand: --release: %s: %s\n", control_status_to_string(rep.status), rep.reason);
        return exit_status(rep.status);
}

int daemon_ensure_free_standalone(struct daemon *d, uint64_t bytes, const char *path) {
        int r = daemon_engine_refresh(d);
        if (r < 0 || d->fs.n == 0 || usage_set_measure(&d->fs, NULL) < 0) {
                fprintf(stderr, "dockercleand: --standalone: the engine is unreachable: %s\n", d->engine_error);
                return EXIT_UNAVAILABLE;
        }
        struct control_want w = { .bytes = bytes, .fs = -1 };
        if (path) {
                struct stat st;
                w.fs = -2;
                if (stat(path, &st) >= 0)
                        for (size_t i = 0; i < d->fs.n; i++)
                                if (d->fs.fs[i].dev == st.st_dev)
                                        w.fs = (int) i;
                if (w.fs == -2) {
                        fprintf(stderr, "dockercleand: --ensure-free: never: %s is not on a filesystem that holds engine data\n", path);
                        return EXIT_NEVER;
                }
        }
        char want[32], has[32];
        daemon_format_bytes(bytes, want, sizeof want);
        enum control_verdict v = control_judge(&d->fs, &w);
        struct cleanup_result t = {};
        if (v == CONTROL_VERDICT_WAIT) {
                struct usage_set set = {};
                for (size_t i = 0; i < d->fs.n; i++)
                        if ((w.fs < 0 || (size_t) w.fs == i) && d->fs.fs[i].usage.free_bytes < bytes)
                                set.fs[set.n++] = d->fs.fs[i];
                r = daemon_clean_to_free(d, &set, bytes, NULL, NULL, &t);
                (void) usage_set_measure(&d->fs, NULL);
                v = control_judge(&d->fs, &w);
        }
        size_t k = control_tightest(&d->fs, &w);
        daemon_format_bytes(d->fs.fs[k].usage.free_bytes, has, sizeof has);
        switch (v) {
        case CONTROL_VERDICT_MET:
                printf("%s free: %s has %s free (--standalone)\n", want, d->fs.fs[k].path, has);
                return 0;
        case CONTROL_VERDICT_NEVER:
                fprintf(stderr, "dockercleand: --ensure-free %s: never: %s can never have that much free, even empty\n", want,
                        d->fs.fs[k].path);
                return EXIT_NEVER;
        case CONTROL_VERDICT_WAIT:
        case _CONTROL_VERDICT_MAX:
                break;
        }
        fprintf(stderr, "dockercleand: --ensure-free %s: not-now: %s has %s free after the cleanup%s; kept %zu in use or running, "
                "%zu protected, %zu newest of their repository, %zu younger than min_age, %zu over max_removals\n",
                want, d->fs.fs[k].path, has, r < 0 || t.error < 0 ? " (it stopped early)" : "", t.kept.in_use, t.kept.protected_,
                t.kept.newest, t.kept.too_young, t.kept.over_max_removals);
        return EXIT_TEMPFAIL;
}
