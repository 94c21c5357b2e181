/*
 * OpenAI /v1/embeddings -> a provider's own embedding API and back, for
 * the wire formats that have one (Cohere's /v2/embed, Vertex AI's
 * :predict).  What they share is here: the texts of the request, and the
 * OpenAI list built from the provider's vectors, as floats or, when the
 * client asked for encoding_format "base64" (the OpenAI SDKs' default),
 * as base64 of little-endian float32s.  A provider is a row: how its body
 * is written from the texts (llm_xlate_embed_cohere.c,
 * llm_xlate_embed_vertex.c) and where its vectors and token count are.
 *
 *   {"model", "input":str|[str], "dimensions"?, "encoding_format"?, ..}
 *       -> the row's body
 *   the row's answer
 *       -> {"object":"list", "data":[{"object":"embedding","index",
 *           "embedding"}], "model", "usage":{"prompt_tokens",
 *           "total_tokens"}}
 *
 * Token arrays cannot be sent: these providers embed text.  Vectors are
 * printed with 17 significant digits: each number reads back as the very
 * double the provider sent.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

#define LLM_EMBED_OUT_DUMP_FLAGS  (JSON_COMPACT | JSON_REAL_PRECISION(17))


typedef struct {
    llm_wire_t    wire;
    const char   *name;             /* the provider, in messages */
    llm_xl_embed_body_fn     body;
    llm_xl_embed_vectors_fn  vectors;
} llm_xl_embed_wire_t;


static const llm_xl_embed_wire_t  llm_xl_embed_wires[] = {
    { LLM_WIRE_COHERE_V2, "Cohere", llm_xl_embed_body_cohere,
      llm_xl_embed_vectors_cohere },
    { LLM_WIRE_VERTEX, "Vertex AI", llm_xl_embed_body_vertex,
      llm_xl_embed_vectors_vertex },
};


static const llm_xl_embed_wire_t *
llm_xl_embed_wire(llm_wire_t wire)
{
    size_t  i;

    for (i = 0; i < sizeof(llm_xl_embed_wires) / sizeof(llm_xl_embed_wires[0]);
         i++)
    {
        if (llm_xl_embed_wires[i].wire == wire) {
            return &llm_xl_embed_wires[i];
        }
    }

    return NULL;
}


int
llm_xlate_embed_wire(llm_wire_t wire)
{
    return llm_xl_embed_wire(wire) != NULL;
}


int
llm_xlate_embed_request_to(llm_wire_t wire, const char *in, size_t len,
    const char *model, llm_buf_t *out, char *err, size_t errlen)
{
    size_t                      i;
    json_t                     *body, *input, *texts, *v, *res;
    llm_xl_ctx_t                c;
    const llm_xl_embed_wire_t  *w;
    int                         rc = -1;

    memset(&c, 0, sizeof(c));
    c.err = err;
    c.errlen = errlen;

    w = llm_xl_embed_wire(wire);
    if (w == NULL) {
        return llm_xl_error(&c, "this provider has no embeddings API");
    }

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
                llm_xl_error(&c, "input[%zu]: %s embeds text, not token "
                             "arrays", i, w->name);
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

    v = json_object_get(body, "dimensions");
    if (v != NULL && !json_is_null(v)
        && (!json_is_integer(v) || json_integer_value(v) < 1))
    {
        llm_xl_error(&c, "dimensions must be a positive integer");
        goto done;
    }

    res = w->body(body, texts, model ? model : "");

    rc = llm_xl_dump(res, out) == 0 ? 0 : llm_xl_error(&c, "out of memory");
    json_decref(res);

done:
    json_decref(texts);
    json_decref(body);
    return rc;
}


/* one vector as base64 of little-endian float32s */
static json_t *
llm_xl_embed_base64(const json_t *vec)
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
llm_xlate_embed_response_from(llm_wire_t wire, const char *in, size_t len,
    const char *client_request, size_t client_len, const char *client_model,
    llm_buf_t *out, llm_usage_t *usage)
{
    size_t                      i;
    int                         rc = -1, b64 = 0, counted = 0;
    json_t                     *body, *req, *vecs, *data, *vec, *res, *e;
    const char                 *fmt;
    long long                   tokens = 0;
    const llm_xl_embed_wire_t  *w;

    w = llm_xl_embed_wire(wire);
    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, NULL);
    vecs = (w && body) ? w->vectors(body, &tokens, &counted) : NULL;

    if (vecs == NULL) {
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
        if (!json_is_array(vec)) {
            goto done;
        }
        e = b64 ? llm_xl_embed_base64(vec) : json_incref(vec);
        if (e == NULL) {
            goto done;
        }
        json_array_append_new(data, json_pack("{s:s,s:i,s:o}", "object",
                              "embedding", "index", (int) i, "embedding", e));
    }

    res = json_pack("{s:s,s:O,s:s,s:{s:I,s:I}}", "object", "list",
                    "data", data, "model", client_model ? client_model : "",
                    "usage", "prompt_tokens", (json_int_t) tokens,
                    "total_tokens", (json_int_t) tokens);

    if (res && llm_json_dump_buf(res, LLM_EMBED_OUT_DUMP_FLAGS, out) == 0) {
        rc = 0;
    }
    json_decref(res);

    if (rc == 0 && usage) {
        memset(usage, 0, sizeof(*usage));
        usage->prompt_tokens = tokens;
        usage->total_tokens = tokens;
        usage->present = counted;
    }

done:
    json_decref(data);
    json_decref(vecs);
    json_decref(body);
    return rc;
}
