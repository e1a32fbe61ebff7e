#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "config.h"
#include "macro.h"

/* The daemon is single-threaded where it logs; these are the program's settings, not a test seam. */
static bool use_journal;
static int max_prio = LOG_INFO;

static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(enum log_target target, int max_priority) {
        use_journal = target == LOG_TARGET_JOURNAL || (target == LOG_TARGET_AUTO && stderr_is_journal());
        max_prio = max_priority;
}

void log_set_max_priority(int max_priority) {
        max_prio = max_priority;
}

bool log_to_journal(void) {
        return use_journal;
}

int log_target_from_string(const char *s) {
        if (streq(s, "auto"))
                return LOG_TARGET_AUTO;
        if (streq(s, "journal"))
                return LOG_TARGET_JOURNAL;
        if (streq(s, "console") || streq(s, "stderr"))
                return LOG_TARGET_CONSOLE;
        return -EINVAL;
}

void log_structured(int priority, const char *message_id, const struct log_field *fields, size_t n_fields,
                    const char *format, ...) {
        if (priority > max_prio)
                return;

        int saved_errno = errno;
        char message[2048];
        va_list ap;
        va_start(ap, format);
        vsnprintf(message, sizeof message, format, ap);
        va_end(ap);

        if (!use_journal) {
                /* Console: the level as a word for what matters, the message, then key=value fields. */
                if (priority <= LOG_WARNING)
                        fprintf(stderr, "%s: ", priority <= LOG_ERR ? "error" : "warning");
                fputs(message, stderr);
                fputc('\n', stderr);
                fflush(stderr);
                errno = saved_errno;
                return;
        }

        /* MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, MESSAGE_ID and the fields; each "KEY=value" is built in one
         * heap block so values of any length pass. */
        size_t n = 0, cap = 4 + n_fields;
        _cleanup_free_ struct iovec *iov = calloc(cap, sizeof *iov);
        _cleanup_free_ char **bufs = calloc(cap, sizeof *bufs);
        if (!iov || !bufs) {
                errno = saved_errno;
                return;
        }
        if (asprintf(&bufs[n], "MESSAGE=%s", message) >= 0)
                n++;
        if (asprintf(&bufs[n], "PRIORITY=%d", priority) >= 0)
                n++;
        if (asprintf(&bufs[n], "SYSLOG_IDENTIFIER=%s", "dockercleand") >= 0)
                n++;
        if (message_id && asprintf(&bufs[n], "MESSAGE_ID=%s", message_id) >= 0)
                n++;
        for (size_t i = 0; i < n_fields; i++)
                if (fields[i].key && fields[i].value &&
                    asprintf(&bufs[n], "%s=%s", fields[i].key, fields[i].value) >= 0)
                        n++;
        for (size_t i = 0; i < n; i++)
                iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = strlen(bufs[i]) };
        if (sd_journal_sendv(iov, (int) n) < 0) {
                /* No journal after all: do not lose the record. */
                fprintf(stderr, "%s\n", message);
        }
        for (size_t i = 0; i < n; i++)
                free(bufs[i]);
        errno = saved_errno;
}
