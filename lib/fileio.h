/* fileio.h: replacing a file so that readers and crashes see the old content or the new, never half. */
#pragma once

#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

/* Writes what write_content() writes (0 or -errno) to PATH.tmp in the same directory (O_NOFOLLOW: a
 * planted link is not followed), fsyncs it, renames it over path and fsyncs the directory, so the
 * rename is durable too. On failure the temporary file is removed and path is untouched (except when
 * only the directory fsync failed: then the new content is in place but may not survive a crash).
 * Returns 0 or -errno. */
int fileio_write_atomic(const char *path, mode_t mode, int (*write_content)(FILE *f, const void *userdata),
                        const void *userdata) _must_check_;
