/*
 * Fast jansson load and dump; see llm_json_tree.h for the contract.
 *
 * json_loadb() reads its input one byte at a time through a callback and
 * json_dump_callback() writes one escape or run at a time, with a hash
 * table insert per container for cycle detection: together they were 80 %
 * of a request translation.  Here the bytes of a string (most of a body)
 * are scanned 16 at a time for the few that need attention (quote,
 * backslash, control byte, non-ASCII), and runs are copied whole.
 *
 * Both directions build or read the same jansson trees.  Whenever a
 * document or tree is unusual the fast path gives up and jansson runs
 * instead, so results, error messages and failures are jansson's own.
 */

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

static const unsigned char *
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

static size_t
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


/* four hex digits at p (all present), or a value above 0xffff */

static uint32_t
llm_jl_hex4(const unsigned char *p)
{
    uint32_t  v, d;
    int       i;

    v = 0;

    for (i = 0; i < 4; i++) {
        d = p[i];

        if (d >= '0' && d <= '9') {
            d -= '0';
        } else if (d >= 'a' && d <= 'f') {
            d -= 'a' - 10;
        } else if (d >= 'A' && d <= 'F') {
            d -= 'A' - 10;
        } else {
            return 0x10000;
        }

        v = (v << 4) | d;
    }

    return v;
}


static size_t
llm_jl_put_utf8(unsigned char *w, uint32_t cp)
{
    if (cp < 0x80) {
        w[0] = (unsigned char) cp;
        return 1;
    }

    if (cp < 0x800) {
        w[0] = (unsigned char) (0xc0 | (cp >> 6));
        w[1] = (unsigned char) (0x80 | (cp & 0x3f));
        return 2;
    }

    if (cp < 0x10000) {
        w[0] = (unsigned char) (0xe0 | (cp >> 12));
        w[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        w[2] = (unsigned char) (0x80 | (cp & 0x3f));
        return 3;
    }

    w[0] = (unsigned char) (0xf0 | (cp >> 18));
    w[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
    w[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    w[3] = (unsigned char) (0x80 | (cp & 0x3f));
    return 4;
}


/*
 * The string whose opening quote is just before c->p.  *s and *n get its
 * text: in the input itself when it has no escapes, else decoded into sb.
 * c->nul tells whether a \u0000 was decoded.  0, or -1 to give up.
 */

static int
llm_jl_string(llm_jl_t *c, llm_buf_t *sb, const char **s, size_t *n)
{
    unsigned char         *w;
    const unsigned char   *p, *q, *run, *end;
    size_t                 k;
    uint32_t               cp, lo;
    int                    decoded;

    p = c->p;
    run = p;
    end = c->end;
    decoded = 0;
    c->nul = 0;

    for ( ;; ) {
        q = llm_jt_plain(p, end, c->start);

        if (q == end) {
            return -1;
        }

        if (*q == '"') {
            break;
        }

        if (*q >= 0x80) {
            /* a run of non-ASCII text is checked here, not rescanned */
            do {
                k = llm_jt_utf8(q, end);
                if (k == 0) {
                    return -1;
                }
                q += k;
            } while (q < end && *q >= 0x80);

            p = q;
            continue;
        }

        if (*q != '\\' || end - q < 2) {
            /* a control byte, or the input ends */
            return -1;
        }

        if (!decoded) {
            sb->len = 0;
            decoded = 1;
        }

        /* the run before the escape and what the escape makes (<= 4) */
        k = (size_t) (q - run);
        if (!llm_jt_room(sb, k + 4)) {
            return -1;
        }
        memcpy(sb->data + sb->len, run, k);
        sb->len += k;
        w = (unsigned char *) sb->data + sb->len;
        p = q + 2;
        k = 1;

        switch (q[1]) {

        case '"':
        case '\\':
        case '/':
            w[0] = q[1];
            break;

        case 'b':
            w[0] = '\b';
            break;

        case 'f':
            w[0] = '\f';
            break;

        case 'n':
            w[0] = '\n';
            break;

        case 'r':
            w[0] = '\r';
            break;

        case 't':
            w[0] = '\t';
            break;

        case 'u':
            if (end - q < 6) {
                return -1;
            }

            cp = llm_jl_hex4(q + 2);
            p = q + 6;

            if (cp >= 0xd800 && cp <= 0xdbff) {
                /* a high surrogate needs a low one right after it */
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u') {
                    return -1;
                }

                lo = llm_jl_hex4(p + 2);
                if (lo < 0xdc00 || lo > 0xdfff) {
                    return -1;
                }

                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;

            } else if (cp > 0xffff || (cp >= 0xdc00 && cp <= 0xdfff)) {
                return -1;
            }

            if (cp == 0) {
                c->nul = 1;
            }

            k = llm_jl_put_utf8(w, cp);
            break;

        default:
            return -1;
        }

        sb->len += k;
        run = p;
    }

    if (decoded) {
        k = (size_t) (q - run);
        if (!llm_jt_room(sb, k)) {
            return -1;
        }
        memcpy(sb->data + sb->len, run, k);
        sb->len += k;
        *s = sb->data;
        *n = sb->len;

    } else {
        *s = (const char *) run;
        *n = (size_t) (q - run);
    }

    c->p = q + 1;

    return 0;
}


/* The literal lit at *p, as v (a jansson singleton); NULL if it is not. */

static json_t *
llm_jl_literal(const unsigned char **p, const unsigned char *end,
    const char *lit, json_t *v)
{
    size_t  n;

    n = strlen(lit);

    if ((size_t) (end - *p) < n || memcmp(*p, lit, n) != 0) {
        return NULL;
    }

    *p += n;

    return v;
}


/*
 * The number at c->p, converted as jansson's lexer does: no '.', 'e' or
 * 'E' makes an integer (strtoll; out of range is an error), anything else
 * a real (strtod; overflow is an error, underflow is not).  NULL when it is
 * not a valid number or jansson would refuse it.
 */

static json_t *
llm_jl_number(llm_jl_t *c)
{
    char                  buf[LLM_JL_NUM_MAX], *e;
    double                d;
    uint64_t              u;
    const unsigned char  *p, *end, *start, *digits;
    size_t                n;
    int                   real;

    p = c->p;
    end = c->end;
    start = p;
    real = 0;

    if (*p == '-') {
        p++;
    }

    digits = p;

    if (p == end || !llm_jt_digit(*p)) {
        return NULL;
    }

    if (*p == '0') {
        p++;
        if (p < end && llm_jt_digit(*p)) {
            return NULL;
        }

    } else {
        do {
            p++;
        } while (p < end && llm_jt_digit(*p));
    }

    n = (size_t) (p - digits);

    if (p < end && *p == '.') {
        real = 1;
        p++;
        if (p == end || !llm_jt_digit(*p)) {
            return NULL;
        }
        do {
            p++;
        } while (p < end && llm_jt_digit(*p));
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p == end || !llm_jt_digit(*p)) {
            return NULL;
        }
        do {
            p++;
        } while (p < end && llm_jt_digit(*p));
    }

    c->p = p;

    if (!real) {
        /* 19 digits always fit in 64 unsigned bits; 20 never fit in 63 */
        if (n > 19) {
            return NULL;
        }

        for (u = 0; digits < p; digits++) {
            u = u * 10 + (uint64_t) (*digits - '0');
        }

        if (*start != '-') {
            if (u > (uint64_t) LLM_JT_INT_MAX) {
                return NULL;
            }
            return json_integer((json_int_t) u);
        }

        if (u > (uint64_t) LLM_JT_INT_MAX + 1) {
            return NULL;
        }

        return json_integer(u == (uint64_t) LLM_JT_INT_MAX + 1
                            ? LLM_JT_INT_MIN : -(json_int_t) u);
    }

    n = (size_t) (p - start);
    if (n >= sizeof(buf)) {
        return NULL;
    }

    /* jansson swaps '.' for the locale's decimal point before strtod() */
    if (c->point < 0) {
        c->point = localeconv()->decimal_point[0] == '.';
    }
    if (!c->point) {
        return NULL;
    }

    memcpy(buf, start, n);
    buf[n] = '\0';

    errno = 0;
    d = strtod(buf, &e);

    if (e != buf + n
        || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
    {
        return NULL;
    }

    return json_real(d);
}


/*
 * The document: every container is attached to its parent as soon as it is
 * created (members of an object keep their order: a key is inserted when
 * its value starts, which is the order jansson inserts them in), so giving
 * up needs only the root released.
 */

static json_t *
llm_jl_parse(llm_jl_t *c)
{
    size_t                 depth, size, klen, n;
    json_t                *root, *v;
    const char            *key, *s;
    llm_jl_frame_t         local[LLM_JT_STACK], *stack, *ns;
    const unsigned char   *p, *end;

    p = c->p;
    end = c->end;
    stack = local;
    size = LLM_JT_STACK;
    depth = 0;
    root = NULL;
    key = NULL;
    klen = 0;

    llm_jl_ws(p, end);

    if (p == end
        || (!(c->flags & JSON_DECODE_ANY) && *p != '{' && *p != '['))
    {
        goto fail;
    }

value:

    /* jansson counts the value about to be read: depth + 1 */
    if (depth >= JSON_PARSER_MAX_DEPTH) {
        goto fail;
    }

    llm_jl_ws(p, end);

    if (p == end) {
        goto fail;
    }

    switch (*p) {

    case '{':
        v = json_object();
        p++;
        break;

    case '[':
        v = json_array();
        p++;
        break;

    case '"':
        c->p = p + 1;
        if (llm_jl_string(c, &c->val, &s, &n) != 0
            || (c->nul && !(c->flags & JSON_ALLOW_NUL)))
        {
            goto fail;
        }
        p = c->p;
        v = json_stringn_nocheck(s, n);
        break;

    case 't':
        v = llm_jl_literal(&p, end, "true", json_true());
        break;

    case 'f':
        v = llm_jl_literal(&p, end, "false", json_false());
        break;

    case 'n':
        v = llm_jl_literal(&p, end, "null", json_null());
        break;

    default:
        c->p = p;
        v = llm_jl_number(c);
        p = c->p;
        break;
    }

    if (v == NULL) {
        goto fail;
    }

    /* the *_new calls release v when they fail */

    if (depth == 0) {
        root = v;

    } else if (stack[depth - 1].object) {
        if (json_object_setn_new_nocheck(stack[depth - 1].json, key, klen, v)
            != 0)
        {
            goto fail;
        }

    } else if (json_array_append_new(stack[depth - 1].json, v) != 0) {
        goto fail;
    }

    if (json_is_object(v) || json_is_array(v)) {

        if (depth == size) {
            ns = malloc(2 * size * sizeof(llm_jl_frame_t));
            if (ns == NULL) {
                goto fail;
            }
            memcpy(ns, stack, size * sizeof(llm_jl_frame_t));
            if (stack != local) {
                free(stack);
            }
            stack = ns;
            size *= 2;
        }

        stack[depth].json = v;
        stack[depth].object = json_is_object(v);
        depth++;

        llm_jl_ws(p, end);

        if (p == end) {
            goto fail;
        }

        if (json_is_object(v)) {
            if (*p == '}') {
                p++;
                depth--;
                goto next;
            }
            goto member;
        }

        if (*p == ']') {
            p++;
            depth--;
            goto next;
        }

        goto value;
    }

next:

    llm_jl_ws(p, end);

    if (depth == 0) {
        if (p != end) {
            goto fail;
        }

        if (stack != local) {
            free(stack);
        }
        return root;
    }

    if (p == end) {
        goto fail;
    }

    if (*p == ',') {
        p++;
        if (stack[depth - 1].object) {
            goto member;
        }
        goto value;
    }

    if (*p == (stack[depth - 1].object ? '}' : ']')) {
        p++;
        depth--;
        goto next;
    }

    goto fail;

member:

    llm_jl_ws(p, end);

    if (p == end || *p != '"') {
        goto fail;
    }

    /* jansson refuses a NUL in a key whatever the flags */
    c->p = p + 1;
    if (llm_jl_string(c, &c->key, &key, &klen) != 0 || c->nul) {
        goto fail;
    }
    p = c->p;

    if ((c->flags & JSON_REJECT_DUPLICATES)
        && json_object_getn(stack[depth - 1].json, key, klen) != NULL)
    {
        goto fail;
    }

    llm_jl_ws(p, end);

    if (p == end || *p != ':') {
        goto fail;
    }

    p++;
    goto value;

fail:

    if (stack != local) {
        free(stack);
    }
    json_decref(root);

    return NULL;
}


json_t *
llm_json_load(const char *in, size_t len, size_t flags, json_error_t *err)
{
    json_t    *j;
    llm_jl_t   c;

    if (in == NULL || (flags & ~(size_t) LLM_JL_FLAGS)) {
        return json_loadb(in, len, flags, err);
    }

    memset(&c, 0, sizeof(c));
    c.start = (const unsigned char *) in;
    c.p = c.start;
    c.end = c.p + len;
    c.flags = flags;
    c.point = -1;

    j = llm_jl_parse(&c);

    llm_buf_free(&c.key);
    llm_buf_free(&c.val);

    if (j == NULL) {
        /* unusual or invalid: jansson decides, and explains */
        return json_loadb(in, len, flags, err);
    }

    if (err) {
        /* what json_loadb() leaves after a success */
        err->line = -1;
        err->column = -1;
        err->position = (int) len;
        err->text[0] = '\0';
        memcpy(err->source, "<buffer>", sizeof("<buffer>"));
    }

    return j;
}


/* the string with its quotes; 0, or -1 to give up */

static int
llm_jd_string(llm_buf_t *b, const char *str, size_t len)
{
    char                  *w;
    size_t                 k;
    const unsigned char   *p, *q, *run, *end;

    static const char  hex[] = "0123456789ABCDEF";

    /* room for the text as it is and its quotes; escapes ask for more */
    if (!llm_jt_room(b, len + 2)) {
        return -1;
    }

    b->data[b->len++] = '"';

    p = (const unsigned char *) str;
    end = p + len;
    run = p;

    for ( ;; ) {
        q = llm_jt_plain(p, end, (const unsigned char *) str);

        if (q == end) {
            break;
        }

        if (*q >= 0x80) {
            /* written as is, but jansson fails on invalid UTF-8 */
            do {
                k = llm_jt_utf8(q, end);
                if (k == 0) {
                    return -1;
                }
                q += k;
            } while (q < end && *q >= 0x80);

            p = q;
            continue;
        }

        k = (size_t) (q - run);
        memcpy(b->data + b->len, run, k);
        b->len += k;

        /* the escape (<= 6 bytes), the rest as it is, the closing quote */
        if (!llm_jt_room(b, 6 + (size_t) (end - q))) {
            return -1;
        }

        w = b->data + b->len;
        w[0] = '\\';
        k = 2;

        switch (*q) {

        case '"':
        case '\\':
            w[1] = (char) *q;
            break;

        case '\b':
            w[1] = 'b';
            break;

        case '\f':
            w[1] = 'f';
            break;

        case '\n':
            w[1] = 'n';
            break;

        case '\r':
            w[1] = 'r';
            break;

        case '\t':
            w[1] = 't';
            break;

        default:
            w[1] = 'u';
            w[2] = '0';
            w[3] = '0';
            w[4] = hex[*q >> 4];
            w[5] = hex[*q & 0xf];
            k = 6;
            break;
        }

        b->len += k;
        p = q + 1;
        run = p;
    }

    k = (size_t) (end - run);
    memcpy(b->data + b->len, run, k);
    b->len += k;
    b->data[b->len++] = '"';

    return 0;
}


static int
llm_jd_integer(llm_buf_t *b, json_int_t v)
{
    char                *t;
    char                 tmp[24];
    size_t               n;
    unsigned long long   u;

    u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;
    t = tmp + sizeof(tmp);

    do {
        *--t = (char) ('0' + u % 10);
        u /= 10;
    } while (u);

    if (v < 0) {
        *--t = '-';
    }

    n = (size_t) (tmp + sizeof(tmp) - t);

    return llm_jt_put(b, t, n);
}


/*
 * A real the way jansson prints it: "%.<precision>g" (17 when 0), the
 * locale's decimal point back to '.', ".0" added when it would read back
 * as an integer, and the exponent without '+' or leading zeros.
 */

static int
llm_jd_real(llm_buf_t *b, double v, int precision)
{
    int      n;
    char    *x, *e, *d;
    char     buf[100], point;
    size_t   len;

    n = snprintf(buf, sizeof(buf), "%.*g", precision ? precision : 17, v);
    if (n < 0 || (size_t) n >= sizeof(buf) - 3) {
        return -1;
    }
    len = (size_t) n;

    point = localeconv()->decimal_point[0];
    if (point != '.') {
        x = strchr(buf, point);
        if (x) {
            *x = '.';
        }
    }

    e = strchr(buf, 'e');

    if (e == NULL && strchr(buf, '.') == NULL) {
        buf[len++] = '.';
        buf[len++] = '0';
        buf[len] = '\0';
    }

    if (e) {
        /* d: where the exponent's digits go; x: its first significant */
        d = e + 1;
        x = d + 1;
        if (*d == '-') {
            d++;
        }
        while (*x == '0') {
            x++;
        }
        if (x != d) {
            memmove(d, x, len + 1 - (size_t) (x - buf));
            len -= (size_t) (x - d);
        }
    }

    return llm_jt_put(b, buf, len);
}


/* the tree appended to b; 0, or -1 to give up */

static int
llm_jd_tree(const json_t *j, size_t flags, llm_buf_t *b)
{
    int              precision, rc;
    size_t           depth, size, n;
    const json_t    *v;
    llm_jd_frame_t   local[LLM_JT_STACK], *stack, *ns, *f;

    precision = (int) ((flags >> 11) & 0x1f);
    stack = local;
    size = LLM_JT_STACK;
    depth = 0;
    rc = -1;
    v = j;

value:

    if (v == NULL) {
        goto done;
    }

    switch (json_typeof(v)) {

    case JSON_OBJECT:
    case JSON_ARRAY:

        n = json_is_object(v) ? json_object_size(v) : json_array_size(v);

        if (n == 0) {
            if (!llm_jt_room(b, 2)) {
                goto done;
            }
            b->data[b->len++] = json_is_object(v) ? '{' : '[';
            b->data[b->len++] = json_is_object(v) ? '}' : ']';
            break;
        }

        if (depth == LLM_JD_MAX_DEPTH) {
            goto done;
        }

        if (depth == size) {
            ns = malloc(2 * size * sizeof(llm_jd_frame_t));
            if (ns == NULL) {
                goto done;
            }
            memcpy(ns, stack, size * sizeof(llm_jd_frame_t));
            if (stack != local) {
                free(stack);
            }
            stack = ns;
            size *= 2;
        }

        if (!llm_jt_room(b, 1)) {
            goto done;
        }

        f = &stack[depth++];
        f->json = v;
        f->object = json_is_object(v);

        if (f->object) {
            b->data[b->len++] = '{';
            f->iter = json_object_iter((json_t *) v);
            goto member;
        }

        b->data[b->len++] = '[';
        f->index = 0;
        f->size = n;
        v = json_array_get(v, 0);
        goto value;

    case JSON_STRING:
        if (llm_jd_string(b, json_string_value(v), json_string_length(v))
            != 0)
        {
            goto done;
        }
        break;

    case JSON_INTEGER:
        if (llm_jd_integer(b, json_integer_value(v)) != 0) {
            goto done;
        }
        break;

    case JSON_REAL:
        if (llm_jd_real(b, json_real_value(v), precision) != 0) {
            goto done;
        }
        break;

    case JSON_TRUE:
        if (llm_jt_put(b, "true", 4) != 0) {
            goto done;
        }
        break;

    case JSON_FALSE:
        if (llm_jt_put(b, "false", 5) != 0) {
            goto done;
        }
        break;

    case JSON_NULL:
        if (llm_jt_put(b, "null", 4) != 0) {
            goto done;
        }
        break;

    default:
        goto done;
    }

next:

    if (depth == 0) {
        rc = 0;
        goto done;
    }

    f = &stack[depth - 1];

    if (!llm_jt_room(b, 1)) {
        goto done;
    }

    if (f->object) {
        f->iter = json_object_iter_next((json_t *) f->json, f->iter);
        if (f->iter == NULL) {
            b->data[b->len++] = '}';
            depth--;
            goto next;
        }

        b->data[b->len++] = ',';
        goto member;
    }

    if (++f->index == f->size) {
        b->data[b->len++] = ']';
        depth--;
        goto next;
    }

    b->data[b->len++] = ',';
    v = json_array_get(f->json, f->index);
    goto value;

member:

    f = &stack[depth - 1];

    if (f->iter == NULL
        || llm_jd_string(b, json_object_iter_key(f->iter),
                         json_object_iter_key_len(f->iter)) != 0
        || !llm_jt_room(b, 1))
    {
        goto done;
    }

    b->data[b->len++] = ':';
    v = json_object_iter_value(f->iter);
    goto value;

done:

    if (stack != local) {
        free(stack);
    }

    return rc;
}


static int
llm_jd_fast(const json_t *j, size_t flags)
{
    return j != NULL
           && (flags & ~(size_t) LLM_JD_FLAGS) == 0
           && (flags & JSON_COMPACT)
           && ((flags & JSON_ENCODE_ANY)
               || json_is_object(j) || json_is_array(j));
}


static int
llm_jd_append(const char *data, size_t len, void *b)
{
    return llm_buf_append(b, data, len);
}


int
llm_json_dump_buf(const json_t *j, size_t flags, llm_buf_t *out)
{
    size_t  len;

    len = out->len;

    if (llm_jd_fast(j, flags)) {
        if (llm_jd_tree(j, flags, out) == 0 && llm_jt_room(out, 0)) {
            out->data[out->len] = '\0';
            return 0;
        }

        /* unusual: start again with jansson */
        out->len = len;
    }

    if (json_dump_callback(j, llm_jd_append, out, flags) != 0) {
        out->len = len;
        if (out->data) {
            out->data[len] = '\0';
        }
        return -1;
    }

    return 0;
}


int
llm_json_dump(const json_t *j, size_t flags, json_dump_callback_t cb,
              void *data)
{
    int        rc;
    llm_buf_t  b = LLM_BUF_INIT;

    if (llm_jd_fast(j, flags) && llm_jd_tree(j, flags, &b) == 0) {
        rc = b.len ? cb(b.data, b.len, data) : 0;
        llm_buf_free(&b);
        return rc ? -1 : 0;
    }

    llm_buf_free(&b);

    return json_dump_callback(j, cb, data, flags);
}


char *
llm_json_dumps(const json_t *j, size_t flags)
{
    llm_buf_t  b = LLM_BUF_INIT;

    /* a dump is never empty, so a success leaves memory to hand over */
    if (llm_json_dump_buf(j, flags, &b) != 0 || b.data == NULL) {
        llm_buf_free(&b);
        return NULL;
    }

    return b.data;
}
