/*
 * Stream encoder for Gemini clients: a GenerateContentResponse per SSE
 * event, as :streamGenerateContent?alt=sse sends them.  Text is forwarded
 * delta by delta; a functionCall must arrive whole, so its arguments are
 * buffered until the call is complete.  The last chunk carries the
 * finishReason and the usageMetadata.
 */

#include <stdio.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_stream_int.h"

static void
llm_sx_gemini_chunk(llm_stream_xlate_t *x, json_t *parts, const char *finish)
{
    json_t  *cand, *chunk;

    x->started = 1;
    cand = json_pack("{s:{s:o,s:s}}", "content", "parts", parts,
                     "role", "model");
    if (finish) {
        json_object_set_new(cand, "finishReason", json_string(finish));
    }
    json_object_set_new(cand, "index", json_integer(0));
    chunk = json_pack("{s:[o]}", "candidates", cand);
    if (x->usage.present || finish) {
        json_object_set_new(chunk, "usageMetadata",
                            llm_usage_gemini(&x->usage));
    }
    json_object_set_new(chunk, "modelVersion", json_string(
        llm_xl_client_model(&x->o, x->model[0] ? x->model : NULL)));
    if (x->id[0]) {
        json_object_set_new(chunk, "responseId", json_string(x->id));
    }
    llm_sx_write_json(x, NULL, chunk);
}

void
llm_sx_gemini_parts(llm_stream_xlate_t *x, json_t *parts)
{
    if (parts) {
        llm_sx_gemini_chunk(x, parts, NULL);
    }
}

void
llm_sx_gemini_flush_tools(llm_stream_xlate_t *x)
{
    json_t  *parts = json_array(), *args;
    size_t   i;

    for (i = 0; i < x->ntools; i++) {
        llm_sx_tool_t  *t = &x->tools[i];

        if (t->closed) {
            continue;
        }
        t->closed = 1;
        args = t->args.len ? llm_json_load(t->args.data, t->args.len,
                                           LLM_XL_LOAD_FLAGS, NULL) : NULL;
        if (!json_is_object(args)) {
            json_decref(args);
            args = json_object();
        }
        json_array_append_new(parts, json_pack("{s:{s:s,s:o}}",
                              "functionCall", "name", t->name, "args", args));
    }
    if (json_array_size(parts)) {
        llm_sx_gemini_chunk(x, parts, NULL);
    } else {
        json_decref(parts);
    }
}

void
llm_sx_gemini_end(llm_stream_xlate_t *x)
{
    llm_stop_t  stop = x->stop == LLM_STOP_NONE ? LLM_STOP_END : x->stop;

    llm_sx_gemini_flush_tools(x);
    llm_sx_gemini_chunk(x, json_pack("[{s:s}]", "text", ""),
                        llm_stop_to_gemini(stop));
}
