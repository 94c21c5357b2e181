/* Shared between the management API's route files. */

#ifndef MGMT_INT_H
#define MGMT_INT_H

#include <jansson.h>

#include "http_server.h"
#include "keys_service.h"

typedef struct {
    keys_service_t         *svc;
    const http_request_t   *req;
    json_t                 *body;       /* {} when there was none */
    const char             *tail;       /* /key/{key}/regenerate: {key} */
    http_response_t        *resp;
} mgmt_call_t;

/* Answer with doc (reference taken). Returns 0. */
int mgmt_reply(mgmt_call_t *c, int status, json_t *doc);

/* Answer with err as an OpenAI-style error object. */
void mgmt_reply_error(mgmt_call_t *c, const keys_error_t *err);

/*
 * A key given as "sk-..." or as its token (64 hex digits) -> token of an
 * existing key; 404 (or 400 when missing) naming `param` otherwise.
 */
int mgmt_find_key(mgmt_call_t *c, const char *given, const char *param,
    char token[65], keys_error_t *err);

/* A string field of the body or a query parameter (body first); malloc'd. */
char *mgmt_arg(mgmt_call_t *c, const char *name);

/* Route a management path for an authorized caller (mgmt_router.c). */
void mgmt_route(mgmt_call_t *c, const char *path);

/* The console's /ui/api/... calls (mgmt_console.c). */
void mgmt_console(mgmt_call_t *c);

/* Route handlers: 0 when answered, -1 with err to answer. */
int mgmt_key_generate(mgmt_call_t *c, keys_error_t *err);
int mgmt_key_update(mgmt_call_t *c, keys_error_t *err);
int mgmt_key_delete(mgmt_call_t *c, keys_error_t *err);
int mgmt_key_info(mgmt_call_t *c, keys_error_t *err);
int mgmt_key_list(mgmt_call_t *c, keys_error_t *err);
int mgmt_key_regenerate(mgmt_call_t *c, keys_error_t *err);
int mgmt_key_block(mgmt_call_t *c, keys_error_t *err);
int mgmt_key_unblock(mgmt_call_t *c, keys_error_t *err);

int mgmt_team_new(mgmt_call_t *c, keys_error_t *err);
int mgmt_team_update(mgmt_call_t *c, keys_error_t *err);
int mgmt_team_delete(mgmt_call_t *c, keys_error_t *err);
int mgmt_team_info(mgmt_call_t *c, keys_error_t *err);
int mgmt_team_list(mgmt_call_t *c, keys_error_t *err);

int mgmt_spend_keys(mgmt_call_t *c, keys_error_t *err);
int mgmt_global_spend(mgmt_call_t *c, keys_error_t *err);
int mgmt_global_spend_by(mgmt_call_t *c, keys_error_t *err);

/* mgmt_ops.c: llmctl's routes (health, backup and restore of the table) */
int mgmt_ops_health(mgmt_call_t *c, keys_error_t *err);
int mgmt_ops_state_get(mgmt_call_t *c, keys_error_t *err);
int mgmt_ops_state_put(mgmt_call_t *c, keys_error_t *err);

/* mgmt_content.c: the console's named configs (/config/named...,
 * /config/base/apply); 1 when sub was one of them and is answered */
int mgmt_config_content(mgmt_call_t *c, const char *sub);

/* mgmt_reqlog.c: /request/log and /request/stats (own_token: NULL for
 * every line, else only that key's) */
int mgmt_request_log(mgmt_call_t *c, const char *sub, const char *own_token,
    keys_error_t *err);

#endif
