/* episode.h: when a host stays above a trigger with nothing left to remove, planning again at every
 * interval only repeats a full snapshot and an expensive /system/df. An exhausted episode starts with the
 * first cleanup that leaves a trigger holding with every tier exhausted, and lasts until a check finds
 * every trigger clear or a cleanup meets its targets. Within it, a new plan is due only when something can
 * have changed. Pure: no I/O, no clock; times are unix nanoseconds passed in. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "usage.h"

#define EPISODE_BACKOFF_MAX_SEC 3600

struct episode {
        bool active;
        int64_t planned_ns;              /* the last plan that found nothing more to remove */
        double planned_used_percent;     /* usage then */
        int64_t next_eligible_ns;        /* when the next too-young candidate is old enough; 0 = none */
        uint64_t backoff_sec;            /* how long after planned_ns a plan is due anyway */
        bool freed;                      /* an engine event freed or unpinned something since planned_ns */
};

enum episode_replan {
        EPISODE_REPLAN_NO,
        EPISODE_REPLAN_FREED,            /* a container died or went, an image was untagged or deleted, ... */
        EPISODE_REPLAN_GREW,             /* usage grew by at least a point */
        EPISODE_REPLAN_ELIGIBLE,         /* a candidate that was too young is old enough now */
        EPISODE_REPLAN_BACKOFF,          /* the back-off ran out */
        _EPISODE_REPLAN_MAX,
};

/* A cleanup left a trigger holding with nothing more it may remove: starts the episode (returns true, so
 * the caller says so once) or, within one, doubles the back-off from interval_sec up to an hour (false). */
bool episode_exhausted(struct episode *e, const struct usage *u, int64_t now_ns, int64_t next_eligible_ns,
                       uint64_t interval_sec);
/* Whether a check within the episode should plan again, and why. Outside an episode: always due. */
enum episode_replan episode_replan_due(const struct episode *e, const struct usage *u, int64_t now_ns);
/* The triggers are clear or the targets were met: the episode is over. */
void episode_end(struct episode *e);
/* An engine event freed or unpinned something. */
void episode_note_freed(struct episode *e);
/* When a plan is due at the latest (planned_ns + backoff), for the caller's message. */
int64_t episode_deadline_ns(const struct episode *e);

/* "an engine event freed something", ...; NULL if out of range. */
const char *episode_replan_to_string(enum episode_replan r);
