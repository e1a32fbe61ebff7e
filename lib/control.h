/* control.h: the control socket's protocol and the decisions behind --ensure-free (pure).
 *
 * One request per connection, one JSON object on one line (at most CONTROL_MESSAGE_MAX bytes), one
 * answer likewise, then the daemon closes:
 *   {"op":"ensure-free","bytes":21474836480,"path":"/var/lib/docker"}     path optional
 *   {"op":"lease","images":["app:1","sha256:..."],"seconds":7200}
 *   {"op":"release","lease":"0123456789abcdef"}
 *   {"status":"ok"|"not-now"|"never"|"refused"|"invalid","free":N,"reason":"one line","lease":"ID"}
 *   (lease only in the answer to a lease)
 * Requests whose room is not there wait for a cleanup; every waiting request is served by one cleanup
 * whose target is the largest of theirs (control_round()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "macro.h"
#include "usage.h"

#define CONTROL_MESSAGE_MAX 4096

enum control_op {
        CONTROL_OP_ENSURE_FREE,
        CONTROL_OP_LEASE,
        CONTROL_OP_RELEASE,
        _CONTROL_OP_MAX,
};

struct control_request {
        enum control_op op;
        uint64_t bytes;                  /* free bytes wanted */
        char *path;                      /* owned; NULL = every engine filesystem */
        char **images;                   /* lease: owned, NULL-terminated, 1..CONTROL_LEASE_IMAGES_MAX */
        uint64_t seconds;                /* lease: how long, 1..CONTROL_LEASE_SECONDS_MAX */
        char lease[24];                  /* release: the lease id */
};
#define CONTROL_LEASE_IMAGES_MAX 32
#define CONTROL_LEASE_SECONDS_MAX (7 * 24 * 3600)

enum control_status {
        CONTROL_STATUS_OK,               /* the room is there */
        CONTROL_STATUS_NOT_NOW,          /* a cleanup by the policy could not make it */
        CONTROL_STATUS_NEVER,            /* more than the filesystem can ever have free */
        CONTROL_STATUS_REFUSED,          /* the caller may not ask */
        CONTROL_STATUS_INVALID,          /* malformed request */
        _CONTROL_STATUS_MAX,
};

struct control_reply {
        enum control_status status;
        uint64_t free_bytes;             /* on the filesystem answered for (the one with least free) */
        char reason[512];                /* "" for ok */
        char lease[24];                  /* the lease taken; "" otherwise */
};

/* Parses one request (text need not be NUL-terminated; n <= CONTROL_MESSAGE_MAX). On failure writes why
 * (one line) and returns -EINVAL (or -ENOMEM); *ret is set only on success: free with
 * control_request_done(). */
int control_request_parse(const char *text, size_t n, struct control_request *ret, char *why, size_t why_size) _must_check_;
void control_request_done(struct control_request *r);
/* Formats a request or a reply as one line ending in '\n' into buf; -ENOBUFS when it does not fit. */
int control_request_format(const struct control_request *r, char *buf, size_t size) _must_check_;
int control_reply_format(const struct control_reply *r, char *buf, size_t size) _must_check_;
int control_reply_parse(const char *text, size_t n, struct control_reply *ret) _must_check_;

const char *control_status_to_string(enum control_status s);

/* Where a request stands on the measured filesystems. */
enum control_verdict {
        CONTROL_VERDICT_MET,             /* every filesystem it covers has the free bytes */
        CONTROL_VERDICT_NEVER,           /* one of them cannot have them even with everything freed */
        CONTROL_VERDICT_WAIT,            /* a cleanup may make them */
        _CONTROL_VERDICT_MAX,
};

/* What one request covers: the index of its filesystem in the set, or -1 for all of them. */
struct control_want {
        uint64_t bytes;
        int fs;
};

enum control_verdict control_judge(const struct usage_set *s, const struct control_want *w);
/* The filesystem of w with the least free bytes (its answer names it). */
size_t control_tightest(const struct usage_set *s, const struct control_want *w);

/* One cleanup for every waiting request: *ret_bytes the largest of their wants, ret_fs[i] whether
 * filesystem i is in one of them. Returns how many wait (0: no cleanup is needed). */
size_t control_round(const struct control_want *wants, size_t n, const struct usage_set *s, uint64_t *ret_bytes,
                     bool ret_fs[static USAGE_SET_MAX]);
