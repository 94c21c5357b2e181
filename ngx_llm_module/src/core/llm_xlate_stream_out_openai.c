/*
 * Stream encoder for OpenAI clients: chat.completion.chunk objects.  The
 * first chunk carries the role, tool calls are announced with index, id and
 * name and then receive argument fragments, the finish_reason comes in a
 * chunk with an empty delta, usage (when the client asked include_usage)
 * in a chunk with no choices, and "data: [DONE]" ends the stream.
 */

#include <stdio.h>
#include <string.h>

#include "llm_xlate_stream_int.h"

static json_t *
llm_sx_openai_chunk(llm_stream_xlate_t *x, json_t *choices)
{
    char  id[96];

    if (strncmp(x->id, "chatcmpl-", 9) == 0) {
        snprintf(id, sizeof(id), "%s", x->id);
    } else {
        snprintf(id, sizeof(id), "chatcmpl-%s", x->id[0] ? x->id : "llm");
    }
    return json_pack("{s:s,s:s,s:I,s:s,s:o}", "id", id,
                     "object", "chat.completion.chunk",
                     "created", (json_int_t) x->created,
                     "model", llm_xl_client_model(&x->o,
                                                  x->model[0] ? x->model : NULL),
                     "choices", choices);
}

static void
llm_sx_openai_write(llm_stream_xlate_t *x, json_t *delta, const char *finish)
{
    json_t  *choice = json_pack("{s:i,s:o}", "index", 0, "delta", delta);

    json_object_set_new(choice, "finish_reason",
                        finish ? json_string(finish) : json_null());
    llm_sx_write_json(x, NULL, llm_sx_openai_chunk(x, json_pack("[o]",
                                                                choice)));
}

void
llm_sx_openai_event(llm_stream_xlate_t *x, json_t *delta, const char *finish)
{
    if (delta == NULL) {
        return;
    }
    if (!x->started) {
        x->started = 1;
        llm_sx_openai_write(x, json_pack("{s:s,s:s}", "role", "assistant",
                                         "content", ""), NULL);
    }
    llm_sx_openai_write(x, delta, finish);
}

void
llm_sx_openai_end(llm_stream_xlate_t *x)
{
    llm_stop_t  stop = x->stop;

    if (!x->finish_sent) {
        if (stop == LLM_STOP_NONE) {
            stop = x->ntools ? LLM_STOP_TOOL_CALLS : LLM_STOP_END;
        }
        x->finish_sent = 1;
        llm_sx_openai_event(x, json_object(), llm_stop_to_openai(stop));
    }
    if (x->o.include_usage) {
        json_t  *chunk = llm_sx_openai_chunk(x, json_array());

        json_object_set_new(chunk, "usage", llm_usage_openai(&x->usage));
        llm_sx_write_json(x, NULL, chunk);
    }
    if (x->out) {
        llm_sse_write(x->out, NULL, "[DONE]", 6);
    }
}
