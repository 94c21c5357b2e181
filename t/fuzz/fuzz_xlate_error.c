/*
 * libFuzzer target: provider error body -> client error body.  Byte 0
 * picks the formats, bytes 1-2 the status; the output must always be a
 * JSON object, whatever the provider sent.
 */

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "llm_xlate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llm_buf_t  out = LLM_BUF_INIT;
    json_t    *j;
    int        status;

    if (size < 3) {
        return 0;
    }
    status = 400 + (data[1] << 8 | data[2]) % 200;
    llm_xlate_error((llm_api_t) (data[0] % 3), (llm_api_t) ((data[0] / 3) % 4),
                    status, (const char *) data + 3, size - 3, &out);
    j = json_loadb(out.data, out.len, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(j)) {
        abort();
    }
    json_decref(j);
    llm_buf_free(&out);
    return 0;
}
