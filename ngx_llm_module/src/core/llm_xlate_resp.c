/*
 * llm_xlate_response(): provider response body -> IR -> client format.
 */

#include <string.h>

#include "llm_xlate_int.h"
#include "llm_json_tree.h"

typedef json_t *(*llm_resp_read_fn)(json_t *body, llm_usage_t *u);
typedef json_t *(*llm_resp_write_fn)(const llm_xlate_opts_t *o, json_t *ir,
    const llm_usage_t *u, const json_t *client_tools);

/* by provider format: Responses is passed through, never read */
static const llm_resp_read_fn  llm_resp_readers[LLM_API_NFORMATS] = {
    llm_resp_read_openai, llm_resp_read_anthropic, llm_resp_read_gemini,
    [LLM_API_BEDROCK] = llm_resp_read_bedrock,
    [LLM_API_COHERE] = llm_resp_read_cohere,
    [LLM_API_OPENAI_TEXT] = llm_resp_read_text
};
static const llm_resp_write_fn  llm_resp_writers[LLM_API_CLIENT_COUNT] = {
    llm_resp_write_openai, llm_resp_write_anthropic, llm_resp_write_gemini,
    llm_resp_write_responses
};

/* a tool call whose name only the client's tools map back: shortened
   for an OpenAI provider, or a namespace member's */
static int
llm_resp_needs_client_tools(json_t *ir, llm_api_t from, llm_api_t to)
{
    size_t       i;
    json_t      *p;
    const char  *t, *name;

    json_array_foreach(json_object_get(ir, "content"), i, p) {
        t = llm_xl_str(p, "type");
        name = llm_xl_str(p, "name");

        if (t && strcmp(t, "tool_call") == 0 && name
            && ((from == LLM_API_OPENAI && llm_xl_tool_name_is_short(name))
                || llm_xl_tool_name_in_ns(name, to)))
        {
            return 1;
        }
    }

    return 0;
}

int
llm_xlate_response(llm_api_t from, llm_api_t to, const char *in, size_t len,
                   const llm_xlate_opts_t *o, llm_buf_t *out, llm_usage_t *usage)
{
    llm_usage_t       u;
    llm_xlate_opts_t  none;
    json_t           *body, *ir, *res, *tools = NULL;
    int               rc = -1;

    if ((unsigned) to >= LLM_API_CLIENT_COUNT
        || (!llm_api_is_provider(from) && from != to))
    {
        return -1;
    }
    if (o == NULL) {
        memset(&none, 0, sizeof(none));
        o = &none;
    }
    memset(&u, 0, sizeof(u));
    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return -1;
    }
    if (from == to) {
        /* same format: forwarded as is, only usage is wanted */
        llm_usage_read(from, body, &u);
        if (usage) {
            *usage = u;
        }
        rc = llm_buf_append(out, in, len);
        json_decref(body);
        return rc;
    }
    ir = llm_resp_readers[from](body, &u);
    if (ir == NULL) {
        json_decref(body);
        return -1;
    }
    if (usage) {
        *usage = u;
    }
    if (llm_resp_needs_client_tools(ir, from, to)) {
        /* the client's request is parsed again only when a name needs it */
        tools = llm_xl_client_tools(to, o->client_request,
                                    o->client_request_len);
    }
    res = llm_resp_writers[to](o, ir, &u, tools);
    if (res && llm_xl_dump(res, out) == 0) {
        rc = 0;
    }
    json_decref(res);
    json_decref(tools);
    json_decref(ir);
    json_decref(body);
    return rc;
}
