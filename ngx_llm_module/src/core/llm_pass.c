/*
 * Pass-through routes (general_settings.pass_through_endpoints, compiled by
 * controld into the document's "pass_through"): where a path goes, with
 * which headers.  The request itself is nginx's proxy's business; nothing
 * here sees a body.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_config.h"


static const char *
llm_pass_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}


static int
llm_pass_route(llm_pass_route_t *pr, json_t *o, size_t i, char *err,
    size_t errlen)
{
    size_t             k, n;
    json_t            *headers, *addrs, *v;
    const char        *name;
    llm_deployment_t  *d;

    if (!json_is_object(o)) {
        snprintf(err, errlen, "pass_through[%zu]: expected an object", i);
        return -1;
    }

    pr->path = llm_pass_str(o, "path");
    d = &pr->target;
    d->scheme = llm_pass_str(o, "scheme");
    d->host = llm_pass_str(o, "host");
    d->base_path = llm_pass_str(o, "base_path");

    if (pr->path == NULL || pr->path[0] != '/' || d->host == NULL
        || d->scheme == NULL
        || (strcmp(d->scheme, "http") != 0 && strcmp(d->scheme, "https") != 0)
        || !json_is_integer(json_object_get(o, "port")))
    {
        snprintf(err, errlen, "pass_through[%zu]: path, scheme (http or "
                 "https), host and port are required", i);
        return -1;
    }

    pr->path_len = strlen(pr->path);
    pr->include_subpath = json_is_true(json_object_get(o, "include_subpath"));
    pr->auth = !json_is_false(json_object_get(o, "auth"));
    pr->forward_headers = json_is_true(json_object_get(o, "forward_headers"));

    d->index = i;
    d->id = pr->path;
    d->model_name = pr->path;
    d->provider_name = "pass_through";
    d->provider = LLM_PROVIDER_OTHER;
    d->api = LLM_API_OPENAI;
    d->auth = LLM_AUTH_NONE;         /* the listed headers carry any key */
    d->model = "";
    d->drop_params = -1;
    d->cooldown_time_ms = -1;
    d->port = (int) json_integer_value(json_object_get(o, "port"));

    if (d->base_path == NULL) {
        d->base_path = "";
    }

    if (d->port <= 0 || d->port > 65535) {
        snprintf(err, errlen, "pass_through[%zu].port: out of range", i);
        return -1;
    }

    headers = json_object_get(o, "headers");
    n = json_is_object(headers) ? json_object_size(headers) : 0;

    if (n) {
        pr->header_names = calloc(n, sizeof(char *));
        pr->header_values = calloc(n, sizeof(char *));
        if (pr->header_names == NULL || pr->header_values == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }

        json_object_foreach(headers, name, v) {
            if (!json_is_string(v)) {
                snprintf(err, errlen, "pass_through[%zu].headers.%.64s: "
                         "expected a string", i, name);
                return -1;
            }
            pr->header_names[pr->nheaders] = name;
            pr->header_values[pr->nheaders++] = json_string_value(v);
        }
    }

    addrs = json_object_get(o, "addrs");
    n = json_is_array(addrs) ? json_array_size(addrs) : 0;

    if (n) {
        d->addrs = calloc(n, sizeof(char *));
        if (d->addrs == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }

        for (k = 0; k < n; k++) {
            if (!json_is_string(json_array_get(addrs, k))) {
                snprintf(err, errlen, "pass_through[%zu].addrs[%zu]: "
                         "expected a string", i, k);
                return -1;
            }
            d->addrs[d->naddrs++] = json_string_value(json_array_get(addrs,
                                                                     k));
        }
    }

    return 0;
}


int
llm_parse_pass(llm_config_t *cf, char *err, size_t errlen)
{
    size_t   i, n;
    json_t  *list;

    list = json_object_get(cf->root, "pass_through");
    if (list == NULL || json_is_null(list)) {
        return 0;
    }

    if (!json_is_array(list)) {
        snprintf(err, errlen, "pass_through: expected an array");
        return -1;
    }

    n = json_array_size(list);
    cf->pass = calloc(n ? n : 1, sizeof(llm_pass_route_t));
    if (cf->pass == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    for (i = 0; i < n; i++) {
        /* counted first: llm_pass_free frees what a failed entry got */
        cf->npass++;
        if (llm_pass_route(&cf->pass[i], json_array_get(list, i), i, err,
                           errlen) != 0)
        {
            return -1;
        }
    }

    return 0;
}


void
llm_pass_free(llm_config_t *cf)
{
    size_t  i;

    for (i = 0; cf->pass && i < cf->npass; i++) {
        free(cf->pass[i].header_names);
        free(cf->pass[i].header_values);
        free(cf->pass[i].target.addrs);
    }

    free(cf->pass);
    cf->pass = NULL;
    cf->npass = 0;
}


const llm_pass_route_t *
llm_pass_match(const llm_config_t *cf, const char *uri, size_t len)
{
    size_t                   i;
    const llm_pass_route_t  *pr;

    for (i = 0; i < cf->npass; i++) {
        pr = &cf->pass[i];

        if (len < pr->path_len || memcmp(uri, pr->path, pr->path_len) != 0) {
            continue;
        }

        if (len == pr->path_len) {
            return pr;
        }

        /* below the path: at a '/' boundary, not /v1/rerankfoo */
        if (pr->include_subpath
            && (uri[pr->path_len] == '/' || pr->path[pr->path_len - 1] == '/'))
        {
            return pr;
        }
    }

    return NULL;
}
