/*
 * libFuzzer target: non-streaming response translation.  Byte 0 picks the
 * provider and client formats; the rest is the body.  Output must be JSON
 * (a \u0000 escape included: translation passes it through, as RFC 8259
 * allows).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llm_xlate.h"
#include "llm_json_scan.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llm_xlate_opts_t  o = { 0 };
    llm_buf_t         out = LLM_BUF_INIT;
    llm_usage_t       u = { 0 };
    llm_api_t         from, to;
    json_t           *j;

    if (size < 1) {
        return 0;
    }
    from = (llm_api_t) (data[0] % 3);
    to = (llm_api_t) ((data[0] / 3) % 4);
    o.client_model = "fuzz-client";
    o.client_request = (const char *) data + 1;  /* exercises name restore */
    o.client_request_len = size - 1;
    if (llm_xlate_response(from, to, (const char *) data + 1, size - 1, &o,
                           &out, &u) == 0)
    {
        j = json_loadb(out.data, out.len, JSON_ALLOW_NUL, NULL);
        if (j == NULL) {
            abort();
        }
        json_decref(j);
    }
    llm_buf_free(&out);
    (void) llm_usage_from_json(from, (const char *) data + 1, size - 1, &u);

    /* the request scanner too: any bytes, exactly sized (ASan sees overreads) */
    {
        llm_json_scan_t  sc;
        char            *copy = malloc(size - 1 ? size - 1 : 1);

        if (copy != NULL) {
            memcpy(copy, data + 1, size - 1);
            (void) llm_json_scan(copy, size - 1, &sc);
            free(copy);
        }
    }
    return 0;
}
