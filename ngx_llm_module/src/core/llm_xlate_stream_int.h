/*
 * Internals of the stream translator.  A decoder per provider format turns
 * each upstream SSE event into calls of the llm_sx_* functions below; an
 * encoder per client format turns those calls into client SSE bytes, keeping
 * whatever state the client's protocol needs (open content blocks, tool
 * indexes, pending tool arguments).
 */

#ifndef LLM_XLATE_STREAM_INT_H
#define LLM_XLATE_STREAM_INT_H

#include "llm_sse.h"
#include "llm_eventstream.h"
#include "llm_xlate_int.h"

typedef enum {
    LLM_SX_NONE = 0,
    LLM_SX_TEXT,
    LLM_SX_THINKING,
    LLM_SX_TOOL
} llm_sx_block_t;

typedef struct {
    long        key;           /* the decoder's id for the call */
    int         index;         /* the client's index (OpenAI tool_calls) */
    int         closed;
    char       *id;
    char       *name;          /* as the client knows it (restored) */
    llm_buf_t   args;          /* buffered arguments (Gemini clients) */
} llm_sx_tool_t;

struct llm_stream_xlate_s {
    llm_api_t           from, to;
    llm_xlate_opts_t    o;
    llm_sse_parser_t    sse;
    llm_evs_parser_t    evs;          /* Bedrock: event-stream framing */
    llm_buf_t          *out;          /* where the current feed writes */
    llm_usage_t         usage;
    long long           created;
    char                id[80];       /* the upstream's message id */
    char                model[128];   /* the upstream's model name */

    json_t             *client_tools; /* for restoring shortened names */
    int                 client_tools_loaded;

    unsigned            started:1;    /* client preamble written */
    unsigned            ended:1;      /* client end (or error) written */
    unsigned            finish_sent:1;

    llm_stop_t          stop;
    char               *stop_sequence;

    /* encoder state */
    llm_sx_block_t      block;        /* open Anthropic block */
    int                 block_index;  /* next Anthropic block index */
    long                block_tool;   /* key of the tool in the open block */

    llm_sx_tool_t      *tools;
    size_t              ntools, tools_cap;
    int                 gm_calls;     /* Gemini decoder: calls seen */

    /* Responses encoder: x->block is the open item's kind */
    long long           rs_seq;       /* next sequence_number */
    json_t             *rs_items;     /* output items done so far */
    llm_buf_t           rs_text;      /* the open item's text or args */
    llm_buf_t           rs_sig;       /* the open reasoning's signature */
    char                rs_id[96];    /* resp_... */
    char                rs_item_id[128];
    json_t             *rs_final;     /* the completed response object */
};

/* decoder -> encoder events */
void llm_sx_text(llm_stream_xlate_t *x, const char *s, size_t len);
void llm_sx_thinking(llm_stream_xlate_t *x, const char *s, size_t len);
void llm_sx_signature(llm_stream_xlate_t *x, const char *s, size_t len);
void llm_sx_tool_start(llm_stream_xlate_t *x, long key, const char *id,
                       const char *name);
void llm_sx_tool_args(llm_stream_xlate_t *x, long key, const char *s,
                      size_t len);
void llm_sx_block_end(llm_stream_xlate_t *x);
/* a provider's citation of the request's documents (Cohere's) */
void llm_sx_citation(llm_stream_xlate_t *x, json_t *citation);
void llm_sx_finish(llm_stream_xlate_t *x, llm_stop_t stop,
                   const char *stop_sequence);
void llm_sx_error(llm_stream_xlate_t *x, int status, const char *message);
void llm_sx_end(llm_stream_xlate_t *x);

llm_sx_tool_t *llm_sx_find_tool(llm_stream_xlate_t *x, long key);

/* decoders: one upstream event's data */
void llm_sx_decode_openai(llm_stream_xlate_t *x, json_t *ev);
void llm_sx_decode_anthropic(llm_stream_xlate_t *x, json_t *ev);
void llm_sx_decode_gemini(llm_stream_xlate_t *x, json_t *ev);
void llm_sx_decode_cohere(llm_stream_xlate_t *x, json_t *ev);
void llm_sx_decode_text(llm_stream_xlate_t *x, json_t *ev);
/* Bedrock: one event-stream message */
void llm_sx_decode_bedrock(llm_stream_xlate_t *x, const llm_evs_message_t *m);

/* encoders (one file per client format) */
void llm_sx_openai_event(llm_stream_xlate_t *x, json_t *delta,
                         const char *finish);
void llm_sx_openai_end(llm_stream_xlate_t *x);
void llm_sx_anthropic_emit(llm_stream_xlate_t *x, const char *event,
                           json_t *data);
void llm_sx_anthropic_start(llm_stream_xlate_t *x);
void llm_sx_anthropic_close_block(llm_stream_xlate_t *x);
void llm_sx_anthropic_open_block(llm_stream_xlate_t *x, llm_sx_block_t kind,
                                 json_t *block);
void llm_sx_anthropic_end(llm_stream_xlate_t *x);
void llm_sx_gemini_parts(llm_stream_xlate_t *x, json_t *parts);
void llm_sx_gemini_flush_tools(llm_stream_xlate_t *x);
void llm_sx_gemini_end(llm_stream_xlate_t *x);

void llm_sx_responses_start(llm_stream_xlate_t *x);
void llm_sx_responses_open(llm_stream_xlate_t *x, llm_sx_block_t kind,
                           long tool);
void llm_sx_responses_close(llm_stream_xlate_t *x);
void llm_sx_responses_delta(llm_stream_xlate_t *x, llm_sx_block_t kind,
                            const char *s, size_t len);
void llm_sx_responses_signature(llm_stream_xlate_t *x, const char *s,
                                size_t len);
void llm_sx_responses_end(llm_stream_xlate_t *x);
void llm_sx_responses_fail(llm_stream_xlate_t *x, int status,
                           const char *message);

void llm_sx_write_json(llm_stream_xlate_t *x, const char *event, json_t *data);

#endif
