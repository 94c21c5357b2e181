/*
 * Finding members without validating: provider answers and stream events
 * are forwarded as they are, so only the usage member is wanted from them,
 * and checking the grammar of each would cost more than all the rest of
 * their handling.  Strings are skipped with SSE2 searches, nested
 * containers by counting brackets, forwards from the start or backwards
 * from the end (where providers put usage); every offset stays within the
 * input whatever it holds.
 */

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "llm_json_scan_int.h"


/* The first '"' at or after c, or end: inline, as most strings are short. */

static const char *
llm_find_quote(const char *c, const char *end)
{
#if defined(__SSE2__)
    int            mask;
    const __m128i  quote = _mm_set1_epi8('"');

    while (end - c >= 16) {
        mask = _mm_movemask_epi8(_mm_cmpeq_epi8(
                   _mm_loadu_si128((const __m128i *) c), quote));

        if (mask) {
            return c + __builtin_ctz((unsigned) mask);
        }

        c += 16;
    }
#endif

    while (c < end && *c != '"') {
        c++;
    }

    return c;
}


const char *
llm_json_string_end(const char *c, const char *end)
{
    const char  *q, *b;

    /* c is past the opening quote: the closing one has an even run of
     * backslashes before it */
    for ( ;; ) {
        q = llm_find_quote(c, end);

        if (q == end) {
            return end;
        }

        for (b = q; b > c && b[-1] == '\\'; b--) { /* void */ }

        if ((q - b) % 2 == 0) {
            return q + 1;
        }

        c = q + 1;
    }
}


static const char *
llm_locate_value_end(const char *c, const char *end)
{
    int  depth;

    if (c < end && *c == '"') {
        return llm_json_string_end(c + 1, end);
    }

    if (c < end && *c != '{' && *c != '[') {
        /* a number or literal */
        while (c < end && *c != ',' && *c != '}' && *c != ']' && *c != ' '
               && *c != '\n' && *c != '\r' && *c != '\t')
        {
            c++;
        }

        return c;
    }

    depth = 0;

    while (c < end) {
        switch (*c++) {
        case '"':
            c = llm_json_string_end(c, end);
            break;
        case '{':
        case '[':
            depth++;
            break;
        case '}':
        case ']':
            if (--depth == 0) {
                return c;
            }
            break;
        }
    }

    return end;
}


/*
 * llm_json_member_slot() for the locator: the names of interest, written
 * plainly, are matched without a call; any other name is decoded only if
 * it has an escape.  Provider answers are not requests: names that only
 * fold onto one need not be counted.
 */

static llm_json_member_t *
llm_locate_slot(llm_json_scan_t *out, const char *key, size_t len)
{
    llm_json_member_t  *m;

    switch (len) {
    case 5:
        m = (memcmp(key, "usage", 5) == 0) ? &out->usage
            : (memcmp(key, "model", 5) == 0) ? &out->model : NULL;
        break;
    case 6:
        m = (memcmp(key, "stream", 6) == 0) ? &out->stream : NULL;
        break;
    case 7:
        m = (memcmp(key, "message", 7) == 0) ? &out->message : NULL;
        break;
    case 10:
        m = (memcmp(key, "max_tokens", 10) == 0) ? &out->max_tokens : NULL;
        break;
    case 13:
        m = (memcmp(key, "usageMetadata", 13) == 0) ? &out->usage : NULL;
        break;
    case 14:
        m = (memcmp(key, "stream_options", 14) == 0) ? &out->stream_options
                                                       : NULL;
        break;
    default:
        m = NULL;
    }

    /*
     * A letter can only be escaped as \\u0075: 6 bytes for 1.  Longer than
     * any name even so is no name of interest, and is also what a broken
     * key comes to (len may even have wrapped around).
     */
    if (m != NULL || len < 10 || len > 16 * 6
        || memchr(key, '\\', len) == NULL)
    {
        return m;
    }

    return llm_json_member_slot(out, key, len);
}


int
llm_json_locate(const char *p, size_t len, llm_json_scan_t *out)
{
    const char         *c, *end, *key;
    llm_json_member_t  *m;

    memset(out, 0, sizeof(*out));

    c = p;
    end = p + len;

    llm_skip_ws(c, end);

    if (c >= end || *c != '{') {
        return -1;
    }

    out->object_start = (size_t) (c - p);
    c++;

    for ( ;; ) {
        llm_skip_ws(c, end);

        if (c < end && *c == '}') {
            out->object_end = (size_t) (c - p);
            return 0;
        }

        if (c >= end || *c != '"') {
            return -1;
        }

        key = c;
        c = llm_json_string_end(c + 1, end);
        m = llm_locate_slot(out, key + 1, (size_t) (c - key) - 2);

        llm_skip_ws(c, end);

        if (c >= end || *c != ':') {
            return -1;
        }

        c++;
        llm_skip_ws(c, end);

        if (m != NULL) {
            m->key_start = (size_t) (key - p);
            m->value_start = (size_t) (c - p);
        }

        c = llm_locate_value_end(c, end);

        if (m != NULL) {
            m->value_end = (size_t) (c - p);
            m->present = (m->value_end > m->value_start);
        }

        out->members++;

        llm_skip_ws(c, end);

        if (c < end && *c == ',') {
            c++;
        }
    }
}


int
llm_json_members_each(const char *p, size_t len, llm_json_member_fn fn,
    void *arg)
{
    int          rc;
    const char  *c, *end, *key, *kend;

    c = p;
    end = p + len;

    llm_skip_ws(c, end);

    if (c >= end || *c != '{') {
        return -1;
    }

    c++;

    for ( ;; ) {
        llm_skip_ws(c, end);

        if (c < end && *c == '}') {
            return 0;
        }

        if (c >= end || *c != '"') {
            return -1;
        }

        key = c;
        kend = llm_json_string_end(c + 1, end);
        c = kend;

        llm_skip_ws(c, end);

        if (c >= end || *c != ':') {
            return -1;
        }

        c++;
        llm_skip_ws(c, end);
        c = llm_locate_value_end(c, end);

        rc = fn(p, (size_t) (key - p), (size_t) (kend - p), (size_t) (c - p),
                arg);
        if (rc != 0) {
            return rc;
        }

        llm_skip_ws(c, end);

        if (c < end && *c == ',') {
            c++;
        }
    }
}


/*
 * Reading backwards: providers put usage at or near the end of their
 * answers, after the bulk of them (choices, content, candidates), so only
 * the members after it are walked.  A valid document reads the same both
 * ways: every quote inside a string follows an odd run of backslashes, and
 * an opening quote follows no backslash at all.
 */

/* The last '"' (with brackets: or '{', '}', '[', ']') before c, or NULL. */

static inline const char *
llm_rfind(const char *p, const char *c, int brackets)
{
#if defined(__SSE2__)
    int            mask;
    __m128i        v, m, w;
    const __m128i  quote = _mm_set1_epi8('"');
    const __m128i  lower = _mm_set1_epi8(0x20);
    const __m128i  open = _mm_set1_epi8('{');
    const __m128i  close = _mm_set1_epi8('}');

    while (c - p >= 16) {
        v = _mm_loadu_si128((const __m128i *) (c - 16));
        m = _mm_cmpeq_epi8(v, quote);

        if (brackets) {
            w = _mm_or_si128(v, lower);
            m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(w, open),
                                             _mm_cmpeq_epi8(w, close)));
        }

        mask = _mm_movemask_epi8(m);

        if (mask) {
            return c - 16 + (31 - __builtin_clz((unsigned) mask));
        }

        c -= 16;
    }
#endif

    while (c > p) {
        c--;

        if (*c == '"'
            || (brackets && ((*c | 0x20) == '{' || (*c | 0x20) == '}')))
        {
            return c;
        }
    }

    return NULL;
}


/* The opening quote of the string whose closing quote is at q, or NULL. */

static const char *
llm_string_start_back(const char *p, const char *q)
{
    const char  *b;

    for ( ;; ) {
        q = llm_rfind(p, q, 0);

        if (q == NULL) {
            return NULL;
        }

        for (b = q; b > p && b[-1] == '\\'; b--) { /* void */ }

        if ((q - b) % 2 == 0) {
            return q;
        }
    }
}


#define llm_skip_ws_back(p, c)                                               \
    while (c > p && (c[-1] == ' ' || c[-1] == '\n' || c[-1] == '\r'          \
                     || c[-1] == '\t'))                                      \
        c--


#if defined(__SSE2__)

/* Bit i: byte i of the 64 at c equals the byte in want. */

static inline uint64_t
llm_mask64_eq(const __m128i *v, __m128i want)
{
    return (uint64_t) (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v[0], want))
           | (uint64_t) (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v[1], want))
             << 16
           | (uint64_t) (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v[2], want))
             << 32
           | (uint64_t) (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v[3], want))
             << 48;
}

#endif


/*
 * A container read backwards from e (just past its closing bracket) 64
 * bytes at a time: bit masks of each block's quotes and brackets; the
 * bytes inside strings from the quotes above them (the state at the top
 * of each block is known); the depth from the brackets outside strings.
 * Usage objects, the containers this reads, are mostly short keys and
 * numbers, where a token at a time costs a branch or two per token.
 *
 * 1: *c is the opening bracket.  0: the byte walk goes on from *c (outside
 * any string) at *depth: near the start of the input, or before a block
 * with a backslash in it or just under it (an escaped quote needs the
 * whole run of backslashes before it).  -1: the input ends first.
 */

static int
llm_container_blocks_back(const char *p, const char **c, int *depth)
{
#if defined(__SSE2__)
    int            i;
    uint64_t       quote, open, close, brackets, above, inside, in_str;
    __m128i        v[4], w[4];
    const char    *e, *blk;
    const __m128i  q = _mm_set1_epi8('"');
    const __m128i  bs = _mm_set1_epi8('\\');
    const __m128i  lower = _mm_set1_epi8(0x20);
    const __m128i  ob = _mm_set1_epi8('{');
    const __m128i  cb = _mm_set1_epi8('}');

    e = *c;
    in_str = 0;                 /* all ones: the block's top is in a string */

    while (e - p > 64 && e[-65] != '\\') {
        blk = e - 64;

        for (i = 0; i < 4; i++) {
            v[i] = _mm_loadu_si128((const __m128i *) (blk + 16 * i));
            w[i] = _mm_or_si128(v[i], lower);
        }

        if (llm_mask64_eq(v, bs)) {
            break;
        }

        quote = llm_mask64_eq(v, q);
        open = llm_mask64_eq(w, ob);
        close = llm_mask64_eq(w, cb);

        /* bit i: the parity of the quotes above byte i in the block */
        above = quote;
        above ^= above >> 1;
        above ^= above >> 2;
        above ^= above >> 4;
        above ^= above >> 8;
        above ^= above >> 16;
        above ^= above >> 32;
        above ^= quote;

        inside = above ^ in_str;
        brackets = (open | close) & ~inside;

        while (brackets) {
            i = 63 - __builtin_clzll(brackets);
            brackets &= ~((uint64_t) 1 << i);

            if (close & ((uint64_t) 1 << i)) {
                (*depth)++;

            } else if (--*depth == 0) {
                *c = blk + i;
                return 1;
            }
        }

        /* the state at the top of the block below */
        in_str = (uint64_t) 0 - ((inside ^ quote) & 1);
        e = blk;
    }

    if (in_str) {
        /* inside a string: the walk goes on before it */
        e = llm_string_start_back(p, e);

        if (e == NULL) {
            return -1;
        }
    }

    *c = e;
#endif

    return 0;
}


/* The first byte of the value that ends just before e (e > p), or NULL. */

static const char *
llm_value_start_back(const char *p, const char *e)
{
    int          depth;
    const char  *c;

    c = e - 1;

    if (*c == '"') {
        return llm_string_start_back(p, c);
    }

    if (*c != '}' && *c != ']') {
        /* a number or literal */
        while (c > p && c[-1] != ',' && c[-1] != ':' && c[-1] != '['
               && c[-1] != '{' && c[-1] != ' ' && c[-1] != '\n'
               && c[-1] != '\r' && c[-1] != '\t')
        {
            c--;
        }

        return c;
    }

    depth = 0;
    c = e;

    switch (llm_container_blocks_back(p, &c, &depth)) {
    case 1:
        return c;
    case -1:
        return NULL;
    }

    for ( ;; ) {
        c = llm_rfind(p, c, 1);

        if (c == NULL) {
            return NULL;
        }

        switch (*c) {
        case '"':
            c = llm_string_start_back(p, c);

            if (c == NULL) {
                return NULL;
            }

            break;
        case '}':
        case ']':
            depth++;
            break;
        default:
            if (--depth == 0) {
                return c;
            }
        }
    }
}


int
llm_json_locate_usage(const char *p, size_t len, llm_json_scan_t *out)
{
    const char         *e, *v, *k, *q;
    llm_json_member_t  *m;

    *out = llm_json_scan_zero;

    e = p + len;
    llm_skip_ws_back(p, e);

    if (e == p || e[-1] != '}') {
        return llm_json_locate(p, len, out);
    }

    e--;
    llm_skip_ws_back(p, e);

    if (e > p && e[-1] == '{') {
        /* {} */
        out->object_start = (size_t) (e - 1 - p);
        return 0;
    }

    for ( ;; ) {
        if (e == p) {
            break;
        }

        v = llm_value_start_back(p, e);

        if (v == NULL) {
            break;
        }

        k = v;
        llm_skip_ws_back(p, k);

        if (k == p || k[-1] != ':') {
            break;
        }

        k--;
        llm_skip_ws_back(p, k);

        if (k == p || k[-1] != '"') {
            break;
        }

        q = k - 1;
        k = llm_string_start_back(p, q);

        if (k == NULL) {
            break;
        }

        m = llm_locate_slot(out, k + 1, (size_t) (q - k - 1));

        /* duplicates: the last one counts, as when reading forwards */
        if (m != NULL && !m->present) {
            m->key_start = (size_t) (k - p);
            m->value_start = (size_t) (v - p);
            m->value_end = (size_t) (e - p);
            m->present = 1;

            if (m == &out->usage) {
                return 0;
            }
        }

        e = k;
        llm_skip_ws_back(p, e);

        if (e > p && e[-1] == '{') {
            out->object_start = (size_t) (e - 1 - p);
            return 0;
        }

        if (e == p || e[-1] != ',') {
            break;
        }

        e--;
        llm_skip_ws_back(p, e);
    }

    /* not JSON as it reads backwards: as it reads forwards then */
    return llm_json_locate(p, len, out);
}
