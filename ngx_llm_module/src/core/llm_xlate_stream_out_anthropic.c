/*
 * Stream encoder for Anthropic clients: message_start, ping, then per
 * content block content_block_start / content_block_delta* /
 * content_block_stop with increasing indexes, then message_delta (stop
 * reason and usage) and message_stop.  Blocks never interleave, so a change
 * of kind (thinking -> text -> tool_use) closes the open block first.
 */

#include <stdio.h>
#include <string.h>

#include "llm_xlate_stream_int.h"

void
llm_sx_anthropic_start(llm_stream_xlate_t *x)
{
    char     id[96];
    json_t  *usage;

    if (x->started) {
        return;
    }
    x->started = 1;
    if (strncmp(x->id, "msg_", 4) == 0) {
        snprintf(id, sizeof(id), "%s", x->id);
    } else if (x->id[0]) {
        snprintf(id, sizeof(id), "msg_%s", x->id);
    } else {
        llm_xl_gen_id(id, sizeof(id), "msg_");
    }
    /* input usage is known here only when the provider sent it first
       (Gemini does); otherwise message_delta carries it at the end */
    usage = llm_usage_anthropic(&x->usage);
    llm_sx_write_json(x, "message_start", json_pack(
        "{s:s,s:{s:s,s:s,s:s,s:s,s:[],s:n,s:n,s:o}}", "type", "message_start",
        "message", "id", id, "type", "message", "role", "assistant",
        "model", llm_xl_client_model(&x->o, x->model[0] ? x->model : NULL),
        "content", "stop_reason", "stop_sequence", "usage", usage));
    llm_sx_write_json(x, "ping", json_pack("{s:s}", "type", "ping"));
}

void
llm_sx_anthropic_emit(llm_stream_xlate_t *x, const char *event, json_t *data)
{
    llm_sx_anthropic_start(x);
    llm_sx_write_json(x, event, data);
}

void
llm_sx_anthropic_close_block(llm_stream_xlate_t *x)
{
    if (x->block == LLM_SX_NONE) {
        return;
    }
    llm_sx_anthropic_emit(x, "content_block_stop", json_pack("{s:s,s:i}",
                          "type", "content_block_stop",
                          "index", x->block_index - 1));
    x->block = LLM_SX_NONE;
    x->block_tool = -1;
}

void
llm_sx_anthropic_open_block(llm_stream_xlate_t *x, llm_sx_block_t kind,
                            json_t *block)
{
    llm_sx_anthropic_close_block(x);
    llm_sx_anthropic_emit(x, "content_block_start", json_pack("{s:s,s:i,s:o}",
                          "type", "content_block_start",
                          "index", x->block_index, "content_block", block));
    x->block = kind;
    x->block_index++;
}

void
llm_sx_anthropic_end(llm_stream_xlate_t *x)
{
    llm_stop_t  stop = x->stop;
    json_t     *delta;

    llm_sx_anthropic_start(x);
    llm_sx_anthropic_close_block(x);
    if (stop == LLM_STOP_NONE) {
        stop = x->ntools ? LLM_STOP_TOOL_CALLS : LLM_STOP_END;
    }
    delta = json_pack("{s:s}", "stop_reason", llm_stop_to_anthropic(stop));
    json_object_set_new(delta, "stop_sequence", x->stop_sequence
                        ? json_string(x->stop_sequence) : json_null());
    llm_sx_write_json(x, "message_delta", json_pack("{s:s,s:o,s:o}",
                      "type", "message_delta", "delta", delta,
                      "usage", llm_usage_anthropic(&x->usage)));
    llm_sx_write_json(x, "message_stop", json_pack("{s:s}", "type",
                                                   "message_stop"));
}
