/* log.h: the daemon's only way to speak. Under systemd (stderr is the journal stream, JOURNAL_STREAM)
 * records go to the journal with structured fields and a MESSAGE_ID; elsewhere they are human-readable
 * lines on stderr. lib/ never logs: the daemon logs once, at the boundary. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "macro.h"

enum log_target {
        LOG_TARGET_AUTO,    /* journal when JOURNAL_STREAM names our stderr, console otherwise */
        LOG_TARGET_JOURNAL,
        LOG_TARGET_CONSOLE,
};

/* One structured field: KEY must be upper case journal-field syntax, e.g. "DOCKERCLEAN_TIER". */
struct log_field {
        const char *key;
        const char *value;
};

void log_setup(enum log_target target, int max_priority);
void log_set_max_priority(int max_priority);
bool log_to_journal(void);
int log_target_from_string(const char *s) _must_check_; /* -EINVAL if unknown */

/* Logs one record. message_id may be NULL; fields may be NULL (n_fields 0). Returns nothing: a log
 * failure must never stop a cleanup. */
void log_structured(int priority, const char *message_id, const struct log_field *fields, size_t n_fields,
                    const char *format, ...) __attribute__((format(printf, 5, 6)));

#define log_msg(prio, ...) log_structured((prio), NULL, NULL, 0, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
