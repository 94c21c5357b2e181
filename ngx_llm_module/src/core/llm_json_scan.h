/*
 * One validating pass over a JSON document that records where the top-level
 * members of interest are, without building a tree.  The request path uses
 * it to find `model`, `stream` and `max_tokens` (`max_output_tokens`) and
 * to splice a new model name into a body it otherwise forwards untouched.
 */

#ifndef LLM_JSON_SCAN_H
#define LLM_JSON_SCAN_H

#include <stddef.h>


typedef struct {
    size_t       key_start;      /* offset of the key's opening quote */
    size_t       value_start;    /* offset of the value's first byte */
    size_t       value_end;      /* offset just past the value */
    int          present;
} llm_json_member_t;


typedef struct {
    llm_json_member_t  model;
    llm_json_member_t  stream;
    llm_json_member_t  stream_options;
    llm_json_member_t  max_tokens;
    llm_json_member_t  max_output_tokens; /* the Responses API's name */
    llm_json_member_t  usage;          /* "usage" or Gemini's "usageMetadata" */
    llm_json_member_t  message;        /* Anthropic's message_start */
    size_t             object_start;   /* offset of the top-level '{' */
    size_t             object_end;     /* offset of the closing '}' */
    size_t             members;        /* number of top-level members */
    size_t             ambiguous;      /* "model" twice, "Model", ...:
                                          see llm_json_member_slot() */
    size_t             error_offset;   /* where a syntax error was found */
} llm_json_scan_t;


/* 0: a valid JSON object; -1: not valid JSON or not an object. */
int llm_json_scan(const char *p, size_t len, llm_json_scan_t *out);

/*
 * The same member spans from a document that is trusted to be valid (what
 * a provider sent), without checking it: several times faster.  On input
 * that is not valid JSON the spans may be wrong but stay within [0, len];
 * -1 when it does not even start as an object.  error_offset is not set.
 */
int llm_json_locate(const char *p, size_t len, llm_json_scan_t *out);

/*
 * The top-level usage ("usage" or "usageMetadata") of such a document, read
 * from its end, where providers put it: only what follows it is walked.
 * Fills usage (and, when usage is not there, message) as llm_json_locate()
 * does, and is llm_json_locate() on what does not read back as JSON.
 */
int llm_json_locate_usage(const char *p, size_t len, llm_json_scan_t *out);

/*
 * Calls fn for each top-level member of a document trusted to be valid,
 * in order: key_start is its key's opening quote, key_end just past the
 * key's closing quote, value_end just past its value.  Stops and returns
 * fn's value when it is not 0; -1 when p is not an object.
 */
typedef int (*llm_json_member_fn)(const char *p, size_t key_start,
    size_t key_end, size_t value_end, void *arg);

int llm_json_members_each(const char *p, size_t len, llm_json_member_fn fn,
    void *arg);

/*
 * Past the closing quote of the string whose contents start at c (just
 * after its opening quote), not validating escapes; end if it has none.
 */
const char *llm_json_string_end(const char *c, const char *end);

/*
 * Decodes a JSON string value (with its quotes) at [start, end) into buf
 * (NUL-terminated).  Returns the decoded length or -1 when it is not a
 * string or does not fit.
 */
long llm_json_string_value(const char *p, size_t start, size_t end,
    char *buf, size_t size);

/* 1 for true, 0 for false, -1 for anything else. */
int llm_json_bool_value(const char *p, size_t start, size_t end);

/* Writes s as a JSON string literal (with quotes) into buf; returns length. */
size_t llm_json_quote(const char *s, size_t len, char *buf);

/* Upper bound of llm_json_quote's output for len input bytes. */
#define LLM_JSON_QUOTED_MAX(len)  ((len) * 6 + 2)

#endif /* LLM_JSON_SCAN_H */
