/* safe-path.c: StrictModes-like checks of a file and the directories above it. */
#include "safe-path.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool trusted_owner(uid_t uid) {
        return uid == 0 || uid == geteuid();
}

/* One component: owned by a trusted user, and not writable by its group or others, unless it is a
 * sticky directory whose entry below (child, NULL for the file itself) is trusted. */
static int check_one(const char *path, const struct stat *st, const struct stat *child, char *why, size_t why_size) {
        if (!trusted_owner(st->st_uid))
                return snprintf(why, why_size, "%s is owned by uid %u, not root", path, (unsigned) st->st_uid), -EPERM;
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
                return 0;
        if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && child && trusted_owner(child->st_uid))
                return 0;
        return snprintf(why, why_size, "%s is writable by %s (mode %04o)", path,
                        st->st_mode & S_IWOTH ? "anyone" : "its group", (unsigned) (st->st_mode & 07777)),
               -EPERM;
}

int safe_path_check(const char *path, unsigned flags, char *why, size_t why_size) {
        struct stat st, child;
        int r;

        if (why_size > 0)
                why[0] = 0;
        if (!path || !*path)
                return snprintf(why, why_size, "no path"), -EINVAL;
        /* The directories that matter are those of the file actually opened, not of a link to it. */
        _cleanup_free_ char *real = realpath(path, NULL);
        if (!real) {
                r = negative_errno();
                return snprintf(why, why_size, "%s: %s", path, strerror(-r)), r;
        }
        if (stat(real, &st) < 0) {
                r = negative_errno();
                return snprintf(why, why_size, "%s: %s", real, strerror(-r)), r;
        }
        if (!S_ISREG(st.st_mode))
                return snprintf(why, why_size, "%s is not a regular file", real), -EPERM;
        if ((flags & SAFE_PATH_EXECUTABLE) && !(st.st_mode & S_IXUSR))
                return snprintf(why, why_size, "%s is not executable (mode %04o)", real, (unsigned) (st.st_mode & 07777)),
                       -EPERM;
        r = check_one(real, &st, NULL, why, why_size);
        if (r < 0)
                return r;

        /* Each directory above it, up to and including /. */
        for (char *slash = strrchr(real, '/'); slash;) {
                child = st;
                if (slash == real)
                        slash[1] = 0; /* "/" itself */
                else
                        *slash = 0;
                if (stat(real, &st) < 0) {
                        r = negative_errno();
                        return snprintf(why, why_size, "%s: %s", real, strerror(-r)), r;
                }
                r = check_one(real, &st, &child, why, why_size);
                if (r < 0)
                        return r;
                if (slash == real)
                        break;
                slash = strrchr(real, '/');
        }
        return 0;
}
