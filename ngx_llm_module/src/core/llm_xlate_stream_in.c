/*
 * Stream decoders: one upstream SSE event (already parsed JSON) in each
 * provider format -> llm_sx_* events.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_stream_int.h"

static void
llm_sx_remember(llm_stream_xlate_t *x, const char *id, const char *model)
{
    if (id && x->id[0] == '\0') {
        llm_xl_copy_utf8(x->id, sizeof(x->id), id);
    }
    if (model && x->model[0] == '\0') {
        llm_xl_copy_utf8(x->model, sizeof(x->model), model);
    }
}

static void
llm_sx_text_of(llm_stream_xlate_t *x, const json_t *v,
               void (*fn)(llm_stream_xlate_t *, const char *, size_t))
{
    if (json_is_string(v) && json_string_length(v)) {
        fn(x, json_string_value(v), json_string_length(v));
    }
}

static int
llm_sx_status_of_type(const char *type)
{
    static const struct { const char *type; int status; }  map[] = {
        { "invalid_request_error", 400 }, { "authentication_error", 401 },
        { "permission_error", 403 }, { "not_found_error", 404 },
        { "request_too_large", 413 }, { "rate_limit_error", 429 },
        { "overloaded_error", 529 }, { "timeout_error", 504 },
    };
    size_t  i;

    for (i = 0; type && i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(type, map[i].type) == 0) {
            return map[i].status;
        }
    }
    return 500;
}

/* ------------------------------------------------------------ OpenAI */

/*
 * What chat and text completion chunks share: an error event, the id and
 * model, a usage chunk.  The first choice, or NULL when there is none to
 * read (an error, or a chunk with usage only).
 */
static json_t *
llm_sx_openai_chunk(llm_stream_xlate_t *x, json_t *ev)
{
    json_t  *err;

    err = json_object_get(ev, "error");
    if (err) {
        const char  *msg = json_is_string(err) ? json_string_value(err)
                                               : llm_xl_str(err, "message");
        json_t      *code = json_object_get(err, "code");
        int          status = json_is_integer(code)
                              ? (int) json_integer_value(code)
                              : llm_sx_status_of_type(llm_xl_str(err, "type"));

        llm_sx_error(x, status >= 400 && status < 600 ? status : 500,
                     msg ? msg : "upstream error");
        return NULL;
    }
    llm_sx_remember(x, llm_xl_str(ev, "id"), llm_xl_str(ev, "model"));
    if (json_is_object(json_object_get(ev, "usage"))) {
        llm_usage_read(LLM_API_OPENAI, ev, &x->usage);
    }

    return json_array_get(json_object_get(ev, "choices"), 0);
}

void
llm_sx_decode_openai(llm_stream_xlate_t *x, json_t *ev)
{
    json_t      *choice, *delta, *tc, *fn, *v;
    const char  *args;
    size_t       i;
    long         key;

    choice = llm_sx_openai_chunk(x, ev);
    if (choice == NULL) {
        return;
    }
    delta = json_object_get(choice, "delta");
    v = json_object_get(delta, "reasoning_content");
    if (!json_is_string(v)) {
        v = json_object_get(delta, "reasoning");
    }
    llm_sx_text_of(x, v, llm_sx_thinking);
    llm_sx_text_of(x, json_object_get(delta, "content"), llm_sx_text);

    json_array_foreach(json_object_get(delta, "tool_calls"), i, tc) {
        v = json_object_get(tc, "index");
        key = json_is_integer(v) ? (long) json_integer_value(v) : (long) i;
        fn = json_object_get(tc, "function");
        if (llm_sx_find_tool(x, key) == NULL) {
            llm_sx_tool_start(x, key, llm_xl_str(tc, "id"),
                              llm_xl_str(fn, "name"));
        }
        args = llm_xl_str(fn, "arguments");
        if (args && *args) {
            llm_sx_tool_args(x, key, args,
                             json_string_length(json_object_get(fn,
                                                                "arguments")));
        }
    }

    llm_sx_finish(x, llm_stop_from_openai(llm_xl_str(choice,
                                                     "finish_reason")), NULL);
}

/* text completions: {"choices":[{"text":"..","finish_reason":null}]} */
void
llm_sx_decode_text(llm_stream_xlate_t *x, json_t *ev)
{
    json_t  *choice;

    choice = llm_sx_openai_chunk(x, ev);
    if (choice == NULL) {
        return;
    }
    llm_sx_text_of(x, json_object_get(choice, "text"), llm_sx_text);
    llm_sx_finish(x, llm_stop_from_openai(llm_xl_str(choice,
                                                     "finish_reason")), NULL);
}

/* --------------------------------------------------------- Anthropic */

void
llm_sx_decode_anthropic(llm_stream_xlate_t *x, json_t *ev)
{
    const char  *type = llm_xl_str(ev, "type"), *bt;
    json_t      *b, *d, *v;
    long         index = (long) json_integer_value(json_object_get(ev,
                                                                   "index"));

    if (type == NULL) {
        return;
    }
    if (strcmp(type, "message_start") == 0) {
        v = json_object_get(ev, "message");
        llm_sx_remember(x, llm_xl_str(v, "id"), llm_xl_str(v, "model"));
        llm_usage_read(LLM_API_ANTHROPIC, ev, &x->usage);

    } else if (strcmp(type, "content_block_start") == 0) {
        b = json_object_get(ev, "content_block");
        bt = llm_xl_str(b, "type");
        if (bt == NULL) {
            return;
        }
        if (strcmp(bt, "text") == 0) {
            llm_sx_text_of(x, json_object_get(b, "text"), llm_sx_text);
        } else if (strcmp(bt, "thinking") == 0) {
            llm_sx_text_of(x, json_object_get(b, "thinking"), llm_sx_thinking);
        } else if (strcmp(bt, "tool_use") == 0) {
            llm_sx_tool_start(x, index, llm_xl_str(b, "id"),
                              llm_xl_str(b, "name"));
            v = json_object_get(b, "input");
            if (json_object_size(v)) {
                char  *s = llm_json_dumps(v, LLM_XL_DUMP_FLAGS);

                if (s) {
                    llm_sx_tool_args(x, index, s, strlen(s));
                    free(s);
                }
            }
        }

    } else if (strcmp(type, "content_block_delta") == 0) {
        d = json_object_get(ev, "delta");
        bt = llm_xl_str(d, "type");
        if (bt == NULL) {
            return;
        }
        if (strcmp(bt, "text_delta") == 0) {
            llm_sx_text_of(x, json_object_get(d, "text"), llm_sx_text);
        } else if (strcmp(bt, "thinking_delta") == 0) {
            llm_sx_text_of(x, json_object_get(d, "thinking"), llm_sx_thinking);
        } else if (strcmp(bt, "signature_delta") == 0) {
            llm_sx_text_of(x, json_object_get(d, "signature"),
                           llm_sx_signature);
        } else if (strcmp(bt, "input_json_delta") == 0) {
            v = json_object_get(d, "partial_json");
            if (json_is_string(v)) {
                llm_sx_tool_args(x, index, json_string_value(v),
                                 json_string_length(v));
            }
        }

    } else if (strcmp(type, "content_block_stop") == 0) {
        llm_sx_block_end(x);

    } else if (strcmp(type, "message_delta") == 0) {
        llm_usage_read(LLM_API_ANTHROPIC, ev, &x->usage);
        d = json_object_get(ev, "delta");
        llm_sx_finish(x, llm_stop_from_anthropic(llm_xl_str(d, "stop_reason")),
                      llm_xl_str(d, "stop_sequence"));

    } else if (strcmp(type, "message_stop") == 0) {
        llm_sx_end(x);

    } else if (strcmp(type, "error") == 0) {
        v = json_object_get(ev, "error");
        llm_sx_error(x, llm_sx_status_of_type(llm_xl_str(v, "type")),
                     llm_xl_str(v, "message") ? llm_xl_str(v, "message")
                                              : "upstream error");
    }
    /* ping and unknown future events carry nothing to translate */
}

/* ------------------------------------------------------------ Gemini */

void
llm_sx_decode_gemini(llm_stream_xlate_t *x, json_t *ev)
{
    json_t      *err, *cand, *p, *v;
    size_t       i;
    llm_stop_t   stop;
    char        *s;

    err = json_object_get(ev, "error");
    if (json_is_object(err)) {
        int  code = (int) json_integer_value(json_object_get(err, "code"));

        llm_sx_error(x, code >= 400 && code < 600 ? code : 500,
                     llm_xl_str(err, "message") ? llm_xl_str(err, "message")
                                                : "upstream error");
        return;
    }
    llm_sx_remember(x, llm_xl_str(ev, "responseId"),
                    llm_xl_str(ev, "modelVersion"));
    llm_usage_read(LLM_API_GEMINI, ev, &x->usage);

    cand = json_array_get(json_object_get(ev, "candidates"), 0);
    json_array_foreach(json_object_get(json_object_get(cand, "content"),
                                       "parts"), i, p)
    {
        v = json_object_get(p, "text");
        if (json_is_string(v)) {
            if (json_is_true(json_object_get(p, "thought"))) {
                llm_sx_text_of(x, v, llm_sx_thinking);
            } else {
                llm_sx_text_of(x, v, llm_sx_text);
            }
            continue;
        }
        v = json_object_get(p, "functionCall");
        if (json_is_object(v)) {
            long  key = x->gm_calls++;

            llm_sx_tool_start(x, key, llm_xl_str(v, "id"),
                              llm_xl_str(v, "name"));
            s = json_is_object(json_object_get(v, "args"))
                ? llm_json_dumps(json_object_get(v, "args"),
                                 LLM_XL_DUMP_FLAGS)
                : llm_xl_strdup("{}");
            if (s) {
                llm_sx_tool_args(x, key, s, strlen(s));
                free(s);
            }
            llm_sx_block_end(x);
        }
    }

    stop = llm_stop_from_gemini(llm_xl_str(cand, "finishReason"));
    if (stop == LLM_STOP_END && x->gm_calls) {
        stop = LLM_STOP_TOOL_CALLS;
    }
    if (cand == NULL
        && llm_xl_str(json_object_get(ev, "promptFeedback"), "blockReason"))
    {
        stop = LLM_STOP_CONTENT_FILTER;
    }
    llm_sx_finish(x, stop, NULL);
}
