/*
 * What the fast jansson loader (llm_json_tree_load.c) and writer
 * (llm_json_tree_dump.c) share: their limits, the buffer helpers and the
 * scanners for the bytes of a string.  The scanners are inline: they run
 * for every string of a body, in both directions.
 */

#ifndef LLM_JSON_TREE_INT_H
#define LLM_JSON_TREE_INT_H

#include <limits.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "llm_json_tree.h"



/* load flags the fast parser implements; others go to json_loadb() */
#define LLM_JL_FLAGS                                                          \
    (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* dump flags the fast writer implements (JSON_PRESERVE_ORDER is a no-op
   since jansson 2.8: objects always keep insertion order) */
#define LLM_JD_FLAGS                                                          \
    (JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER                     \
     | JSON_REAL_PRECISION(31))

/* container frames kept on the C stack before moving to the heap */
#define LLM_JT_STACK      32

/* the writer hands deeper trees (and reference cycles) to jansson */
#define LLM_JD_MAX_DEPTH  2048

/* longer real numbers are left to jansson */
#define LLM_JL_NUM_MAX    64

#if JSON_INTEGER_IS_LONG_LONG
#define LLM_JT_INT_MAX    LLONG_MAX
#define LLM_JT_INT_MIN    LLONG_MIN
#else
#define LLM_JT_INT_MAX    LONG_MAX
#define LLM_JT_INT_MIN    LONG_MIN
#endif

#define llm_jt_digit(c)   ((c) >= '0' && (c) <= '9')

#define llm_jl_ws(p, end)                                                     \
    while ((p) < (end)                                                        \
           && (*(p) == ' ' || *(p) == '\n' || *(p) == '\r' || *(p) == '\t'))  \
    {                                                                         \
        (p)++;                                                                \
    }

/* room for n more bytes and the NUL */
#define llm_jt_room(b, n)                                                     \
    ((b)->cap - (b)->len > (n) || llm_buf_reserve(b, n) == 0)

/* n bytes appended to b; 0 when they fit */
#define llm_jt_put(b, s, n)                                                   \
    (llm_jt_room(b, n) ? (memcpy((b)->data + (b)->len, s, n),                 \
                          (b)->len += (n), 0)                                 \
                       : -1)


typedef struct {
    const unsigned char  *start, *p, *end;
    size_t                flags;
    llm_buf_t             key;      /* decoded key when it had escapes */
    llm_buf_t             val;      /* decoded string value, likewise */
    int                   nul;      /* the last string decoded a NUL */
    int                   point;    /* the locale's decimal point is '.':
                                       1 yes, 0 no, -1 not asked yet */
} llm_jl_t;


typedef struct {
    json_t  *json;
    int      object;
} llm_jl_frame_t;


typedef struct {
    const json_t  *json;
    void          *iter;            /* objects: the member being written */
    size_t         index, size;     /* arrays */
    int            object;
} llm_jd_frame_t;


/*
 * The first byte at or after p that is a quote, a backslash, a control
 * byte or not ASCII; end when there is none.  Bytes from lo on may be read:
 * a tail shorter than a block is then read in the block ending at end.
 */

static inline const unsigned char *
llm_jt_plain(const unsigned char *p, const unsigned char *end,
             const unsigned char *lo)
{
#if defined(__SSE2__)
    __m128i   a, b;
    unsigned  m;
    size_t    n;

    const __m128i  quote = _mm_set1_epi8('"');
    const __m128i  bslash = _mm_set1_epi8('\\');
    const __m128i  space = _mm_set1_epi8(0x20);

    /* signed compare: 0x00-0x1f and 0x80-0xff are both "below" 0x20 */
#define llm_jt_special(v)                                                     \
    _mm_or_si128(_mm_cmplt_epi8(v, space),                                    \
                 _mm_or_si128(_mm_cmpeq_epi8(v, quote),                       \
                              _mm_cmpeq_epi8(v, bslash)))

    while (end - p >= 32) {
        a = llm_jt_special(_mm_loadu_si128((const __m128i *) p));
        b = llm_jt_special(_mm_loadu_si128((const __m128i *) (p + 16)));
        m = (unsigned) _mm_movemask_epi8(_mm_or_si128(a, b));

        if (m) {
            m = (unsigned) _mm_movemask_epi8(a);
            if (m) {
                return p + __builtin_ctz(m);
            }
            return p + 16 + __builtin_ctz((unsigned) _mm_movemask_epi8(b));
        }

        p += 32;
    }

    if (end - p >= 16) {
        m = (unsigned) _mm_movemask_epi8(
                llm_jt_special(_mm_loadu_si128((const __m128i *) p)));
        if (m) {
            return p + __builtin_ctz(m);
        }
        p += 16;
    }

    n = (size_t) (end - p);

    if (n && end - lo >= 16) {
        /* the last 16 bytes, without those before p */
        m = (unsigned) _mm_movemask_epi8(
                llm_jt_special(_mm_loadu_si128((const __m128i *) (end - 16))));
        m >>= 16 - n;
        return m ? p + __builtin_ctz(m) : end;
    }

#undef llm_jt_special
#endif

    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
        p++;
    }

    return p;
}


/*
 * The length of the well-formed UTF-8 sequence at p (its first byte is not
 * ASCII), or 0.  Like jansson: no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */

static inline size_t
llm_jt_utf8(const unsigned char *p, const unsigned char *end)
{
    unsigned char  c, lo, hi;
    size_t         n, i;

    c = p[0];
    lo = 0x80;
    hi = 0xbf;

    if (c < 0xc2) {
        return 0;

    } else if (c < 0xe0) {
        n = 2;

    } else if (c < 0xf0) {
        n = 3;
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f;
        }

    } else if (c < 0xf5) {
        n = 4;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f;
        }

    } else {
        return 0;
    }

    if ((size_t) (end - p) < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
    }

    return n;
}


/*
 * The end of the run of well-formed non-ASCII UTF-8 text at q (*q is not
 * ASCII), or NULL at the first ill-formed sequence.
 */

static inline const unsigned char *
llm_jt_utf8_run(const unsigned char *q, const unsigned char *end)
{
    size_t  k;

    do {
        k = llm_jt_utf8(q, end);
        if (k == 0) {
            return NULL;
        }
        q += k;
    } while (q < end && *q >= 0x80);

    return q;
}


#endif /* LLM_JSON_TREE_INT_H */
