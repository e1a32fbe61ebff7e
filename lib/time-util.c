/* time-util.c: the clock readers (see time-util.h). */
#include "time-util.h"

#include <time.h>

int64_t time_sec_to_ns(int64_t sec) {
        if (sec > TIME_UNIX_SEC_MAX)
                return INT64_MAX;
        if (sec < INT64_MIN / NSEC_PER_SEC)
                return INT64_MIN;
        return sec * NSEC_PER_SEC;
}

int64_t time_age_sec_to_ns(uint64_t sec) {
        return sec > (uint64_t) TIME_UNIX_SEC_MAX ? INT64_MAX : (int64_t) sec * NSEC_PER_SEC;
}

int64_t time_clamp_unix_sec(int64_t sec) {
        return sec < 0 ? 0 : sec > TIME_UNIX_SEC_MAX ? TIME_UNIX_SEC_MAX : sec;
}

int64_t now_realtime_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

uint64_t now_monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) (ts.tv_nsec / NSEC_PER_USEC);
}
