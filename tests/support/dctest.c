#include "dctest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

void dctest_require(bool ok, const char *why) {
        if (ok)
                return;
        const char *ci = getenv("CI");
        bool in_ci = ci && *ci && strcmp(ci, "false") != 0 && strcmp(ci, "0") != 0;
        fprintf(stderr, "%s: %s\n", in_ci ? "FAIL (CI must not skip)" : "SKIP", why);
        exit(in_ci ? 1 : 77);
}

const char *dctest_engine_socket(void) {
        const char *s = getenv("DOCKERCLEAN_TEST_SOCKET");
        dctest_require(s && *s, "DOCKERCLEAN_TEST_SOCKET is not set: run under tests/bench/with-engine.sh");
        return s;
}

static char *vformat(const char *fmt, va_list ap) {
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                return NULL;
        return s;
}

int dctest_sh(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *cmd = vformat(fmt, ap);
        va_end(ap);
        if (!cmd)
                return -1;
        int st = system(cmd);
        free(cmd);
        if (st == -1 || !WIFEXITED(st))
                return -1;
        return WEXITSTATUS(st);
}

char *dctest_sh_output(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *cmd = vformat(fmt, ap);
        va_end(ap);
        if (!cmd)
                return NULL;
        FILE *p = popen(cmd, "r");
        free(cmd);
        if (!p)
                return NULL;
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap);
        size_t k;
        while (buf && (k = fread(buf + len, 1, cap - len - 1, p)) > 0) {
                len += k;
                if (cap - len < 2) {
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = nb;
                        cap *= 2;
                }
        }
        int st = pclose(p);
        if (!buf)
                return NULL;
        buf[len] = 0;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                buf[--len] = 0;
        if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

int dctest_run(Suite *s) {
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed;
}

void *dctest_raise_after(void *raiser) {
        struct dctest_raiser *r = raiser;
        nanosleep(&(struct timespec) { .tv_sec = r->ms / 1000, .tv_nsec = (long) (r->ms % 1000) * 1000000 }, NULL);
        *r->flag = 1;
        return NULL;
}

/* Whether the log has this exact line. */
bool dctest_has_line(const char *log, const char *line) {
        size_t n = strlen(line);
        for (const char *p = log; (p = strstr(p, line)); p += n)
                if ((p == log || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
                        return true;
        return false;
}

size_t dctest_count(const char *haystack, const char *needle) {
        size_t n = 0;
        for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}


char *dctest_replace_at(const char *s, const char *dir) {
        size_t n = 0;
        for (const char *p = s; *p; p++)
                n += *p == '@' ? strlen(dir) : 1;
        char *out = malloc(n + 1), *o = out;
        ck_assert_ptr_nonnull(out);
        for (const char *p = s; *p; p++)
                o = *p == '@' ? stpcpy(o, dir) : (*o = *p, o + 1);
        *o = 0;
        return out;
}
