/*
 * Upstream answer -> error class.  The status decides most classes; the
 * body only splits 400s, because providers report context-length and
 * content-policy refusals as ordinary 400s and the router treats those very
 * differently (dedicated fallback lists, no cooldown).  Phrases come from
 * the error bodies of OpenAI, Azure, Anthropic, Gemini and vLLM.
 */

#include <string.h>

#include "llm_router.h"


/* lower-case phrases; matched case-insensitively anywhere in the body */
static const char *const  llm_context_phrases[] = {
    "context_length_exceeded",          /* OpenAI, Azure: error.code */
    "maximum context length",           /* OpenAI, vLLM: message */
    "prompt is too long",               /* Anthropic */
    "input is too long",                /* Anthropic via Bedrock */
    "too many tokens",
    "exceeds the context window",       /* OpenAI Responses */
    "exceeds the maximum number of tokens",  /* Gemini */
    "context window exceeded",
    "context_window_exceeded",
    "expected a string with maximum length", /* OpenAI: one huge message */
    "exceeds token limit",
};

static const char *const  llm_policy_phrases[] = {
    "content_policy",                   /* OpenAI content_policy_violation */
    "content management policy",        /* Azure */
    "content_filter",                   /* Azure error.code */
    "responsibleaipolicyviolation",     /* Azure innererror.code */
    /*
     * Not a bare "safety": OpenAI has a safety_identifier parameter, and a
     * 400 about it is a plain bad request.
     */
    "safety system",                    /* OpenAI images */
    "due to safety",                    /* Gemini: blocked due to SAFETY */
    "safety settings",
    "blockreason",                      /* Gemini promptFeedback */
    "flagged as potentially violating", /* OpenAI invalid_prompt */
};

static const char *const  llm_auth_phrases[] = {
    "api key not valid",                /* Gemini answers a bad key with 400 */
    "api_key_invalid",
};


static int
llm_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}


/* Case-insensitive search for a lower-case needle in a bounded haystack. */
static int
llm_contains(const char *hay, size_t len, const char *needle)
{
    size_t  i, j, nlen;

    nlen = strlen(needle);

    if (hay == NULL || nlen > len) {
        return 0;
    }

    for (i = 0; i + nlen <= len; i++) {
        for (j = 0; j < nlen; j++) {
            if (llm_lower((unsigned char) hay[i + j]) != needle[j]) {
                break;
            }
        }

        if (j == nlen) {
            return 1;
        }
    }

    return 0;
}


static int
llm_contains_any(const char *body, size_t len, const char *const *phrases,
    size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (llm_contains(body, len, phrases[i])) {
            return 1;
        }
    }

    return 0;
}


#define LLM_ANY(body, len, list)                                              \
    llm_contains_any(body, len, list, sizeof(list) / sizeof(list[0]))


llm_err_class_t
llm_router_classify(int status, const char *body, size_t len)
{
    if (body == NULL) {
        len = 0;
    }

    if (status <= 0) {
        return LLM_ERR_CONNECT;
    }

    if (status < 400) {
        return LLM_ERR_NONE;
    }

    switch (status) {

    case 408:
    case 504:
        return LLM_ERR_TIMEOUT;

    case 429:
        return LLM_ERR_RATE_LIMIT;

    case 401:
    case 403:
        return LLM_ERR_AUTH;

    case 404:
        return LLM_ERR_NOT_FOUND;

    case 502:
        /* nginx's own 502 (connect refused, reset) carries no body here */
        return len == 0 ? LLM_ERR_CONNECT : LLM_ERR_SERVER;

    case 400:
    case 413:
        if (LLM_ANY(body, len, llm_context_phrases)) {
            return LLM_ERR_CONTEXT_WINDOW;
        }

        if (status == 400 && LLM_ANY(body, len, llm_policy_phrases)) {
            return LLM_ERR_CONTENT_POLICY;
        }

        if (status == 400 && LLM_ANY(body, len, llm_auth_phrases)) {
            return LLM_ERR_AUTH;
        }

        return LLM_ERR_BAD_REQUEST;
    }

    return status >= 500 ? LLM_ERR_SERVER : LLM_ERR_BAD_REQUEST;
}


const char *
llm_err_class_name(llm_err_class_t cls)
{
    static const char *const  names[LLM_ERR_NCLASSES] = {
        "none", "timeout", "rate_limit", "server", "connect", "auth",
        "not_found", "context_window", "content_policy", "bad_request",
    };

    return (unsigned) cls < LLM_ERR_NCLASSES ? names[cls] : "unknown";
}
