/* The request-body scanner: validation, member spans, string decoding. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "llm_json_scan.h"


static int
scan(const char *s, llm_json_scan_t *out)
{
    return llm_json_scan(s, strlen(s), out);
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

    CHECK(llm_json_scan(s, strlen(s), &sc) == -1);
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
    CHECK(!sc.stream_options.present);
    CHECK(s[sc.object_end] == '}');
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


/* long strings are skipped 16 bytes at a time: every position matters */
UNIT_TEST(test_long_strings)
{
    char             doc[128];
    size_t           at, n;
    llm_json_scan_t  sc;

    for (at = 0; at < 40; at++) {
        n = (size_t) snprintf(doc, sizeof(doc), "{\"model\":\"%.*s%s%.*s\"}",
                              (int) at, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                              "\\\"", 40 - (int) at,
                              "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
        CHECK(llm_json_scan(doc, n, &sc) == 0);
        CHECK(sc.model.value_end == n - 1);

        /* a raw control character anywhere in a string is invalid */
        doc[10 + at] = '\t';
        CHECK(llm_json_scan(doc, n, &sc) == -1);
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
    };
    size_t           i;
    llm_json_scan_t  sc, lc;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        CHECK(scan(docs[i], &sc) == 0);
        CHECK(llm_json_locate(docs[i], strlen(docs[i]), &lc) == 0);
        CHECK(lc.members == sc.members);
        CHECK(same_member(&lc.model, &sc.model));
        CHECK(same_member(&lc.stream, &sc.stream));
        CHECK(same_member(&lc.max_tokens, &sc.max_tokens));
        CHECK(same_member(&lc.usage, &sc.usage));
        CHECK(same_member(&lc.message, &sc.message));
    }
}


/* on anything else it ends, and every span stays inside the input */
UNIT_TEST(test_locate_garbage_stays_in_bounds)
{
    static const char  *docs[] = {
        "", "[]", "{", "{\"usage", "{\"usage\":", "{\"usage\":{\"a\":1",
        "{\"usage\":\"\\", "{\"a\":1 \"usage\":{}}", "{\"usage\":{]]]]}",
        "{\"model\":}", "{,,,}", "{\"a\"\"b\":1}",
    };
    size_t             i, len;
    llm_json_scan_t    lc;
    llm_json_member_t *m[] = { &lc.model, &lc.stream, &lc.usage, &lc.message };
    size_t             j;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        len = strlen(docs[i]);
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

    for (pad = 0; pad < 34; pad++) {
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
            bad += ((llm_json_scan(doc, len, &sc) == 0) != ref_valid(doc, len));
        }
    }

    CHECK(cases == 34 * 300);
    CHECK(bad == 0);
}


UNIT_MAIN(test_valid_documents, test_invalid_documents,
          test_deep_nesting_is_bounded, test_member_spans,
          test_string_decoding, test_quote, test_long_strings,
          test_locate_matches_scan, test_locate_garbage_stays_in_bounds,
          test_strings_against_reference)
