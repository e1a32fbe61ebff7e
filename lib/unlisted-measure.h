/* unlisted-measure.h: read-only measuring of what lies under the engine's data root and is not listed by
 * the Engine API. Every walk opens each directory with openat(O_NOFOLLOW | O_DIRECTORY) below the one
 * before, stats with fstatat(AT_SYMLINK_NOFOLLOW), never follows a symbolic link, never crosses into
 * another filesystem, and stops at its time and entry bounds (then says so). Bytes are allocated
 * blocks (st_blocks * 512), as du counts them. Nothing here writes, truncates or removes anything. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* The bounds shared by the walks of one measurement. */
struct unlisted_walk {
        uint64_t deadline_usec;        /* CLOCK_MONOTONIC; 0 = none */
        size_t max_entries;            /* directory entries looked at, all walks together; 0 = none */
        size_t entries;                /* looked at so far */
        bool cut_short;                /* a bound was reached: figures since are floors */
};

/* The bytes and regular files under dirfd/name (a directory, or a single file). -ENOENT when absent,
 * -ELOOP / -ENOTDIR when it is a symbolic link. */
int unlisted_du_at(int dirfd, const char *name, struct unlisted_walk *w, uint64_t *ret_bytes, size_t *ret_files) _must_check_;
/* A container's log: the file log_path and its rotated siblings (log_path.1, log_path.2.gz, ...) in its
 * directory. */
int unlisted_log_bytes(const char *log_path, struct unlisted_walk *w, uint64_t *ret_bytes, size_t *ret_files) _must_check_;
/* unlisted_log_bytes() with a bound of its own (4096 entries of that directory), 0 when there is no
 * log_path or it cannot be measured: for a stopped container's estimate, which its log goes with. */
uint64_t unlisted_log_size(const char *log_path);
/* <root>/tmp. */
int unlisted_tmp_bytes(const char *root, struct unlisted_walk *w, uint64_t *ret_bytes) _must_check_;
/* The directories of <root>/overlay2 that the layer store's metadata does not name: neither a layer's
 * cache-id (<root>/image/overlay2/layerdb/sha256/X/cache-id) nor a container's mount-id or init-id
 * (layerdb/mounts/X/). "l" (the short links) is not a layer. -ENOENT when there is no such layer store
 * (another storage driver, the containerd image store). A layer being extracted at this moment has its
 * directory before its metadata: such a directory is counted too. */
int unlisted_overlay2_orphans(const char *root, struct unlisted_walk *w, uint64_t *ret_bytes, size_t *ret_count) _must_check_;
