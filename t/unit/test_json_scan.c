/*
 * The request-body scanner: validation, member spans, string decoding.
 * The scanning tests run against each implementation (byte by byte, AVX2
 * when the CPU has it, and the dispatcher); differential tests hold the
 * AVX2 one to exactly the results of the other on generated, truncated and
 * mutated documents and on the benchmark bodies.
 */

#include <ctype.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "llm_json_scan_int.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LLM_TEST_ASAN  1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(LLM_TEST_ASAN)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size)    ((void) (addr), (void) (size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size)  ((void) (addr), (void) (size))
#endif


typedef int (*scan_fn)(const char *p, size_t len, llm_json_scan_t *out);

/* the implementation the scanning tests run against */
static scan_fn  scan_impl = llm_json_scan;


static int
scan(const char *s, llm_json_scan_t *out)
{
    return scan_impl(s, strlen(s), out);
}


UNIT_TEST(test_valid_documents)
{
    llm_json_scan_t  sc;

    CHECK(scan("{}", &sc) == 0);
    CHECK(scan("  {\"a\" : [1, 2.5e-3, -0, true, false, null, {}, []]}\n",
               &sc) == 0);
    CHECK(scan("{\"s\":\"\\u00e9\\n\\\"q\\\"\"}", &sc) == 0);
    CHECK(sc.members == 1);
}


UNIT_TEST(test_invalid_documents)
{
    static const char  *bad[] = {
        "", "[]", "\"x\"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\x01\"}", "{\"a\":1} x", "{'a':1}", "{\"a\":[1,]}",
        "{\"a\":\"\\u12\"}", "{\"a\":-}", "{\"a\":1e}", "{\"a\" 1}",
    };
    llm_json_scan_t  sc;
    size_t           i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(scan(bad[i], &sc) == -1);
    }
}


UNIT_TEST(test_deep_nesting_is_bounded)
{
    char             *s;
    size_t            i, n = 100000;
    llm_json_scan_t   sc;

    s = malloc(2 * n + 16);
    strcpy(s, "{\"a\":");
    for (i = 0; i < n; i++) {
        s[5 + i] = '[';
    }
    for (i = 0; i < n; i++) {
        s[5 + n + i] = ']';
    }
    strcpy(s + 5 + 2 * n, "}");

    CHECK(scan_impl(s, strlen(s), &sc) == -1);
    free(s);
}


UNIT_TEST(test_member_spans)
{
    const char       *s = "{\"messages\":[{\"model\":\"inner\"}],"
                          " \"model\" : \"gpt-4o\", \"stream\":true,"
                          "\"max_tokens\":10}";
    char              buf[64];
    llm_json_scan_t   sc;

    CHECK(scan(s, &sc) == 0);
    CHECK(sc.model.present);
    CHECK(llm_json_string_value(s, sc.model.value_start, sc.model.value_end,
                                buf, sizeof(buf)) == 6);
    CHECK_STR(buf, "gpt-4o");
    CHECK(llm_json_bool_value(s, sc.stream.value_start, sc.stream.value_end)
          == 1);
    CHECK(sc.max_tokens.present);
    CHECK(!sc.max_output_tokens.present);
    CHECK(!sc.stream_options.present);
    CHECK(s[sc.object_end] == '}');

    s = "{\"model\":\"m\",\"input\":\"hi\",\"max_output_tokens\": 321}";
    CHECK(scan(s, &sc) == 0);
    CHECK(sc.max_output_tokens.present);
    CHECK(!sc.max_tokens.present);
    CHECK(sc.max_output_tokens.value_end - sc.max_output_tokens.value_start
          == 3);
    CHECK(memcmp(s + sc.max_output_tokens.value_start, "321", 3) == 0);
}


UNIT_TEST(test_string_decoding)
{
    const char       *s = "{\"model\":\"a\\u00e9\\ud83d\\ude00\\\\\"}";
    char              buf[64], small[4];
    llm_json_scan_t   sc;

    CHECK(scan(s, &sc) == 0);
    CHECK(llm_json_string_value(s, sc.model.value_start, sc.model.value_end,
                                buf, sizeof(buf)) == 8);
    CHECK_STR(buf, "a\xc3\xa9\xf0\x9f\x98\x80\\");
    CHECK(llm_json_string_value(s, sc.model.value_start, sc.model.value_end,
                                small, sizeof(small)) == -1);
}


UNIT_TEST(test_quote)
{
    char    buf[LLM_JSON_QUOTED_MAX(8)];
    size_t  n;

    n = llm_json_quote("a\"b\\\n", 5, buf);
    buf[n] = '\0';
    CHECK_STR(buf, "\"a\\\"b\\\\\\u000a\"");
}


/* long strings are skipped a block at a time: every position matters */
UNIT_TEST(test_long_strings)
{
    char             doc[256], xs[160], ys[160];
    size_t           at, n;
    llm_json_scan_t  sc;

    memset(xs, 'x', sizeof(xs) - 1);
    xs[sizeof(xs) - 1] = '\0';
    memset(ys, 'y', sizeof(ys) - 1);
    ys[sizeof(ys) - 1] = '\0';

    for (at = 0; at < 140; at++) {
        n = (size_t) snprintf(doc, sizeof(doc), "{\"model\":\"%.*s%s%.*s\"}",
                              (int) at, xs, "\\\"", 140 - (int) at, ys);
        CHECK(scan_impl(doc, n, &sc) == 0);
        CHECK(sc.model.value_end == n - 1);

        /* a raw control character anywhere in a string is invalid */
        doc[10 + at] = '\t';
        CHECK(scan_impl(doc, n, &sc) == -1);
    }
}


static int
same_member(const llm_json_member_t *a, const llm_json_member_t *b)
{
    return a->present == b->present
           && (!a->present
               || (a->key_start == b->key_start
                   && a->value_start == b->value_start
                   && a->value_end == b->value_end));
}


static int locate_usage_agrees(const char *copy, size_t len, int valid,
    const llm_json_scan_t *sc);


/* on valid documents the locator finds exactly what the scanner finds */
UNIT_TEST(test_locate_matches_scan)
{
    static const char  *docs[] = {
        "{}",
        "{\"model\":\"gpt-4o\",\"stream\":true,\"max_tokens\":16}",
        " { \"id\" : \"x\\\"usage\\\":{}\" , \"usage\" : {\"a\":1,\"b\":[1,{}]} }",
        "{\"choices\":[{\"delta\":{\"content\":\"{[\\\\\\\"}\"}}],"
        "\"usage\":null}",
        "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}",
        "{\"usageMetadata\":{\"promptTokenCount\":1},\"n\":-1.5e3,\"t\":false}",
        "{\"model\":\"a\",\"model\":\"b\"}",
        /* read backwards: quotes and backslashes at the ends of strings */
        "{\"usage\":{\"a\":1},\"s\":\"\\\\\",\"t\":\"\\\"usage\\\":{}\"}",
        "{\"usage\":1,\"usage\":{\"b\":\"}\\\\\"},\"x\":[\"]\",{\"usage\":2}]}",
        "{\"u\\u0073age\":{\"c\":[1,{\"d\":\"[\"}]} , \"n\" : -1 } \n",
        "{\"message\":{\"usage\":{}},\"k\\\\\":true,\"usageMetadata\":{}}",
        "{\"message\":{\"usage\":{}},\"x\":\"\\\\\\\"\"}",
    };
    size_t           i;
    llm_json_scan_t  sc, lc;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        CHECK(scan(docs[i], &sc) == 0);
        CHECK(locate_usage_agrees(docs[i], strlen(docs[i]), 1, &sc));
        CHECK(llm_json_locate(docs[i], strlen(docs[i]), &lc) == 0);
        CHECK(lc.members == sc.members);
        CHECK(same_member(&lc.model, &sc.model));
        CHECK(same_member(&lc.stream, &sc.stream));
        CHECK(same_member(&lc.max_tokens, &sc.max_tokens));
        CHECK(same_member(&lc.usage, &sc.usage));
        CHECK(same_member(&lc.message, &sc.message));
    }
}


/*
 * Reading usage backwards 64 bytes at a time: escaped quotes and brackets
 * in strings, and runs of backslashes, at every offset from the blocks'
 * edges (counted from the end, where the reading starts).
 */
UNIT_TEST(test_locate_usage_block_edges)
{
    static const char  *inner[] = {
        "\\\"}{][", "\\\\", "\\\\\\\"]", "{\\\"usage\\\":}", "\\\\\\\\\\\"",
    };
    static const char  *after[] = {
        "", ",\"k\":[1,{\"s\":\"}\"}]", ",\"t\":\"\\\\\"",
    };

    char             doc[512], *copy;
    size_t           i, j, k, len;
    llm_json_scan_t  sc;

    for (i = 0; i < sizeof(inner) / sizeof(inner[0]); i++) {
        for (j = 0; j < sizeof(after) / sizeof(after[0]); j++) {
            for (k = 0; k < 200; k++) {
                len = (size_t) snprintf(doc, sizeof(doc),
                          "{\"id\":1,\"usage\":{\"a\":\"%.*s%s\",\"b\":[2,"
                          "{\"c\":\"%s\"}],\"d\":%zu%s}%s}", (int) (k % 90),
                          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                          inner[i], inner[(i + k) % 5], k,
                          k >= 90 ? ",\"e\":\"{{\"" : "", after[j]);

                copy = malloc(len);
                memcpy(copy, doc, len);
                CHECK(scan(doc, &sc) == 0);
                CHECK(locate_usage_agrees(copy, len, 1, &sc));
                free(copy);
            }
        }
    }
}


/* on anything else it ends, and every span stays inside the input */
UNIT_TEST(test_locate_garbage_stays_in_bounds)
{
    static const char  *docs[] = {
        "", "[]", "{", "{\"usage", "{\"usage\":", "{\"usage\":{\"a\":1",
        "{\"usage\":\"\\", "{\"a\":1 \"usage\":{}}", "{\"usage\":{]]]]}",
        "{\"model\":}", "{,,,}", "{\"a\"\"b\":1}",
        /* what reads back to the start, or stops, from the end */
        "}", "\"}", "\\\"}", ":1}", "\"usage\":{}}", "\"usage\":{\"a\":\"}}",
        "{\"usage\"::{}}", "{\"usage\":{}],1}", "]]}", "{\"usage\":\"\\\"}",
        "x\"usage\":{}}", ",\"usage\":{}}", "{ , \"usage\" : { } }",
    };
    size_t             i, len;
    llm_json_scan_t    lc;
    llm_json_member_t *m[] = { &lc.model, &lc.stream, &lc.usage, &lc.message };
    size_t             j;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        len = strlen(docs[i]);
        CHECK(locate_usage_agrees(docs[i], len, 0, NULL));
        (void) llm_json_locate(docs[i], len, &lc);

        for (j = 0; j < sizeof(m) / sizeof(m[0]); j++) {
            CHECK(!m[j]->present
                  || (m[j]->value_start <= m[j]->value_end
                      && m[j]->value_end <= len));
        }
    }

    CHECK(llm_json_locate("[1]", 3, &lc) == -1);
}


/* {"k":"..."} checked byte by byte, as RFC 8259 reads a string */
static int
ref_valid(const char *d, size_t len)
{
    size_t         i, j;
    unsigned char  c;

    for (i = 6; i < len; i++) {
        c = (unsigned char) d[i];

        if (c == '"') {
            return i + 2 == len && d[i + 1] == '}';
        }

        if (c < 0x20) {
            return 0;
        }

        if (c != '\\') {
            continue;
        }

        if (++i >= len) {
            return 0;
        }

        c = (unsigned char) d[i];

        if (c == 'u') {
            for (j = 1; j <= 4; j++) {
                if (i + j >= len || !isxdigit((unsigned char) d[i + j])) {
                    return 0;
                }
            }

            i += 4;

        } else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
            return 0;
        }
    }

    return 0;
}


/*
 * Strings with escapes, quotes and control bytes at every offset from the
 * scanner's 16-byte blocks: it must agree with the byte-by-byte reading.
 */
UNIT_TEST(test_strings_against_reference)
{
    static const char  *pieces[] = {
        "a", "xyz", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\uD83D",
        "\\u12", "\\uZZZZ", "\\x", "\\", "\"", "\x01", "\x1f", "\xc3\xa9",
        "\\u", "0123456789abcdef",
    };
    char               doc[256];
    size_t             len, n, pad, i, cases;
    unsigned           seed, bad;
    llm_json_scan_t    sc;

    seed = 12345;
    bad = 0;
    cases = 0;

    for (pad = 0; pad < 70; pad++) {
        for (n = 0; n < 300; n++) {
            len = (size_t) sprintf(doc, "{\"k\":\"");
            memset(doc + len, 'p', pad);
            len += pad;

            for (i = 0; i < 6; i++) {
                seed = seed * 1103515245 + 12345;
                len += (size_t) sprintf(doc + len, "%s",
                           pieces[(seed >> 16) % (sizeof(pieces)
                                                  / sizeof(pieces[0]))]);
            }

            len += (size_t) sprintf(doc + len, "\"}");

            cases++;
            bad += ((scan_impl(doc, len, &sc) == 0) != ref_valid(doc, len));
        }
    }

    CHECK(cases == 70 * 300);
    CHECK(bad == 0);
}


/*
 * Differential tests: the AVX2 scanner against the byte-by-byte one, on an
 * exact-sized heap copy (so that ASan sees a read past the end).  Every
 * field must be the same, error_offset and the partial results of invalid
 * documents included.
 */

static unsigned long  diff_cases, diff_valid, diff_bad;


static int
same_member(const llm_json_member_t *a, const llm_json_member_t *b);


static int
same_scan(const llm_json_scan_t *a, const llm_json_scan_t *b)
{
    return a->model.present == b->model.present
           && a->model.key_start == b->model.key_start
           && a->model.value_start == b->model.value_start
           && a->model.value_end == b->model.value_end
           && same_member(&a->stream, &b->stream)
           && a->stream.key_start == b->stream.key_start
           && a->stream.value_start == b->stream.value_start
           && same_member(&a->max_output_tokens, &b->max_output_tokens)
           && same_member(&a->stream_options, &b->stream_options)
           && a->stream_options.value_start == b->stream_options.value_start
           && same_member(&a->max_tokens, &b->max_tokens)
           && a->max_tokens.value_start == b->max_tokens.value_start
           && same_member(&a->usage, &b->usage)
           && a->usage.value_start == b->usage.value_start
           && same_member(&a->message, &b->message)
           && a->message.value_start == b->message.value_start
           && a->object_start == b->object_start
           && a->object_end == b->object_end
           && a->members == b->members
           && a->error_offset == b->error_offset;
}


/*
 * llm_json_locate_usage() against the scanner: on a valid document the
 * same usage member, and message when there is no usage; on any other,
 * spans inside the input (copy is exactly len bytes: ASan sees the rest).
 */
static int
locate_usage_agrees(const char *copy, size_t len, int valid,
    const llm_json_scan_t *sc)
{
    llm_json_scan_t  lc;

    (void) llm_json_locate_usage(copy, len, &lc);

    if (!valid) {
        return (!lc.usage.present || lc.usage.value_end <= len)
               && (!lc.message.present || lc.message.value_end <= len)
               && lc.usage.value_start <= lc.usage.value_end
               && lc.message.value_start <= lc.message.value_end;
    }

    return same_member(&lc.usage, &sc->usage)
           && (sc->usage.present || same_member(&lc.message, &sc->message));
}


static void
diff_at(const char *doc, size_t len, const char *copy)
{
#ifdef LLM_JSON_SCAN_AVX2
    int              ra, rb;
    llm_json_scan_t  a, b;

    ra = llm_json_scan_generic(copy, len, &a);
    rb = llm_json_scan_avx2(copy, len, &b);

    if (!locate_usage_agrees(copy, len, ra == 0, &a)) {
        if (diff_bad++ < 5) {
            fprintf(stderr, "locate_usage mismatch: \"%.*s\"\n",
                    (int) (len < 300 ? len : 300), doc);
        }
    }

    diff_cases++;
    diff_valid += (ra == 0);

    if (ra != rb || !same_scan(&a, &b)) {
        if (diff_bad++ < 5) {
            fprintf(stderr, "scan mismatch: %d/%d, error at %zu/%zu, "
                    "%zu/%zu members: \"%.*s\"\n", ra, rb, a.error_offset,
                    b.error_offset, a.members, b.members,
                    (int) (len < 300 ? len : 300), doc);
        }
    }
#else
    (void) doc;
    (void) len;
    (void) copy;
#endif
}


static void
diff(const char *doc, size_t len)
{
    char  *copy;

    copy = malloc(len ? len : 1);
    memcpy(copy, doc, len);
    diff_at(doc, len, copy);
    free(copy);
}


static int
have_avx2(void)
{
#ifdef LLM_JSON_SCAN_AVX2
    return llm_json_scan_avx2_usable();
#else
    return 0;
#endif
}


/* the document whole, cut at every length, and changed at some bytes */

static void
diff_variants(char *doc, size_t len, unsigned *seed, int mutations)
{
    static const char  subst[] = "\"\\{}[],: \t\n\x01\x1f\x80\xff" "a0-.eEtu";

    int     i;
    char    old;
    size_t  cut, at;

    diff(doc, len);

    for (cut = 0; cut < len; cut++) {
        diff(doc, cut);
    }

    for (i = 0; i < mutations && len > 0; i++) {
        *seed = *seed * 1103515245 + 12345;
        at = (*seed >> 8) % len;
        old = doc[at];
        *seed = *seed * 1103515245 + 12345;
        doc[at] = subst[(*seed >> 16) % (sizeof(subst) - 1)];
        diff(doc, len);
        doc[at] = old;
    }
}


/* A random document: nested values, keys of interest, junk when bad. */

typedef struct {
    char      *p;
    size_t     len;
    size_t     size;
    unsigned   seed;
    int        bad;          /* whether to put in invalid pieces */
} gen_t;


static unsigned
gen_rand(gen_t *g)
{
    g->seed = g->seed * 1103515245 + 12345;
    return g->seed >> 16;
}


static void
gen_put(gen_t *g, const char *s)
{
    size_t  n;

    n = strlen(s);

    if (g->len + n < g->size) {
        memcpy(g->p + g->len, s, n);
        g->len += n;
    }
}


static void
gen_ws(gen_t *g)
{
    static const char  *ws[] = { " ", "\n", "  ", "\t", "\r\n", "      " };

    if (gen_rand(g) % 4 == 0) {
        gen_put(g, ws[gen_rand(g) % 6]);
    }
}


static void
gen_string(gen_t *g)
{
    static const char  *good[] = {
        "a", "hello world", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9",
        "\\uD83D\\uDE00", "\\t", "\\r\\n", "\\b\\f", "\\\\\\\"", "\\\\\\\\",
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x7f", "model",
        "{[:,]}", "0123456789abcdef", " ",
    };
    static const char  *bad[] = {
        "\\u12", "\\uZZZZ", "\\x", "\\", "\"", "\x01", "\x1f", "\t", "\n",
        "\\\xc3\xa9", "\\U0041",
    };

    unsigned  i, n, k;

    gen_put(g, "\"");

    if (gen_rand(g) % 4 == 0) {
        /* long enough to cross blocks, or to be skipped whole */
        k = gen_rand(g) % 200;

        for (i = 0; i < k; i++) {
            gen_put(g, "x");
        }
    }

    n = gen_rand(g) % 8;

    for (i = 0; i < n; i++) {
        if (g->bad && gen_rand(g) % 8 == 0) {
            gen_put(g, bad[gen_rand(g) % (sizeof(bad) / sizeof(bad[0]))]);

        } else {
            gen_put(g, good[gen_rand(g) % (sizeof(good) / sizeof(good[0]))]);
        }
    }

    gen_put(g, "\"");
}


static void
gen_key(gen_t *g)
{
    static const char  *keys[] = {
        "\"model\"", "\"stream\"", "\"stream_options\"", "\"max_tokens\"",
        "\"max_output_tokens\"", "\"usage\"", "\"usageMetadata\"",
        "\"message\"", "\"messages\"",
        "\"mo\\u0064el\"", "\"x\"",
    };

    if (gen_rand(g) % 3) {
        gen_put(g, keys[gen_rand(g) % (sizeof(keys) / sizeof(keys[0]))]);

    } else {
        gen_string(g);
    }
}


static void gen_value(gen_t *g, int depth);


/* {"key": value, ...} with n members, whose values are at depth + 1 */

static void
gen_object(gen_t *g, unsigned n, int depth)
{
    unsigned  i;

    gen_put(g, "{");
    gen_ws(g);

    for (i = 0; i < n; i++) {
        if (i) {
            gen_put(g, ",");
            gen_ws(g);
        }

        gen_key(g);
        gen_ws(g);
        gen_put(g, ":");
        gen_value(g, depth + 1);
        gen_ws(g);
    }

    gen_put(g, "}");
}


static void
gen_value(gen_t *g, int depth)
{
    static const char  *good[] = {
        "0", "-1", "123456789", "1.5", "-0.25e-3", "1E+9", "true", "false",
        "null", "12345678901234567890", "0.000000000000000001", "-0",
        "9.99e99",
    };
    static const char  *bad[] = {
        "01", "1.", "-", "tru", "nul", "1e", "+1", "truex", ".5", "1x",
        "\\\\", "'a'", "\x01", "1 2", "--1", "0x1", "nulll", "1.2.3",
    };

    unsigned  r, i, n;

    gen_ws(g);

    r = gen_rand(g) % 10;

    if (depth > 6) {
        r = 8 + r % 2;
    }

    if (r < 3) {
        gen_object(g, gen_rand(g) % 5, depth);

    } else if (r < 5) {
        n = gen_rand(g) % 6;
        gen_put(g, "[");
        gen_ws(g);

        for (i = 0; i < n; i++) {
            if (i) {
                gen_put(g, ",");
            }

            gen_value(g, depth + 1);
            gen_ws(g);
        }

        gen_put(g, "]");

    } else if (r < 8) {
        gen_string(g);

    } else if (g->bad && gen_rand(g) % 6 == 0) {
        gen_put(g, bad[gen_rand(g) % (sizeof(bad) / sizeof(bad[0]))]);

    } else {
        gen_put(g, good[gen_rand(g) % (sizeof(good) / sizeof(good[0]))]);
    }
}


static size_t
gen_doc(gen_t *g)
{
    unsigned  i, n;

    g->len = 0;
    g->bad = (gen_rand(g) % 4 == 0);

    gen_ws(g);

    if (gen_rand(g) % 4 == 0) {
        /* the document at any offset from the blocks */
        n = gen_rand(g) % 70;

        for (i = 0; i < n; i++) {
            gen_put(g, " ");
        }
    }

    gen_object(g, gen_rand(g) % 8, 0);
    gen_ws(g);

    return g->len;
}


UNIT_TEST(test_diff_generated)
{
    int        i;
    char       buf[16384];
    size_t     len;
    gen_t      g;
    unsigned   seed;

    if (!have_avx2()) {
        return;
    }

    g.p = buf;
    g.size = sizeof(buf);
    g.seed = 20240611;
    seed = 7;
    diff_cases = 0;
    diff_valid = 0;
    diff_bad = 0;

    for (i = 0; i < 1000; i++) {
        len = gen_doc(&g);
        diff_variants(buf, len, &seed, 40);
    }

    CHECK(diff_bad == 0);
    CHECK(diff_valid > 4000);
}


/*
 * Pieces of strings, numbers and literals at every offset around the first
 * two block edges, in a key, a value and an array, with what may follow.
 */
UNIT_TEST(test_diff_block_edges)
{
    static const char  *pieces[] = {
        "\\\"", "\\\\", "\\\\\\\"", "\\\\\\\\\\\"", "\\\\\\\\\\\\\\\\",
        "\\n", "\\u00e9", "\\uD83D\\uDE00", "\\u12", "\\u", "\\x", "\\",
        "\"", "\"\"", "\x01", "\t", "\x1f", "\xc3\xa9", "\xe2\x82\xac",
        "\xf0\x9f\x98\x80", "\x7f", "\xff", "\\/", "\"x\":1,\"y",
        "\",\"model\":\"m", "\":[1,2],\"a", "\\\\\"", "\\\\\\\\\"",
    };
    static const char  *forms[] = {
        "{\"k\":\"%s%s%s\"}",
        "{\"%s%s%s\":1}",
        "{\"a\":[\"%s%s%s\",\"z\"],\"model\":\"m\"}",
        "{\"model\":\"%s%s%s\",\"stream\":true}",
    };
    static const char  *scalars[] = {
        "0", "-12", "123456789012345678", "1.25", "-0.5e-7", "1E+300",
        "true", "false", "null", "01", "1.", "1e", "-", "tru", "1x", "1 2",
        "12345678901234567", "1234567890123456", "0.123456789012345",
        "1.2345678901234e5", "1e123456789012345",
    };

    char             pad[160], doc[512];
    size_t           i, j, at, len;
    unsigned         seed;

    if (!have_avx2()) {
        return;
    }

    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    seed = 1;
    diff_cases = 0;
    diff_bad = 0;

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        for (j = 0; j < sizeof(pieces) / sizeof(pieces[0]); j++) {
            for (at = 0; at < 140; at++) {
                len = (size_t) snprintf(doc, sizeof(doc), forms[i],
                                        pad + sizeof(pad) - 1 - at, pieces[j],
                                        "tail");
                diff(doc, len);
                diff(doc, len - 1);
                diff(doc, len - 2);
            }
        }
    }

    for (j = 0; j < sizeof(scalars) / sizeof(scalars[0]); j++) {
        for (at = 0; at < 140; at++) {
            len = (size_t) snprintf(doc, sizeof(doc),
                                    "%s{\"a\":[%s],\"max_tokens\":%s}  ",
                                    pad + sizeof(pad) - 1 - at, scalars[j],
                                    scalars[j]);
            diff_variants(doc, len, &seed, 2);
        }
    }

    CHECK(diff_bad == 0);
}


/* Random runs of number bytes, where the 16-byte number reader may err. */
UNIT_TEST(test_diff_numbers)
{
    static const char  alpha[] = "0123456789000111.eE+-x ";

    int       k, n;
    char      num[32], doc[128];
    size_t    len, cut;
    unsigned  seed;

    if (!have_avx2()) {
        return;
    }

    seed = 99;
    diff_cases = 0;
    diff_valid = 0;
    diff_bad = 0;

    for (k = 0; k < 20000; k++) {
        seed = seed * 1103515245 + 12345;
        n = 1 + (seed >> 16) % 24;

        for (len = 0; len < (size_t) n; len++) {
            seed = seed * 1103515245 + 12345;
            num[len] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
        }

        num[n] = '\0';
        seed = seed * 1103515245 + 12345;

        len = (size_t) snprintf(doc, sizeof(doc), "%*s{\"a\":[%s]%*s}",
                                (int) ((seed >> 16) % 70), "", num,
                                (int) ((seed >> 8) % 20), "");

        for (cut = len; cut + 22 > len && cut > 0; cut--) {
            diff(doc, cut);
        }
    }

    CHECK(diff_bad == 0);
    CHECK(diff_valid > 1000);
}


/* A Claude-Code-like body when the benchmark ones are not there. */

static char *
make_body(size_t *len)
{
    int     i;
    char   *p;
    size_t  n, size;

    size = 96 * 1024;
    p = malloc(size);
    n = (size_t) snprintf(p, size, "{\"model\":\"m\",\"max_tokens\":8192,"
                          "\"stream\":true,\"tools\":[");

    for (i = 0; i < 120; i++) {
        n += (size_t) snprintf(p + n, size - n, "%s{\"name\":\"t%d\","
                               "\"description\":\"Reads a file.\\nUse it "
                               "\\\"often\\\" \\\\ \\u00e9 %d\",\"parameters\":"
                               "{\"type\":\"object\",\"required\":[\"a\"],"
                               "\"n\":[1,-2.5e3,true,null]}}", i ? "," : "",
                               i, i * 7919);
    }

    n += (size_t) snprintf(p + n, size - n, "],\"messages\":[{\"role\":"
                           "\"user\",\"content\":\"");

    for (i = 0; i < 600; i++) {
        n += (size_t) snprintf(p + n, size - n, "line %d of a tool result "
                               "with \\\"quotes\\\" and a tab\\t here\\n", i);
    }

    n += (size_t) snprintf(p + n, size - n, "\"}]}\n");

    *len = n;

    return p;
}


static void
diff_body(const char *body, size_t len)
{
    char      *copy;
    size_t     cut, at;
    unsigned   seed;

    copy = malloc(len);
    memcpy(copy, body, len);

    diff_at(body, len, copy);

    /*
     * Every prefix: the end of the input in every state, at every offset.
     * The bytes after it are made unaddressable (ASan), as a copy of the
     * prefix alone would be, without copying it each time.
     */
    for (cut = 0; cut < len; cut++) {
        ASAN_POISON_MEMORY_REGION(copy + cut, len - cut);
        diff_at(body, cut, copy);
        ASAN_UNPOISON_MEMORY_REGION(copy + cut, len - cut);
    }

    seed = (unsigned) len;

    for (at = 0; at < 2000; at++) {
        seed = seed * 1103515245 + 12345;
        cut = (seed >> 4) % len;
        copy[cut] ^= (char) (1 + (seed >> 24) % 0x7f);
        diff_at(copy, len, copy);
        copy[cut] = body[cut];
    }

    free(copy);
}


UNIT_TEST(test_diff_bench_bodies)
{
    DIR            *d;
    char            path[512], *body;
    size_t          n, len;
    int             files;
    struct dirent  *e;
    static const char  *dir = "../../build/bench/bodies";

    if (!have_avx2()) {
        return;
    }

    diff_cases = 0;
    diff_valid = 0;
    diff_bad = 0;
    files = 0;

    d = opendir(dir);

    while (d != NULL && (e = readdir(d)) != NULL) {
        n = strlen(e->d_name);

        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0) {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        body = unit_read_file(path, &len);

        if (body == NULL) {
            continue;
        }

        diff_body(body, len);
        free(body);
        files++;
    }

    if (d != NULL) {
        closedir(d);
    }

    body = make_body(&len);
    diff_body(body, len);
    free(body);

    CHECK(diff_bad == 0);
    CHECK(diff_valid >= (unsigned long) files + 1);
}


/*
 * Names as parsers read them: escapes decoded; request members named twice
 * or in another letter case (Go's folding included) counted as ambiguous.
 */
UNIT_TEST(test_member_names)
{
    static const struct {
        const char  *doc;
        size_t       ambiguous;
        int          model;           /* "model" found */
    } cases[] = {
        { "{\"model\":\"a\"}", 0, 1 },
        { "{\"\\u006dodel\":\"a\"}", 0, 1 },
        { "{\"mod\\u0065l\":\"a\"}", 0, 1 },
        { "{\"\\u006D\\u006F\\u0044\\u0065\\u006c\":\"a\"}", 1, 0 },
        { "{\"model\":\"a\",\"model\":\"b\"}", 1, 1 },
        { "{\"model\":\"a\",\"\\u006dodel\":\"b\"}", 1, 1 },
        { "{\"model\":\"a\",\"Model\":\"b\"}", 1, 1 },
        { "{\"MODEL\":\"a\"}", 1, 0 },
        { "{\"model\":\"a\",\"Stream\":true}", 1, 1 },
        { "{\"model\":\"a\",\"\xc5\xbftream\":true}", 1, 1 },
        { "{\"model\":\"a\",\"\\u017ftream\":true}", 1, 1 },
        { "{\"model\":\"a\",\"\\u017Ftream_option\\u017f\":{}}", 1, 1 },
        { "{\"model\":\"a\",\"max_to\xe2\x84\xaa" "ens\":1}", 1, 1 },
        { "{\"model\":\"a\",\"max_to\\u212aens\":1}", 1, 1 },
        { "{\"model\":\"a\",\"MAX_TOKENS\":1,\"Stream\":1}", 2, 1 },
        /* the Responses API's limit */
        { "{\"model\":\"a\",\"max_output_tokens\":1,"
          "\"max_output_tokens\":2}", 1, 1 },
        { "{\"model\":\"a\",\"Max_Output_Tokens\":1}", 1, 1 },
        { "{\"model\":\"a\",\"max_output_to\u212aens\":1}", 1, 1 },
        { "{\"model\":\"a\",\"max_output_token\":1}", 0, 1 },
        /* alike, not the same: ordinary members */
        { "{\"model\":\"a\",\"models\":1,\"mode\":1,\"modal\":1}", 0, 1 },
        { "{\"model\":\"a\",\"streams\":1,\"max-tokens\":1}", 0, 1 },
        { "{\"model\":\"a\",\"\\u00e9model\":1,\"m\\u00f8del\":1}", 0, 1 },
        { "{\"model\":\"a\",\"s\xc5\xbf\":1,\"\\u212a\":1}", 0, 1 },
        /* nested names are not the request's */
        { "{\"model\":\"a\",\"x\":{\"model\":1,\"Model\":2}}", 0, 1 },
        /* responses' names: duplicates there are not counted */
        { "{\"usage\":{},\"usage\":{},\"Usage\":1}", 0, 0 },
    };

    size_t           i;
    llm_json_scan_t  sc;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(scan(cases[i].doc, &sc) == 0);
        CHECK(sc.ambiguous == cases[i].ambiguous);
        CHECK(sc.model.present == cases[i].model);

        if (sc.ambiguous != cases[i].ambiguous
            || sc.model.present != cases[i].model)
        {
            fprintf(stderr, "  case %zu: %s: ambiguous %zu\n", i,
                    cases[i].doc, sc.ambiguous);
        }
    }

    /* an escaped "model" spans its value as the plain one does */
    CHECK(scan("{\"\\u006dodel\" : \"abc\"}", &sc) == 0);
    CHECK(sc.model.key_start == 1);
    CHECK(sc.model.value_start == 16);
    CHECK(sc.model.value_end == 21);
}


/* Decoding text that was never validated stays in bounds and refuses. */
UNIT_TEST(test_string_value_unvalidated)
{
    static const char  *bad[] = {
        "\"ab\\u12\"", "\"\\u00zz\"", "\"\\u\"", "\"\\ud83d\\u12\"",
    };

    char    buf[64];
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(llm_json_string_value(bad[i], 0, strlen(bad[i]), buf,
                                    sizeof(buf))
              == -1);
    }

    CHECK(llm_json_string_value("\"\\u00e9\"", 0, 8, buf, sizeof(buf)) == 2);
}


/* The scanning tests, against each implementation in turn. */

static void
scan_tests(void)
{
    test_valid_documents();
    test_invalid_documents();
    test_deep_nesting_is_bounded();
    test_member_spans();
    test_string_decoding();
    test_long_strings();
    test_strings_against_reference();
    test_member_names();
}


UNIT_TEST(test_scan_generic)
{
    scan_impl = llm_json_scan_generic;
    scan_tests();
    scan_impl = llm_json_scan;
}


UNIT_TEST(test_scan_avx2)
{
#ifdef LLM_JSON_SCAN_AVX2
    if (!llm_json_scan_avx2_usable()) {
        fprintf(stderr, "test_json_scan: no AVX2 here, its tests skipped\n");
        return;
    }

    scan_impl = llm_json_scan_avx2;
    scan_tests();
    scan_impl = llm_json_scan;
#endif
}


UNIT_TEST(test_scan_dispatch)
{
    scan_impl = llm_json_scan;
    scan_tests();
}


UNIT_MAIN(test_scan_generic, test_scan_avx2, test_scan_dispatch, test_quote,
          test_string_value_unvalidated,
          test_locate_matches_scan, test_locate_usage_block_edges,
          test_locate_garbage_stays_in_bounds,
          test_diff_generated, test_diff_block_edges, test_diff_numbers,
          test_diff_bench_bodies)
