/* Small file helpers shared by the compiler, controld and llmctl. */

#ifndef CFG_FILE_H
#define CFG_FILE_H

#include <stddef.h>

/* Whole file as a NUL-terminated string; NULL with *err = errno on failure. */
char *cfg_read_file(const char *path, size_t *len, int *err);

/*
 * Replace `path` atomically with `data`: a temporary file in the same
 * directory, fsync, rename, then fsync of the directory.  Returns 0 or -1
 * with errno set.
 */
int cfg_write_file_atomic(const char *path, const char *data, size_t len,
    unsigned mode);

#endif
