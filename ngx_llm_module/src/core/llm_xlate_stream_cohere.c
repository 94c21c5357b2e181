/*
 * Cohere v2 chat stream decoder: one SSE event's data (its "type" names
 * it) -> llm_sx_* events.
 *   message-start    {"id", "delta":{"message":{"role"}}}
 *   content-start    {"index", "delta":{"message":{"content":{"type",
 *                     "text"|"thinking"}}}}
 *   content-delta    {"index", "delta":{"message":{"content":{"text"} |
 *                     {"thinking"}}}}
 *   content-end      {"index"}
 *   tool-plan-delta  {"delta":{"message":{"tool_plan"}}}     (text)
 *   tool-call-start  {"index", "delta":{"message":{"tool_calls":{"id",
 *                     "function":{"name","arguments"}}}}}
 *   tool-call-delta  {"index", "delta":{"message":{"tool_calls":
 *                     {"function":{"arguments"}}}}}
 *   tool-call-end    {"index"}
 *   citation-start   {"index", "delta":{"message":{"citations":{"start",
 *                     "end", "text", "sources"}}}}  (grounded answers)
 *   message-end      {"delta":{"finish_reason", "usage"}}     (the last)
 * A finish_reason ERROR, or an event with only a "message" (how Cohere
 * reports a failure), ends the client's stream with its error event.
 */

#include <string.h>

#include "llm_xlate_stream_int.h"


static void
llm_co_text(llm_stream_xlate_t *x, const json_t *v,
    void (*fn)(llm_stream_xlate_t *, const char *, size_t))
{
    if (json_is_string(v) && json_string_length(v)) {
        fn(x, json_string_value(v), json_string_length(v));
    }
}


void
llm_sx_decode_cohere(llm_stream_xlate_t *x, json_t *ev)
{
    long         index;
    json_t      *m, *c, *tc, *fn, *d;
    const char  *type = llm_xl_str(ev, "type"), *fr;

    if (type == NULL) {
        if (llm_xl_str(ev, "message")) {
            llm_sx_error(x, 500, llm_xl_str(ev, "message"));
        }
        return;
    }

    d = json_object_get(ev, "delta");
    m = json_object_get(d, "message");
    index = (long) json_integer_value(json_object_get(ev, "index"));

    if (strcmp(type, "message-start") == 0) {
        if (llm_xl_str(ev, "id") && x->id[0] == '\0') {
            llm_xl_copy_utf8(x->id, sizeof(x->id), llm_xl_str(ev, "id"));
        }

    } else if (strcmp(type, "content-start") == 0
               || strcmp(type, "content-delta") == 0)
    {
        c = json_object_get(m, "content");
        llm_co_text(x, json_object_get(c, "thinking"), llm_sx_thinking);
        llm_co_text(x, json_object_get(c, "text"), llm_sx_text);

    } else if (strcmp(type, "content-end") == 0
               || strcmp(type, "tool-call-end") == 0)
    {
        llm_sx_block_end(x);

    } else if (strcmp(type, "tool-plan-delta") == 0) {
        llm_co_text(x, json_object_get(m, "tool_plan"), llm_sx_text);

    } else if (strcmp(type, "tool-call-start") == 0
               || strcmp(type, "tool-call-delta") == 0)
    {
        tc = json_object_get(m, "tool_calls");
        fn = json_object_get(tc, "function");

        if (llm_sx_find_tool(x, index) == NULL) {
            llm_sx_tool_start(x, index, llm_xl_str(tc, "id"),
                              llm_xl_str(fn, "name"));
        }
        c = json_object_get(fn, "arguments");
        if (json_string_length(c)) {
            llm_sx_tool_args(x, index, json_string_value(c),
                             json_string_length(c));
        }

    } else if (strcmp(type, "message-end") == 0) {
        fr = llm_xl_str(d, "finish_reason");
        llm_usage_read_tree(LLM_API_COHERE, json_object_get(d, "usage"),
                            &x->usage);

        if (fr && strcmp(fr, "ERROR") == 0) {
            llm_sx_error(x, 500, llm_xl_str(d, "error")
                                 ? llm_xl_str(d, "error")
                                 : "the provider ended the answer with an "
                                   "error");
            return;
        }
        llm_sx_finish(x, llm_stop_from_cohere(fr), NULL);
        llm_sx_end(x);

    } else if (strcmp(type, "citation-start") == 0) {
        c = json_object_get(m, "citations");
        if (json_is_object(c)) {
            llm_sx_citation(x, c);
        }
    }
    /* citation-end and unknown future events carry nothing to translate */
}
