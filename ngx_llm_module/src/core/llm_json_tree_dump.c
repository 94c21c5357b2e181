/*
 * Fast jansson dump; see llm_json_tree.h for the contract.
 *
 * json_dump_callback() writes one escape or run at a time, with a hash
 * table insert per container for cycle detection.  Here runs of plain
 * bytes are copied whole.  Whenever a tree is unusual (too deep, a cycle,
 * a long real) the fast path gives up and jansson writes it instead.
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
            q = llm_jt_utf8_run(q, end);
            if (q == NULL) {
                return -1;
            }

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
