/*
 * llm_json_load() and llm_json_dump() against jansson itself: every sample
 * body, generated documents (escapes, UTF-8 at SSE block edges, invalid
 * UTF-8, surrogates, NULs, number edges, duplicate keys, deep nesting),
 * every truncation and single-byte mutation of samples, and trees built by
 * code.  Loads must give the same tree (same types, key order, bytes, real
 * bits) or both fail with the same error; dumps must give the same bytes.
 */

#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "llm_json_tree.h"
#include "json_same.h"
#include "llm_xlate_int.h"


#define TJ_SHOW  5          /* mismatches printed per test */

static int  tj_shown;

static const size_t  tj_load_flags[] = {
    0, JSON_ALLOW_NUL, JSON_DECODE_ANY, JSON_REJECT_DUPLICATES,
    JSON_ALLOW_NUL | JSON_DECODE_ANY,
    JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
    JSON_ALLOW_NUL | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
};

#define TJ_NFLAGS  (sizeof(tj_load_flags) / sizeof(tj_load_flags[0]))


/* deterministic xorshift64 */

static uint64_t  tj_seed = 0x9e3779b97f4a7c15ULL;

static uint32_t
tj_rand(void)
{
    tj_seed ^= tj_seed << 13;
    tj_seed ^= tj_seed >> 7;
    tj_seed ^= tj_seed << 17;
    return (uint32_t) (tj_seed >> 16);
}

#define tj_pick(n)  (tj_rand() % (n))


static void
tj_show(const char *what, const char *in, size_t len, size_t flags)
{
    size_t  i;

    if (tj_shown++ >= TJ_SHOW) {
        return;
    }

    fprintf(stderr, "  %s mismatch (flags 0x%zx, %zu bytes): ", what, flags,
            len);
    for (i = 0; i < len && i < 300; i++) {
        if (in[i] >= 0x20 && in[i] < 0x7f) {
            fputc(in[i], stderr);
        } else {
            fprintf(stderr, "\\x%02x", (unsigned char) in[i]);
        }
    }
    fprintf(stderr, "%s\n", len > 300 ? "..." : "");
}


/*
 * llm_json_dump_buf() and llm_json_dump() against json_dump_callback(),
 * llm_json_dumps() against json_dumps() (both released with free(), which
 * ASan checks)
 */

static int
tj_dump_agrees(const json_t *j, size_t flags)
{
    int         rj, rb, rc, ok;
    char       *js, *ls;
    llm_buf_t   jb = LLM_BUF_INIT, bb = LLM_BUF_INIT, cb = LLM_BUF_INIT;

    rj = json_dump_callback(j, json_collect, &jb, flags);

    /* appends after what the buffer holds, and leaves it alone on failure */
    llm_buf_append(&bb, "xy", 2);
    rb = llm_json_dump_buf(j, flags, &bb);

    rc = llm_json_dump(j, flags, json_collect, &cb);

    js = json_dumps(j, flags);
    ls = llm_json_dumps(j, flags);

    ok = rj == rb && rj == rc
         && (js == NULL) == (rj != 0)
         && (js == NULL) == (ls == NULL)
         && (js == NULL || strcmp(js, ls) == 0);

    free(js);
    free(ls);

    if (ok && rj == 0) {
        ok = bb.len == jb.len + 2
             && memcmp(bb.data, "xy", 2) == 0
             && (jb.len == 0 || memcmp(bb.data + 2, jb.data, jb.len) == 0)
             && bb.data[bb.len] == '\0'
             && cb.len == jb.len
             && (jb.len == 0 || memcmp(cb.data, jb.data, jb.len) == 0);

    } else if (ok) {
        ok = bb.len == 2 && memcmp(bb.data, "xy", 3) == 0;
    }

    if (!ok && tj_shown++ < TJ_SHOW) {
        fprintf(stderr, "  dump mismatch (flags 0x%zx): rc %d/%d/%d\n"
                "    jansson: %.*s\n    fast:    %.*s\n", flags, rj, rb, rc,
                (int) (jb.len > 300 ? 300 : jb.len), jb.data ? jb.data : "",
                (int) (bb.len > 302 ? 300 : bb.len - 2),
                bb.data ? bb.data + 2 : "");
    }

    llm_buf_free(&jb);
    llm_buf_free(&bb);
    llm_buf_free(&cb);

    return ok;
}


/*
 * One document under one set of flags: both loads agree (tree and the whole
 * json_error_t), and a loaded tree dumps the same both ways.  The input is
 * copied to a buffer of exactly its size so ASan sees any over-read.
 */

static int
tj_load_agrees(const char *in, size_t len, size_t flags)
{
    int            ok;
    char          *copy;
    json_t        *a, *b;
    json_error_t   ea, eb;

    copy = malloc(len ? len : 1);
    if (len) {
        memcpy(copy, in, len);
    }

    memset(&ea, 0xa5, sizeof(ea));
    memset(&eb, 0xa5, sizeof(eb));

    a = json_loadb(copy, len, flags, &ea);
    b = llm_json_load(copy, len, flags, &eb);

    ok = (a == NULL) == (b == NULL)
         && (a == NULL || json_same(a, b))
         && memcmp(&ea, &eb, sizeof(ea)) == 0;

    if (!ok) {
        tj_show(a == NULL ? "load (jansson failed)"
                : b == NULL ? "load (fast failed)" : "load", in, len, flags);
        if (tj_shown <= TJ_SHOW) {
            fprintf(stderr, "    jansson: %s @%d | fast: %s @%d\n", ea.text,
                    ea.position, eb.text, eb.position);
        }
    }

    if (ok && a != NULL) {
        ok = tj_dump_agrees(b, LLM_XL_DUMP_FLAGS)
             && tj_dump_agrees(b, LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY);
    }

    json_decref(a);
    json_decref(b);
    free(copy);

    return ok;
}


/* all flag combinations; the number that disagree */

static int
tj_load_all(const char *in, size_t len)
{
    size_t  i;
    int     bad;

    bad = 0;

    for (i = 0; i < TJ_NFLAGS; i++) {
        bad += !tj_load_agrees(in, len, tj_load_flags[i]);
    }

    return bad;
}


/* every *.json in dir; the number of files read */

static int
tj_dir(const char *dir, int *bad)
{
    DIR            *d;
    char            path[512], *buf;
    size_t          n, len;
    int             files;
    struct dirent  *e;

    files = 0;
    d = opendir(dir);
    if (d == NULL) {
        return 0;
    }

    while ((e = readdir(d)) != NULL) {
        n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        buf = unit_read_file(path, &len);
        if (buf == NULL) {
            continue;
        }
        *bad += tj_load_all(buf, len);
        files++;
        free(buf);
    }

    closedir(d);
    return files;
}


UNIT_TEST(test_sample_files)
{
    int  bad, files;

    tj_shown = 0;
    bad = 0;
    files = tj_dir("samples", &bad);
    files += tj_dir("cfg", &bad);
    files += tj_dir("../../build/bench/bodies", &bad);

    CHECK(files >= 12);
    CHECK(bad == 0);
}


UNIT_TEST(test_fixed_documents)
{
    static const char  *docs[] = {
        /* valid */
        "{}", "[]", " { } ", "\t[\r\n]\n", "{\"a\":1}", "[1,2,3]",
        "[true,false,null]", "{\"a\":{\"b\":{\"c\":[[],{}]}}}",
        "\"str\"", "1", "-0", "0", "-0.0", "0.1", "1E+2", "1e-7", "1.5e-07",
        "100.0", "1e400", "-1e400", "1e-400", "4.9e-324", "2.5e-324",
        "1.7976931348623157e308", "1.7976931348623159e308",
        "1.7976931348623158e308", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "18446744073709551616",
        "99999999999999999999", "1234567890123456789",
        "-1234567890123456789", "0.0000000000000000000000000000001",
        "123456789012345678901234567890123456789012345678901234567890.5",
        "1234567890123456789012345678901234567890123456789012345678901.5",
        "1234567890123456789012345678901234567890123456789012345678901234.5",
        "[1e1,1E1,1e+1,1e-1,1.0e1,-1.0E-1]",
        "{\"a\":1,\"a\":2}", "{\"a\":{\"x\":1},\"b\":2,\"a\":[3]}",
        "{\"\":0}", "{\"\\u0041\":1,\"A\":2}",
        "[\"\\u0000\"]", "{\"k\":\"a\\u0000b\"}", "{\"a\\u0000\":1}",
        "{\"\\u0000\":1}", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
        "[\"\\u00e9\\u00E9\\u20ac\\ud83d\\ude00\\uD83D\\uDE00\"]",
        "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]",
        "[\"\\ud800\\ud800\"]", "[\"\\ud800x\"]", "[\"\\ud800\\\\u0041\"]",
        "[\"\\ud800\\ndc00\"]", "[\"\\ud83d\\/de00\"]",
        "[\"\\udbff\\udfff\"]", "[\"\\uffff\"]", "[\"\\ufffe\"]",
        "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]",
        "[\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"]", "[\"\x7f\"]",
        "[\"\xe2\x80\xa8\xe2\x80\xa9\"]",
        /* invalid */
        "", " ", "{", "}", "[", "]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "[1,]", "[,1]", "{,}", "[1 2]", "{\"a\" 1}", "{'a':1}", "[01]",
        "[1.]", "[.5]", "[-]", "[1e]", "[1e+]", "[+1]", "[0x10]",
        "[tru]", "[truee]", "[nul]", "[nulll]", "[falsy]", "[True]",
        "[NaN]", "[Infinity]", "[-Infinity]", "[1]x", "[1] [2]", "[1]]",
        "{\"a\":1}}", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12G4\"]",
        "[\"\\U0041\"]", "[\"\x01\"]", "[\"\x1f\"]", "[\"a\nb\"]",
        "[\"\t\"]", "[\"abc", "[\"abc\\", "[\"abc\\u00", "[\"\\",
        "[\"\x80\"]", "[\"\xbf\"]", "[\"\xc0\x80\"]", "[\"\xc1\xbf\"]",
        "[\"\xc2\"]", "[\"\xc2\x7f\"]", "[\"\xe0\x80\x80\"]",
        "[\"\xe0\x9f\xbf\"]", "[\"\xed\xa0\x80\"]", "[\"\xed\xbf\xbf\"]",
        "[\"\xf0\x80\x80\x80\"]", "[\"\xf0\x8f\xbf\xbf\"]",
        "[\"\xf4\x90\x80\x80\"]", "[\"\xf5\x80\x80\x80\"]",
        "[\"\xf8\x88\x80\x80\x80\"]", "[\"\xff\"]", "[\"\xfe\"]",
        "[\"\xe2\x82\"]", "[\"\xf0\x9f\x98\"]", "\xef\xbb\xbf[]",
        "[\xc3\xa9]", "{\"\xc3\":1}", "[1]\x00", "[\x00]", "[1,\f2]",
        "[1,\v2]", "\"\\u0000\"", "[\"\\ud83d\\ude00",
        "{\"a\":1,\"b\":{\"c\":[1,2,{\"d\":\"x\"}]},\"e\":\"\\n\"",
    };
    size_t  i;
    int     bad;

    tj_shown = 0;
    bad = 0;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        bad += tj_load_all(docs[i], strlen(docs[i]));
    }

    /* raw NUL bytes inside the input */
    bad += tj_load_all("[\"a\0b\"]", 7);
    bad += tj_load_all("[1]\0", 4);
    bad += tj_load_all("{\"a\0\":1}", 8);

    CHECK(bad == 0);
}


/* a multi-byte character (valid or not) at every offset around the first
   three 16-byte blocks of a string, with every kind of neighbour */

UNIT_TEST(test_block_edges)
{
    static const char  *seqs[] = {
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe2\x80\xa8",
        "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\x80", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xc0\xaf", "\\n", "\\u00e9", "\\ud83d\\ude00",
        "\\ud83d", "\\", "\"", "\x1f", "\x7f", "\\u0000", "/",
    };
    char    doc[256];
    size_t  i, off, tail, n;
    int     bad;

    tj_shown = 0;
    bad = 0;

    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        for (off = 0; off < 50; off++) {
            for (tail = 0; tail < 20; tail += 3) {
                n = 0;
                doc[n++] = '[';
                doc[n++] = '"';
                memset(doc + n, 'a', off);
                n += off;
                memcpy(doc + n, seqs[i], strlen(seqs[i]));
                n += strlen(seqs[i]);
                memset(doc + n, 'b', tail);
                n += tail;
                doc[n++] = '"';
                doc[n++] = ']';
                bad += !tj_load_agrees(doc, n, JSON_ALLOW_NUL);
                bad += !tj_load_agrees(doc, n, 0);

                /* the same as a key, and cut just after the sequence */
                doc[0] = '{';
                doc[n - 1] = ':';
                doc[n++] = '1';
                doc[n++] = '}';
                bad += !tj_load_agrees(doc, n, JSON_ALLOW_NUL);
                bad += !tj_load_agrees(doc, 2 + off + strlen(seqs[i]),
                                       JSON_ALLOW_NUL);
            }
        }
    }

    CHECK(bad == 0);
}


/* --- generated documents --- */

typedef struct {
    char    *data;
    size_t   len, cap;
    int      bad;       /* per mille chance of a deliberate defect */
    int      depth;
} tj_gen_t;


static void
tj_put(tj_gen_t *g, const char *s, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        g->cap = (g->len + n + 1) * 2;
        g->data = realloc(g->data, g->cap);
    }
    memcpy(g->data + g->len, s, n);
    g->len += n;
}


static void
tj_puts(tj_gen_t *g, const char *s)
{
    tj_put(g, s, strlen(s));
}


static int
tj_defect(tj_gen_t *g)
{
    return (int) tj_pick(1000) < g->bad;
}


static void
tj_ws(tj_gen_t *g)
{
    static const char  ws[] = " \t\n\r";

    while (tj_pick(4) == 0) {
        tj_put(g, &ws[tj_pick(4)], 1);
    }

    if (tj_defect(g)) {
        tj_puts(g, tj_pick(2) ? "\f" : "\v");
    }
}


static void
tj_gen_string(tj_gen_t *g, int key)
{
    static const char  *esc[] = {
        "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
    };
    static const char  *raw[] = {
        "\xc3\xa9", "\xd7\x90", "\xe2\x82\xac", "\xe4\xb8\xad",
        "\xe2\x80\xa8", "\xef\xbb\xbf", "\xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf", "\xee\x80\x80", "\x7f", "/",
    };
    static const char  *defects[] = {
        "\\ud800", "\\udfff", "\\ud800\\u0041", "\\ud800\\ud800", "\\x",
        "\\u12", "\\u00g0", "\x01", "\n", "\x80", "\xc0\x80", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xf8", "\xe2\x82", "\xff", "\\",
    };
    char      buf[16];
    unsigned  cp, n, i;

    if (key && tj_pick(3) == 0) {
        /* a small pool of keys, for duplicates */
        snprintf(buf, sizeof(buf), "\"%c\"", 'a' + tj_pick(3));
        tj_puts(g, buf);
        return;
    }

    tj_puts(g, "\"");
    n = tj_pick(8);

    for (i = 0; i < n; i++) {
        switch (tj_pick(8)) {

        case 0:
        case 1:
        case 2:
            /* a plain run: 0-40 bytes moves the next piece across blocks */
            cp = tj_pick(41);
            while (cp--) {
                buf[0] = (char) (0x20 + tj_pick(0x5f));
                if (buf[0] == '"' || buf[0] == '\\') {
                    buf[0] = 'q';
                }
                tj_put(g, buf, 1);
            }
            break;

        case 3:
            tj_puts(g, esc[tj_pick(8)]);
            break;

        case 4:
            tj_puts(g, raw[tj_pick(sizeof(raw) / sizeof(raw[0]))]);
            break;

        case 5:
            /* \uXXXX: any BMP character but the surrogates */
            do {
                cp = tj_pick(0x10000);
            } while (cp >= 0xd800 && cp <= 0xdfff);
            if (tj_pick(4) == 0) {
                cp = tj_pick(0x80);
            }
            if (cp == 0 && key) {
                cp = 1;
            }
            snprintf(buf, sizeof(buf), tj_pick(2) ? "\\u%04x" : "\\u%04X",
                     cp);
            tj_puts(g, buf);
            break;

        case 6:
            cp = tj_pick(0x100000);
            snprintf(buf, sizeof(buf), "\\u%04x\\u%04X",
                     0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            tj_puts(g, buf);
            break;

        default:
            if (tj_pick(8) == 0) {
                tj_puts(g, "\\u0000");
            } else if (tj_defect(g)) {
                tj_puts(g, defects[tj_pick(sizeof(defects)
                                           / sizeof(defects[0]))]);
            }
            break;
        }
    }

    tj_puts(g, "\"");
}


static void
tj_gen_number(tj_gen_t *g)
{
    static const char  *edge[] = {
        "0", "-0", "1", "-1", "0.0", "-0.0", "0.1", "1E+2", "1e-7", "1e400",
        "-1e400", "1e-400", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "1.5e-07",
        "100.0", "2.2250738585072011e-308", "4.9e-324", "1e308", "1e309",
        "123456789012345678", "1234567890123456789", "12345678901234567890",
        "0.30000000000000004", "3.141592653589793238462643383279",
    };
    static const char  *defects[] = {
        "01", "1.", ".5", "-", "1e", "1e+", "+1", "--1", "1.2.3", "0x1",
        "1ee2", "-a",
    };
    char      buf[80];
    unsigned  n, i;

    if (tj_defect(g)) {
        tj_puts(g, defects[tj_pick(sizeof(defects) / sizeof(defects[0]))]);
        return;
    }

    if (tj_pick(3) == 0) {
        tj_puts(g, edge[tj_pick(sizeof(edge) / sizeof(edge[0]))]);
        return;
    }

    /* -?digits(.digits)?(e[+-]?digits)? with random lengths */
    n = 0;
    if (tj_pick(3) == 0) {
        buf[n++] = '-';
    }
    i = 1 + tj_pick(tj_pick(4) ? 6 : 22);
    buf[n++] = (char) ('1' + tj_pick(9));
    while (--i) {
        buf[n++] = (char) ('0' + tj_pick(10));
    }
    if (tj_pick(3) == 0) {
        buf[n++] = '.';
        i = 1 + tj_pick(tj_pick(4) ? 6 : 25);
        while (i--) {
            buf[n++] = (char) ('0' + tj_pick(10));
        }
    }
    if (tj_pick(4) == 0) {
        buf[n++] = tj_pick(2) ? 'e' : 'E';
        if (tj_pick(2)) {
            buf[n++] = tj_pick(2) ? '+' : '-';
        }
        i = 1 + tj_pick(3);
        while (i--) {
            buf[n++] = (char) ('0' + tj_pick(10));
        }
    }
    tj_put(g, buf, n);
}


static void
tj_gen_value(tj_gen_t *g)
{
    unsigned  n, i, kind;

    kind = tj_pick(g->depth > 6 ? 6 : 9);
    tj_ws(g);

    switch (kind) {

    case 0:
    case 1:
        tj_gen_string(g, 0);
        break;

    case 2:
        tj_gen_number(g);
        break;

    case 3:
        tj_puts(g, tj_defect(g) ? "tru" : "true");
        break;

    case 4:
        tj_puts(g, tj_pick(2) ? "false" : "null");
        break;

    case 5:
        tj_gen_number(g);
        break;

    case 6:
    case 7:
        tj_puts(g, "{");
        g->depth++;
        n = tj_pick(6);
        for (i = 0; i < n; i++) {
            if (i) {
                tj_puts(g, ",");
            }
            tj_ws(g);
            tj_gen_string(g, 1);
            tj_ws(g);
            tj_puts(g, tj_defect(g) ? "" : ":");
            tj_gen_value(g);
            tj_ws(g);
        }
        if (n == 0) {
            tj_ws(g);
        }
        tj_puts(g, tj_defect(g) ? ",}" : "}");
        g->depth--;
        break;

    default:
        tj_puts(g, "[");
        g->depth++;
        n = tj_pick(6);
        for (i = 0; i < n; i++) {
            if (i) {
                tj_puts(g, tj_defect(g) ? "" : ",");
            }
            tj_gen_value(g);
            tj_ws(g);
        }
        if (n == 0) {
            tj_ws(g);
        }
        tj_puts(g, "]");
        g->depth--;
        break;
    }
}


UNIT_TEST(test_generated_documents)
{
    int       bad, round;
    size_t    valid;
    json_t   *j;
    tj_gen_t  g;

    tj_shown = 0;
    bad = 0;
    valid = 0;
    memset(&g, 0, sizeof(g));

    for (round = 0; round < 6000; round++) {
        g.len = 0;
        g.depth = 0;
        /* half of them clean, so the fast path is what gets compared */
        g.bad = round % 2 ? 0 : (int) tj_pick(30);

        tj_gen_value(&g);
        tj_ws(&g);

        bad += tj_load_all(g.data, g.len);

        j = json_loadb(g.data, g.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        valid += j != NULL;
        json_decref(j);
    }

    free(g.data);

    /* both kinds were produced */
    CHECK(valid > 2000 && valid < 5900);
    CHECK(bad == 0);
}


/* nesting around jansson's limit (JSON_PARSER_MAX_DEPTH) */

UNIT_TEST(test_depth)
{
    static const size_t  depths[] = {
        1, 31, 32, 33, 64, 65, 1000, JSON_PARSER_MAX_DEPTH - 1,
        JSON_PARSER_MAX_DEPTH, JSON_PARSER_MAX_DEPTH + 1, 5000
    };
    char    *s;
    size_t   i, k, d, n;
    int      bad;

    tj_shown = 0;
    bad = 0;
    s = malloc(6 * 5000 + 64);

    for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
        d = depths[i];

        /* [[...[]...]], [[...[1]...]] and {"a":{"a":...1...}} */
        for (k = 0; k < 3; k++) {
            n = 0;
            if (k < 2) {
                memset(s, '[', d);
                n = d;
                if (k == 1) {
                    s[n++] = '1';
                }
                memset(s + n, ']', d);
                n += d;
            } else {
                for (; n < 5 * d; n += 5) {
                    memcpy(s + n, "{\"a\":", 5);
                }
                s[n++] = '1';
                memset(s + n, '}', d);
                n += d;
            }
            bad += !tj_load_agrees(s, n, 0);
        }
    }

    free(s);
    CHECK(bad == 0);
}


/* prefixes and single-byte changes of a sample: every cut_stride-th prefix
   (and all of the last 64), every stride-th byte changed to each of a set
   of bytes that matter to the grammar or to UTF-8 */

static int
tj_mutate(const char *name, size_t cut_stride, size_t stride)
{
    static const unsigned char  subst[] = {
        '"', '\\', '{', '}', '[', ']', ',', ':', '0', '9', '-', '+', '.',
        'e', 'u', 'n', 't', ' ', '\n', 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf,
        0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff,
    };
    char    path[256], *buf, *m, orig;
    size_t  len, i, k;
    int     bad;

    snprintf(path, sizeof(path), "samples/%s", name);
    buf = unit_read_file(path, &len);
    if (buf == NULL) {
        return 1;
    }

    bad = 0;

    for (i = 0; i <= len; i += i + 64 < len ? cut_stride : 1) {
        bad += !tj_load_agrees(buf, i, JSON_ALLOW_NUL);
    }

    m = malloc(len);
    memcpy(m, buf, len);

    for (i = 0; i < len; i += stride) {
        orig = m[i];
        for (k = 0; k < sizeof(subst); k++) {
            m[i] = (char) subst[k];
            bad += !tj_load_agrees(m, len, JSON_ALLOW_NUL);
        }
        m[i] = orig;
    }

    free(m);
    free(buf);
    return bad;
}


UNIT_TEST(test_truncations_and_mutations)
{
    int  bad;

    tj_shown = 0;
    /* (the fuzz target goes on where these strides stop) */
    bad = tj_mutate("anthropic_resp_tools.json", 1, 2);
    bad += tj_mutate("openai_resp_tools.json", 1, 5);
    bad += tj_mutate("gemini_req_tools.json", 1, 13);
    bad += tj_mutate("openai_req_tools.json", 3, 23);
    bad += tj_mutate("anthropic_req_claude_code.json", 61, 499);
    CHECK(bad == 0);
}


/* --- trees built by code --- */

static int
tj_dump_all(const json_t *j)
{
    static const size_t  flags[] = {
        LLM_XL_DUMP_FLAGS, LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY,
        JSON_COMPACT, JSON_COMPACT | JSON_ENCODE_ANY,
        JSON_COMPACT | JSON_REAL_PRECISION(1) | JSON_ENCODE_ANY,
        JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY,
        JSON_COMPACT | JSON_REAL_PRECISION(31) | JSON_ENCODE_ANY,
        JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6),
        0, JSON_ENCODE_ANY, JSON_INDENT(2), JSON_COMPACT | JSON_SORT_KEYS,
        JSON_COMPACT | JSON_ENSURE_ASCII, JSON_COMPACT | JSON_ESCAPE_SLASH,
    };
    size_t  i;
    int     bad;

    bad = 0;

    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        bad += !tj_dump_agrees(j, flags[i]);
    }

    return bad;
}


UNIT_TEST(test_dump_scalars)
{
    static const double  reals[] = {
        0.1, 0.7, 1e20, 1e21, 1e15, 1e16, 1e17, 1.5e-7, 1e-5, 1e-4, 100.0,
        -0.0, 0.0, 1.0, -1.0, 1.0 / 3, 2.0 / 3, 123456789012345678.0,
        1e300, -1e-300, 5e-324, DBL_MAX, DBL_MIN, 0.30000000000000004,
        3.141592653589793, 1e100, 1e-100, 12345.678, 9007199254740993.0,
    };
    static const json_int_t  ints[] = {
        0, 1, -1, 9, 10, -10, 123456789, LLONG_MAX, LLONG_MIN,
        LLONG_MIN + 1, 1000000000000000000LL,
    };
    json_t   *arr, *obj, *v;
    size_t    i;
    int       bad;
    char      key[32];

    tj_shown = 0;
    bad = 0;
    arr = json_array();
    obj = json_object();

    for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
        v = json_real(reals[i]);
        bad += tj_dump_all(v);
        json_array_append_new(arr, v);
        v = json_real(-reals[i]);
        bad += tj_dump_all(v);
        json_array_append_new(arr, v);
    }

    for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        v = json_integer(ints[i]);
        bad += tj_dump_all(v);
        snprintf(key, sizeof(key), "k%zu", i);
        json_object_set_new(obj, key, v);
    }

    json_object_set_new(obj, "t", json_true());
    json_object_set_new(obj, "f", json_false());
    json_object_set_new(obj, "n", json_null());
    json_object_set_new(obj, "e", json_object());
    json_object_set_new(obj, "a", json_array());
    json_object_set(obj, "reals", arr);

    bad += tj_dump_all(arr);
    bad += tj_dump_all(obj);
    bad += tj_dump_all(json_true());
    bad += tj_dump_all(json_null());

    /* no tree at all */
    bad += !tj_dump_agrees(NULL, LLM_XL_DUMP_FLAGS);
    bad += !tj_dump_agrees(NULL, LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY);

    json_decref(arr);
    json_decref(obj);

    CHECK(bad == 0);
}


UNIT_TEST(test_dump_strings)
{
    static const char  *texts[] = {
        "", "plain", "a/b", "\"quoted\"", "back\\slash", "\x7f",
        "\xe2\x80\xa8\xe2\x80\xa9", "\xc3\xa9t\xc3\xa9", "\xf0\x9f\x98\x80",
        "\xef\xbb\xbf", "tab\there\nnew\rline\fff\bbs",
        "0123456789abcdef\n0123456789abcdef\"0123456789abcdef\xc3\xa9",
    };
    json_t   *obj, *arr, *v;
    char      s[300];
    size_t    i, k;
    int       bad;

    tj_shown = 0;
    bad = 0;
    obj = json_object();
    arr = json_array();

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        v = json_string(texts[i]);
        bad += tj_dump_all(v);
        json_object_set(obj, texts[i], v);
        json_array_append_new(arr, v);
    }

    /* every control byte, and a NUL, at every offset of two blocks */
    for (i = 0; i < 0x20; i++) {
        for (k = 0; k < 40; k++) {
            memset(s, 'x', k);
            s[k] = (char) i;
            memcpy(s + k + 1, "tail", 4);
            v = json_stringn(s, k + 5);
            bad += !tj_dump_agrees(v, LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY);
            json_object_setn(obj, s, k + 5, v);
            json_decref(v);
        }
    }

    bad += tj_dump_all(obj);
    bad += tj_dump_all(arr);

    /* invalid UTF-8 through the unchecked calls: jansson fails on values
       and writes mangled keys; the fast path leaves both to jansson */
    v = json_stringn_nocheck("ab\xff" "cd", 5);
    bad += tj_dump_all(v);
    json_array_append_new(arr, v);
    bad += tj_dump_all(arr);

    v = json_object();
    json_object_set_new_nocheck(v, "k\xc3(\n", json_integer(1));
    json_object_set_new_nocheck(v, "ok", json_stringn_nocheck("\xed\xa0\x80",
                                                              3));
    bad += tj_dump_all(v);
    json_decref(v);

    v = json_object();
    json_object_set_new_nocheck(v, "bad\x80key", json_integer(1));
    json_object_set_new(v, "good", json_integer(2));
    bad += tj_dump_all(v);
    json_decref(v);

    json_decref(obj);
    json_decref(arr);

    CHECK(bad == 0);
}


UNIT_TEST(test_dump_structure)
{
    json_t   *a, *b, *deep, *o;
    size_t    i;
    int       bad;

    tj_shown = 0;
    bad = 0;

    /* insertion order, a key replaced in place, a key deleted */
    o = json_object();
    json_object_set_new(o, "z", json_integer(1));
    json_object_set_new(o, "a", json_integer(2));
    json_object_set_new(o, "m", json_integer(3));
    json_object_set_new(o, "z", json_string("again"));
    json_object_del(o, "a");
    json_object_set_new(o, "a", json_array());
    bad += tj_dump_all(o);

    /* one child shared by two parents is fine for jansson */
    a = json_array();
    json_array_append(a, o);
    json_array_append(a, o);
    bad += tj_dump_all(a);
    json_decref(o);

    /* a cycle: jansson refuses it */
    b = json_array();
    json_array_append(a, b);
    json_array_append(b, a);
    bad += !tj_dump_agrees(a, LLM_XL_DUMP_FLAGS);
    json_array_clear(b);
    json_decref(b);
    json_decref(a);

    /* nesting deeper than the fast writer goes */
    deep = json_integer(7);
    for (i = 0; i < 3000; i++) {
        a = json_array();
        json_array_append_new(a, deep);
        deep = a;
        if (i == 30 || i == 31 || i == 2046 || i == 2047 || i == 2048) {
            bad += !tj_dump_agrees(deep, LLM_XL_DUMP_FLAGS);
        }
    }
    bad += !tj_dump_agrees(deep, LLM_XL_DUMP_FLAGS);
    json_decref(deep);

    CHECK(bad == 0);
}


/* a callback that fails: both report the failure */

static int
tj_refuse(const char *data, size_t len, void *arg)
{
    return -1;
}


UNIT_TEST(test_dump_callback_failure)
{
    json_t  *j;

    j = json_pack("{s:[i,s]}", "a", 1, "b");
    CHECK(llm_json_dump(j, LLM_XL_DUMP_FLAGS, tj_refuse, NULL) == -1);
    CHECK(json_dump_callback(j, tj_refuse, NULL, LLM_XL_DUMP_FLAGS) == -1);
    json_decref(j);
}


/*
 * llm_json_dumps() on its own: documents of every length across the
 * buffer's growth steps end with their NUL, arguments of tool calls as the
 * translators dump them, and what json_dumps() refuses.
 */

UNIT_TEST(test_dumps)
{
    json_t  *j, *v;
    char    *js, *ls, s[600];
    size_t   i;
    int      bad;

    tj_shown = 0;
    bad = 0;

    for (i = 0; i < sizeof(s) - 1; i++) {
        memset(s, 'a', i);
        if (i > 3) {
            s[i / 2] = '\n';
            s[i - 1] = '"';
        }
        s[i] = '\0';
        j = json_pack("{s:s}", "k", s);
        ls = llm_json_dumps(j, LLM_XL_DUMP_FLAGS);
        js = json_dumps(j, LLM_XL_DUMP_FLAGS);
        bad += ls == NULL || js == NULL || strcmp(ls, js) != 0;
        free(ls);
        free(js);
        json_decref(j);
    }

    j = json_pack("{s:s,s:i,s:f,s:[b,n,{}],s:{s:s}}", "location",
                  "Paris, France", "days", 5, "temp", 21.5, "flags", 1,
                  "nested", "note", "caf\xc3\xa9 \"quoted\"\n\\");
    ls = llm_json_dumps(j, LLM_XL_DUMP_FLAGS);
    CHECK_STR(ls, "{\"location\":\"Paris, France\",\"days\":5,"
              "\"temp\":21.5,\"flags\":[true,null,{}],\"nested\":"
              "{\"note\":\"caf\xc3\xa9 \\\"quoted\\\"\\n\\\\\"}}");
    free(ls);
    bad += tj_dump_all(j);
    json_decref(j);

    /* scalars only with JSON_ENCODE_ANY; no tree, no document */
    v = json_string("text");
    CHECK(llm_json_dumps(v, LLM_XL_DUMP_FLAGS) == NULL);
    ls = llm_json_dumps(v, LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY);
    CHECK_STR(ls, "\"text\"");
    free(ls);
    json_decref(v);
    ls = llm_json_dumps(json_null(), LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY);
    CHECK_STR(ls, "null");
    free(ls);
    CHECK(llm_json_dumps(NULL, LLM_XL_DUMP_FLAGS) == NULL);
    CHECK(llm_json_dumps(NULL, LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY) == NULL);

    /* jansson's failure on invalid UTF-8 from an unchecked call */
    j = json_object();
    json_object_set_new(j, "a", json_stringn_nocheck("\xff", 1));
    CHECK(llm_json_dumps(j, LLM_XL_DUMP_FLAGS) == NULL);
    CHECK(json_dumps(j, LLM_XL_DUMP_FLAGS) == NULL);
    json_decref(j);

    /* flags the fast path leaves to jansson */
    j = json_pack("{s:i,s:[i,i]}", "b", 1, "a", 2, 3);
    ls = llm_json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    js = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    CHECK(ls != NULL && js != NULL && strcmp(ls, js) == 0);
    free(ls);
    free(js);
    json_decref(j);

    CHECK(bad == 0);
}


UNIT_MAIN(test_sample_files, test_fixed_documents, test_block_edges,
          test_generated_documents, test_depth,
          test_truncations_and_mutations, test_dump_scalars,
          test_dump_strings, test_dump_structure,
          test_dump_callback_failure, test_dumps)
