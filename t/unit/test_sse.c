/*
 * Tests for llm_buf and the incremental SSE parser/encoder.  The recorded
 * provider streams in samples/ are parsed whole, byte by byte, in random
 * pieces and with every line-ending style; all must give the same events.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llm_buf.h"
#include "llm_sse.h"
#include "unit.h"

/* collects events as "name|data\n" records (name "-" when absent) */
typedef struct {
    llm_buf_t  log;
    int        count;
    int        stop_after;   /* abort once this many events arrived; 0 = never */
} collect_t;

static const char  *last_data;  /* where the last event's data was */

static int
collect_cb(void *arg, const char *event, size_t event_len, const char *data,
           size_t data_len)
{
    collect_t  *c = arg;

    if (event) {
        llm_buf_append(&c->log, event, event_len);
        CHECK(event[event_len] == '\0');
    } else {
        llm_buf_append(&c->log, "-", 1);
    }
    llm_buf_append(&c->log, "|", 1);
    llm_buf_append(&c->log, data, data_len);
    llm_buf_append(&c->log, "\n", 1);
    last_data = data;
    c->count++;
    return c->stop_after && c->count >= c->stop_after;
}

static char *
read_sample(const char *name, size_t *len)
{
    char   path[256], *buf;

    snprintf(path, sizeof(path), "samples/%s", name);
    buf = unit_read_file(path, len);

    if (buf == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }

    return buf;
}

/* parse `in` split into pieces of the given sizes (cycled); returns rc */
static int
parse_split(const char *in, size_t len, const size_t *sizes, size_t nsizes,
            collect_t *c, size_t max)
{
    llm_sse_parser_t  p;
    size_t            off = 0, i = 0, n;
    int               rc = 0;

    llm_sse_init(&p, max);
    while (off < len && rc == 0) {
        n = sizes[i++ % nsizes];
        if (n > len - off) {
            n = len - off;
        }
        rc = llm_sse_feed(&p, in + off, n, collect_cb, c);
        off += n;
    }
    if (rc == 0) {
        rc = llm_sse_finish(&p, collect_cb, c);
    }
    llm_sse_free(&p);
    return rc;
}

static int
parse_whole(const char *in, collect_t *c)
{
    size_t  len = strlen(in);
    size_t  all = len ? len : 1;

    return parse_split(in, len, &all, 1, c, 0);
}

/* -------------------------------------------------------------------- */

UNIT_TEST(test_buf_basics)
{
    llm_buf_t  b = LLM_BUF_INIT;
    int        i;

    CHECK(llm_buf_append(&b, "abc", 3) == 0);
    CHECK(b.len == 3 && b.data[3] == '\0');
    CHECK(llm_buf_appendf(&b, "-%d-%s", 42, "x") == 0);
    CHECK_STR(b.data, "abc-42-x");

    /* growth across many appends keeps content and termination */
    for (i = 0; i < 1000; i++) {
        CHECK(llm_buf_appendf(&b, "%04d", i) == 0);
    }
    CHECK(b.len == 8 + 4000);
    CHECK(memcmp(b.data + 8, "00000001", 8) == 0);
    CHECK(memcmp(b.data + b.len - 4, "0999", 4) == 0);
    CHECK(b.data[b.len] == '\0');
    CHECK(b.cap > b.len);

    /* a formatted string longer than the spare room */
    llm_buf_reset(&b);
    CHECK(b.len == 0 && b.data[0] == '\0');
    CHECK(llm_buf_appendf(&b, "%0300d", 7) == 0);
    CHECK(b.len == 300 && b.data[299] == '7' && b.data[0] == '0');

    CHECK(llm_buf_append(&b, NULL, 0) == 0);
    CHECK(b.len == 300);
    /* an impossible size is refused and leaves the buffer intact */
    CHECK(llm_buf_append(&b, "x", (size_t) -1) == -1);
    CHECK(b.len == 300);

    llm_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    CHECK(llm_buf_append_str(&b, "again") == 0);
    CHECK_STR(b.data, "again");
    llm_buf_free(&b);
}

UNIT_TEST(test_sse_fields)
{
    collect_t  c = { LLM_BUF_INIT, 0, 0 };

    CHECK(parse_whole(
        ": a comment\n"
        "data: one\n"
        "\n"
        "event: named\n"
        "data:no-space\n"
        "data:  two spaces\n"
        "data\n"
        "id: 7\n"
        "retry: 1000\n"
        "unknown: x\n"
        "\n"
        "event: only-a-name\n"
        "\n"
        "data: after\n"
        "\n", &c) == 0);
    /* "data" without colon adds an empty line; "only-a-name" has no data */
    CHECK_STR(c.log.data,
              "-|one\n"
              "named|no-space\n two spaces\n\n"
              "-|after\n");
    CHECK(c.count == 3);
    llm_buf_free(&c.log);
}

UNIT_TEST(test_sse_empty_data_dispatches)
{
    collect_t  c = { LLM_BUF_INIT, 0, 0 };

    CHECK(parse_whole("data:\n\nevent: e\ndata\n\n\n\n", &c) == 0);
    CHECK_STR(c.log.data, "-|\ne|\n");
    CHECK(c.count == 2);
    llm_buf_free(&c.log);
}

UNIT_TEST(test_sse_line_endings)
{
    const char  *variants[] = {
        "event: a\ndata: x\ndata: y\n\ndata: z\n\n",
        "event: a\r\ndata: x\r\ndata: y\r\n\r\ndata: z\r\n\r\n",
        "event: a\rdata: x\rdata: y\r\rdata: z\r\r",
        "event: a\r\ndata: x\rdata: y\n\r\ndata: z\r\r\n",
    };
    size_t       v, step;

    for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        for (step = 1; step <= 4; step++) {
            collect_t  c = { LLM_BUF_INIT, 0, 0 };

            CHECK(parse_split(variants[v], strlen(variants[v]), &step, 1,
                              &c, 0) == 0);
            CHECK_STR(c.log.data, "a|x\ny\n-|z\n");
            llm_buf_free(&c.log);
        }
    }
}

UNIT_TEST(test_sse_crlf_split_at_cr)
{
    /* "\r" ends one feed and "\n" starts the next: one line end, not two */
    llm_sse_parser_t  p;
    collect_t         c = { LLM_BUF_INIT, 0, 0 };

    llm_sse_init(&p, 0);
    CHECK(llm_sse_feed(&p, "data: a\r", 8, collect_cb, &c) == 0);
    CHECK(llm_sse_feed(&p, "\n", 1, collect_cb, &c) == 0);
    CHECK(c.count == 0);
    CHECK(llm_sse_feed(&p, "\r", 1, collect_cb, &c) == 0);
    CHECK(c.count == 1);
    CHECK(llm_sse_feed(&p, "\ndata: b\n", 9, collect_cb, &c) == 0);
    CHECK(c.count == 1);
    CHECK(llm_sse_feed(&p, "\n", 1, collect_cb, &c) == 0);
    CHECK_STR(c.log.data, "-|a\n-|b\n");
    llm_sse_free(&p);
    llm_buf_free(&c.log);
}

UNIT_TEST(test_sse_bom)
{
    const char  *with_bom = "\xEF\xBB\xBF" "data: x\n\n";
    size_t       one = 1;
    collect_t    c = { LLM_BUF_INIT, 0, 0 };
    collect_t    d = { LLM_BUF_INIT, 0, 0 };

    CHECK(parse_whole(with_bom, &c) == 0);
    CHECK(parse_split(with_bom, strlen(with_bom), &one, 1, &d, 0) == 0);
    CHECK_STR(c.log.data, "-|x\n");
    CHECK_STR(d.log.data, "-|x\n");
    llm_buf_free(&c.log);
    llm_buf_free(&d.log);

    /* a partial BOM is ordinary data: the line is an unknown field */
    {
        const char  *not_bom = "\xEF\xBB" "data: x\n\ndata: y\n\n";
        collect_t    e = { LLM_BUF_INIT, 0, 0 };

        CHECK(parse_split(not_bom, strlen(not_bom), &one, 1, &e, 0) == 0);
        CHECK_STR(e.log.data, "-|y\n");
        llm_buf_free(&e.log);
    }
}

UNIT_TEST(test_sse_limits)
{
    collect_t    c = { LLM_BUF_INIT, 0, 0 };
    llm_buf_t    big = LLM_BUF_INIT;
    llm_sse_parser_t  p;
    size_t       step = 7;
    int          i;

    /* many small data lines adding up over the limit */
    for (i = 0; i < 50; i++) {
        llm_buf_append_str(&big, "data: 0123456789\n");
    }
    llm_buf_append_str(&big, "\n");
    CHECK(parse_split(big.data, big.len, &step, 1, &c, 200)
          == LLM_SSE_TOO_BIG);
    CHECK(c.count == 0);
    /* the same stream fits a larger limit */
    CHECK(parse_split(big.data, big.len, &step, 1, &c, 2000) == 0);
    CHECK(c.count == 1);
    llm_buf_free(&c.log);

    /* one endless line without a terminator, and the error is sticky */
    llm_sse_init(&p, 100);
    CHECK(llm_sse_feed(&p, "data: ", 6, collect_cb, &c) == 0);
    for (i = 0; i < 20; i++) {
        if (llm_sse_feed(&p, "0123456789", 10, collect_cb, &c) != 0) {
            break;
        }
    }
    CHECK(i < 20);
    CHECK(llm_sse_feed(&p, "\n\n", 2, collect_cb, &c) == LLM_SSE_TOO_BIG);
    CHECK(llm_sse_finish(&p, collect_cb, &c) == LLM_SSE_TOO_BIG);
    llm_sse_free(&p);

    /* events below the limit keep flowing: the limit is per event */
    llm_buf_reset(&big);
    for (i = 0; i < 100; i++) {
        llm_buf_append_str(&big, "data: 0123456789\n\n");
    }
    c.count = 0;
    llm_buf_free(&c.log);
    CHECK(parse_split(big.data, big.len, &step, 1, &c, 40) == 0);
    CHECK(c.count == 100);
    llm_buf_free(&c.log);
    llm_buf_free(&big);
}

UNIT_TEST(test_sse_abort_and_finish)
{
    collect_t         c = { LLM_BUF_INIT, 0, 2 };
    llm_sse_parser_t  p;
    const char       *s = "data: 1\n\ndata: 2\n\ndata: 3\n\n";

    llm_sse_init(&p, 0);
    CHECK(llm_sse_feed(&p, s, strlen(s), collect_cb, &c) == LLM_SSE_ABORTED);
    CHECK(c.count == 2);
    CHECK(llm_sse_feed(&p, s, strlen(s), collect_cb, &c) == LLM_SSE_ABORTED);
    CHECK(c.count == 2);
    llm_sse_free(&p);
    llm_buf_free(&c.log);

    /* upstream closed after the data line, with or without its newline */
    {
        collect_t  d = { LLM_BUF_INIT, 0, 0 };

        llm_sse_init(&p, 0);
        CHECK(llm_sse_feed(&p, "data: [DONE]", 12, collect_cb, &d) == 0);
        CHECK(d.count == 0);
        CHECK(llm_sse_finish(&p, collect_cb, &d) == 0);
        CHECK_STR(d.log.data, "-|[DONE]\n");
        llm_sse_free(&p);

        llm_sse_init(&p, 0);
        CHECK(llm_sse_feed(&p, "event: x\ndata: y\n", 17, collect_cb, &d) == 0);
        CHECK(llm_sse_finish(&p, collect_cb, &d) == 0);
        CHECK(d.count == 2);
        CHECK_STR(d.log.data, "-|[DONE]\nx|y\n");
        /* nothing pending: finish is a no-op */
        CHECK(llm_sse_finish(&p, collect_cb, &d) == 0);
        CHECK(d.count == 2);
        llm_sse_free(&p);
        llm_buf_free(&d.log);
    }
}

UNIT_TEST(test_sse_write_roundtrip)
{
    llm_buf_t   out = LLM_BUF_INIT;
    collect_t   c = { LLM_BUF_INIT, 0, 0 };

    CHECK(llm_sse_write(&out, "message_start", "{\"a\":1}", 7) == 0);
    CHECK_STR(out.data, "event: message_start\ndata: {\"a\":1}\n\n");
    CHECK(llm_sse_write(&out, NULL, "l1\nl2\r\nl3\r", 10) == 0);
    CHECK(llm_sse_write(&out, NULL, "", 0) == 0);
    CHECK(llm_sse_write(&out, NULL, " lead", 5) == 0);
    CHECK(llm_sse_write_comment(&out, "ping") == 0);
    CHECK(llm_sse_write(&out, NULL, "[DONE]", 6) == 0);

    CHECK(parse_whole(out.data, &c) == 0);
    /* a leading space in the payload survives: the writer adds its own */
    CHECK_STR(c.log.data,
              "message_start|{\"a\":1}\n"
              "-|l1\nl2\nl3\n\n"
              "-|\n"
              "-| lead\n"
              "-|[DONE]\n");
    llm_buf_free(&out);
    llm_buf_free(&c.log);
}

/* ------------------------------------------------------------ samples */

static const char  *samples[] = {
    "openai_stream_text.sse", "openai_stream_tools.sse",
    "openai_stream_reasoning.sse", "openai_stream_error.sse",
    "anthropic_stream_text.sse", "anthropic_stream_tools.sse",
    "anthropic_stream_error.sse",
    "gemini_stream_text.sse", "gemini_stream_tools.sse",
};

/* independent oracle: every sample event has exactly one "data:" line */
static int
count_data_lines(const char *s)
{
    int          n = 0;
    const char  *p = s;

    while ((p = strstr(p, "data:")) != NULL) {
        if (p == s || p[-1] == '\n') {
            n++;
        }
        p += 5;
    }
    return n;
}

/* rewrite every line end as `eol` */
static void
convert_eol(const char *in, size_t len, const char *eol, llm_buf_t *out)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (in[i] == '\r') {
            if (i + 1 < len && in[i + 1] == '\n') {
                i++;
            }
            llm_buf_append_str(out, eol);
        } else if (in[i] == '\n') {
            llm_buf_append_str(out, eol);
        } else {
            llm_buf_append(out, in + i, 1);
        }
    }
}

/* checks each event of a parsed log: JSON data, Anthropic name == type */
static void
check_events(const char *name, const char *log)
{
    const char  *line = log, *bar, *nl;

    while (*line) {
        json_t        *j;
        json_error_t   e;
        char           ev[64];

        bar = strchr(line, '|');
        nl = strchr(bar, '\n');
        if (bar == NULL || nl == NULL) {
            CHECK(0);
            return;
        }
        snprintf(ev, sizeof(ev), "%.*s", (int) (bar - line), line);
        if ((size_t) (nl - bar - 1) == 6 && memcmp(bar + 1, "[DONE]", 6) == 0) {
            CHECK(strncmp(name, "openai", 6) == 0);
        } else {
            j = json_loadb(bar + 1, (size_t) (nl - bar - 1), 0, &e);
            if (j == NULL) {
                fprintf(stderr, "%s: bad JSON event: %s\n", name, e.text);
            }
            CHECK(j != NULL);
            if (j && strncmp(name, "anthropic", 9) == 0) {
                CHECK_STR(json_string_value(json_object_get(j, "type")), ev);
            }
            if (j && strncmp(name, "anthropic", 9) != 0) {
                CHECK_STR(ev, "-");
            }
            json_decref(j);
        }
        line = nl + 1;
    }
}

UNIT_TEST(test_sse_samples)
{
    size_t  s;

    srand(12345);
    for (s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
        size_t      len, one = 1, i;
        char       *in = read_sample(samples[s], &len);
        collect_t   whole = { LLM_BUF_INIT, 0, 0 };
        const char *eols[] = { "\n", "\r\n", "\r" };

        CHECK(in != NULL && len > 0);
        if (in == NULL) {
            continue;
        }

        CHECK(parse_split(in, len, &len, 1, &whole, 0) == 0);
        CHECK(whole.count == count_data_lines(in));
        CHECK(whole.count >= 2);
        check_events(samples[s], whole.log.data);

        /* byte by byte */
        {
            collect_t  c = { LLM_BUF_INIT, 0, 0 };

            CHECK(parse_split(in, len, &one, 1, &c, 0) == 0);
            CHECK_STR(c.log.data, whole.log.data);
            llm_buf_free(&c.log);
        }

        /* random splits */
        for (i = 0; i < 50; i++) {
            size_t     sizes[16];
            size_t     k;
            collect_t  c = { LLM_BUF_INIT, 0, 0 };

            for (k = 0; k < 16; k++) {
                sizes[k] = 1 + (size_t) rand() % 97;
            }
            CHECK(parse_split(in, len, sizes, 16, &c, 0) == 0);
            CHECK_STR(c.log.data, whole.log.data);
            llm_buf_free(&c.log);
        }

        /* the same stream with each line-ending style */
        for (i = 0; i < 3; i++) {
            llm_buf_t  conv = LLM_BUF_INIT;
            collect_t  c = { LLM_BUF_INIT, 0, 0 };
            size_t     three = 3;

            convert_eol(in, len, eols[i], &conv);
            CHECK(parse_split(conv.data, conv.len, &three, 1, &c, 0) == 0);
            CHECK_STR(c.log.data, whole.log.data);
            llm_buf_free(&c.log);
            llm_buf_free(&conv);
        }

        llm_buf_free(&whole.log);
        free(in);
    }
}




/* one data line inside one feed reaches the callback in place, not copied */
UNIT_TEST(test_single_line_in_place)
{
    static const char  in[] = "data: {\"a\":1}\n\ndata: x\ndata: y\n\n";
    llm_sse_parser_t   p;
    collect_t          c;

    memset(&c, 0, sizeof(c));
    llm_sse_init(&p, 0);

    CHECK(llm_sse_feed(&p, in, sizeof(in) - 1, collect_cb, &c) == LLM_SSE_OK);
    CHECK(c.count == 2);
    CHECK_STR(c.log.data, "-|{\"a\":1}\n-|x\ny\n");
    /* the joined one is a copy */
    CHECK(last_data < in || last_data >= in + sizeof(in));

    /* an event open at the end of a feed keeps its data past that feed */
    llm_buf_reset(&c.log);
    c.count = 0;
    {
        char  part[16];

        memcpy(part, "data: kept\n", 11);
        CHECK(llm_sse_feed(&p, part, 11, collect_cb, &c) == LLM_SSE_OK);
        memset(part, '#', sizeof(part));
        CHECK(llm_sse_feed(&p, "\n", 1, collect_cb, &c) == LLM_SSE_OK);
    }
    CHECK(c.count == 1);
    CHECK_STR(c.log.data, "-|kept\n");

    llm_sse_free(&p);
    llm_buf_free(&c.log);
}

/*
 * p->open after each feed: the bytes since the last blank line, whatever
 * the feeds' sizes and line ends.  The reference marks a blank line's end
 * after its "\r" and again after the "\n" of "\r\n".
 */

static size_t
ref_open(const char *s, size_t fed)
{
    size_t  i, last = 0, line = 0;

    for (i = 0; i < fed; i++) {
        if (s[i] == '\n' && i > 0 && s[i - 1] == '\r') {
            if (last == i) {
                last = i + 1;
            }
            line = i + 1;
            continue;
        }

        if (s[i] == '\n' || s[i] == '\r') {
            if (line == i) {
                last = i + 1;
            }
            line = i + 1;
        }
    }

    return fed - last;
}

UNIT_TEST(test_sse_open_bytes)
{
    size_t             len, step, i, n;
    llm_sse_parser_t   p;
    collect_t          c = { LLM_BUF_INIT, 0, 0 };

    static const char  s[] = "data: {\"a\":1}\n\n: comment\n\n"
                             "event: x\r\ndata: two\r\n\r\n"
                             "data: cr\r\rdata: mixed\r\n\n"
                             "data: tail no end";

    len = sizeof(s) - 1;

    for (step = 1; step <= len; step++) {
        llm_sse_init(&p, 0);

        for (i = 0; i < len; i += n) {
            n = i + step > len ? len - i : step;
            CHECK(llm_sse_feed(&p, s + i, n, collect_cb, &c) == 0);
            CHECK(p.open == ref_open(s, i + n));
        }

        CHECK(p.open == strlen("data: tail no end"));
        llm_sse_free(&p);
    }

    llm_buf_free(&c.log);
}

UNIT_MAIN(test_buf_basics, test_sse_fields, test_sse_empty_data_dispatches,
          test_sse_line_endings, test_sse_crlf_split_at_cr, test_sse_bom,
          test_sse_limits, test_sse_abort_and_finish, test_sse_write_roundtrip,
          test_sse_samples, test_single_line_in_place,
          test_sse_open_bytes)
