
/*
 * One attempt after another: pick a deployment of the group, prepare what
 * proxy sends, and when an attempt fails before the client saw a byte,
 * classify the provider's error, retry, fall back or back off.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"
#include "llm_gzip.h"


/* of a provider's error: the whole of it decides its class and message */
#define NGX_HTTP_LLM_ERROR_BODY_MAX  (64 * 1024)


static ngx_int_t ngx_http_llm_process_header(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_read_error_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_input_filter_init(void *data);
static ngx_int_t ngx_http_llm_input_filter(void *data, ssize_t bytes);
static ngx_uint_t ngx_http_llm_chunks(u_char *p, u_char *last, u_char *out,
    size_t *len);
static ngx_int_t ngx_http_llm_prepare_attempt(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static llm_group_t *ngx_http_llm_next_fallback(ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_backoff(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, uint64_t ms);
static void ngx_http_llm_backoff_done(ngx_http_request_t *r);


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

    /*
     * Mocks answer here; so does a token count unless the provider has a
     * counting endpoint in the client's own API (a documented local
     * estimate, said so in x-llm-token-count).
     */
    if (d->provider == LLM_PROVIDER_MOCK
        || (ctx->endpoint == NGX_HTTP_LLM_EP_COUNT_TOKENS
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


/*
 * The endpoints a deployment serves are its provider row's (chat covers
 * Anthropic's messages and Gemini's generateContent, by translation);
 * completions have no translation to another wire, embeddings only
 * Gemini's to OpenAI's.
 */

static ngx_uint_t
ngx_http_llm_endpoint_refused(ngx_http_llm_ctx_t *ctx, llm_deployment_t *d)
{
    switch (ctx->endpoint) {

    case NGX_HTTP_LLM_EP_COMPLETIONS:
        return d->api != LLM_API_OPENAI
               || !(d->endpoints & LLM_EP_COMPLETIONS);

    case NGX_HTTP_LLM_EP_EMBEDDINGS:
        /* Gemini's embedContent: to Gemini, or translated to OpenAI's;
           OpenAI's translated to Cohere's /v2/embed */
        return (d->api != LLM_API_OPENAI && d->api != ctx->api
                && !(d->api == LLM_API_COHERE && ctx->api == LLM_API_OPENAI))
               || !(d->endpoints & LLM_EP_EMBEDDINGS);

    case NGX_HTTP_LLM_EP_CHAT:
    case NGX_HTTP_LLM_EP_MESSAGES:
    case NGX_HTTP_LLM_EP_GENERATE:
        return !(d->endpoints & LLM_EP_CHAT);

    default:
        return 0;
    }
}


/* The length of "vendor/" in a group pattern "vendor/" "*", else 0. */

static size_t
ngx_http_llm_wildcard_prefix(const char *pattern)
{
    size_t  len;

    len = ngx_strlen(pattern);

    if (len < 3 || pattern[len - 1] != '*' || pattern[len - 2] != '/'
        || ngx_strlchr((u_char *) pattern, (u_char *) pattern + len - 1, '*')
           != NULL)
    {
        return 0;
    }

    return len - 1;
}


static ngx_int_t
ngx_http_llm_prepare_attempt(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char            *p;
    size_t             len, scheme_len, base_len, model_len, version_len;
    ngx_int_t          rc;
    ngx_str_t          endpoint, suffix;
    ngx_chain_t       *chain, **ll;
    const char        *model, *path_model;
    llm_deployment_t  *d;
    size_t             prefix;
    u_char             name[512];

    d = ctx->dep->dep;

    if (d->model_passthrough) {
        ngx_cpystrn(name, ctx->model.data,
                    ngx_min(ctx->model.len + 1, sizeof(name)));
        model = (char *) name;

        /*
         * LiteLLM puts what the group's "*" matched in place of the
         * deployment's: a group "anthropic/" "*" asked for
         * "anthropic/claude-x" sends "claude-x".  Done for such
         * "vendor/" "*" groups; any other pattern sends the name whole.
         */
        prefix = ngx_http_llm_wildcard_prefix(d->model_name);

        if (prefix && prefix <= ctx->model.len
            && ngx_strncmp(name, d->model_name, prefix) == 0
            && name[prefix] != '\0')
        {
            model += prefix;
        }

    } else {
        model = d->model;
    }

    /*
     * Azure and Gemini name the model in the URL's path, and a wildcard
     * deployment takes that name from the client: a CR, LF, space, "/",
     * "?" or "#" there would add headers, path segments or a query of the
     * client's choosing to the provider's request line.
     */
    if ((d->provider == LLM_PROVIDER_AZURE || d->api == LLM_API_GEMINI
         || d->api == LLM_API_BEDROCK)
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

    ctx->translate = (ctx->api != d->api);



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
        if (ctx->endpoint == NGX_HTTP_LLM_EP_COUNT_TOKENS) {
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
        if (ctx->endpoint == NGX_HTTP_LLM_EP_EMBEDDINGS) {
            ngx_str_set(&endpoint, "/v2/embed");

        } else {
            ngx_str_set(&endpoint, "/v2/chat");
        }

        break;

    case LLM_API_GEMINI:
        ngx_str_set(&endpoint, "/models/");

        if (ctx->stream) {
            ngx_str_set(&suffix, ":streamGenerateContent?alt=sse");

        } else if (ctx->endpoint == NGX_HTTP_LLM_EP_COUNT_TOKENS) {
            ngx_str_set(&suffix, ":countTokens");

        } else if (ctx->endpoint == NGX_HTTP_LLM_EP_EMBEDDINGS) {
            if (ctx->embed_batch) {
                ngx_str_set(&suffix, ":batchEmbedContents");

            } else {
                ngx_str_set(&suffix, ":embedContent");
            }

        } else {
            ngx_str_set(&suffix, ":generateContent");
        }

        break;

    default:
        if (ctx->endpoint == NGX_HTTP_LLM_EP_COMPLETIONS) {
            ngx_str_set(&endpoint, "/completions");

        } else if (ctx->endpoint == NGX_HTTP_LLM_EP_EMBEDDINGS) {
            ngx_str_set(&endpoint, "/embeddings");

        } else {
            ngx_str_set(&endpoint, "/chat/completions");
        }

        break;
    }

    /* the lengths once: this runs for every attempt */
    scheme_len = ngx_strlen(d->scheme);
    base_len = ngx_strlen(d->base_path);
    model_len = ngx_strlen(path_model);
    version_len = d->api_version ? ngx_strlen(d->api_version) : 0;

    len = scheme_len + sizeof("://llm_upstream") + base_len
          + sizeof("/openai/deployments/") + model_len + endpoint.len
          + suffix.len + sizeof("?api-version=") + version_len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->upstream_url.data = p;

    /* copies, not ngx_sprintf(): this runs for every attempt */
    p = ngx_cpymem(p, d->scheme, scheme_len);
    p = ngx_cpymem(p, "://llm_upstream", sizeof("://llm_upstream") - 1);
    p = ngx_cpymem(p, d->base_path, base_len);

    if (d->provider == LLM_PROVIDER_AZURE) {
        p = ngx_cpymem(p, "/openai/deployments/",
                       sizeof("/openai/deployments/") - 1);
        p = ngx_cpymem(p, path_model, model_len);
        p = ngx_cpymem(p, endpoint.data, endpoint.len);
        p = ngx_cpymem(p, "?api-version=", sizeof("?api-version=") - 1);

        if (version_len) {
            p = ngx_cpymem(p, d->api_version, version_len);
        }

    } else if (d->api == LLM_API_GEMINI || d->api == LLM_API_BEDROCK) {
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
 * A provider's error is classified by its body (a context window, a
 * content policy, its own message for the caller), but proxy intercepts
 * the response as soon as its header is in, with whatever part of the
 * body came in the same reads.  So proxy's header parser is wrapped: for
 * an error status the upstream goes on reading into u->buffer until the
 * body is whole (by Content-Length or the last chunk), at most
 * NGX_HTTP_LLM_ERROR_BODY_MAX of it.  A success body is never held.
 */

void
ngx_http_llm_hold_error_body(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_http_upstream_t  *u;

    u = r->upstream;

    if (!u->conf->intercept_errors) {
        return;
    }

    ctx->process_header = u->process_header;
    u->process_header = ngx_http_llm_process_header;

    ctx->input_filter_init = u->input_filter_init;
    u->input_filter_init = ngx_http_llm_input_filter_init;
}


/*
 * A chunked body proxy finds invalid: its filter returns NGX_ERROR, and
 * nginx then ends the request with no word to the client.  Wrapped, what
 * came before the bad chunk goes out and the upstream ends as a broken
 * one (u->error: nginx's 502, then a bare flush), so the body filter ends
 * the answer with an error in the client's format.
 */

static ngx_int_t
ngx_http_llm_input_filter_init(void *data)
{
    ngx_int_t             rc;
    ngx_http_request_t   *r = data;
    ngx_http_llm_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    ctx = ngx_http_llm_get_ctx(r);
    u = r->upstream;

    rc = ctx->input_filter_init(data);

    if (u->headers_in.chunked && u->input_filter != ngx_http_llm_input_filter)
    {
        ctx->input_filter = u->input_filter;
        u->input_filter = ngx_http_llm_input_filter;
    }

    return rc;
}


static ngx_int_t
ngx_http_llm_input_filter(void *data, ssize_t bytes)
{
    ngx_http_request_t   *r = data;
    ngx_http_llm_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    ctx = ngx_http_llm_get_ctx(r);
    u = r->upstream;

    if (ctx->upstream_invalid) {
        return NGX_OK;                     /* past a bad chunk: dropped */
    }

    if (ctx->input_filter(data, bytes) != NGX_ERROR) {
        return NGX_OK;
    }

    ctx->upstream_invalid = 1;
    u->error = 1;
    u->keepalive = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_llm_process_header(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_http_llm_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    ctx = ngx_http_llm_get_ctx(r);
    u = r->upstream;

    rc = ctx->process_header(r);

    if (u->process_header != ngx_http_llm_process_header) {
        /* proxy went on from its status line to its header lines */
        ctx->process_header = u->process_header;
        u->process_header = ngx_http_llm_process_header;
    }

    if (rc != NGX_OK || u->headers_in.status_n < NGX_HTTP_BAD_REQUEST) {
        return rc;
    }

    if (u->headers_in.status_n == NGX_HTTP_REQUEST_TIME_OUT) {
        /*
         * nginx closes the client's connection when a request is
         * finalized with 408 (the client's own timeout), so a provider's
         * 408 goes to error_page as the 504 of the same class, timeout;
         * ctx->last_error keeps the provider's status for the message.
         */
        u->headers_in.status_n = NGX_HTTP_GATEWAY_TIME_OUT;
        ctx->provider_408 = 1;
    }

    u->process_header = ngx_http_llm_read_error_body;

    return ngx_http_llm_read_error_body(r);
}


/* NGX_AGAIN until the error body is whole, or as whole as it may get */

static ngx_int_t
ngx_http_llm_read_error_body(ngx_http_request_t *r)
{
    size_t                size, head, body;
    u_char               *p;
    ngx_http_llm_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    u = r->upstream;

    body = u->buffer.last - u->buffer.pos;

    if (body >= NGX_HTTP_LLM_ERROR_BODY_MAX) {
        return NGX_OK;
    }

    if (u->headers_in.chunked) {
        if (ngx_http_llm_chunks(u->buffer.pos, u->buffer.last, NULL, &size))
        {
            return NGX_OK;
        }

    } else if (u->headers_in.content_length_n < 0) {
        if (u->headers_in.status_n != NGX_HTTP_BAD_REQUEST
            && u->headers_in.status_n != NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
        {
            return NGX_OK;              /* the status alone is the class */
        }

        /*
         * Delimited by the close: nginx ends the read with its 502 when
         * it comes, and ngx_http_llm_retry() takes the body as whole.
         */
        ctx = ngx_http_llm_get_ctx(r);
        ctx->error_to_close = 1;

    } else if (body >= (size_t) u->headers_in.content_length_n) {
        return NGX_OK;
    }

    if (u->buffer.last < u->buffer.end) {
        return NGX_AGAIN;
    }

    /*
     * proxy_buffer_size is full: a bigger buffer for this error only.  The
     * old one stays in the pool, where the parsed headers point.
     */

    head = u->buffer.pos - u->buffer.start;
    size = ngx_min(2 * (size_t) (u->buffer.end - u->buffer.start),
                   head + NGX_HTTP_LLM_ERROR_BODY_MAX);

    p = ngx_palloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, u->buffer.start, head + body);

    u->buffer.start = p;
    u->buffer.pos = p + head;
    u->buffer.last = p + head + body;
    u->buffer.end = p + size;

    return NGX_AGAIN;
}


/*
 * Walks "size CRLF data CRLF ... 0 CRLF CRLF" from p to last, copying the
 * data to out unless it is NULL; *len is the data's length.  Returns 1
 * when the last chunk was seen.
 */

static ngx_uint_t
ngx_http_llm_chunks(u_char *p, u_char *last, u_char *out, size_t *len)
{
    size_t  size, n;

    *len = 0;

    for ( ;; ) {
        size = 0;

        while (p < last && ngx_hextoi(p, 1) != NGX_ERROR) {
            size = size * 16 + ngx_hextoi(p, 1);
            p++;
        }

        while (p < last && *p != '\n') {
            p++;                               /* chunk extensions, CR */
        }

        if (p++ >= last) {
            return 0;
        }

        if (size == 0) {
            return 1;
        }

        n = ngx_min(size, (size_t) (last - p));

        if (out) {
            out = ngx_cpymem(out, p, n);
        }

        *len += n;

        if (n < size) {
            return 0;
        }

        p += size;

        while (p < last && (*p == '\r' || *p == '\n')) {
            p++;
        }
    }
}


/*
 * The body of the error an intercepted upstream response started with
 * (see ngx_http_llm_hold_error_body()).  Returns 1 when that is all of it.
 */

static ngx_uint_t
ngx_http_llm_upstream_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    size_t                len;
    u_char               *p, *last, *out;
    ngx_uint_t            complete;
    ngx_http_upstream_t  *u;

    ngx_str_null(body);

    u = r->upstream;

    if (u == NULL || u->headers_in.status_n != status
        || u->buffer.start == NULL)
    {
        return 0;
    }

    p = u->buffer.pos;
    last = u->buffer.last;

    if (!u->headers_in.chunked) {
        body->data = p;
        body->len = last - p;

        complete = u->headers_in.content_length_n >= 0
                   && body->len == (size_t) u->headers_in.content_length_n;

    } else {
        body->data = ngx_pnalloc(r->pool, last - p);
        if (body->data == NULL) {
            return 0;
        }

        complete = ngx_http_llm_chunks(p, last, body->data, &body->len);
    }

    if (body->len == 0 || !ngx_http_llm_upstream_gzip(u)) {
        return complete;
    }

    /*
     * Some providers and proxies gzip an error body we never asked to be
     * encoded: it is classified and translated decoded, at most
     * LLM_GUNZIP_MAX of it; what does not decode is no body at all.
     */

    out = ngx_pnalloc(r->pool, LLM_GUNZIP_MAX);
    if (out == NULL) {
        ngx_str_null(body);
        return 0;
    }

    switch (llm_gunzip(body->data, body->len, out, LLM_GUNZIP_MAX, &len)) {

    case LLM_GUNZIP_OK:
        break;

    case LLM_GUNZIP_CUT:
        complete = 0;
        break;

    default:
        ngx_str_null(body);
        return 0;
    }

    body->data = out;
    body->len = len;

    return complete;
}


/* the upstream's Content-Encoding is gzip (or deflate) */

ngx_uint_t
ngx_http_llm_upstream_gzip(ngx_http_upstream_t *u)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &u->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != sizeof("Content-Encoding") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Content-Encoding",
                               h[i].key.len) != 0)
        {
            continue;
        }

        return ngx_strlcasestrn(h[i].value.data,
                                h[i].value.data + h[i].value.len,
                                (u_char *) "gzip", 4 - 1) != NULL
               || ngx_strlcasestrn(h[i].value.data,
                                   h[i].value.data + h[i].value.len,
                                   (u_char *) "deflate", 7 - 1) != NULL;
    }
}


/*
 * A provider's 4xx for the caller: its body when it arrived whole (in the
 * caller's format), else a message of ours with the same status.
 */

static ngx_int_t
ngx_http_llm_provider_error(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_uint_t status, ngx_str_t *body)
{
    u_char     *p;
    ngx_int_t   rc;
    llm_buf_t   out = LLM_BUF_INIT;

    if (body == NULL || body->len == 0) {
        return ngx_http_llm_send_error(r, ctx, status,
                                       "invalid_request_error",
                                       "the provider refused the request");
    }

    ctx->self_response = 1;

    if (ctx->api == ctx->dep->dep->api) {
        ctx->answer_rc = ngx_http_llm_send_body(r, status, "application/json",
                                                body->data, body->len);
        return NGX_HTTP_LLM_ANSWERED;
    }

    llm_xlate_error(ctx->dep->dep->api, ctx->api, (int) status,
                    (char *) body->data, body->len, &out);

    p = out.len ? ngx_pnalloc(r->pool, out.len) : NULL;

    if (p == NULL) {
        llm_buf_free(&out);
        return ngx_http_llm_send_error(r, ctx, status, NULL,
                                       "the provider refused the request");
    }

    ngx_memcpy(p, out.data, out.len);
    rc = ngx_http_llm_send_body(r, status, "application/json", p, out.len);
    llm_buf_free(&out);

    ctx->answer_rc = rc;

    return NGX_HTTP_LLM_ANSWERED;
}


/* The provider's Retry-After in seconds, or -1. */

static long
ngx_http_llm_retry_after(ngx_http_request_t *r)
{
    ngx_int_t         n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (r->upstream == NULL) {
        return -1;
    }

    part = &r->upstream->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return -1;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Retry-After") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Retry-After",
                               h[i].key.len) == 0)
        {
            n = ngx_atoi(h[i].value.data, h[i].value.len);
            return n == NGX_ERROR ? -1 : (long) n;
        }
    }
}


/* The fallback groups for the first failure's class, once per request. */

static void
ngx_http_llm_find_fallbacks(ngx_http_llm_ctx_t *ctx, llm_err_class_t cls)
{
    if (ctx->fallbacks_known) {
        return;
    }

    ctx->nfallbacks = llm_router_fallbacks(ctx->tables->router,
                                           (char *) ctx->model.data,
                                           ctx->model.len, ctx->group->name,
                                           cls, ctx->fallbacks, 8);
    ctx->fallbacks_known = 1;
}


/*
 * Moves to the next fallback group that can serve: NGX_DONE when none is
 * left, else as ngx_http_llm_next_attempt().
 */

ngx_int_t
ngx_http_llm_try_fallbacks(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    llm_err_class_t cls)
{
    ngx_int_t     rc;
    llm_group_t  *g;

    ngx_http_llm_find_fallbacks(ctx, cls);

    rc = NGX_DONE;

    while (rc == NGX_DONE && (g = ngx_http_llm_next_fallback(ctx))) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "llm: falling back from \"%s\" to \"%s\"",
                      ctx->group->name, g->name);

        ctx->group = g;
        ctx->attempts_in_group = 0;
        ctx->fallbacks_used++;
        ngx_memzero(ctx->tried, ctx->tables->cf->ndeployments + 1);

        rc = ngx_http_llm_next_attempt(r, ctx, 0);
    }

    return rc;
}


/* The next fallback group that exists, or NULL. */

static llm_group_t *
ngx_http_llm_next_fallback(ngx_http_llm_ctx_t *ctx)
{
    llm_group_t  *g;
    const char   *name;

    while (ctx->next_fallback < ctx->nfallbacks) {
        name = ctx->fallbacks[ctx->next_fallback++];
        g = llm_config_find_group(ctx->tables->cf, name, ngx_strlen(name));

        if (g != NULL && g != ctx->group) {
            return g;
        }
    }

    return NULL;
}


/*
 * An attempt failed before the client saw a byte: error_page sent us to
 * @llm_retry with r->err_status set to the failure.  The router decides:
 * another deployment of the group (after a backoff when it is the same
 * one), a fallback group, or the error for the client.
 */

ngx_int_t
ngx_http_llm_retry(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    long                 retry_after;
    size_t               i, n, healthy;
    uint64_t             backoff;
    ngx_int_t            rc;
    ngx_str_t            body;
    ngx_uint_t           status, complete, closed;
    const char          *type, *msg;
    llm_group_t         *g;
    llm_err_class_t      cls;
    llm_dep_state_t     *st;
    llm_router_req_t     req;
    llm_retry_action_t   action;
    llm_router_conf_t   *router;
    u_char               text[256];

    status = r->err_status;
    r->err_status = 0;
    closed = 0;

    if (status == NGX_HTTP_BAD_GATEWAY && ctx->error_to_close) {
        /* a close-delimited error body, ended by the close */
        status = r->upstream->headers_in.status_n;
        closed = 1;
    }

    ctx->last_error = status;

    if (status == NGX_HTTP_GATEWAY_TIME_OUT && ctx->provider_408) {
        ctx->last_error = NGX_HTTP_REQUEST_TIME_OUT;
    }

    ctx->proxied = 0;
    router = ctx->tables->router;
    g = ctx->group;

    /*
     * The provider's error body, as far as it arrived with the header (an
     * error is small); nginx's own 502 and 504 have none.
     */
    complete = ngx_http_llm_upstream_body(r, status, &body) || closed;
    cls = llm_router_classify((int) status, (char *) body.data, body.len);
    retry_after = ngx_http_llm_retry_after(r);

    ngx_http_llm_state_fail(ctx->in_flight, cls, g->ndeployments, router,
                            ctx->dep->dep);
    ctx->in_flight = NULL;

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "llm: deployment \"%s\" of \"%s\" failed: %ui (%s)",
                  ctx->dep->dep->id, g->name, status,
                  llm_err_class_name(cls));

    ngx_http_llm_find_fallbacks(ctx, cls);

    if ((status == NGX_HTTP_BAD_REQUEST
         || status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
        && !((cls == LLM_ERR_CONTEXT_WINDOW || cls == LLM_ERR_CONTENT_POLICY)
             && ctx->next_fallback < ctx->nfallbacks))
    {
        /* the caller's own error: it comes back as the provider said it */
        return ngx_http_llm_finish(r, ctx,
                   ngx_http_llm_provider_error(r, ctx, status,
                                               complete ? &body : NULL));
    }

    n = g->ndeployments;

    st = ngx_palloc(r->pool, n * sizeof(llm_dep_state_t));
    if (st == NULL) {
        return ngx_http_llm_finish(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    for (i = 0; i < n; i++) {
        ngx_http_llm_state_read(ctx->tables->deps[g->deployments[i]->index]
                                .slot, &st[i]);
    }

    ngx_memzero(&req, sizeof(req));
    req.strategy = router->strategy;
    req.now_ms = ngx_http_llm_now_ms();
    req.input_tokens = ctx->body.len / 4;

    healthy = llm_router_healthy(&req, g->deployments, st, n);

    /* each attempt costs an internal redirect; nginx allows ten */
    action = r->uri_changes > 2
             ? llm_router_should_retry(&router->retry, cls,
                                       ctx->attempts_in_group, n, healthy,
                                       ctx->next_fallback < ctx->nfallbacks)
             : LLM_RETRY_GIVE_UP;

    rc = NGX_DONE;

    if (action == LLM_RETRY_SAME_GROUP) {
        backoff = llm_router_backoff_ms(ctx->attempts_in_group - 1,
                                        retry_after, healthy,
                                        (unsigned long) ngx_random(),
                                        router->retry_after_ms);

        rc = ngx_http_llm_next_attempt(r, ctx, 0);

        if (rc == NGX_DONE && ctx->pick.outcome == LLM_ROUTER_ALL_TRIED) {
            /* a small group: the same deployment again, after a backoff */
            rc = ngx_http_llm_next_attempt(r, ctx, 1);

        } else {
            backoff = 0;
        }

        if (rc == NGX_DECLINED && backoff) {
            return ngx_http_llm_backoff(r, ctx, backoff);
        }

        if (rc == NGX_DONE && ctx->next_fallback < ctx->nfallbacks) {
            action = LLM_RETRY_FALLBACK;
        }
    }

    if (action == LLM_RETRY_FALLBACK && rc == NGX_DONE) {
        rc = ngx_http_llm_try_fallbacks(r, ctx, cls);
    }

    if (rc == NGX_DECLINED) {
        return NGX_DECLINED;
    }

    if (rc != NGX_DONE) {
        return ngx_http_llm_finish(r, ctx, rc);
    }

    switch (status) {

    case NGX_HTTP_TOO_MANY_REQUESTS:
        type = "rate_limit_error";
        msg = "the provider is rate limiting requests";
        break;

    case NGX_HTTP_GATEWAY_TIME_OUT:
    case NGX_HTTP_REQUEST_TIME_OUT:
        status = NGX_HTTP_GATEWAY_TIME_OUT;
        type = "timeout";
        msg = "the provider did not answer in time";
        break;

    case NGX_HTTP_BAD_GATEWAY:
        type = "api_connection_error";
        msg = "could not get a response from the provider";
        break;

    default:
        type = "api_error";
        msg = "the provider failed";
        break;
    }

    ngx_snprintf(text, sizeof(text), "%s (model group \"%s\", %ui "
                 "attempt%s, last HTTP %ui)%Z", msg, ctx->group->name,
                 ctx->attempts, ctx->attempts == 1 ? "" : "s",
                 ctx->last_error);

    return ngx_http_llm_finish(r, ctx,
                               ngx_http_llm_send_error(r, ctx, status, type,
                                                       (char *) text));
}


/*
 * Waits before resending to a deployment that just failed, on a timer of
 * the client connection, as limit_req delays; the phases resume when it
 * fires, and proxy_pass sends the prepared attempt.
 */

static ngx_int_t
ngx_http_llm_backoff(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    uint64_t ms)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "llm: backoff %uLms", ms);

    /* the client's URI while it waits: it may be logged before proxy runs */
    ngx_http_llm_return_uri(r, ctx);

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_llm_backoff_done;
    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, (ngx_msec_t) ms);

    return NGX_AGAIN;
}


static void
ngx_http_llm_backoff_done(ngx_http_request_t *r)
{
    ngx_event_t         *wev;
    ngx_http_llm_ctx_t  *ctx;

    wev = r->connection->write;

    if (wev->delayed) {
        /* woken by something else: keep waiting for the timer */
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ctx = ngx_http_llm_get_ctx(r);

    if (ctx != NULL) {
        ngx_http_llm_lend_uri(r, ctx);
    }

    ngx_http_core_run_phases(r);
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
