/*
 * Stream encoder for Responses API clients: typed events, each with the
 * next sequence_number.  response.created and response.in_progress first;
 * then per output item response.output_item.added, its part or summary
 * part, the deltas, their .done events and response.output_item.done;
 * last response.completed (or .incomplete with the reason), carrying the
 * whole output and the usage.  A failure after the first byte is
 * response.failed with the error, not a cut stream.
 *
 * Items never interleave (as Anthropic blocks): a change of kind closes
 * the open item first.  The open item's text is kept, because its .done
 * events and the final response repeat it whole.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_stream_int.h"

static void
llm_sx_rs_emit(llm_stream_xlate_t *x, const char *type, json_t *data)
{
    if (data == NULL) {
        return;
    }
    /* type and sequence_number first, as OpenAI writes them */
    json_object_set_new(data, "type", json_string(type));
    json_object_set_new(data, "sequence_number", json_integer(x->rs_seq++));
    llm_sx_write_json(x, type, data);
}

/* {"type":..,"sequence_number":..} then the members of `rest` */
static json_t *
llm_sx_rs_event(json_t *rest)
{
    json_t  *ev = json_pack("{s:n,s:n}", "type", "sequence_number");

    if (ev && rest) {
        json_object_update(ev, rest);
    }
    json_decref(rest);
    return ev;
}

static json_t *
llm_sx_rs_response(llm_stream_xlate_t *x, const char *status)
{
    json_t  *r = llm_resp_responses_object(&x->o, x->rs_id,
                                           x->model[0] ? x->model : NULL,
                                           x->created, status);

    if (r && x->rs_items) {
        json_object_set(r, "output", x->rs_items);
    }
    return r;
}

void
llm_sx_responses_start(llm_stream_xlate_t *x)
{
    if (x->started) {
        return;
    }
    x->started = 1;
    llm_resp_responses_id(&x->o, x->id, x->rs_id, sizeof(x->rs_id));
    x->rs_items = json_array();
    llm_sx_rs_emit(x, "response.created", llm_sx_rs_event(json_pack("{s:o}",
                   "response", llm_sx_rs_response(x, "in_progress"))));
    llm_sx_rs_emit(x, "response.in_progress",
                   llm_sx_rs_event(json_pack("{s:o}", "response",
                   llm_sx_rs_response(x, "in_progress"))));
}

static json_t *
llm_sx_rs_item(llm_stream_xlate_t *x, const char *status)
{
    llm_sx_tool_t  *t;

    switch (x->block) {
    case LLM_SX_TEXT:
        return llm_resp_responses_message(x->rs_item_id, x->rs_text.data,
                                          x->rs_text.len, status);
    case LLM_SX_THINKING:
        return llm_resp_responses_reasoning(x->rs_item_id, x->rs_text.data,
                                            x->rs_text.len, x->rs_sig.data);
    case LLM_SX_TOOL:
        t = llm_sx_find_tool(x, x->block_tool);
        return llm_resp_responses_call(x->rs_item_id, t ? t->id : "",
                                       t ? t->name : "", x->client_tools,
                                       x->rs_text.data, x->rs_text.len,
                                       status);
    default:
        return NULL;
    }
}

/* the text so far of the open item as a JSON string */
static json_t *
llm_sx_rs_text(llm_stream_xlate_t *x)
{
    return json_stringn(x->rs_text.data ? x->rs_text.data : "",
                        x->rs_text.len);
}

void
llm_sx_responses_close(llm_stream_xlate_t *x)
{
    json_t  *item;
    int      oi = (int) json_array_size(x->rs_items);

    if (x->block == LLM_SX_NONE) {
        return;
    }
    switch (x->block) {
    case LLM_SX_TEXT:
        llm_sx_rs_emit(x, "response.output_text.done", llm_sx_rs_event(
            json_pack("{s:s,s:i,s:i,s:o,s:[]}", "item_id", x->rs_item_id,
                      "output_index", oi, "content_index", 0,
                      "text", llm_sx_rs_text(x), "logprobs")));
        llm_sx_rs_emit(x, "response.content_part.done", llm_sx_rs_event(
            json_pack("{s:s,s:i,s:i,s:{s:s,s:[],s:o}}", "item_id",
                      x->rs_item_id, "output_index", oi, "content_index", 0,
                      "part", "type", "output_text", "annotations", "text",
                      llm_sx_rs_text(x))));
        break;
    case LLM_SX_THINKING:
        llm_sx_rs_emit(x, "response.reasoning_summary_text.done",
            llm_sx_rs_event(json_pack("{s:s,s:i,s:i,s:o}", "item_id",
                            x->rs_item_id, "output_index", oi,
                            "summary_index", 0, "text", llm_sx_rs_text(x))));
        llm_sx_rs_emit(x, "response.reasoning_summary_part.done",
            llm_sx_rs_event(json_pack("{s:s,s:i,s:i,s:{s:s,s:o}}", "item_id",
                            x->rs_item_id, "output_index", oi,
                            "summary_index", 0, "part", "type",
                            "summary_text", "text", llm_sx_rs_text(x))));
        break;
    case LLM_SX_TOOL:
        llm_sx_rs_emit(x, "response.function_call_arguments.done",
            llm_sx_rs_event(json_pack("{s:s,s:i,s:o}", "item_id",
                            x->rs_item_id, "output_index", oi,
                            "arguments", llm_sx_rs_text(x))));
        break;
    default:
        break;
    }
    item = llm_sx_rs_item(x, "completed");
    if (item) {
        llm_sx_rs_emit(x, "response.output_item.done", llm_sx_rs_event(
            json_pack("{s:i,s:O}", "output_index", oi, "item", item)));
        json_array_append_new(x->rs_items, item);
    }
    x->block = LLM_SX_NONE;
    x->block_tool = -1;
    x->rs_text.len = 0;
    x->rs_sig.len = 0;
    if (x->rs_sig.data) {
        x->rs_sig.data[0] = '\0';
    }
}

/* a new item of `kind`; for a tool, x->block_tool is already its key */
void
llm_sx_responses_open(llm_stream_xlate_t *x, llm_sx_block_t kind, long tool)
{
    static const char  *prefix[] = { "", "msg_", "rs_", "fc_" };
    int                 oi;

    llm_sx_responses_start(x);
    llm_sx_responses_close(x);
    oi = (int) json_array_size(x->rs_items);
    llm_resp_responses_item_id(x->rs_item_id, sizeof(x->rs_item_id),
                               prefix[kind], x->rs_id, (size_t) oi);
    x->block = kind;
    x->block_tool = tool;
    llm_sx_rs_emit(x, "response.output_item.added", llm_sx_rs_event(
        json_pack("{s:i,s:o}", "output_index", oi,
                  "item", llm_sx_rs_item(x, "in_progress"))));
    if (kind == LLM_SX_TEXT) {
        llm_sx_rs_emit(x, "response.content_part.added", llm_sx_rs_event(
            json_pack("{s:s,s:i,s:i,s:{s:s,s:[],s:s}}", "item_id",
                      x->rs_item_id, "output_index", oi, "content_index", 0,
                      "part", "type", "output_text", "annotations", "text",
                      "")));
    } else if (kind == LLM_SX_THINKING) {
        llm_sx_rs_emit(x, "response.reasoning_summary_part.added",
            llm_sx_rs_event(json_pack("{s:s,s:i,s:i,s:{s:s,s:s}}", "item_id",
                            x->rs_item_id, "output_index", oi,
                            "summary_index", 0, "part", "type",
                            "summary_text", "text", "")));
    }
}

/* a delta of the open item of `kind` (opened when another one is open) */
void
llm_sx_responses_delta(llm_stream_xlate_t *x, llm_sx_block_t kind,
                       const char *s, size_t len)
{
    static const char  *events[] = {
        "", "response.output_text.delta",
        "response.reasoning_summary_text.delta",
        "response.function_call_arguments.delta"
    };
    json_t             *ev;
    int                 oi;

    if (x->block != kind) {
        llm_sx_responses_open(x, kind, -1);
    }
    oi = (int) json_array_size(x->rs_items);
    llm_buf_append(&x->rs_text, s, len);
    ev = json_pack("{s:s,s:i}", "item_id", x->rs_item_id, "output_index", oi);
    if (kind == LLM_SX_TEXT) {
        json_object_set_new(ev, "content_index", json_integer(0));
    } else if (kind == LLM_SX_THINKING) {
        json_object_set_new(ev, "summary_index", json_integer(0));
    }
    json_object_set_new(ev, "delta", json_stringn(s, len));
    if (kind == LLM_SX_TEXT) {
        json_object_set_new(ev, "logprobs", json_array());
    }
    llm_sx_rs_emit(x, events[kind], llm_sx_rs_event(ev));
}

void
llm_sx_responses_signature(llm_stream_xlate_t *x, const char *s, size_t len)
{
    llm_buf_append(&x->rs_sig, s, len);
}

void
llm_sx_responses_end(llm_stream_xlate_t *x)
{
    json_t      *r;
    const char  *type;
    llm_stop_t   stop = x->stop;

    llm_sx_responses_start(x);
    llm_sx_responses_close(x);
    if (stop == LLM_STOP_NONE) {
        stop = x->ntools ? LLM_STOP_TOOL_CALLS : LLM_STOP_END;
    }
    r = llm_sx_rs_response(x, "completed");
    if (r == NULL) {
        return;
    }
    llm_resp_responses_status(r, stop);
    json_object_set_new(r, "usage", llm_usage_responses(&x->usage));
    type = strcmp(llm_xl_str(r, "status"), "completed") == 0
           ? "response.completed" : "response.incomplete";
    json_decref(x->rs_final);
    x->rs_final = json_incref(r);           /* kept for the store */
    llm_sx_rs_emit(x, type, llm_sx_rs_event(json_pack("{s:o}", "response",
                                                      r)));
}

void
llm_sx_responses_fail(llm_stream_xlate_t *x, int status, const char *message)
{
    json_t  *r;

    llm_sx_responses_start(x);
    r = llm_sx_rs_response(x, "failed");
    if (r == NULL) {
        return;
    }
    json_object_set_new(r, "error", json_pack("{s:s,s:s}", "code",
                        status == 429 ? "rate_limit_exceeded"
                        : status >= 500 ? "server_error" : "invalid_request",
                        "message", message));
    json_object_set_new(r, "usage", llm_usage_responses(&x->usage));
    llm_sx_rs_emit(x, "response.failed", llm_sx_rs_event(json_pack("{s:o}",
                                                         "response", r)));
}

int
llm_stream_xlate_response(const llm_stream_xlate_t *x, llm_buf_t *out)
{
    if (x->rs_final == NULL) {
        return -1;
    }
    return llm_json_dump_buf(x->rs_final, JSON_COMPACT | JSON_PRESERVE_ORDER,
                             out);
}
