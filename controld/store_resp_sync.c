/*
 * The sync of stored responses between the module's zone and controld's
 * store (store_resp.h): the drain, the deletions other nodes made, and the
 * lookups the module sends when its zone does not hold an id.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_http.h"
#include "ctl_log.h"
#include "store_resp.h"

#define RESPONSES_URL   "http://localhost/_llm/responses"
#define DRAIN_ROUNDS    16              /* batches of ~1 MB per drain */

resp_sync_t *
resp_sync_create(resp_store_t *store, const char *admin_socket)
{
    resp_sync_t  *rs = calloc(1, sizeof(*rs));

    if (rs == NULL) {
        abort();
    }
    rs->store = store;
    rs->admin_socket = strdup(admin_socket);
    return rs;
}

void
resp_sync_free(resp_sync_t *rs)
{
    if (rs == NULL) {
        return;
    }
    rs->store->destroy(rs->store);
    free(rs->admin_socket);
    free(rs);
}

/* POST /_llm/responses; 0 when the module took it */
static int
post(resp_sync_t *rs, json_t *ack, json_t *forget)
{
    ctl_http_response_t   resp;
    json_t               *doc;
    char                 *text, error[256];
    int                   rc;

    doc = json_pack("{s:O, s:O}", "ack", ack, "forget", forget);
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text == NULL) {
        return -1;
    }
    rc = ctl_http_request(rs->admin_socket, "POST", RESPONSES_URL, text,
                          NULL, 5000, &resp, error, sizeof(error));
    free(text);
    if (rc == 0 && resp.status != 200) {
        rc = -1;
    }
    ctl_http_response_free(&resp);
    return rc;
}

/* one batch; 1 when the module has more, 0 done, -1 failed */
static int
drain_batch(resp_sync_t *rs, json_t *forget)
{
    ctl_http_response_t   resp;
    json_t               *doc, *entries, *e, *ack;
    const char           *id, *owner, *text;
    char                  error[256];
    int64_t               max;
    size_t                i;
    int                   rc, more, failed = 0;

    if (ctl_http_request(rs->admin_socket, "GET", RESPONSES_URL, NULL, NULL,
                         5000, &resp, error, sizeof(error)) != 0)
    {
        return -1;                      /* nginx not up */
    }
    doc = resp.status == 200 ? json_loads(resp.body, 0, NULL) : NULL;
    ctl_http_response_free(&resp);
    if (doc == NULL) {
        return -1;
    }
    entries = json_object_get(doc, "entries");
    max = json_integer_value(json_object_get(doc, "max_bytes"));
    more = json_is_true(json_object_get(doc, "more"));
    ack = json_array();

    json_array_foreach(entries, i, e) {
        id = json_string_value(json_object_get(e, "id"));
        owner = json_string_value(json_object_get(e, "owner"));
        text = json_string_value(json_object_get(e, "entry"));
        if (id == NULL || owner == NULL) {
            continue;
        }
        if (json_is_true(json_object_get(e, "deleted"))) {
            rc = rs->store->del(rs->store, owner, id) < 0 ? -1 : 0;
        } else if (text != NULL) {
            rc = rs->store->put(rs->store, owner, id, text,
                     json_string_length(json_object_get(e, "entry")),
                     json_integer_value(json_object_get(e, "ttl_ms")), max);
        } else {
            continue;
        }
        if (rc != 0) {
            failed = 1;                 /* the rest waits for the store */
            break;
        }
        json_array_append_new(ack, json_pack("[sO]", id,
                                             json_object_get(e, "seq")));
    }
    if (json_array_size(ack) > 0 && rs->store->commit(rs->store) != 0) {
        json_array_clear(ack);
        failed = 1;
    }
    if (failed && !rs->warned) {
        ctl_log("responses: the %s store did not take stored responses; "
                "they stay pending in the zone (retrying)", rs->store->name);
        rs->warned = 1;
    } else if (!failed && rs->warned) {
        ctl_log("responses: the %s store takes stored responses again",
                rs->store->name);
        rs->warned = 0;
    }
    if (json_array_size(ack) > 0 || json_array_size(forget) > 0) {
        if (post(rs, ack, forget) != 0) {
            failed = 1;
        } else {
            json_array_clear(forget);   /* the module heard of them */
        }
    }
    json_decref(ack);
    json_decref(doc);
    return failed ? -1 : more;
}

void
resp_sync_drain(resp_sync_t *rs)
{
    json_t  *forget;
    double   cursor = rs->cursor;
    int      round;

    forget = rs->store->deleted_since(rs->store, &cursor);
    if (forget == NULL) {
        forget = json_array();
    }
    for (round = 0; round < DRAIN_ROUNDS; round++) {
        if (drain_batch(rs, forget) != 1) {
            break;
        }
    }
    if (json_array_size(forget) == 0) {
        rs->cursor = cursor;            /* the module heard of them */
    }
    json_decref(forget);
}

static void
reply(http_response_t *resp, int status, const char *message)
{
    json_t  *doc = json_pack("{s:{s:s}}", "error", "message", message);

    resp->status = status;
    resp->body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
}

void
resp_sync_handle(resp_sync_t *rs, const http_request_t *req,
    http_response_t *resp)
{
    const char  *owner = req->path + sizeof("/_llm/rstore/") - 1;
    const char  *slash = strchr(owner, '/');
    char         own[65], *entry = NULL;
    size_t       len;
    int          rc, del;

    del = strcmp(req->method, "DELETE") == 0;
    if (slash == NULL || slash - owner != 64 || slash[1] == '\0'
        || strlen(slash + 1) > 128)
    {
        reply(resp, 400, "expected /_llm/rstore/<owner>/<id>");
        return;
    }
    if (!del && strcmp(req->method, "GET") != 0) {
        reply(resp, 405, "GET or DELETE");
        return;
    }
    memcpy(own, owner, 64);
    own[64] = '\0';

    /* what this node's zone has not handed over yet comes first, so that
     * an id made here and evicted from the zone is found, or deleted */
    resp_sync_drain(rs);

    rc = del ? rs->store->del(rs->store, own, slash + 1)
             : rs->store->get(rs->store, own, slash + 1, &entry, &len);
    if (rc > 0 && del) {
        rc = rs->store->commit(rs->store) == 0 ? 1 : -1;
    }
    if (rc < 0) {
        reply(resp, 503, "the response store is unavailable");
    } else if (rc == 0) {
        reply(resp, 404, "not found");
    } else if (del) {
        resp->status = 200;
        resp->body = strdup("{\"deleted\":true}");
    } else {
        resp->status = 200;
        resp->body = entry;
    }
}
