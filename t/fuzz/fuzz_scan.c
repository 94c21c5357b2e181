/*
 * libFuzzer target: the request scanner's two implementations, byte by
 * byte and AVX2, must agree on every input: the same return value and the
 * same llm_json_scan_t, error_offset included.  llm_json_locate_usage()
 * must find their usage member in every valid document.  Each runs on an
 * exactly sized heap copy (ASan sees a read past the end), the input as it
 * is and again after 1 to 63 spaces, so that it meets the 64-byte blocks
 * at another offset.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_json_scan_int.h"


static void
fuzz_member(const char *name, const llm_json_member_t *a,
    const llm_json_member_t *b)
{
    if (a->present != b->present || a->key_start != b->key_start
        || a->value_start != b->value_start || a->value_end != b->value_end)
    {
        fprintf(stderr, "%s: %d %zu %zu %zu / %d %zu %zu %zu\n", name,
                a->present, a->key_start, a->value_start, a->value_end,
                b->present, b->key_start, b->value_start, b->value_end);
        abort();
    }
}


static void
fuzz_compare(const char *doc, size_t len)
{
#ifdef LLM_JSON_SCAN_AVX2
    int              ra, rb;
    char            *copy;
    llm_json_scan_t  a, b, l;

    copy = malloc(len ? len : 1);
    if (copy == NULL) {
        return;
    }

    memcpy(copy, doc, len);

    ra = llm_json_scan_generic(copy, len, &a);
    rb = llm_json_scan_avx2(copy, len, &b);

    /* reading usage backwards: what the scanner found, on valid JSON */
    (void) llm_json_locate_usage(copy, len, &l);

    free(copy);

    if (ra == 0) {
        fuzz_member("locate usage", &a.usage, &l.usage);

        if (!a.usage.present) {
            fuzz_member("locate message", &a.message, &l.message);
        }

    } else if ((l.usage.present && l.usage.value_end > len)
               || (l.message.present && l.message.value_end > len))
    {
        fprintf(stderr, "locate: span past the end\n");
        abort();
    }

    if (ra != rb || a.object_start != b.object_start
        || a.object_end != b.object_end || a.members != b.members
        || a.error_offset != b.error_offset)
    {
        fprintf(stderr, "scan: %d %zu %zu %zu %zu / %d %zu %zu %zu %zu\n",
                ra, a.object_start, a.object_end, a.members, a.error_offset,
                rb, b.object_start, b.object_end, b.members, b.error_offset);
        abort();
    }

    fuzz_member("model", &a.model, &b.model);
    fuzz_member("stream", &a.stream, &b.stream);
    fuzz_member("stream_options", &a.stream_options, &b.stream_options);
    fuzz_member("max_tokens", &a.max_tokens, &b.max_tokens);
    fuzz_member("usage", &a.usage, &b.usage);
    fuzz_member("message", &a.message, &b.message);
#else
    (void) doc;
    (void) len;
#endif
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    *shifted;
    size_t   k;

#ifdef LLM_JSON_SCAN_AVX2
    if (!llm_json_scan_avx2_usable()) {
        return 0;
    }
#endif

    fuzz_compare((const char *) data, size);

    if (size == 0) {
        return 0;
    }

    k = 1 + data[0] % 63;
    shifted = malloc(k + size);
    if (shifted == NULL) {
        return 0;
    }

    memset(shifted, ' ', k);
    memcpy(shifted + k, data, size);
    fuzz_compare(shifted, k + size);
    free(shifted);

    return 0;
}
