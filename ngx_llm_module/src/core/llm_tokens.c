/*
 * Input-token estimate for /v1/messages/count_tokens (and any request)
 * when the provider cannot count for us.  It walks the request and adds:
 *   - text: 1 token per 4 ASCII bytes plus 1 per non-ASCII character
 *     (CJK and other scripts tokenize at about a character per token);
 *   - tool definitions: the same rule over their JSON (names, descriptions
 *     and schemas, keys included) plus 346 tokens for the tool-use system
 *     prompt Anthropic adds when tools are present;
 *   - images: 1,600 each (Anthropic's cost of an image at the largest size
 *     it keeps without downscaling; the real size is not known here);
 *   - documents (PDF etc.): 1,600 per 50 KB of decoded data, at least 1,600;
 *   - 3 tokens per message for role and separators, 3 for the reply primer.
 * It errs a little high on purpose: it is used for budgets and limits.
 */

#include <string.h>

#include "llm_xlate_int.h"
#include "llm_json_tree.h"

#define LLM_TOK_IMAGE        1600
#define LLM_TOK_DOC_BYTES    (50 * 1024)
#define LLM_TOK_TOOLS_PROMPT 346
#define LLM_TOK_PER_MESSAGE  3

typedef struct {
    long long  ascii, other, fixed;
} llm_tok_t;

static void
llm_tok_text(llm_tok_t *t, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        unsigned char  c = (unsigned char) s[i];

        if (c < 0x80) {
            t->ascii++;
        } else if ((c & 0xC0) != 0x80) {
            t->other++;         /* the first byte of a UTF-8 character */
        }
    }
}

static void
llm_tok_media(llm_tok_t *t, const char *media_type, size_t b64len)
{
    long long  bytes = (long long) b64len * 3 / 4;

    if (media_type == NULL || strncmp(media_type, "image/", 6) == 0) {
        t->fixed += LLM_TOK_IMAGE;
        return;
    }
    t->fixed += bytes / LLM_TOK_DOC_BYTES * LLM_TOK_IMAGE > LLM_TOK_IMAGE
                ? bytes / LLM_TOK_DOC_BYTES * LLM_TOK_IMAGE : LLM_TOK_IMAGE;
}

/* keys whose values are protocol, not content */
static int
llm_tok_skip_key(const char *k)
{
    static const char  *skip[] = {
        "type", "role", "model", "id", "tool_use_id", "tool_call_id",
        "media_type", "mimeType", "signature", "thoughtSignature",
        "cache_control", "detail", "stream", "index", "call_id", "status",
    };
    size_t  i;

    for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
        if (strcmp(k, skip[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
llm_tok_walk(llm_tok_t *t, json_t *v, int tools)
{
    const char  *k, *mt;
    json_t      *c;
    size_t       i;

    if (json_is_string(v)) {
        llm_tok_text(t, json_string_value(v), json_string_length(v));
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, c) {
            llm_tok_walk(t, c, tools);
        }
    } else if (json_is_object(v)) {
        mt = llm_xl_str(v, "media_type");
        if (mt == NULL) {
            mt = llm_xl_str(v, "mimeType");
        }
        json_object_foreach(v, k, c) {
            if (tools) {
                llm_tok_text(t, k, strlen(k));      /* schemas: keys count */
            } else if (llm_tok_skip_key(k)) {
                continue;
            }
            if (!tools && strcmp(k, "data") == 0 && json_is_string(c)
                && (mt || json_string_length(c) > 1024))
            {
                llm_tok_media(t, mt, json_string_length(c));
            } else if (!tools && (strcmp(k, "url") == 0
                                  || strcmp(k, "fileUri") == 0)
                       && json_is_string(c))
            {
                const char  *u = json_string_value(c);

                if (strncmp(u, "data:", 5) == 0) {
                    const char  *comma = strchr(u, ',');
                    char         type[64];
                    size_t       n = strcspn(u + 5, ";,");

                    if (n >= sizeof(type)) {
                        n = sizeof(type) - 1;
                    }
                    memcpy(type, u + 5, n);
                    type[n] = '\0';
                    llm_tok_media(t, type, comma ? strlen(comma + 1) : 0);
                } else {
                    llm_tok_media(t, mt, 0);
                }
            } else if (json_is_string(c) || json_is_array(c)
                       || json_is_object(c))
            {
                llm_tok_walk(t, c, tools);
            }
        }
    }
}

/*
 * a request's members, in any of the client APIs; Gemini's countTokens may
 * wrap a whole request
 */
static void
llm_tok_request(llm_tok_t *t, json_t *body, size_t *nmsg)
{
    const char  *k;
    json_t      *v;

    json_object_foreach(body, k, v) {
        if (strcmp(k, "tools") == 0) {
            if (json_array_size(v)) {
                llm_tok_walk(t, v, 1);
                t->fixed += LLM_TOK_TOOLS_PROMPT;
            }
        } else if (strcmp(k, "messages") == 0 || strcmp(k, "contents") == 0) {
            *nmsg += json_array_size(v);
            llm_tok_walk(t, v, 0);
        } else if (strcmp(k, "input") == 0) {
            /* the Responses API: a string, or a list of items */
            *nmsg += json_is_array(v) ? json_array_size(v) : 1;
            llm_tok_walk(t, v, 0);
        } else if (strcmp(k, "system") == 0
                   || strcmp(k, "systemInstruction") == 0
                   || strcmp(k, "instructions") == 0)
        {
            (*nmsg)++;
            llm_tok_walk(t, v, 0);
        } else if (strcmp(k, "generateContentRequest") == 0
                   && json_is_object(v))
        {
            llm_tok_request(t, v, nmsg);
        }
        /* parameters (max_tokens, temperature, ...) cost nothing */
    }
}

long long
llm_estimate_tokens(llm_api_t api, const char *in, size_t len)
{
    llm_tok_t    t = { 0, 0, 0 };
    json_t      *body;
    size_t       nmsg = 0;

    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        /* not JSON: count it as text */
        llm_tok_text(&t, in, len);
        return (t.ascii + 3) / 4 + t.other;
    }
    llm_tok_request(&t, body, &nmsg);
    json_decref(body);
    (void) api;     /* the walk is format-agnostic: keys differ, text not */
    return (t.ascii + 3) / 4 + t.other + t.fixed
           + (long long) nmsg * LLM_TOK_PER_MESSAGE + 3;
}
