/*
 * Gemini embedContent / batchEmbedContents <-> OpenAI /v1/embeddings, so a
 * Gemini client can embed with any OpenAI-format embedding deployment.
 *
 *   {"content":{"parts":[{"text":..}]}, "outputDimensionality":N,
 *    "taskType":.., "title":..}
 *       -> {"model":M, "input":"<the parts' text>", "dimensions":N}
 *   {"requests":[<the same>, ...]}
 *       -> {"model":M, "input":["..", ..], "dimensions":N}
 *   {"data":[{"index":i,"embedding":[..]}], "usage":{..}}
 *       -> {"embedding":{"values":[..]}}  or  {"embeddings":[{"values"}..]}
 *
 * taskType and title are hints about the use of a vector (OpenAI's models
 * have no such input): they are dropped and named in *dropped.  A part
 * that is not text (an image, a file) would change what is embedded: a
 * 400.  Vectors are printed with 17 significant digits: each number
 * reads back as the very double the provider sent.
 */

#define LLM_EMBED_DUMP_FLAGS  (JSON_COMPACT | JSON_REAL_PRECISION(17))

#include <string.h>

#include "llm_xlate_int.h"
#include "llm_json_tree.h"


static int
llm_embed_note_dropped(llm_buf_t *dropped, const char *name)
{
    if (dropped == NULL
        || (dropped->len && strstr(dropped->data, name) != NULL))
    {
        return 0;
    }

    return llm_buf_appendf(dropped, "%s%s", dropped->len ? "," : "", name);
}


/* one EmbedContentRequest -> its text (appended to input), its dimensions */

static int
llm_embed_one(llm_xl_ctx_t *c, const json_t *req, json_t *input,
    json_int_t *dims, llm_buf_t *dropped)
{
    size_t       i;
    json_t      *parts, *part, *d;
    const char  *text;
    llm_buf_t    joined = LLM_BUF_INIT;
    int          rc;

    if (!json_is_object(req)) {
        return llm_xl_error(c, "each embedding request must be an object");
    }

    parts = json_object_get(json_object_get(req, "content"), "parts");

    if (!json_is_array(parts) || json_array_size(parts) == 0) {
        return llm_xl_error(c, "content.parts is required: the text to "
                            "embed");
    }

    json_array_foreach(parts, i, part) {
        text = llm_xl_str(part, "text");

        if (text == NULL) {
            llm_buf_free(&joined);
            return llm_xl_error(c, "content.parts[%zu]: only text parts can "
                                "be embedded by this model (its provider "
                                "speaks OpenAI's embeddings API)", i);
        }

        if ((i && llm_buf_append(&joined, "\n", 1) != 0)
            || llm_buf_append(&joined, text,
                              json_string_length(json_object_get(part,
                                                                 "text")))
               != 0)
        {
            llm_buf_free(&joined);
            return -1;
        }
    }

    rc = json_array_append_new(input,
                               json_stringn(joined.data ? joined.data : "",
                                            joined.len));
    llm_buf_free(&joined);

    if (rc != 0) {
        return -1;
    }

    d = json_object_get(req, "outputDimensionality");

    if (d != NULL && !json_is_null(d)) {
        if (!json_is_integer(d) || json_integer_value(d) < 1) {
            return llm_xl_error(c, "outputDimensionality must be a positive "
                                "integer");
        }

        if (*dims && *dims != json_integer_value(d)) {
            return llm_xl_error(c, "every request of a batch must ask for "
                                "the same outputDimensionality");
        }

        *dims = json_integer_value(d);
    }

    if ((json_object_get(req, "taskType") != NULL
         && llm_embed_note_dropped(dropped, "task_type") != 0)
        || (json_object_get(req, "title") != NULL
            && llm_embed_note_dropped(dropped, "title") != 0))
    {
        return -1;
    }

    return 0;
}


int
llm_xlate_embed_request(const char *in, size_t len, int batch,
    const char *model, llm_buf_t *out, llm_buf_t *dropped, char *err,
    size_t errlen)
{
    int           rc;
    size_t        i;
    json_t       *body, *reqs, *req, *input, *o;
    json_int_t    dims;
    json_error_t  jerr;
    llm_xl_ctx_t  c;

    memset(&c, 0, sizeof(c));
    c.from = LLM_API_GEMINI;
    c.to = LLM_API_OPENAI;
    c.err = err;
    c.errlen = errlen;

    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, &jerr);

    if (!json_is_object(body)) {
        json_decref(body);
        return llm_xl_error(&c, "the body must be a JSON object");
    }

    input = json_array();
    dims = 0;
    rc = input ? 0 : -1;

    if (rc == 0 && batch) {
        reqs = json_object_get(body, "requests");

        if (!json_is_array(reqs) || json_array_size(reqs) == 0) {
            rc = llm_xl_error(&c, "requests is required: a list of "
                              "embedding requests");
        }

        json_array_foreach(reqs, i, req) {
            if (rc != 0) {
                break;
            }

            rc = llm_embed_one(&c, req, input, &dims, dropped);
        }

    } else if (rc == 0) {
        rc = llm_embed_one(&c, body, input, &dims, dropped);
    }

    json_decref(body);

    if (rc != 0) {
        json_decref(input);
        return -1;
    }

    o = json_object();

    if (o == NULL) {
        json_decref(input);
        return -1;
    }

    json_object_set_new(o, "model", json_string(model));
    json_object_set_new(o, "input",
                        batch ? input : json_incref(json_array_get(input, 0)));

    if (!batch) {
        json_decref(input);
    }

    if (dims) {
        json_object_set_new(o, "dimensions", json_integer(dims));
    }

    rc = llm_xl_dump(o, out);
    json_decref(o);

    return rc;
}


int
llm_xlate_embed_response(const char *in, size_t len, int batch,
    llm_buf_t *out, llm_usage_t *usage)
{
    int      rc;
    size_t   i, n, k;
    json_t  *body, *data, *item, *vec, *list, *o, *one;

    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, NULL);
    data = json_object_get(body, "data");

    if (!json_is_array(data) || json_array_size(data) == 0
        || (!batch && json_array_size(data) != 1))
    {
        json_decref(body);
        return -1;
    }

    n = json_array_size(data);
    list = json_array();
    rc = list ? 0 : -1;

    /* by "index", which OpenAI gives and need not keep in order */
    for (k = 0; rc == 0 && k < n; k++) {
        vec = NULL;

        json_array_foreach(data, i, item) {
            json_t  *ix = json_object_get(item, "index");

            if ((ix == NULL && i == k)
                || (json_is_integer(ix)
                    && json_integer_value(ix) == (json_int_t) k))
            {
                vec = json_object_get(item, "embedding");
                break;
            }
        }

        if (!json_is_array(vec)) {
            /* a base64 vector is not asked for, so not expected */
            rc = -1;
            break;
        }

        one = json_pack("{s:O}", "values", vec);
        rc = one ? json_array_append_new(list, one) : -1;
    }

    if (rc == 0 && usage != NULL) {
        (void) llm_usage_from_json(LLM_API_OPENAI, in, len, usage);
    }

    json_decref(body);

    if (rc != 0) {
        json_decref(list);
        return -1;
    }

    o = batch ? json_pack("{s:o}", "embeddings", list)
              : json_pack("{s:O}", "embedding", json_array_get(list, 0));

    if (!batch) {
        json_decref(list);
    }

    if (o == NULL) {
        return -1;
    }

    rc = llm_json_dump_buf(o, LLM_EMBED_DUMP_FLAGS, out);
    json_decref(o);

    return rc;
}
