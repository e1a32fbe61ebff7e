#include "fake.h"

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dctest.h"
#include "macro.h"



static char *fake_script(void) {
        const char *src = getenv("DOCKERCLEAN_SOURCE_DIR");
        char *p;
        if (src && *src)
                ck_assert_int_ge(asprintf(&p, "%s/tests/fake/fake-engine.py", src), 0);
        else {
                /* Run by hand: this file's directory is tests/engine. */
                const char *slash = strrchr(__FILE__, '/');
                ck_assert_ptr_nonnull(slash);
                ck_assert_int_ge(asprintf(&p, "%.*s/../fake/fake-engine.py", (int) (slash - __FILE__), __FILE__), 0);
        }
        return p;
}

void fake_start_args(struct fake *f, const char *scenario, const char *const *extra) {
        int in[2], out[2];
        _cleanup_free_ char *script = fake_script();

        memset(f, 0, sizeof *f);
        snprintf(f->dir, sizeof f->dir, "/tmp/dcfake.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(f->dir));
        snprintf(f->sock, sizeof f->sock, "%s/engine.sock", f->dir);
        snprintf(f->log, sizeof f->log, "%s/requests.log", f->dir);
        ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);

        /* execv() wants mutable strings: copies. */
        char *argv[32] = {};
        size_t n = 0;
        argv[n++] = strdup("python3");
        argv[n++] = strdup(script);
        argv[n++] = strdup("--log");
        argv[n++] = strdup(f->log);
        argv[n++] = strdup("--cleanup-dir");
        argv[n++] = strdup(f->dir);
        bool tcp = false;
        for (; extra && *extra && n < ELEMENTSOF(argv) - 4; extra++) {
                tcp = tcp || strcmp(*extra, "--tcp") == 0;
                argv[n++] = strdup(*extra);
        }
        if (!tcp) {
                argv[n++] = strdup("--socket");
                argv[n++] = strdup(f->sock);
        }
        argv[n++] = strdup(scenario);
        for (size_t i = 0; i < n; i++)
                ck_assert_ptr_nonnull(argv[i]);

        f->pid = fork();
        ck_assert_int_ge(f->pid, 0);
        if (f->pid == 0) {
                dup2(in[0], STDIN_FILENO);
                dup2(out[1], STDOUT_FILENO);
                execvp("python3", argv);
                execv("/usr/bin/python3", argv);
                _exit(127);
        }
        for (size_t i = 0; i < n; i++)
                free(argv[i]);
        close(in[0]);
        close(out[1]);
        f->to_fake = in[1];

        char line[256];
        size_t len = 0;
        struct pollfd p = { .fd = out[0], .events = POLLIN };
        /* Its "ready" line, with a deadline a loaded host meets (python's start alone can take seconds). */
        while (len < sizeof line - 1 && !memchr(line, '\n', len)) {
                ck_assert_msg(poll(&p, 1, 60000) == 1, "the fake engine did not start within 60 s");
                ssize_t k = read(out[0], line + len, sizeof line - 1 - len);
                ck_assert_msg(k > 0, "the fake engine exited at start (python3 missing?)");
                len += (size_t) k;
        }
        line[len] = 0;
        close(out[0]);
        ck_assert_msg(strncmp(line, "ready ", 6) == 0, "fake said: %s", line);
        line[strcspn(line, "\n")] = 0;
        snprintf(f->where, sizeof f->where, "%.63s", line + 6);
}

void fake_start(struct fake *f, const char *scenario) {
        fake_start_args(f, scenario, NULL);
}

void fake_stop(struct fake *f) {
        if (f->pid <= 0)
                return;
        close(f->to_fake);
        for (int i = 0; i < 100; i++) {
                if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
                        f->pid = 0;
                        break;
                }
                nanosleep(&(struct timespec) { 0, 50 * 1000000 }, NULL);
        }
        if (f->pid > 0) {
                kill(f->pid, SIGKILL);
                waitpid(f->pid, NULL, 0);
                f->pid = 0;
        }
        dctest_sh("rm -rf %s", f->dir);
}

char *fake_log(const struct fake *f) {
        char *s = dctest_sh_output("cat %s", f->log);
        ck_assert_ptr_nonnull(s);
        return s;
}
