/* engine-bytes.h: disk.max_engine_bytes, a limit on what the engine itself uses (images, containers' writable
 * layers, volumes, build cache, as /system/df reports them), beside the filesystem's thresholds.
 *
 * /system/df is expensive (on 20.10 it walks every writable layer), so it is asked only when due: every
 * part at most every disk.engine_usage_interval, and, shortly after growth events, the parts events can
 * report growth in (images, build cache, volumes: a container's writable layer grows without any event,
 * so containers wait for the interval), at most once per check interval. A cleanup's own snapshot brings every part on
 * engines before API 1.42, and images, build cache (and volumes, with that tier) from 1.42; between
 * measurements, each removal's bytes (the engine's own figure, else the plan's estimate) are subtracted
 * from its part, never measured again after every removal. Pure: no I/O, no clock; times are passed in. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "policy.h"

struct engine_bytes_parts {
        uint64_t images;               /* LayersSize */
        uint64_t containers;           /* SizeRw, summed */
        uint64_t volumes;              /* UsageData.Size of those the engine sized, summed */
        uint64_t build_cache;          /* records not shared, summed (as docker system df counts them) */
};

struct engine_bytes {
        uint64_t max_bytes, target_bytes;  /* disk.max_engine_bytes (0 = off), disk.target_engine_bytes */
        uint64_t interval_usec;        /* disk.engine_usage_interval */
        uint64_t event_gap_usec;       /* interval: growth events bring the cheap parts at most this often */
        bool known;                    /* every part was measured at least once */
        struct engine_bytes_parts parts;     /* as last measured, less what was freed since */
        uint64_t measured_usec;        /* CLOCK_MONOTONIC of the last measurement of every part; 0 = never */
        uint64_t refreshed_usec;       /* ... of the last one of any part */
        bool grew;                     /* growth events since the last measurement */
        uint64_t freed_since;          /* bytes subtracted since the last measurement */
};

/* Takes the configuration's figures (a reload keeps what was measured). */
void engine_bytes_configure(struct engine_bytes *b, const struct config *c);
bool engine_bytes_enabled(const struct engine_bytes *b);
/* The parts one /system/df answer holds (df->types; an older engine's answer holds every part). */
unsigned engine_bytes_df_types(const struct engine_df *df);
void engine_bytes_parts_from_df(const struct engine_df *df, struct engine_bytes_parts *ret);
/* Which parts to ask /system/df for now (a set of enum engine_df_type), 0 = none: every part when
 * none is known yet or disk.engine_usage_interval passed since every part was; after growth events the
 * images, build cache and volumes, at most once per event_gap_usec; nothing when the limit is off. */
unsigned engine_bytes_due(const struct engine_bytes *b, uint64_t now_usec);
/* A /system/df answered: its parts replace what was known (or subtracted). */
void engine_bytes_measured(struct engine_bytes *b, const struct engine_df *df, uint64_t now_usec);
void engine_bytes_note_grew(struct engine_bytes *b);
/* A removal of this kind freed bytes: subtracted from its part (never below 0). */
void engine_bytes_freed(struct engine_bytes *b, enum policy_action_kind kind, uint64_t bytes);

uint64_t engine_bytes_used(const struct engine_bytes *b);
/* At or above max_bytes: a cleanup is due. False while off or unknown. */
bool engine_bytes_over(const struct engine_bytes *b);
/* Below target_bytes (or off, unknown, or b NULL): the limit asks nothing more of a cleanup. */
bool engine_bytes_met(const struct engine_bytes *b);
/* Bytes to free to get below target_bytes; 0 when met. */
uint64_t engine_bytes_needed(const struct engine_bytes *b);
/* The plan as the limit sees it: n_to_target covers the engine bytes' need too (the fewest leading actions
 * whose estimates add up to it), and bytes_needed is the larger need; unreachable when the whole plan's
 * estimate falls short. Nothing changes when the limit is met or b is NULL. */
void engine_bytes_adjust_plan(const struct engine_bytes *b, struct policy_plan *plan);
