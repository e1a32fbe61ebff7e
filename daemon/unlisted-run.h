/* unlisted-run.h: measuring where the bytes the engine does not list are (lib/unlisted*.h), for
 * --report, when a cleanup ends exhausted, and at most every interval while exhausted; never while idle. */
#pragma once

#include <stdbool.h>

#include "unlisted.h"

/* where the bytes are (warning), right after every tier exhausted: the largest source with its remedy.
 * DOCKERCLEAN_PATH, _UNLISTED_SOURCE, _UNLISTED_NAME, _UNLISTED_BYTES, _UNLISTED_CUT_SHORT=1 when a walk was
 * cut short. (The unexplained rest needs /system/df: --report's, not this record's.) */
#define RECORD_MID_UNLISTED "be0e7d15624a46ba9588b815ac9a24b8"

/* Bounds of one measurement: walks stop after this long or this many entries, and say so. */
#define DAEMON_UNLISTED_TIME_USEC (20ULL * 1000000ULL)
#define DAEMON_UNLISTED_ENTRIES_MAX 2000000u
/* Container logs named one by one in the report; the rest are summed. */
#define DAEMON_UNLISTED_LOGS_SHOWN 10
/* The largest logs inspected for their LogPath, driver and max-size: one request each, so a host with
 * thousands of containers costs a listing and this many inspects, not one per container. */
#define DAEMON_UNLISTED_INSPECTS 10

struct daemon;
struct engine_df;
/* Measures DockerRootDir's filesystem (d->fs.fs[0], measured before): the engine's own bytes from df (NULL:
 * not asked; then no unexplained figure, and the builders' volumes are walked), then
 * container logs (a listing, a look into each container's directory, an inspect of the largest), tmp,
 * builders and orphaned overlay2 directories.
 * A source that cannot be measured is left out (said at debug). */
int daemon_unlisted_measure(struct daemon *d, const struct engine_df *df, struct unlisted_report *ret);
/* --report: the breakdown, largest first. */
void daemon_unlisted_print(const struct daemon *d, const struct unlisted_report *r);
/* A cleanup ended exhausted (first: the episode's first time; else only when an interval has passed since
 * the last measurement): measures, keeps the report for the metrics, and on first says the record. */
void daemon_unlisted_exhausted(struct daemon *d, bool first);
/* The episode ended: the last measurement is dropped (no more metric series from it). */
void daemon_unlisted_forget(struct daemon *d);
