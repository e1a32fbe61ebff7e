/* fileio.h: replacing a file so that readers and crashes see the old content or the new, never half, and
 * so that nobody but root can steer what root writes. */
#pragma once

#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

/* Writes what write_content() writes (0 or -errno) to a file created afresh and exclusively (O_EXCL, a
 * random name, O_NONBLOCK, O_NOFOLLOW) in path's directory, fsyncs it, renames it over path and fsyncs
 * the directory, so the rename is durable too.
 *
 * The directory, as opened and held, must be one only root (or the caller) can change: owned by root,
 * not writable by its group or others unless sticky (safe_path_check_dir()); else -EPERM and why says
 * why. In a sticky directory (as
 * /tmp) an existing path owned by someone else is not replaced (-EPERM), and an absent one is created
 * only if still absent. A name another user planted (the old "PATH.tmp", a FIFO, a link) is never
 * opened, adopted or removed.
 *
 * On failure the temporary file is removed and path is untouched (except when only the directory fsync
 * failed: then the new content is in place but may not survive a crash). Returns 0 or -errno: a write
 * error keeps its errno (-ENOSPC, -EDQUOT, -EIO). why (may be NULL) is "" unless a check refused. */
int fileio_write_atomic(const char *path, mode_t mode, int (*write_content)(FILE *f, const void *userdata),
                        const void *userdata, char *why, size_t why_size) _must_check_;

/* Opens (creating it 0600) dir/name for flock(), in a directory judged as fileio_write_atomic() judges it;
 * the file must be a regular file of the daemon's uid (a name another user planted is not used). Returns
 * the fd, or -EPERM (why says why) or -errno. */
int fileio_open_lock(const char *dir, const char *name, char *why, size_t why_size) _must_check_;

/* Whether dir is a directory fileio_write_atomic() writes in: 0, -EPERM (why says why) or -errno. */
int fileio_check_dir(const char *dir, char *why, size_t why_size) _must_check_;

/* Opens path for reading a file the daemon did not necessarily create: O_RDONLY|O_NONBLOCK|O_NOFOLLOW|
 * O_CLOEXEC (a FIFO cannot block, a link is not followed: -ELOOP), then it must be a regular file
 * (-EPERM otherwise, *ret_type says what it is, e.g. "a FIFO") of at most max_size bytes (-EFBIG).
 * Returns the FILE ("re"), or -errno. */
int fileio_open_regular(const char *path, size_t max_size, FILE **ret, const char **ret_type) _must_check_;

/* What a file of this st_mode is, for messages: "a regular file", "a directory", "a FIFO", "a socket"... */
const char *fileio_type_name(mode_t mode);
