/*
 * llm_xlate_request(): parse, read into the IR, write the target format.
 */

#include <stdio.h>
#include <string.h>

#include "llm_xlate_int.h"
#include "llm_json_tree.h"

typedef json_t *(*llm_req_fn)(llm_xl_ctx_t *c, json_t *j);

static const llm_req_fn  llm_req_readers[LLM_API_CLIENT_COUNT] = {
    llm_req_read_openai, llm_req_read_anthropic, llm_req_read_gemini,
    llm_req_read_responses
};
/* by provider format: Responses is passed through, never written */
static const llm_req_fn  llm_req_writers[LLM_API_NFORMATS] = {
    llm_req_write_openai, llm_req_write_anthropic, llm_req_write_gemini,
    [LLM_API_BEDROCK] = llm_req_write_bedrock,
    [LLM_API_COHERE] = llm_req_write_cohere,
    [LLM_API_OPENAI_TEXT] = llm_req_write_text
};

/*
 * What every target refuses, caught before the writer would quietly put
 * its default in its place: a token limit that is not a positive integer
 * (1.5, 1e30, "100").  Ranges of sampling values stay the provider's to
 * judge: they differ by provider and model.
 */
static int
llm_req_check(llm_xl_ctx_t *c, const json_t *ir)
{
    const json_t  *v;

    v = json_object_get(ir, "max_tokens");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
        return llm_xl_error(c, "max_tokens must be a positive integer");
    }
    return 0;
}

/*
 * Anthropic's format on a cloud that names the model in the URL and the
 * API version in the body (Vertex AI: "vertex-2023-10-16").
 */
static void
llm_req_cloud(const llm_xlate_opts_t *o, llm_api_t to, json_t *body)
{
    if (to != LLM_API_ANTHROPIC || o->anthropic_version == NULL) {
        return;
    }

    if (o->no_model) {
        json_object_del(body, "model");
    }

    json_object_set_new(body, "anthropic_version",
                        json_string(o->anthropic_version));
}

int
llm_xlate_request(llm_api_t from, llm_api_t to, const char *in, size_t len,
                  const llm_xlate_opts_t *o, llm_buf_t *out, char *err,
                  size_t errlen)
{
    llm_xlate_opts_t  none;
    llm_xl_ctx_t      c;
    json_error_t      je;
    json_t           *body, *ir = NULL, *res = NULL;
    int               rc = -1;

    if (o == NULL) {
        memset(&none, 0, sizeof(none));
        o = &none;
    }
    c.o = o;
    c.from = from;
    c.to = to;
    c.err = err;
    c.errlen = errlen;
    if (err && errlen) {
        err[0] = '\0';
    }
    if ((unsigned) from >= LLM_API_CLIENT_COUNT
        || (!llm_api_is_provider(to) && to != from))
    {
        return llm_xl_error(&c, "unknown API format");
    }

    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, &je);
    if (body == NULL) {
        return llm_xl_error(&c, "request body is not valid JSON: %s "
                            "(at byte %d)", je.text, je.position);
    }
    if (!json_is_object(body)) {
        json_decref(body);
        return llm_xl_error(&c, "request body must be a JSON object");
    }

    if (from == to) {
        /* nothing to translate: only the model name changes */
        if (to != LLM_API_GEMINI && o->model) {
            json_object_set_new(body, "model", json_string(o->model));
        }
        llm_req_cloud(o, to, body);
        rc = llm_xl_dump(body, out) == 0 ? 0
             : llm_xl_error(&c, "out of memory");
        json_decref(body);
        return rc;
    }

    ir = llm_req_readers[from](&c, body);
    if (ir != NULL && llm_req_check(&c, ir) != 0) {
        json_decref(ir);
        ir = NULL;
    }
    if (ir != NULL) {
        res = llm_req_writers[to](&c, ir);
    }
    if (res != NULL) {
        llm_req_cloud(o, to, res);
        rc = llm_xl_dump(res, out) == 0 ? 0
             : llm_xl_error(&c, "out of memory");
    } else if (err && errlen && err[0] == '\0') {
        llm_xl_error(&c, "request could not be translated");
    }
    json_decref(res);
    json_decref(ir);
    json_decref(body);
    return rc;
}
