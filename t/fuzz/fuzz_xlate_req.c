/*
 * libFuzzer target: request translation in one direction, fixed at build
 * time (FUZZ_FROM / FUZZ_TO).  A successful translation must be valid JSON;
 * a refusal must say why.  The token estimate runs on the same input.
 */

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "llm_xlate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int        from = -1, to = -1;
    llm_xlate_opts_t  o = { 0 };
    llm_buf_t         out = LLM_BUF_INIT;
    char              err[256];
    json_t           *j;

    if (from < 0) {
        from = llm_api_from_name(FUZZ_FROM);
        to = llm_api_from_name(FUZZ_TO);
    }
    o.model = "fuzz-model";
    o.client_model = "fuzz-client";
    o.drop_params = (int) (size & 1);
    o.stream = (int) ((size >> 1) & 1);
    if (llm_xlate_request(from, to, (const char *) data, size, &o, &out, err,
                          sizeof(err)) == 0)
    {
        j = json_loadb(out.data, out.len, JSON_ALLOW_NUL, NULL);
        if (j == NULL) {
            abort();
        }
        json_decref(j);
    } else if (err[0] == '\0') {
        abort();
    }
    llm_buf_free(&out);
    (void) llm_estimate_tokens(from, (const char *) data, size);
    return 0;
}
