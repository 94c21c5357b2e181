/*
 * The request log (PREFIX/logs/requests.log and its rotations .1, .2, ...):
 * JSON lines nginx writes, read newest first, filtered and paged.  Shared
 * by controld (the console's request-log API) and llmctl (logs, stats);
 * nothing here runs on the request path.
 */

#ifndef CTL_REQLOG_H
#define CTL_REQLOG_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#define REQLOG_MAX_FILES     16         /* requests.log + .1 ... .15 */
#define REQLOG_MAX_SCAN      200000     /* lines one query reads at most */
#define REQLOG_MAX_PAGE      500        /* entries per page */

typedef struct {
    const char  *model;         /* requested model or its group */
    const char  *status;        /* "200" or a class "4xx" */
    const char  *key;           /* alias, or key_hash prefix (hex) */
    const char  *own_hash;      /* set: only lines of this key_hash */
    time_t       since;         /* 0: open; since <= time < until */
    time_t       until;
} reqlog_filter_t;

typedef struct reqlog_reader_s  reqlog_reader_t;

/* 1 when status is a code (100-599) or a class (1xx..5xx). */
int reqlog_status_valid(const char *status);

/* "2026-12-06T14:20:11+00:00" (nginx's $time_iso8601) -> epoch; -1. */
time_t reqlog_parse_time(const char *iso);

/* "15m", "1h", "24h", "7d", "90s" or plain seconds -> seconds; -1. */
long reqlog_parse_window(const char *text);

int reqlog_matches(const reqlog_filter_t *f, json_t *line, time_t ts);

/* Newest line first, across base, base.1, ... (NULL: out of memory). */
reqlog_reader_t *reqlog_open(const char *base);

/*
 * The next line (newer ones before older), parsed, with its time; NULL at
 * the end.  Lines that are not JSON objects are skipped.  The caller owns
 * the reference.
 */
json_t *reqlog_next(reqlog_reader_t *r, time_t *ts);

/* Lines read so far, and whether the newest file could be opened. */
size_t reqlog_lines_read(const reqlog_reader_t *r);
int reqlog_found(const reqlog_reader_t *r);

void reqlog_close(reqlog_reader_t *r);

/*
 * One page of matching lines, newest first:
 *   {"entries": [line + "ts"], "page", "size", "has_more", "scanned",
 *    "truncated", "log_found"}
 * reading at most max_scan lines (truncated: the limit stopped it before
 * the page was full or the log ended).  NULL when out of memory.
 */
json_t *reqlog_query(const char *base, const reqlog_filter_t *f, long page,
    long size, size_t max_scan);

#endif
