
/*
 * The Responses API passed through to providers that have it (OpenAI,
 * Azure; the "responses" endpoint of the provider table): their
 * Responses path, and the responses they keep themselves.  The store
 * (rstore.c) has only an upstream entry for each, naming the deployment
 * that answered: a follow-up (previous_response_id) is narrowed to that
 * provider account, and GET/DELETE/input_items are proxied to it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"
#include "llm_rstore.h"


/*
 * An upstream entry (llm_rstore.h): the deployment that keeps the
 * response into ctx->resp_dep.  NGX_DECLINED: a stored one; NGX_ERROR:
 * its deployment is gone.
 */

ngx_int_t
ngx_http_llm_rpass_keeper(ngx_http_llm_ctx_t *ctx, ngx_str_t *entry)
{
    char               id[256];
    llm_deployment_t  *d;

    if (llm_rstore_kind((char *) entry->data, entry->len, id, sizeof(id))
        != LLM_RSTORE_UPSTREAM)
    {
        return NGX_DECLINED;
    }

    d = id[0] ? llm_config_find_deployment(ctx->tables->cf, id) : NULL;

    if (d == NULL) {
        return NGX_ERROR;
    }

    ctx->resp_dep = &ctx->tables->deps[d->index];

    return NGX_OK;
}


/*
 * previous_response_id names a response a provider keeps: the group is
 * narrowed to its deployments on that provider account that pass
 * Responses through, and nothing falls back (nobody else knows the id).
 */

ngx_int_t
ngx_http_llm_rpass_pin(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char             msg[512];
    size_t             i, n;
    llm_group_t       *g;
    llm_deployment_t  *d, *keeper;

    if (ctx->resp_dep == NULL) {
        return NGX_OK;
    }

    keeper = ctx->resp_dep->dep;

    g = ngx_palloc(r->pool, sizeof(llm_group_t));
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *g = *ctx->group;

    g->deployments = ngx_palloc(r->pool, (ctx->group->ndeployments + 1)
                                         * sizeof(llm_deployment_t *));
    if (g->deployments == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = 0;

    for (i = 0; i < ctx->group->ndeployments; i++) {
        d = ctx->group->deployments[i];

        if ((d->endpoints & LLM_EP_RESPONSES)
            && llm_deployment_same_account(d, keeper))
        {
            g->deployments[n++] = d;
        }
    }

    if (n == 0) {
        ngx_snprintf(msg, sizeof(msg), "previous_response_id: that "
                     "response is kept by the provider of model group "
                     "\"%s\"; model \"%V\" has no deployment on the same "
                     "provider account%Z", keeper->model_name, &ctx->model);

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       (char *) msg);
    }

    g->ndeployments = n;
    ctx->group = g;

    /* no fallback group: its deployments do not know the id */
    ctx->fallbacks_known = 1;
    ctx->nfallbacks = 0;

    return NGX_OK;
}


/*
 * POST /v1/responses/input_tokens to a deployment that passes Responses
 * through: its provider counts ({api_base}/responses/input_tokens)
 */

ngx_uint_t
ngx_http_llm_rpass_counts(ngx_http_llm_ctx_t *ctx, llm_deployment_t *d)
{
    return ctx->endpoint == LLM_ROUTE_COUNT_TOKENS
           && ctx->api == LLM_API_RESPONSES
           && (d->endpoints & LLM_EP_RESPONSES);
}


/* the Responses path of a deployment's provider, and the query it needs */

void
ngx_http_llm_rpass_route(llm_deployment_t *d, ngx_str_t *path,
    ngx_str_t *query)
{
    ngx_str_null(query);

    if (!(d->quirks & LLM_PQ_AZURE_PATH)) {
        ngx_str_set(path, "/responses");
        return;
    }

    if (!llm_azure_responses_dated(d->api_version)) {
        ngx_str_set(path, "/openai/v1/responses");
        return;
    }

    ngx_str_set(path, "/openai/responses");
    query->data = (u_char *) d->api_version;
    query->len = ngx_strlen(d->api_version);
}


/*
 * The client's query parameters a route takes at the provider: the
 * list's, and a retrieve's (stream=true resumes a background response's
 * stream, after starting_after).  Nothing else goes along.
 */

static ngx_str_t  ngx_http_llm_rpass_list_args[] = {
    ngx_string("limit"), ngx_string("order"), ngx_string("after"),
    ngx_string("before"), ngx_string("include"),
    ngx_string("include%5B%5D"), ngx_string("include[]"),
    ngx_null_string
};

static ngx_str_t  ngx_http_llm_rpass_get_args[] = {
    ngx_string("stream"), ngx_string("starting_after"),
    ngx_string("include"), ngx_string("include%5B%5D"),
    ngx_string("include[]"), ngx_string("include_obfuscation"),
    ngx_null_string
};


/* GET /v1/responses/{id}?stream=true: the response's events again */

ngx_uint_t
ngx_http_llm_rpass_streamed(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_str_t  arg;

    return r->method == NGX_HTTP_GET && !ctx->input_items
           && ngx_http_arg(r, (u_char *) "stream", 6, &arg) == NGX_OK
           && arg.len == 4 && ngx_strncmp(arg.data, "true", 4) == 0;
}


/*
 * GET/DELETE /v1/responses/{id}[/input_items], POST .../cancel of a
 * provider-kept response: to the deployment that keeps it, the answer as
 * the provider gives it (a GET with stream=true: its typed events, as
 * they come).  The client's query goes along, only the route's
 * parameters.
 */

ngx_int_t
ngx_http_llm_rpass_proxy(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char            *p;
    size_t             len;
    ngx_str_t          path, version, arg, *args;
    ngx_uint_t         i, first;
    llm_deployment_t  *d;

    ctx->dep = ctx->resp_dep;
    d = ctx->dep->dep;

    args = NULL;

    if (ctx->input_items) {
        args = ngx_http_llm_rpass_list_args;

    } else if (r->method == NGX_HTTP_GET) {
        args = ngx_http_llm_rpass_get_args;

        /* a stream goes on event by event, as a created one does */
        ctx->stream = ngx_http_llm_rpass_streamed(r, ctx);
    }

    ngx_http_llm_rpass_route(d, &path, &version);

    len = ngx_strlen(d->scheme) + sizeof("://llm_upstream")
          + ngx_strlen(d->base_path) + path.len + 1 + ctx->resp_ref.len
          + sizeof("/input_items?api-version=") + version.len
          + r->args.len + 16;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->upstream_url.data = p;

    p = ngx_cpymem(p, d->scheme, ngx_strlen(d->scheme));
    p = ngx_cpymem(p, "://llm_upstream", sizeof("://llm_upstream") - 1);
    ctx->upstream_uri.data = p;
    p = ngx_cpymem(p, d->base_path, ngx_strlen(d->base_path));
    p = ngx_cpymem(p, path.data, path.len);
    *p++ = '/';
    p = ngx_cpymem(p, ctx->resp_ref.data, ctx->resp_ref.len);

    if (ctx->input_items) {
        p = ngx_cpymem(p, "/input_items", sizeof("/input_items") - 1);

    } else if (ctx->resp_cancel) {
        p = ngx_cpymem(p, "/cancel", sizeof("/cancel") - 1);
    }

    first = 1;

    if (version.len) {
        p = ngx_cpymem(p, "?api-version=", sizeof("?api-version=") - 1);
        p = ngx_cpymem(p, version.data, version.len);
        first = 0;
    }

    for (i = 0; args && args[i].len; i++) {
        if (ngx_http_arg(r, args[i].data, args[i].len, &arg) != NGX_OK) {
            continue;
        }

        *p++ = first ? '?' : '&';
        first = 0;
        p = ngx_cpymem(p, args[i].data, args[i].len);
        *p++ = '=';
        p = ngx_cpymem(p, arg.data, arg.len);
    }

    ctx->upstream_url.len = p - ctx->upstream_url.data;
    ctx->upstream_uri.len = p - ctx->upstream_uri.data;

    /* the provider's answer, read for nothing: no tokens, no cost */
    ctx->usage.present = 1;
    ctx->resp_pass = 1;
    ctx->translate = 0;
    ctx->proxied = 1;
    ctx->attempts = 1;
    ctx->attempt_start = ngx_current_msec;

    ngx_http_llm_lend_uri(r, ctx);

    return NGX_DECLINED;
}
