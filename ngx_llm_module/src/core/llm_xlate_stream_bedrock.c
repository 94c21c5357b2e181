/*
 * ConverseStream decoder: one event-stream message (llm_eventstream.h) ->
 * llm_sx_* events.  The event's type is its :event-type header, its JSON
 * the payload:
 *   messageStart       {"role"}
 *   contentBlockStart  {"contentBlockIndex", "start":{"toolUse":{...}}}
 *   contentBlockDelta  {"contentBlockIndex", "delta":{"text"} |
 *                       {"toolUse":{"input"}} |
 *                       {"reasoningContent":{"text"}|{"signature"}}}
 *   contentBlockStop   {"contentBlockIndex"}
 *   messageStop        {"stopReason"}
 *   metadata           {"usage":{...}, "metrics":{...}}   (the last one)
 * An exception message (:message-type "exception") ends the stream with
 * the client's error event.
 */

#include <stdio.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_stream_int.h"


/* Bedrock's exception names -> the HTTP status it answers them with */
static const struct {
    const char  *name;
    int          status;
} llm_br_exceptions[] = {
    { "throttlingException", 429 },
    { "modelNotReadyException", 429 },
    { "serviceUnavailableException", 503 },
    { "internalServerException", 500 },
    { "modelStreamErrorException", 424 },
    { "modelErrorException", 424 },
    { "modelTimeoutException", 408 },
    { "validationException", 400 },
    { "accessDeniedException", 403 },
    { "resourceNotFoundException", 404 },
};


int
llm_bedrock_exception_status(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(llm_br_exceptions) / sizeof(llm_br_exceptions[0]);
         i++)
    {
        /* the stream says throttlingException, headers ThrottlingException */
        if (strlen(llm_br_exceptions[i].name) == len && len > 0
            && (name[0] | 0x20) == llm_br_exceptions[i].name[0]
            && memcmp(name + 1, llm_br_exceptions[i].name + 1, len - 1) == 0)
        {
            return llm_br_exceptions[i].status;
        }
    }
    return 500;
}


static int
llm_br_is(const llm_evs_str_t *s, const char *name)
{
    size_t  n = strlen(name);

    return s->len == n && memcmp(s->data, name, n) == 0;
}


static void
llm_br_exception(llm_stream_xlate_t *x, const llm_evs_message_t *m,
    json_t *ev)
{
    char                 msg[512];
    const char          *text;
    const llm_evs_str_t *type;

    type = m->exception_type.len ? &m->exception_type : &m->error_code;
    text = llm_xl_str(ev, "message");
    if (text == NULL) {
        text = llm_xl_str(ev, "Message");
    }

    if (text != NULL) {
        llm_xl_copy_utf8(msg, sizeof(msg), text);
    } else if (m->error_message.len) {
        snprintf(msg, sizeof(msg), "%.*s", (int) m->error_message.len,
                 m->error_message.data);
    } else {
        strcpy(msg, "the provider's stream reported an error");
    }

    llm_sx_error(x, llm_bedrock_exception_status(type->data, type->len),
                 msg);
}


void
llm_sx_decode_bedrock(llm_stream_xlate_t *x, const llm_evs_message_t *m)
{
    long                 index;
    json_t              *ev, *v, *d;
    const llm_evs_str_t *t = &m->event_type;

    ev = llm_json_load((const char *) m->payload, m->payload_len,
                       LLM_XL_LOAD_FLAGS, NULL);

    if (!llm_br_is(&m->message_type, "event")) {
        llm_br_exception(x, m, ev);
        json_decref(ev);
        return;
    }

    if (!json_is_object(ev)) {
        json_decref(ev);
        return;
    }

    index = (long) json_integer_value(json_object_get(ev,
                                                      "contentBlockIndex"));

    if (llm_br_is(t, "contentBlockStart")) {
        v = json_object_get(json_object_get(ev, "start"), "toolUse");
        if (v) {
            llm_sx_tool_start(x, index, llm_xl_str(v, "toolUseId"),
                              llm_xl_str(v, "name"));
        }

    } else if (llm_br_is(t, "contentBlockDelta")) {
        d = json_object_get(ev, "delta");

        if ((v = json_object_get(d, "text")) != NULL) {
            llm_sx_text(x, json_string_value(v), json_string_length(v));

        } else if ((v = json_object_get(d, "toolUse")) != NULL) {
            v = json_object_get(v, "input");
            llm_sx_tool_args(x, index, json_string_value(v),
                             json_string_length(v));

        } else if ((v = json_object_get(d, "reasoningContent")) != NULL) {
            d = json_object_get(v, "text");
            llm_sx_thinking(x, json_string_value(d), json_string_length(d));
            d = json_object_get(v, "signature");
            llm_sx_signature(x, json_string_value(d), json_string_length(d));
        }

    } else if (llm_br_is(t, "contentBlockStop")) {
        llm_sx_block_end(x);

    } else if (llm_br_is(t, "messageStop")) {
        llm_sx_finish(x, llm_stop_from_bedrock(llm_xl_str(ev, "stopReason")),
                      NULL);

    } else if (llm_br_is(t, "metadata")) {
        llm_usage_read_tree(LLM_API_BEDROCK, json_object_get(ev, "usage"),
                            &x->usage);
        llm_sx_end(x);
    }

    json_decref(ev);
}
