/*
 * Stream translation: the public llm_stream_xlate_* API, the SSE plumbing,
 * and the routing of decoded events to the client format's encoder.
 * Nothing waits for the end of the stream: every upstream event produces
 * its client bytes during the same feed call.  The only thing held back is
 * what a client protocol needs whole (a Gemini functionCall's arguments).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm_json_tree.h"
#include "llm_xlate_stream_int.h"

#define LLM_SX_MAX_EVENT  (16 * 1024 * 1024)

static int
llm_sx_on_event(void *arg, const char *event, size_t event_len,
                const char *data, size_t data_len)
{
    llm_stream_xlate_t  *x = arg;
    json_t              *ev;

    if (x->ended) {
        return 0;                       /* drain whatever follows */
    }
    if ((x->from == LLM_API_OPENAI || x->from == LLM_API_OPENAI_TEXT)
        && data_len == 6
        && memcmp(data, "[DONE]", 6) == 0)
    {
        llm_sx_end(x);
        return 0;
    }
    ev = llm_json_load(data, data_len, LLM_XL_LOAD_FLAGS, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);                /* not JSON: nothing to translate */
        return 0;
    }
    switch (x->from) {
    case LLM_API_OPENAI:    llm_sx_decode_openai(x, ev); break;
    case LLM_API_ANTHROPIC: llm_sx_decode_anthropic(x, ev); break;
    case LLM_API_GEMINI:    llm_sx_decode_gemini(x, ev); break;
    case LLM_API_COHERE:    llm_sx_decode_cohere(x, ev); break;
    case LLM_API_OPENAI_TEXT: llm_sx_decode_text(x, ev); break;
    default:                break;  /* refused by llm_stream_xlate_new() */
    }
    json_decref(ev);
    return 0;
}

static int
llm_sx_on_message(const llm_evs_message_t *m, void *arg)
{
    llm_stream_xlate_t  *x = arg;

    if (!x->ended) {
        llm_sx_decode_bedrock(x, m);
    }
    return 0;                           /* drain whatever follows */
}

llm_stream_xlate_t *
llm_stream_xlate_new(llm_api_t from, llm_api_t to, const llm_xlate_opts_t *o)
{
    llm_stream_xlate_t  *x;

    if (!llm_api_is_provider(from)
        || (unsigned) to >= LLM_API_CLIENT_COUNT)
    {
        return NULL;
    }
    x = calloc(1, sizeof(*x));
    if (x == NULL) {
        return NULL;
    }
    x->from = from;
    x->to = to;
    if (o) {
        x->o = *o;
    }
    x->created = (long long) time(NULL);
    x->block_tool = -1;
    llm_sse_init(&x->sse, LLM_SX_MAX_EVENT);
    llm_evs_init(&x->evs);
    return x;
}

int
llm_stream_xlate_feed(llm_stream_xlate_t *x, const char *data, size_t len,
                      llm_buf_t *out)
{
    int  rc;

    x->out = out;
    if (x->from == LLM_API_BEDROCK) {
        /* a bad CRC or frame: the caller ends the client's stream with
           an error event (llm_stream_xlate_fail) */
        rc = llm_evs_feed(&x->evs, data, len, llm_sx_on_message, x);
        x->out = NULL;
        return rc == LLM_EVS_OK ? 0 : -1;
    }
    rc = llm_sse_feed(&x->sse, data, len, llm_sx_on_event, x);
    x->out = NULL;
    return rc == LLM_SSE_OK ? 0 : -1;
}

int
llm_stream_xlate_finish(llm_stream_xlate_t *x, llm_buf_t *out)
{
    int  rc;

    x->out = out;
    if (x->from == LLM_API_BEDROCK) {
        /* a message cut short is a broken stream, not a finished one */
        rc = llm_evs_pending(&x->evs) ? LLM_SSE_ABORTED : LLM_SSE_OK;
    } else {
        rc = llm_sse_finish(&x->sse, llm_sx_on_event, x);
    }
    if (!x->ended) {
        llm_sx_end(x);
    }
    x->out = NULL;
    return rc == LLM_SSE_OK ? 0 : -1;
}

void
llm_stream_xlate_fail(llm_stream_xlate_t *x, const char *message,
                      llm_buf_t *out)
{
    x->out = out;
    if (!x->ended) {
        llm_sx_error(x, 502, message ? message : "upstream stream failed");
    }
    x->out = NULL;
}

void
llm_stream_xlate_usage(const llm_stream_xlate_t *x, llm_usage_t *u)
{
    *u = x->usage;
}

void
llm_stream_xlate_free(llm_stream_xlate_t *x)
{
    size_t  i;

    if (x == NULL) {
        return;
    }
    for (i = 0; i < x->ntools; i++) {
        free(x->tools[i].id);
        free(x->tools[i].name);
        llm_buf_free(&x->tools[i].args);
    }
    free(x->tools);
    free(x->stop_sequence);
    json_decref(x->client_tools);
    json_decref(x->rs_items);
    json_decref(x->rs_final);
    llm_buf_free(&x->rs_text);
    llm_buf_free(&x->rs_sig);
    llm_sse_free(&x->sse);
    llm_evs_free(&x->evs);
    free(x);
}

/* -------------------------------------------------- output helpers */

/*
 * The bytes llm_sse_write() would write for the compact dump of data, but
 * dumped in place: compact JSON has no line breaks (strings escape them),
 * so the document is always one data: line and needs no copy or scan.
 */
void
llm_sx_write_json(llm_stream_xlate_t *x, const char *event, json_t *data)
{
    llm_buf_t  *out = x->out;
    size_t      saved;

    if (data == NULL || out == NULL) {
        json_decref(data);
        return;
    }
    saved = out->len;
    if ((event
         && (llm_buf_append(out, "event: ", 7) != 0
             || llm_buf_append_str(out, event) != 0
             || llm_buf_append(out, "\n", 1) != 0))
        || llm_buf_append(out, "data: ", 6) != 0
        || llm_json_dump_buf(data, LLM_XL_DUMP_FLAGS, out) != 0
        || llm_buf_append(out, "\n\n", 2) != 0)
    {
        /* no half-written event, as when json_dumps() failed */
        out->len = saved;
        if (out->data) {
            out->data[saved] = '\0';
        }
    }
    json_decref(data);
}

llm_sx_tool_t *
llm_sx_find_tool(llm_stream_xlate_t *x, long key)
{
    size_t  i;

    for (i = 0; i < x->ntools; i++) {
        if (x->tools[i].key == key) {
            return &x->tools[i];
        }
    }
    return NULL;
}

static const char *
llm_sx_restore_name(llm_stream_xlate_t *x, const char *name)
{
    /* a shortened name, or (to a Responses client) perhaps a member of a
       namespace tool: both are found in the client's tools */
    if (!llm_xl_tool_name_is_short(name)
        && !llm_xl_tool_name_in_ns(name, x->to))
    {
        return name;
    }
    if (!x->client_tools_loaded) {
        x->client_tools_loaded = 1;
        x->client_tools = llm_xl_client_tools(x->to, x->o.client_request,
                                              x->o.client_request_len);
    }
    return llm_xl_tool_name_restore(name, x->client_tools);
}

/* -------------------------------------------------- events */

void
llm_sx_text(llm_stream_xlate_t *x, const char *s, size_t len)
{
    if (x->ended || len == 0) {
        return;
    }
    switch (x->to) {
    case LLM_API_OPENAI:
        llm_sx_openai_event(x, json_pack("{s:s%}", "content", s, len), NULL);
        break;
    case LLM_API_ANTHROPIC:
        if (x->block != LLM_SX_TEXT) {
            llm_sx_anthropic_open_block(x, LLM_SX_TEXT,
                json_pack("{s:s,s:s}", "type", "text", "text", ""));
        }
        llm_sx_anthropic_emit(x, "content_block_delta",
            json_pack("{s:s,s:i,s:{s:s,s:s%}}", "type", "content_block_delta",
                      "index", x->block_index - 1, "delta", "type",
                      "text_delta", "text", s, len));
        break;
    case LLM_API_GEMINI:
        llm_sx_gemini_flush_tools(x);
        llm_sx_gemini_parts(x, json_pack("[{s:s%}]", "text", s, len));
        break;
    case LLM_API_RESPONSES:
        llm_sx_responses_delta(x, LLM_SX_TEXT, s, len);
        break;
    default:                /* never a client format */
        break;
    }
}

void
llm_sx_thinking(llm_stream_xlate_t *x, const char *s, size_t len)
{
    if (x->ended || len == 0) {
        return;
    }
    switch (x->to) {
    case LLM_API_OPENAI:
        llm_sx_openai_event(x, json_pack("{s:s%}", "reasoning_content", s,
                                         len), NULL);
        break;
    case LLM_API_ANTHROPIC:
        if (x->block != LLM_SX_THINKING) {
            llm_sx_anthropic_open_block(x, LLM_SX_THINKING,
                json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking", "",
                          "signature", ""));
        }
        llm_sx_anthropic_emit(x, "content_block_delta",
            json_pack("{s:s,s:i,s:{s:s,s:s%}}", "type", "content_block_delta",
                      "index", x->block_index - 1, "delta", "type",
                      "thinking_delta", "thinking", s, len));
        break;
    case LLM_API_GEMINI:
        llm_sx_gemini_flush_tools(x);
        llm_sx_gemini_parts(x, json_pack("[{s:s%,s:b}]", "text", s, len,
                                         "thought", 1));
        break;
    case LLM_API_RESPONSES:
        llm_sx_responses_delta(x, LLM_SX_THINKING, s, len);
        break;
    default:                /* never a client format */
        break;
    }
}

void
llm_sx_signature(llm_stream_xlate_t *x, const char *s, size_t len)
{
    /* only Anthropic clients can use a signature (Responses clients get
       it as the reasoning item's encrypted_content, to send it back), and
       only right after the thinking it signs */
    if (x->ended || len == 0 || x->block != LLM_SX_THINKING) {
        return;
    }
    if (x->to == LLM_API_RESPONSES) {
        llm_sx_responses_signature(x, s, len);
        return;
    }
    if (x->to != LLM_API_ANTHROPIC) {
        return;
    }
    llm_sx_anthropic_emit(x, "content_block_delta",
        json_pack("{s:s,s:i,s:{s:s,s:s%}}", "type", "content_block_delta",
                  "index", x->block_index - 1, "delta", "type",
                  "signature_delta", "signature", s, len));
}

void
llm_sx_tool_start(llm_stream_xlate_t *x, long key, const char *id,
                  const char *name)
{
    llm_sx_tool_t  *t;
    char            idbuf[48];

    if (x->ended || llm_sx_find_tool(x, key)) {
        return;
    }
    if (x->to == LLM_API_GEMINI) {
        /* providers stream calls one after the other: a new call means the
           previous ones have all their arguments */
        llm_sx_gemini_flush_tools(x);
    }
    if (x->ntools == x->tools_cap) {
        size_t          cap = x->tools_cap ? x->tools_cap * 2 : 8;
        llm_sx_tool_t  *n = realloc(x->tools, cap * sizeof(*n));

        if (n == NULL) {
            return;
        }
        x->tools = n;
        x->tools_cap = cap;
    }
    if (id == NULL || *id == '\0') {
        /* Gemini gives no call ids: derive them from the response id so
           they are unique yet reproducible */
        if (x->id[0]) {
            char  rid[25];

            llm_xl_copy_utf8(rid, sizeof(rid), x->id);
            snprintf(idbuf, sizeof(idbuf), "%s%s_%zu",
                     x->to == LLM_API_ANTHROPIC ? "toolu_" : "call_", rid,
                     x->ntools);
        } else {
            llm_xl_gen_id(idbuf, sizeof(idbuf),
                          x->to == LLM_API_ANTHROPIC ? "toolu_" : "call_");
        }
        id = idbuf;
    }
    t = &x->tools[x->ntools];
    memset(t, 0, sizeof(*t));
    t->key = key;
    t->index = (int) x->ntools;
    t->id = llm_xl_strdup(id);
    t->name = llm_xl_strdup(llm_sx_restore_name(x, name ? name : ""));
    if (t->id == NULL || t->name == NULL) {
        free(t->id);
        free(t->name);
        return;
    }
    x->ntools++;

    switch (x->to) {
    case LLM_API_OPENAI:
        llm_sx_openai_event(x, json_pack("{s:[{s:i,s:s,s:s,s:{s:s,s:s}}]}",
            "tool_calls", "index", t->index, "id", t->id, "type", "function",
            "function", "name", t->name, "arguments", ""), NULL);
        break;
    case LLM_API_ANTHROPIC:
        llm_sx_anthropic_open_block(x, LLM_SX_TOOL,
            json_pack("{s:s,s:s,s:s,s:{}}", "type", "tool_use", "id", t->id,
                      "name", t->name, "input"));
        x->block_tool = key;
        break;
    case LLM_API_GEMINI:
        break;                  /* sent whole when its arguments are done */
    case LLM_API_RESPONSES:
        llm_sx_responses_open(x, LLM_SX_TOOL, key);
        break;
    default:                /* never a client format */
        break;
    }
}

void
llm_sx_tool_args(llm_stream_xlate_t *x, long key, const char *s, size_t len)
{
    llm_sx_tool_t  *t = llm_sx_find_tool(x, key);

    if (x->ended || t == NULL || len == 0) {
        return;
    }
    switch (x->to) {
    case LLM_API_OPENAI:
        llm_sx_openai_event(x, json_pack("{s:[{s:i,s:{s:s%}}]}", "tool_calls",
            "index", t->index, "function", "arguments", s, len), NULL);
        break;
    case LLM_API_ANTHROPIC:
        /* a block cannot be reopened: fragments for an earlier call after
           a later one started (not seen from real providers) are lost */
        if (x->block == LLM_SX_TOOL && x->block_tool == key) {
            llm_sx_anthropic_emit(x, "content_block_delta",
                json_pack("{s:s,s:i,s:{s:s,s:s%}}", "type",
                          "content_block_delta", "index", x->block_index - 1,
                          "delta", "type", "input_json_delta", "partial_json",
                          s, len));
        }
        break;
    case LLM_API_GEMINI:
        llm_buf_append(&t->args, s, len);
        break;
    case LLM_API_RESPONSES:
        /* as for Anthropic: an item cannot be reopened */
        if (x->block == LLM_SX_TOOL && x->block_tool == key) {
            llm_sx_responses_delta(x, LLM_SX_TOOL, s, len);
        }
    default:                /* never a client format */
        break;
    }
}

/* OpenAI clients get it in a chunk's delta, as message.citations in a
   whole answer; the other formats have no place for it */
void
llm_sx_citation(llm_stream_xlate_t *x, json_t *citation)
{
    if (!x->ended && x->to == LLM_API_OPENAI) {
        llm_sx_openai_event(x, json_pack("{s:[O]}", "citations", citation),
                            NULL);
    }
}

void
llm_sx_block_end(llm_stream_xlate_t *x)
{
    if (x->ended) {
        return;
    }
    if (x->to == LLM_API_ANTHROPIC) {
        llm_sx_anthropic_close_block(x);
    } else if (x->to == LLM_API_RESPONSES) {
        llm_sx_responses_close(x);
    } else if (x->to == LLM_API_GEMINI) {
        llm_sx_gemini_flush_tools(x);
    }
}

void
llm_sx_finish(llm_stream_xlate_t *x, llm_stop_t stop, const char *stop_seq)
{
    if (x->ended || stop == LLM_STOP_NONE) {
        return;
    }
    x->stop = stop;
    if (stop_seq && x->stop_sequence == NULL) {
        x->stop_sequence = llm_xl_strdup(stop_seq);
    }
    if (x->to == LLM_API_OPENAI && !x->finish_sent) {
        /* OpenAI clients see the finish reason at once; usage follows in
           its own chunk at the end */
        x->finish_sent = 1;
        llm_sx_openai_event(x, json_object(), llm_stop_to_openai(stop));
    } else if (x->to == LLM_API_GEMINI) {
        llm_sx_gemini_flush_tools(x);
    }
}

void
llm_sx_error(llm_stream_xlate_t *x, int status, const char *message)
{
    llm_buf_t   body = LLM_BUF_INIT;
    json_t     *j;

    if (x->ended || x->out == NULL) {
        return;
    }
    x->ended = 1;
    if (x->to == LLM_API_RESPONSES) {
        llm_sx_responses_fail(x, status, message);
        return;
    }
    llm_error_body(x->to, status, NULL, message, NULL, &body);
    if (x->to == LLM_API_ANTHROPIC) {
        /* the SDKs raise on this event whatever came before */
        llm_sse_write(x->out, "error", body.data, body.len);
    } else {
        /* OpenAI and Gemini clients get the error object as a data chunk,
           and then the stream stops: no [DONE], no finish */
        j = llm_json_load(body.data, body.len, 0, NULL);
        llm_sx_write_json(x, NULL, j);
    }
    llm_buf_free(&body);
}

void
llm_sx_end(llm_stream_xlate_t *x)
{
    if (x->ended) {
        return;
    }
    switch (x->to) {
    case LLM_API_OPENAI:    llm_sx_openai_end(x); break;
    case LLM_API_ANTHROPIC: llm_sx_anthropic_end(x); break;
    case LLM_API_GEMINI:    llm_sx_gemini_end(x); break;
    case LLM_API_RESPONSES: llm_sx_responses_end(x); break;
        break;
    default:                /* never a client format */
        break;
    }
    x->ended = 1;
}
