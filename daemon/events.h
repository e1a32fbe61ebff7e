/* events.h: follows the engine's container and image events for the main loop.
 *
 * The stream blocks in libcurl, so a thread of its own reads it and queues the events; the loop polls
 * events_fd() and, when it is readable, takes them with events_drain() into the usage history and the
 * container stop times.
 *
 * Ownership: the loop owns the struct events (events_new() / events_free()) and is its only caller;
 * no function here may be called from another thread. The follower thread owns its own engine client
 * (never the daemon's, whose requests it would race), created by events_start() and freed by
 * events_stop(). The queue and its strings belong to struct events, shared with the thread under a
 * lock; events_drain() and events_stop() free what they take out of it. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

struct history;
struct stop_times;

struct events;

/* The queue and its eventfd, no thread yet. On success *ret is set; free with events_free(). */
int events_new(struct events **ret) _must_check_;
/* Stops the follower, drops what is still queued, closes the eventfd. NULL is fine. */
void events_free(struct events *t);
static inline void events_freep(struct events **t) {
        events_free(*t);
}

/* Readable (POLLIN) when there is something to drain: events, a dropped stream, a follower that ended. */
int events_fd(const struct events *t);

/* Starts following the engine at host (NULL = the default socket), from where the last stream stopped.
 * Only when not running. -errno if the client or the thread cannot be created. */
int events_start(struct events *t, const char *host, uid_t socket_owner) _must_check_;
/* Stops the follower and waits for it; what it queued since the last drain is dropped (the next
 * events_start() resumes from the last drained event, so it is not lost). No-op if not running. */
void events_stop(struct events *t);

/* What drained events may have done (some lost to a full queue count as both). */
#define EVENTS_GREW  1u                  /* grown disk use: a check should follow soon */
#define EVENTS_FREED 2u                  /* freed or unpinned something: an exhausted host may plan again */
/* Moves the queued events into h and st (either may be NULL) and returns their EVENTS_* effects;
 * *ret_dropped tells whether the stream failed since the last drain (is the engine gone?). */
unsigned events_drain(struct events *t, struct history *h, struct stop_times *st, bool *ret_dropped);

/* Restarts the follower if it gave up (it reconnects by itself after ordinary drops). 0, or what
 * events_start() failed with: then it is not running, and stays so. */
int events_revive(struct events *t, const char *host, uid_t socket_owner) _must_check_;
