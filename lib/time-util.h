/* time-util.h: the clock units and the two clocks the daemon reads: the wall clock for what the engine
 * dates (events, Created, min_age), the monotonic one for intervals and the watchdog. */
#pragma once

#include <stdint.h>

#define NSEC_PER_SEC INT64_C(1000000000)
#define NSEC_PER_MSEC INT64_C(1000000)
#define NSEC_PER_USEC INT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)

/* The largest unix time in seconds whose nanoseconds fit an int64_t (2262-04-11). Engine times are
 * clamped to [0, TIME_UNIX_SEC_MAX] where they are decoded (time_clamp_unix_sec()). */
#define TIME_UNIX_SEC_MAX (INT64_MAX / NSEC_PER_SEC)

/* Seconds to nanoseconds, saturating at INT64_MIN / INT64_MAX instead of overflowing: every conversion of
 * a time or an age that comes from the engine (or the configuration) goes through these. */
int64_t time_sec_to_ns(int64_t sec);
int64_t time_age_sec_to_ns(uint64_t sec);
/* An engine's unix seconds (Created, an event's time, a Status age) clamped to [0, TIME_UNIX_SEC_MAX]: a
 * negative one reads as 0 (unknown), one past 2262 as TIME_UNIX_SEC_MAX. */
int64_t time_clamp_unix_sec(int64_t sec);

/* CLOCK_REALTIME as unix nanoseconds. */
int64_t now_realtime_ns(void);
/* The daemon's wall clock for ages: CLOCK_REALTIME plus offset_ns (saturating). offset_ns is 0 except in a
 * build with the CMake option DOCKERCLEAN_TEST_CLOCK (the test build, never the package's), where the
 * daemon reads it once at start from DOCKERCLEAN_TEST_CLOCK_OFFSET_SEC and passes it down as data
 * (struct daemon, struct cleanup_run_options): the ageing tests see "later" without sleeping. */
int64_t time_realtime_ns(int64_t offset_ns);
/* DOCKERCLEAN_TEST_CLOCK_OFFSET_SEC's value: whole seconds, 0 to TIME_TEST_CLOCK_OFFSET_MAX_SEC. Returns 0
 * with *ret_offset_ns set, or -EINVAL. */
#define TIME_TEST_CLOCK_OFFSET_MAX_SEC INT64_C(315360000) /* ten years */
int time_parse_clock_offset(const char *s, int64_t *ret_offset_ns);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t now_monotonic_usec(void);
