/*
 * Incremental SSE parser and encoder; see llm_sse.h for the rules.
 *
 * Complete lines inside one feed are processed in place; only a line cut by
 * a feed boundary is copied into p->line.  An event's data is copied only
 * when it has several data lines or is still open when the feed returns:
 * the usual event, one data line inside one upstream read, reaches the
 * callback in place, so a typical read costs one pass over its bytes.
 */

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "llm_sse.h"

#define LLM_SSE_DEFAULT_MAX  (1024 * 1024)

static const unsigned char  llm_sse_bom[3] = { 0xEF, 0xBB, 0xBF };

void
llm_sse_init(llm_sse_parser_t *p, size_t max_event_bytes)
{
    memset(p, 0, sizeof(*p));
    p->max_event_bytes = max_event_bytes ? max_event_bytes
                                         : LLM_SSE_DEFAULT_MAX;
}

void
llm_sse_free(llm_sse_parser_t *p)
{
    llm_buf_free(&p->line);
    llm_buf_free(&p->data);
    llm_buf_free(&p->event);
}

static size_t
llm_sse_pending(const llm_sse_parser_t *p)
{
    return p->line.len + p->data.len + p->view_len + p->event.len;
}

/* The data line held in place becomes a copy: its bytes are going away. */
static int
llm_sse_keep_view(llm_sse_parser_t *p)
{
    if (p->view == NULL) {
        return LLM_SSE_OK;
    }

    if (llm_buf_append(&p->data, p->view, p->view_len) != 0
        || llm_buf_append(&p->data, "\n", 1) != 0)
    {
        return LLM_SSE_NOMEM;
    }

    p->view = NULL;
    p->view_len = 0;

    return LLM_SSE_OK;
}

static int
llm_sse_dispatch(llm_sse_parser_t *p, llm_sse_event_cb cb, void *arg)
{
    int  rc = LLM_SSE_OK;

    if (p->view != NULL) {
        char  empty[1] = "";

        if (cb(arg, p->has_event ? (p->event.data ? p->event.data : empty)
                                 : NULL,
               p->has_event ? p->event.len : 0, p->view, p->view_len)
            != 0)
        {
            rc = LLM_SSE_ABORTED;
        }

    } else if (p->has_data) {
        /* data lines were stored as "line\n"; drop the last newline */
        size_t  dlen = p->data.len ? p->data.len - 1 : 0;
        char    empty[1] = "";

        if (p->data.data) {
            p->data.data[dlen] = '\0';
        }
        if (cb(arg, p->has_event ? (p->event.data ? p->event.data : empty)
                                 : NULL,
               p->has_event ? p->event.len : 0,
               p->data.data ? p->data.data : empty, dlen) != 0)
        {
            rc = LLM_SSE_ABORTED;
        }
    }

    llm_buf_reset(&p->data);
    llm_buf_reset(&p->event);
    p->view = NULL;
    p->view_len = 0;
    p->has_data = 0;
    p->has_event = 0;
    return rc;
}

/*
 * One complete line without its terminator; `in_place` when it lies in the
 * bytes of the current feed (not in p->line, which is reused).
 */
static int
llm_sse_line(llm_sse_parser_t *p, const char *line, size_t len,
             int in_place, llm_sse_event_cb cb, void *arg)
{
    const char  *colon, *value;
    size_t       flen, vlen;

    if (len == 0) {
        return llm_sse_dispatch(p, cb, arg);
    }
    if (line[0] == ':') {
        return LLM_SSE_OK;                      /* comment */
    }

    colon = memchr(line, ':', len);
    if (colon) {
        flen = (size_t) (colon - line);
        value = colon + 1;
        vlen = len - flen - 1;
        if (vlen && *value == ' ') {
            value++;
            vlen--;
        }
    } else {
        flen = len;
        value = "";
        vlen = 0;
    }

    if (flen == 4 && memcmp(line, "data", 4) == 0) {
        if (p->data.len + p->view_len + vlen + 1 + p->event.len
            > p->max_event_bytes)
        {
            return LLM_SSE_TOO_BIG;
        }
        if (in_place && !p->has_data) {
            p->view = value;
            p->view_len = vlen;
            p->has_data = 1;
            return LLM_SSE_OK;
        }
        if (llm_sse_keep_view(p) != LLM_SSE_OK
            || llm_buf_append(&p->data, value, vlen) != 0
            || llm_buf_append(&p->data, "\n", 1) != 0)
        {
            return LLM_SSE_NOMEM;
        }
        p->has_data = 1;

    } else if (flen == 5 && memcmp(line, "event", 5) == 0) {
        if (p->data.len + vlen > p->max_event_bytes) {
            return LLM_SSE_TOO_BIG;
        }
        llm_buf_reset(&p->event);
        if (llm_buf_append(&p->event, value, vlen) != 0) {
            return LLM_SSE_NOMEM;
        }
        p->has_event = 1;
    }
    /* "id", "retry" and unknown fields carry nothing a gateway needs */

    return LLM_SSE_OK;
}

/* returns how many leading bytes were consumed as (part of) a BOM */
static size_t
llm_sse_skip_bom(llm_sse_parser_t *p, const char *data, size_t len)
{
    size_t  i = 0;

    while (!p->bom_done && i < len) {
        if ((unsigned char) data[i] == llm_sse_bom[p->bom_seen]) {
            i++;
            if (++p->bom_seen == 3) {
                p->bom_done = 1;
            }
            continue;
        }
        /* not a BOM after all: the matched prefix is ordinary line data */
        p->bom_done = 1;
        if (p->bom_seen
            && llm_buf_append(&p->line, llm_sse_bom, p->bom_seen) != 0)
        {
            p->failed = LLM_SSE_NOMEM;
        }
    }
    return i;
}

/* The first '\n' or '\r' at or after q, or end. */
static const char *
llm_sse_eol(const char *q, const char *end)
{
#if defined(__SSE2__)
    int      mask;
    __m128i  v;

    const __m128i  lf = _mm_set1_epi8('\n');
    const __m128i  cr = _mm_set1_epi8('\r');

    while (end - q >= 16) {
        v = _mm_loadu_si128((const __m128i *) q);
        mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf),
                                              _mm_cmpeq_epi8(v, cr)));
        if (mask) {
            return q + __builtin_ctz((unsigned) mask);
        }
        q += 16;
    }
#endif

    while (q < end && *q != '\n' && *q != '\r') {
        q++;
    }

    return q;
}

static int llm_sse_feed_lines(llm_sse_parser_t *p, const char *data,
    size_t len, llm_sse_event_cb cb, void *arg);

int
llm_sse_feed(llm_sse_parser_t *p, const char *data, size_t len,
             llm_sse_event_cb cb, void *arg)
{
    int  rc;

    rc = llm_sse_feed_lines(p, data, len, cb, arg);

    /* an event still open keeps its data line beyond this feed's bytes */
    if (rc == LLM_SSE_OK && llm_sse_keep_view(p) != LLM_SSE_OK) {
        p->failed = LLM_SSE_NOMEM;
        rc = p->failed;
    }

    return rc;
}

static int
llm_sse_feed_lines(llm_sse_parser_t *p, const char *data, size_t len,
    llm_sse_event_cb cb, void *arg)
{
    const char  *end, *start, *q, *all, *mark;
    int          rc, blank;

    if (p->failed) {
        return p->failed;
    }

    all = data;
    mark = NULL;        /* just past this feed's last blank line */

    if (!p->bom_done) {
        size_t  n = llm_sse_skip_bom(p, data, len);

        data += n;
        len -= n;
        if (p->failed) {
            return p->failed;
        }
    }

    end = data + len;
    start = data;

    if (p->skip_lf && start < end) {
        p->skip_lf = 0;
        if (*start == '\n') {
            start++;
            if (p->open == 0) {
                mark = start;       /* the "\n" of a blank line's "\r\n" */
            }
        }
    }

    while (start < end) {
        q = llm_sse_eol(start, end);

        if (q == end) {
            /* unterminated: keep it for the next feed */
            if (llm_sse_pending(p) + (size_t) (end - start)
                > p->max_event_bytes)
            {
                p->failed = LLM_SSE_TOO_BIG;
                return p->failed;
            }
            if (llm_buf_append(&p->line, start, (size_t) (end - start)) != 0) {
                p->failed = LLM_SSE_NOMEM;
                return p->failed;
            }
            break;
        }

        blank = (q == start && p->line.len == 0);

        if (p->line.len) {
            if (llm_sse_pending(p) + (size_t) (q - start)
                > p->max_event_bytes)
            {
                p->failed = LLM_SSE_TOO_BIG;
                return p->failed;
            }
            if (llm_buf_append(&p->line, start, (size_t) (q - start)) != 0) {
                p->failed = LLM_SSE_NOMEM;
                return p->failed;
            }
            rc = llm_sse_line(p, p->line.data, p->line.len, 0, cb, arg);
            llm_buf_reset(&p->line);
        } else {
            rc = llm_sse_line(p, start, (size_t) (q - start), 1, cb, arg);
        }
        if (rc != LLM_SSE_OK) {
            p->failed = rc;
            return rc;
        }

        if (*q == '\r') {
            if (q + 1 == end) {
                p->skip_lf = 1;     /* the '\n' of "\r\n" may come next feed */
                start = end;
                if (blank) {
                    mark = end;
                }
                break;
            }
            if (q[1] == '\n') {
                q++;
            }
        }
        start = q + 1;

        if (blank) {
            mark = start;
        }
    }

    p->open = mark ? (size_t) (end - mark) : p->open + (size_t) (end - all);

    return LLM_SSE_OK;
}

int
llm_sse_finish(llm_sse_parser_t *p, llm_sse_event_cb cb, void *arg)
{
    int  rc;

    if (p->failed) {
        return p->failed;
    }
    if (p->line.len) {
        rc = llm_sse_line(p, p->line.data, p->line.len, 0, cb, arg);
        llm_buf_reset(&p->line);
        if (rc != LLM_SSE_OK) {
            p->failed = rc;
            return rc;
        }
    }
    rc = llm_sse_dispatch(p, cb, arg);
    if (rc != LLM_SSE_OK) {
        p->failed = rc;
    }
    return rc;
}

int
llm_sse_write(llm_buf_t *out, const char *event, const char *data, size_t len)
{
    const char  *end = data + len, *q;
    size_t       saved = out->len;

    if (event
        && (llm_buf_append(out, "event: ", 7) != 0
            || llm_buf_append_str(out, event) != 0
            || llm_buf_append(out, "\n", 1) != 0))
    {
        goto fail;
    }

    for ( ;; ) {
        for (q = data; q < end && *q != '\n' && *q != '\r'; q++) {
            /* split on any line terminator the parser would see */
        }
        if (llm_buf_append(out, "data: ", 6) != 0
            || llm_buf_append(out, data, (size_t) (q - data)) != 0
            || llm_buf_append(out, "\n", 1) != 0)
        {
            goto fail;
        }
        if (q == end) {
            break;
        }
        if (*q == '\r' && q + 1 < end && q[1] == '\n') {
            q++;
        }
        data = q + 1;
    }

    if (llm_buf_append(out, "\n", 1) != 0) {
        goto fail;
    }
    return 0;

fail:
    /* leave no half-written event behind */
    out->len = saved;
    if (out->data) {
        out->data[saved] = '\0';
    }
    return -1;
}

int
llm_sse_write_comment(llm_buf_t *out, const char *text)
{
    return llm_buf_appendf(out, ": %s\n\n", text);
}
