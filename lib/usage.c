#include "usage.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

void usage_from_counts(uint64_t frsize, uint64_t blocks, uint64_t bfree, uint64_t bavail, uint64_t files,
                       uint64_t ffree, uint64_t favail, struct usage *ret) {
        struct usage u = {
                .total_bytes = blocks * frsize,
                .used_bytes = (blocks >= bfree ? blocks - bfree : 0) * frsize,
                .free_bytes = bavail * frsize,
                .total_inodes = files,
                .free_inodes = favail,
        };
        /* df's Use%: the root-reserved blocks count neither as used nor as available. */
        uint64_t denom = u.used_bytes + u.free_bytes;
        u.used_percent = denom ? 100.0 * (double) u.used_bytes / (double) denom : 0.0;
        u.inodes_used_percent = files ? 100.0 * (double) (files - (ffree <= files ? ffree : files)) / (double) files : 0.0;
        *ret = u;
}

int usage_measure(const char *path, struct usage *ret) {
        struct statvfs s;
        if (!path || !*path)
                return -EINVAL;
        if (statvfs(path, &s) < 0)
                return errno > 0 ? -errno : -EIO;
        usage_from_counts(s.f_frsize ? s.f_frsize : s.f_bsize, s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree,
                          s.f_favail, ret);
        return 0;
}

void usage_after_freeing(const struct usage *u, uint64_t freed, struct usage *ret) {
        struct usage n = *u;
        uint64_t f = freed < n.used_bytes ? freed : n.used_bytes;
        n.used_bytes -= f;
        n.free_bytes += f;
        uint64_t denom = n.used_bytes + n.free_bytes;
        n.used_percent = denom ? 100.0 * (double) n.used_bytes / (double) denom : 0.0;
        *ret = n;
}

int usage_set_add(struct usage_set *s, const char *path) {
        struct stat st;
        if (!path || !*path)
                return -EINVAL;
        if (stat(path, &st) < 0)
                return errno > 0 ? -errno : -EIO;
        for (size_t i = 0; i < s->n; i++)
                if (s->fs[i].dev == st.st_dev)
                        return 0;
        if (s->n == USAGE_SET_MAX)
                return -E2BIG;
        s->fs[s->n++] = (struct usage_fs){ .path = path, .dev = st.st_dev };
        return 1;
}

int usage_set_measure(struct usage_set *s, size_t *ret_failed) {
        for (size_t i = 0; i < s->n; i++) {
                int r = usage_measure(s->fs[i].path, &s->fs[i].usage);
                if (r < 0) {
                        if (ret_failed)
                                *ret_failed = i;
                        return r;
                }
        }
        return 0;
}

uint64_t usage_set_freed(const struct usage_set *before, const struct usage_set *after) {
        uint64_t freed = 0;
        for (size_t i = 0; i < before->n && i < after->n; i++)
                if (after->fs[i].usage.free_bytes > before->fs[i].usage.free_bytes)
                        freed += after->fs[i].usage.free_bytes - before->fs[i].usage.free_bytes;
        return freed;
}
