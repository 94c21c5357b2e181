/*
 * The AWS event-stream decoder (llm_eventstream.c): AWS's empty-message
 * vector, header types, messages split at every byte, and each way a frame
 * can be broken.
 */

#include <string.h>

#include "llm_eventstream.h"
#include "unit.h"


typedef struct {
    int        n;
    char       types[8][32];
    char       payloads[8][128];
    char       exc[32];
} seen_t;


static int
collect(const llm_evs_message_t *m, void *arg)
{
    seen_t  *s = arg;

    if (s->n < 8) {
        snprintf(s->types[s->n], sizeof(s->types[0]), "%.*s",
                 (int) m->event_type.len, m->event_type.data);
        snprintf(s->payloads[s->n], sizeof(s->payloads[0]), "%.*s",
                 (int) m->payload_len, (const char *) m->payload);
    }
    if (m->exception_type.len) {
        snprintf(s->exc, sizeof(s->exc), "%.*s", (int) m->exception_type.len,
                 m->exception_type.data);
    }
    s->n++;
    return 0;
}


/* AWS's encoded/positive/empty_message test vector */
UNIT_TEST(empty_message)
{
    static const unsigned char  v[] = {
        0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
        0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff
    };
    llm_evs_parser_t  p;
    llm_buf_t         b = LLM_BUF_INIT;
    seen_t            s;

    memset(&s, 0, sizeof(s));
    llm_evs_init(&p);
    CHECK(llm_evs_feed(&p, v, sizeof(v), collect, &s) == LLM_EVS_OK);
    CHECK(s.n == 1 && s.payloads[0][0] == '\0');
    CHECK(llm_evs_pending(&p) == 0);
    llm_evs_free(&p);

    /* the encoder writes exactly those bytes */
    CHECK(llm_evs_encode(&b, NULL, 0, NULL, 0) == 0);
    CHECK(b.len == sizeof(v) && memcmp(b.data, v, sizeof(v)) == 0);
    llm_buf_free(&b);
}


static void
three_messages(llm_buf_t *b)
{
    static const char *const  h1[] = { ":event-type", "messageStart",
                                       ":content-type", "application/json",
                                       ":message-type", "event" };
    static const char *const  h2[] = { ":event-type", "contentBlockDelta",
                                       ":message-type", "event" };
    static const char *const  h3[] = { ":exception-type",
                                       "throttlingException",
                                       ":message-type", "exception" };

    CHECK(llm_evs_encode(b, h1, 3, "{\"role\":\"assistant\"}", 20) == 0);
    CHECK(llm_evs_encode(b, h2, 2, "{\"delta\":{\"text\":\"Hi\"}}", 23) == 0);
    CHECK(llm_evs_encode(b, h3, 2, "{\"message\":\"slow down\"}", 23) == 0);
}


static void
check_three(const seen_t *s)
{
    CHECK(s->n == 3);
    CHECK_STR(s->types[0], "messageStart");
    CHECK_STR(s->payloads[0], "{\"role\":\"assistant\"}");
    CHECK_STR(s->types[1], "contentBlockDelta");
    CHECK_STR(s->payloads[1], "{\"delta\":{\"text\":\"Hi\"}}");
    CHECK_STR(s->exc, "throttlingException");
}


/* every split point, and one byte at a time */
UNIT_TEST(split_anywhere)
{
    size_t            cut, i;
    int               ok = 1;
    llm_buf_t         b = LLM_BUF_INIT;
    llm_evs_parser_t  p;
    seen_t            s;

    three_messages(&b);

    for (cut = 0; cut <= b.len; cut++) {
        memset(&s, 0, sizeof(s));
        llm_evs_init(&p);
        ok &= llm_evs_feed(&p, b.data, cut, collect, &s) == LLM_EVS_OK;
        ok &= llm_evs_feed(&p, b.data + cut, b.len - cut, collect, &s)
              == LLM_EVS_OK;
        ok &= s.n == 3 && llm_evs_pending(&p) == 0;
        llm_evs_free(&p);
    }
    CHECK(ok);

    memset(&s, 0, sizeof(s));
    llm_evs_init(&p);
    for (i = 0; i < b.len; i++) {
        CHECK(llm_evs_feed(&p, b.data + i, 1, collect, &s) == LLM_EVS_OK);
    }
    check_three(&s);
    llm_evs_free(&p);

    /* a stream cut mid-message leaves the bytes pending */
    memset(&s, 0, sizeof(s));
    llm_evs_init(&p);
    CHECK(llm_evs_feed(&p, b.data, b.len - 5, collect, &s) == LLM_EVS_OK);
    CHECK(s.n == 2 && llm_evs_pending(&p) > 0);
    llm_evs_free(&p);

    llm_buf_free(&b);
}


static int
feed_all(const void *data, size_t len, char *why, size_t whylen)
{
    llm_evs_parser_t  p;
    seen_t            s;
    int               rc;

    memset(&s, 0, sizeof(s));
    llm_evs_init(&p);
    rc = llm_evs_feed(&p, data, len, collect, &s);
    snprintf(why, whylen, "%s", p.error);
    /* once failed, always failed */
    if (rc == LLM_EVS_ERROR) {
        CHECK(llm_evs_feed(&p, "", 0, collect, &s) == LLM_EVS_ERROR);
    }
    llm_evs_free(&p);
    return rc;
}


UNIT_TEST(broken_frames)
{
    llm_buf_t       b = LLM_BUF_INIT;
    unsigned char  *d;
    char            why[96];

    three_messages(&b);
    d = (unsigned char *) b.data;

    /* a payload byte flipped: the message CRC */
    d[40] ^= 0x01;
    CHECK(feed_all(d, b.len, why, sizeof(why)) == LLM_EVS_ERROR);
    CHECK(strstr(why, "message CRC") != NULL);
    d[40] ^= 0x01;

    /* the length changed: the prelude CRC */
    d[3] ^= 0x40;
    CHECK(feed_all(d, b.len, why, sizeof(why)) == LLM_EVS_ERROR);
    CHECK(strstr(why, "prelude CRC") != NULL);
    d[3] ^= 0x40;

    CHECK(feed_all(d, b.len, why, sizeof(why)) == LLM_EVS_OK);
    llm_buf_free(&b);
}


/* a frame whose CRCs are right but whose insides do not add up */
static void
frame(llm_buf_t *b, uint32_t total, uint32_t hlen, const void *rest,
    size_t rest_len)
{
    unsigned char  pre[12];
    uint32_t       crc;
    unsigned char  c[4];

    pre[0] = total >> 24; pre[1] = total >> 16; pre[2] = total >> 8;
    pre[3] = total;
    pre[4] = hlen >> 24; pre[5] = hlen >> 16; pre[6] = hlen >> 8;
    pre[7] = hlen;
    crc = llm_evs_crc32(0, pre, 8);
    pre[8] = crc >> 24; pre[9] = crc >> 16; pre[10] = crc >> 8; pre[11] = crc;

    llm_buf_reset(b);
    llm_buf_append(b, pre, 12);
    llm_buf_append(b, rest, rest_len);
    crc = llm_evs_crc32(0, b->data, b->len);
    c[0] = crc >> 24; c[1] = crc >> 16; c[2] = crc >> 8; c[3] = crc;
    llm_buf_append(b, c, 4);
}


UNIT_TEST(malformed)
{
    llm_buf_t  b = LLM_BUF_INIT;
    char       why[96];

    /* a header name running past the headers */
    frame(&b, 16 + 3, 3, "\x09:e", 3);
    CHECK(feed_all(b.data, b.len, why, sizeof(why)) == LLM_EVS_ERROR);
    CHECK(strstr(why, "header") != NULL);

    /* a string value longer than what is left */
    frame(&b, 16 + 6, 6, "\x01x\x07\x00\x09z", 6);
    CHECK(feed_all(b.data, b.len, why, sizeof(why)) == LLM_EVS_ERROR);

    /* an unknown value type */
    frame(&b, 16 + 3, 3, "\x01x\x0a", 3);
    CHECK(feed_all(b.data, b.len, why, sizeof(why)) == LLM_EVS_ERROR);
    CHECK(strstr(why, "type") != NULL);

    /* headers longer than the message */
    frame(&b, 16, 4, "", 0);
    CHECK(feed_all(b.data, b.len, why, sizeof(why)) == LLM_EVS_ERROR);
    CHECK(strstr(why, "length") != NULL);

    /* shorter than a prelude and CRC; longer than the limit */
    frame(&b, 12, 0, "", 0);
    CHECK(feed_all(b.data, b.len, why, sizeof(why)) == LLM_EVS_ERROR);
    frame(&b, LLM_EVS_MAX_LEN + 1, 0, "", 0);
    CHECK(feed_all(b.data, b.len, why, sizeof(why)) == LLM_EVS_ERROR);

    /* every fixed-size type is skipped correctly: the frame is fine */
#define ALL_TYPES  "\x01" "a\x00" "\x01" "b\x01" "\x01" "c\x02\x07"         \
                   "\x01" "d\x03\x00\x01" "\x01" "e\x04\x00\x00\x00\x01"       \
                   "\x01" "f\x05\x00\x00\x00\x00\x00\x00\x00\x01"            \
                   "\x01" "g\x09" "0123456789abcdef"                        \
                   "\x01" "i\x08\x00\x00\x00\x00\x00\x00\x00\x01"
    frame(&b, 16 + sizeof(ALL_TYPES) - 1, sizeof(ALL_TYPES) - 1, ALL_TYPES,
          sizeof(ALL_TYPES) - 1);
    CHECK(feed_all(b.data, b.len, why, sizeof(why)) == LLM_EVS_OK);

    /* a bytes header without its length */
    frame(&b, 16 + 3, 3, "\x01h\x06", 3);
    CHECK(feed_all(b.data, b.len, why, sizeof(why)) == LLM_EVS_ERROR);

    llm_buf_free(&b);
}


UNIT_MAIN(empty_message, split_anywhere, broken_frames, malformed)
