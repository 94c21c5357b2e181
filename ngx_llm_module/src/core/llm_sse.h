/*
 * llm_sse: an incremental Server-Sent-Events parser and encoder
 * (WHATWG HTML "server-sent events" wire format).
 *
 * The parser accepts the byte stream in arbitrary pieces (nginx hands the
 * body filter whatever the upstream read returned) and calls back once per
 * complete event.  It follows the standard:
 *   - lines end in "\n", "\r\n" or "\r", also when split across feeds;
 *   - a UTF-8 byte-order mark at the very start is skipped;
 *   - "field: value" with at most one space after the colon removed; a line
 *     without a colon is a field with an empty value;
 *   - lines starting with ':' are comments;
 *   - "data" lines are joined with "\n"; "event" sets the event name;
 *     "id", "retry" and unknown fields are ignored;
 *   - a blank line dispatches the event; an event without any data line is
 *     not dispatched (its name is discarded).
 * One lenient extension: llm_sse_finish() dispatches an event whose final
 * blank line never came (an upstream that closed right after "data: ...\n").
 *
 * The parser struct is public so it can live inside a request context; call
 * llm_sse_free() to release its buffers.
 */

#ifndef LLM_SSE_H
#define LLM_SSE_H

#include <stddef.h>

#include "llm_buf.h"

/* return codes of llm_sse_feed()/llm_sse_finish() */
#define LLM_SSE_OK        0
#define LLM_SSE_TOO_BIG  -1   /* one event (or a line) exceeded max_event_bytes */
#define LLM_SSE_ABORTED  -2   /* the callback returned non-zero */
#define LLM_SSE_NOMEM    -3

/*
 * Called once per event.  `event` is the "event:" name or NULL when the event
 * had none (the standard's default type "message"), NUL-terminated.  `data`
 * is the joined data lines without the final newline, NOT NUL-terminated
 * (a single data line is passed in place, from the fed bytes).  Both are
 * valid only during the call.  Return 0 to continue, non-zero to stop the feed
 * (llm_sse_feed() then returns LLM_SSE_ABORTED and the parser stays failed).
 */
typedef int (*llm_sse_event_cb)(void *arg, const char *event, size_t event_len,
                                const char *data, size_t data_len);

typedef struct {
    llm_buf_t  line;         /* a line not yet terminated in earlier feeds */
    llm_buf_t  data;         /* data lines of the pending event, "\n"-joined */
    llm_buf_t  event;        /* event name of the pending event */
    const char *view;        /* the pending event's only data line, in
                                place in the bytes being fed */
    size_t     view_len;
    size_t     max_event_bytes;
    size_t     open;         /* bytes fed since the last blank line: a
                                forwarder that holds these back sends
                                whole events only */
    unsigned   has_data:1;   /* at least one data line seen */
    unsigned   has_event:1;
    unsigned   skip_lf:1;    /* last byte was '\r': a following '\n' is part of it */
    unsigned   bom_done:1;
    unsigned   bom_seen:2;   /* bytes of a leading BOM matched so far */
    int        failed;       /* sticky error code, 0 while healthy */
} llm_sse_parser_t;

/* max_event_bytes: limit for one event's data + name + pending line; 0 = 1 MiB */
void llm_sse_init(llm_sse_parser_t *p, size_t max_event_bytes);
int  llm_sse_feed(llm_sse_parser_t *p, const char *data, size_t len,
                  llm_sse_event_cb cb, void *arg);
/* end of stream: dispatch an unterminated pending event (see above) */
int  llm_sse_finish(llm_sse_parser_t *p, llm_sse_event_cb cb, void *arg);
void llm_sse_free(llm_sse_parser_t *p);

/*
 * Append one event to `out`: "event: NAME\n" (when event is not NULL), one
 * "data: " line per line of `data` (each "\n", "\r\n" or "\r" inside data
 * starts a new data line, so the parser returns the payload with line ends
 * normalized to "\n"), then the blank line.  0, or -1 on allocation failure
 * with `out` left as it was.
 */
int  llm_sse_write(llm_buf_t *out, const char *event, const char *data,
                   size_t len);
/* a comment line (": text\n\n"), e.g. keep-alive padding */
int  llm_sse_write_comment(llm_buf_t *out, const char *text);

#endif
