/*
 * `llmctl keys ...` and `llmctl spend`: clients of controld's management
 * API on PREFIX/run/controld.sock (the same API nginx serves under /key/,
 * /team/, /spend/ and /global/).  Keys are shown by key_name ("sk-...XXXX")
 * and token; a key in clear is printed only once, by `keys generate`.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_compile.h"
#include "ctl_http.h"
#include "keys_util.h"
#include "llmctl.h"

char *
llmctl_master_key(const llmctl_options_t *o)
{
    const char    *env_key = getenv("LITELLM_MASTER_KEY");
    cfg_result_t   res;
    char          *key = NULL;

    if (o->key != NULL) {
        return strdup(o->key);
    }
    if (env_key != NULL && env_key[0] != '\0') {
        return strdup(env_key);
    }
    if (o->config != NULL) {
        if (llmctl_compile(o, &res) == 0
            && res.master_key != NULL)
        {
            key = strdup(res.master_key);
        }
        cfg_result_free(&res);
    }
    return key;
}

/* One call; the answer's JSON, or NULL after printing why (unless
 * quiet). */
static json_t *
mgmt_call(llmctl_options_t *o, const char *method, const char *path,
    json_t *body, long *status, int quiet)
{
    ctl_http_response_t   resp;
    char                  error[256], url[1024], *sock, *key, *text = NULL;
    json_t               *answer = NULL, *msg;

    llmctl_args_load(o);
    sock = llmctl_prefix_path(o, "run/controld.sock");
    if (access(sock, F_OK) != 0) {
        if (quiet) {
            free(sock);
            return NULL;
        }
        fprintf(stderr, "llmctl: no management socket %s (is the gateway "
                "running? llmctl status --prefix %s)\n", sock, o->prefix);
        free(sock);
        return NULL;
    }
    key = llmctl_master_key(o);
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT);
    }
    snprintf(url, sizeof(url), "http://localhost%s", path);
    if (ctl_http_request(sock, method, url, text, key, 30000, &resp, error,
                         sizeof(error)) != 0)
    {
        if (!quiet) {
            fprintf(stderr, "llmctl: %s: %s\n", sock, error);
        }
    } else {
        *status = resp.status;
        answer = json_loads(resp.body, JSON_DECODE_ANY, NULL);
        if (resp.status != 200) {
            msg = json_object_get(json_object_get(answer, "error"),
                                  "message");
            if (!quiet) {
                fprintf(stderr, "llmctl: %s %s: HTTP %ld: %s\n", method,
                        path, resp.status, json_is_string(msg)
                        ? json_string_value(msg) : resp.body);
            }
            json_decref(answer);
            answer = NULL;
        }
        ctl_http_response_free(&resp);
    }
    if (key != NULL) {
        memset(key, 0, strlen(key));
        free(key);
    }
    free(text);
    free(sock);
    return answer;
}

json_t *
llmctl_mgmt_call(llmctl_options_t *o, const char *method, const char *path,
    json_t *body, long *status)
{
    return mgmt_call(o, method, path, body, status, 0);
}

json_t *
llmctl_mgmt_quiet(llmctl_options_t *o, const char *method, const char *path,
    json_t *body, long *status)
{
    return mgmt_call(o, method, path, body, status, 1);
}

static void
print_json(const json_t *v)
{
    char  *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    printf("%s\n", text);
    free(text);
}

static const char *
str_or(const json_t *obj, const char *name, const char *dflt)
{
    const char  *v = json_string_value(json_object_get(obj, name));

    return v ? v : dflt;
}

/* "1.234567" or "-" for null. */
static void
usd(const json_t *v, char *out, size_t size)
{
    if (json_is_number(v)) {
        snprintf(out, size, "%.6f", json_number_value(v));
    } else {
        snprintf(out, size, "-");
    }
}

static int
keys_list(llmctl_options_t *o)
{
    long     status;
    json_t  *keys, *k;
    char     spend[32], budget[32];
    size_t   i;

    keys = llmctl_mgmt_call(o, "GET", "/spend/keys", NULL, &status);
    if (keys == NULL) {
        return 1;
    }
    printf("%-12s  %-11s  %-16s  %-12s  %12s  %12s  %-7s  %s\n", "TOKEN",
           "KEY", "ALIAS", "TEAM", "SPEND_USD", "BUDGET_USD", "BLOCKED",
           "EXPIRES");
    json_array_foreach(keys, i, k) {
        usd(json_object_get(k, "spend"), spend, sizeof(spend));
        usd(json_object_get(k, "max_budget"), budget, sizeof(budget));
        printf("%-12.12s  %-11s  %-16.16s  %-12.12s  %12s  %12s  %-7s  %s\n",
               str_or(k, "token", "?"), str_or(k, "key_name", "?"),
               str_or(k, "key_alias", "-"), str_or(k, "team_id", "-"), spend,
               budget, json_is_true(json_object_get(k, "blocked")) ? "yes"
                                                                   : "no",
               str_or(k, "expires", "never"));
    }
    json_decref(keys);
    return 0;
}

/* --alias A --budget 1.5 ... -> request fields.  -1 on a bad flag. */
static int
key_fields(llmctl_options_t *o, int first, json_t *body)
{
    const char  *flag, *v;
    char        *end, *list, *tok, *save;
    double       d;
    json_t      *models;
    int          i;

    for (i = first; i < o->nargs; i += 2) {
        flag = o->args[i];
        if (i + 1 >= o->nargs) {
            fprintf(stderr, "llmctl keys: %s needs a value\n", flag);
            return -1;
        }
        v = o->args[i + 1];
        if (strcmp(flag, "--alias") == 0) {
            json_object_set_new(body, "key_alias", json_string(v));
        } else if (strcmp(flag, "--team") == 0) {
            json_object_set_new(body, "team_id", json_string(v));
        } else if (strcmp(flag, "--budget-duration") == 0) {
            json_object_set_new(body, "budget_duration", json_string(v));
        } else if (strcmp(flag, "--duration") == 0) {
            json_object_set_new(body, "duration", json_string(v));
        } else if (strcmp(flag, "--models") == 0) {
            models = json_array();
            list = strdup(v);
            for (tok = strtok_r(list, ",", &save); tok != NULL;
                 tok = strtok_r(NULL, ",", &save))
            {
                json_array_append_new(models, json_string(tok));
            }
            free(list);
            json_object_set_new(body, "models", models);
        } else if (strcmp(flag, "--budget") == 0) {
            d = strtod(v, &end);
            if (*end != '\0' || d < 0) {
                fprintf(stderr, "llmctl keys: --budget wants USD, got %s\n",
                        v);
                return -1;
            }
            json_object_set_new(body, "max_budget", json_real(d));
        } else if (strcmp(flag, "--rpm") == 0 || strcmp(flag, "--tpm") == 0
                   || strcmp(flag, "--parallel") == 0)
        {
            d = strtod(v, &end);
            if (*end != '\0' || d < 0 || d != (double) (long long) d) {
                fprintf(stderr, "llmctl keys: %s wants a whole number\n",
                        flag);
                return -1;
            }
            json_object_set_new(body, strcmp(flag, "--rpm") == 0
                                ? "rpm_limit" : strcmp(flag, "--tpm") == 0
                                ? "tpm_limit" : "max_parallel_requests",
                                json_integer((json_int_t) d));
        } else {
            fprintf(stderr, "llmctl keys: unknown flag %s (see llmctl help "
                    "keys)\n", flag);
            return -1;
        }
    }
    return 0;
}

static int
cmd_generate(llmctl_options_t *o)
{
    json_t  *body = json_object(), *answer;
    long     status;

    if (key_fields(o, 1, body) != 0) {
        json_decref(body);
        return 2;
    }
    answer = llmctl_mgmt_call(o, "POST", "/key/generate", body, &status);
    json_decref(body);
    if (answer == NULL) {
        return 1;
    }
    /* The one time the key is shown. */
    printf("key:   %s\ntoken: %s\n(store the key now: only its hash is "
           "kept)\n", str_or(answer, "key", "?"), str_or(answer, "token", "?"));
    json_decref(answer);
    return 0;
}

/* Commands taking one KEY: info, delete, block, unblock, update. */
static int
keys_one(llmctl_options_t *o, const char *verb)
{
    json_t  *body, *answer;
    char     path[512];
    long     status;
    int      rc = 0;

    if (o->nargs < 2) {
        fprintf(stderr, "llmctl keys %s: which KEY?\n", verb);
        return 2;
    }
    if (strcmp(verb, "info") == 0) {
        /* The token travels in the URL, never the key itself. */
        char  token[KEYS_TOKEN_LEN + 1];

        if (keys_is_token(o->args[1])) {
            snprintf(token, sizeof(token), "%s", o->args[1]);
        } else {
            keys_token(o->args[1], token);
        }
        snprintf(path, sizeof(path), "/key/info?key=%s", token);
        answer = llmctl_mgmt_call(o, "GET", path, NULL, &status);
        if (answer == NULL) {
            return 1;
        }
        print_json(json_object_get(answer, "info"));
        json_decref(answer);
        return 0;
    }

    body = json_object();
    if (strcmp(verb, "delete") == 0) {
        json_object_set_new(body, "keys", json_pack("[s]", o->args[1]));
    } else {
        json_object_set_new(body, "key", json_string(o->args[1]));
        if (strcmp(verb, "update") == 0 && key_fields(o, 2, body) != 0) {
            json_decref(body);
            return 2;
        }
    }
    snprintf(path, sizeof(path), "/key/%s", verb);
    answer = llmctl_mgmt_call(o, "POST", path, body, &status);
    json_decref(body);
    if (answer == NULL) {
        return 1;
    }
    if (strcmp(verb, "delete") == 0) {
        printf("deleted\n");
    } else {
        print_json(answer);
    }
    json_decref(answer);
    return rc;
}

int
llmctl_cmd_keys(llmctl_options_t *o)
{
    const char  *verb = o->nargs > 0 ? o->args[0] : "list";

    if (strcmp(verb, "list") == 0) {
        return keys_list(o);
    }
    if (strcmp(verb, "generate") == 0) {
        return cmd_generate(o);
    }
    if (strcmp(verb, "info") == 0 || strcmp(verb, "delete") == 0
        || strcmp(verb, "block") == 0 || strcmp(verb, "unblock") == 0
        || strcmp(verb, "update") == 0)
    {
        return keys_one(o, verb);
    }
    fprintf(stderr, "llmctl keys: unknown command '%s' (list, generate, "
            "info, update, delete, block, unblock)\n", verb);
    return 2;
}

static void
print_rows(const char *title, const json_t *rows, const char *id_field,
    const char *alias_field)
{
    json_t  *r;
    size_t   i;

    printf("%s\n", title);
    if (json_array_size(rows) == 0) {
        printf("  (none)\n");
    }
    json_array_foreach(rows, i, r) {
        printf("  %-40.40s  %-16.16s  %14.6f  %10lld  %10lld  %8lld\n",
               str_or(r, id_field, "?"),
               alias_field ? str_or(r, alias_field, "") : "",
               json_number_value(json_object_get(r, "spend")),
               (long long) json_integer_value(json_object_get(r,
                                                              "prompt_tokens")),
               (long long) json_integer_value(json_object_get(r,
                                                   "completion_tokens")),
               (long long) json_integer_value(json_object_get(r,
                                                              "requests")));
    }
}

static int
compare_day_desc(const void *a, const void *b)
{
    return strcmp(str_or(*(json_t *const *) b, "date", ""),
                  str_or(*(json_t *const *) a, "date", ""));
}

int
llmctl_cmd_spend(llmctl_options_t *o)
{
    static const struct { const char *path, *title, *id, *alias; } dims[] = {
        { "/global/spend/keys", "keys (token)", "api_key", "key_alias" },
        { "/global/spend/teams", "teams", "team_id", "team_alias" },
        { "/global/spend/models", "model groups", "model", NULL },
        { "/global/spend/deployments", "deployments", "deployment_id", NULL },
    };
    json_t      *rows, **days;
    char         path[128];
    const char  *ndays = "7";
    size_t       i, n;
    long         status;

    for (i = 0; i + 1 < (size_t) o->nargs; i++) {
        if (strcmp(o->args[i], "--days") == 0) {
            ndays = o->args[i + 1];
        }
    }
    printf("%-42s  %-16s  %14s  %10s  %10s  %8s\n", "", "", "SPEND_USD",
           "PROMPT", "COMPLETION", "REQUESTS");
    for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        rows = llmctl_mgmt_call(o, "GET", dims[i].path, NULL, &status);
        if (rows == NULL) {
            return 1;
        }
        print_rows(dims[i].title, rows, dims[i].id, dims[i].alias);
        json_decref(rows);
    }

    snprintf(path, sizeof(path), "/global/spend/days?days=%s", ndays);
    rows = llmctl_mgmt_call(o, "GET", path, NULL, &status);
    if (rows == NULL) {
        return 1;
    }
    n = json_array_size(rows);
    days = calloc(n + 1, sizeof(json_t *));
    for (i = 0; i < n; i++) {
        days[i] = json_array_get(rows, i);
    }
    qsort(days, n, sizeof(json_t *), compare_day_desc);
    printf("days (UTC)\n");
    if (n == 0) {
        printf("  (none)\n");
    }
    for (i = 0; i < n; i++) {
        printf("  %-40s  %-16s  %14.6f  %10lld  %10lld  %8lld\n",
               str_or(days[i], "date", "?"), "",
               json_number_value(json_object_get(days[i], "spend")),
               (long long) json_integer_value(json_object_get(days[i],
                                                   "prompt_tokens")),
               (long long) json_integer_value(json_object_get(days[i],
                                                   "completion_tokens")),
               (long long) json_integer_value(json_object_get(days[i],
                                                   "requests")));
    }
    free(days);
    json_decref(rows);
    return 0;
}
