/* fileio.c: the atomic file writer and the careful reader (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe-path.h"

const char *fileio_type_name(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFREG:
                return "a regular file";
        case S_IFDIR:
                return "a directory";
        case S_IFIFO:
                return "a FIFO";
        case S_IFSOCK:
                return "a socket";
        case S_IFLNK:
                return "a symbolic link";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        }
        return "not a regular file";
}

/* A FILE over fd whose write errors keep their errno (stdio's own callers only see "it failed"). */
struct sink {
        int fd;
        int error; /* the first write(2) errno, 0 = none */
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n) {
        struct sink *s = cookie;
        size_t done = 0;
        while (done < n) {
                ssize_t k = write(s->fd, buf + done, n - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN) { /* O_NONBLOCK on a regular file: not expected; never spin */
                        k = -1;
                        errno = EIO;
                }
                if (k <= 0) {
                        if (!s->error)
                                s->error = k < 0 ? errno : ENOSPC;
                        errno = s->error;
                        return done > 0 ? (ssize_t) done : -1;
                }
                done += (size_t) k;
        }
        return (ssize_t) n;
}

static int write_and_sync(int fd, int (*write_content)(FILE *f, const void *userdata), const void *userdata) {
        struct sink s = { .fd = fd };
        FILE *f = fopencookie(&s, "w", (cookie_io_functions_t){ .write = sink_write });
        if (!f)
                return negative_errno();
        int r = write_content(f, userdata);
        int fr = fflush(f) != 0 || ferror(f) ? -EIO : 0;
        (void) fclose(f); /* flushed already; fd is the caller's */
        if (s.error) /* the cause, whatever write_content() made of it */
                return -s.error;
        if (r < 0)
                return r;
        if (fr < 0)
                return fr;
        if (fsync(fd) < 0)
                return negative_errno();
        return 0;
}

/* ".NAME.0123456789abcdef": hidden, never "PATH.tmp", never a name anyone can guess ahead. */
static int temp_name(const char *base, char *buf, size_t size) {
        uint64_t rnd;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t) sizeof rnd)
                return negative_errno();
        if ((size_t) snprintf(buf, size, ".%.200s.%016llx", base, (unsigned long long) rnd) >= size)
                return -ENAMETOOLONG;
        return 0;
}

static int open_checked_dir(const char *dir, int *ret_fd, bool *ret_sticky, char *why, size_t why_size) {
        struct stat st;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        int r = safe_path_check_dir(dir, &st, ret_sticky, why, why_size);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int fileio_check_dir(const char *dir, char *why, size_t why_size) {
        _cleanup_close_ int fd = -1;
        bool sticky;
        if (why_size > 0)
                why[0] = 0;
        return open_checked_dir(dir, &fd, &sticky, why, why_size);
}

int fileio_open_lock(const char *dir, const char *name, char *why, size_t why_size) {
        char local_why[8];
        if (!why || why_size == 0) {
                why = local_why;
                why_size = sizeof local_why;
        }
        why[0] = 0;
        _cleanup_close_ int dfd = -1;
        bool sticky = false; /* set by open_checked_dir() on success */
        int r = open_checked_dir(dir, &dfd, &sticky, why, why_size);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        /* In a sticky directory another user may have made the name first: never lock through theirs. */
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
                snprintf(why, why_size, "%s/%s is %s of uid %u, not the daemon's; not used", dir, name,
                         fileio_type_name(st.st_mode), (unsigned) st.st_uid);
                return -EPERM;
        }
        return TAKE_FD(fd);
}

int fileio_write_atomic(const char *path, mode_t mode, int (*write_content)(FILE *f, const void *userdata),
                        const void *userdata, char *why, size_t why_size) {
        char local_why[8];
        if (!why || why_size == 0)
                why = local_why, why_size = sizeof local_why;
        why[0] = 0;
        if (!path || !*path || !write_content)
                return -EINVAL;

        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        _cleanup_free_ char *dir = slash ? strndup(path, slash == path ? 1 : (size_t) (slash - path)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        if (!*base)
                return -EISDIR;

        /* The directory as opened (held, so it cannot be swapped under us): only root may change it. The
         * way to it is not judged, so that a root-owned directory under another user's (Debian's
         * /var/lib/prometheus/node-exporter) works: that user can swap the directory for another one,
         * which is then judged, or for a link to one of root's, where a fresh file of the configured
         * name is all that is made. */
        bool sticky = false; /* set by open_checked_dir() on success; the analyzer cannot see that */
        _cleanup_close_ int dfd = -1;
        int r = open_checked_dir(dir, &dfd, &sticky, why, why_size);
        if (r < 0)
                return r;
        struct stat st;

        /* In a sticky directory others may own entries: theirs is never replaced, and an absent name is
         * taken only if it is still absent at the rename (RENAME_NOREPLACE). Elsewhere only root writes. */
        unsigned rename_flags = 0;
        if (sticky) {
                if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        if (!safe_path_trusted_owner(st.st_uid))
                                return snprintf(why, why_size, "%s is owned by uid %u, not root, in %s, which others may write to; "
                                                "it is not replaced", path, (unsigned) st.st_uid, dir),
                                       -EPERM;
                } else if (errno == ENOENT)
                        rename_flags = RENAME_NOREPLACE;
                else
                        return negative_errno();
        }

        char tmp[256];
        _cleanup_close_ int fd = -1;
        for (int attempt = 0; fd < 0; attempt++) {
                r = temp_name(base, tmp, sizeof tmp);
                if (r < 0)
                        return r;
                fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
                if (fd < 0 && (errno != EEXIST || attempt >= 8))
                        return negative_errno();
        }
        r = write_and_sync(fd, write_content, userdata);
        if (r >= 0 && renameat2(dfd, tmp, dfd, base, rename_flags) < 0)
                r = negative_errno();
        if (r < 0) {
                if (r == -EEXIST)
                        snprintf(why, why_size, "%s appeared in %s, which others may write to; it is not replaced", path, dir);
                (void) unlinkat(dfd, tmp, 0); /* our own name, made exclusively: the error that matters is r */
                return r;
        }
        if (fsync(dfd) < 0)
                return negative_errno();
        return 0;
}

int fileio_open_regular(const char *path, size_t max_size, FILE **ret, const char **ret_type) {
        struct stat st;
        if (!path || !ret)
                return -EINVAL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode)) {
                if (ret_type)
                        *ret_type = fileio_type_name(st.st_mode);
                return -EPERM;
        }
        if ((uint64_t) st.st_size > max_size)
                return -EFBIG;
        FILE *f = fdopen(fd, "re");
        if (!f)
                return negative_errno();
        TAKE_FD(fd);
        *ret = f;
        return 0;
}
