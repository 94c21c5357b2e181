/*
 * Token usage: reading it from any format into llm_usage_t (OpenAI's
 * meaning, see llm_xlate.h) and writing it back in each format's shape.
 */

#include <limits.h>
#include <string.h>

#include "llm_xlate_int.h"
#include "llm_json_scan.h"

/*
 * The usage object is read either from a parsed tree (translation has
 * one) or straight from the text (forwarded answers and stream events:
 * parsing them into a tree only for a few integers would cost more than
 * the rest of their handling).  Both go through llm_usage_int(), so the
 * mapping below exists once.  From the text, one pass collects every
 * `"key": <integer>` member at any depth (the usage keys read here are
 * unique across its sub-objects); lookups then search that short list.
 */

#define LLM_USAGE_MAX_PAIRS  48

typedef struct {
    const char    *key;
    size_t         len;
    long long      value;
} llm_usage_pair_t;

typedef struct {
    const json_t      *obj;         /* the usage object, or NULL */
    llm_usage_pair_t   pairs[LLM_USAGE_MAX_PAIRS];
    size_t             npairs;
} llm_usage_src_t;


static const char *
llm_usage_skip_ws(const char *c, const char *end)
{
    while (c < end && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')) {
        c++;
    }

    return c;
}


/* The integer at c, or -1 when the value is not one (null, float, ...). */
static int
llm_usage_text_number(const char *c, const char *end, long long *v)
{
    int        neg;
    long long  n;

    neg = (c < end && *c == '-');
    c += neg;

    if (c >= end || *c < '0' || *c > '9') {
        return -1;
    }

    for (n = 0; c < end && *c >= '0' && *c <= '9'; c++) {
        if (n > (LLONG_MAX - 9) / 10) {
            return -1;              /* no token count is this large */
        }

        n = n * 10 + (*c - '0');
    }

    if (c < end && (*c == '.' || *c == 'e' || *c == 'E')) {
        return -1;
    }

    *v = neg ? -n : n;
    return 0;
}


static void
llm_usage_text_pairs(llm_usage_src_t *s, const char *p, size_t len)
{
    const char  *end, *key, *c;
    long long    v;

    end = p + len;
    s->npairs = 0;

    while (s->npairs < LLM_USAGE_MAX_PAIRS) {

        /* the next key is a few bytes on: after a number and a comma */
        while (p < end && *p != '"') {
            p++;
        }

        if (p == end) {
            return;
        }

        key = ++p;
        p = llm_json_string_end(p, end);

        if (p == end) {
            return;
        }

        p--;                        /* the closing quote */

        c = llm_usage_skip_ws(p + 1, end);

        if (c < end && *c == ':'
            && llm_usage_text_number(llm_usage_skip_ws(c + 1, end), end, &v)
               == 0)
        {
            s->pairs[s->npairs].key = key;
            s->pairs[s->npairs].len = (size_t) (p - key);
            s->pairs[s->npairs++].value = v;
        }

        p++;                        /* past the closing quote */
    }
}


/* key is a literal: its length is known where it is written */
#define llm_usage_int(s, sub, key, dst)                                       \
    llm_usage_int_n(s, sub, key, sizeof(key) - 1, dst)

static int
llm_usage_int_n(const llm_usage_src_t *s, const char *sub, const char *key,
    size_t n, long long *dst)
{
    size_t   i;
    json_t  *v;

    if (s->obj == NULL) {
        for (i = 0; i < s->npairs; i++) {
            if (s->pairs[i].len == n
                && memcmp(s->pairs[i].key, key, n) == 0)
            {
                *dst = s->pairs[i].value;
                return 1;
            }
        }

        return 0;
    }

    v = json_object_get(sub ? json_object_get(s->obj, sub) : s->obj, key);

    if (!json_is_integer(v)) {
        return 0;
    }
    *dst = json_integer_value(v);
    return 1;
}

static int
llm_usage_read_openai(const llm_usage_src_t *us, llm_usage_t *u)
{
    int  got = 0;

    got |= llm_usage_int(us, NULL, "prompt_tokens", &u->prompt_tokens);
    got |= llm_usage_int(us, NULL, "completion_tokens", &u->completion_tokens);
    if (!llm_usage_int(us, NULL, "total_tokens", &u->total_tokens) && got) {
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    llm_usage_int(us, "prompt_tokens_details", "cached_tokens",
                  &u->cache_read_tokens);
    /* DeepSeek reports its cache hits beside the OpenAI fields */
    llm_usage_int(us, NULL, "prompt_cache_hit_tokens", &u->cache_read_tokens);
    /* OpenRouter / LiteLLM-style passthrough of Anthropic cache writes */
    llm_usage_int(us, NULL, "cache_creation_input_tokens",
                  &u->cache_creation_tokens);
    llm_usage_int(us, "prompt_tokens_details", "cache_write_tokens",
                  &u->cache_creation_tokens);
    llm_usage_int(us, "completion_tokens_details", "reasoning_tokens",
                  &u->reasoning_tokens);
    return got;
}

static int
llm_usage_read_anthropic(const llm_usage_src_t *us, llm_usage_t *u)
{
    long long  input = u->prompt_tokens - u->cache_read_tokens
                       - u->cache_creation_tokens;
    int        got = 0;

    if (input < 0) {
        input = 0;
    }
    got |= llm_usage_int(us, NULL, "input_tokens", &input);
    got |= llm_usage_int(us, NULL, "cache_read_input_tokens",
                         &u->cache_read_tokens);
    got |= llm_usage_int(us, NULL, "cache_creation_input_tokens",
                         &u->cache_creation_tokens);
    got |= llm_usage_int(us, NULL, "output_tokens", &u->completion_tokens);
    if (got) {
        u->prompt_tokens = input + u->cache_read_tokens
                           + u->cache_creation_tokens;
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    return got;
}

static int
llm_usage_read_gemini(const llm_usage_src_t *us, llm_usage_t *u)
{
    long long  prompt = 0, tool_prompt = 0, cand = 0, thoughts = 0;
    int        got;

    got = llm_usage_int(us, NULL, "promptTokenCount", &prompt);
    llm_usage_int(us, NULL, "toolUsePromptTokenCount", &tool_prompt);
    got |= llm_usage_int(us, NULL, "candidatesTokenCount", &cand);
    llm_usage_int(us, NULL, "thoughtsTokenCount", &thoughts);
    if (!got) {
        return 0;
    }
    /* Gemini reports cumulative numbers in every chunk: replace, not add */
    u->prompt_tokens = prompt + tool_prompt;
    u->completion_tokens = cand + thoughts;
    u->reasoning_tokens = thoughts;
    u->cache_read_tokens = 0;
    llm_usage_int(us, NULL, "cachedContentTokenCount", &u->cache_read_tokens);
    if (!llm_usage_int(us, NULL, "totalTokenCount", &u->total_tokens)) {
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    return 1;
}

static int
llm_usage_apply(llm_api_t api, const llm_usage_src_t *us, llm_usage_t *u)
{
    int  got = 0;

    switch (api) {
    case LLM_API_OPENAI:
        got = llm_usage_read_openai(us, u);
        break;
    case LLM_API_ANTHROPIC:
        got = llm_usage_read_anthropic(us, u);
        break;
    case LLM_API_GEMINI:
        got = llm_usage_read_gemini(us, u);
        break;
    }
    if (got) {
        u->present = 1;
    }
    return got;
}

int
llm_usage_read(llm_api_t api, const json_t *doc, llm_usage_t *u)
{
    const json_t     *obj;
    llm_usage_src_t   us;

    if (api == LLM_API_GEMINI) {
        obj = json_object_get(doc, "usageMetadata");
    } else {
        obj = json_object_get(doc, "usage");
        if (api == LLM_API_ANTHROPIC && !json_is_object(obj)) {
            obj = json_object_get(json_object_get(doc, "message"), "usage");
        }
    }
    if (!json_is_object(obj)) {
        return 0;
    }
    us.obj = obj;
    us.npairs = 0;
    return llm_usage_apply(api, &us, u);
}

/*
 * From the text: one pass finds the top-level usage member (Anthropic's
 * message_start has it inside "message"); only that object's text is then
 * searched.  No tree is built, and the provider's JSON is not validated:
 * it is forwarded as it came, and a broken one at worst yields no usage
 * (then estimated).
 */
int
llm_usage_from_json(llm_api_t api, const char *in, size_t len, llm_usage_t *u)
{
    llm_json_scan_t     scan, inner;
    llm_json_member_t  *m;
    llm_usage_src_t     us;
    const char         *base;

    if (llm_json_locate_usage(in, len, &scan) != 0) {
        return -1;
    }
    m = &scan.usage;
    base = in;
    if (!m->present && api == LLM_API_ANTHROPIC && scan.message.present) {
        base = in + scan.message.value_start;
        if (llm_json_locate_usage(base, scan.message.value_end
                                        - scan.message.value_start, &inner)
            != 0)
        {
            return 0;
        }
        m = &inner.usage;
    }
    if (!m->present || base[m->value_start] != '{') {
        return 0;
    }
    us.obj = NULL;
    llm_usage_text_pairs(&us, base + m->value_start,
                         m->value_end - m->value_start);
    return llm_usage_apply(api, &us, u);
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
