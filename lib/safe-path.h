/* safe-path.h: whether a file may be trusted to decide what runs as root, like sshd's StrictModes: the
 * file, every directory on the way to it and every symbolic link met (each where it lies) belong to root
 * (or to the calling user), and the file and the directories are writable by nobody else. A group- or world-writable directory is accepted only when it
 * has the sticky bit (as /tmp) and the entry below it is trusted: then nobody else can rename or remove
 * that entry. Reads the filesystem (lstat/stat), never writes; no logging. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "macro.h"

/* The file must be a regular file (always) and executable by its owner (with this flag). */
#define SAFE_PATH_EXECUTABLE 1u

/* 0 when path (relative ones from the working directory) can be trusted; otherwise -EPERM (someone else
 * can change it) or what resolving it failed with (-ENOENT, ...), and why says which component and why, e.g.
 * "/srv/bin is writable by its group (mode 0775)". why is always a NUL-terminated string. */
int safe_path_check(const char *path, unsigned flags, char *why, size_t why_size) _must_check_;

/* The rule for one directory, from its stat: 0 when it is owned by root or the caller and writable by
 * nobody else, or sticky (then *ret_sticky, may be NULL: an entry in it is safe only when that entry is
 * trusted too); -EPERM and why ("NAME is writable by its group (mode 0775)") otherwise. */
int safe_path_check_dir(const char *name, const struct stat *st, bool *ret_sticky, char *why, size_t why_size) _must_check_;
/* Whether an entry owned by uid may stay in a sticky directory (root's or the caller's). */
bool safe_path_trusted_owner(uid_t uid);
