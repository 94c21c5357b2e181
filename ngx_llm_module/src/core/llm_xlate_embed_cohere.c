/*
 * Cohere's /v2/embed as a row of llm_xlate_embed_out.c, so an OpenAI
 * client embeds with a Cohere deployment.
 *
 *   texts [..] -> {"model":M, "texts":[..], "input_type":"search_document",
 *                  "embedding_types":["float"], "output_dimension"?}
 *   {"embeddings":{"float":[[..], ..]}, "meta":{"billed_units":
 *    {"input_tokens"}}} -> the vectors, the tokens
 *
 * input_type is Cohere's (LiteLLM passes it through); OpenAI has none, so
 * the default is the one for stored documents.
 */

#include "llm_xlate_int.h"


json_t *
llm_xl_embed_body_cohere(const json_t *req, json_t *texts, const char *model)
{
    json_t  *res;

    res = json_pack("{s:s,s:O,s:s,s:[s]}", "model", model, "texts", texts,
                    "input_type", "search_document", "embedding_types",
                    "float");
    if (json_is_string(json_object_get(req, "input_type"))) {
        llm_xl_copy(res, "input_type", req, "input_type");
    }
    llm_xl_copy(res, "output_dimension", req, "dimensions");

    return res;
}


json_t *
llm_xl_embed_vectors_cohere(const json_t *resp, long long *tokens,
    int *counted)
{
    json_t  *vecs, *n;

    vecs = json_object_get(json_object_get(resp, "embeddings"), "float");
    if (!json_is_array(vecs)) {
        return NULL;
    }

    n = json_object_get(json_object_get(json_object_get(resp, "meta"),
                                        "billed_units"), "input_tokens");
    *tokens = (long long) json_number_value(n);
    *counted = json_is_number(n);

    return json_incref(vecs);
}
