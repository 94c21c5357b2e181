/*
 * A validating, non-allocating JSON scanner (RFC 8259 grammar).  Nesting is
 * bounded so hostile input cannot exhaust the stack.
 */

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "llm_json_scan.h"


#define LLM_JSON_MAX_DEPTH  128


typedef struct {
    const char  *p;
    size_t       len;
    size_t       pos;
} llm_scanner_t;


static int llm_scan_value(llm_scanner_t *s, int depth);


static void
llm_skip_ws(llm_scanner_t *s)
{
    while (s->pos < s->len) {
        switch (s->p[s->pos]) {
        case ' ': case '\t': case '\n': case '\r':
            s->pos++;
            continue;
        }
        break;
    }
}


static int
llm_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}


/*
 * Skips the plain bytes of a string (anything but '"', '\\' and control
 * characters), 16 at a time where SSE2 is there: request bodies are mostly
 * long strings (prompts, tool descriptions).
 */

static size_t
llm_skip_plain(const char *p, size_t pos, size_t len)
{
#if defined(__SSE2__)
    int      mask;
    __m128i  v, m;

    const __m128i  quote = _mm_set1_epi8('"');
    const __m128i  bslash = _mm_set1_epi8('\\');
    const __m128i  ctl = _mm_set1_epi8(0x1f);

    while (len - pos >= 16) {
        v = _mm_loadu_si128((const __m128i *) (p + pos));
        m = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
        /* unsigned v <= 0x1f */
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        mask = _mm_movemask_epi8(m);

        if (mask) {
            return pos + (size_t) __builtin_ctz((unsigned) mask);
        }

        pos += 16;
    }
#endif

    while (pos < len) {
        unsigned char  c = (unsigned char) p[pos];

        if (c == '"' || c == '\\' || c < 0x20) {
            break;
        }

        pos++;
    }

    return pos;
}


static int
llm_scan_string(llm_scanner_t *s)
{
    unsigned char  c;

    s->pos++;                                   /* opening quote */

    while (s->pos < s->len) {
        s->pos = llm_skip_plain(s->p, s->pos, s->len);

        if (s->pos >= s->len) {
            break;
        }

        c = (unsigned char) s->p[s->pos++];

        if (c == '"') {
            return 0;
        }

        if (c < 0x20) {
            return -1;
        }

        if (c == '\\') {
            if (s->pos >= s->len) {
                return -1;
            }

            c = (unsigned char) s->p[s->pos++];

            if (c == 'u') {
                if (s->len - s->pos < 4
                    || !llm_hex(s->p[s->pos]) || !llm_hex(s->p[s->pos + 1])
                    || !llm_hex(s->p[s->pos + 2])
                    || !llm_hex(s->p[s->pos + 3]))
                {
                    return -1;
                }

                s->pos += 4;

            } else if (c != '"' && c != '\\' && c != '/' && c != 'b'
                       && c != 'f' && c != 'n' && c != 'r' && c != 't')
            {
                return -1;
            }
        }
    }

    return -1;
}


static int
llm_scan_number(llm_scanner_t *s)
{
    size_t  start;

    if (s->p[s->pos] == '-') {
        s->pos++;
    }

    if (s->pos >= s->len) {
        return -1;
    }

    if (s->p[s->pos] == '0') {
        s->pos++;

    } else if (s->p[s->pos] >= '1' && s->p[s->pos] <= '9') {
        while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
            s->pos++;
        }

    } else {
        return -1;
    }

    if (s->pos < s->len && s->p[s->pos] == '.') {
        start = ++s->pos;
        while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
            s->pos++;
        }
        if (s->pos == start) {
            return -1;
        }
    }

    if (s->pos < s->len && (s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
        s->pos++;
        if (s->pos < s->len && (s->p[s->pos] == '+' || s->p[s->pos] == '-')) {
            s->pos++;
        }
        start = s->pos;
        while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
            s->pos++;
        }
        if (s->pos == start) {
            return -1;
        }
    }

    return 0;
}


static int
llm_scan_literal(llm_scanner_t *s, const char *lit)
{
    size_t  n;

    n = strlen(lit);

    if (s->len - s->pos < n || memcmp(s->p + s->pos, lit, n) != 0) {
        return -1;
    }

    s->pos += n;

    return 0;
}


static int
llm_scan_container(llm_scanner_t *s, int depth, char close)
{
    int  first;

    if (depth >= LLM_JSON_MAX_DEPTH) {
        return -1;
    }

    s->pos++;
    first = 1;

    for ( ;; ) {
        llm_skip_ws(s);

        if (s->pos >= s->len) {
            return -1;
        }

        if (s->p[s->pos] == close && first) {
            s->pos++;
            return 0;
        }

        if (close == '}') {
            if (s->p[s->pos] != '"' || llm_scan_string(s) != 0) {
                return -1;
            }

            llm_skip_ws(s);

            if (s->pos >= s->len || s->p[s->pos] != ':') {
                return -1;
            }

            s->pos++;
            llm_skip_ws(s);
        }

        if (llm_scan_value(s, depth + 1) != 0) {
            return -1;
        }

        llm_skip_ws(s);

        if (s->pos >= s->len) {
            return -1;
        }

        if (s->p[s->pos] == ',') {
            s->pos++;
            first = 0;
            continue;
        }

        if (s->p[s->pos] == close) {
            s->pos++;
            return 0;
        }

        return -1;
    }
}


static int
llm_scan_value(llm_scanner_t *s, int depth)
{
    if (s->pos >= s->len) {
        return -1;
    }

    switch (s->p[s->pos]) {
    case '{':
        return llm_scan_container(s, depth, '}');
    case '[':
        return llm_scan_container(s, depth, ']');
    case '"':
        return llm_scan_string(s);
    case 't':
        return llm_scan_literal(s, "true");
    case 'f':
        return llm_scan_literal(s, "false");
    case 'n':
        return llm_scan_literal(s, "null");
    default:
        return llm_scan_number(s);
    }
}


static llm_json_member_t *
llm_member_slot(llm_json_scan_t *out, const char *key, size_t len)
{
    static const struct {
        const char  *name;
        size_t       offset;
    } slots[] = {
        { "model", offsetof(llm_json_scan_t, model) },
        { "stream", offsetof(llm_json_scan_t, stream) },
        { "stream_options", offsetof(llm_json_scan_t, stream_options) },
        { "max_tokens", offsetof(llm_json_scan_t, max_tokens) },
        { "usage", offsetof(llm_json_scan_t, usage) },
        { "usageMetadata", offsetof(llm_json_scan_t, usage) },
        { "message", offsetof(llm_json_scan_t, message) },
    };

    size_t  i;

    for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        if (strlen(slots[i].name) == len
            && memcmp(slots[i].name, key, len) == 0)
        {
            return (llm_json_member_t *) ((char *) out + slots[i].offset);
        }
    }

    return NULL;
}


int
llm_json_scan(const char *p, size_t len, llm_json_scan_t *out)
{
    size_t              key_start;
    llm_scanner_t       s;
    llm_json_member_t  *m;

    memset(out, 0, sizeof(*out));

    s.p = p;
    s.len = len;
    s.pos = 0;

    llm_skip_ws(&s);

    if (s.pos >= len || p[s.pos] != '{') {
        out->error_offset = s.pos;
        return -1;
    }

    out->object_start = s.pos++;

    llm_skip_ws(&s);

    if (s.pos < len && p[s.pos] == '}') {
        out->object_end = s.pos++;
        goto done;
    }

    for ( ;; ) {
        llm_skip_ws(&s);

        if (s.pos >= len || p[s.pos] != '"') {
            goto invalid;
        }

        key_start = s.pos;

        if (llm_scan_string(&s) != 0) {
            goto invalid;
        }

        /* keys with escapes never match the names we look for */
        m = llm_member_slot(out, p + key_start + 1, s.pos - key_start - 2);

        llm_skip_ws(&s);

        if (s.pos >= len || p[s.pos] != ':') {
            goto invalid;
        }

        s.pos++;
        llm_skip_ws(&s);

        if (m != NULL) {
            /* the last duplicate wins, as in most JSON parsers */
            m->key_start = key_start;
            m->value_start = s.pos;
        }

        if (llm_scan_value(&s, 1) != 0) {
            goto invalid;
        }

        if (m != NULL) {
            m->value_end = s.pos;
            m->present = 1;
        }

        out->members++;

        llm_skip_ws(&s);

        if (s.pos >= len) {
            goto invalid;
        }

        if (p[s.pos] == ',') {
            s.pos++;
            continue;
        }

        if (p[s.pos] == '}') {
            out->object_end = s.pos++;
            break;
        }

        goto invalid;
    }

done:

    llm_skip_ws(&s);

    if (s.pos != len) {
        goto invalid;
    }

    return 0;

invalid:

    out->error_offset = s.pos;

    return -1;
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
            cp = (llm_hex_value(p[i + 1]) << 12)
                 | (llm_hex_value(p[i + 2]) << 8)
                 | (llm_hex_value(p[i + 3]) << 4) | llm_hex_value(p[i + 4]);
            i += 4;

            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < end
                && p[i + 1] == '\\' && p[i + 2] == 'u')
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
