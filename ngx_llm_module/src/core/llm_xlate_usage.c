/*
 * Token usage: reading it from any format into llm_usage_t (OpenAI's
 * meaning, see llm_xlate.h) and writing it back in each format's shape.
 */

#include <string.h>

#include "llm_xlate_int.h"

/* overwrite *dst with an integer member when the document has one */
static int
llm_usage_int(const json_t *obj, const char *key, long long *dst)
{
    json_t  *v = json_object_get(obj, key);

    if (!json_is_integer(v)) {
        return 0;
    }
    *dst = json_integer_value(v);
    return 1;
}

static int
llm_usage_read_openai(const json_t *us, llm_usage_t *u)
{
    int  got = 0;

    got |= llm_usage_int(us, "prompt_tokens", &u->prompt_tokens);
    got |= llm_usage_int(us, "completion_tokens", &u->completion_tokens);
    if (!llm_usage_int(us, "total_tokens", &u->total_tokens) && got) {
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    llm_usage_int(json_object_get(us, "prompt_tokens_details"),
                  "cached_tokens", &u->cache_read_tokens);
    /* DeepSeek reports its cache hits beside the OpenAI fields */
    llm_usage_int(us, "prompt_cache_hit_tokens", &u->cache_read_tokens);
    /* OpenRouter / LiteLLM-style passthrough of Anthropic cache writes */
    llm_usage_int(us, "cache_creation_input_tokens", &u->cache_creation_tokens);
    llm_usage_int(json_object_get(us, "prompt_tokens_details"),
                  "cache_write_tokens", &u->cache_creation_tokens);
    llm_usage_int(json_object_get(us, "completion_tokens_details"),
                  "reasoning_tokens", &u->reasoning_tokens);
    return got;
}

/*
 * Anthropic splits input into uncached input_tokens and the two cache
 * counts; message_delta may repeat any subset of them.  Rebuild the total
 * from the three parts, keeping earlier values for the parts not repeated.
 */
static int
llm_usage_read_anthropic(const json_t *us, llm_usage_t *u)
{
    long long  input = u->prompt_tokens - u->cache_read_tokens
                       - u->cache_creation_tokens;
    int        got = 0;

    if (input < 0) {
        input = 0;
    }
    got |= llm_usage_int(us, "input_tokens", &input);
    got |= llm_usage_int(us, "cache_read_input_tokens", &u->cache_read_tokens);
    got |= llm_usage_int(us, "cache_creation_input_tokens",
                         &u->cache_creation_tokens);
    got |= llm_usage_int(us, "output_tokens", &u->completion_tokens);
    if (got) {
        u->prompt_tokens = input + u->cache_read_tokens
                           + u->cache_creation_tokens;
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    return got;
}

static int
llm_usage_read_gemini(const json_t *us, llm_usage_t *u)
{
    long long  prompt = 0, tool_prompt = 0, cand = 0, thoughts = 0;
    int        got;

    got = llm_usage_int(us, "promptTokenCount", &prompt);
    llm_usage_int(us, "toolUsePromptTokenCount", &tool_prompt);
    got |= llm_usage_int(us, "candidatesTokenCount", &cand);
    llm_usage_int(us, "thoughtsTokenCount", &thoughts);
    if (!got) {
        return 0;
    }
    /* Gemini reports cumulative numbers in every chunk: replace, not add */
    u->prompt_tokens = prompt + tool_prompt;
    u->completion_tokens = cand + thoughts;
    u->reasoning_tokens = thoughts;
    u->cache_read_tokens = 0;
    llm_usage_int(us, "cachedContentTokenCount", &u->cache_read_tokens);
    if (!llm_usage_int(us, "totalTokenCount", &u->total_tokens)) {
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    return 1;
}

int
llm_usage_read(llm_api_t api, const json_t *doc, llm_usage_t *u)
{
    const json_t  *us;
    int            got = 0;

    switch (api) {
    case LLM_API_OPENAI:
        us = json_object_get(doc, "usage");
        got = json_is_object(us) && llm_usage_read_openai(us, u);
        break;
    case LLM_API_ANTHROPIC:
        us = json_object_get(doc, "usage");
        if (!json_is_object(us)) {
            us = json_object_get(json_object_get(doc, "message"), "usage");
        }
        got = json_is_object(us) && llm_usage_read_anthropic(us, u);
        break;
    case LLM_API_GEMINI:
        us = json_object_get(doc, "usageMetadata");
        got = json_is_object(us) && llm_usage_read_gemini(us, u);
        break;
    }
    if (got) {
        u->present = 1;
    }
    return got;
}

int
llm_usage_from_json(llm_api_t api, const char *in, size_t len, llm_usage_t *u)
{
    json_t  *doc = json_loadb(in, len, LLM_XL_LOAD_FLAGS, NULL);
    int      rc;

    if (doc == NULL) {
        return -1;
    }
    rc = llm_usage_read(api, doc, u);
    json_decref(doc);
    return rc;
}

json_t *
llm_usage_openai(const llm_usage_t *u)
{
    json_t  *j = json_pack("{s:I,s:I,s:I,s:{s:I},s:{s:I}}",
                           "prompt_tokens", (json_int_t) u->prompt_tokens,
                           "completion_tokens", (json_int_t) u->completion_tokens,
                           "total_tokens", (json_int_t) u->total_tokens,
                           "prompt_tokens_details", "cached_tokens",
                           (json_int_t) u->cache_read_tokens,
                           "completion_tokens_details", "reasoning_tokens",
                           (json_int_t) u->reasoning_tokens);

    /* LiteLLM's extra fields, so clients that price cache writes can */
    if (j && (u->cache_creation_tokens || u->cache_read_tokens)) {
        json_object_set_new(j, "cache_creation_input_tokens",
                            json_integer(u->cache_creation_tokens));
        json_object_set_new(j, "cache_read_input_tokens",
                            json_integer(u->cache_read_tokens));
    }
    return j;
}

json_t *
llm_usage_anthropic(const llm_usage_t *u)
{
    long long  input = u->prompt_tokens - u->cache_read_tokens
                       - u->cache_creation_tokens;

    return json_pack("{s:I,s:I,s:I,s:I}",
                     "input_tokens", (json_int_t) (input < 0 ? 0 : input),
                     "cache_creation_input_tokens",
                     (json_int_t) u->cache_creation_tokens,
                     "cache_read_input_tokens", (json_int_t) u->cache_read_tokens,
                     "output_tokens", (json_int_t) u->completion_tokens);
}

json_t *
llm_usage_gemini(const llm_usage_t *u)
{
    json_t  *j = json_pack("{s:I,s:I,s:I}",
                           "promptTokenCount", (json_int_t) u->prompt_tokens,
                           "candidatesTokenCount",
                           (json_int_t) (u->completion_tokens
                                         - u->reasoning_tokens),
                           "totalTokenCount", (json_int_t) u->total_tokens);

    if (j && u->cache_read_tokens) {
        json_object_set_new(j, "cachedContentTokenCount",
                            json_integer(u->cache_read_tokens));
    }
    if (j && u->reasoning_tokens) {
        json_object_set_new(j, "thoughtsTokenCount",
                            json_integer(u->reasoning_tokens));
    }
    return j;
}
