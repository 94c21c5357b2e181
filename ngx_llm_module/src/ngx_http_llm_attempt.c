
/*
 * Choosing and starting an attempt: pick a deployment of the group, build
 * the upstream URL and what proxy sends.  What comes back is read in
 * upstream.c; a failed attempt is retried or falls back in retry.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"


static ngx_int_t ngx_http_llm_family_attempt(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_prepare_attempt(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);


/*
 * Asks the router for a deployment of ctx->group and sets up the attempt.
 * NGX_DECLINED: proxy it; NGX_DONE: nothing can serve now (ctx->pick says
 * why); anything else: answered already.  With `again`, deployments tried
 * before may be picked again (retries within a small group).
 */

ngx_int_t
ngx_http_llm_next_attempt(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_uint_t again)
{
    size_t              i, n;
    llm_group_t        *g;
    llm_dep_state_t    *st;
    llm_deployment_t   *d;
    llm_router_req_t    req;

    g = ctx->group;
    n = g->ndeployments;

    if (ctx->tried == NULL) {
        ctx->tried = ngx_pcalloc(r->pool,
                                 ctx->tables->cf->ndeployments + 1);
        if (ctx->tried == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    st = ngx_palloc(r->pool, n * sizeof(llm_dep_state_t));
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        ngx_http_llm_state_read(ctx->tables->deps[g->deployments[i]->index]
                                .slot, &st[i]);
    }

    ngx_memzero(&req, sizeof(req));
    req.strategy = ctx->tables->router->strategy;
    req.now_ms = ngx_http_llm_now_ms();
    req.input_tokens = ctx->body.len / 4;
    req.stream = ctx->stream;
    req.latency_buffer_permille =
                             ctx->tables->router->latency_buffer_permille;
    req.random = (unsigned long) ngx_random();
    req.prices = ctx->tables->router->prices;

    if (llm_router_pick(&req, g->deployments, st, n,
                        again ? NULL : ctx->tried, &ctx->pick)
        != LLM_ROUTER_PICKED)
    {
        return NGX_DONE;
    }

    d = g->deployments[ctx->pick.index];

    ctx->tried[d->index] = 1;

    ctx->dep = &ctx->tables->deps[d->index];
    ctx->attempts++;
    ctx->attempts_in_group++;

    if (d->nfamilies) {
        if (ngx_http_llm_family_attempt(r, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        d = ctx->dep->dep;
    }

    /*
     * Mocks answer here; so does a token count unless the provider has a
     * counting endpoint in the client's own API, or is a Responses
     * passthrough one (a documented local estimate, said so in
     * x-llm-token-count).
     */
    if (d->provider == LLM_PROVIDER_MOCK
        || (ctx->endpoint == LLM_ROUTE_COUNT_TOKENS
            && !ngx_http_llm_rpass_counts(ctx, d)
            && (d->api != ctx->api
                || !(d->endpoints & LLM_EP_COUNT_TOKENS))))
    {
        ctx->self_response = 1;
        ctx->answer_rc = ngx_http_llm_send_mock(r, ctx);
        return NGX_HTTP_LLM_ANSWERED;
    }

    ngx_http_llm_state_start(ctx->dep->slot);
    ctx->in_flight = ctx->dep->slot;
    ctx->attempt_start = ngx_current_msec;

    return ngx_http_llm_prepare_attempt(r, ctx);
}


/*
 * A wildcard deployment of a provider with model families (vertex_ai/ "*")
 * serves the family of the model the client named: this attempt uses a
 * copy of the deployment with that family's wire, endpoints and base path
 * (its slot, addresses and headers are the deployment's).
 */

static ngx_int_t
ngx_http_llm_family_attempt(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char                   name[512];
    llm_deployment_t        *d, *fd;
    ngx_http_llm_dep_t      *nd;
    const llm_dep_family_t  *f;

    d = ctx->dep->dep;

    ngx_cpystrn(name, ctx->model.data,
                ngx_min(ctx->model.len + 1, sizeof(name)));

    f = llm_deployment_family(d, llm_deployment_model_for(d, (char *) name));
    if (f == NULL) {
        return NGX_OK;
    }

    nd = ngx_palloc(r->pool, sizeof(ngx_http_llm_dep_t));
    fd = ngx_palloc(r->pool, sizeof(llm_deployment_t));
    if (nd == NULL || fd == NULL) {
        return NGX_ERROR;
    }

    *nd = *ctx->dep;
    *fd = *d;

    fd->api = f->api;
    fd->wire = f->wire;
    fd->endpoints = f->endpoints;
    fd->base_path = f->base_path;
    fd->nfamilies = 0;

    nd->dep = fd;
    ctx->dep = nd;

    return NGX_OK;
}


/* Nothing in the group can serve now: say why, in the client's format. */

ngx_int_t
ngx_http_llm_unavailable(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char  msg[512];

    switch (ctx->pick.outcome) {

    case LLM_ROUTER_ALL_COOLING:
    case LLM_ROUTER_ALL_SATURATED:
        ngx_http_llm_set_retry_after(r, ctx->pick.retry_after_s);

        ngx_snprintf(msg, sizeof(msg), "No deployments available for "
                     "model group \"%s\": %s. Try again in %uL "
                     "seconds.%Z", ctx->group->name,
                     ctx->pick.outcome == LLM_ROUTER_ALL_COOLING
                     ? "every deployment is cooling down after failures"
                     : "every deployment is at its rpm/tpm limit",
                     (uint64_t) ctx->pick.retry_after_s);

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_TOO_MANY_REQUESTS,
                                       "rate_limit_error", (char *) msg);

    default:
        ngx_snprintf(msg, sizeof(msg), "no deployment of model group \"%s\" "
                     "is available%Z", ctx->group->name);

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "api_error", (char *) msg);
    }
}



/*
 * Letters, digits and "-._~@+" only (and `also`): what provider model and
 * deployment names use, and nothing that means anything in a request
 * line's path.
 */

static ngx_uint_t
ngx_http_llm_path_safe(u_char *p, u_char also)
{
    if (*p == '\0') {
        return 0;
    }

    for ( /* void */ ; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
            || (*p >= '0' && *p <= '9')
            || *p == '-' || *p == '.' || *p == '_' || *p == '~'
            || *p == '@' || *p == '+' || (also && *p == also))
        {
            continue;
        }

        return 0;
    }

    return 1;
}


/* model with each ':' as "%3A", in the pool (model itself without one) */

static const char *
ngx_http_llm_colon_escape(ngx_http_request_t *r, const char *model)
{
    u_char      *out, *p;
    size_t       n;
    const char  *c;

    n = 0;

    for (c = model; *c; c++) {
        n += (*c == ':');
    }

    if (n == 0) {
        return model;
    }

    out = ngx_pnalloc(r->pool, ngx_strlen(model) + 2 * n + 1);
    if (out == NULL) {
        return NULL;
    }

    for (p = out, c = model; *c; c++) {
        if (*c == ':') {
            p = ngx_cpymem(p, "%3A", 3);

        } else {
            *p++ = *c;
        }
    }

    *p = '\0';

    return (const char *) out;
}


/* The provider-table endpoint (LLM_EP_*) of a request's endpoint. */

static unsigned
ngx_http_llm_endpoint_bit(ngx_uint_t endpoint)
{
    switch (endpoint) {

    case LLM_ROUTE_COMPLETIONS:
        return LLM_EP_COMPLETIONS;

    case LLM_ROUTE_EMBEDDINGS:
        return LLM_EP_EMBEDDINGS;

    case LLM_ROUTE_COUNT_TOKENS:
        return LLM_EP_COUNT_TOKENS;

    default:
        return LLM_EP_CHAT;
    }
}


/*
 * The endpoints a deployment serves are its provider row's (chat covers
 * Anthropic's messages and Gemini's generateContent, by translation);
 * completions have no translation to another wire (a text completions
 * deployment takes them as they came), embeddings only Gemini's to
 * OpenAI's, and OpenAI's to the wires with an embeddings API of their own
 * (Cohere, Vertex AI).
 */

static ngx_uint_t
ngx_http_llm_endpoint_refused(ngx_http_llm_ctx_t *ctx, llm_deployment_t *d)
{
    switch (ctx->endpoint) {

    case LLM_ROUTE_COMPLETIONS:
        return (d->api != LLM_API_OPENAI && d->api != LLM_API_OPENAI_TEXT)
               || !(d->endpoints & LLM_EP_COMPLETIONS);

    case LLM_ROUTE_EMBEDDINGS:
        /* Gemini's embedContent: to Gemini, or translated to OpenAI's;
           OpenAI's translated to Cohere's /v2/embed or Vertex's :predict */
        if (llm_xlate_embed_wire(d->wire)) {
            return ctx->api != LLM_API_OPENAI
                   || !(d->endpoints & LLM_EP_EMBEDDINGS);
        }

        return (d->api != LLM_API_OPENAI && d->api != ctx->api)
               || !(d->endpoints & LLM_EP_EMBEDDINGS);

    case LLM_ROUTE_CHAT:
    case LLM_ROUTE_MESSAGES:
    case LLM_ROUTE_GENERATE:
        return !(d->endpoints & LLM_EP_CHAT);

    default:
        return 0;
    }
}


static ngx_int_t
ngx_http_llm_prepare_attempt(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char            *p;
    size_t             len, scheme_len, base_len, model_len, version_len;
    ngx_int_t          rc;
    ngx_str_t          endpoint, suffix;
    ngx_uint_t         in_path;
    ngx_chain_t       *chain, **ll;
    const char        *model, *path_model, *at;
    llm_deployment_t  *d;
    u_char             name[512];

    d = ctx->dep->dep;

    /* a wire with paths of its own (Vertex AI's rawPredict, :predict) */
    ctx->route = llm_wire_route(d->wire,
                                ngx_http_llm_endpoint_bit(ctx->endpoint),
                                ctx->stream);

    at = ctx->route ? ngx_strstr(ctx->route->path, "{model}") : NULL;

    in_path = ctx->route ? (at != NULL)
              : (d->provider == LLM_PROVIDER_AZURE || d->api == LLM_API_GEMINI
                 || d->api == LLM_API_BEDROCK);

    /* LiteLLM's: a "vendor/" "*" group asked for "vendor/x" sends "x" */
    ngx_cpystrn(name, ctx->model.data,
                ngx_min(ctx->model.len + 1, sizeof(name)));
    model = llm_deployment_model_for(d, (char *) name);

    /*
     * Azure and Gemini name the model in the URL's path, and a wildcard
     * deployment takes that name from the client: a CR, LF, space, "/",
     * "?" or "#" there would add headers, path segments or a query of the
     * client's choosing to the provider's request line.
     */
    if (in_path
        && !ngx_http_llm_path_safe((u_char *) model,
                                   d->api == LLM_API_BEDROCK ? ':' : 0))
    {
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       "the model name has characters that "
                                       "cannot be sent in the provider's "
                                       "URL");
    }

    path_model = model;

    if (d->api == LLM_API_BEDROCK) {
        /* Bedrock's model ids have ':' ("...-v1:0"), sent as %3A */
        path_model = ngx_http_llm_colon_escape(r, model);
        if (path_model == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_llm_endpoint_refused(ctx, d)) {
        ngx_snprintf(name, sizeof(name), "model \"%V\": provider \"%s\" "
                     "does not serve %V requests%Z", &ctx->model,
                     d->provider_name ? d->provider_name : "?",
                     &r->uri);

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       (char *) name);
    }

    /* a provider with the Responses API gets a Responses request as it
       came, unless it continues a response the gateway keeps */
    ctx->resp_pass = ((ctx->endpoint == LLM_ROUTE_RESPONSES
                       && (d->endpoints & LLM_EP_RESPONSES)
                       && !ctx->resp_local)
                      || ngx_http_llm_rpass_counts(ctx, d));

    /* /v1/completions reach a text completions deployment as they are */
    ctx->translate = (ctx->api != d->api && !ctx->resp_pass
                      && ctx->endpoint != LLM_ROUTE_COMPLETIONS);



    if (!ctx->translate) {
        if (ctx->api == LLM_API_GEMINI) {
            /* Gemini to Gemini: the body as it came */
            chain = NULL;
            ll = &chain;

            rc = ngx_http_llm_chain_add(r, &ll, ctx->body.data,
                                        ctx->body.len);

            if (rc == NGX_OK) {
                rc = ngx_http_llm_set_body(r, ctx, chain);
            }

        } else if (ctx->route && ctx->route->anthropic_version) {
            /* the same format, its body rewritten (Vertex AI's Claude) */
            rc = ngx_http_llm_translate_request(r, ctx, model);

        } else {
            rc = ngx_http_llm_set_model(r, ctx, model);
        }

    } else {
        rc = ngx_http_llm_translate_request(r, ctx, model);
    }

    if (rc != NGX_OK) {
        return rc == NGX_ERROR ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc;
    }

    /* the provider's endpoint for what the client asked */
    ngx_str_null(&suffix);

    switch (d->api) {

    case LLM_API_ANTHROPIC:
        if (ctx->endpoint == LLM_ROUTE_COUNT_TOKENS) {
            ngx_str_set(&endpoint, "/messages/count_tokens");

        } else {
            ngx_str_set(&endpoint, "/messages");
        }

        break;

    case LLM_API_BEDROCK:
        ngx_str_set(&endpoint, "/model/");

        if (ctx->stream) {
            ngx_str_set(&suffix, "/converse-stream");

        } else {
            ngx_str_set(&suffix, "/converse");
        }

        break;

    case LLM_API_COHERE:
        if (ctx->endpoint == LLM_ROUTE_EMBEDDINGS) {
            ngx_str_set(&endpoint, "/v2/embed");

        } else {
            ngx_str_set(&endpoint, "/v2/chat");
        }

        break;

    case LLM_API_GEMINI:
        ngx_str_set(&endpoint, "/models/");

        if (ctx->stream) {
            ngx_str_set(&suffix, ":streamGenerateContent?alt=sse");

        } else if (ctx->endpoint == LLM_ROUTE_COUNT_TOKENS) {
            ngx_str_set(&suffix, ":countTokens");

        } else if (ctx->endpoint == LLM_ROUTE_EMBEDDINGS) {
            if (ctx->embed_batch) {
                ngx_str_set(&suffix, ":batchEmbedContents");

            } else {
                ngx_str_set(&suffix, ":embedContent");
            }

        } else {
            ngx_str_set(&suffix, ":generateContent");
        }

        break;

    case LLM_API_OPENAI_TEXT:
        /* chat requests too: translated to a prompt */
        ngx_str_set(&endpoint, "/completions");
        break;

    default:
        if (ctx->resp_pass) {
            ngx_http_llm_rpass_route(d, &endpoint, &suffix);

        } else if (ctx->endpoint == LLM_ROUTE_COMPLETIONS) {
            ngx_str_set(&endpoint, "/completions");

        } else if (ctx->endpoint == LLM_ROUTE_EMBEDDINGS) {
            ngx_str_set(&endpoint, "/embeddings");

        } else {
            ngx_str_set(&endpoint, "/chat/completions");
        }

        break;
    }

    /* a wire's own path in place of its family's: {model} is the model */
    if (ctx->route) {
        endpoint.data = (u_char *) ctx->route->path;
        endpoint.len = at ? (size_t) (at - ctx->route->path)
                          : ngx_strlen(ctx->route->path);

        if (at) {
            suffix.data = (u_char *) at + sizeof("{model}") - 1;
            suffix.len = ngx_strlen(suffix.data);

        } else {
            ngx_str_null(&suffix);
        }
    }

    /* the lengths once: this runs for every attempt */
    scheme_len = ngx_strlen(d->scheme);
    base_len = ngx_strlen(d->base_path);
    model_len = ngx_strlen(path_model);
    version_len = d->api_version ? ngx_strlen(d->api_version) : 0;

    len = scheme_len + sizeof("://llm_upstream") + base_len
          + sizeof("/openai/deployments/") + model_len + endpoint.len
          + sizeof("/input_tokens") + suffix.len + sizeof("?api-version=")
          + version_len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->upstream_url.data = p;

    /* copies, not ngx_sprintf(): this runs for every attempt */
    p = ngx_cpymem(p, d->scheme, scheme_len);
    p = ngx_cpymem(p, "://llm_upstream", sizeof("://llm_upstream") - 1);
    p = ngx_cpymem(p, d->base_path, base_len);

    if (ctx->resp_pass) {
        /* Azure's too: the deployment is the body's model */
        p = ngx_cpymem(p, endpoint.data, endpoint.len);

        if (ctx->endpoint == LLM_ROUTE_COUNT_TOKENS) {
            p = ngx_cpymem(p, "/input_tokens", sizeof("/input_tokens") - 1);
        }

        if (suffix.len) {
            p = ngx_cpymem(p, "?api-version=", sizeof("?api-version=") - 1);
            p = ngx_cpymem(p, suffix.data, suffix.len);
        }

    } else if (d->provider == LLM_PROVIDER_AZURE) {
        p = ngx_cpymem(p, "/openai/deployments/",
                       sizeof("/openai/deployments/") - 1);
        p = ngx_cpymem(p, path_model, model_len);
        p = ngx_cpymem(p, endpoint.data, endpoint.len);
        p = ngx_cpymem(p, "?api-version=", sizeof("?api-version=") - 1);

        if (version_len) {
            p = ngx_cpymem(p, d->api_version, version_len);
        }

    } else if (in_path) {
        p = ngx_cpymem(p, endpoint.data, endpoint.len);
        p = ngx_cpymem(p, path_model, model_len);
        p = ngx_cpymem(p, suffix.data, suffix.len);

    } else {
        p = ngx_cpymem(p, endpoint.data, endpoint.len);
    }

    ctx->upstream_url.len = p - ctx->upstream_url.data;

    ctx->upstream_uri.data = ctx->upstream_url.data + scheme_len
                             + sizeof("://llm_upstream") - 1;
    ctx->upstream_uri.len = p - ctx->upstream_uri.data;

    ngx_str_null(&ctx->sign_headers);

    if (d->auth == LLM_AUTH_SIGV4
        && ngx_http_llm_sign_sigv4(r, ctx) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llm: deployment \"%s\": the request could not be "
                      "signed", d->id);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_llm_lend_uri(r, ctx);

    if (ctx->stream && ctx->translate) {
        ctx->xlate = NULL;      /* created by the header filter on success */
    }

    ctx->proxied = 1;
    ctx->resp_status = 0;
    ctx->provider_408 = 0;
    ctx->upstream_invalid = 0;
    ctx->error_to_close = 0;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "llm: attempt %ui to deployment \"%s\" (%s)",
                   ctx->attempts, d->id, d->provider_name);

    return NGX_DECLINED;
}


/*
 * `proxy_pass https://llm_upstream` has no URI of its own, so proxy sends
 * r->unparsed_uri as it is: the attempt's path and query are lent there
 * while proxy builds the request, and the balancer, which runs right after
 * that, gives the client's back.  Nothing is escaped again, and no
 * variable URL is parsed per request.
 */

void
ngx_http_llm_lend_uri(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    if (!ctx->uri_lent) {
        ctx->client_uri = r->unparsed_uri;
        ctx->client_uri_valid = r->valid_unparsed_uri;
        ctx->uri_lent = 1;
    }

    r->unparsed_uri = ctx->upstream_uri;
    r->valid_unparsed_uri = 1;
}


void
ngx_http_llm_return_uri(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    if (ctx->uri_lent) {
        r->unparsed_uri = ctx->client_uri;
        r->valid_unparsed_uri = ctx->client_uri_valid;
        ctx->uri_lent = 0;
    }
}
