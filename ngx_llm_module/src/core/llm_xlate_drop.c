/*
 * The drop_params rule: what happens to a field of the client's request
 * that the target format cannot express (see LLM_DROP_* in llm_xlate.h).
 *
 * A client that speaks one API cannot know which provider the operator put
 * behind a model name: the Gemini CLI sends topK on every request, OpenAI
 * SDK users send seed.  Such sampling hints change how an answer is drawn,
 * not what it says, so by default they are dropped, and reported (the
 * module puts the list in x-llm-dropped-params).  A field whose loss would
 * change the answer's meaning (a JSON schema, n > 1, a tool, media) stays a
 * 400 unless the operator set drop_params: true.
 *
 * The classes are this table, nothing else: a field not listed here is of
 * the kind that changes the meaning.  The names are those the readers and
 * writers report (docs/translation.md lists them).
 */

#include <string.h>

#include "llm_xlate_int.h"


static const char  *llm_xl_hints[] = {
    /* sampling */
    "top_k",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "temperature other than 1",          /* Anthropic, with thinking */
    "thinking with a forced tool_choice",  /* Anthropic */
    /* extra output about the sampling, not the answer */
    "logprobs",
    "top_logprobs",
    "generationConfig.responseLogprobs",
    "generationConfig.logprobs",
    /* latency, priority and bookkeeping */
    "prediction",
    "service_tier",
    "safetySettings",
    "labels",
    "generationConfig.mediaResolution",
    "generationConfig.enableEnhancedCivicAnswers",
    NULL
};


static int
llm_xl_is_hint(const char *field)
{
    const char  **h;

    for (h = llm_xl_hints; *h; h++) {
        if (strcmp(*h, field) == 0) {
            return 1;
        }
    }

    return 0;
}


/* field appended to *out, comma-separated, once */
static void
llm_xl_note_dropped(llm_buf_t *out, const char *field)
{
    size_t       n = strlen(field);
    const char  *p, *end;

    if (out->data != NULL) {
        p = out->data;
        end = out->data + out->len;

        while (p < end) {
            const char  *comma = memchr(p, ',', end - p);
            size_t       len = (comma ? comma : end) - p;

            if (len == n && memcmp(p, field, n) == 0) {
                return;
            }
            p += len + 1;
        }
    }

    if (out->len) {
        llm_buf_append(out, ",", 1);
    }
    llm_buf_append(out, field, n);
}


int
llm_xl_unsupported(llm_xl_ctx_t *c, const char *field, const char *why)
{
    int  drop = c->o->drop_params;

    if (drop == LLM_DROP_ALL || (drop == LLM_DROP_HINTS
                                 && llm_xl_is_hint(field)))
    {
        if (c->o->dropped) {
            llm_xl_note_dropped(c->o->dropped, field);
        }
        return 0;
    }

    return llm_xl_error(c, "%s is not supported by %s models%s%s; "
                        "set drop_params: true to drop it", field,
                        llm_api_name(c->to), why ? ": " : "", why ? why : "");
}
