/*
 * Stored responses of the Responses API, made durable by controld
 * (docs/responses.md "Where they are kept").  The module keeps each one
 * in its shared zone and marks it not yet durable; controld drains new
 * entries and deletions (GET /_llm/responses), writes them where it keeps
 * state and acknowledges them (POST /_llm/responses).  A worker that does
 * not hold an id asks controld through nginx (a subrequest to the
 * internal location of conf/llm_rstore.conf):
 *
 *   GET    /_llm/rstore/<owner>/<id>   200 the entry; 404; 503
 *   DELETE /_llm/rstore/<owner>/<id>   200 deleted; 404; 503
 *
 * <owner> is the SHA-256 (hex) of the key that made it: an entry is
 * stored under owner and id together, so one key never reads another's.
 * The entry is opaque text (the module's JSON, whatever it holds).
 *
 * Backends: Redis when the key store is Redis (store_resp_redis.c: the
 * entries, every gateway node's, shared), else a state file beside the
 * key store's (store_resp_file.c).  Both keep an entry until its expiry
 * (the remaining responses_ttl) and at most responses_max_size of them,
 * dropping the ones that expire first.
 */

#ifndef STORE_RESP_H
#define STORE_RESP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http_server.h"
#include "store_api.h"

typedef struct resp_store_s  resp_store_t;

struct resp_store_s {
    const char  *name;

    /* 0 stored; -1 the store failed (the entry stays pending) */
    int      (*put)(resp_store_t *s, const char *owner, const char *id,
                 const char *entry, size_t len, int64_t ttl_ms,
                 int64_t max_bytes);

    /* 1 found (*entry malloc'd), 0 not there, -1 the store failed */
    int      (*get)(resp_store_t *s, const char *owner, const char *id,
                 char **entry, size_t *len);

    /* 1 deleted, 0 was not there, -1 the store failed */
    int      (*del)(resp_store_t *s, const char *owner, const char *id);

    /* after a batch of put/del: make them durable (the file); 0 or -1 */
    int      (*commit)(resp_store_t *s);

    /* deletions made by any node since *cursor, [[owner, id], ...], and
     * the cursor moved on; NULL when there is nothing to learn (one node)
     * or the store failed.  New reference. */
    json_t  *(*deleted_since)(resp_store_t *s, double *cursor);

    void     (*destroy)(resp_store_t *s);
};

/* the wall clock in ms: expiries outlive a restart of controld */
int64_t resp_store_now_ms(void);

resp_store_t *resp_store_file_create(const char *path);

/* Redis through the key store's connection (store_redis.c) */
resp_store_t *resp_store_redis_create(store_t *redis);

/* store_redis.c: one command on the key store's connection; NULL when it
 * failed (an error reply included).  freeReplyObject() the answer. */
void *store_redis_command(store_t *s, int argc, const char **argv,
    const size_t *lens);

/* ---- the sync with the module (store_resp_sync.c) ---------------------- */

typedef struct {
    resp_store_t  *store;
    char          *admin_socket;
    double         cursor;              /* deleted_since() */
    int            warned;
} resp_sync_t;

resp_sync_t *resp_sync_create(resp_store_t *store, const char *admin_socket);
void resp_sync_free(resp_sync_t *rs);

/* Drain the module's new entries and deletions into the store, and tell
 * the module of deletions made on other nodes. */
void resp_sync_drain(resp_sync_t *rs);

/* GET/DELETE /_llm/rstore/<owner>/<id> from the module. */
void resp_sync_handle(resp_sync_t *rs, const http_request_t *req,
    http_response_t *resp);

#endif
