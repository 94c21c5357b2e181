/*
 * Token usage: reading it from any format into llm_usage_t (OpenAI's
 * meaning, see llm_xlate.h) and writing it back in each format's shape.
 */

#include <limits.h>
#include <string.h>

#include "llm_xlate_int.h"
#include "llm_json_scan.h"
#include "llm_json_tree.h"

/*
 * The usage object is read either from a parsed tree (translation has
 * one) or straight from the text (forwarded answers and stream events:
 * parsing them into a tree only for a few integers would cost more than
 * the rest of their handling).  Both go through llm_usage_int(), so the
 * mapping below exists once.  From the text, one pass reads every
 * `"key": <integer>` member at any depth (the usage keys read here are
 * unique across its sub-objects) and keeps the first value of each key
 * the readers ask for, in that key's slot.
 */

typedef enum {
    LLM_UK_PROMPT_TOKENS = 0,
    LLM_UK_COMPLETION_TOKENS,
    LLM_UK_TOTAL_TOKENS,
    LLM_UK_CACHED_TOKENS,
    LLM_UK_PROMPT_CACHE_HIT_TOKENS,
    LLM_UK_CACHE_CREATION_INPUT_TOKENS,
    LLM_UK_CACHE_WRITE_TOKENS,
    LLM_UK_REASONING_TOKENS,
    LLM_UK_INPUT_TOKENS,
    LLM_UK_CACHE_READ_INPUT_TOKENS,
    LLM_UK_OUTPUT_TOKENS,
    LLM_UK_PROMPT_TOKEN_COUNT,
    LLM_UK_TOOL_USE_PROMPT_TOKEN_COUNT,
    LLM_UK_CANDIDATES_TOKEN_COUNT,
    LLM_UK_THOUGHTS_TOKEN_COUNT,
    LLM_UK_CACHED_CONTENT_TOKEN_COUNT,
    LLM_UK_TOTAL_TOKEN_COUNT,
    LLM_UK_N
} llm_usage_key_e;

#define LLM_UK(name)  { name, sizeof(name) - 1 }

static const struct {
    const char  *name;
    size_t       len;
} llm_usage_keys[LLM_UK_N] = {
    LLM_UK("prompt_tokens"),
    LLM_UK("completion_tokens"),
    LLM_UK("total_tokens"),
    LLM_UK("cached_tokens"),
    LLM_UK("prompt_cache_hit_tokens"),
    LLM_UK("cache_creation_input_tokens"),
    LLM_UK("cache_write_tokens"),
    LLM_UK("reasoning_tokens"),
    LLM_UK("input_tokens"),
    LLM_UK("cache_read_input_tokens"),
    LLM_UK("output_tokens"),
    LLM_UK("promptTokenCount"),
    LLM_UK("toolUsePromptTokenCount"),
    LLM_UK("candidatesTokenCount"),
    LLM_UK("thoughtsTokenCount"),
    LLM_UK("cachedContentTokenCount"),
    LLM_UK("totalTokenCount"),
};

typedef struct {
    const json_t  *obj;             /* the usage object, or NULL: text */
    unsigned       have;            /* text: bit per key found */
    long long      value[LLM_UK_N];
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


/*
 * Which usage key k is, or -1: the length and a byte or two leave one
 * candidate, whose name is then compared.  Most members of a usage object
 * are keys of this list or lengths it has none of.
 */
static int
llm_usage_key_id(const char *k, size_t len)
{
    int  id;

    switch (len) {
    case 12:
        id = (k[0] == 't') ? LLM_UK_TOTAL_TOKENS : LLM_UK_INPUT_TOKENS;
        break;
    case 13:
        id = (k[0] == 'p') ? LLM_UK_PROMPT_TOKENS
             : (k[0] == 'c') ? LLM_UK_CACHED_TOKENS : LLM_UK_OUTPUT_TOKENS;
        break;
    case 15:
        id = LLM_UK_TOTAL_TOKEN_COUNT;
        break;
    case 16:
        id = (k[0] == 'r') ? LLM_UK_REASONING_TOKENS
                           : LLM_UK_PROMPT_TOKEN_COUNT;
        break;
    case 17:
        id = LLM_UK_COMPLETION_TOKENS;
        break;
    case 18:
        id = (k[0] == 'c') ? LLM_UK_CACHE_WRITE_TOKENS
                           : LLM_UK_THOUGHTS_TOKEN_COUNT;
        break;
    case 20:
        id = LLM_UK_CANDIDATES_TOKEN_COUNT;
        break;
    case 23:
        id = (k[0] == 'p') ? LLM_UK_PROMPT_CACHE_HIT_TOKENS
             : (k[0] == 't') ? LLM_UK_TOOL_USE_PROMPT_TOKEN_COUNT
             : (k[5] == '_') ? LLM_UK_CACHE_READ_INPUT_TOKENS
                             : LLM_UK_CACHED_CONTENT_TOKEN_COUNT;
        break;
    case 27:
        id = LLM_UK_CACHE_CREATION_INPUT_TOKENS;
        break;
    default:
        return -1;
    }

    return memcmp(k, llm_usage_keys[id].name, len) == 0 ? id : -1;
}


static void
llm_usage_text_values(llm_usage_src_t *s, const char *p, size_t len)
{
    int          id;
    const char  *end, *key, *c;
    long long    v;

    end = p + len;
    s->have = 0;

    for ( ;; ) {

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

        /* p is past the closing quote */

        c = llm_usage_skip_ws(p, end);

        if (c < end && *c == ':'
            && llm_usage_text_number(llm_usage_skip_ws(c + 1, end), end, &v)
               == 0)
        {
            id = llm_usage_key_id(key, (size_t) (p - 1 - key));

            if (id >= 0 && !(s->have & (1u << id))) {
                s->have |= 1u << id;
                s->value[id] = v;
            }
        }
    }
}


static int
llm_usage_int(const llm_usage_src_t *s, const char *sub, llm_usage_key_e id,
    long long *dst)
{
    json_t  *v;

    if (s->obj == NULL) {
        if (!(s->have & (1u << id))) {
            return 0;
        }

        *dst = s->value[id];
        return 1;
    }

    v = json_object_get(sub ? json_object_get(s->obj, sub) : s->obj,
                        llm_usage_keys[id].name);

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

    got |= llm_usage_int(us, NULL, LLM_UK_PROMPT_TOKENS, &u->prompt_tokens);
    got |= llm_usage_int(us, NULL, LLM_UK_COMPLETION_TOKENS,
                         &u->completion_tokens);
    if (!llm_usage_int(us, NULL, LLM_UK_TOTAL_TOKENS, &u->total_tokens)
        && got)
    {
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    llm_usage_int(us, "prompt_tokens_details", LLM_UK_CACHED_TOKENS,
                  &u->cache_read_tokens);
    /* DeepSeek reports its cache hits beside the OpenAI fields */
    llm_usage_int(us, NULL, LLM_UK_PROMPT_CACHE_HIT_TOKENS,
                  &u->cache_read_tokens);
    /* OpenRouter / LiteLLM-style passthrough of Anthropic cache writes */
    llm_usage_int(us, NULL, LLM_UK_CACHE_CREATION_INPUT_TOKENS,
                  &u->cache_creation_tokens);
    llm_usage_int(us, "prompt_tokens_details", LLM_UK_CACHE_WRITE_TOKENS,
                  &u->cache_creation_tokens);
    llm_usage_int(us, "completion_tokens_details", LLM_UK_REASONING_TOKENS,
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
    got |= llm_usage_int(us, NULL, LLM_UK_INPUT_TOKENS, &input);
    got |= llm_usage_int(us, NULL, LLM_UK_CACHE_READ_INPUT_TOKENS,
                         &u->cache_read_tokens);
    got |= llm_usage_int(us, NULL, LLM_UK_CACHE_CREATION_INPUT_TOKENS,
                         &u->cache_creation_tokens);
    got |= llm_usage_int(us, NULL, LLM_UK_OUTPUT_TOKENS,
                         &u->completion_tokens);
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

    got = llm_usage_int(us, NULL, LLM_UK_PROMPT_TOKEN_COUNT, &prompt);
    llm_usage_int(us, NULL, LLM_UK_TOOL_USE_PROMPT_TOKEN_COUNT, &tool_prompt);
    got |= llm_usage_int(us, NULL, LLM_UK_CANDIDATES_TOKEN_COUNT, &cand);
    llm_usage_int(us, NULL, LLM_UK_THOUGHTS_TOKEN_COUNT, &thoughts);
    if (!got) {
        return 0;
    }
    /* Gemini reports cumulative numbers in every chunk: replace, not add */
    u->prompt_tokens = prompt + tool_prompt;
    u->completion_tokens = cand + thoughts;
    u->reasoning_tokens = thoughts;
    u->cache_read_tokens = 0;
    llm_usage_int(us, NULL, LLM_UK_CACHED_CONTENT_TOKEN_COUNT,
                  &u->cache_read_tokens);
    if (!llm_usage_int(us, NULL, LLM_UK_TOTAL_TOKEN_COUNT, &u->total_tokens))
    {
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    return 1;
}

/* Responses: input_tokens counts cached ones, output_tokens reasoning */
static int
llm_usage_read_responses(const llm_usage_src_t *us, llm_usage_t *u)
{
    int  got = 0;

    got |= llm_usage_int(us, NULL, LLM_UK_INPUT_TOKENS, &u->prompt_tokens);
    got |= llm_usage_int(us, NULL, LLM_UK_OUTPUT_TOKENS,
                         &u->completion_tokens);
    if (!llm_usage_int(us, NULL, LLM_UK_TOTAL_TOKENS, &u->total_tokens)
        && got)
    {
        u->total_tokens = u->prompt_tokens + u->completion_tokens;
    }
    llm_usage_int(us, "input_tokens_details", LLM_UK_CACHED_TOKENS,
                  &u->cache_read_tokens);
    llm_usage_int(us, "output_tokens_details", LLM_UK_REASONING_TOKENS,
                  &u->reasoning_tokens);
    return got;
}

/*
 * The providers whose answers are always translated, Bedrock and Cohere:
 * where their counts are, as data.  Numbers may come as reals (Cohere's
 * billed_units).
 */
typedef struct {
    const char  *sub[2];        /* the object in usage holding the counts,
                                   the first present; NULL: usage itself */
    const char  *input, *output, *cache_read, *cache_write;
    unsigned     uncached:1;    /* input counts what was not cached (as
                                   Anthropic's input_tokens) */
} llm_usage_shape_t;

static const llm_usage_shape_t  llm_usage_shapes[LLM_API_NFORMATS] = {
    [LLM_API_BEDROCK] = { { NULL, NULL }, "inputTokens", "outputTokens",
                          "cacheReadInputTokens", "cacheWriteInputTokens",
                          1 },
    [LLM_API_COHERE] = { { "tokens", "billed_units" }, "input_tokens",
                         "output_tokens", NULL, NULL, 0 },
};

static long long
llm_usage_number(const json_t *obj, const char *key)
{
    return key ? (long long) json_number_value(json_object_get(obj, key)) : 0;
}

int
llm_usage_read_tree(llm_api_t api, const json_t *usage, llm_usage_t *u)
{
    size_t                    i;
    const json_t             *t = usage;
    const llm_usage_shape_t  *s;

    if ((unsigned) api >= LLM_API_NFORMATS) {
        return 0;
    }
    s = &llm_usage_shapes[api];
    if (s->input == NULL) {
        return 0;
    }
    for (i = 0; s->sub[0] && i < 2; i++) {
        t = s->sub[i] ? json_object_get(usage, s->sub[i]) : NULL;
        if (json_is_object(t)) {
            break;
        }
    }
    if (!json_is_number(json_object_get(t, s->input))
        && !json_is_number(json_object_get(t, s->output)))
    {
        return 0;
    }
    u->cache_read_tokens = llm_usage_number(t, s->cache_read);
    u->cache_creation_tokens = llm_usage_number(t, s->cache_write);
    u->prompt_tokens = llm_usage_number(t, s->input);
    if (s->uncached) {
        u->prompt_tokens += u->cache_read_tokens + u->cache_creation_tokens;
    }
    u->completion_tokens = llm_usage_number(t, s->output);
    u->total_tokens = u->prompt_tokens + u->completion_tokens;
    u->present = 1;
    return 1;
}

static int
llm_usage_apply(llm_api_t api, const llm_usage_src_t *us, llm_usage_t *u)
{
    int  got = 0;

    switch (api) {
    case LLM_API_OPENAI:
    case LLM_API_OPENAI_TEXT:
        got = llm_usage_read_openai(us, u);
        break;
    case LLM_API_ANTHROPIC:
        got = llm_usage_read_anthropic(us, u);
        break;
    case LLM_API_GEMINI:
        got = llm_usage_read_gemini(us, u);
        break;
    case LLM_API_RESPONSES:
        got = llm_usage_read_responses(us, u);
        break;
    case LLM_API_BEDROCK:
    case LLM_API_COHERE:
        /* always translated: their answers are read as trees */
        got = us->obj ? llm_usage_read_tree(api, us->obj, u) : 0;
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
        if (api == LLM_API_RESPONSES && !json_is_object(obj)) {
            /* stream events: response.completed carries the response */
            obj = json_object_get(json_object_get(doc, "response"), "usage");
        }
    }
    if (!json_is_object(obj)) {
        return 0;
    }
    us.obj = obj;
    us.have = 0;
    return llm_usage_apply(api, &us, u);
}

/*
 * A Responses stream event that ends the response (response.completed,
 * .incomplete, .failed): its usage is inside "response", where the
 * locator does not look.  These are one or two events per stream, so
 * they are parsed; the deltas before them are not.
 */
static int
llm_usage_responses_event(const char *in, size_t len)
{
    static const char  *ends[] = {
        "\"response.completed\"", "\"response.incomplete\"",
        "\"response.failed\"",
    };
    size_t              i, k, n, e;

    /* the type comes first in every event OpenAI and the gateway send */
    n = len < 64 ? len : 64;
    for (k = 0; k < n; k++) {
        if (in[k] != '"') {
            continue;
        }
        for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
            e = strlen(ends[i]);
            if (k + e <= len && memcmp(in + k, ends[i], e) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

static int
llm_usage_from_tree(llm_api_t api, const char *in, size_t len,
                    llm_usage_t *u)
{
    json_t  *doc = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, NULL);
    int      rc;

    if (doc == NULL) {
        return -1;
    }
    rc = llm_usage_read(api, doc, u);
    json_decref(doc);
    return rc;
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
    if (!m->present && api == LLM_API_RESPONSES
        && llm_usage_responses_event(in, len))
    {
        return llm_usage_from_tree(api, in, len, u);
    }
    if (!m->present || base[m->value_start] != '{') {
        return 0;
    }
    us.obj = NULL;
    llm_usage_text_values(&us, base + m->value_start,
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
llm_usage_responses(const llm_usage_t *u)
{
    return json_pack("{s:I,s:{s:I},s:I,s:{s:I},s:I}",
                     "input_tokens", (json_int_t) u->prompt_tokens,
                     "input_tokens_details", "cached_tokens",
                     (json_int_t) u->cache_read_tokens,
                     "output_tokens", (json_int_t) u->completion_tokens,
                     "output_tokens_details", "reasoning_tokens",
                     (json_int_t) u->reasoning_tokens,
                     "total_tokens", (json_int_t) u->total_tokens);
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
