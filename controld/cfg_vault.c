/* HashiCorp Vault KV v2 client (see cfg_vault.h). */

#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg_vault.h"

/* a start or reload waits this long for a stalled Vault (the refresh reads
 * on a thread, cfg_vault_prefetch_start) */
#define VAULT_CONNECT_TIMEOUT_MS  2000
#define VAULT_TIMEOUT_MS          5000
#define VAULT_BODY_MAX    (1024 * 1024)

struct cfg_vault_s {
    char      addr[512];
    char      token[512];        /* VAULT_TOKEN, or the AppRole login's */
    char      ns[256];
    char      cacert[1024];
    char      role_id[256];
    char      secret_id[256];
    char      approle_mount[128];
    int       approle;           /* the token came from an AppRole login */
    double    token_expires;     /* monotonic seconds; 0: no expiry */
    double    token_lease;       /* seconds the login granted */

    json_t   *cache;             /* "MOUNT/PATH" -> data object, or null */
    json_t   *versions;          /* "MOUNT" -> 1 or 2 (its KV version) */
    json_t   *read;              /* paths read (or tried) this round */
    json_t   *stale;             /* paths served from the cache this round */
    int       used;
    int       reachable;         /* the last request got an answer */
    char      error[256];        /* the last failure, no secret in it */
    char      path_error[480];   /* the same with the path it was for */

    /* The refresh read off the caller's thread (cfg_vault_prefetch_*). */
    cfg_vault_t  *worker;        /* a private copy the thread works on */
    pthread_t     thread;
    int           pipe[2];       /* the thread writes one byte when done */
    unsigned      rounds;        /* begun rounds; a newer one wins */
    unsigned      worker_round;
    int           prefilled;     /* the next begin keeps this round */
};

typedef struct {
    char    *data;
    size_t   len;
} body_t;

static double
now_seconds(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

cfg_vault_t *
cfg_vault_create(void)
{
    cfg_vault_t  *v = calloc(1, sizeof(*v));

    if (v == NULL) {
        abort();
    }
    v->cache = json_object();
    v->versions = json_object();
    v->read = json_object();
    v->stale = json_array();
    v->reachable = 1;
    return v;
}

void
cfg_vault_free(cfg_vault_t *v)
{
    if (v == NULL) {
        return;
    }
    if (v->worker != NULL) {
        pthread_join(v->thread, NULL);
        close(v->pipe[0]);
        close(v->pipe[1]);
        cfg_vault_free(v->worker);
    }
    json_decref(v->cache);
    json_decref(v->versions);
    json_decref(v->read);
    json_decref(v->stale);
    memset(v->token, 0, sizeof(v->token));
    memset(v->secret_id, 0, sizeof(v->secret_id));
    free(v);
}

/* The first of two variables that is set and not empty, else "". */
static void
env_copy(const cfg_env_t *env, const char *a, const char *b, char *out,
    size_t size)
{
    const char  *s = cfg_env_lookup(env, a);

    if ((s == NULL || s[0] == '\0') && b != NULL) {
        s = cfg_env_lookup(env, b);
    }
    snprintf(out, size, "%s", s ? s : "");
}

void
cfg_vault_begin(cfg_vault_t *v, const cfg_env_t *env)
{
    char    token[sizeof(v->token)], role[sizeof(v->role_id)];
    size_t  len;

    env_copy(env, "VAULT_ADDR", "HCP_VAULT_ADDR", v->addr, sizeof(v->addr));
    len = strlen(v->addr);
    while (len > 0 && v->addr[len - 1] == '/') {
        v->addr[--len] = '\0';
    }
    env_copy(env, "VAULT_NAMESPACE", "HCP_VAULT_NAMESPACE", v->ns,
             sizeof(v->ns));
    env_copy(env, "VAULT_CACERT", "HCP_VAULT_CACERT", v->cacert,
             sizeof(v->cacert));
    env_copy(env, "VAULT_ROLE_ID", "HCP_VAULT_APPROLE_ROLE_ID", role,
             sizeof(role));
    env_copy(env, "VAULT_SECRET_ID", "HCP_VAULT_APPROLE_SECRET_ID",
             v->secret_id, sizeof(v->secret_id));
    env_copy(env, "VAULT_APPROLE_MOUNT", "HCP_VAULT_APPROLE_MOUNT_PATH",
             v->approle_mount, sizeof(v->approle_mount));
    if (v->approle_mount[0] == '\0') {
        snprintf(v->approle_mount, sizeof(v->approle_mount), "approle");
    }

    env_copy(env, "VAULT_TOKEN", "HCP_VAULT_TOKEN", token, sizeof(token));
    if (token[0] != '\0') {
        snprintf(v->token, sizeof(v->token), "%s", token);
        v->approle = 0;
        v->token_expires = 0;
    } else if (role[0] == '\0') {
        v->token[0] = '\0';
    } else if (strcmp(role, v->role_id) != 0) {
        v->token[0] = '\0';           /* another role: log in again */
    }
    snprintf(v->role_id, sizeof(v->role_id), "%s", role);
    memset(token, 0, sizeof(token));

    v->rounds++;
    if (v->prefilled) {
        v->prefilled = 0;             /* read by the prefetch just now */
        return;
    }
    json_object_clear(v->read);
    json_array_clear(v->stale);
    v->used = 0;
    v->reachable = 1;
    v->error[0] = '\0';               /* the last failure of this round */
    v->path_error[0] = '\0';
}

static size_t
on_body(char *ptr, size_t size, size_t n, void *arg)
{
    body_t  *b = arg;
    size_t   len = size * n;
    char    *p;

    if (b->len + len > VAULT_BODY_MAX) {
        return 0;
    }
    p = realloc(b->data, b->len + len + 1);
    if (p == NULL) {
        return 0;
    }
    memcpy(p + b->len, ptr, len);
    b->data = p;
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

/*
 * One request to Vault.  Returns the HTTP status with *answer the JSON
 * body (or NULL), or -1 when nothing came back (v->error says why).
 */
static long
request(cfg_vault_t *v, const char *method, const char *path,
    const char *body, json_t **answer)
{
    char                url[2048], header[600];
    long                status = -1;
    body_t              b = { NULL, 0 };
    CURL               *curl;
    CURLcode            rc;
    struct curl_slist  *headers = NULL;

    *answer = NULL;
    curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(v->error, sizeof(v->error), "libcurl cannot start");
        return -1;
    }
    snprintf(url, sizeof(url), "%s/v1/%s", v->addr, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     (long) VAULT_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) VAULT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    if (v->cacert[0] != '\0') {
        curl_easy_setopt(curl, CURLOPT_CAINFO, v->cacert);
    }
    if (v->token[0] != '\0') {
        snprintf(header, sizeof(header), "X-Vault-Token: %s", v->token);
        headers = curl_slist_append(headers, header);
        memset(header, 0, sizeof(header));
    }
    if (v->ns[0] != '\0') {
        snprintf(header, sizeof(header), "X-Vault-Namespace: %s", v->ns);
        headers = curl_slist_append(headers, header);
    }
    if (body != NULL) {
        headers = curl_slist_append(headers,
                                    "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        snprintf(v->error, sizeof(v->error), "%.120s: %.120s", v->addr,
                 curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (b.data != NULL) {
            *answer = json_loads(b.data, 0, NULL);
            memset(b.data, 0, b.len);
        }
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(b.data);
    return status;
}

/* Vault's {"errors":[...]} as one line for messages. */
static void
errors_text(long status, json_t *answer, char *out, size_t size)
{
    const char  *first;

    first = json_string_value(json_array_get(json_object_get(answer,
                                                             "errors"), 0));
    snprintf(out, size, "HTTP %ld%s%.200s", status, first ? ": " : "",
             first ? first : "");
}

/*
 * AppRole: role_id + secret_id -> a client token, renewed (renew-self)
 * once two thirds of its lease have passed, else logged in again.
 */
static int
approle_login(cfg_vault_t *v)
{
    char     path[300], *body;
    long     status;
    double   lease;
    json_t  *answer, *auth;

    if (v->token[0] != '\0' && v->approle && v->token_expires > 0
        && now_seconds() >= v->token_expires - v->token_lease / 3)
    {
        status = request(v, "POST", "auth/token/renew-self", "{}", &answer);
        auth = json_object_get(answer, "auth");
        if (status == 200 && json_is_object(auth)) {
            lease = (double) json_integer_value(json_object_get(
                                                 auth, "lease_duration"));
            v->token_lease = lease;
            v->token_expires = lease > 0 ? now_seconds() + lease : 0;
            json_decref(answer);
            return 0;
        }
        json_decref(answer);
        v->token[0] = '\0';
    }
    if (v->token[0] != '\0') {
        return 0;
    }
    if (v->role_id[0] == '\0') {
        snprintf(v->error, sizeof(v->error), "no Vault credentials: set "
                 "VAULT_TOKEN (or HCP_VAULT_TOKEN), or VAULT_ROLE_ID and "
                 "VAULT_SECRET_ID for AppRole");
        return -1;
    }

    snprintf(path, sizeof(path), "auth/%s/login", v->approle_mount);
    body = json_dumps(json_pack("{s:s, s:s}", "role_id", v->role_id,
                                "secret_id", v->secret_id),
                      JSON_COMPACT);
    status = request(v, "POST", path, body, &answer);
    memset(body, 0, strlen(body));
    free(body);
    if (status < 0) {
        return -1;
    }
    auth = json_object_get(answer, "auth");
    if (status != 200 || !json_is_string(json_object_get(auth,
                                                         "client_token")))
    {
        errors_text(status, answer, v->error, sizeof(v->error));
        snprintf(v->error + strlen(v->error),
                 sizeof(v->error) - strlen(v->error), " (AppRole login)");
        json_decref(answer);
        return -2;
    }
    snprintf(v->token, sizeof(v->token), "%s",
             json_string_value(json_object_get(auth, "client_token")));
    lease = (double) json_integer_value(json_object_get(auth,
                                                        "lease_duration"));
    v->approle = 1;
    v->token_lease = lease;
    v->token_expires = lease > 0 ? now_seconds() + lease : 0;
    json_decref(answer);
    return 0;
}

/*
 * The KV version of a mount, as the vault CLI finds it: GET
 * sys/internal/ui/mounts/MOUNT says {"data":{"type":"kv","options":
 * {"version":"2"}}}.  A token that may not ask (403) gets KV v2, the
 * default of `vault secrets enable -version=2 kv` and of dev servers.
 * Returns 1 or 2, or -1 when Vault did not answer.
 */
static int
kv_version(cfg_vault_t *v, const char *mount, size_t len)
{
    char         key[256], path[300];
    const char  *version;
    long         status;
    json_t      *answer, *data, *known;
    int          n;

    snprintf(key, sizeof(key), "%.*s", (int) len, mount);
    known = json_object_get(v->versions, key);
    if (known != NULL) {
        return (int) json_integer_value(known);
    }
    snprintf(path, sizeof(path), "sys/internal/ui/mounts/%s", key);
    status = request(v, "GET", path, NULL, &answer);
    if (status < 0 || status >= 500) {
        if (status >= 500) {
            errors_text(status, answer, v->error, sizeof(v->error));
        }
        json_decref(answer);
        return -1;
    }
    data = json_object_get(answer, "data");
    version = json_string_value(json_object_get(json_object_get(data,
                                                                "options"),
                                                "version"));
    n = 2;
    if (status == 200 && (version == NULL || strcmp(version, "1") == 0)
        && json_is_string(json_object_get(data, "type")))
    {
        n = 1;                          /* kv without options: version 1 */
    }
    json_decref(answer);
    json_object_set_new(v->versions, key, json_integer(n));
    return n;
}

/* Read MOUNT/PATH into the cache.  0 ok (found or not), -1 failed. */
static int
read_path(cfg_vault_t *v, const char *mount_path)
{
    char         path[1200];
    const char  *slash;
    long         status = -1;
    int          attempt, version = 2;
    json_t      *answer = NULL, *data;

    slash = strchr(mount_path, '/');
    if (!v->reachable) {
        return -1;          /* once per round: a down Vault costs one wait */
    }

    for (attempt = 0; attempt < 2; attempt++) {
        if (approle_login(v) == -1 && v->role_id[0] != '\0') {
            v->reachable = 0;
            return -1;
        }
        if (v->token[0] == '\0') {
            return -1;
        }
        version = kv_version(v, mount_path, (size_t) (slash - mount_path));
        if (version < 0) {
            v->reachable = 0;
            return -1;
        }
        /* KV v2: GET MOUNT/data/PATH; v1: GET MOUNT/PATH */
        snprintf(path, sizeof(path), "%.*s%s/%s",
                 (int) (slash - mount_path), mount_path,
                 version == 2 ? "/data" : "", slash + 1);
        status = request(v, "GET", path, NULL, &answer);
        if (status < 0) {
            v->reachable = 0;
            return -1;
        }
        if (status >= 500) {
            v->reachable = 0;           /* sealed, standby, overloaded */
        }
        if (status == 403 && v->approle && attempt == 0) {
            /* the AppRole token may have been revoked: log in again */
            json_decref(answer);
            v->token[0] = '\0';
            continue;
        }
        break;
    }

    if (status == 404) {
        json_object_set_new(v->cache, mount_path, json_null());
        json_decref(answer);
        return 0;
    }
    data = json_object_get(answer, "data");
    if (version == 2) {
        data = json_object_get(data, "data");
    }
    if (status != 200 || !json_is_object(data)) {
        errors_text(status, answer, v->error, sizeof(v->error));
        json_decref(answer);
        return -1;
    }
    json_object_set(v->cache, mount_path, data);
    json_decref(answer);
    return 0;
}

/*
 * Read MOUNT/PATH once in this round.  A failed read keeps the last good
 * value (the path is then "stale"); -1 when there is none.
 */
static int
read_once(cfg_vault_t *v, const char *mount_path)
{
    json_object_set_new(v->read, mount_path, json_true());
    if (read_path(v, mount_path) == 0) {
        return 0;
    }
    /* the status names the path too: "cannot read P from Vault: " */
    snprintf(v->path_error, sizeof(v->path_error),
             "cannot read %.200s from Vault: %.240s", mount_path, v->error);
    if (json_object_get(v->cache, mount_path) == NULL) {
        return -1;
    }
    json_array_append_new(v->stale, json_string(mount_path));
    return 0;
}

int
cfg_vault_get(cfg_vault_t *v, const char *ref, const char **value,
    char *err, size_t errlen)
{
    char         mount_path[1024];
    const char  *hash, *slash;
    json_t      *data, *field;

    *value = NULL;
    v->used = 1;
    hash = strchr(ref, '#');
    slash = strchr(ref, '/');
    if (hash == NULL || slash == NULL || slash > hash || slash == ref
        || slash[1] == '#' || hash[1] == '\0'
        || (size_t) (hash - ref) >= sizeof(mount_path))
    {
        snprintf(err, errlen, "expected vault:MOUNT/PATH#FIELD");
        return -1;
    }
    snprintf(mount_path, sizeof(mount_path), "%.*s", (int) (hash - ref), ref);

    if (v->addr[0] == '\0') {
        snprintf(err, errlen, "VAULT_ADDR (or HCP_VAULT_ADDR) is not set");
        return -1;
    }

    if (json_object_get(v->read, mount_path) == NULL
        && read_once(v, mount_path) != 0)
    {
        snprintf(err, errlen, "%s", v->path_error);
        return -1;
    }

    data = json_object_get(v->cache, mount_path);
    if (data == NULL) {
        /* tried earlier in this round and failed */
        snprintf(err, errlen, "cannot read %s from Vault: %s", mount_path,
                 v->error);
        return -1;
    }
    field = json_object_get(data, hash + 1);
    if (!json_is_string(field)) {
        return 0;
    }
    *value = json_string_value(field);
    return 1;
}

json_t *
cfg_vault_status(const cfg_vault_t *v)
{
    return json_pack("{s:s, s:s, s:b, s:s?, s:O}",
                     "addr", v->addr,
                     "auth", v->approle || v->role_id[0] ? "approle"
                                                          : "token",
                     "reachable", v->reachable
                                  && json_array_size(v->stale) == 0,
                     "error", v->path_error[0] ? v->path_error : NULL,
                     "stale_paths", v->stale);
}

int
cfg_vault_used(const cfg_vault_t *v)
{
    return v->used;
}


/*
 * The prefetch.  A Vault that stalls holds a read for up to
 * VAULT_TIMEOUT_MS per request; on controld's loop that would hold the
 * management API and the usage drain too.  So the periodic refresh reads
 * the paths of the last round on a thread, into a private copy of the
 * client (no object is shared between the threads), and the loop takes
 * the results over when the thread says it is done.  The compile that
 * follows finds every path read and asks Vault nothing.
 */

static void *
prefetch_run(void *arg)
{
    cfg_vault_t  *w = arg;
    const char   *path;
    json_t       *paths, *value;
    char          done = 1;

    paths = w->read;
    w->read = json_object();
    json_object_foreach(paths, path, value) {
        (void) value;
        read_once(w, path);
    }
    json_decref(paths);
    if (write(w->pipe[1], &done, 1) != 1) {
        /* the loop polls the pipe; a full pipe cannot happen (one byte) */
    }
    return NULL;
}

int
cfg_vault_prefetch_start(cfg_vault_t *v)
{
    cfg_vault_t  *w;

    if (v->worker != NULL || !v->used || json_object_size(v->read) == 0) {
        return -1;
    }
    w = cfg_vault_create();
    memcpy(w->addr, v->addr, sizeof(v->addr));
    memcpy(w->token, v->token, sizeof(v->token));
    memcpy(w->ns, v->ns, sizeof(v->ns));
    memcpy(w->cacert, v->cacert, sizeof(v->cacert));
    memcpy(w->role_id, v->role_id, sizeof(v->role_id));
    memcpy(w->secret_id, v->secret_id, sizeof(v->secret_id));
    memcpy(w->approle_mount, v->approle_mount, sizeof(v->approle_mount));
    w->approle = v->approle;
    w->token_expires = v->token_expires;
    w->token_lease = v->token_lease;
    json_decref(w->cache);
    json_decref(w->versions);
    json_decref(w->read);
    w->cache = json_deep_copy(v->cache);
    w->versions = json_deep_copy(v->versions);
    w->read = json_deep_copy(v->read);     /* the paths to read */
    w->used = 1;

    if (pipe(v->pipe) != 0) {
        cfg_vault_free(w);
        return -1;
    }
    (void) fcntl(v->pipe[0], F_SETFD, FD_CLOEXEC);
    (void) fcntl(v->pipe[1], F_SETFD, FD_CLOEXEC);
    (void) fcntl(v->pipe[0], F_SETFL, O_NONBLOCK);
    w->pipe[1] = v->pipe[1];
    if (pthread_create(&v->thread, NULL, prefetch_run, w) != 0) {
        close(v->pipe[0]);
        close(v->pipe[1]);
        cfg_vault_free(w);
        return -1;
    }
    v->worker = w;
    v->worker_round = v->rounds;
    return v->pipe[0];
}

int
cfg_vault_prefetch_fd(const cfg_vault_t *v)
{
    return v->worker != NULL ? v->pipe[0] : -1;
}

int
cfg_vault_prefetch_finish(cfg_vault_t *v)
{
    cfg_vault_t  *w = v->worker;
    json_t       *t;
    int           current;

    if (w == NULL) {
        return 0;
    }
    pthread_join(v->thread, NULL);
    close(v->pipe[0]);
    close(v->pipe[1]);
    w->pipe[1] = -1;
    v->worker = NULL;

    /* a reload compiled (and read Vault) meanwhile: its round is newer */
    current = v->worker_round == v->rounds;
    if (current) {
#define TAKE(f)  t = v->f; v->f = w->f; w->f = t
        TAKE(cache);
        TAKE(versions);
        TAKE(read);
        TAKE(stale);
#undef TAKE
        memcpy(v->token, w->token, sizeof(v->token));
        v->approle = w->approle;
        v->token_expires = w->token_expires;
        v->token_lease = w->token_lease;
        v->reachable = w->reachable;
        memcpy(v->error, w->error, sizeof(v->error));
        memcpy(v->path_error, w->path_error, sizeof(v->path_error));
        v->used = 1;
        v->prefilled = 1;
    }
    cfg_vault_free(w);
    return current;
}
