/*
 * A validating, non-allocating JSON scanner (RFC 8259 grammar).  Nesting is
 * bounded so hostile input cannot exhaust the stack.
 */

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "llm_json_scan_int.h"


int
llm_json_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}


/* The escape at c (its backslash): past it, or NULL when it is not valid. */

static const char *
llm_scan_escape(const char *c, const char *end)
{
    unsigned char  ch;

    if (end - c < 2) {
        return NULL;
    }

    ch = (unsigned char) c[1];

    if (ch == 'u') {
        if (end - c < 6 || !llm_json_hex(c[2]) || !llm_json_hex(c[3])
            || !llm_json_hex(c[4]) || !llm_json_hex(c[5]))
        {
            return NULL;
        }

        return c + 6;
    }

    if (ch != '"' && ch != '\\' && ch != '/' && ch != 'b' && ch != 'f'
        && ch != 'n' && ch != 'r' && ch != 't')
    {
        return NULL;
    }

    return c + 2;
}


/*
 * The string at c (its opening quote): past its closing quote, or NULL.
 * Prompts and tool results are long strings full of escaped newlines and
 * quotes: each 16-byte block is loaded once, and its quotes, backslashes
 * and control bytes are handled from its bit masks, escapes included.
 */

static const char *
llm_scan_string(const char *c, const char *end)
{
    unsigned char  ch;

#if defined(__SSE2__)
    unsigned       q, b, k, special, i;
    __m128i        v;

    const __m128i  quote = _mm_set1_epi8('"');
    const __m128i  bslash = _mm_set1_epi8('\\');
    const __m128i  ctl = _mm_set1_epi8(0x1f);
#endif

    c++;

    for ( ;; ) {

#if defined(__SSE2__)
        while (end - c >= 16) {
            v = _mm_loadu_si128((const __m128i *) c);
            q = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
            b = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash));
            /* unsigned v <= 0x1f */
            k = (unsigned) _mm_movemask_epi8(
                    _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
            special = q | b | k;

            /* the block's special bytes, lowest first, from its masks */
            while (special) {
                i = (unsigned) __builtin_ctz(special);

                if (q & (1u << i)) {
                    return c + i + 1;
                }

                if (k & (1u << i)) {
                    return NULL;
                }

                /* a backslash: its escape, when it lies in this block */
                if (i == 15) {
                    break;
                }

                ch = (unsigned char) c[i + 1];

                if (ch == 'u') {
                    if (i > 10) {
                        break;
                    }

                    if (!llm_json_hex(c[i + 2]) || !llm_json_hex(c[i + 3])
                        || !llm_json_hex(c[i + 4]) || !llm_json_hex(c[i + 5]))
                    {
                        return NULL;
                    }

                    special &= ~((2u << (i + 5)) - 1);

                } else if (ch == '"' || ch == '\\' || ch == '/' || ch == 'b'
                           || ch == 'f' || ch == 'n' || ch == 'r' || ch == 't')
                {
                    /* the escaped byte is not special itself */
                    special &= ~((2u << (i + 1)) - 1);

                } else {
                    return NULL;
                }
            }

            if (special) {
                /* an escape across the block's end */
                c = llm_scan_escape(c + __builtin_ctz(special), end);

                if (c == NULL) {
                    return NULL;
                }

                continue;
            }

            c += 16;
        }
#endif

        if (c >= end) {
            return NULL;
        }

        ch = (unsigned char) *c;

        if (ch == '"') {
            return c + 1;
        }

        if (ch < 0x20) {
            return NULL;
        }

        if (ch == '\\') {
            c = llm_scan_escape(c, end);

            if (c == NULL) {
                return NULL;
            }

        } else {
            c++;
        }
    }
}


static const char *
llm_scan_digits(const char *c, const char *end)
{
    while (c < end && *c >= '0' && *c <= '9') {
        c++;
    }

    return c;
}


/* The number at c: past it, or NULL when it breaks RFC 8259's grammar. */

const char *
llm_json_scan_number(const char *c, const char *end)
{
    const char  *d;

    c += (*c == '-');

    if (c >= end || *c < '0' || *c > '9') {
        return NULL;
    }

    c = (*c == '0') ? c + 1 : llm_scan_digits(c, end);

    if (c < end && *c == '.') {
        d = llm_scan_digits(c + 1, end);

        if (d == c + 1) {
            return NULL;
        }

        c = d;
    }

    if (c < end && (*c == 'e' || *c == 'E')) {
        c++;
        c += (c < end && (*c == '+' || *c == '-'));
        d = llm_scan_digits(c, end);

        if (d == c) {
            return NULL;
        }

        c = d;
    }

    return c;
}


const char *
llm_json_scan_literal(const char *c, const char *end, const char *lit,
    size_t n)
{
    if ((size_t) (end - c) < n || memcmp(c, lit, n) != 0) {
        return NULL;
    }

    return c + n;
}


/*
 * 1 when key names the field `name` (lower case ASCII) to Go's
 * encoding/json, which matches names without regard to letter case and
 * with Unicode's simple folding: U+017F (long s) is an 's', U+212A (Kelvin
 * sign) a 'k'.
 */

static int
llm_json_name_folds(const unsigned char *k, size_t len, const char *name)
{
    const unsigned char  *e;

    for (e = k + len; *name; name++) {
        if (k == e) {
            return 0;
        }

        if (*k < 0x80) {
            if ((*k >= 'A' && *k <= 'Z' ? *k | 0x20 : *k) != *name) {
                return 0;
            }

            k++;

        } else if (*name == 's' && e - k >= 2 && k[0] == 0xc5
                   && k[1] == 0xbf)
        {
            k += 2;

        } else if (*name == 'k' && e - k >= 3 && k[0] == 0xe2 && k[1] == 0x84
                   && k[2] == 0xaa)
        {
            k += 3;

        } else {
            return 0;
        }
    }

    return k == e;
}


/*
 * The member a top-level name stands for.  Names are compared as parsers
 * read them, escapes decoded ("\\u006dodel" is "model").  Parsers disagree
 * on the rest: most take the last of duplicate names, some the first or
 * none, and Go's encoding/json (Ollama) takes "Model" or "MODEL" for the
 * field "model" where others do not.  So a request member the gateway
 * reads (model, stream, stream_options, max_tokens, max_output_tokens)
 * named twice, or a name
 * that differs from one only in letter case, is counted in ambiguous, and
 * the request is refused: the gateway must route and charge on the member
 * the provider reads.
 */

/* the longest name below, and how many of the first are a request's */
#define LLM_JSON_NAME_MAX       17
#define LLM_JSON_REQUEST_NAMES  5

llm_json_member_t *
llm_json_member_slot(llm_json_scan_t *out, const char *key, size_t len)
{
    static const struct {
        const char  *name;
        size_t       len;
        size_t       offset;
    } slots[] = {
        { "model", 5, offsetof(llm_json_scan_t, model) },
        { "stream", 6, offsetof(llm_json_scan_t, stream) },
        { "stream_options", 14, offsetof(llm_json_scan_t, stream_options) },
        { "max_tokens", 10, offsetof(llm_json_scan_t, max_tokens) },
        { "max_output_tokens", 17,
          offsetof(llm_json_scan_t, max_output_tokens) },
        { "usage", 5, offsetof(llm_json_scan_t, usage) },
        { "usageMetadata", 13, offsetof(llm_json_scan_t, usage) },
        { "message", 7, offsetof(llm_json_scan_t, message) },
    };

    /* the lengths of the names above: most keys are rejected on this */
    static const unsigned  lengths = 1u << 5 | 1u << 6 | 1u << 7 | 1u << 10
                                     | 1u << 13 | 1u << 14 | 1u << 17;

    /* the request's names, each at most 2 bytes longer when folded */
    static const unsigned  folded = 0x7u << 5 | 0x7u << 6 | 0x7u << 10
                                    | 0x7u << 14 | 0x7u << 17;

    long                  n;
    size_t                i;
    int                   plain;
    llm_json_member_t    *m;
    const unsigned char  *k;
    unsigned char         buf[64];

    if (len > LLM_JSON_NAME_MAX * 6) {
        /* longer than any name of interest, even with every byte escaped
           (and so also what llm_json_locate() makes of a broken key) */
        return NULL;
    }

    k = (const unsigned char *) key;

    /*
     * Most names are plain lower case: no escape to decode and nothing
     * that folds, so only an exact match can name a member.
     */
    for (i = 0; i < len; i++) {
        if (k[i] == '\\' || k[i] >= 0x80 || (k[i] >= 'A' && k[i] <= 'Z')) {
            break;
        }
    }

    plain = (i == len);

    if (plain && (len > LLM_JSON_NAME_MAX || !(lengths & (1u << len)))) {
        return NULL;
    }

    if (!plain && memchr(key, '\\', len) != NULL) {
        /* the key with its quotes; garbage from llm_json_locate() fails */
        n = llm_json_string_value(key - 1, 0, len + 2, (char *) buf,
                                  sizeof(buf));

        if (n < 0) {
            return NULL;
        }

        k = buf;
        len = (size_t) n;
    }

    if (len > LLM_JSON_NAME_MAX + 2
        || !((folded | lengths) & (1u << len)))
    {
        return NULL;
    }

    for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        if (slots[i].len == len && memcmp(slots[i].name, k, len) == 0) {
            m = (llm_json_member_t *) ((char *) out + slots[i].offset);

            if (i < LLM_JSON_REQUEST_NAMES && m->present) {
                out->ambiguous++;
            }

            return m;
        }
    }

    if (plain) {
        return NULL;
    }

    for (i = 0; i < LLM_JSON_REQUEST_NAMES; i++) {
        if (llm_json_name_folds(k, len, slots[i].name)) {
            out->ambiguous++;
            break;
        }
    }

    return NULL;
}


/* Copied, in vector moves: memset() of it starts a slow "rep stos". */
const llm_json_scan_t  llm_json_scan_zero;


/*
 * One loop with an explicit stack of open containers instead of recursion:
 * small documents (most chat requests, every provider answer) are mostly
 * short tokens, where per-token call overhead is what costs.
 */

int
llm_json_scan_generic(const char *p, size_t len, llm_json_scan_t *out)
{
    int                 depth;
    char                stack[LLM_JSON_MAX_DEPTH];
    const char         *c, *end, *key, *tok;
    llm_json_member_t  *m;

    *out = llm_json_scan_zero;

    c = p;
    end = p + len;
    depth = 0;
    m = NULL;

    llm_skip_ws(c, end);

    if (c >= end || *c != '{') {
        goto invalid;
    }

    out->object_start = (size_t) (c - p);

value:

    llm_skip_ws(c, end);

    if (c >= end) {
        goto invalid;
    }

    tok = c;

    switch (*c) {

    case '{':
    case '[':
        if (depth == LLM_JSON_MAX_DEPTH) {
            goto invalid;
        }

        stack[depth++] = (*c == '{') ? '}' : ']';
        c++;
        llm_skip_ws(c, end);

        if (c < end && *c == stack[depth - 1]) {
            c++;
            depth--;
            goto after;
        }

        if (stack[depth - 1] == ']') {
            goto value;
        }

        goto key;

    case '"':
        c = llm_scan_string(c, end);
        break;

    case 't':
        c = llm_json_scan_literal(c, end, "true", 4);
        break;

    case 'f':
        c = llm_json_scan_literal(c, end, "false", 5);
        break;

    case 'n':
        c = llm_json_scan_literal(c, end, "null", 4);
        break;

    default:
        c = llm_json_scan_number(c, end);
    }

    if (c == NULL) {
        c = tok;                    /* the token that is not valid */
        goto invalid;
    }

after:

    /* a value ended: a member of the top-level object if depth is 1 */
    if (depth == 1) {
        if (m != NULL) {
            m->value_end = (size_t) (c - p);
            m->present = 1;
            m = NULL;
        }

        out->members++;
    }

    if (depth == 0) {
        goto closed;                /* an empty top-level object */
    }

    llm_skip_ws(c, end);

    if (c >= end) {
        goto invalid;
    }

    if (*c == ',') {
        c++;

        if (stack[depth - 1] == ']') {
            goto value;
        }

        llm_skip_ws(c, end);
        goto key;
    }

    if (*c != stack[depth - 1]) {
        goto invalid;
    }

    c++;
    depth--;

    goto after_close;

key:

    if (c >= end || *c != '"') {
        goto invalid;
    }

    key = c;
    c = llm_scan_string(c, end);

    if (c == NULL) {
        c = key;
        goto invalid;
    }

    if (depth == 1) {
        /* keys with escapes never match the names we look for */
        m = llm_json_member_slot(out, key + 1, (size_t) (c - key) - 2);
    }

    llm_skip_ws(c, end);

    if (c >= end || *c != ':') {
        goto invalid;
    }

    c++;
    llm_skip_ws(c, end);

    if (depth == 1 && m != NULL) {
        /* of duplicates, the last (a request with them is refused) */
        m->key_start = (size_t) (key - p);
        m->value_start = (size_t) (c - p);
    }

    goto value;

after_close:

    /*
     * A container closed: it is itself a value of its parent.  The members
     * count is of the top-level object, so closing it is not a member.
     */
    if (depth != 0) {
        goto after;
    }

closed:

    /* the top-level object closed: only whitespace may follow */
    out->object_end = (size_t) (c - p) - 1;
    llm_skip_ws(c, end);

    if (c != end) {
        goto invalid;
    }

    return 0;

invalid:

    out->error_offset = (size_t) (c - p);

    return -1;
}


/*
 * Below this the set-up of the blocks costs more than they save: requests
 * are seldom so small.
 */
#define LLM_JSON_AVX2_MIN  96


int
llm_json_scan(const char *p, size_t len, llm_json_scan_t *out)
{
#ifdef LLM_JSON_SCAN_AVX2
    static int  avx2 = -1;

    /* a race on the first calls is harmless: the same value is stored */
    if (len >= LLM_JSON_AVX2_MIN) {
        if (avx2 < 0) {
            avx2 = llm_json_scan_avx2_usable();
        }

        if (avx2) {
            return llm_json_scan_avx2(p, len, out);
        }
    }
#endif

    return llm_json_scan_generic(p, len, out);
}


static int
llm_hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    return (c | 0x20) - 'a' + 10;
}


long
llm_json_string_value(const char *p, size_t start, size_t end, char *buf,
    size_t size)
{
    size_t    i, n;
    unsigned  cp, lo;

    if (end - start < 2 || p[start] != '"' || p[end - 1] != '"' || size == 0) {
        return -1;
    }

    n = 0;

    for (i = start + 1; i < end - 1; i++) {

        if (n + 4 >= size) {
            return -1;
        }

        if (p[i] != '\\') {
            buf[n++] = p[i];
            continue;
        }

        i++;

        switch (p[i]) {
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (i + 4 >= end - 1
                || !llm_json_hex(p[i + 1]) || !llm_json_hex(p[i + 2])
                || !llm_json_hex(p[i + 3]) || !llm_json_hex(p[i + 4]))
            {
                /* only in a text that was not validated */
                return -1;
            }

            cp = (llm_hex_value(p[i + 1]) << 12)
                 | (llm_hex_value(p[i + 2]) << 8)
                 | (llm_hex_value(p[i + 3]) << 4) | llm_hex_value(p[i + 4]);
            i += 4;

            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < end
                && p[i + 1] == '\\' && p[i + 2] == 'u'
                && llm_json_hex(p[i + 3]) && llm_json_hex(p[i + 4])
                && llm_json_hex(p[i + 5]) && llm_json_hex(p[i + 6]))
            {
                lo = (llm_hex_value(p[i + 3]) << 12)
                     | (llm_hex_value(p[i + 4]) << 8)
                     | (llm_hex_value(p[i + 5]) << 4)
                     | llm_hex_value(p[i + 6]);

                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }

            if (cp < 0x80) {
                buf[n++] = (char) cp;

            } else if (cp < 0x800) {
                buf[n++] = (char) (0xc0 | (cp >> 6));
                buf[n++] = (char) (0x80 | (cp & 0x3f));

            } else if (cp < 0x10000) {
                buf[n++] = (char) (0xe0 | (cp >> 12));
                buf[n++] = (char) (0x80 | ((cp >> 6) & 0x3f));
                buf[n++] = (char) (0x80 | (cp & 0x3f));

            } else {
                buf[n++] = (char) (0xf0 | (cp >> 18));
                buf[n++] = (char) (0x80 | ((cp >> 12) & 0x3f));
                buf[n++] = (char) (0x80 | ((cp >> 6) & 0x3f));
                buf[n++] = (char) (0x80 | (cp & 0x3f));
            }
            break;
        default:
            buf[n++] = p[i];
        }
    }

    buf[n] = '\0';

    return (long) n;
}


int
llm_json_bool_value(const char *p, size_t start, size_t end)
{
    if (end - start == 4 && memcmp(p + start, "true", 4) == 0) {
        return 1;
    }

    if (end - start == 5 && memcmp(p + start, "false", 5) == 0) {
        return 0;
    }

    return -1;
}


size_t
llm_json_quote(const char *s, size_t len, char *buf)
{
    static const char  hex[] = "0123456789abcdef";

    size_t         i, n;
    unsigned char  c;

    n = 0;
    buf[n++] = '"';

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char) c;

        } else if (c < 0x20) {
            buf[n++] = '\\';
            buf[n++] = 'u';
            buf[n++] = '0';
            buf[n++] = '0';
            buf[n++] = hex[c >> 4];
            buf[n++] = hex[c & 0xf];

        } else {
            buf[n++] = (char) c;
        }
    }

    buf[n++] = '"';

    return n;
}
