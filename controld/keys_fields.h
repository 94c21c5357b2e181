/*
 * The management API's field vocabulary (LiteLLM's names): validating a
 * request body into a stored record, and a record back into the shape the
 * API answers with.  Errors name the offending field.
 */

#ifndef KEYS_FIELDS_H
#define KEYS_FIELDS_H

#include <stdint.h>

#include <jansson.h>

#include "keys_db.h"

typedef struct {
    int    status;                   /* HTTP status */
    char   type[48];                 /* LiteLLM/OpenAI error type */
    char   param[64];                /* the field, "" for none */
    char   message[320];
} keys_error_t;

/* Fills err and returns -1, so callers can `return keys_fail(...)`. */
int keys_fail(keys_error_t *err, int status, const char *param,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

typedef enum {
    KEYS_KIND_KEY,
    KEYS_KIND_TEAM
} keys_kind_t;

/*
 * Apply the settable fields present in `body` to `rec` (in place).  Fields
 * of the other kind or unknown to ngx_llm are ignored, as LiteLLM ignores
 * what it does not use.  *spend_usd receives "spend" when given (the
 * caller re-bases the period spend), else stays untouched.
 * Returns 0 or -1 with err filled (400, param = the field).
 */
int keys_fields_apply(json_t *rec, const json_t *body, keys_kind_t kind,
    int64_t now, double *spend_usd, int *spend_given, keys_error_t *err);

/* A key record as /key/info, /key/list and friends show it. */
json_t *keys_fields_key_view(const keys_db_t *db, const char *token,
    const json_t *rec);

/* A team record as /team/info and /team/list show it. */
json_t *keys_fields_team_view(const keys_db_t *db, const char *team_id,
    const json_t *rec);

#endif
