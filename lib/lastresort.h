/* lastresort.h: the pure parts of exhausted_command, the operator's last resort when every tier is
 * exhausted and a trigger still holds: the environment it gets (only figures dockercleand measured
 * itself, never a string from the engine) and the first lines of its output, kept for the journal. The
 * process itself is run by the daemon (daemon/lastresort-run.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct lastresort_facts {
        double used_percent;         /* of the filesystem that needs the most */
        uint64_t free_bytes;
        const char *path;            /* that filesystem, as measured (borrowed) */
        uint64_t reclaimed_bytes;    /* by the cleanup that left every tier exhausted */
};

/* Whether path can be handed to a command that may use it unquoted in a shell: absolute, and made only
 * of letters, digits and / . _ - + : @ , = (no spaces, quotes, globs, $, ;, control characters). */
bool lastresort_path_is_plain(const char *path);

/* The command's environment: parent's (NULL = none) without what belongs to dockercleand's own
 * relationship with systemd (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*, JOURNAL_STREAM) and without any
 * DOCKERCLEAN_* variable, plus DOCKERCLEAN_USED_PERCENT ("91.25"), DOCKERCLEAN_FREE_BYTES,
 * DOCKERCLEAN_RECLAIMED_BYTES and DOCKERCLEAN_PATH (left out when the path is not plain). On success
 * *ret_env is a NULL-terminated array (strv_free()) and *ret_path_passed (may be NULL) says whether
 * DOCKERCLEAN_PATH is in it. */
int lastresort_env(const struct lastresort_facts *f, const char *const *parent, char ***ret_env, bool *ret_path_passed) _must_check_;

/* The first lines the command writes (stdout and stderr together). */
#define LASTRESORT_OUTPUT_LINES 10
#define LASTRESORT_OUTPUT_MAX 2048
struct lastresort_output {
        char text[LASTRESORT_OUTPUT_MAX]; /* kept lines, each ended by '\n'; control characters and bytes
                                            * that are not printable ASCII as '?' */
        size_t len;
        unsigned lines;                   /* lines started in text */
        bool truncated;                   /* more output followed what is kept */
        uint64_t total_bytes;             /* everything written */
};
/* Takes the next n bytes of output; what does not fit is only counted. */
void lastresort_output_feed(struct lastresort_output *o, const char *buf, size_t n);
/* The kept lines on one line, joined by " | " (for the message); "" when there was none. Returns buf. */
const char *lastresort_output_oneline(const struct lastresort_output *o, char *buf, size_t size);
/* The kept lines, '\n'-separated without a final one (for the DOCKERCLEAN_OUTPUT field). Returns buf. */
const char *lastresort_output_lines(const struct lastresort_output *o, char *buf, size_t size);
