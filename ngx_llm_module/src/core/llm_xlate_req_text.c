/*
 * Request IR -> OpenAI's legacy text completions (/v1/completions), the
 * provider format of the text-completion-openai row: a chat request
 * becomes one prompt string.  The answer is read back by
 * llm_resp_read_text() (llm_xlate_resp_read.c), a stream by
 * llm_sx_decode_text() (llm_xlate_stream_in.c).
 *
 * The prompt is the text of the conversation, in order: the system text,
 * then each message's text parts (concatenated), the turns separated by
 * a blank line ("\n\n").  No role labels and no chat template are added:
 * a completion model continues the text it is given, so a single user
 * message is sent exactly as written (as LiteLLM does).  LiteLLM sends a
 * conversation of several messages as a list of prompts, which the
 * provider answers as that many separate completions; one string keeps
 * the conversation one answer.
 *
 * What a prompt cannot carry is a 400 (or dropped, see drop_params):
 * tools, a tool_choice that requires a call, tool calls and results,
 * media, a response_format, n > 1, thinking and top_k.  Earlier reasoning in the history is left out silently, as
 * every writer does with a provider's reasoning it cannot send back.
 */

#include <string.h>

#include "llm_xlate_int.h"


static int
llm_tx_media_ok(const json_t *part)
{
    return 0;                           /* a prompt is text only */
}


/* the parts of one message, concatenated, appended to prompt */
static int
llm_tx_append_turn(llm_xl_ctx_t *c, llm_buf_t *prompt, const json_t *parts)
{
    size_t       i, start;
    json_t      *p, *text;
    const char  *t;

    start = prompt->len;

    if (start && llm_buf_append(prompt, "\n\n", 2) != 0) {
        return llm_xl_error(c, "out of memory");
    }

    json_array_foreach(parts, i, p) {
        t = llm_xl_str(p, "type");

        if (t && strcmp(t, "text") == 0) {
            text = json_object_get(p, "text");

            if (llm_buf_append(prompt, json_string_value(text),
                               json_string_length(text))
                != 0)
            {
                return llm_xl_error(c, "out of memory");
            }

        } else if (t && (strcmp(t, "tool_call") == 0
                         || strcmp(t, "tool_result") == 0))
        {
            if (llm_xl_unsupported(c, strcmp(t, "tool_call") == 0
                                      ? "tool calls" : "tool results",
                                   "a prompt is text only")
                != 0)
            {
                return -1;
            }
        }
    }

    if (prompt->len == start + 2 && start) {
        prompt->len = start;            /* a turn without text */
        prompt->data[start] = '\0';
    }

    return 0;
}


static int
llm_tx_refuse(llm_xl_ctx_t *c, const json_t *ir)
{
    static const struct {
        const char  *key;
        const char  *field;
        const char  *why;
    }  refused[] = {
        { "tools", "tools", "a text completion cannot call tools" },
        { "response_format", "response_format", NULL },
        { "thinking", "thinking", NULL },
        { "top_k", "top_k", NULL },
    };
    size_t         i;
    const char    *t;
    const json_t  *v;

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        v = json_object_get(ir, refused[i].key);

        if (v == NULL || (json_is_array(v) && json_array_size(v) == 0)) {
            continue;
        }

        if (llm_xl_unsupported(c, refused[i].field, refused[i].why) != 0) {
            return -1;
        }
    }

    /* "auto" and "none" ask nothing a prompt cannot give; neither does
       parallel_tool_calls without tools */
    t = llm_xl_str(json_object_get(ir, "tool_choice"), "type");
    if (t && (strcmp(t, "required") == 0 || strcmp(t, "tool") == 0)
        && llm_xl_unsupported(c, "tool_choice", "a text completion cannot "
                              "call tools") != 0)
    {
        return -1;
    }

    v = json_object_get(ir, "n");

    if (json_is_integer(v) && json_integer_value(v) > 1
        && llm_xl_unsupported(c, "n > 1", "across API formats") != 0)
    {
        return -1;
    }

    return 0;
}


json_t *
llm_req_write_text(llm_xl_ctx_t *c, json_t *ir)
{
    size_t       i;
    json_t      *body, *m;
    llm_buf_t    prompt = LLM_BUF_INIT;
    const char  *model;

    if (llm_tx_refuse(c, ir) != 0
        || llm_xl_filter_media(c, ir, llm_tx_media_ok) != 0)
    {
        return NULL;
    }

    if (llm_tx_append_turn(c, &prompt, json_object_get(ir, "system")) != 0) {
        goto fail;
    }

    json_array_foreach(json_object_get(ir, "messages"), i, m) {
        if (llm_tx_append_turn(c, &prompt, json_object_get(m, "content"))
            != 0)
        {
            goto fail;
        }
    }

    body = json_object();
    model = c->o->model ? c->o->model : c->o->client_model;

    if (model) {
        json_object_set_new(body, "model", json_string(model));
    }

    json_object_set_new(body, "prompt",
                        json_stringn(prompt.data ? prompt.data : "",
                                     prompt.len));
    llm_buf_free(&prompt);

    /* without one the provider stops after 16 tokens */
    if (json_object_get(ir, "max_tokens")) {
        llm_xl_copy(body, "max_tokens", ir, "max_tokens");

    } else if (c->o->default_max_tokens > 0) {
        json_object_set_new(body, "max_tokens",
                            json_integer(c->o->default_max_tokens));
    }

    llm_xl_copy(body, "logprobs", ir, "logprobs");
    llm_xl_openai_common(c, body, ir);

    return body;

fail:

    llm_buf_free(&prompt);
    return NULL;
}
