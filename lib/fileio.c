/* fileio.c: the atomic file writer (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fsync_directory_of(const char *path) {
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = slash ? strndup(path, slash == path ? 1 : (size_t) (slash - path)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fsync(fd) < 0)
                return negative_errno();
        return 0;
}

static int write_and_sync(const char *tmp, mode_t mode, int (*write_content)(FILE *f, const void *userdata),
                          const void *userdata) {
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return negative_errno();
        _cleanup_fclose_ FILE *f = fdopen(fd, "w");
        if (!f)
                return negative_errno();
        TAKE_FD(fd); /* the FILE owns it now */

        int r = write_content(f, userdata);
        if (r < 0)
                return r;
        if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                return negative_errno();
        if (fclose(TAKE_PTR(f)) != 0)
                return negative_errno();
        return 0;
}

int fileio_write_atomic(const char *path, mode_t mode, int (*write_content)(FILE *f, const void *userdata),
                        const void *userdata) {
        _cleanup_free_ char *tmp = NULL;

        if (!path || !*path || !write_content)
                return -EINVAL;
        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        int r = write_and_sync(tmp, mode, write_content, userdata);
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp); /* best effort: the error that matters is r */
                return r;
        }
        return fsync_directory_of(path);
}
