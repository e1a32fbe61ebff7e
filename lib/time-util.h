/* time-util.h: the clock units and the two clocks the daemon reads: the wall clock for what the engine
 * dates (events, Created, min_age), the monotonic one for intervals and the watchdog. */
#pragma once

#include <stdint.h>

#define NSEC_PER_SEC INT64_C(1000000000)
#define NSEC_PER_MSEC INT64_C(1000000)
#define NSEC_PER_USEC INT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)

/* CLOCK_REALTIME as unix nanoseconds. */
int64_t now_realtime_ns(void);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t now_monotonic_usec(void);
