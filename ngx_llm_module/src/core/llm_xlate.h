/*
 * llm_xlate: translation between the three client/provider wire formats,
 * OpenAI chat completions, Anthropic Messages and Gemini generateContent,
 * for request bodies, non-streaming responses, SSE streams and error bodies.
 * Plain C + jansson; every result is appended to an llm_buf_t the caller
 * owns (and frees).  docs/translation.md has the full field matrix.
 *
 * Same-format traffic (OpenAI->OpenAI, Anthropic->Anthropic, Gemini->Gemini)
 * is forwarded by the module untouched; it only needs llm_usage_from_json()
 * and the error helpers from here.
 */

#ifndef LLM_XLATE_H
#define LLM_XLATE_H

#include <stddef.h>

#include "llm_buf.h"
#include "llm_provider.h"

typedef enum {
    LLM_API_OPENAI = 0,
    LLM_API_ANTHROPIC,
    LLM_API_GEMINI,
    LLM_API_RESPONSES,          /* OpenAI Responses API: a client format;
                                   as a provider it is only passed through
                                   (OpenAI, Azure), never translated to */
    LLM_API_BEDROCK,            /* Bedrock Converse: a provider format only,
                                   never a client's */
    LLM_API_COHERE,             /* Cohere v2 chat: a provider format only */
    LLM_API_OPENAI_TEXT         /* OpenAI's legacy /v1/completions: a
                                   provider format only (chat requests
                                   rendered as one prompt); its errors and
                                   usage are OpenAI's */
} llm_api_t;

/* formats translated both ways (client and provider) */
#define LLM_API_COUNT         3
/* formats a client can speak: those and Responses */
#define LLM_API_CLIENT_COUNT  4
/* every format: the size of a table indexed by format */
#define LLM_API_NFORMATS      7

/* a format the gateway translates requests to (a provider's) */
#define llm_api_is_provider(api)                                             \
    ((unsigned) (api) < LLM_API_COUNT || (api) == LLM_API_BEDROCK             \
     || (api) == LLM_API_COHERE || (api) == LLM_API_OPENAI_TEXT)

/*
 * Token usage in OpenAI's terms, whatever the provider reported:
 *   prompt_tokens      all input tokens, cached ones included (Anthropic's
 *                      input_tokens + cache_read + cache_creation);
 *   completion_tokens  all output tokens, reasoning included (Gemini's
 *                      candidatesTokenCount + thoughtsTokenCount);
 *   cache_read_tokens, cache_creation_tokens  parts of prompt_tokens;
 *   reasoning_tokens   part of completion_tokens.
 */
typedef struct {
    long long  prompt_tokens, completion_tokens, total_tokens;
    long long  cache_read_tokens, cache_creation_tokens, reasoning_tokens;
    int        present;            /* provider reported usage */
} llm_usage_t;

typedef struct {
    const char *model;            /* provider-side model name to put in the request
                                     (ignored for Gemini targets: it is in the URL) */
    const char *client_model;     /* name the client asked for; echoed in responses */
    int         stream;           /* client asked for a stream (for a Gemini client:
                                     the URL was :streamGenerateContent) */
    int         drop_params;      /* LLM_DROP_*: what to do with a field the
                                     target cannot express */
    long long   default_max_tokens; /* for Anthropic targets when the client gave none
                                     (0 = 4096) */
    int         include_usage;    /* OpenAI client sent stream_options.include_usage:
                                     streams to it end with a usage chunk */
    const char *client_request;   /* the client's request body (optional): used to
                                     restore tool names that were shortened for an
                                     OpenAI target (> 64 chars) */
    size_t      client_request_len;
    const char *response_id;      /* Responses clients: the id to give the
                                     answer (NULL: derived from the
                                     provider's id) */
    llm_buf_t  *dropped;          /* optional: the names of the fields taken
                                     out are appended, comma-separated */
    const char *anthropic_version; /* Anthropic targets on a cloud (Vertex
                                     AI): the body's "anthropic_version";
                                     with no_model, the body names no
                                     model (the URL does) */
    int         no_model;
} llm_xlate_opts_t;

/*
 * drop_params.  The classes of fields are a table in llm_xlate_drop.c
 * (docs/translation.md lists it): a sampling hint (top_k, seed, penalties,
 * logprobs ...) changes how an answer is drawn, not what it means; every
 * other field the target cannot express (a JSON schema, n > 1, media)
 * would change the answer's meaning.
 *   NONE   drop_params: false  every such field is a 400;
 *   ALL    drop_params: true   every such field is dropped;
 *   HINTS  not set (default)   hints are dropped, the others are a 400.
 * A zeroed llm_xlate_opts_t is strict (NONE).
 */
#define LLM_DROP_NONE   0
#define LLM_DROP_ALL    1
#define LLM_DROP_HINTS  2

/*
 * Request body in `from` format -> body in `to` format.  0 ok; -1 with a
 * message in err: a client error (answer 400), e.g. invalid JSON, a missing
 * field, or a field the target cannot express while drop_params is off.
 * With from == to the body is re-serialized with the model replaced.
 */
int llm_xlate_request(llm_api_t from, llm_api_t to, const char *in, size_t len,
    const llm_xlate_opts_t *o, llm_buf_t *out, char *err, size_t errlen);

/*
 * Non-streaming response body: provider format `from` -> client format `to`,
 * usage extracted into *usage (may be NULL).  0 ok; -1 when the body is not
 * a response of that format (the caller answers 502).
 */
int llm_xlate_response(llm_api_t from, llm_api_t to, const char *in, size_t len,
    const llm_xlate_opts_t *o, llm_buf_t *out, llm_usage_t *usage);

/*
 * Usage from a same-format response body or one SSE event's data without
 * translating.  Fields the document reports overwrite those in *u, others
 * are left alone, so calling it for every event of a stream accumulates the
 * final numbers (Anthropic: message_start then message_delta).  Returns 1
 * when the document carried usage, 0 when not, -1 when not JSON.
 */
int llm_usage_from_json(llm_api_t api, const char *in, size_t len, llm_usage_t *u);

/*
 * Streaming: provider SSE bytes in `from` format -> client SSE bytes in `to`
 * format, incrementally: each complete upstream event is translated as soon
 * as it arrives; nothing waits for the end of the stream.
 */
typedef struct llm_stream_xlate_s llm_stream_xlate_t;

/* NULL on allocation failure.  `o` is copied (its strings are not: they
   must outlive the translator). */
llm_stream_xlate_t *llm_stream_xlate_new(llm_api_t from, llm_api_t to,
    const llm_xlate_opts_t *o);
/* 0 ok; -1 when the upstream stream is malformed (an event over the size
   limit); the caller then calls llm_stream_xlate_fail(). */
int  llm_stream_xlate_feed(llm_stream_xlate_t *x, const char *data, size_t len,
    llm_buf_t *out);
/* upstream ended: close open blocks/events if the provider did not, and
   write the client's end of stream ([DONE], message_stop).  0 or -1. */
int  llm_stream_xlate_finish(llm_stream_xlate_t *x, llm_buf_t *out);
/* mid-stream failure (upstream broke, timeout): the client's error event */
void llm_stream_xlate_fail(llm_stream_xlate_t *x, const char *message,
    llm_buf_t *out);
void llm_stream_xlate_usage(const llm_stream_xlate_t *x, llm_usage_t *u);
void llm_stream_xlate_free(llm_stream_xlate_t *x);
/* a Responses client's stream that completed (or ended incomplete): the
   final response object, appended to out; -1 when there is none */
int  llm_stream_xlate_response(const llm_stream_xlate_t *x, llm_buf_t *out);

/*
 * An error body in the client's format.  `type` may be NULL (derived from
 * the status), `param` may be NULL.
 *   OpenAI    {"error":{"message","type","param","code":"<status>"}}
 *   Anthropic {"type":"error","error":{"type","message"}}
 *   Gemini    {"error":{"code":N,"message","status":"INVALID_ARGUMENT"...}}
 */
void llm_error_body(llm_api_t api, int status, const char *type,
    const char *message, const char *param, llm_buf_t *out);

/* a provider's error body (any format, possibly not JSON) -> the client's
   format, keeping the provider's message */
void llm_xlate_error(llm_api_t from, llm_api_t to, int status, const char *in,
    size_t len, llm_buf_t *out);

/* input-token estimate for a request in `api` format (count_tokens when the
   target cannot count): see docs/translation.md for the heuristic */
long long llm_estimate_tokens(llm_api_t api, const char *in, size_t len);

/*
 * Gemini embedContent (batch 0) or batchEmbedContents (batch 1) request ->
 * an OpenAI /v1/embeddings body for `model`; the hints dropped (task_type,
 * title) are appended to *dropped (may be NULL).  0 ok; -1 with a message
 * in err: a client error (a part that is not text, no content).
 */
int llm_xlate_embed_request(const char *in, size_t len, int batch,
    const char *model, llm_buf_t *out, llm_buf_t *dropped, char *err,
    size_t errlen);

/* OpenAI embeddings response -> Gemini's; usage into *usage (may be NULL).
   -1 when the body is not such a response (the caller answers 502). */
int llm_xlate_embed_response(const char *in, size_t len, int batch,
    llm_buf_t *out, llm_usage_t *usage);

/*
 * OpenAI's /v1/embeddings to a provider's own embeddings API: Cohere's
 * /v2/embed (texts, input_type default "search_document", embedding_types
 * float), Vertex AI's :predict (instances, parameters.outputDimensionality).
 * llm_xlate_embed_wire() says whether wire has one.
 */
int llm_xlate_embed_wire(llm_wire_t wire);

/* The provider's body for `model`.  0 ok; -1 with a message in err: a
   client error (token arrays, no input, a bad dimensions). */
int llm_xlate_embed_request_to(llm_wire_t wire, const char *in, size_t len,
    const char *model, llm_buf_t *out, char *err, size_t errlen);

/*
 * The provider's answer -> OpenAI's embedding list, as floats or, when
 * the client's request (may be NULL) asked encoding_format "base64", as
 * base64 of little-endian float32s; usage into *usage (may be NULL).
 * -1 when the body is not such an answer.
 */
int llm_xlate_embed_response_from(llm_wire_t wire, const char *in,
    size_t len, const char *client_request, size_t client_len,
    const char *client_model, llm_buf_t *out, llm_usage_t *usage);

/*
 * The HTTP status Bedrock answers an exception with, by its name
 * ("ThrottlingException" in a header, "throttlingException" in a
 * stream); 500 for one it does not know.
 */
int llm_bedrock_exception_status(const char *name, size_t len);

/* "openai" | "anthropic" | "gemini" | "responses" -> api, -1 when unknown */
int llm_api_from_name(const char *name);
const char *llm_api_name(llm_api_t api);

#endif
