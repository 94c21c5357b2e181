/*
 * AWS event-stream decoder (see llm_eventstream.h).  Complete messages are
 * decoded where they lie in the caller's bytes; only a message split
 * across feeds is copied, into p->pending, until it is whole.
 */

#include <stdio.h>
#include <string.h>

#include "llm_eventstream.h"


/* header value types of the framing */
enum {
    LLM_EVS_TRUE = 0, LLM_EVS_FALSE, LLM_EVS_BYTE, LLM_EVS_SHORT,
    LLM_EVS_INT, LLM_EVS_LONG, LLM_EVS_BYTES, LLM_EVS_STRING,
    LLM_EVS_TIMESTAMP, LLM_EVS_UUID
};


static uint32_t  llm_evs_crc_table[256];
static int       llm_evs_crc_ready;


static void
llm_evs_crc_init(void)
{
    uint32_t  c, i, k;

    for (i = 0; i < 256; i++) {
        c = i;
        for (k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        llm_evs_crc_table[i] = c;
    }
    llm_evs_crc_ready = 1;
}


uint32_t
llm_evs_crc32(uint32_t crc, const void *data, size_t len)
{
    const unsigned char  *p = data;

    if (!llm_evs_crc_ready) {
        /* idempotent: racing threads write the same table */
        llm_evs_crc_init();
    }

    crc = ~crc;
    while (len--) {
        crc = llm_evs_crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}


static uint32_t
llm_evs_u32(const unsigned char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


static void
llm_evs_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}


void
llm_evs_init(llm_evs_parser_t *p)
{
    memset(p, 0, sizeof(*p));
}


void
llm_evs_free(llm_evs_parser_t *p)
{
    llm_buf_free(&p->pending);
}


size_t
llm_evs_pending(const llm_evs_parser_t *p)
{
    return p->pending.len;
}


static int
llm_evs_fail(llm_evs_parser_t *p, const char *why)
{
    p->failed = 1;
    snprintf(p->error, sizeof(p->error), "event stream: %s", why);
    return LLM_EVS_ERROR;
}


/* the total length a prelude announces, 0 when it is invalid */

static uint32_t
llm_evs_prelude(llm_evs_parser_t *p, const unsigned char *b)
{
    uint32_t  total, hlen;

    total = llm_evs_u32(b);
    hlen = llm_evs_u32(b + 4);

    if (llm_evs_crc32(0, b, 8) != llm_evs_u32(b + 8)) {
        llm_evs_fail(p, "prelude CRC mismatch");
        return 0;
    }
    if (total < LLM_EVS_MIN_LEN || total > LLM_EVS_MAX_LEN
        || hlen > total - LLM_EVS_MIN_LEN)
    {
        llm_evs_fail(p, "message length out of range");
        return 0;
    }
    return total;
}


static int
llm_evs_headers(llm_evs_parser_t *p, const unsigned char *h, size_t len,
    llm_evs_message_t *m)
{
    size_t                nlen, vlen;
    const char           *name;
    llm_evs_str_t        *dst;
    const unsigned char  *end = h + len;

    static const size_t  fixed[] = { 0, 0, 1, 2, 4, 8, 0, 0, 8, 16 };

    while (h < end) {
        nlen = *h++;
        if (nlen == 0 || (size_t) (end - h) < nlen + 1) {
            return llm_evs_fail(p, "truncated header name");
        }
        name = (const char *) h;
        h += nlen;

        switch (*h++) {

        case LLM_EVS_BYTES:
        case LLM_EVS_STRING:
            if (end - h < 2) {
                return llm_evs_fail(p, "truncated header value");
            }
            vlen = ((size_t) h[0] << 8) | h[1];
            h += 2;
            if ((size_t) (end - h) < vlen) {
                return llm_evs_fail(p, "truncated header value");
            }

            dst = NULL;
            if (h[-3] == LLM_EVS_STRING && name[0] == ':') {
#define LLM_EVS_IS(s)  (nlen == sizeof(s) - 1 && memcmp(name, s, nlen) == 0)
                if (LLM_EVS_IS(":message-type")) {
                    dst = &m->message_type;
                } else if (LLM_EVS_IS(":event-type")) {
                    dst = &m->event_type;
                } else if (LLM_EVS_IS(":exception-type")) {
                    dst = &m->exception_type;
                } else if (LLM_EVS_IS(":error-code")) {
                    dst = &m->error_code;
                } else if (LLM_EVS_IS(":error-message")) {
                    dst = &m->error_message;
                }
#undef LLM_EVS_IS
            }
            if (dst != NULL) {
                dst->data = (const char *) h;
                dst->len = vlen;
            }
            h += vlen;
            break;

        default:
            if (h[-1] > LLM_EVS_UUID) {
                return llm_evs_fail(p, "unknown header value type");
            }
            vlen = fixed[h[-1]];
            if ((size_t) (end - h) < vlen) {
                return llm_evs_fail(p, "truncated header value");
            }
            h += vlen;
        }
    }
    return LLM_EVS_OK;
}


/* one whole message of total bytes at b */

static int
llm_evs_message(llm_evs_parser_t *p, const unsigned char *b, uint32_t total,
    llm_evs_fn fn, void *arg)
{
    uint32_t           hlen;
    llm_evs_message_t  m;

    if (llm_evs_crc32(0, b, total - 4) != llm_evs_u32(b + total - 4)) {
        return llm_evs_fail(p, "message CRC mismatch");
    }

    hlen = llm_evs_u32(b + 4);
    memset(&m, 0, sizeof(m));

    if (llm_evs_headers(p, b + LLM_EVS_PRELUDE_LEN, hlen, &m) != LLM_EVS_OK) {
        return LLM_EVS_ERROR;
    }

    m.payload = b + LLM_EVS_PRELUDE_LEN + hlen;
    m.payload_len = total - LLM_EVS_MIN_LEN - hlen;

    return fn(&m, arg);
}


int
llm_evs_feed(llm_evs_parser_t *p, const void *data, size_t len,
    llm_evs_fn fn, void *arg)
{
    size_t                take, have;
    uint32_t              total;
    int                   rc;
    const unsigned char  *d = data;

    if (p->failed) {
        return LLM_EVS_ERROR;
    }

    /* first complete what an earlier feed left incomplete */
    while (p->pending.len > 0 && len > 0) {
        have = p->pending.len;
        total = 0;

        if (have < LLM_EVS_PRELUDE_LEN) {
            take = LLM_EVS_PRELUDE_LEN - have;
        } else {
            total = llm_evs_u32((unsigned char *) p->pending.data);
            take = total - have;
        }
        take = take < len ? take : len;

        if (llm_buf_append(&p->pending, d, take) != 0) {
            return llm_evs_fail(p, "out of memory");
        }
        d += take;
        len -= take;

        if (total == 0 && p->pending.len == LLM_EVS_PRELUDE_LEN) {
            if (llm_evs_prelude(p, (unsigned char *) p->pending.data) == 0) {
                return LLM_EVS_ERROR;
            }
            continue;
        }

        if (total != 0 && p->pending.len == total) {
            rc = llm_evs_message(p, (unsigned char *) p->pending.data, total,
                                 fn, arg);
            llm_buf_reset(&p->pending);
            if (rc != LLM_EVS_OK) {
                return rc;
            }
        }
    }

    /* whole messages where they lie */
    while (len >= LLM_EVS_PRELUDE_LEN) {
        total = llm_evs_prelude(p, d);
        if (total == 0) {
            return LLM_EVS_ERROR;
        }
        if (len < total) {
            break;
        }

        rc = llm_evs_message(p, d, total, fn, arg);
        if (rc != LLM_EVS_OK) {
            return rc;
        }
        d += total;
        len -= total;
    }

    /* the start of the next one waits for its remainder */
    if (len > 0) {
        if (llm_buf_append(&p->pending, d, len) != 0) {
            return llm_evs_fail(p, "out of memory");
        }
    }
    return LLM_EVS_OK;
}


int
llm_evs_encode(llm_buf_t *out, const char *const *headers, size_t nheaders,
    const void *payload, size_t payload_len)
{
    size_t          i, hlen, nlen, vlen, start;
    unsigned char  *b, *h;

    hlen = 0;
    for (i = 0; i < nheaders; i++) {
        nlen = strlen(headers[2 * i]);
        vlen = strlen(headers[2 * i + 1]);
        if (nlen == 0 || nlen > 255 || vlen > 65535) {
            return -1;
        }
        hlen += 1 + nlen + 1 + 2 + vlen;
    }

    start = out->len;
    if (llm_buf_reserve(out, LLM_EVS_MIN_LEN + hlen + payload_len) != 0) {
        return -1;
    }

    b = (unsigned char *) out->data + start;
    llm_evs_put_u32(b, (uint32_t) (LLM_EVS_MIN_LEN + hlen + payload_len));
    llm_evs_put_u32(b + 4, (uint32_t) hlen);
    llm_evs_put_u32(b + 8, llm_evs_crc32(0, b, 8));

    h = b + LLM_EVS_PRELUDE_LEN;
    for (i = 0; i < nheaders; i++) {
        nlen = strlen(headers[2 * i]);
        vlen = strlen(headers[2 * i + 1]);
        *h++ = (unsigned char) nlen;
        memcpy(h, headers[2 * i], nlen);
        h += nlen;
        *h++ = LLM_EVS_STRING;
        *h++ = (unsigned char) (vlen >> 8);
        *h++ = (unsigned char) vlen;
        memcpy(h, headers[2 * i + 1], vlen);
        h += vlen;
    }
    if (payload_len) {
        memcpy(h, payload, payload_len);
    }
    h += payload_len;
    llm_evs_put_u32(h, llm_evs_crc32(0, b, (size_t) (h - b)));
    h += 4;

    out->len = start + (size_t) (h - b);
    out->data[out->len] = '\0';
    return 0;
}
