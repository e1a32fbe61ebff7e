/* unlisted-measure.c: read-only walks under the data root (see unlisted-measure.h). */
#include "unlisted-measure.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strv.h"
#include "time-util.h"

/* Deeper than any layer's tree we expect; a deeper one is cut short rather than costing fds. */
#define WALK_DEPTH_MAX 64
/* The metadata files read (an id, 64 hex digits and a newline). */
#define ID_FILE_MAX 256

static bool walk_over(struct unlisted_walk *w) {
        if (w->cut_short)
                return true;
        if ((w->max_entries && w->entries >= w->max_entries) || (w->deadline_usec && now_monotonic_usec() >= w->deadline_usec))
                w->cut_short = true;
        return w->cut_short;
}

static int open_dir_at(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

static uint64_t st_bytes(const struct stat *st) {
        return (uint64_t) st->st_blocks * 512u;
}

/* Sums the tree of the open directory fd (closed here). */
static void du_dir(int fd, dev_t dev, unsigned depth, struct unlisted_walk *w, uint64_t *bytes, size_t *files) {
        DIR *dir = fdopendir(fd);
        if (!dir) {
                close(fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(dir))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (walk_over(w))
                        break;
                w->entries++;
                struct stat st;
                if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* gone meanwhile */
                if (st.st_dev != dev)
                        continue; /* a mount point: another filesystem's bytes */
                *bytes += st_bytes(&st);
                if (S_ISREG(st.st_mode))
                        (*files)++;
                if (!S_ISDIR(st.st_mode))
                        continue;
                if (depth >= WALK_DEPTH_MAX) {
                        w->cut_short = true;
                        continue;
                }
                int sub = open_dir_at(dirfd(dir), de->d_name);
                if (sub >= 0)
                        du_dir(sub, dev, depth + 1, w, bytes, files);
        }
        closedir(dir);
}

int unlisted_du_at(int dirfd, const char *name, struct unlisted_walk *w, uint64_t *ret_bytes, size_t *ret_files) {
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        uint64_t bytes = st_bytes(&st);
        size_t files = S_ISREG(st.st_mode);
        if (S_ISDIR(st.st_mode)) {
                int fd = open_dir_at(dirfd, name);
                if (fd < 0)
                        return fd;
                du_dir(fd, st.st_dev, 1, w, &bytes, &files);
        }
        *ret_bytes = bytes;
        if (ret_files)
                *ret_files = files;
        return 0;
}

int unlisted_log_bytes(const char *log_path, struct unlisted_walk *w, uint64_t *ret_bytes, size_t *ret_files) {
        if (!log_path || log_path[0] != '/')
                return -EINVAL;
        const char *slash = strrchr(log_path, '/');
        const char *base = slash + 1;
        size_t blen = strlen(base);
        if (blen == 0)
                return -EINVAL;
        _cleanup_free_ char *dir = strndup(log_path, (size_t) (slash - log_path) + (slash == log_path));
        if (!dir)
                return -ENOMEM;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        uint64_t bytes = 0;
        size_t files = 0;
        bool found = false;
        struct dirent *de;
        while ((de = readdir(d))) {
                /* The log and its rotations: "x-json.log", "x-json.log.1", "x-json.log.2.gz". */
                if (strncmp(de->d_name, base, blen) != 0 || (de->d_name[blen] != 0 && de->d_name[blen] != '.'))
                        continue;
                if (walk_over(w))
                        break;
                w->entries++;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                found = true;
                bytes += st_bytes(&st);
                files++;
        }
        closedir(d);
        if (!found)
                return -ENOENT;
        *ret_bytes = bytes;
        if (ret_files)
                *ret_files = files;
        return 0;
}

uint64_t unlisted_log_size(const char *log_path) {
        struct unlisted_walk w = { .max_entries = 4096 };
        uint64_t bytes = 0;
        if (!log_path || !*log_path || unlisted_log_bytes(log_path, &w, &bytes, NULL) < 0)
                return 0;
        return bytes;
}

int unlisted_tmp_bytes(const char *root, struct unlisted_walk *w, uint64_t *ret_bytes) {
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        int r = unlisted_du_at(fd, "tmp", w, ret_bytes, NULL);
        close(fd);
        return r;
}

/* The first line of dirfd/name, at most ID_FILE_MAX bytes, into *ret (owned). */
static int read_id_at(int dirfd, const char *name, char **ret) {
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EBADMSG;
        }
        char buf[ID_FILE_MAX + 1];
        ssize_t k = read(fd, buf, ID_FILE_MAX);
        close(fd);
        if (k <= 0)
                return k < 0 ? -errno : -EBADMSG;
        buf[k] = 0;
        buf[strcspn(buf, "\r\n \t")] = 0;
        if (!buf[0] || strchr(buf, '/'))
                return -EBADMSG;
        char *s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Appends id (taken, freed on failure) to the NULL-terminated *ids. */
static int ids_append(char ***ids, size_t *n, size_t *allocated, char *id) {
        if (*n + 2 > *allocated) {
                size_t na = *allocated ? *allocated * 2 : 64;
                char **p = realloc(*ids, na * sizeof *p);
                if (!p) {
                        free(id);
                        return -ENOMEM;
                }
                *ids = p, *allocated = na;
        }
        (*ids)[(*n)++] = id;
        (*ids)[*n] = NULL;
        return 0;
}

/* BuildKit in dockerd keeps its snapshots in overlay2 directories of its own (ids like
 * "97zpr5sr7ijnw1jqqrv3cwac0"), named in <root>/buildkit/snapshots.db, not in the layer store: they are
 * the build cache, not orphans. The bolt file is read raw (size-capped) into *ret (owned; NULL when there is
 * none): a directory whose name it contains is referenced. */
#define BUILDKIT_DB_MAX (64u * 1024 * 1024)
static int read_buildkit_db(int rootfd, char **ret, size_t *ret_n) {
        *ret = NULL, *ret_n = 0;
        _cleanup_close_ int fd = openat(rootfd, "buildkit/snapshots.db", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno(); /* no BuildKit here */
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if (st.st_size > (off_t) BUILDKIT_DB_MAX)
                return -EFBIG; /* cannot tell BuildKit's directories from orphans: say nothing */
        _cleanup_free_ char *buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        size_t got = 0;
        while (got < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + got, (size_t) st.st_size - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        *ret = TAKE_PTR(buf), *ret_n = got;
        return 0;
}

/* Adds the ids that files[] name in each subdirectory of dirfd/name to *ids. */
static int collect_ids(int parent, const char *name, const char *const *files, struct unlisted_walk *w, char ***ids,
                       size_t *n, size_t *allocated) {
        int fd = open_dir_at(parent, name);
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                /* Cut short here, the set would be incomplete and name live layers orphans: fail instead. */
                if (walk_over(w)) {
                        r = -ETIME;
                        break;
                }
                w->entries++;
                int sub = open_dir_at(dirfd(d), de->d_name);
                if (sub < 0)
                        continue;
                for (const char *const *f = files; *f; f++) {
                        char *id = NULL;
                        if (read_id_at(sub, *f, &id) < 0)
                                continue;
                        r = ids_append(ids, n, allocated, id);
                        if (r < 0)
                                break;
                }
                close(sub);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int unlisted_overlay2_orphans(const char *root, struct unlisted_walk *w, uint64_t *ret_bytes, size_t *ret_count) {
        int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
        if (rootfd < 0)
                return -errno;
        _cleanup_strv_free_ char **ids = NULL;
        size_t n = 0, allocated = 0;
        int r = 0, layerdb = open_dir_at(rootfd, "image/overlay2/layerdb");
        if (layerdb < 0) {
                close(rootfd);
                return layerdb;
        }
        static const char *const layer_files[] = { "cache-id", NULL };
        static const char *const mount_files[] = { "mount-id", "init-id", NULL };
        r = collect_ids(layerdb, "sha256", layer_files, w, &ids, &n, &allocated);
        if (r == -ENOENT)
                r = 0; /* no layer yet */
        if (r >= 0) {
                r = collect_ids(layerdb, "mounts", mount_files, w, &ids, &n, &allocated);
                if (r == -ENOENT)
                        r = 0;
        }
        close(layerdb);
        _cleanup_free_ char *bk = NULL;
        size_t bk_n = 0;
        if (r >= 0)
                r = read_buildkit_db(rootfd, &bk, &bk_n);
        int ovl = r < 0 ? r : open_dir_at(rootfd, "overlay2");
        close(rootfd);
        if (ovl < 0)
                return ovl;
        if (n > 1)
                qsort(ids, n, sizeof *ids, cmp_str);
        DIR *d = fdopendir(ovl);
        if (!d) {
                r = -errno;
                close(ovl);
                return r;
        }
        uint64_t bytes = 0;
        size_t count = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || streq(de->d_name, "l"))
                        continue;
                if (walk_over(w))
                        break;
                const char *key = de->d_name;
                if (n && bsearch(&key, ids, n, sizeof *ids, cmp_str))
                        continue;
                if (bk && memmem(bk, bk_n, key, strlen(key)))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                uint64_t b = 0;
                if (unlisted_du_at(dirfd(d), de->d_name, w, &b, NULL) < 0)
                        continue;
                bytes += b;
                count++;
        }
        closedir(d);
        *ret_bytes = bytes;
        *ret_count = count;
        return 0;
}

int unlisted_containerd_bytes(const char *root, struct unlisted_walk *w, uint64_t *ret_bytes) {
        if (!root || root[0] != '/')
                return -EINVAL;
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        uint64_t total = 0;
        bool found = false;
        struct dirent *de;
        while ((de = readdir(d))) {
                uint64_t b = 0;
                if (!streq(de->d_name, "io.containerd.content.v1.content") &&
                    !startswith(de->d_name, "io.containerd.snapshotter.v1."))
                        continue;
                if (unlisted_du_at(dirfd(d), de->d_name, w, &b, NULL) < 0)
                        continue;
                found = true;
                total += b;
        }
        closedir(d);
        if (!found)
                return -ENOENT;
        *ret_bytes = total;
        return 0;
}
