/* File helpers (see cfg_file.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_file.h"

char *
cfg_read_file(const char *path, size_t *len, int *err)
{
    FILE    *f;
    char    *buf = NULL, *grown;
    size_t   used = 0, cap = 0, n;

    f = fopen(path, "rb");
    if (f == NULL) {
        *err = errno;
        return NULL;
    }

    for ( ;; ) {
        if (cap - used < 4096) {
            cap = cap ? cap * 2 : 8192;
            grown = realloc(buf, cap + 1);
            if (grown == NULL) {
                abort();
            }
            buf = grown;
        }
        n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            break;
        }
    }

    if (ferror(f)) {
        *err = errno ? errno : EIO;
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);

    buf[used] = '\0';
    if (len != NULL) {
        *len = used;
    }
    *err = 0;
    return buf;
}

int
cfg_write_file_atomic(const char *path, const char *data, size_t len,
    unsigned mode)
{
    char         tmp[4096], dir[4096];
    const char  *slash;
    size_t       off = 0;
    ssize_t      n;
    int          fd, saved;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long) getpid())
        >= (int) sizeof(tmp))
    {
        errno = ENAMETOOLONG;
        return -1;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd == -1) {
        return -1;
    }
    /* open() honours the umask; the snapshot must be exactly `mode`. */
    if (fchmod(fd, mode) == -1) {
        goto failed;
    }

    while (off < len) {
        n = write(fd, data + off, len - off);
        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }
            goto failed;
        }
        off += (size_t) n;
    }

    if (fsync(fd) == -1 || close(fd) == -1) {
        fd = -1;
        goto failed;
    }
    fd = -1;

    if (rename(tmp, path) == -1) {
        goto failed;
    }

    /* Make the rename itself durable. */
    slash = strrchr(path, '/');
    if (slash != NULL && (size_t) (slash - path) < sizeof(dir)) {
        memcpy(dir, path, (size_t) (slash - path));
        dir[slash - path] = '\0';
    } else {
        strcpy(dir, ".");
    }
    fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd != -1) {
        (void) fsync(fd);
        close(fd);
    }
    return 0;

failed:
    saved = errno;
    if (fd != -1) {
        close(fd);
    }
    unlink(tmp);
    errno = saved;
    return -1;
}
