/*
 * Fast jansson load; see llm_json_tree.h for the contract.
 *
 * json_loadb() reads its input one byte at a time through a callback:
 * with the dump, 80 % of a request translation.  Here the bytes of a
 * string (most of a body) are scanned 16 at a time for the few that need
 * attention (quote, backslash, control byte, non-ASCII), and runs are
 * copied whole.  Whenever a document is unusual the fast path gives up and
 * jansson runs instead, so results, error messages and failures are
 * jansson's own.
 */

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_json_tree_int.h"


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
            q = llm_jt_utf8_run(q, end);
            if (q == NULL) {
                return -1;
            }

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
