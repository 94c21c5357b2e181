/*
 * Internals shared by the llm_xlate_*.c files (not for the module).
 *
 * Every translation goes through a neutral intermediate representation (IR):
 * three readers turn a format into the IR and three writers turn the IR into
 * a format, so 3+3 pieces cover all six directions, and what one format can
 * say but another cannot is decided in exactly one place (the writer).
 *
 * Readers exist for the four client formats (Responses included), writers
 * for the three provider formats; Responses as a provider is passthrough.
 *
 * Request IR (a jansson object):
 *   system        [ {type:"text", text, cache_control?} ]
 *   messages      [ {role:"user"|"assistant", content:[part]} ]
 *   tools         [ {name, description?, parameters?, cache_control?} ]
 *   tool_choice   {type:"auto"|"none"|"required"|"tool", name?}
 *   parallel_tool_calls  bool
 *   max_tokens, temperature, top_p, top_k, stop:[str], n, seed,
 *   presence_penalty, frequency_penalty, response_format (OpenAI shape),
 *   thinking      {budget_tokens}      (absent: no thinking asked for)
 *   reasoning_effort  "low"|"medium"|"high" (as the client said it, if OpenAI)
 *   user          string
 * Parts:
 *   {type:"text", text, cache_control?}
 *   {type:"media", media_type, data(base64)} | {type:"media", media_type?, url}
 *   {type:"tool_call", id, name, input(any JSON)}
 *   {type:"tool_result", id, name?, content:[text|media], is_error?}
 *   {type:"thinking", thinking, signature?}
 *   {type:"redacted_thinking", data}
 *
 * Response IR: {id, model, content:[text|thinking|redacted_thinking|tool_call],
 *   stop:"end"|"length"|"tool_calls"|"stop_sequence"|"content_filter",
 *   stop_sequence?} with usage in an llm_usage_t beside it.
 */

#ifndef LLM_XLATE_INT_H
#define LLM_XLATE_INT_H

#include <jansson.h>

#include "llm_xlate.h"

/* jansson flags for every body we emit: compact, keys in insertion order,
   reals printed short (0.7, not 0.69999999999999996) */
#define LLM_XL_DUMP_FLAGS  (JSON_COMPACT | JSON_REAL_PRECISION(15))
#define LLM_XL_LOAD_FLAGS  (JSON_ALLOW_NUL)

/* OpenAI's limit on function names */
#define LLM_XL_TOOL_NAME_MAX  64

/* one translation's context: options and where to report a client error */
typedef struct {
    const llm_xlate_opts_t  *o;
    llm_api_t                from, to;
    char                    *err;
    size_t                   errlen;
} llm_xl_ctx_t;

/* canonical stop reasons */
typedef enum {
    LLM_STOP_NONE = 0,
    LLM_STOP_END,
    LLM_STOP_LENGTH,
    LLM_STOP_TOOL_CALLS,
    LLM_STOP_STOP_SEQUENCE,
    LLM_STOP_CONTENT_FILTER
} llm_stop_t;

/* --- util --- */
int  llm_xl_error(llm_xl_ctx_t *c, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* a field the target cannot express: 0 (dropped) with drop_params, else -1 */
int  llm_xl_unsupported(llm_xl_ctx_t *c, const char *field, const char *why);
/*
 * Each top-level field of the client's body that is in neither list and is
 * not null: llm_xl_unsupported() (dropped with drop_params, else -1).
 */
int  llm_xl_check_fields(llm_xl_ctx_t *c, const json_t *body,
    const char *const *known, size_t nknown, const char *const *more,
    size_t nmore);
/*
 * The OpenAI sampling fields Anthropic's and Bedrock's APIs have no word
 * for (presence/frequency penalties, seed, response_format, n > 1): each
 * one in the IR goes through llm_xl_unsupported(); -1 when one is refused.
 */
int  llm_xl_refuse_openai_only(llm_xl_ctx_t *c, const json_t *ir);
const char *llm_xl_str(const json_t *obj, const char *key);
int  llm_xl_dump(const json_t *j, llm_buf_t *out);
/* set key to a new reference, ignoring NULL values */
void llm_xl_set(json_t *obj, const char *key, json_t *v);
void llm_xl_copy(json_t *dst, const char *dkey, const json_t *src,
                 const char *skey);
void llm_xl_part_text(json_t *content, const char *text, size_t len,
                      const json_t *cache_control);
/*
 * A function tool's definition (name, description, parameters of fn) as an
 * IR tool; NULL after llm_xl_error() when fn has no name ("where" names the
 * field in the message, e.g. "tools[0].function.name").
 */
json_t *llm_xl_function_tool(llm_xl_ctx_t *c, const json_t *fn,
                             const char *where, size_t i);
/* tool_choice given as a mode string (auto, none, required) -> IR */
int  llm_xl_tool_choice_mode(llm_xl_ctx_t *c, const char *mode, json_t *ir);
/* "data:<mt>;base64,<data>" -> media part; NULL when not a data URL */
json_t *llm_xl_media_from_url(const char *url);
/* media part -> "data:..." URL or its url (new string) */
char *llm_xl_media_to_url(const json_t *part);
/* media parts `ok` refuses are dropped (drop_params) or an error */
typedef int (*llm_xl_media_ok_fn)(const json_t *media_part);
int  llm_xl_filter_media(llm_xl_ctx_t *c, json_t *ir, llm_xl_media_ok_fn ok);
/* all text parts joined with sep; NULL when there are none */
char *llm_xl_join_text(const json_t *content, const char *sep);
json_t *llm_xl_chat_body(const llm_xl_ctx_t *c, const json_t *ir,
    json_t **msgs);
/* sampling fields, user and stream (with include_usage) of OpenAI's chat
   and text completions bodies */
void llm_xl_openai_common(const llm_xl_ctx_t *c, json_t *body,
    const json_t *ir);
int  llm_xl_tool_name_is_short(const char *name);
/* name shortened to OpenAI's 64 chars (or itself); writes into buf[65] */
const char *llm_xl_tool_name_short(const char *name, char *buf);
/* shortened name -> the original, looked up in the client's request tools */
const char *llm_xl_tool_name_restore(const char *name, const json_t *client_tools);
json_t *llm_xl_client_tools(llm_api_t api, const char *in, size_t len);
/*
 * A Responses namespace tool (an MCP server, Codex's multi_agent_v1) groups
 * function tools; translated, each member is one function tool named
 * <namespace>__<name>.  llm_xl_tool_qualified() makes that name (a JSON
 * string); llm_xl_tool_namespace() finds it in the client's tools and
 * gives the namespace (NULL when `full` is no member's) and *name.
 */
#define LLM_XL_NS_SEP  "__"
/* a call name that may be a namespace member's (to a Responses client) */
#define llm_xl_tool_name_in_ns(name, to)                                     \
    ((to) == LLM_API_RESPONSES && strstr((name), LLM_XL_NS_SEP) != NULL)
json_t *llm_xl_tool_qualified(const char *ns, const char *name);
const char *llm_xl_tool_namespace(const json_t *client_tools,
                                  const char *full, const char **name);
/* the model name to echo to the client */
const char *llm_xl_client_model(const llm_xlate_opts_t *o, const char *fallback);
char *llm_xl_strdup(const char *s);
/* copy into dst[size], truncated without splitting a UTF-8 character */
void llm_xl_copy_utf8(char *dst, size_t size, const char *src);
void llm_xl_gen_id(char *buf, size_t size, const char *prefix);
long long llm_xl_effort_budget(const char *effort);

llm_stop_t  llm_stop_from_openai(const char *s);
llm_stop_t  llm_stop_from_anthropic(const char *s);
llm_stop_t  llm_stop_from_gemini(const char *s);
const char *llm_stop_to_openai(llm_stop_t s);
const char *llm_stop_to_anthropic(llm_stop_t s);
const char *llm_stop_to_gemini(llm_stop_t s);
const char *llm_stop_name(llm_stop_t s);
llm_stop_t  llm_stop_from_name(const char *s);

/* --- usage --- */
int  llm_usage_read(llm_api_t api, const json_t *doc, llm_usage_t *u);
/* Bedrock's and Cohere's usage object (always parsed: their answers are
   translated); 1 when it had counts */
int  llm_usage_read_tree(llm_api_t api, const json_t *usage, llm_usage_t *u);
json_t *llm_usage_openai(const llm_usage_t *u);
json_t *llm_usage_anthropic(const llm_usage_t *u);
json_t *llm_usage_gemini(const llm_usage_t *u);

/* --- request readers (format -> IR) and writers (IR -> format) --- */
json_t *llm_req_read_openai(llm_xl_ctx_t *c, json_t *body);
json_t *llm_req_read_anthropic(llm_xl_ctx_t *c, json_t *body);
json_t *llm_req_read_gemini(llm_xl_ctx_t *c, json_t *body);
json_t *llm_req_read_responses(llm_xl_ctx_t *c, json_t *body);
json_t *llm_req_write_openai(llm_xl_ctx_t *c, json_t *ir);
json_t *llm_req_write_anthropic(llm_xl_ctx_t *c, json_t *ir);
json_t *llm_req_write_gemini(llm_xl_ctx_t *c, json_t *ir);

/* --- response readers and writers --- */
json_t *llm_resp_read_openai(json_t *body, llm_usage_t *u);
json_t *llm_resp_read_anthropic(json_t *body, llm_usage_t *u);
json_t *llm_resp_read_gemini(json_t *body, llm_usage_t *u);
json_t *llm_resp_write_openai(const llm_xlate_opts_t *o, json_t *ir,
                              const llm_usage_t *u, const json_t *client_tools);
json_t *llm_resp_write_anthropic(const llm_xlate_opts_t *o, json_t *ir,
                                 const llm_usage_t *u, const json_t *client_tools);
json_t *llm_resp_write_gemini(const llm_xlate_opts_t *o, json_t *ir,
                              const llm_usage_t *u, const json_t *client_tools);
json_t *llm_resp_write_responses(const llm_xlate_opts_t *o, json_t *ir,
                                 const llm_usage_t *u,
                                 const json_t *client_tools);
/* Responses: the response object around the output, echoing the client's
   request (status "in_progress", "completed", ...; output left empty) */
json_t *llm_resp_responses_object(const llm_xlate_opts_t *o, const char *id,
                                  const char *model, long long created,
                                  const char *status);
/* Responses: the id of the response, from o->response_id or the
   provider's id; into buf */
void llm_resp_responses_id(const llm_xlate_opts_t *o, const char *upstream,
                           char *buf, size_t size);
/* Responses: one output item from response IR parts */
json_t *llm_resp_responses_message(const char *id, const char *text,
                                   size_t len, const char *status);
json_t *llm_resp_responses_reasoning(const char *id, const char *text,
                                     size_t len, const char *signature);
json_t *llm_resp_responses_call(const char *id, const char *call_id,
                                const char *name, const json_t *client_tools,
                                const char *args, size_t len,
                                const char *status);
void llm_resp_responses_item_id(char *buf, size_t size, const char *prefix,
                                const char *response_id, size_t n);
/* status "incomplete" with its reason for a length or content-filter stop */
void llm_resp_responses_status(json_t *r, llm_stop_t stop);
/* Responses usage object */
json_t *llm_usage_responses(const llm_usage_t *u);

/* --- Bedrock Converse (a provider format only) --- */
json_t *llm_req_write_bedrock(llm_xl_ctx_t *c, json_t *ir);
json_t *llm_resp_read_bedrock(json_t *body, llm_usage_t *u);
llm_stop_t llm_stop_from_bedrock(const char *s);

/* --- Cohere v2 chat (a provider format only) --- */
json_t *llm_req_write_cohere(llm_xl_ctx_t *c, json_t *ir);
json_t *llm_resp_read_cohere(json_t *body, llm_usage_t *u);
llm_stop_t llm_stop_from_cohere(const char *s);

/* --- OpenAI text completions (a provider format only) --- */
json_t *llm_req_write_text(llm_xl_ctx_t *c, json_t *ir);
json_t *llm_resp_read_text(json_t *body, llm_usage_t *u);

/*
 * --- a provider's own embeddings API (llm_xlate_embed_out.c) ---
 * body: the provider's request for the texts of the OpenAI request req
 * (validated: strings, dimensions a positive integer).  vectors: the
 * answer's vectors as a new array (each one an array of numbers), their
 * tokens and whether the answer counted them; NULL when resp is no such
 * answer.
 */
typedef json_t *(*llm_xl_embed_body_fn)(const json_t *req, json_t *texts,
                                        const char *model);
typedef json_t *(*llm_xl_embed_vectors_fn)(const json_t *resp,
                                           long long *tokens, int *counted);
json_t *llm_xl_embed_body_cohere(const json_t *req, json_t *texts,
                                 const char *model);
json_t *llm_xl_embed_vectors_cohere(const json_t *resp, long long *tokens,
                                    int *counted);
json_t *llm_xl_embed_body_vertex(const json_t *req, json_t *texts,
                                 const char *model);
json_t *llm_xl_embed_vectors_vertex(const json_t *resp, long long *tokens,
                                    int *counted);

/* --- errors --- */
const char *llm_error_type_openai(int status);
const char *llm_error_type_anthropic(int status);
const char *llm_error_status_gemini(int status);

#endif
