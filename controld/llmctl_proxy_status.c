/*
 * llmctl proxy-status [--watch] [--json]: a live view from the gateway's
 * /metrics (docs/operations.md): requests/s, in flight, the error rate
 * since the previous scrape (up to the last minute with --watch), the
 * deployments cooling down, controld and the config generation.  Exit 0,
 * 1 when the gateway cannot be scraped, 2 on a usage error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctl_http.h"
#include "llmctl.h"

#define WINDOW  60                      /* snapshots kept by --watch (s) */

typedef struct {
    double   at;                        /* seconds */
    double   requests, errors;          /* counters: all, 4xx + 5xx */
    double   in_flight, generation, controld_up;
    char     cooling[1024];             /* "dep (group), ..." */
} snapshot_t;

static double
now_s(void)
{
    struct timeval  tv;

    gettimeofday(&tv, NULL);
    return (double) tv.tv_sec + tv.tv_usec / 1e6;
}

/* label `name` of a sample's {...} into out ("" when absent) */
static void
label(const char *labels, const char *name, char *out, size_t size)
{
    const char  *p;
    size_t       n = strlen(name), i = 0;

    out[0] = '\0';
    for (p = labels; p != NULL && (p = strstr(p, name)) != NULL; p++) {
        if ((p == labels || p[-1] == '{' || p[-1] == ',')
            && strncmp(p + n, "=\"", 2) == 0)
        {
            for (p += n + 2; *p && *p != '"' && i + 1 < size; p++) {
                if (*p == '\\' && p[1]) {
                    p++;
                }
                out[i++] = *p;
            }
            out[i] = '\0';
            return;
        }
    }
}

static void
parse(char *text, snapshot_t *s)
{
    char    *line, *next, *sp, *brace, dep[256], group[256], cls[16];
    double   v;
    size_t   len;

    memset(s, 0, sizeof(*s));
    s->at = now_s();
    for (line = text; line != NULL && *line; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        if (line[0] == '#' || (sp = strrchr(line, ' ')) == NULL) {
            continue;
        }
        v = strtod(sp + 1, NULL);
        *sp = '\0';
        brace = strchr(line, '{');
        len = brace ? (size_t) (brace - line) : strlen(line);

#define IS(n)  (len == sizeof(n) - 1 && strncmp(line, n, len) == 0)
        if (IS("llm_requests_total")) {
            s->requests += v;
            label(brace, "status_class", cls, sizeof(cls));
            if (strcmp(cls, "4xx") == 0 || strcmp(cls, "5xx") == 0) {
                s->errors += v;
            }
        } else if (IS("llm_deployment_in_flight")) {
            s->in_flight += v;
        } else if (IS("llm_config_generation")) {
            s->generation = v;
        } else if (IS("llm_controld_up")) {
            s->controld_up = v;
        } else if (IS("llm_deployment_cooling_down") && v > 0) {
            label(brace, "deployment", dep, sizeof(dep));
            label(brace, "model_group", group, sizeof(group));
            len = strlen(s->cooling);
            snprintf(s->cooling + len, sizeof(s->cooling) - len, "%s%s (%s)",
                     len ? ", " : "", dep, group);
        }
#undef IS
    }
}

static int
scrape(const char *url, const char *key, snapshot_t *s)
{
    ctl_http_response_t  resp;
    char                 error[256];

    if (ctl_http_request(NULL, "GET", url, NULL, key, 5000, &resp, error,
                         sizeof(error)) != 0)
    {
        fprintf(stderr, "llmctl proxy-status: %s: %s\n", url, error);
        return -1;
    }
    if (resp.status != 200) {
        fprintf(stderr, "llmctl proxy-status: %s answered %ld\n", url,
                resp.status);
        ctl_http_response_free(&resp);
        return -1;
    }
    parse(resp.body, s);
    ctl_http_response_free(&resp);
    return 0;
}

static void
show(const snapshot_t *old, const snapshot_t *cur, int json, int tty,
    int watch)
{
    double  span = cur->at - old->at, n = cur->requests - old->requests;
    double  e = cur->errors - old->errors, rate = n > 0 ? e / n : 0;

    if (span <= 0) {
        span = 1;
    }
    if (json) {
        json_t  *j = json_pack("{s:f, s:f, s:f, s:f, s:f, s:i, s:b, s:s}",
                               "window_s", span, "requests_per_s", n / span,
                               "requests", n, "error_rate", rate,
                               "in_flight", cur->in_flight,
                               "config_generation", (json_int_t)
                                                    cur->generation,
                               "controld_up", cur->controld_up > 0,
                               "cooling_down", cur->cooling);
        char    *t = json_dumps(j, JSON_COMPACT);

        puts(t);
        free(t);
        json_decref(j);
        return;
    }
    if (watch && tty) {
        fputs("\033[H\033[2J", stdout);
    }
    printf("%-14s %8.1f    (%.0f over %.0f s)\n", "requests/s", n / span, n,
           span);
    printf("%-14s %8.0f\n", "in flight", cur->in_flight);
    printf("%-14s %7.1f%%    (4xx and 5xx)\n", "error rate", rate * 100);
    printf("%-14s %s%s%s\n", "cooling down",
           tty && cur->cooling[0] ? "\033[33m" : "",
           cur->cooling[0] ? cur->cooling : "none",
           tty && cur->cooling[0] ? "\033[0m" : "");
    printf("%-14s %s%s%s\n", "controld",
           tty ? (cur->controld_up > 0 ? "\033[32m" : "\033[31m") : "",
           cur->controld_up > 0 ? "up" : "down",
           tty ? "\033[0m" : "");
    printf("%-14s %8.0f\n", "config gen", cur->generation);
    fflush(stdout);
}

int
llmctl_cmd_proxy_status(llmctl_options_t *o)
{
    snapshot_t  *ring;
    char        *url, *key;
    int          i, watch = 0, json = 0, rc = 1;
    long         n = 0;

    for (i = 0; i < o->nargs; i++) {
        if (strcmp(o->args[i], "--watch") == 0) {
            watch = 1;
        } else if (strcmp(o->args[i], "--json") == 0) {
            json = 1;
        } else {
            fprintf(stderr, "llmctl proxy-status: unknown argument %s\n",
                    o->args[i]);
            return 2;
        }
    }
    llmctl_args_load(o);
    if (o->listen == NULL) {
        fprintf(stderr, "llmctl: not running in %s (no run/llmctl.args)\n",
                o->prefix);
        return 1;
    }
    key = llmctl_master_key(o);
    url = llmctl_listen_url(o->listen);
    url = realloc(url, strlen(url) + sizeof("/metrics"));
    strcat(url, "/metrics");
    ring = calloc(WINDOW + 1, sizeof(snapshot_t));

    if (scrape(url, key, &ring[0]) != 0) {
        goto done;
    }
    for (n = 1; ; n++) {
        sleep(1);
        if (scrape(url, key, &ring[n % (WINDOW + 1)]) != 0) {
            goto done;
        }
        /* the oldest snapshot still in the window: up to a minute back */
        show(&ring[n > WINDOW ? (n + 1) % (WINDOW + 1) : 0],
             &ring[n % (WINDOW + 1)], json, isatty(STDOUT_FILENO), watch);
        if (!watch) {
            break;
        }
    }
    rc = 0;

done:
    free(ring);
    free(url);
    free(key);
    return rc;
}
