/*
 * The admin console's API (/ui/api/..., nginx proxies it here without
 * llm_management): sign-in with the master key or a virtual key, a session
 * cookie, CSRF tokens, and the role check that decides what a session may
 * call.  Admin sessions (the master key, or a virtual key whose metadata
 * has "role": "admin") reach every management route as /ui/api/<route>;
 * any other key's session sees only its own key (/ui/api/self).
 *
 *   POST /ui/api/login    {"key": "sk-..."} -> Set-Cookie, {role, csrf}
 *   GET  /ui/api/session  {role, csrf, alias, key_name}
 *   POST /ui/api/logout
 *   GET  /ui/api/self     {"key": token, "info": record}
 *   GET  /ui/api/config   the compiled config, secrets masked (admin)
 *   POST /ui/api/config/apply   re-read the running config, publish (admin)
 *   *    /ui/api/config/named..., /config/base/apply   named configs
 *        (admin: mgmt_content.c)
 *   GET  /ui/api/gateway  nginx's /_llm/status and /_llm/usage (admin)
 *   GET  /ui/api/request/log, /request/stats  the request log (any
 *        session; a plain key's own lines only: mgmt_reqlog.c)
 *   *    /ui/api/<management route>  (admin)
 *
 * Every POST must be application/json (a cross-site form cannot send it)
 * and, except login, carry the session's token in X-CSRF-Token.  Five
 * failed sign-ins from one address (X-LLM-Client, set by nginx) make it
 * wait 30 s.  Sessions
 * live in controld's memory only: a restart signs everyone out.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cfg_hash.h"
#include "ctl_http.h"
#include "keys_util.h"
#include "keys_fields.h"
#include "mgmt_int.h"

#define CONSOLE_PREFIX      "/ui/api"
#define CONSOLE_SESSIONS    256
#define CONSOLE_TTL         (8 * 3600)          /* seconds, from sign-in */
#define CONSOLE_COOKIE      "llm_session"
#define CONSOLE_CLIENTS     64          /* addresses with failed sign-ins */
#define CONSOLE_MAX_FAILS   5           /* then that address waits: */
#define CONSOLE_LOCKOUT     30          /* seconds */

typedef enum { ROLE_NONE = 0, ROLE_ADMIN, ROLE_KEY } console_role_t;

typedef struct {
    char            id[65];             /* cookie value, 32 random bytes */
    char            csrf[65];
    char            token[65];          /* "" for the master key */
    console_role_t  role;
    time_t          expires;
} console_session_t;

static console_session_t  sessions[CONSOLE_SESSIONS];

/* Failed sign-ins per client address (nginx's $remote_addr in
 * X-LLM-Client): guessing a weak master key costs 30 s per 5 tries. */
typedef struct {
    char    addr[64];
    int     fails;
    time_t  until;
} console_client_t;

static console_client_t  clients[CONSOLE_CLIENTS];

static console_client_t *
client_slot(const http_request_t *req, int create)
{
    const char        *addr = http_header(req, "x-llm-client");
    console_client_t  *free_slot = NULL, *c;
    size_t             i;
    time_t             now = time(NULL);

    if (addr == NULL) {
        addr = "";
    }
    for (i = 0; i < CONSOLE_CLIENTS; i++) {
        c = &clients[i];
        if (c->fails > 0 && strncmp(c->addr, addr, sizeof(c->addr) - 1) == 0) {
            return c;
        }
        if (free_slot == NULL
            && (c->fails == 0 || (c->until != 0 && c->until <= now)))
        {
            free_slot = c;
        }
    }
    if (!create) {
        return NULL;
    }
    c = free_slot != NULL ? free_slot : &clients[now % CONSOLE_CLIENTS];
    memset(c, 0, sizeof(*c));
    snprintf(c->addr, sizeof(c->addr), "%s", addr);
    return c;
}

/* 1 when this address must wait before trying again. */
static int
locked_out(const http_request_t *req)
{
    console_client_t  *c = client_slot(req, 0);
    time_t             now = time(NULL);

    if (c == NULL || c->until == 0) {
        return 0;
    }
    if (c->until > now) {
        return 1;
    }
    memset(c, 0, sizeof(*c));           /* served its wait */
    return 0;
}

static void
sign_in_failed(const http_request_t *req)
{
    console_client_t  *c = client_slot(req, 1);

    if (++c->fails >= CONSOLE_MAX_FAILS) {
        c->until = time(NULL) + CONSOLE_LOCKOUT;
    }
}

static void
sign_in_succeeded(const http_request_t *req)
{
    console_client_t  *c = client_slot(req, 0);

    if (c != NULL) {
        memset(c, 0, sizeof(*c));
    }
}

/* size/2 random bytes in hex, NUL-terminated (size odd: 65 for 32) */
static int
random_hex(char *out, size_t size)
{
    unsigned char  raw[32];
    size_t         i, n;

    n = (size - 1) / 2;
    if (n > sizeof(raw) || RAND_bytes(raw, (int) n) != 1) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    }
    out[2 * n] = '\0';
    return 0;
}

static void
console_error(mgmt_call_t *c, int status, const char *message)
{
    char  code[8];

    snprintf(code, sizeof(code), "%d", status);
    mgmt_reply(c, status, json_pack("{s:{s:s, s:s, s:n, s:s}}", "error",
                                    "message", message,
                                    "type", status == 401 || status == 403
                                            ? "auth_error"
                                            : "invalid_request_error",
                                    "param", "code", code));
}

/* The session named by the request's cookie, if live. */
static console_session_t *
find_session(const http_request_t *req)
{
    const char  *cookie = http_header(req, "cookie"), *p;
    char         id[65];
    size_t       i, n;
    time_t       now = time(NULL);

    if (cookie == NULL) {
        return NULL;
    }
    for (p = cookie; (p = strstr(p, CONSOLE_COOKIE "=")) != NULL; p++) {
        if (p == cookie || p[-1] == ' ' || p[-1] == ';') {
            break;
        }
    }
    if (p == NULL) {
        return NULL;
    }
    p += sizeof(CONSOLE_COOKIE);
    n = strcspn(p, "; ");
    if (n != 64) {
        return NULL;
    }
    memcpy(id, p, 64);
    id[64] = '\0';
    for (i = 0; i < CONSOLE_SESSIONS; i++) {
        if (sessions[i].role != ROLE_NONE
            && CRYPTO_memcmp(sessions[i].id, id, 64) == 0)
        {
            if (sessions[i].expires <= now) {
                memset(&sessions[i], 0, sizeof(sessions[i]));
                return NULL;
            }
            return &sessions[i];
        }
    }
    return NULL;
}

/* A virtual key's session lasts while its key exists and is not blocked. */
static int
session_valid(keys_service_t *svc, const console_session_t *s)
{
    json_t  *rec;

    if (s->token[0] == '\0') {
        return 1;
    }
    rec = json_object_get(svc->st.db.keys, s->token);
    return rec != NULL && !json_is_true(json_object_get(rec, "blocked"));
}

static int
key_is_admin(const json_t *rec)
{
    const char  *role = json_string_value(
        json_object_get(json_object_get(rec, "metadata"), "role"));

    return role != NULL && (strcmp(role, "admin") == 0
                            || strcmp(role, "proxy_admin") == 0);
}

static int
is_json(const http_request_t *req)
{
    const char  *ct = http_header(req, "content-type");

    return ct != NULL && strncasecmp(ct, "application/json", 16) == 0;
}

static int
over_tls(const http_request_t *req)
{
    const char  *scheme = http_header(req, "x-llm-scheme");

    return scheme != NULL && strcmp(scheme, "https") == 0;
}

static void
set_cookie(mgmt_call_t *c, const char *value, long max_age)
{
    size_t  cap = 256;

    c->resp->headers = malloc(cap);
    if (c->resp->headers == NULL) {
        abort();
    }
    snprintf(c->resp->headers, cap,
             "Set-Cookie: " CONSOLE_COOKIE "=%s; Path=/ui/; Max-Age=%ld; "
             "HttpOnly; SameSite=Strict%s\r\n",
             value, max_age, over_tls(c->req) ? "; Secure" : "");
}

static json_t *
session_doc(keys_service_t *svc, const console_session_t *s)
{
    json_t  *rec = s->token[0] ? json_object_get(svc->st.db.keys, s->token)
                               : NULL;

    return json_pack("{s:s, s:s, s:o, s:o}",
                     "role", s->role == ROLE_ADMIN ? "admin" : "key",
                     "csrf", s->csrf,
                     "key_alias", rec ? json_incref(json_object_get(
                                            rec, "key_alias"))
                                      : json_string("master key"),
                     "key_name", rec ? json_incref(json_object_get(
                                           rec, "key_name"))
                                     : json_null());
}

static void
login(mgmt_call_t *c)
{
    keys_service_t     *svc = c->svc;
    const char         *key;
    char                hex[65];
    json_t             *rec;
    console_session_t  *s = NULL;
    console_role_t      role;
    size_t              i;
    time_t              now = time(NULL), oldest = 0;

    if (locked_out(c->req)) {
        c->resp->headers = strdup("Retry-After: 30\r\n");
        console_error(c, 429, "too many failed sign-ins; try again in 30 s");
        return;
    }
    key = json_string_value(json_object_get(c->body, "key"));
    if (key == NULL || key[0] == '\0') {
        console_error(c, 400, "sign in with the master key or a virtual key");
        return;
    }
    cfg_sha256_hex(key, strlen(key), hex);
    rec = NULL;
    if (svc->master_hash[0] != '\0'
        && CRYPTO_memcmp(hex, svc->master_hash, 64) == 0)
    {
        role = ROLE_ADMIN;
    } else {
        rec = json_object_get(svc->st.db.keys, hex);
        if (rec == NULL || json_is_true(json_object_get(rec, "blocked"))
            || (keys_rec_int(rec, "expires", 0) != 0
                && keys_rec_int(rec, "expires", 0) <= (int64_t) now))
        {
            /* the same answer for unknown, blocked and expired keys */
            sign_in_failed(c->req);
            console_error(c, 401, "this key cannot sign in");
            return;
        }
        role = key_is_admin(rec) ? ROLE_ADMIN : ROLE_KEY;
    }

    /* a free or expired slot, else the one closest to expiry */
    for (i = 0; i < CONSOLE_SESSIONS; i++) {
        if (sessions[i].role == ROLE_NONE || sessions[i].expires <= now) {
            s = &sessions[i];
            break;
        }
        if (s == NULL || sessions[i].expires < oldest) {
            s = &sessions[i];
            oldest = sessions[i].expires;
        }
    }
    memset(s, 0, sizeof(*s));
    if (random_hex(s->id, sizeof(s->id)) != 0
        || random_hex(s->csrf, sizeof(s->csrf)) != 0)
    {
        memset(s, 0, sizeof(*s));
        console_error(c, 500, "no randomness for a session");
        return;
    }
    sign_in_succeeded(c->req);
    snprintf(s->token, sizeof(s->token), "%s", rec ? hex : "");
    s->role = role;
    s->expires = now + CONSOLE_TTL;
    set_cookie(c, s->id, CONSOLE_TTL);
    mgmt_reply(c, 200, session_doc(svc, s));
}

/* GET /_llm/status and /_llm/usage from nginx, side by side. */
static void
gateway_state(mgmt_call_t *c)
{
    static const char  *what[] = { "status", "usage" };
    ctl_http_response_t  r;
    char                 url[64], error[128];
    json_t              *doc = json_object(), *part;
    size_t               i;

    for (i = 0; i < 2; i++) {
        snprintf(url, sizeof(url), "http://localhost/_llm/%s", what[i]);
        part = NULL;
        if (ctl_http_request(c->svc->admin_socket, "GET", url, NULL, NULL,
                             2000, &r, error, sizeof(error)) == 0)
        {
            if (r.status == 200) {
                part = json_loads(r.body, 0, NULL);
            }
            ctl_http_response_free(&r);
        }
        json_object_set_new(doc, what[i], part ? part : json_null());
    }
    mgmt_reply(c, 200, doc);
}

void
mgmt_console(mgmt_call_t *c)
{
    const http_request_t  *req = c->req;
    const char            *sub = req->path + sizeof(CONSOLE_PREFIX) - 1;
    int                    post = strcmp(req->method, "POST") == 0;
    console_session_t     *s;
    const char            *csrf;

    if (post && !is_json(req)) {
        console_error(c, 415, "the console's calls are application/json");
        return;
    }
    if (strcmp(sub, "/login") == 0 && post) {
        login(c);
        return;
    }

    s = find_session(req);
    if (s != NULL && !session_valid(c->svc, s)) {
        memset(s, 0, sizeof(*s));
        s = NULL;
    }
    if (s == NULL) {
        console_error(c, 401, "not signed in");
        return;
    }
    if (post) {
        csrf = http_header(req, "x-csrf-token");
        if (csrf == NULL || strlen(csrf) != 64
            || CRYPTO_memcmp(csrf, s->csrf, 64) != 0)
        {
            console_error(c, 403, "missing or wrong X-CSRF-Token");
            return;
        }
    }

    if (strcmp(sub, "/session") == 0) {
        mgmt_reply(c, 200, session_doc(c->svc, s));
        return;
    }
    if (strcmp(sub, "/logout") == 0 && post) {
        memset(s, 0, sizeof(*s));
        set_cookie(c, "", 0);
        mgmt_reply(c, 200, json_pack("{s:b}", "signed_out", 1));
        return;
    }
    if (strcmp(sub, "/self") == 0) {
        if (s->token[0] == '\0') {
            mgmt_reply(c, 200, json_pack("{s:n, s:{s:s}}", "key", "info",
                                         "key_alias", "master key"));
            return;
        }
        mgmt_reply(c, 200, json_pack("{s:s, s:o}", "key", s->token, "info",
                       keys_fields_key_view(&c->svc->st.db, s->token,
                           json_object_get(c->svc->st.db.keys, s->token))));
        return;
    }

    if (strncmp(sub, "/request/", 9) == 0) {
        keys_error_t  err;

        /* any session: a plain key's only shows its own lines */
        if (mgmt_request_log(c, sub, s->role == ROLE_ADMIN ? NULL : s->token,
                             &err) != 0)
        {
            mgmt_reply_error(c, &err);
        }
        return;
    }
    if (s->role != ROLE_ADMIN) {
        console_error(c, 403, "this needs an admin key");
        return;
    }
    if (strcmp(sub, "/config") == 0) {
        mgmt_reply(c, 200, json_incref(c->svc->config_view
                                       ? c->svc->config_view : json_null()));
        return;
    }
    if (mgmt_config_content(c, sub)) {
        return;
    }
    if (strcmp(sub, "/config/apply") == 0 && post) {
        c->svc->reload_requested = 1;
        mgmt_reply(c, 202, json_pack("{s:b}", "reload", 1));
        return;
    }
    if (strcmp(sub, "/gateway") == 0) {
        gateway_state(c);
        return;
    }
    mgmt_route(c, sub);
}
