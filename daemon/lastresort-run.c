/* lastresort-run.c: the last resort, exhausted_command (lib/lastresort.h), run once per exhausted episode
 * without a shell, with a timeout.
 * It never blocks the loop: the process's pidfd, its output pipe and a timerfd are polled with
 * everything else (daemon/loop.c), and --once waits on the same three with its own poll().
 *
 * Everything it starts goes at its timeout and when the daemon stops, also after it exited itself: the
 * daemon is a child subreaper (PR_SET_CHILD_SUBREAPER, set in main.c), so a process the command leaves
 * behind (daemonized, double-forked, in a session of its own) becomes the daemon's child instead of
 * init's. The daemon starts no other process, so its children are the command's tree: its process group
 * and every child are SIGKILLed, and that is repeated (what a killed process had started becomes the
 * daemon's child in turn) until no child is left. No cgroup is needed, so this works the same with or
 * without systemd and needs no Delegate= or other exception in the unit's sandbox. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <stdlib.h>
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

/* How long a stopping daemon (or the timeout) waits for the processes it killed. */
#define STOP_WAIT_MSEC 2000
/* Processes killed per round; a bigger tree takes more rounds. */
#define TREE_BATCH 128

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

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

/* The daemon's live children (zombies left out), from /proc: with the subreaper, the command's tree. */
static size_t list_children(pid_t *pids, size_t max) {
        _cleanup_(closedirp) DIR *proc = opendir("/proc");
        size_t n = 0;
        pid_t self = getpid();
        if (!proc)
                return 0;
        for (struct dirent *de; n < max && (de = readdir(proc));) {
                char path[64], buf[512];
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%.20s/stat", de->d_name);
                _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        continue;
                ssize_t k = read(fd, buf, sizeof buf - 1);
                if (k <= 0)
                        continue;
                buf[k] = 0;
                /* "PID (COMM) STATE PPID ...": COMM may hold anything, so from its last ')' */
                const char *rp = strrchr(buf, ')');
                char state;
                int ppid;
                if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2 || ppid != self || state == 'Z')
                        continue;
                pids[n++] = (pid_t) atoi(de->d_name);
        }
        return n;
}

/* Reaps every exited child but the leader, whose status on_exit_() takes (it is reaped there). */
static void reap_others(const struct daemon_command *c) {
        for (;;) {
                siginfo_t si = {};
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        return;
                if (si.si_pid == c->pid && !c->leader_gone)
                        return; /* first in line: the rest waits for on_exit_() */
                (void) waitid(P_PID, (id_t) si.si_pid, &si, WEXITED | WNOHANG);
        }
}

/* SIGKILLs the command's process group and every child of the daemon, again and again, until none is
 * left alive or wait_msec passed. Returns how many processes it killed (the leader included). */
static unsigned kill_tree(struct daemon_command *c, int wait_msec) {
        uint64_t deadline = now_monotonic_usec() + (uint64_t) wait_msec * 1000;
        unsigned killed = 0;
        for (;;) {
                pid_t pids[TREE_BATCH];
                struct pollfd p[TREE_BATCH];
                size_t n_fds = 0;
                (void) kill(-c->pid, SIGKILL);
                reap_others(c);
                size_t n = list_children(pids, ELEMENTSOF(pids));
                if (n == 0)
                        return killed;
                for (size_t i = 0; i < n; i++) {
                        int fd = pidfd_open_(pids[i]);
                        if (kill(pids[i], SIGKILL) == 0)
                                killed++;
                        if (fd >= 0)
                                p[n_fds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
                }
                uint64_t now = now_monotonic_usec();
                int left = now >= deadline ? 0 : (int) ((deadline - now) / 1000);
                if (n_fds > 0)
                        (void) poll(p, n_fds, left > 0 ? left : 0); /* one of them exited, or out of time */
                for (size_t i = 0; i < n_fds; i++)
                        closep(&p[i].fd);
                if (left <= 0) {
                        reap_others(c);
                        return killed;
                }
        }
}

/* After the leader ended: nothing of the command left alive, and its output pipe closed by all. */
static bool tree_gone(const struct daemon_command *c) {
        pid_t one;
        reap_others(c);
        return c->out_fd < 0 && list_children(&one, 1) == 0;
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

static void on_exit_(struct daemon *d);

static void on_timeout(struct daemon *d) {
        struct daemon_command *c = &d->command;
        uint64_t n;
        (void) !read(c->timer_fd, &n, sizeof n);
        closep(&c->timer_fd);
        c->timer_fd = -1;
        c->timed_out = !c->leader_gone;
        /* The whole tree: its session, and whatever it left that became ours. */
        unsigned killed = kill_tree(c, STOP_WAIT_MSEC);
        if (c->leader_gone) {
                if (c->out_fd >= 0)
                        read_output(c);
                log_warning("exhausted_command %s: killed %u process%s it left running, at its timeout (%" PRIu64 "s)", c->argv0,
                            killed, killed == 1 ? "" : "es", c->timeout_sec);
                command_close(c);
        } else
                on_exit_(d); /* killed: its record, with the timeout */
}

/* The process ended (pidfd readable): reap it, take what output is left, say how it went. What it
 * started and left running is tracked until it is gone, or killed at the timeout. */
static void on_exit_(struct daemon *d) {
        struct daemon_command *c = &d->command;
        siginfo_t si = {};
        if (c->leader_gone || waitid(P_PID, (id_t) c->pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return; /* not yet */
        c->leader_gone = true;
        closep(&c->pidfd);
        c->pidfd = -1;
        reap_others(c); /* what it left and already ended: no zombie stays */
        if (c->out_fd >= 0)
                read_output(c); /* what it wrote before it ended; a child that kept the pipe is not waited for */
        uint64_t usec = now_monotonic_usec() - c->started_usec;
        record_command_finished(c->argv0, si.si_code, si.si_status, c->timed_out, c->timeout_sec, usec, &c->output);
        pid_t one;
        if (c->timer_fd >= 0 && list_children(&one, 1) > 0) {
                log_notice("exhausted_command %s left processes running; they are killed at its timeout (%" PRIu64 "s after it started) "
                           "unless they end before",
                           c->argv0, c->timeout_sec);
                return;
        }
        if (c->timer_fd < 0) /* timed out: anything still there goes now */
                (void) kill_tree(c, STOP_WAIT_MSEC);
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
                on_timeout(d);
        else if ((exit_revents & POLLIN) && !c->leader_gone)
                on_exit_(d);
        else if (c->leader_gone && tree_gone(c)) /* what it left ended by itself */
                command_close(c);
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
        (void) kill_tree(c, STOP_WAIT_MSEC);
        if (c->out_fd >= 0)
                read_output(c);
        siginfo_t si = {};
        if (!c->leader_gone)
                (void) waitid(P_PID, (id_t) c->pid, &si, WEXITED | WNOHANG); /* else systemd's stop reaps it */
        record_command_stopped(c->argv0, now_monotonic_usec() - c->started_usec, &c->output);
        command_close(c);
}
