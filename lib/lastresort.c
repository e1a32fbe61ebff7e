/* lastresort.c: exhausted_command's environment and output, without running anything. */
#include "lastresort.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"

bool lastresort_path_is_plain(const char *path) {
        if (!path || path[0] != '/')
                return false;
        for (const char *p = path; *p; p++) {
                char c = *p;
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("/._-+:@,=", c);
                if (!ok)
                        return false;
        }
        return true;
}

/* Variables the command must not inherit: dockercleand's own channels to systemd, and any
 * DOCKERCLEAN_* that could be taken for one of ours. */
static bool env_dropped(const char *entry) {
        static const char *const exact[] = { "NOTIFY_SOCKET=", "JOURNAL_STREAM=" };
        static const char *const prefixes[] = { "WATCHDOG_", "LISTEN_", "DOCKERCLEAN_" };
        for (size_t i = 0; i < ELEMENTSOF(exact); i++)
                if (startswith(entry, exact[i]))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(entry, prefixes[i]))
                        return true;
        return !strchr(entry, '=');
}

int lastresort_env(const struct lastresort_facts *f, const char *const *parent, char ***ret_env, bool *ret_path_passed) {
        size_t n = 0, k = 0;
        while (parent && parent[n])
                n++;
        _cleanup_strv_free_ char **env = calloc(n + 5, sizeof(char *));
        if (!env)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (env_dropped(parent[i]))
                        continue;
                if (!(env[k++] = strdup(parent[i])))
                        return -ENOMEM;
        }
        double used = f->used_percent >= 0.0 && f->used_percent <= 100.0 ? f->used_percent : 0.0;
        if (asprintf(&env[k++], "DOCKERCLEAN_USED_PERCENT=%.2f", used) < 0 ||
            asprintf(&env[k++], "DOCKERCLEAN_FREE_BYTES=%" PRIu64, f->free_bytes) < 0 ||
            asprintf(&env[k++], "DOCKERCLEAN_RECLAIMED_BYTES=%" PRIu64, f->reclaimed_bytes) < 0) {
                env[--k] = NULL; /* asprintf leaves it undefined on failure */
                return -ENOMEM;
        }
        bool path = lastresort_path_is_plain(f->path);
        if (path && asprintf(&env[k++], "DOCKERCLEAN_PATH=%s", f->path) < 0) {
                env[--k] = NULL;
                return -ENOMEM;
        }
        *ret_env = TAKE_PTR(env);
        if (ret_path_passed)
                *ret_path_passed = path;
        return 0;
}

void lastresort_output_feed(struct lastresort_output *o, const char *buf, size_t n) {
        o->total_bytes += n;
        for (size_t i = 0; i < n && !o->truncated; i++) {
                unsigned char c = (unsigned char) buf[i];
                if (c == '\r')
                        continue; /* carriage returns are dropped: "\r\n" ends one line */
                if (o->len == 0 || o->text[o->len - 1] == '\n') {
                        if (o->lines >= LASTRESORT_OUTPUT_LINES || o->len + 2 > sizeof o->text) {
                                o->truncated = true; /* a line more than is kept */
                                break;
                        }
                        o->lines++;
                }
                if (c != '\n' && o->len + 2 > sizeof o->text) { /* the line's '\n' must fit */
                        o->text[o->len++] = '\n';
                        o->truncated = true;
                        break;
                }
                o->text[o->len++] = c == '\n' ? '\n' : c < 0x20 || c >= 0x7f ? '?' : (char) c;
        }
}

static const char *join(const struct lastresort_output *o, const char *sep, char *buf, size_t size) {
        size_t k = 0, seplen = strlen(sep);
        if (size == 0)
                return buf;
        buf[0] = 0;
        for (size_t i = 0; i < o->len && k + 1 < size; i++) {
                bool last = i + 1 == o->len;
                if (o->text[i] != '\n') {
                        buf[k++] = o->text[i];
                        continue;
                }
                if (last)
                        break;
                for (size_t j = 0; j < seplen && k + 1 < size; j++)
                        buf[k++] = sep[j];
        }
        buf[k] = 0;
        return buf;
}

const char *lastresort_output_oneline(const struct lastresort_output *o, char *buf, size_t size) {
        return join(o, " | ", buf, size);
}

const char *lastresort_output_lines(const struct lastresort_output *o, char *buf, size_t size) {
        return join(o, "\n", buf, size);
}
