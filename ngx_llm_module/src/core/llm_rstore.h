/*
 * Stored responses of the Responses API (store, previous_response_id,
 * GET/DELETE /v1/responses/{id}, .../input_items): the JSON side, plain C.
 * The module keeps the entries in its shared zone (ngx_http_llm_rstore.c);
 * an entry is the text this file writes:
 *
 *   {"input":[items of the request, a previous conversation included,
 *             each with an id],
 *    "response":{the response object the client got}}
 *
 * The conversation a follow-up request continues is the entry's input
 * items followed by its response's output items.
 */

#ifndef LLM_RSTORE_H
#define LLM_RSTORE_H

#include <stddef.h>

#include "llm_buf.h"

#define LLM_RSTORE_ID_MAX  128

/* what a Responses request body asks of the store */
typedef struct {
    int   store;                          /* "store" (default true) */
    char  previous[LLM_RSTORE_ID_MAX];    /* previous_response_id, "" */
} llm_rstore_req_t;

/* From the top-level members of a body the scanner has validated, no tree
   built.  0 ok; -1 when the body is not a JSON object (the translation
   says why) or previous_response_id is not a string of a sane length (msg
   in err) */
int llm_rstore_read_request(const char *body, size_t len,
    llm_rstore_req_t *q, char *err, size_t errlen);

/*
 * The body with the stored conversation of `entry` put in front of its
 * input (a string input becomes one user message item).  0 ok; -1 when
 * the body or the entry is not what it should be.
 */
int llm_rstore_prepend(const char *body, size_t len, const char *entry,
    size_t elen, llm_buf_t *out);

/*
 * The entry to keep for a request body and the response object answered
 * to it; the response's id into id.  0 ok; -1 when there is nothing to
 * keep (not a response object, no id, a failed response).
 */
int llm_rstore_entry(const char *body, size_t len, const char *resp,
    size_t rlen, llm_buf_t *out, char *id, size_t idlen);

/* the response object of an entry; 0 or -1 */
int llm_rstore_response(const char *entry, size_t elen, llm_buf_t *out);

/*
 * GET .../input_items: the list object of an entry's input items, order
 * "asc" or "desc" (NULL: desc, as OpenAI), at most limit (1..100) of them
 * after the item with id `after` (NULL: from the first).  0 ok; -1 with
 * a message in err for a bad limit or order.
 */
int llm_rstore_input_items(const char *entry, size_t elen, const char *order,
    long limit, const char *after, llm_buf_t *out, char *err, size_t errlen);

/* {"id":..,"object":"response","deleted":true} */
void llm_rstore_deleted(const char *id, llm_buf_t *out);

/*
 * OpenAI's error for an id not stored: for GET/DELETE (previous 0, a
 * 404) "Response with id 'X' not found.", param and code null; for
 * previous_response_id (previous 1, a 400 as OpenAI answers it) "Previous
 * response with id 'X' not found.", param previous_response_id, code
 * previous_response_not_found.
 */
void llm_rstore_not_found(const char *id, int previous, llm_buf_t *out);

/*
 * Entry kinds.  A response the gateway answered by translation is stored
 * whole (above).  A response passed through to a provider that has the
 * Responses API is stored by that provider under its own id; the gateway
 * keeps only which deployment has it, so that follow-ups and GET/DELETE
 * reach the same provider account:
 *
 *   {"upstream":{"deployment":"<deployment id>"}}
 */
typedef enum {
    LLM_RSTORE_STORED = 0,
    LLM_RSTORE_UPSTREAM
} llm_rstore_kind_t;

/* the entry of an upstream response kept by deployment */
int llm_rstore_upstream_entry(const char *deployment, llm_buf_t *out);

/* an entry's kind; for an upstream one its deployment id into dep ("" when
   it does not fit) */
llm_rstore_kind_t llm_rstore_kind(const char *entry, size_t len, char *dep,
    size_t deplen);

/*
 * The id of a passed-through answer: its top-level "id" (a response
 * object), else the "id" of its "response" member (a stream's event).
 * Only letters, digits, '_', '-' and '.', under LLM_RSTORE_ID_MAX.  Reads
 * the provider's text without a tree.  0 ok; -1 when there is none.
 */
int llm_rstore_answer_id(const char *p, size_t len, char *id, size_t idlen);

#endif
