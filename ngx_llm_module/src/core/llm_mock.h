/*
 * Answers for deployments with LiteLLM's `mock_response`: OpenAI-format
 * bodies and streams that look like a provider's, with usage, so demos,
 * health checks and load tests run without any provider.
 */

#ifndef LLM_MOCK_H
#define LLM_MOCK_H

#include "llm_buf.h"


typedef enum {
    LLM_MOCK_CHAT = 0,
    LLM_MOCK_COMPLETION,
    LLM_MOCK_EMBEDDING
} llm_mock_kind_t;


typedef struct {
    llm_mock_kind_t   kind;
    const char       *model;          /* echoed back: the client's name */
    const char       *text;           /* the mock_response text */
    const char       *request;        /* the request body (for usage) */
    size_t            request_len;
    int               stream;
    int               include_usage;  /* stream_options.include_usage */
    long long         created;        /* unix time */
    unsigned long     seq;            /* makes response ids unique */
} llm_mock_t;


/* 0, or -1 when out of memory. */
int llm_mock_response(const llm_mock_t *m, llm_buf_t *out,
    long long *prompt_tokens, long long *completion_tokens);

/* The rough token count used when a provider reports none: ~4 bytes each. */
long long llm_mock_estimate_tokens(const char *text, size_t len);

#endif /* LLM_MOCK_H */
