/* macro.h: scope-cleanup helpers and small utilities shared by every module. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
/* For what returns -errno: ignoring it must be a decision, written "(void) !f()" with a comment why (GCC
 * does not take a plain (void) cast for this attribute). */
#define _must_check_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}
static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno; /* close() in a cleanup must not clobber the caller's errno */
                close(*fd);
                errno = saved;
        }
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand a pointer out of a cleanup scope: returns it and leaves NULL behind. */
#define TAKE_PTR(p)                             \
        ({                                      \
                __typeof__(p) _taken_ = (p);    \
                (p) = NULL;                     \
                _taken_;                        \
        })
#define TAKE_FD(fd)                             \
        ({                                      \
                int _taken_fd_ = (fd);          \
                (fd) = -1;                      \
                _taken_fd_;                     \
        })

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static inline bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* calloc() of n items, but of one when n is 0: an empty list is then not NULL, which reads as out of memory. */
static inline void *calloc_at_least_one(size_t n, size_t size) {
        return calloc(MAX(n, (size_t) 1), size);
}

/* errno as a negative return value, never 0 even if errno was not set. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
