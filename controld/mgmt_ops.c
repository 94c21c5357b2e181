/*
 * Operator routes on the management socket, for llmctl (nginx proxies
 * only /key/, /team/, /spend/ and /global/, so these never face clients):
 *   GET  /_ops/health  the key store's state, for status-detailed and test
 *   GET  /_ops/state   the key table as of one instant (backup)
 *   POST /_ops/state   replace it (restore, reset --purge-data)
 */

#include "keys_restore.h"
#include "mgmt_int.h"

int
mgmt_ops_health(mgmt_call_t *c, keys_error_t *err)
{
    keys_service_t  *svc = c->svc;

    (void) err;
    return mgmt_reply(c, 200,
        json_pack("{s:s, s:s?, s:s, s:b, s:b, s:b, s:I, s:I}",
                  "store", svc->store->name,
                  "redis", svc->redis_desc,
                  "state_file", svc->state_path,
                  "loaded", svc->loaded,
                  "from_cache", svc->from_cache,
                  "available", svc->store->available(svc->store),
                  "keys", (json_int_t) json_object_size(svc->st.db.keys),
                  "teams", (json_int_t) json_object_size(svc->st.db.teams)));
}

int
mgmt_ops_state_get(mgmt_call_t *c, keys_error_t *err)
{
    if (!c->svc->loaded) {
        return keys_fail(err, 503, NULL, "the key table is not loaded yet");
    }
    return mgmt_reply(c, 200, keys_service_dump(c->svc));
}

int
mgmt_ops_state_put(mgmt_call_t *c, keys_error_t *err)
{
    if (keys_service_replace(c->svc, c->body, err) != 0) {
        return -1;
    }
    return mgmt_reply(c, 200,
        json_pack("{s:I, s:I}",
                  "keys", (json_int_t) json_object_size(c->svc->st.db.keys),
                  "teams",
                  (json_int_t) json_object_size(c->svc->st.db.teams)));
}
