/* The last resort: exhausted_command, run once per exhausted episode without a shell, with a timeout.
 * It never blocks the loop: the process's pidfd, its output pipe and a timerfd are polled with
 * everything else (daemon/loop.c), and --once waits on the same three with its own poll(). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "lastresort.h"
#include "log.h"
#include "records.h"
#include "safe-path.h"
#include "strv.h"
#include "time-util.h"

extern char **environ;

/* How long a stopping daemon waits for the command it killed. */
#define STOP_WAIT_MSEC 2000

static int pidfd_open_(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

static void command_close(struct daemon_command *c) {
        closep(&c->pidfd);
        closep(&c->out_fd);
        closep(&c->timer_fd);
        free(c->argv0);
        *c = (struct daemon_command){ .pidfd = -1, .out_fd = -1, .timer_fd = -1 };
}

bool daemon_command_running(const struct daemon *d) {
        return d->command.pid > 0;
}

static int spawn(char *const *argv, char *const *env, int out_fd, pid_t *ret_pid) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t all, none;
        int r;

        sigfillset(&all);
        sigemptyset(&none);
        if ((r = posix_spawn_file_actions_init(&fa)) != 0)
                return -r;
        if ((r = posix_spawnattr_init(&attr)) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        /* stdin /dev/null, stdout and stderr the pipe, nothing else of ours; a session of its own (so the
         * timeout kills its children too); default signal dispositions (the daemon ignores SIGPIPE). */
        if ((r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) == 0 &&
            (r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO)) == 0 &&
            (r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO)) == 0 &&
            (r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1)) == 0 &&
            (r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) == 0 &&
            (r = posix_spawnattr_setsigdefault(&attr, &all)) == 0 && (r = posix_spawnattr_setsigmask(&attr, &none)) == 0)
                r = posix_spawn(ret_pid, argv[0], &fa, &attr, argv, env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        return -r;
}

void daemon_command_start(struct daemon *d, uint64_t reclaimed_bytes) {
        char *const *argv = d->config.exhausted_command;
        char why[256];
        int r;

        if (strv_isempty(argv) || d->config.dry_run)
                return;
        if (daemon_command_running(d)) {
                log_notice("exhausted_command %s is still running from an earlier episode; not starting it again", d->command.argv0);
                return;
        }
        /* Checked when the configuration was read; again now, since the file may have changed since. */
        r = safe_path_check(argv[0], SAFE_PATH_EXECUTABLE, why, sizeof why);
        if (r < 0) {
                record_command_refused(argv[0], r, why);
                return;
        }

        struct lastresort_facts f = {
                .used_percent = d->last_usage.used_percent,
                .free_bytes = d->last_usage.free_bytes,
                .path = d->last_usage_path,
                .reclaimed_bytes = reclaimed_bytes,
        };
        _cleanup_strv_free_ char **env = NULL;
        bool path_passed;
        r = lastresort_env(&f, (const char *const *) environ, &env, &path_passed);
        if (r < 0) {
                record_command_failed_to_start(argv[0], r);
                return;
        }
        if (!path_passed)
                log_notice("DOCKERCLEAN_PATH is not set for exhausted_command: %s has characters a shell could take for syntax",
                           d->last_usage_path ? d->last_usage_path : "(none)");

        struct daemon_command c = { .pidfd = -1, .out_fd = -1, .timer_fd = -1 };
        int out[2];
        if (pipe2(out, O_CLOEXEC) < 0) {
                record_command_failed_to_start(argv[0], negative_errno());
                return;
        }
        c.out_fd = out[0];
        r = spawn(argv, env, out[1], &c.pid);
        closep(&out[1]);
        if (r < 0) {
                command_close(&c);
                record_command_failed_to_start(argv[0], r);
                return;
        }
        c.started_usec = now_monotonic_usec();
        c.timeout_sec = d->config.exhausted_command_timeout_sec;
        c.argv0 = strdup(argv[0]);
        c.pidfd = pidfd_open_(c.pid);
        c.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        struct itimerspec its = { .it_value = { .tv_sec = (time_t) c.timeout_sec } };
        if (!c.argv0 || c.pidfd < 0 || c.timer_fd < 0 || timerfd_settime(c.timer_fd, 0, &its, NULL) < 0 ||
            fcntl(c.out_fd, F_SETFL, O_NONBLOCK) < 0) {
                /* It cannot be watched: it must not run unwatched. */
                r = negative_errno();
                kill(-c.pid, SIGKILL);
                (void) waitpid(c.pid, NULL, 0);
                command_close(&c);
                record_command_failed_to_start(argv[0], r);
                return;
        }
        d->command = c;
        record_command_started(d->command.argv0, d->command.pid, c.timeout_sec, &f, path_passed);
}

static void read_output(struct daemon_command *c) {
        char buf[4096];
        for (;;) {
                ssize_t n = read(c->out_fd, buf, sizeof buf);
                if (n > 0) {
                        lastresort_output_feed(&c->output, buf, (size_t) n);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0) { /* every writer closed it */
                        closep(&c->out_fd);
                        c->out_fd = -1;
                }
                return;
        }
}

static void on_timeout(struct daemon_command *c) {
        uint64_t n;
        (void) !read(c->timer_fd, &n, sizeof n);
        closep(&c->timer_fd);
        c->timer_fd = -1;
        c->timed_out = true;
        /* The whole session: a script's children go with it. */
        kill(-c->pid, SIGKILL);
}

/* The process ended (pidfd readable): reap it, take what output is left, say how it went. */
static void on_exit_(struct daemon *d) {
        struct daemon_command *c = &d->command;
        siginfo_t si = {};
        if (waitid(P_PID, (id_t) c->pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return; /* not yet */
        if (c->out_fd >= 0)
                read_output(c); /* what it wrote before it ended; a child that kept the pipe is not waited for */
        uint64_t usec = now_monotonic_usec() - c->started_usec;
        record_command_finished(c->argv0, si.si_code, si.si_status, c->timed_out, c->timeout_sec, usec, &c->output);
        command_close(c);
}

void daemon_command_fds(const struct daemon *d, int *ret_exit_fd, int *ret_output_fd, int *ret_timer_fd) {
        bool on = daemon_command_running(d);
        *ret_exit_fd = on ? d->command.pidfd : -1;
        *ret_output_fd = on ? d->command.out_fd : -1;
        *ret_timer_fd = on ? d->command.timer_fd : -1;
}

void daemon_command_dispatch(struct daemon *d, short exit_revents, short output_revents, short timer_revents) {
        struct daemon_command *c = &d->command;
        if (!daemon_command_running(d))
                return;
        if ((output_revents & (POLLIN | POLLHUP | POLLERR)) && c->out_fd >= 0)
                read_output(c);
        if ((timer_revents & POLLIN) && c->timer_fd >= 0)
                on_timeout(c);
        if (exit_revents & POLLIN)
                on_exit_(d);
}

void daemon_command_wait(struct daemon *d) {
        while (daemon_command_running(d) && !*d->stop) {
                struct pollfd p[3];
                daemon_command_fds(d, &p[0].fd, &p[1].fd, &p[2].fd);
                for (size_t i = 0; i < ELEMENTSOF(p); i++)
                        p[i].events = POLLIN, p[i].revents = 0;
                if (poll(p, ELEMENTSOF(p), -1) < 0) {
                        if (errno == EINTR)
                                continue; /* SIGTERM sets *d->stop */
                        break;
                }
                daemon_command_dispatch(d, p[0].revents, p[1].revents, p[2].revents);
        }
        daemon_command_stop(d);
}

void daemon_command_stop(struct daemon *d) {
        struct daemon_command *c = &d->command;
        if (!daemon_command_running(d))
                return;
        kill(-c->pid, SIGKILL);
        struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
        (void) poll(&p, 1, STOP_WAIT_MSEC);
        if (c->out_fd >= 0)
                read_output(c);
        siginfo_t si = {};
        (void) waitid(P_PID, (id_t) c->pid, &si, WEXITED | WNOHANG); /* else systemd's stop reaps it */
        record_command_stopped(c->argv0, now_monotonic_usec() - c->started_usec, &c->output);
        command_close(c);
}
