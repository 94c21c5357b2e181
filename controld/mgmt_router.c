/*
 * Management API entry: authentication (the master key, checked here as
 * well as by nginx's llm_management), body parsing, routing and the error
 * shape ({"error": {"message", "type", "param", "code"}}, as LiteLLM).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "cfg_hash.h"
#include "keys_util.h"
#include "mgmt.h"
#include "mgmt_int.h"

typedef struct {
    const char  *method;                /* NULL: GET or POST */
    const char  *path;
    int        (*run)(mgmt_call_t *c, keys_error_t *err);
} route_t;

static const route_t  routes[] = {
    { "POST", "/key/generate", mgmt_key_generate },
    { "POST", "/key/update", mgmt_key_update },
    { "POST", "/key/delete", mgmt_key_delete },
    { "GET", "/key/info", mgmt_key_info },
    { "GET", "/key/list", mgmt_key_list },
    { "POST", "/key/regenerate", mgmt_key_regenerate },
    { "POST", "/key/block", mgmt_key_block },
    { "POST", "/key/unblock", mgmt_key_unblock },
    { "POST", "/team/new", mgmt_team_new },
    { "POST", "/team/update", mgmt_team_update },
    { "POST", "/team/delete", mgmt_team_delete },
    { "GET", "/team/info", mgmt_team_info },
    { "GET", "/team/list", mgmt_team_list },
    { "GET", "/spend/keys", mgmt_spend_keys },
    { "GET", "/global/spend", mgmt_global_spend },
    { "GET", "/global/spend/keys", mgmt_global_spend_by },
    { "GET", "/global/spend/teams", mgmt_global_spend_by },
    { "GET", "/global/spend/models", mgmt_global_spend_by },
    { "GET", "/global/spend/deployments", mgmt_global_spend_by },
    { "GET", "/global/spend/days", mgmt_global_spend_by },
    { "GET", "/_ops/health", mgmt_ops_health },
    { "GET", "/_ops/state", mgmt_ops_state_get },
    { "POST", "/_ops/state", mgmt_ops_state_put },
};

int
mgmt_reply(mgmt_call_t *c, int status, json_t *doc)
{
    c->resp->status = status;
    c->resp->body = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY
                                    | JSON_REAL_PRECISION(12));
    json_decref(doc);
    return 0;
}

void
mgmt_reply_error(mgmt_call_t *c, const keys_error_t *err)
{
    char  code[8];

    snprintf(code, sizeof(code), "%d", err->status);
    mgmt_reply(c, err->status,
               json_pack("{s:{s:s, s:s, s:o, s:s}}", "error",
                         "message", err->message, "type", err->type,
                         "param", err->param[0] ? json_string(err->param)
                                                : json_null(),
                         "code", code));
}

char *
mgmt_arg(mgmt_call_t *c, const char *name)
{
    const char  *v = json_string_value(json_object_get(c->body, name));

    return v != NULL ? strdup(v) : http_query_param(c->req, name);
}

int
mgmt_find_key(mgmt_call_t *c, const char *given, const char *param,
    char token[65], keys_error_t *err)
{
    char  hint[16];

    if (given == NULL || given[0] == '\0') {
        return keys_fail(err, 400, param, "%s is required", param);
    }
    if (keys_is_token(given)) {
        snprintf(token, 65, "%s", given);
    } else {
        keys_token(given, token);
    }
    if (json_object_get(c->svc->st.db.keys, token) == NULL) {
        /* Never echo a key: at most its last 4 characters. */
        keys_name(given, hint, sizeof(hint));
        return keys_fail(err, 404, param, "key not found: %s", hint);
    }
    return 0;
}

/* The master key from Authorization: Bearer, x-api-key or api-key. */
static int
authorized(const keys_service_t *svc, const http_request_t *req)
{
    const char  *auth = http_header(req, "authorization");
    const char  *key = NULL;
    char         hex[65];
    int          ok;

    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
        key = auth + 7;
        while (*key == ' ') {
            key++;
        }
    } else if (http_header(req, "x-api-key") != NULL) {
        key = http_header(req, "x-api-key");
    } else if (http_header(req, "api-key") != NULL) {
        key = http_header(req, "api-key");
    }
    if (key == NULL || key[0] == '\0' || svc->master_hash[0] == '\0') {
        return 0;
    }
    cfg_sha256_hex(key, strlen(key), hex);
    ok = CRYPTO_memcmp(hex, svc->master_hash, 64) == 0;
    return ok;
}

/*
 * Route `path` (a management route; the console's admin calls arrive with
 * their /ui/api prefix taken off) for an authorized caller.
 */
void
mgmt_route(mgmt_call_t *c, const char *given)
{
    const http_request_t  *req = c->req;
    keys_error_t           err;
    const route_t         *route = NULL;
    const char            *p;
    char                  *path;
    size_t                 i, len;
    int                    path_known = 0;

    path = strdup(given);

    /* "/key/{key}/regenerate" is "/key/regenerate" with the key in the
     * path. */
    len = strlen(path);
    if (strncmp(path, "/key/", 5) == 0 && len > 16
        && strcmp(path + len - 11, "/regenerate") == 0
        && strcmp(path, "/key/regenerate") != 0)
    {
        path[len - 11] = '\0';
        c->tail = path + 5;
        p = "/key/regenerate";
    } else {
        /* a trailing slash is tolerated */
        if (len > 1 && path[len - 1] == '/') {
            path[len - 1] = '\0';
        }
        p = path;
    }

    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, p) == 0) {
            path_known = 1;
            if (strcmp(routes[i].method, req->method) == 0) {
                route = &routes[i];
            }
        }
    }

    if (!path_known) {
        keys_fail(&err, 404, NULL, "no management route %s %.100s",
                  req->method, given);
        mgmt_reply_error(c, &err);
    } else if (route == NULL) {
        keys_fail(&err, 405, NULL, "%.100s does not take %s", given,
                  req->method);
        mgmt_reply_error(c, &err);
    } else {
        if (route->run(c, &err) != 0) {
            mgmt_reply_error(c, &err);
        }
        keys_service_publish_now(c->svc);
    }
    c->tail = NULL;
    free(path);
}

void
mgmt_handle(void *arg, const http_request_t *req, http_response_t *resp)
{
    keys_service_t  *svc = arg;
    mgmt_call_t      c;
    keys_error_t     err;
    json_error_t     jerr;
    int              console;

    memset(&c, 0, sizeof(c));
    c.svc = svc;
    c.req = req;
    c.resp = resp;
    console = strncmp(req->path, "/ui/api/", 8) == 0;

    /*
     * The module's look-ups of stored responses (store_resp.h): nginx
     * sends them from an internal location only, and a client can reach
     * this socket only through the master key's routes (/key/... paths),
     * so the owner digest in the path is the module's word.
     */
    if (strncmp(req->path, "/_llm/rstore/", 13) == 0) {
        resp_sync_handle(svc->responses, req, resp);
        return;
    }

    /* the console authenticates by its session cookie instead */
    if (!console && !authorized(svc, req)) {
        keys_fail(&err, 401, NULL, svc->master_hash[0] == '\0'
                  ? "the management API needs a master key "
                    "(general_settings.master_key)"
                  : "Authentication Error: the management API needs the "
                    "master key");
        mgmt_reply_error(&c, &err);
        return;
    }

    /* the console refuses a body that is not JSON itself (415) */
    if (req->body_len > 0
        && !(console && (http_header(req, "content-type") == NULL
                         || strncasecmp(http_header(req, "content-type"),
                                        "application/json", 16) != 0)))
    {
        c.body = json_loadb(req->body, req->body_len, 0, &jerr);
        if (!json_is_object(c.body)) {
            keys_fail(&err, 400, NULL, "the body must be a JSON object%s%s",
                      c.body == NULL ? ": " : "",
                      c.body == NULL ? jerr.text : "");
            mgmt_reply_error(&c, &err);
            json_decref(c.body);
            return;
        }
    } else {
        c.body = json_object();
    }

    if (console) {
        mgmt_console(&c);
    } else {
        mgmt_route(&c, req->path);
    }
    json_decref(c.body);
}
