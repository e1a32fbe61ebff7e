/* usage.h: how full the filesystem holding Docker's data is (statvfs; microseconds, no engine call). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

struct usage {
        uint64_t total_bytes;          /* f_blocks * f_frsize */
        uint64_t used_bytes;           /* (f_blocks - f_bfree) * f_frsize */
        uint64_t free_bytes;           /* available to unprivileged users: f_bavail * f_frsize */
        double used_percent;           /* as df shows it: used / (used + available) * 100 */
        uint64_t total_inodes;         /* 0 on filesystems without fixed inodes (btrfs): no inode figures */
        uint64_t free_inodes;          /* f_favail */
        double inodes_used_percent;    /* (files - ffree) / files * 100; 0 when total_inodes is 0 */
};

/* Measures the filesystem that holds `path`. */
int usage_measure(const char *path, struct usage *ret) _must_check_;
/* Fills *ret from raw statvfs-like figures (for tests and the planner's estimates). */
void usage_from_counts(uint64_t frsize, uint64_t blocks, uint64_t bfree, uint64_t bavail, uint64_t files,
                       uint64_t ffree, uint64_t favail, struct usage *ret);
/* The usage after `freed` more bytes are available (inodes unchanged): the planner's estimate. */
void usage_after_freeing(const struct usage *u, uint64_t freed, struct usage *ret);

/* The filesystems that hold engine data (DockerRootDir, containerd's root, what disk.paths lists), each
 * measured once: paths on the same filesystem are one entry, named by the first. Paths are borrowed. */
#define USAGE_SET_MAX 8
struct usage_fs {
        const char *path;
        dev_t dev;
        struct usage usage;
};
struct usage_set {
        struct usage_fs fs[USAGE_SET_MAX];
        size_t n;
};

/* Adds the filesystem holding path (stat) unless one already in s holds it: returns 1 when added, 0 when
 * it was there, -E2BIG when s is full, -errno from stat. */
int usage_set_add(struct usage_set *s, const char *path);
/* Measures every filesystem of s; the first failure stops it and is returned (that entry's usage stays),
 * with its index in *ret_failed (may be NULL; set only on failure). */
int usage_set_measure(struct usage_set *s, size_t *ret_failed);
/* Bytes that became free between two measurements of the same set, summed over its filesystems. */
uint64_t usage_set_freed(const struct usage_set *before, const struct usage_set *after);
