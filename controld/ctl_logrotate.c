/*
 * Size-based rotation of an append-only log whose writer reopens it on a
 * signal (nginx: SIGUSR1).  The names are logrotate's (NAME.1 newest), so
 * `llmctl logs`, the request-log API and people's habits read them alike.
 *
 * Nothing written is lost: the writer keeps appending to the renamed file
 * until it reopens, and nginx flushes its log buffers into the old file
 * before it reopens; only the copy beyond max_files is removed, by design.
 */

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_logrotate.h"

int
ctl_logrotate(const char *path, long long max_bytes, int max_files)
{
    char         from[4096], to[4096];
    struct stat  st;
    int          i;

    if (max_bytes <= 0 || max_files < 1) {
        return 0;
    }
    if (stat(path, &st) != 0) {
        return errno == ENOENT ? 0 : -1;
    }
    if ((long long) st.st_size < max_bytes) {
        return 0;
    }
    /* path.N and beyond go (beyond: left by a larger max_files before) */
    for (i = max_files; ; i++) {
        if (snprintf(to, sizeof(to), "%s.%d", path, i) >= (int) sizeof(to)) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (unlink(to) != 0) {
            if (errno == ENOENT) {
                break;
            }
            return -1;
        }
    }
    for (i = max_files - 1; i >= 1; i--) {
        snprintf(from, sizeof(from), "%s.%d", path, i);
        snprintf(to, sizeof(to), "%s.%d", path, i + 1);
        if (rename(from, to) != 0 && errno != ENOENT) {
            return -1;
        }
    }
    snprintf(to, sizeof(to), "%s.1", path);
    return rename(path, to) == 0 ? 1 : -1;
}
