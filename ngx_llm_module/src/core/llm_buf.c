/*
 * Growable byte buffer.  Growth doubles the capacity so appending n bytes in
 * small pieces costs O(n) copies overall; every size computation is checked
 * for overflow because lengths come from untrusted network input.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "llm_buf.h"

#define LLM_BUF_MIN_CAP  64

int
llm_buf_reserve(llm_buf_t *b, size_t extra)
{
    size_t  need, cap;
    char   *p;

    if (extra > SIZE_MAX - b->len - 1) {
        return -1;
    }
    need = b->len + extra + 1;          /* +1: keep room for the NUL */
    if (need <= b->cap) {
        return 0;
    }

    cap = b->cap ? b->cap : LLM_BUF_MIN_CAP;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }

    p = realloc(b->data, cap);
    if (p == NULL) {
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int
llm_buf_append(llm_buf_t *b, const void *data, size_t len)
{
    if (llm_buf_reserve(b, len) != 0) {
        return -1;
    }
    if (len) {
        memcpy(b->data + b->len, data, len);
    }
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int
llm_buf_append_str(llm_buf_t *b, const char *s)
{
    return llm_buf_append(b, s, strlen(s));
}

int
llm_buf_vappendf(llm_buf_t *b, const char *fmt, va_list ap)
{
    va_list  ap2;
    int      n;

    /* first try within the current spare room; most calls fit */
    va_copy(ap2, ap);
    n = vsnprintf(b->data ? b->data + b->len : NULL,
                  b->data ? b->cap - b->len : 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        if (b->data) {
            b->data[b->len] = '\0';
        }
        return -1;
    }
    if (b->data && (size_t) n < b->cap - b->len) {
        b->len += (size_t) n;
        return 0;
    }

    if (llm_buf_reserve(b, (size_t) n) != 0) {
        if (b->data) {
            b->data[b->len] = '\0';
        }
        return -1;
    }
    va_copy(ap2, ap);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    va_end(ap2);
    b->len += (size_t) n;
    return 0;
}

int
llm_buf_appendf(llm_buf_t *b, const char *fmt, ...)
{
    va_list  ap;
    int      rc;

    va_start(ap, fmt);
    rc = llm_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void
llm_buf_reset(llm_buf_t *b)
{
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

void
llm_buf_free(llm_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
