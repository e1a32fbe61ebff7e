/* usage.h: how full the filesystem holding Docker's data is (statvfs; microseconds, no engine call). */
#pragma once

#include <stdint.h>

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
