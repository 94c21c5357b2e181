/*
 * Vertex AI's :predict for Google's embedding models (text-embedding-*,
 * text-multilingual-embedding-*, textembedding-gecko*, gemini-embedding-*)
 * as a row of llm_xlate_embed_out.c, so an OpenAI client embeds with a
 * vertex_ai/ deployment.  The model is in the path, not the body.
 *
 *   texts [..] -> {"instances":[{"content":t, "task_type"?, "title"?}, ..],
 *                  "parameters":{"outputDimensionality"?, "autoTruncate"?}}
 *   {"predictions":[{"embeddings":{"values":[..], "statistics":
 *    {"token_count":N, "truncated":false}}}, ..]}
 *       -> the vectors, the sum of the token counts
 *
 * task_type, title and auto_truncate are Vertex's (LiteLLM passes them
 * through); OpenAI's dimensions is outputDimensionality.
 */

#include "llm_xlate_int.h"


json_t *
llm_xl_embed_body_vertex(const json_t *req, json_t *texts, const char *model)
{
    size_t   i;
    json_t  *res, *instances, *one, *params, *t;

    (void) model;

    instances = json_array();

    json_array_foreach(texts, i, t) {
        one = json_pack("{s:O}", "content", t);
        llm_xl_copy(one, "task_type", req, "task_type");
        llm_xl_copy(one, "title", req, "title");
        json_array_append_new(instances, one);
    }

    params = json_object();
    llm_xl_copy(params, "outputDimensionality", req, "dimensions");
    llm_xl_copy(params, "autoTruncate", req, "auto_truncate");

    res = json_pack("{s:o}", "instances", instances);

    if (json_object_size(params)) {
        json_object_set(res, "parameters", params);
    }

    json_decref(params);
    return res;
}


json_t *
llm_xl_embed_vectors_vertex(const json_t *resp, long long *tokens,
    int *counted)
{
    size_t   i;
    json_t  *preds, *p, *emb, *n, *vecs;

    preds = json_object_get(resp, "predictions");
    if (!json_is_array(preds)) {
        return NULL;
    }

    vecs = json_array();
    *tokens = 0;
    *counted = 0;

    json_array_foreach(preds, i, p) {
        emb = json_object_get(p, "embeddings");
        n = json_object_get(json_object_get(emb, "statistics"),
                            "token_count");

        if (json_is_number(n)) {
            *tokens += (long long) json_number_value(n);
            *counted = 1;
        }

        /* not an array: refused by the caller, as a broken answer */
        json_array_append(vecs, json_object_get(emb, "values")
                                ? json_object_get(emb, "values")
                                : json_null());
    }

    return vecs;
}
