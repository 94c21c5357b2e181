/* Size-based log rotation: NAME -> NAME.1 -> NAME.2 ... (ctl_logrotate.c). */

#ifndef CTL_LOGROTATE_H
#define CTL_LOGROTATE_H

#define CTL_LOGROTATE_MAX_BYTES  (100LL * 1024 * 1024)
#define CTL_LOGROTATE_MAX_FILES  5

/*
 * If the file at `path` holds at least `max_bytes` (0: never), shifts the
 * rotated copies up by one (path.1 -> path.2, ..., dropping path.N for
 * N = max_files, and any after it that a larger max_files left) and
 * renames path to path.1.  Returns 1 when it rotated
 * (the writer must now reopen `path`), 0 when there was nothing to do and
 * -1 on an error (errno set, the files as they were or shifted whole).
 */
int ctl_logrotate(const char *path, long long max_bytes, int max_files);

#endif
