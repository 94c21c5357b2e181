/*
 * Response IR -> an OpenAI Responses API `response` object, and the pieces
 * of it (output items, usage, the object around them) that the stream
 * encoder (llm_xlate_stream_out_responses.c) sends piece by piece.
 *
 * Output items: text becomes a `message` item with one `output_text` part,
 * thinking a `reasoning` item (its text as the summary, the provider's
 * signature as encrypted_content, so the next turn can send it back), a
 * tool call a `function_call` item whose call_id is the provider's call id.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

/* request fields a response object repeats, with their defaults */
static const struct {
    const char  *name;
    const char  *dflt;          /* JSON text */
} llm_rs_echo[] = {
    { "instructions", "null" },
    { "max_output_tokens", "null" },
    { "metadata", "{}" },
    { "parallel_tool_calls", "true" },
    { "previous_response_id", "null" },
    { "reasoning", "{\"effort\":null,\"summary\":null}" },
    { "store", "true" },
    { "temperature", "null" },
    { "text", "{\"format\":{\"type\":\"text\"}}" },
    { "tool_choice", "\"auto\"" },
    { "tools", "[]" },
    { "top_p", "null" },
    { "truncation", "\"disabled\"" },
    { "user", "null" },
};

void
llm_resp_responses_id(const llm_xlate_opts_t *o, const char *upstream,
                      char *buf, size_t size)
{
    char  id[64];

    if (o->response_id && *o->response_id) {
        snprintf(buf, size, "%s", o->response_id);
    } else if (upstream && *upstream) {
        if (strncmp(upstream, "resp_", 5) == 0) {
            upstream += 5;
        }
        llm_xl_copy_utf8(id, sizeof(id), upstream);
        snprintf(buf, size, "resp_%s", id);
    } else {
        llm_xl_gen_id(buf, size, "resp_");
    }
}

json_t *
llm_resp_responses_object(const llm_xlate_opts_t *o, const char *id,
                          const char *model, long long created,
                          const char *status)
{
    json_t  *r, *req = NULL, *v;
    size_t   i;

    r = json_pack("{s:s,s:s,s:I,s:s,s:n,s:n}", "id", id, "object", "response",
                  "created_at", (json_int_t) created, "status", status,
                  "error", "incomplete_details");
    if (r == NULL) {
        return NULL;
    }
    if (o->client_request && o->client_request_len) {
        req = llm_json_load(o->client_request, o->client_request_len,
                            LLM_XL_LOAD_FLAGS, NULL);
    }
    for (i = 0; i < sizeof(llm_rs_echo) / sizeof(llm_rs_echo[0]); i++) {
        if (strcmp(llm_rs_echo[i].name, "max_output_tokens") == 0) {
            /* the client's order: model and output come before these */
            json_object_set_new(r, "model", json_string(
                                llm_xl_client_model(o, model)));
            json_object_set_new(r, "output", json_array());
        }
        v = json_object_get(req, llm_rs_echo[i].name);
        if (v && !json_is_null(v)) {
            json_object_set(r, llm_rs_echo[i].name, v);
        } else {
            json_object_set_new(r, llm_rs_echo[i].name,
                                json_loads(llm_rs_echo[i].dflt,
                                           JSON_DECODE_ANY, NULL));
        }
    }
    json_decref(req);
    return r;
}

json_t *
llm_resp_responses_message(const char *id, const char *text, size_t len,
                           const char *status)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:[],s:s%}]}", "id", id,
                     "type", "message", "status", status, "role", "assistant",
                     "content", "type", "output_text", "annotations", "text",
                     text ? text : "", text ? len : 0);
}

json_t *
llm_resp_responses_reasoning(const char *id, const char *text, size_t len,
                             const char *signature)
{
    json_t  *j = json_pack("{s:s,s:s,s:[]}", "id", id, "type", "reasoning",
                           "summary");

    if (j && text && len) {
        json_array_append_new(json_object_get(j, "summary"),
                              json_pack("{s:s,s:s%}", "type", "summary_text",
                                        "text", text, len));
    }
    if (j && signature && *signature) {
        json_object_set_new(j, "encrypted_content", json_string(signature));
    }
    return j;
}

json_t *
llm_resp_responses_call(const char *id, const char *call_id,
                        const char *name, const json_t *client_tools,
                        const char *args, size_t len, const char *status)
{
    const char  *member = NULL;
    const char  *ns = llm_xl_tool_namespace(client_tools, name, &member);
    json_t      *j;

    j = json_pack("{s:s,s:s,s:s,s:s,s:s%,s:s}", "id", id,
                  "type", "function_call", "status", status,
                  "call_id", call_id, "arguments", args ? args : "",
                  args ? len : 0, "name", ns ? member : name);
    if (j && ns) {
        /* a member of a namespace tool: named as the client declared it */
        json_object_set_new(j, "namespace", json_string(ns));
    }
    return j;
}

/* item ids share the response's suffix: msg_<suffix>_<n>, ... */
void
llm_resp_responses_item_id(char *buf, size_t size, const char *prefix, const char *rid,
               size_t n)
{
    snprintf(buf, size, "%s%s_%zu", prefix,
             strncmp(rid, "resp_", 5) == 0 ? rid + 5 : rid, n);
}

void
llm_resp_responses_status(json_t *r, llm_stop_t stop)
{
    const char  *reason = NULL;

    if (stop == LLM_STOP_LENGTH) {
        reason = "max_output_tokens";
    } else if (stop == LLM_STOP_CONTENT_FILTER) {
        reason = "content_filter";
    }
    if (reason) {
        json_object_set_new(r, "status", json_string("incomplete"));
        json_object_set_new(r, "incomplete_details",
                            json_pack("{s:s}", "reason", reason));
    }
}

json_t *
llm_resp_write_responses(const llm_xlate_opts_t *o, json_t *ir,
                         const llm_usage_t *u, const json_t *client_tools)
{
    json_t      *r, *out, *p, *item;
    llm_buf_t    text = LLM_BUF_INIT;
    const char  *t;
    char         rid[96], iid[128];
    char        *args;
    size_t       i, n = 0;
    llm_stop_t   stop;

    llm_resp_responses_id(o, llm_xl_str(ir, "id"), rid, sizeof(rid));
    r = llm_resp_responses_object(o, rid, llm_xl_str(ir, "model"),
                                  (long long) time(NULL), "completed");
    if (r == NULL) {
        return NULL;
    }
    out = json_object_get(r, "output");

    json_array_foreach(json_object_get(ir, "content"), i, p) {
        t = llm_xl_str(p, "type");

        if (strcmp(t, "text") == 0) {
            /* adjacent texts are one message */
            llm_buf_append_str(&text, llm_xl_str(p, "text"));
            continue;
        }
        if (text.len) {
            llm_resp_responses_item_id(iid, sizeof(iid), "msg_", rid, n++);
            json_array_append_new(out, llm_resp_responses_message(iid,
                                  text.data, text.len, "completed"));
            text.len = 0;
        }
        if (strcmp(t, "thinking") == 0) {
            const char  *th = llm_xl_str(p, "thinking");

            llm_resp_responses_item_id(iid, sizeof(iid), "rs_", rid, n++);
            item = llm_resp_responses_reasoning(iid, th, th ? strlen(th) : 0,
                                                llm_xl_str(p, "signature"));
        } else if (strcmp(t, "redacted_thinking") == 0) {
            llm_resp_responses_item_id(iid, sizeof(iid), "rs_", rid, n++);
            item = llm_resp_responses_reasoning(iid, NULL, 0,
                                                llm_xl_str(p, "data"));
        } else if (strcmp(t, "tool_call") == 0) {
            args = llm_json_dumps(json_object_get(p, "input"),
                                  LLM_XL_DUMP_FLAGS);
            llm_resp_responses_item_id(iid, sizeof(iid), "fc_", rid, n++);
            item = llm_resp_responses_call(iid, llm_xl_str(p, "id"),
                llm_xl_tool_name_restore(llm_xl_str(p, "name"), client_tools),
                client_tools, args ? args : "{}", args ? strlen(args) : 2,
                "completed");
            free(args);
        } else {
            continue;
        }
        if (item) {
            json_array_append_new(out, item);
        }
    }
    if (text.len) {
        llm_resp_responses_item_id(iid, sizeof(iid), "msg_", rid, n);
        json_array_append_new(out, llm_resp_responses_message(iid, text.data,
                              text.len, "completed"));
    }
    llm_buf_free(&text);

    stop = llm_stop_from_name(llm_xl_str(ir, "stop"));
    llm_resp_responses_status(r, stop);
    json_object_set_new(r, "usage", llm_usage_responses(u));
    return r;
}
