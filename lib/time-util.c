/* time-util.c: the clock readers (see time-util.h). */
#include "time-util.h"

#include <errno.h>
#include <stdlib.h>
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

int64_t time_realtime_ns(int64_t offset_ns) {
        int64_t now = now_realtime_ns();
        return offset_ns > INT64_MAX - now ? INT64_MAX : now + offset_ns;
}

int time_parse_clock_offset(const char *s, int64_t *ret_offset_ns) {
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        char *end = NULL;
        errno = 0;
        unsigned long long sec = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || sec > (unsigned long long) TIME_TEST_CLOCK_OFFSET_MAX_SEC)
                return -EINVAL;
        *ret_offset_ns = (int64_t) sec * NSEC_PER_SEC;
        return 0;
}

uint64_t now_monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) (ts.tv_nsec / NSEC_PER_USEC);
}
