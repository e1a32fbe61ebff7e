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
/* CLOCK_MONOTONIC in microseconds. */
uint64_t now_monotonic_usec(void);
