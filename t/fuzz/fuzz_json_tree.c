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
#include "../unit/json_same.h"


static void
check_dump(const json_t *j, size_t flags)
{
    int        rj, rb, rc;
    llm_buf_t  jb = LLM_BUF_INIT, bb = LLM_BUF_INIT, cb = LLM_BUF_INIT;

    rj = json_dump_callback(j, json_collect, &jb, flags);
    rb = llm_json_dump_buf(j, flags, &bb);
    rc = llm_json_dump(j, flags, json_collect, &cb);

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
        || (a != NULL && !json_same(a, b))
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
