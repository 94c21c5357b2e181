/*
 * The service-account token fetcher (ctl_oauth.h).
 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>


#include "cfg_jwt.h"
#include "ctl_http.h"
#include "ctl_log.h"
#include "ctl_oauth.h"


/*
 * The signed assertion, the form that carries it, the service account's
 * key and the access token are credentials: wiped before their memory
 * goes back to malloc, where a later dump or a bug could show it.
 */
static void
secret_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}


#define OAUTH_TIMEOUT_MS     10000
#define OAUTH_BACKOFF_MIN    1.0        /* seconds, doubled per failure */
#define OAUTH_BACKOFF_MAX    60.0
#define OAUTH_GRANT  "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"


typedef struct {
    char      *email;
    char      *key;
    char      *uri;
    char      *scope;
    char      *token;           /* NULL: none yet, or it expired */
    double     expires_at;
    double     next_at;         /* the next fetch */
    double     backoff;
    char       error[300];      /* the last failure, "" after a success */
} oauth_entry_t;


struct ctl_oauth_s {
    pthread_mutex_t   lock;
    pthread_cond_t    wake;
    pthread_t         thread;
    int               started;
    int               stop;
    int               fd;
    oauth_entry_t    *entries;
    size_t            nentries;
};


static double
now_real(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
token_ok(const char *t)
{
    for ( ; *t; t++) {
        if ((unsigned char) *t <= 0x20 || *t == 0x7f) {
            return 0;
        }
    }
    return 1;
}


/*
 * One exchange: 0 with *token (malloc'd) and *expires_in, or -1 with why
 * (the endpoint's status and error code, never the token or the key).
 * libcurl blocks here, in the fetcher's thread only.
 */
static int
oauth_fetch(const char *email, const char *key, const char *uri,
    const char *scope, char **token, long long *expires_in, char *why,
    size_t whylen)
{
    ctl_http_call_t      call;
    ctl_http_response_t  resp;
    json_t              *answer;
    const char          *t, *code, *desc;
    char                *jwt, *form, err[200];
    size_t               n;
    int                  rc;

    jwt = cfg_jwt_rs256(key, email, scope, uri, (long long) now_real(), err,
                        sizeof(err));
    if (jwt == NULL) {
        snprintf(why, whylen, "%.150s", err);
        return -1;
    }

    /* the JWT's alphabet (base64url and '.') needs no escaping */
    n = sizeof("grant_type=" OAUTH_GRANT "&assertion=") + strlen(jwt);
    form = malloc(n);
    if (form == NULL) {
        abort();
    }
    snprintf(form, n, "%s&assertion=%s", "grant_type=" OAUTH_GRANT, jwt);
    secret_free(jwt);

    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = uri;
    call.body = form;
    call.content_type = "application/x-www-form-urlencoded";
    call.timeout_ms = OAUTH_TIMEOUT_MS;

    rc = ctl_http_call(&call, &resp, err, sizeof(err));
    secret_free(form);

    if (rc != 0) {
        snprintf(why, whylen, "token endpoint %.120s: %.100s", uri, err);
        return -1;
    }

    answer = json_loads(resp.body, 0, NULL);
    t = json_string_value(json_object_get(answer, "access_token"));

    if (resp.status != 200 || t == NULL || !token_ok(t)) {
        code = json_string_value(json_object_get(answer, "error"));
        desc = json_string_value(json_object_get(answer,
                                                 "error_description"));
        snprintf(why, whylen, "token endpoint %.120s answered HTTP %ld%s%s"
                 "%s%.100s", uri, resp.status, code ? ": " : "",
                 code ? code : (resp.status == 200
                                ? ": no usable access_token" : ""),
                 desc ? ": " : "", desc ? desc : "");
        json_decref(answer);
        ctl_http_response_free(&resp);
        return -1;
    }

    *token = strdup(t);
    *expires_in = json_integer_value(json_object_get(answer, "expires_in"));
    if (*expires_in <= 0) {
        *expires_in = 3600;
    }
    json_decref(answer);
    if (resp.body != NULL) {
        OPENSSL_cleanse(resp.body, resp.len);
    }
    ctl_http_response_free(&resp);
    return 0;
}


static void
signal_change(ctl_oauth_t *o)
{
    uint64_t  one = 1;

    if (write(o->fd, &one, sizeof(one)) < 0) {
        /* the counter is saturated: a wake-up is pending anyway */
    }
}


static void *
oauth_thread(void *arg)
{
    ctl_oauth_t    *o = arg;
    oauth_entry_t  *e;
    struct timespec ts;
    double          now, soonest;
    size_t          i, pick;
    char           *email, *key, *uri, *scope, *token, why[240];
    long long       expires_in;
    int             rc;

    pthread_mutex_lock(&o->lock);

    for ( ;; ) {
        if (o->stop) {
            break;
        }

        now = now_real();
        soonest = 0;
        pick = o->nentries;
        for (i = 0; i < o->nentries; i++) {
            if (pick == o->nentries || o->entries[i].next_at < soonest) {
                soonest = o->entries[i].next_at;
                pick = i;
            }
        }

        if (pick == o->nentries) {
            pthread_cond_wait(&o->wake, &o->lock);
            continue;
        }
        if (soonest > now) {
            ts.tv_sec = (time_t) soonest;
            ts.tv_nsec = (long) ((soonest - (double) ts.tv_sec) * 1e9);
            pthread_cond_timedwait(&o->wake, &o->lock, &ts);
            continue;
        }

        e = &o->entries[pick];
        email = strdup(e->email);
        key = strdup(e->key);
        uri = strdup(e->uri);
        scope = strdup(e->scope);
        pthread_mutex_unlock(&o->lock);

        token = NULL;
        rc = oauth_fetch(email, key, uri, scope, &token, &expires_in, why,
                         sizeof(why));

        pthread_mutex_lock(&o->lock);

        /* the entries may have moved (one was added): find it again */
        e = NULL;
        for (i = 0; i < o->nentries; i++) {
            if (strcmp(o->entries[i].email, email) == 0
                && strcmp(o->entries[i].uri, uri) == 0
                && strcmp(o->entries[i].key, key) == 0)
            {
                e = &o->entries[i];
                break;
            }
        }

        now = now_real();
        if (e != NULL && rc == 0) {
            secret_free(e->token);
            e->token = token;
            token = NULL;
            e->expires_at = now + (double) expires_in;
            e->next_at = now + 0.8 * (double) expires_in;
            e->backoff = OAUTH_BACKOFF_MIN;
            e->error[0] = '\0';
            ctl_log("oauth2: %s: access token obtained (expires in %llds)",
                    email, expires_in);

        } else if (e != NULL) {
            if (e->token != NULL && e->expires_at <= now) {
                secret_free(e->token);
                e->token = NULL;
            }
            snprintf(e->error, sizeof(e->error), "%s (retrying in %.0fs)",
                     why, e->backoff);
            ctl_log("oauth2: %s: %s", email, e->error);
            e->next_at = now + e->backoff;
            e->backoff = e->backoff * 2 > OAUTH_BACKOFF_MAX
                         ? OAUTH_BACKOFF_MAX : e->backoff * 2;
        }

        secret_free(token);
        free(email);
        secret_free(key);
        free(uri);
        free(scope);
        signal_change(o);
    }

    pthread_mutex_unlock(&o->lock);
    return NULL;
}


ctl_oauth_t *
ctl_oauth_create(void)
{
    ctl_oauth_t  *o;

    o = calloc(1, sizeof(*o));
    if (o == NULL) {
        return NULL;
    }
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->wake, NULL);
    o->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return o;
}


void
ctl_oauth_free(ctl_oauth_t *o)
{
    size_t  i;

    if (o == NULL) {
        return;
    }
    if (o->started) {
        pthread_mutex_lock(&o->lock);
        o->stop = 1;
        pthread_cond_signal(&o->wake);
        pthread_mutex_unlock(&o->lock);
        /* a fetch in progress ends within OAUTH_TIMEOUT_MS */
        pthread_join(o->thread, NULL);
    }
    for (i = 0; i < o->nentries; i++) {
        free(o->entries[i].email);
        secret_free(o->entries[i].key);
        free(o->entries[i].uri);
        free(o->entries[i].scope);
        secret_free(o->entries[i].token);
    }
    free(o->entries);
    if (o->fd >= 0) {
        close(o->fd);
    }
    pthread_cond_destroy(&o->wake);
    pthread_mutex_destroy(&o->lock);
    free(o);
}


int
ctl_oauth_fd(ctl_oauth_t *o)
{
    return o->fd;
}


void
ctl_oauth_drain(ctl_oauth_t *o)
{
    uint64_t  n;

    if (read(o->fd, &n, sizeof(n)) < 0) {
        /* nothing pending */
    }
}


/* The entry for an account, added (and fetched at once) when new. */
static oauth_entry_t *
oauth_entry(ctl_oauth_t *o, const char *email, const char *key,
    const char *uri, const char *scope)
{
    oauth_entry_t  *e;
    size_t          i;

    for (i = 0; i < o->nentries; i++) {
        e = &o->entries[i];
        if (strcmp(e->email, email) == 0 && strcmp(e->uri, uri) == 0
            && strcmp(e->key, key) == 0 && strcmp(e->scope, scope) == 0)
        {
            return e;
        }
    }

    e = realloc(o->entries, (o->nentries + 1) * sizeof(*e));
    if (e == NULL) {
        abort();
    }
    o->entries = e;
    e = &o->entries[o->nentries++];
    memset(e, 0, sizeof(*e));
    e->email = strdup(email);
    e->key = strdup(key);
    e->uri = strdup(uri);
    e->scope = strdup(scope);
    e->backoff = OAUTH_BACKOFF_MIN;
    e->next_at = 0;

    if (!o->started
        && pthread_create(&o->thread, NULL, oauth_thread, o) == 0)
    {
        o->started = 1;
    }
    pthread_cond_signal(&o->wake);
    return e;
}


static void
oauth_disable(json_t *doc, json_t *dep, const char *reason)
{
    json_t      *disabled;
    const char  *provider, *model, *id;
    char         full[512], where[160];

    disabled = json_object_get(doc, "disabled");
    if (!json_is_array(disabled)) {
        disabled = json_array();
        json_object_set_new(doc, "disabled", disabled);
    }
    provider = json_string_value(json_object_get(dep, "provider"));
    model = json_string_value(json_object_get(dep, "model"));
    id = json_string_value(json_object_get(dep, "id"));
    snprintf(full, sizeof(full), "%s/%s", provider ? provider : "?",
             model ? model : "?");
    snprintf(where, sizeof(where), "deployment %s", id ? id : "?");

    json_array_append_new(disabled, json_pack("{s:O, s:s, s:s, s:s, s:s}",
        "model_name", json_object_get(dep, "model_name"),
        "model", full, "provider", provider ? provider : "?",
        "reason", reason, "where", where));
}


static void
oauth_each(ctl_oauth_t *o, json_t *doc)
{
    json_t         *deps, *dep, *acct;
    oauth_entry_t  *e;
    const char     *email, *key, *uri, *scope;
    char            reason[600];
    size_t          i;
    double          now;

    deps = json_object_get(doc, "deployments");
    now = now_real();

    for (i = json_array_size(deps); i-- > 0; ) {
        dep = json_array_get(deps, i);
        acct = json_object_get(dep, "oauth2");
        if (acct == NULL) {
            continue;
        }
        email = json_string_value(json_object_get(acct, "client_email"));
        key = json_string_value(json_object_get(acct, "private_key"));
        uri = json_string_value(json_object_get(acct, "token_uri"));
        scope = json_string_value(json_object_get(acct, "scope"));

        if (o == NULL || email == NULL || key == NULL || uri == NULL
            || scope == NULL)
        {
            json_object_del(dep, "oauth2");
            continue;
        }

        e = oauth_entry(o, email, key, uri, scope);

        if (e->token != NULL && e->expires_at > now) {
            json_object_set_new(dep, "api_key", json_string(e->token));
            json_object_del(dep, "oauth2");
            continue;
        }

        if (e->error[0] != '\0') {
            snprintf(reason, sizeof(reason), "provider '%s': no OAuth2 "
                     "access token for %.100s: %s",
                     json_string_value(json_object_get(dep, "provider")),
                     email, e->error);
        } else {
            snprintf(reason, sizeof(reason), "provider '%s': waiting for "
                     "an OAuth2 access token for %.100s from %.120s",
                     json_string_value(json_object_get(dep, "provider")),
                     email, uri);
        }
        oauth_disable(doc, dep, reason);
        json_array_remove(deps, i);
    }
}


void
ctl_oauth_apply(ctl_oauth_t *o, json_t *doc)
{
    pthread_mutex_lock(&o->lock);
    oauth_each(o, doc);
    pthread_mutex_unlock(&o->lock);
}


void
ctl_oauth_strip(json_t *doc)
{
    oauth_each(NULL, doc);
}
