/* safe-path.c: StrictModes-like checks of a file and the directories above it.
 *
 * The path is resolved one component at a time, as the kernel would, so that every directory on the
 * way and every symbolic link met is judged where it lies: a link in a directory others can write could
 * be replaced after the check, and judging only the fully resolved path (realpath()) would miss it. */
#include "safe-path.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAFE_PATH_MAX_LINKS 40

bool safe_path_trusted_owner(uid_t uid) {
        return uid == 0 || uid == geteuid();
}

/* A directory on the way: owned by a trusted user and writable by nobody else, or sticky (then
 * *ret_sticky: its entry must be trusted, as nobody else can then rename or remove it). */
int safe_path_check_dir(const char *path, const struct stat *st, bool *ret_sticky, char *why, size_t why_size) {
        bool sticky_dummy;
        if (!ret_sticky)
                ret_sticky = &sticky_dummy;
        if (!safe_path_trusted_owner(st->st_uid))
                return snprintf(why, why_size, "%s is owned by uid %u, not root", path, (unsigned) st->st_uid), -EPERM;
        *ret_sticky = false;
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
                return 0;
        if (st->st_mode & S_ISVTX) {
                *ret_sticky = true;
                return 0;
        }
        return snprintf(why, why_size, "%s is writable by %s (mode %04o)", path, st->st_mode & S_IWOTH ? "anyone" : "its group",
                        (unsigned) (st->st_mode & 07777)),
               -EPERM;
}

int safe_path_check(const char *path, unsigned flags, char *why, size_t why_size) {
        char pending[2 * PATH_MAX + 2], done[PATH_MAX + 1] = "", dir_path[PATH_MAX + 1];
        struct stat st;
        bool sticky, root_sticky;
        unsigned links = 0;
        int r;

        if (why_size > 0)
                why[0] = 0;
        if (!path || !*path)
                return snprintf(why, why_size, "no path"), -EINVAL;
        if (path[0] == '/')
                r = snprintf(pending, sizeof pending, "%s", path);
        else {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof cwd))
                        return r = negative_errno(), snprintf(why, why_size, "%s: %s", path, strerror(-r)), r;
                r = snprintf(pending, sizeof pending, "%s/%s", cwd, path);
        }
        if (r < 0 || (size_t) r >= sizeof pending)
                return snprintf(why, why_size, "%.64s...: path too long", path), -ENAMETOOLONG;

        if (stat("/", &st) < 0)
                return r = negative_errno(), snprintf(why, why_size, "/: %s", strerror(-r)), r;
        r = safe_path_check_dir("/", &st, &root_sticky, why, why_size);
        if (r < 0)
                return r;
        sticky = root_sticky;

        char *rest = pending;
        for (;;) {
                /* The next component of what is left to resolve. */
                rest += strspn(rest, "/");
                if (!*rest)
                        return snprintf(why, why_size, "%s is not a regular file", done[0] ? done : "/"), -EPERM;
                size_t len = strcspn(rest, "/");
                char name[NAME_MAX + 1];
                if (len > NAME_MAX)
                        return snprintf(why, why_size, "%.64s...: name too long", rest), -ENAMETOOLONG;
                memcpy(name, rest, len);
                name[len] = 0;
                rest += len;
                bool last = rest[strspn(rest, "/")] == 0;

                if (streq(name, "."))
                        continue;
                if (streq(name, "..")) { /* back into a directory already judged */
                        char *slash = strrchr(done, '/');
                        if (slash)
                                *slash = 0;
                        /* the entry below it was trusted on the way down; its own parent's stickiness is not
                         * kept, so judge it again */
                        if (stat(done[0] ? done : "/", &st) < 0)
                                return r = negative_errno(), snprintf(why, why_size, "%s: %s", done, strerror(-r)), r;
                        r = safe_path_check_dir(done[0] ? done : "/", &st, &sticky, why, why_size);
                        if (r < 0)
                                return r;
                        continue;
                }
                char here[PATH_MAX + 1];
                if ((size_t) snprintf(here, sizeof here, "%s/%s", done, name) >= sizeof here)
                        return snprintf(why, why_size, "%.64s...: path too long", done), -ENAMETOOLONG;
                if (lstat(here, &st) < 0)
                        return r = negative_errno(), snprintf(why, why_size, "%s: %s", here, strerror(-r)), r;
                snprintf(dir_path, sizeof dir_path, "%s", done[0] ? done : "/");
                if (sticky && !safe_path_trusted_owner(st.st_uid))
                        return snprintf(why, why_size, "%s is owned by uid %u, not root, in %s, which anyone may write to", here,
                                        (unsigned) st.st_uid, dir_path),
                               -EPERM;

                if (S_ISLNK(st.st_mode)) {
                        /* A link is never changed, only replaced, which its directory decides; but its owner
                         * must be trusted for the sticky rule above. Splice its target into what is left. */
                        char target[PATH_MAX + 1], spliced[sizeof pending];
                        if (++links > SAFE_PATH_MAX_LINKS)
                                return snprintf(why, why_size, "%s: %s", path, strerror(ELOOP)), -ELOOP;
                        if (!safe_path_trusted_owner(st.st_uid))
                                return snprintf(why, why_size, "%s is a symbolic link owned by uid %u, not root", here,
                                                (unsigned) st.st_uid),
                                       -EPERM;
                        ssize_t n = readlink(here, target, sizeof target - 1);
                        if (n < 0)
                                return r = negative_errno(), snprintf(why, why_size, "%s: %s", here, strerror(-r)), r;
                        target[n] = 0;
                        if ((size_t) snprintf(spliced, sizeof spliced, "%s/%s", target, rest) >= sizeof spliced)
                                return snprintf(why, why_size, "%s: path too long", here), -ENAMETOOLONG;
                        memcpy(pending, spliced, sizeof pending);
                        rest = pending;
                        if (target[0] == '/') {
                                done[0] = 0;
                                sticky = root_sticky;
                        }
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        r = safe_path_check_dir(here, &st, &sticky, why, why_size);
                        if (r < 0)
                                return r;
                        memcpy(done, here, sizeof done);
                        continue;
                }
                if (!last)
                        return snprintf(why, why_size, "%s: %s", here, strerror(ENOTDIR)), -ENOTDIR;
                if (!S_ISREG(st.st_mode))
                        return snprintf(why, why_size, "%s is not a regular file", here), -EPERM;
                if (!safe_path_trusted_owner(st.st_uid))
                        return snprintf(why, why_size, "%s is owned by uid %u, not root", here, (unsigned) st.st_uid), -EPERM;
                if (st.st_mode & (S_IWGRP | S_IWOTH))
                        return snprintf(why, why_size, "%s is writable by %s (mode %04o)", here,
                                        st.st_mode & S_IWOTH ? "anyone" : "its group", (unsigned) (st.st_mode & 07777)),
                               -EPERM;
                if ((flags & SAFE_PATH_EXECUTABLE) && !(st.st_mode & S_IXUSR))
                        return snprintf(why, why_size, "%s is not executable (mode %04o)", here, (unsigned) (st.st_mode & 07777)),
                               -EPERM;
                return 0;
        }
}
