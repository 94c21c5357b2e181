/*
 * libFuzzer target: llm_json_load() and llm_json_dump() against jansson.
 * Byte 0 picks the load flags (bits 0-2: JSON_ALLOW_NUL, JSON_DECODE_ANY,
 * JSON_REJECT_DUPLICATES) and the real precision of one extra dump (bits
 * 3-7); the rest is the document.  Both loads must give the same tree (same
 * types, key order, bytes and real bits) and the same json_error_t; a tree
 * must dump to the same bytes both ways.  Any difference aborts.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"


static int
same(const json_t *a, const json_t *b)
{
    double   x, y;
    size_t   i;
    void    *ia, *ib;

    if (json_typeof(a) != json_typeof(b)) {
        return 0;
    }

    switch (json_typeof(a)) {

    case JSON_OBJECT:
        ia = json_object_iter((json_t *) a);
        ib = json_object_iter((json_t *) b);
        while (ia && ib) {
            if (json_object_iter_key_len(ia) != json_object_iter_key_len(ib)
                || memcmp(json_object_iter_key(ia), json_object_iter_key(ib),
                          json_object_iter_key_len(ia)) != 0
                || !same(json_object_iter_value(ia),
                         json_object_iter_value(ib)))
            {
                return 0;
            }
            ia = json_object_iter_next((json_t *) a, ia);
            ib = json_object_iter_next((json_t *) b, ib);
        }
        return ia == NULL && ib == NULL;

    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) {
            return 0;
        }
        for (i = 0; i < json_array_size(a); i++) {
            if (!same(json_array_get(a, i), json_array_get(b, i))) {
                return 0;
            }
        }
        return 1;

    case JSON_STRING:
        return json_string_length(a) == json_string_length(b)
               && memcmp(json_string_value(a), json_string_value(b),
                         json_string_length(a) + 1) == 0;

    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);

    case JSON_REAL:
        x = json_real_value(a);
        y = json_real_value(b);
        return memcmp(&x, &y, sizeof(double)) == 0;

    default:
        return 1;
    }
}


static int
collect(const char *data, size_t len, void *b)
{
    return llm_buf_append(b, data, len);
}


static void
check_dump(const json_t *j, size_t flags)
{
    int        rj, rb, rc;
    llm_buf_t  jb = LLM_BUF_INIT, bb = LLM_BUF_INIT, cb = LLM_BUF_INIT;

    rj = json_dump_callback(j, collect, &jb, flags);
    rb = llm_json_dump_buf(j, flags, &bb);
    rc = llm_json_dump(j, flags, collect, &cb);

    if (rj != rb || rj != rc) {
        abort();
    }

    if (rj == 0
        && (jb.len != bb.len || jb.len != cb.len
            || (jb.len && (memcmp(jb.data, bb.data, jb.len) != 0
                           || memcmp(jb.data, cb.data, jb.len) != 0))))
    {
        abort();
    }

    llm_buf_free(&jb);
    llm_buf_free(&bb);
    llm_buf_free(&cb);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t        flags;
    json_t       *a, *b;
    json_error_t  ea, eb;

    if (size < 1) {
        return 0;
    }

    flags = 0;
    if (data[0] & 1) {
        flags |= JSON_ALLOW_NUL;
    }
    if (data[0] & 2) {
        flags |= JSON_DECODE_ANY;
    }
    if (data[0] & 4) {
        flags |= JSON_REJECT_DUPLICATES;
    }

    memset(&ea, 0x5a, sizeof(ea));
    memset(&eb, 0x5a, sizeof(eb));

    a = json_loadb((const char *) data + 1, size - 1, flags, &ea);
    b = llm_json_load((const char *) data + 1, size - 1, flags, &eb);

    if ((a == NULL) != (b == NULL)
        || (a != NULL && !same(a, b))
        || memcmp(&ea, &eb, sizeof(ea)) != 0)
    {
        abort();
    }

    if (b != NULL) {
        check_dump(b, LLM_XL_DUMP_FLAGS);
        check_dump(b, LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY);
        check_dump(b, JSON_COMPACT | JSON_ENCODE_ANY
                      | JSON_REAL_PRECISION(data[0] >> 3));
    }

    json_decref(a);
    json_decref(b);

    return 0;
}
