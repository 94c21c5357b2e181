/*
 * Request log reader: files read backwards in 64 KB chunks, so that the
 * newest page costs a few reads however large the log is, and a `since`
 * bound stops the scan where the lines get older (nginx's workers flush
 * once a second, so lines can be out of order by that much: the scan goes
 * REQLOG_SLACK seconds past the bound).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE                     /* memrchr */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_reqlog.h"

#define REQLOG_CHUNK      65536
#define REQLOG_MAX_LINE   (1024 * 1024)   /* longer: skipped */
#define REQLOG_SLACK      5               /* seconds */

struct reqlog_reader_s {
    char    *base;
    int      file;              /* index: 0 base, 1 base.1, ... */
    int      fd;
    int      trimmed;           /* the unfinished last line is dropped */
    int      found;
    off_t    pos;               /* buf holds the file's [pos, pos + len) */
    char    *buf;
    size_t   len, cap;
    size_t   lines;
};

int
reqlog_status_valid(const char *s)
{
    long   v;
    char  *end;

    if (s == NULL || strlen(s) != 3) {
        return 0;
    }
    if (s[0] >= '1' && s[0] <= '5' && strcasecmp(s + 1, "xx") == 0) {
        return 1;
    }
    v = strtol(s, &end, 10);
    return *end == '\0' && v >= 100 && v <= 599;
}

time_t
reqlog_parse_time(const char *iso)
{
    struct tm  tm;
    int        n = 0, oh = 0, om = 0;
    char       sign = 0;
    time_t     t;

    if (iso == NULL) {
        return -1;
    }
    memset(&tm, 0, sizeof(tm));
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
    {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    iso += n;
    if (*iso == '+' || *iso == '-') {
        sign = *iso;
        if (sscanf(iso + 1, "%2d:%2d", &oh, &om) != 2) {
            return -1;
        }
        t -= (sign == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    }
    return t;
}

long
reqlog_parse_window(const char *text)
{
    char  *end;
    long   v;

    if (text == NULL || text[0] < '0' || text[0] > '9') {
        return -1;
    }
    v = strtol(text, &end, 10);
    if (v <= 0) {
        return -1;
    }
    if (end[0] == '\0' || (end[0] == 's' && end[1] == '\0')) {
        return v;
    }
    if (end[1] != '\0') {
        return -1;
    }
    switch (end[0]) {
    case 'm':
        return v * 60;
    case 'h':
        return v * 3600;
    case 'd':
        return v * 86400;
    }
    return -1;
}

static int
is_hex(const char *s)
{
    size_t  i;

    for (i = 0; s[i]; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return i > 0;
}

static int
same_str(json_t *line, const char *field, const char *want)
{
    const char  *s = json_string_value(json_object_get(line, field));

    return s != NULL && strcmp(s, want) == 0;
}

/* key: an alias, or a hash prefix of 4+ hex digits (a token's first 8
 * are the log's key_hash). */
static int
key_matches(json_t *line, const char *key)
{
    const char  *hash = json_string_value(json_object_get(line, "key_hash"));
    size_t       n;

    if (same_str(line, "key_alias", key)) {
        return 1;
    }
    if (hash == NULL || strlen(key) < 4 || !is_hex(key)) {
        return 0;
    }
    n = strlen(key) < strlen(hash) ? strlen(key) : strlen(hash);
    return strncmp(hash, key, n) == 0;
}

int
reqlog_matches(const reqlog_filter_t *f, json_t *line, time_t ts)
{
    long  status;

    if ((f->since != 0 && ts < f->since) || (f->until != 0 && ts >= f->until))
    {
        return 0;
    }
    if (f->own_hash != NULL && !same_str(line, "key_hash", f->own_hash)) {
        return 0;
    }
    if (f->model != NULL && !same_str(line, "model", f->model)
        && !same_str(line, "model_group", f->model))
    {
        return 0;
    }
    if (f->key != NULL && !key_matches(line, f->key)) {
        return 0;
    }
    if (f->status != NULL) {
        status = (long) json_integer_value(json_object_get(line, "status"));
        if (f->status[1] == 'x' || f->status[1] == 'X') {
            return status / 100 == f->status[0] - '0';
        }
        return status == strtol(f->status, NULL, 10);
    }
    return 1;
}

reqlog_reader_t *
reqlog_open(const char *base)
{
    reqlog_reader_t  *r = calloc(1, sizeof(*r));

    if (r == NULL || (r->base = strdup(base)) == NULL) {
        free(r);
        return NULL;
    }
    r->fd = -1;
    r->file = -1;
    return r;
}

/* Open the next older file; 0 when there is none. */
static int
next_file(reqlog_reader_t *r)
{
    char         path[4096];
    struct stat  st;

    if (r->fd != -1) {
        close(r->fd);
        r->fd = -1;
    }
    while (++r->file < REQLOG_MAX_FILES) {
        if (r->file == 0) {
            snprintf(path, sizeof(path), "%s", r->base);
        } else {
            snprintf(path, sizeof(path), "%s.%d", r->base, r->file);
        }
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd == -1) {
            if (r->file == 0) {
                continue;               /* rotated away this instant */
            }
            return 0;
        }
        if (r->file == 0) {
            r->found = 1;
        }
        if (fstat(r->fd, &st) != 0) {
            close(r->fd);
            r->fd = -1;
            continue;
        }
        r->pos = st.st_size;
        r->len = 0;
        r->trimmed = 0;
        return 1;
    }
    return 0;
}

/* Read the chunk before buf; -1 at the file's start or on an error. */
static int
read_back(reqlog_reader_t *r)
{
    size_t   n = r->pos < REQLOG_CHUNK ? (size_t) r->pos : REQLOG_CHUNK;
    ssize_t  got;
    char    *nb;

    if (n == 0) {
        return -1;
    }
    if (r->len + n + 1 > r->cap) {      /* + 1: a line's NUL */
        nb = realloc(r->buf, r->len + n + 1);
        if (nb == NULL) {
            return -1;
        }
        r->buf = nb;
        r->cap = r->len + n + 1;
    }
    memmove(r->buf + n, r->buf, r->len);
    got = pread(r->fd, r->buf, n, r->pos - (off_t) n);
    if (got != (ssize_t) n) {
        memmove(r->buf, r->buf + n, r->len);
        return -1;
    }
    r->pos -= (off_t) n;
    r->len += n;
    return 0;
}

/* The file's newest whole line into out (NUL-terminated); 0 at its start. */
static int
prev_line(reqlog_reader_t *r, char **out)
{
    char  *nl;

    for ( ;; ) {
        if (!r->trimmed) {
            /* the last line may still be being written: up to its '\n' */
            nl = r->len ? memrchr(r->buf, '\n', r->len) : NULL;
            if (nl != NULL) {
                r->len = (size_t) (nl - r->buf);
                r->trimmed = 1;
                continue;
            }
            if (read_back(r) != 0) {
                r->len = 0;
                return 0;
            }
            continue;
        }
        nl = r->len ? memrchr(r->buf, '\n', r->len) : NULL;
        if (nl != NULL || (r->pos == 0 && r->len > 0)) {
            if (nl == NULL) {
                nl = r->buf - 1;
            }
            *out = nl + 1;
            r->buf[r->len] = '\0';      /* cap > len: see read_back */
            r->len = nl >= r->buf ? (size_t) (nl - r->buf) : 0;
            return 1;
        }
        if (r->len > REQLOG_MAX_LINE) {
            r->trimmed = 0;             /* skip the giant, find a '\n' */
            r->len = 0;
        }
        if (read_back(r) != 0) {
            return 0;
        }
    }
}

json_t *
reqlog_next(reqlog_reader_t *r, time_t *ts)
{
    char    *line;
    json_t  *j;

    for ( ;; ) {
        if (r->fd == -1 && !next_file(r)) {
            return NULL;
        }
        if (!prev_line(r, &line)) {
            close(r->fd);
            r->fd = -1;
            continue;
        }
        if (line[0] == '\0') {
            continue;
        }
        r->lines++;
        j = json_loads(line, 0, NULL);
        if (!json_is_object(j)) {
            json_decref(j);
            continue;
        }
        *ts = reqlog_parse_time(json_string_value(json_object_get(j,
                                                                  "time")));
        return j;
    }
}

size_t
reqlog_lines_read(const reqlog_reader_t *r)
{
    return r->lines;
}

int
reqlog_found(const reqlog_reader_t *r)
{
    return r->found;
}

void
reqlog_close(reqlog_reader_t *r)
{
    if (r == NULL) {
        return;
    }
    if (r->fd != -1) {
        close(r->fd);
    }
    free(r->buf);
    free(r->base);
    free(r);
}

json_t *
reqlog_query(const char *base, const reqlog_filter_t *f, long page,
    long size, size_t max_scan)
{
    reqlog_reader_t  *r = reqlog_open(base);
    json_t           *entries, *line;
    time_t            ts;
    long              skip, matched = 0;
    int               more = 0, truncated = 0;

    if (r == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    page = page < 1 ? 1 : page;
    size = size < 1 ? 1 : size > REQLOG_MAX_PAGE ? REQLOG_MAX_PAGE : size;
    skip = (page - 1) * size;
    entries = json_array();
    while ((line = reqlog_next(r, &ts)) != NULL) {
        if (f->since != 0 && ts < f->since - REQLOG_SLACK) {
            json_decref(line);
            break;                      /* older from here on */
        }
        if (reqlog_matches(f, line, ts)) {
            if (matched++ >= skip) {
                if ((long) json_array_size(entries) == size) {
                    more = 1;
                    json_decref(line);
                    break;
                }
                json_object_set_new(line, "ts", json_integer(ts));
                json_array_append(entries, line);
            }
        }
        json_decref(line);
        if (reqlog_lines_read(r) >= max_scan) {
            truncated = 1;
            break;
        }
    }
    line = json_pack("{s:o, s:i, s:i, s:b, s:I, s:b, s:b}",
                     "entries", entries, "page", (int) page,
                     "size", (int) size, "has_more", more,
                     "scanned", (json_int_t) reqlog_lines_read(r),
                     "truncated", truncated, "log_found", reqlog_found(r));
    reqlog_close(r);
    return line;
}
