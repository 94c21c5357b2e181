/*
 * The request scanner on 64-byte blocks with AVX2 and PCLMUL (x86-64): the
 * decisions of llm_json_scan_generic() in the same order, from bit masks.
 * Compiled for any x86-64 CPU; its functions carry the target attribute
 * and run only where llm_json_scan_avx2_usable() says so.
 */

#include <stdint.h>
#include <string.h>

#include "llm_json_scan_int.h"

#ifdef LLM_JSON_SCAN_AVX2

#include <immintrin.h>

/*
 * The same scanner on 64-byte blocks with AVX2, after the "stage 1" of
 * simdjson.  Each block gives bit masks of its quotes, backslashes,
 * whitespace and structural bytes; from them come the escaped bytes, the
 * bytes inside strings (a prefix XOR of the unescaped quotes, by carry-less
 * multiplication) and the block's tokens: the structural bytes outside
 * strings, the opening quotes and the first bytes of the runs of other
 * bytes outside strings (numbers, literals, junk).  The contents of strings
 * are validated a block at a time; a block that a string goes on past with
 * no quote, backslash or control byte costs a few instructions.
 *
 * Stage 1 records the token masks of a few blocks at a time; a state
 * machine (stage 2) takes the tokens one by one and makes the decisions of
 * llm_json_scan_generic(), in the same order, so every field of the result
 * is the same, error_offset included, on any input.  A closing quote is no
 * token: what follows a string is the next one, and the few spans that need
 * the quote (top-level keys and values) find it looking back over
 * whitespace.  A string with a bad byte ends the tokens before that byte:
 * the string is then the one being read, as the byte-by-byte scanner finds.
 */

#define LLM_AVX2            __attribute__((target("avx2,pclmul,bmi")))

/* the blocks with tokens that stage 1 records at a time */
#define LLM_STAGE1_BLOCKS   32

#define LLM_EVEN            0x5555555555555555ULL


typedef struct {
    const char  *p;
    size_t       len;
    size_t       off;           /* the next block */
    uint64_t     c_esc;         /* 1: its first byte is escaped */
    uint64_t     c_str;         /* all ones: it is inside a string */
    __m256i      prev;          /* of the block before: n1 in llm_block() */
    int          err;           /* a string after the last token is bad */
    size_t       n;             /* the blocks recorded below */
    size_t       at[LLM_STAGE1_BLOCKS];
    uint64_t     tok[LLM_STAGE1_BLOCKS];
} llm_stage1_t;


/* What may follow a number or literal. */
static const unsigned char  llm_delim[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [','] = 1, [':'] = 1,
    ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1, ['"'] = 1
};


/*
 * The vector constants, loaded from memory: as operands they cost no
 * instruction, where a broadcast costs two each time the compiler has no
 * register left to keep one in.
 */

enum {
    LLM_V_QUOTE = 0,
    LLM_V_BSLASH,
    LLM_V_1F,
    LLM_V_0F,
    LLM_V_20,
    LLM_V_WS,
    LLM_V_ST,
    LLM_V_ESC_LO,
    LLM_V_ESC_HI
};

#define LLM_X2(...)  { __VA_ARGS__, __VA_ARGS__ }
#define LLM_ALL(c)                                                            \
    LLM_X2(c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c)

static const unsigned char  llm_vectors[][32] __attribute__((aligned(32))) = {
    LLM_ALL('"'),
    LLM_ALL('\\'),
    LLM_ALL(0x1f),
    LLM_ALL(0x0f),
    LLM_ALL(0x20),

    /* whitespace: the entry of a byte's low nibble is itself if it is */
    LLM_X2(' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', '\n', 0, 0, '\r', 0, 0),

    /*
     * Structural bytes, compared with 0x20 set: '[' and ']' share the
     * entries of '{' and '}'.  The control bytes 0x0c and 0x1a match too;
     * outside strings they are tokens that no state accepts, as they would
     * be as the junk they are.
     */
    LLM_X2(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ':', '{', ',', '}', 0, 0),

    /*
     * What may follow a backslash, by nibbles: the bits of a byte's low
     * and high nibbles share one only for "\/bfnrt ('u' is left out).
     */
    LLM_X2(0, 0, 0x0d, 0, 0x08, 0, 0x04, 0, 0, 0, 0, 0, 0x02, 0, 0x04, 0x01),
    LLM_X2(0, 0, 0x01, 0, 0, 0x02, 0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0)
};

#define llm_vec(i)  _mm256_load_si256((const __m256i *) vec[i])


int
llm_json_scan_avx2_usable(void)
{
    /* in case no constructor has run yet (a module loaded early) */
    __builtin_cpu_init();

    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul")
           && __builtin_cpu_supports("bmi");
}


static LLM_AVX2 inline uint64_t
llm_mask64(__m256i lo, __m256i hi)
{
    return (uint64_t) (uint32_t) _mm256_movemask_epi8(lo)
           | (uint64_t) (uint32_t) _mm256_movemask_epi8(hi) << 32;
}


/* The bytes of 32 that may not follow a backslash ('u' among them). */

static LLM_AVX2 inline __m256i
llm_bad_escape(__m256i v, const unsigned char (*vec)[32])
{
    __m256i  lo, hi;

    lo = _mm256_shuffle_epi8(llm_vec(LLM_V_ESC_LO), v);
    hi = _mm256_shuffle_epi8(llm_vec(LLM_V_ESC_HI), _mm256_and_si256(
             _mm256_srli_epi16(v, 4), llm_vec(LLM_V_0F)));

    return _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi),
                             _mm256_setzero_si256());
}


/*
 * The tokens of the 64 bytes at blk, a copy of those at c when the input
 * ends before; *err: the control bytes and bad escapes in strings (the
 * tokens after the first are left out).
 */

static LLM_AVX2 inline __attribute__((always_inline)) uint64_t
llm_block(const char *blk, const char *c, const char *end,
    const unsigned char (*vec)[32], uint64_t *c_esc, uint64_t *c_str,
    __m256i *prev, uint64_t *err)
{
    size_t    i;
    uint64_t  quote, cand, bslash, ctl, b, t, escaped, uq, in_str, tok, bad;
    __m256i   v0, v1, q0, q1, b0, b1, k, x, s0, s1, n0, n1;

    v0 = _mm256_loadu_si256((const __m256i *) blk);
    v1 = _mm256_loadu_si256((const __m256i *) (blk + 32));

    q0 = _mm256_cmpeq_epi8(v0, llm_vec(LLM_V_QUOTE));
    q1 = _mm256_cmpeq_epi8(v1, llm_vec(LLM_V_QUOTE));
    b0 = _mm256_cmpeq_epi8(v0, llm_vec(LLM_V_BSLASH));
    b1 = _mm256_cmpeq_epi8(v1, llm_vec(LLM_V_BSLASH));

    /* a control byte in either half: the lesser of the two is one */
    k = _mm256_min_epu8(v0, v1);
    k = _mm256_cmpeq_epi8(_mm256_max_epu8(k, llm_vec(LLM_V_1F)),
                          llm_vec(LLM_V_1F));

    *err = 0;

    quote = llm_mask64(q0, q1);

    /* the structural bytes, and all that ends a run of other bytes */
    s0 = _mm256_cmpeq_epi8(_mm256_or_si256(v0, llm_vec(LLM_V_20)),
                           _mm256_shuffle_epi8(llm_vec(LLM_V_ST), v0));
    s1 = _mm256_cmpeq_epi8(_mm256_or_si256(v1, llm_vec(LLM_V_20)),
                           _mm256_shuffle_epi8(llm_vec(LLM_V_ST), v1));
    n0 = _mm256_or_si256(_mm256_or_si256(s0, q0), _mm256_cmpeq_epi8(v0,
             _mm256_shuffle_epi8(llm_vec(LLM_V_WS), v0)));
    n1 = _mm256_or_si256(_mm256_or_si256(s1, q1), _mm256_cmpeq_epi8(v1,
             _mm256_shuffle_epi8(llm_vec(LLM_V_WS), v1)));

    /* the structural bytes and the first bytes of runs of other bytes */
    cand = llm_mask64(
        _mm256_or_si256(s0, _mm256_andnot_si256(n0, _mm256_alignr_epi8(
            n0, _mm256_permute2x128_si256(*prev, n0, 0x21), 15))),
        _mm256_or_si256(s1, _mm256_andnot_si256(n1, _mm256_alignr_epi8(
            n1, _mm256_permute2x128_si256(n0, n1, 0x21), 15))));
    *prev = n1;

    x = _mm256_or_si256(b0, b1);
    uq = quote;
    bad = 0;

    if (__builtin_expect(*c_esc || !_mm256_testz_si256(x, x), 0)) {
        /*
         * In a run of backslashes the first, third... escape the byte
         * after them.  Adding the first bits of the runs that start at
         * even offsets clears those runs: the escaping backslashes are
         * then the even ones of the runs cleared and the odd ones of the
         * others.  An escaped first byte of the block starts no run.
         */
        bslash = llm_mask64(b0, b1);
        b = bslash & ~*c_esc;
        t = b + (b & ~(b << 1) & LLM_EVEN);
        t = b & (t ^ LLM_EVEN);
        escaped = (t << 1) | *c_esc;
        *c_esc = t >> 63;
        uq = quote & ~escaped;

        /* an escaped quote or backslash is valid: no need to look */
        bad = escaped & ~(quote | bslash);

        if (bad) {
            bad &= llm_mask64(llm_bad_escape(v0, vec),
                              llm_bad_escape(v1, vec));
        }
    }

    /* inside a string: from an opening quote to its closing one */
    in_str = (uint64_t) _mm_cvtsi128_si64(_mm_clmulepi64_si128(
                 _mm_cvtsi64_si128((long long) uq), _mm_set1_epi8(-1), 0))
             ^ *c_str;
    *c_str = (uint64_t) ((int64_t) in_str >> 63);

    tok = (cand & ~in_str) | (uq & in_str);

    if (__builtin_expect((bad & in_str) || !_mm256_testz_si256(k, k), 0)) {
        ctl = llm_mask64(
            _mm256_cmpeq_epi8(_mm256_max_epu8(v0, llm_vec(LLM_V_1F)),
                              llm_vec(LLM_V_1F)),
            _mm256_cmpeq_epi8(_mm256_max_epu8(v1, llm_vec(LLM_V_1F)),
                              llm_vec(LLM_V_1F)));

        *err = ctl & in_str;
        bad &= in_str;

        /* \u is valid with four hex digits (rare enough for here) */
        while (bad) {
            i = (size_t) _tzcnt_u64(bad);
            bad = _blsr_u64(bad);

            if (blk[i] != 'u' || (size_t) (end - c) - i <= 4
                || !llm_json_hex(c[i + 1]) || !llm_json_hex(c[i + 2])
                || !llm_json_hex(c[i + 3]) || !llm_json_hex(c[i + 4]))
            {
                *err |= (uint64_t) 1 << i;
            }
        }

        if (*err) {
            /* the tokens before the first bad byte in a string count */
            tok &= _blsi_u64(*err) - 1;
        }
    }

    return tok;
}


/*
 * The last n bytes (less than 64) of the input into a block padded with
 * spaces; inline, as memcpy() costs as much as the rest of a small body.
 * Two copies that overlap, of a power of two each, make any length.
 */

static LLM_AVX2 inline void
llm_copy_tail(char *tail, const char *c, size_t n)
{
    uint64_t  x, y;
    uint32_t  u, w;

    _mm256_storeu_si256((__m256i *) tail, _mm256_set1_epi8(' '));
    _mm256_storeu_si256((__m256i *) (tail + 32), _mm256_set1_epi8(' '));

    if (n >= 32) {
        _mm256_storeu_si256((__m256i *) tail,
                            _mm256_loadu_si256((const __m256i *) c));
        _mm256_storeu_si256((__m256i *) (tail + n - 32),
            _mm256_loadu_si256((const __m256i *) (c + n - 32)));

    } else if (n >= 16) {
        _mm_storeu_si128((__m128i *) tail,
                         _mm_loadu_si128((const __m128i *) c));
        _mm_storeu_si128((__m128i *) (tail + n - 16),
                         _mm_loadu_si128((const __m128i *) (c + n - 16)));

    } else if (n >= 8) {
        memcpy(&x, c, 8);
        memcpy(&y, c + n - 8, 8);
        memcpy(tail, &x, 8);
        memcpy(tail + n - 8, &y, 8);

    } else if (n >= 4) {
        memcpy(&u, c, 4);
        memcpy(&w, c + n - 4, 4);
        memcpy(tail, &u, 4);
        memcpy(tail + n - 4, &w, 4);

    } else {
        /* 1 to 3 bytes */
        tail[0] = c[0];
        tail[n / 2] = c[n / 2];
        tail[n - 1] = c[n - 1];
    }
}


/*
 * Stage 1 from s->off: the token masks of up to LLM_STAGE1_BLOCKS blocks
 * that have tokens, up to the first control byte or bad escape in a string
 * (then s->err is set).  Returns their number, 0 at the end.
 */

static LLM_AVX2 size_t
llm_stage1(llm_stage1_t *s)
{
    size_t          n;
    uint64_t        tok, err, c_esc, c_str, in_str;
    __m256i         v0, v1, x, prev;
    const char     *p, *c, *end;
    char            tail[64];

    const unsigned char  (*vec)[32];

    if (s->err || s->off >= s->len) {
        return 0;
    }

    /*
     * Hidden from the compiler, which would otherwise know the constants
     * and broadcast them from registers, at two instructions each time.
     */
    vec = llm_vectors;
    __asm__ ("" : "+r" (vec));

    p = s->p;
    c = p + s->off;
    end = p + s->len;
    c_esc = s->c_esc;
    c_str = s->c_str;
    prev = s->prev;
    n = 0;
    err = 0;

    /* inside a string, with no escape pending */
    in_str = c_str & ~c_esc & 1;

    for ( /* void */ ; end - c >= 64; c += 64) {

        if (in_str) {
            /*
             * The blocks a string goes on past need nothing, and the
             * carries stay as they are.  (prev is left behind, but what
             * follows such a block starts in the string or closes it.)
             */
            v0 = _mm256_loadu_si256((const __m256i *) c);
            v1 = _mm256_loadu_si256((const __m256i *) (c + 32));
            x = _mm256_min_epu8(v0, v1);
            x = _mm256_or_si256(
                _mm256_or_si256(
                    _mm256_or_si256(_mm256_cmpeq_epi8(v0,
                                        llm_vec(LLM_V_QUOTE)),
                                    _mm256_cmpeq_epi8(v1,
                                        llm_vec(LLM_V_QUOTE))),
                    _mm256_or_si256(_mm256_cmpeq_epi8(v0,
                                        llm_vec(LLM_V_BSLASH)),
                                    _mm256_cmpeq_epi8(v1,
                                        llm_vec(LLM_V_BSLASH)))),
                _mm256_cmpeq_epi8(_mm256_max_epu8(x, llm_vec(LLM_V_1F)),
                                  llm_vec(LLM_V_1F)));

            if (_mm256_testz_si256(x, x)) {
                continue;
            }
        }

        tok = llm_block(c, c, end, vec, &c_esc, &c_str, &prev, &err);
        in_str = c_str & ~c_esc & 1;

        s->tok[n] = tok;
        s->at[n] = (size_t) (c - p);
        n += (tok != 0);

        if (err || n == LLM_STAGE1_BLOCKS) {
            c += 64;
            goto done;
        }
    }

    if (c < end) {
        /* never a load past the input: the tail padded with spaces */
        llm_copy_tail(tail, c, (size_t) (end - c));

        tok = llm_block(tail, c, end, vec, &c_esc, &c_str, &prev, &err);

        s->tok[n] = tok;
        s->at[n] = (size_t) (c - p);
        n += (tok != 0);
        c = end;
    }

done:

    s->off = (size_t) (c - p);
    s->c_esc = c_esc;
    s->c_str = c_str;
    s->prev = prev;
    s->err = (err != 0);
    s->n = n;

    return n;
}


/*
 * The number at c, as llm_json_scan_number() reads it, from the mask of the
 * digits among its first 16 bytes rather than byte by byte: arrays of
 * numbers (token ids, embeddings) are made of little else.
 */

static LLM_AVX2 inline const char *
llm_number(const char *c, const char *end)
{
    unsigned  d, k, r;
    __m128i   v;

    if (end - c <= 16) {
        return llm_json_scan_number(c, end);
    }

    if ((unsigned) (c[0] - '0') < 10 && llm_delim[(unsigned char) c[1]]) {
        return c + 1;               /* a digit alone, as in [0,1,1,0] */
    }

    v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *) c),
                     _mm_set1_epi8('0'));
    d = (unsigned) _mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(9)), v));

    /* a run of digits that reaches the 16th byte may go on past it */

    k = (c[0] == '-');

    if (!(d >> k & 1)) {
        return NULL;
    }

    if (c[k] == '0') {
        k++;

    } else {
        k += (unsigned) __builtin_ctz(~(d >> k));

        if (k >= 16) {
            goto slow;
        }
    }

    if (c[k] == '.') {
        r = (unsigned) __builtin_ctz(~(d >> (k + 1)));

        if (k + 1 + r >= 16) {
            goto slow;
        }

        if (r == 0) {
            return NULL;
        }

        k += 1 + r;
    }

    if ((c[k] | 0x20) == 'e') {
        k++;
        k += (c[k] == '+' || c[k] == '-');
        r = (unsigned) __builtin_ctz(~(d >> k));

        if (k + r >= 16) {
            goto slow;
        }

        if (r == 0) {
            return NULL;
        }

        k += r;
    }

    return c + k;

slow:

    return llm_json_scan_number(c, end);
}


/*
 * The closing quote of the string opened at lo that the token at i follows
 * (after whitespace only); never before lo + 1, whatever the input.
 */

static size_t
llm_quote_before(const char *p, size_t lo, size_t i)
{
    while (--i > lo + 1 && p[i] != '"') { /* void */ }

    return i;
}


enum {
    LLM_ST_START = 0,           /* the top-level '{' */
    LLM_ST_OBJECT,              /* after '{': a key or '}' */
    LLM_ST_KEY,                 /* after ',' in an object: a key */
    LLM_ST_COLON,               /* after a key's opening quote: ':' */
    LLM_ST_ARRAY,               /* after '[': a value or ']' */
    LLM_ST_VALUE,
    LLM_ST_STRING,              /* after a string value's opening quote */
    LLM_ST_AFTER,               /* after a value: ',' or the closer */
    LLM_ST_DONE                 /* the top-level object closed */
};


/* The next block with tokens, or stop in state st at the end. */

#define LLM_NEXT_BLOCK(st)                                                    \
    if (++bi >= s->n) {                                                       \
        bi = 0;                                                               \
                                                                              \
        if (llm_stage1(s) == 0) {                                             \
            state = st;                                                       \
            goto stop;                                                        \
        }                                                                     \
    }                                                                         \
                                                                              \
    tok = s->tok[bi];                                                         \
    at = s->at[bi]

/* The next token: i, its offset, and ch, its byte. */

#define LLM_NEXT(st)                                                          \
    if (tok == 0) {                                                           \
        LLM_NEXT_BLOCK(st);                                                   \
    }                                                                         \
                                                                              \
    i = at + (size_t) _tzcnt_u64(tok);                                        \
    tok = _blsr_u64(tok);                                                     \
    ch = (unsigned char) p[i]

/* A value ended at e (exclusive): a member of the top-level object? */

#define LLM_VALUE_END(e)                                                      \
    if (depth == 1) {                                                         \
        if (m != NULL) {                                                      \
            m->value_end = (e);                                               \
            m->present = 1;                                                   \
            m = NULL;                                                         \
        }                                                                     \
                                                                              \
        out->members++;                                                       \
    }


LLM_AVX2 int
llm_json_scan_avx2(const char *p, size_t len, llm_json_scan_t *out)
{
    int                 state, depth;
    char                stack[LLM_JSON_MAX_DEPTH];
    size_t              bi, at, i, e, key, str;
    uint64_t            tok;
    unsigned char       ch, closer;
    const char         *c;
    llm_stage1_t        stage1, *s;
    llm_json_member_t  *m;

    *out = llm_json_scan_zero;

    s = &stage1;
    s->p = p;
    s->len = len;
    s->off = 0;
    s->c_esc = 0;
    s->c_str = 0;
    s->prev = _mm256_set1_epi8(-1);
    s->err = 0;
    s->n = 0;

    bi = 0;
    at = 0;
    tok = 0;
    depth = 0;
    closer = 0;
    m = NULL;
    key = 0;
    str = 0;

    LLM_NEXT(LLM_ST_START);

    if (ch != '{') {
        goto invalid;
    }

    out->object_start = i;

    /* the closer of the innermost container, those around it stacked */
    stack[depth++] = (char) closer;
    closer = '}';

object:

    LLM_NEXT(LLM_ST_OBJECT);

    if (ch == '"') {
        goto key;
    }

    if (ch == '}') {
        goto close;
    }

    goto invalid;

key:

    key = i;

    LLM_NEXT(LLM_ST_COLON);

    if (ch != ':') {
        goto invalid;
    }

    if (depth == 1) {
        /* keys with escapes never match the names we look for */
        m = llm_json_member_slot(out, p + key + 1,
                            llm_quote_before(p, key, i) - key - 1);

        if (m != NULL) {
            m->key_start = key;

            LLM_NEXT(LLM_ST_VALUE);

            m->value_start = i;
            goto value;
        }
    }

next_value:

    LLM_NEXT(LLM_ST_VALUE);

value:

    switch (ch) {

    case '"':
        str = i;

        LLM_NEXT(LLM_ST_STRING);

        /* the string closed before this token */
        LLM_VALUE_END(llm_quote_before(p, str, i) + 1);

        goto after_token;

    case '{':
        if (depth == LLM_JSON_MAX_DEPTH) {
            goto invalid;
        }

        stack[depth++] = (char) closer;
        closer = '}';
        goto object;

    case '[':
        if (depth == LLM_JSON_MAX_DEPTH) {
            goto invalid;
        }

        stack[depth++] = (char) closer;
        closer = ']';

        LLM_NEXT(LLM_ST_ARRAY);

        if (ch == ']') {
            goto close;
        }

        goto value;

    case 't':
        c = llm_json_scan_literal(p + i, p + len, "true", 4);
        break;

    case 'f':
        c = llm_json_scan_literal(p + i, p + len, "false", 5);
        break;

    case 'n':
        c = llm_json_scan_literal(p + i, p + len, "null", 4);
        break;

    default:
        c = llm_number(p + i, p + len);
    }

    if (c == NULL) {
        goto invalid;
    }

    e = (size_t) (c - p);

    LLM_VALUE_END(e);

    /* it ended, but its run of other bytes did not: junk */
    if (e < len && !llm_delim[(unsigned char) p[e]]) {
        i = e;
        goto invalid;
    }

after:

    LLM_NEXT(LLM_ST_AFTER);

after_token:

    if (ch == ',') {
        if (closer == ']') {
            goto next_value;
        }

        LLM_NEXT(LLM_ST_KEY);

        if (ch != '"') {
            goto invalid;
        }

        goto key;
    }

    if (ch != closer) {
        goto invalid;
    }

close:

    if (--depth == 0) {
        out->object_end = i;

        LLM_NEXT(LLM_ST_DONE);

        goto invalid;               /* only whitespace may follow */
    }

    closer = (unsigned char) stack[depth];

    LLM_VALUE_END(i + 1);

    goto after;

stop:

    if (s->err) {
        /*
         * A control byte or a bad escape in the string being read: the
         * string after the last token, whose opening quote it was.
         */
        out->error_offset = (state == LLM_ST_COLON) ? key : str;
        return -1;
    }

    /* the end of the input */

    i = len;

    switch (state) {

    case LLM_ST_DONE:
        return 0;

    case LLM_ST_COLON:
        if (s->c_str) {
            i = key;                /* an unterminated key */
        }

        break;

    case LLM_ST_STRING:
        if (s->c_str) {
            i = str;
            break;
        }

        LLM_VALUE_END(llm_quote_before(p, str, len) + 1);
        break;

    case LLM_ST_VALUE:
        if (depth == 1 && m != NULL) {
            m->value_start = len;
        }

        break;
    }

invalid:

    out->error_offset = i;

    return -1;
}

#endif /* LLM_JSON_SCAN_AVX2 */
