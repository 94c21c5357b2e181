/*
 * OpenAI /v1/embeddings <-> Cohere /v2/embed, so an OpenAI client embeds
 * with a Cohere deployment.
 *
 *   {"model", "input":str|[str], "dimensions"?, "encoding_format"?,
 *    "input_type"?}
 *       -> {"model":M, "texts":[..], "input_type":"search_document",
 *           "embedding_types":["float"], "output_dimension"?}
 *   {"embeddings":{"float":[[..], ..]}, "meta":{"billed_units":
 *    {"input_tokens"}}}
 *       -> {"object":"list", "data":[{"object":"embedding","index",
 *           "embedding"}], "model", "usage":{"prompt_tokens",
 *           "total_tokens"}}
 *
 * input_type is Cohere's (LiteLLM passes it through); OpenAI has none, so
 * the default is the one for stored documents.  Token arrays cannot be
 * sent: Cohere embeds text.  The OpenAI SDKs ask for base64 by default:
 * the floats are then written as base64 of little-endian float32s.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

#define LLM_CO_EMBED_DUMP_FLAGS  (JSON_COMPACT | JSON_REAL_PRECISION(17))


int
llm_xlate_embed_request_cohere(const char *in, size_t len, const char *model,
    llm_buf_t *out, char *err, size_t errlen)
{
    size_t        i;
    json_t       *body, *input, *texts, *v, *res;
    llm_xl_ctx_t  c;
    int           rc = -1;

    memset(&c, 0, sizeof(c));
    c.err = err;
    c.errlen = errlen;

    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return llm_xl_error(&c, "request body must be a JSON object");
    }

    input = json_object_get(body, "input");
    texts = json_array();

    if (json_is_string(input)) {
        json_array_append(texts, input);

    } else if (json_is_array(input)) {
        json_array_foreach(input, i, v) {
            if (!json_is_string(v)) {
                llm_xl_error(&c, "input[%zu]: Cohere embeds text, not "
                             "token arrays", i);
                goto done;
            }
            json_array_append(texts, v);
        }
    }

    if (json_array_size(texts) == 0) {
        llm_xl_error(&c, "input is required: a string or an array of "
                     "strings");
        goto done;
    }

    res = json_pack("{s:s,s:O,s:s,s:[s]}", "model", model ? model : "",
                    "texts", texts, "input_type", "search_document",
                    "embedding_types", "float");
    if (json_is_string(json_object_get(body, "input_type"))) {
        llm_xl_copy(res, "input_type", body, "input_type");
    }
    llm_xl_copy(res, "output_dimension", body, "dimensions");

    rc = llm_xl_dump(res, out) == 0 ? 0 : llm_xl_error(&c, "out of memory");
    json_decref(res);

done:
    json_decref(texts);
    json_decref(body);
    return rc;
}


/* one vector as base64 of little-endian float32s */
static json_t *
llm_co_base64(const json_t *vec)
{
    size_t          i, n = json_array_size(vec);
    unsigned char  *raw, *b64;
    float           f;
    uint32_t        w;
    json_t         *s;

    raw = malloc(n * 4 + 1);
    b64 = malloc(((n * 4 + 2) / 3) * 4 + 1);
    if (raw == NULL || b64 == NULL) {
        free(raw);
        free(b64);
        return NULL;
    }

    for (i = 0; i < n; i++) {
        f = (float) json_number_value(json_array_get(vec, i));
        memcpy(&w, &f, 4);
        raw[i * 4] = (unsigned char) w;
        raw[i * 4 + 1] = (unsigned char) (w >> 8);
        raw[i * 4 + 2] = (unsigned char) (w >> 16);
        raw[i * 4 + 3] = (unsigned char) (w >> 24);
    }

    EVP_EncodeBlock(b64, raw, (int) (n * 4));
    s = json_string((char *) b64);
    free(raw);
    free(b64);
    return s;
}


int
llm_xlate_embed_response_cohere(const char *in, size_t len,
    const char *client_request, size_t client_len, const char *client_model,
    llm_buf_t *out, llm_usage_t *usage)
{
    size_t       i;
    int          rc = -1, b64 = 0;
    json_t      *body, *req, *vecs, *data, *vec, *res, *bu, *e;
    const char  *fmt;
    long long    tokens;

    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, NULL);
    vecs = json_object_get(json_object_get(body, "embeddings"), "float");
    if (!json_is_array(vecs)) {
        json_decref(body);
        return -1;
    }

    if (client_request) {
        req = llm_json_load(client_request, client_len, LLM_XL_LOAD_FLAGS,
                            NULL);
        fmt = llm_xl_str(req, "encoding_format");
        b64 = fmt && strcmp(fmt, "base64") == 0;
        json_decref(req);
    }

    data = json_array();
    json_array_foreach(vecs, i, vec) {
        e = b64 ? llm_co_base64(vec) : json_incref(vec);
        if (e == NULL) {
            goto done;
        }
        json_array_append_new(data, json_pack("{s:s,s:i,s:o}", "object",
                              "embedding", "index", (int) i, "embedding", e));
    }

    bu = json_object_get(json_object_get(body, "meta"), "billed_units");
    tokens = (long long) json_number_value(json_object_get(bu,
                                                           "input_tokens"));

    res = json_pack("{s:s,s:O,s:s,s:{s:I,s:I}}", "object", "list",
                    "data", data, "model", client_model ? client_model : "",
                    "usage", "prompt_tokens", (json_int_t) tokens,
                    "total_tokens", (json_int_t) tokens);

    if (res && llm_json_dump_buf(res, LLM_CO_EMBED_DUMP_FLAGS, out) == 0) {
        rc = 0;
    }
    json_decref(res);

    if (rc == 0 && usage) {
        memset(usage, 0, sizeof(*usage));
        usage->prompt_tokens = tokens;
        usage->total_tokens = tokens;
        usage->present = json_is_number(json_object_get(bu, "input_tokens"));
    }

done:
    json_decref(data);
    json_decref(body);
    return rc;
}
