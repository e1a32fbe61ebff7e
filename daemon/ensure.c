/* ensure.c: dockercleand --ensure-free: asks the running daemon on its control socket and waits. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
