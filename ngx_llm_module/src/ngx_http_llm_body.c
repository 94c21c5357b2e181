
/*
 * The client's body: read into one buffer, scanned for model, stream and
 * max_tokens, then rewritten for the chosen deployment (its model name,
 * usage in streams, or a translation into its API format).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"


/*
 * Bodies up to this size are sent as one buffer when the model is
 * rewritten: copying them costs less than sending the pieces.
 */
#define NGX_HTTP_LLM_BODY_COPY_MAX  4096


static ngx_int_t ngx_http_llm_process_body(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_parse_body(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);


void
ngx_http_llm_body_handler(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_llm_ctx_t  *ctx;

    ctx = ngx_http_llm_get_ctx(r);

    ngx_http_llm_body_in_place_done(r, ctx);
    ctx->reading_body = 0;

    rc = ngx_http_llm_process_body(r, ctx);

    if (rc == NGX_AGAIN) {
        /* controld is asked for a stored response: the access phase goes
           on when it answered (ngx_http_llm_rstore_resume()) */
        r->preserve_body = 1;
        r->write_event_handler = ngx_http_core_run_phases;
        return;
    }

    if (rc != NGX_DECLINED) {
        ngx_http_finalize_request(r, rc == NGX_HTTP_LLM_ANSWERED
                                     ? ctx->answer_rc : rc);
        return;
    }


    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


/*
 * The body in one buffer, as it is read, instead of copied together after:
 * nginx keeps the part that came with the headers in r->header_in and
 * reads the rest into a buffer of its own, unless r->header_in has room
 * for all of it.  So r->header_in is lent a buffer of the body's size
 * holding that first part, for the time ngx_http_read_client_request_body()
 * sets up its reading; the part in the connection's buffer counts as read.
 */

void
ngx_http_llm_body_in_place(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    off_t                      size;
    u_char                    *p;
    size_t                     preread;
    ngx_buf_t                 *b;
    ngx_http_core_loc_conf_t  *clcf;

    b = r->header_in;
    preread = b->last - b->pos;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    size = r->headers_in.content_length_n;

    if (preread == 0
        || r->headers_in.chunked
        || size <= (off_t) preread                  /* all of it is here */
        || size <= (off_t) (b->end - b->pos)        /* nginx reads it here */
        || size > (off_t) clcf->client_body_buffer_size   /* to a file */
        || r->request_body_in_file_only
#if (NGX_HTTP_V2)
        || r->stream
#endif
       )
    {
        return;
    }

    p = ngx_pnalloc(r->pool, (size_t) size);
    if (p == NULL) {
        /* nginx reads it as it would, and fails as it would */
        return;
    }

    ngx_memzero(&ctx->body_in, sizeof(ngx_buf_t));

    ctx->body_in.temporary = 1;
    ctx->body_in.start = p;
    ctx->body_in.pos = p;
    ctx->body_in.last = ngx_cpymem(p, b->pos, preread);
    ctx->body_in.end = p + size;

    ctx->header_in = b;
    r->header_in = &ctx->body_in;
}


/* r->header_in back, its body part read: before anything else uses it */

void
ngx_http_llm_body_in_place_done(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    if (ctx->header_in == NULL) {
        return;
    }

    ctx->header_in->pos = ctx->header_in->last;

    r->header_in = ctx->header_in;
    ctx->header_in = NULL;
}


static ngx_int_t
ngx_http_llm_collect_body(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char                   *p;
    size_t                    len;
    ngx_buf_t                *b;
    ngx_chain_t              *cl;
    ngx_http_llm_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_llm_module);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        ngx_str_null(&ctx->body);
        return NGX_OK;
    }

    if (r->request_body->temp_file) {
        /* only bodies over client_body_buffer_size go to disk */
        goto too_large;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > llcf->max_body_size) {
        goto too_large;
    }

    /* one buffer, or pieces of one (see ngx_http_llm_body_in_place()) */
    for (cl = r->request_body->bufs; cl->next; cl = cl->next) {
        if (cl->buf->last != cl->next->buf->pos) {
            break;
        }
    }

    if (cl->next == NULL) {
        ctx->body.data = r->request_body->bufs->buf->pos;
        ctx->body.len = len;
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->body.data = p;
    ctx->body.len = len;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;
        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    return NGX_OK;

too_large:

    r->keepalive = 0;

    return ngx_http_llm_send_error(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                   NULL, "request body is larger than the "
                                   "gateway's limit (llm_max_body_size)");
}


static ngx_int_t
ngx_http_llm_process_body(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_http_llm_collect_body(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_llm_parse_body(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ctx->endpoint == LLM_ROUTE_RESPONSES) {
        rc = ngx_http_llm_rstore_request(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return ngx_http_llm_route_body(r, ctx);
}


/* the body is final: its model group, admission, the first attempt */

ngx_int_t
ngx_http_llm_route_body(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_int_t              rc;
    u_char                 msg[768];
    const llm_disabled_t  *dis;

    ctx->group = llm_config_find_group(ctx->tables->cf,
                                       (char *) ctx->model.data,
                                       ctx->model.len);

    if (ctx->group == NULL && ctx->tables->cf->ndisabled) {
        dis = llm_config_find_disabled(ctx->tables->cf,
                                       (char *) ctx->model.data,
                                       ctx->model.len);

        if (dis != NULL) {
            /* the operator's config problem, said as controld said it */
            ngx_snprintf(msg, sizeof(msg), "model \"%V\" cannot be served: "
                         "its deployment is disabled: %*s%Z", &ctx->model,
                         ngx_min(ngx_strlen(dis->reason), 400),
                         dis->reason);

            return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                           "invalid_request_error",
                                           (char *) msg);
        }
    }

    if (ctx->group == NULL) {
        ngx_snprintf(msg, sizeof(msg),
                     "Invalid model name passed in model=%V. Call "
                     "`/v1/models` to view available models for your "
                     "key.%Z", &ctx->model);

        return ngx_http_llm_send_error(r, ctx,
                                       ctx->api == LLM_API_OPENAI
                                       ? NGX_HTTP_BAD_REQUEST
                                       : NGX_HTTP_NOT_FOUND,
                                       ctx->api == LLM_API_OPENAI
                                       ? "invalid_request_error" : NULL,
                                       (char *) msg);
    }

    rc = ngx_http_llm_rpass_pin(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_llm_admit(r, ctx);

    if (rc != NGX_OK) {
        return ngx_http_llm_refuse(r, ctx, rc);
    }

    rc = ngx_http_llm_next_attempt(r, ctx, 0);

    if (rc == NGX_DONE
        && (ctx->pick.outcome == LLM_ROUTER_ALL_COOLING
            || ctx->pick.outcome == LLM_ROUTER_ALL_SATURATED))
    {
        /* LiteLLM: no healthy deployment and fallbacks -> fallbacks */
        rc = ngx_http_llm_try_fallbacks(r, ctx, LLM_ERR_RATE_LIMIT);
    }

    if (rc == NGX_DONE) {
        return ngx_http_llm_unavailable(r, ctx);
    }

    return rc;
}


static ngx_int_t
ngx_http_llm_parse_body(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    int                 b;
    long                n;
    u_char              msg[128];
    char                model[512];
    llm_json_member_t  *m;

    if (ctx->body.len == 0) {
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       "request body is empty: expected a "
                                       "JSON object");
    }

    if (llm_json_scan((char *) ctx->body.data, ctx->body.len, &ctx->scan)
        != 0)
    {
        ngx_snprintf(msg, sizeof(msg), "malformed JSON in request body "
                     "(at byte %uz)%Z", ctx->scan.error_offset);

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error", (char *) msg);
    }

    if (ctx->scan.ambiguous && ctx->api != LLM_API_GEMINI) {
        /* see llm_json_member_slot(): parsers disagree on such names */
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       "the body names \"model\", "
                                       "\"stream\", \"stream_options\", "
                                       "\"max_tokens\" or "
                                       "\"max_output_tokens\" twice, or in "
                                       "another letter case: providers "
                                       "would read it differently");
    }

    m = &ctx->scan.model;

    if (ctx->api == LLM_API_GEMINI) {
        /* the model and the stream flag came from the URI */
        n = ngx_min(ctx->model.len, sizeof(model) - 1);
        ngx_memcpy(model, ctx->model.data, n);

    } else {
        n = m->present ? llm_json_string_value((char *) ctx->body.data,
                                               m->value_start, m->value_end,
                                               model, sizeof(model))
                       : -1;
    }

    if (n <= 0) {
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       m->present
                                       ? "\"model\" must be a non-empty "
                                         "string"
                                       : "missing required field \"model\"");
    }

    /* NUL-terminated: the core takes it as a C string */
    ctx->model.data = ngx_pnalloc(r->pool, n + 1);
    if (ctx->model.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->model.data, model, n);
    ctx->model.data[n] = '\0';
    ctx->model.len = n;

    if (ctx->api == LLM_API_GEMINI) {
        return NGX_OK;
    }

    m = &ctx->scan.stream;

    if (m->present) {
        b = llm_json_bool_value((char *) ctx->body.data, m->value_start,
                                m->value_end);
        ctx->stream = (b == 1);
    }

    /* the token limit the reservation is made from: the Responses API
       has its own name for it */
    m = ctx->api == LLM_API_RESPONSES ? &ctx->scan.max_output_tokens
                                      : &ctx->scan.max_tokens;

    if (m->present) {
        n = ngx_atoi(ctx->body.data + m->value_start,
                     m->value_end - m->value_start);
        ctx->max_tokens = n > 0 ? (uint64_t) n : 0;
    }

    if (ctx->api == LLM_API_RESPONSES) {
        /* stream_options is a Chat Completions field */
        return NGX_OK;
    }

    m = &ctx->scan.stream_options;

    if (m->present
        && ngx_strlcasestrn(ctx->body.data + m->value_start,
                            ctx->body.data + m->value_end,
                            (u_char *) "\"include_usage\"", 15 - 1) != NULL
        && ngx_strlcasestrn(ctx->body.data + m->value_start,
                            ctx->body.data + m->value_end,
                            (u_char *) "true", 4 - 1) != NULL)
    {
        ctx->include_usage = 1;
    }

    return NGX_OK;
}



/*
 * The body proxy sends is a chain: pieces of the client's body (no copy)
 * around what changes.  proxy_pass reads r->request_body->bufs for every
 * attempt, and the Content-Length from content_length_n.
 */

ngx_int_t
ngx_http_llm_chain_add(ngx_http_request_t *r, ngx_chain_t ***ll, u_char *p,
    size_t len)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (len == 0) {
        return NGX_OK;
    }

    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);

    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    b->pos = p;
    b->last = p + len;
    b->start = p;
    b->end = b->last;
    b->memory = 1;

    cl->buf = b;
    cl->next = NULL;

    **ll = cl;
    *ll = &cl->next;

    return NGX_OK;
}


ngx_int_t
ngx_http_llm_set_body(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_chain_t *chain)
{
    off_t         len;
    ngx_chain_t  *cl;

    if (r->request_body == NULL) {
        r->request_body = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
        if (r->request_body == NULL) {
            return NGX_ERROR;
        }
    }

    len = 0;

    for (cl = chain; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);

        if (cl->next == NULL) {
            cl->buf->last_buf = 1;
        }
    }

    r->request_body->bufs = chain;
    r->headers_in.content_length_n = len;

    return NGX_OK;
}


/*
 * drop_params: the body without the top-level fields the deployment's
 * provider refuses, in the pool; NGX_DECLINED when it has none of them
 * (or the deployment keeps them), and body is left alone.
 */

static ngx_int_t
ngx_http_llm_drop_refused(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_str_t *body)
{
    int                rc;
    size_t             dropped;
    llm_buf_t          out = LLM_BUF_INIT;
    llm_deployment_t  *d;

    d = ctx->dep->dep;

    /* a provider's refusals can be anything (tools, response_format):
       cut only when the operator said drop_params: true */
    if (d->nrejects == 0
        || llm_deployment_drop_params(ctx->tables->cf, d) != LLM_DROP_ALL)
    {
        return NGX_DECLINED;
    }

    rc = llm_deployment_drop_refused(d, (char *) body->data, body->len,
                                     &out, &dropped);

    if (rc == 1) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "llm drop_params: %uz fields dropped", dropped);

        body->data = ngx_pnalloc(r->pool, out.len);

        if (body->data != NULL) {
            ngx_memcpy(body->data, out.data, out.len);
            body->len = out.len;
        }
    }

    llm_buf_free(&out);

    if (rc == 1) {
        return body->data != NULL ? NGX_OK : NGX_ERROR;
    }

    return rc == 0 ? NGX_DECLINED : NGX_ERROR;
}


ngx_int_t
ngx_http_llm_set_model(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    const char *model)
{
    u_char             *body, *q, *p;
    size_t              mlen, head, len;
    ngx_str_t           piece[5], src;
    ngx_int_t           rc;
    ngx_uint_t          i, n;
    ngx_chain_t        *chain, **ll;
    llm_json_scan_t    *scan, dropped;
    llm_json_member_t  *m;

    static u_char  usage[] = "\"stream_options\":{\"include_usage\":true},";

    /* the client's body, or this provider's copy of it (drop_params) */
    src = ctx->body;
    scan = &ctx->scan;

    rc = ngx_http_llm_drop_refused(r, ctx, &src);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        /* what is left of a valid body is valid */
        if (llm_json_locate((char *) src.data, src.len, &dropped) != 0) {
            return NGX_ERROR;
        }

        scan = &dropped;
    }

    body = src.data;
    m = &scan->model;
    mlen = ngx_strlen(model);

    q = ngx_pnalloc(r->pool, LLM_JSON_QUOTED_MAX(mlen));
    if (q == NULL) {
        return NGX_ERROR;
    }

    /* the body in pieces: the client's bytes around what changes */
    n = 0;

    /* ask streams for usage, unless the client set stream_options itself */
    if (ctx->stream && ctx->endpoint != LLM_ROUTE_MESSAGES
        && ctx->endpoint != LLM_ROUTE_RESPONSES
        && !scan->stream_options.present)
    {
        head = scan->object_start + 1;

        piece[n].data = body;
        piece[n++].len = head;
        piece[n].data = usage;
        piece[n++].len = sizeof(usage) - 1;
        piece[n].data = body + head;
        piece[n++].len = m->value_start - head;

    } else {
        piece[n].data = body;
        piece[n++].len = m->value_start;
    }

    piece[n].data = q;
    piece[n++].len = llm_json_quote(model, mlen, (char *) q);
    piece[n].data = body + m->value_end;
    piece[n++].len = src.len - m->value_end;

    len = 0;

    for (i = 0; i < n; i++) {
        len += piece[i].len;
    }

    chain = NULL;
    ll = &chain;

    if (len <= NGX_HTTP_LLM_BODY_COPY_MAX) {
        /*
         * A small body is copied whole: one buffer to send costs less (to
         * proxy and to the kernel) than the pieces.
         */
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < n; i++) {
            p = ngx_cpymem(p, piece[i].data, piece[i].len);
        }

        piece[0].data = p - len;
        piece[0].len = len;
        n = 1;
    }

    for (i = 0; i < n; i++) {
        if (ngx_http_llm_chain_add(r, &ll, piece[i].data, piece[i].len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_llm_set_body(r, ctx, chain);
}


ngx_int_t
ngx_http_llm_translate_request(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    const char *model)
{
    char               err[256], cmodel[512];
    ngx_int_t          rc;
    ngx_str_t          body;
    llm_buf_t          out = LLM_BUF_INIT, dropped = LLM_BUF_INIT;
    ngx_chain_t       *chain, **ll;
    llm_deployment_t  *d;
    llm_xlate_opts_t   o;

    d = ctx->dep->dep;

    ngx_memzero(&o, sizeof(o));
    ngx_cpystrn((u_char *) cmodel, ctx->model.data,
                ngx_min(ctx->model.len + 1, sizeof(cmodel)));

    o.model = model;
    o.client_model = cmodel;
    o.stream = ctx->stream;
    o.drop_params = llm_deployment_drop_params(ctx->tables->cf, d);
    o.default_max_tokens = d->max_tokens;
    o.include_usage = ctx->include_usage;
    o.dropped = &dropped;

    if (ctx->route) {
        /* Vertex AI's Claude: the version in the body, the model in the
           URL */
        o.anthropic_version = ctx->route->anthropic_version;
        o.no_model = !ctx->route->body_model;
    }

    if (ctx->endpoint == LLM_ROUTE_EMBEDDINGS
        && llm_xlate_embed_wire(d->wire))
    {
        /* OpenAI's /v1/embeddings to Cohere's /v2/embed, Vertex's
           :predict */
        rc = llm_xlate_embed_request_to(d->wire, (char *) ctx->body.data,
                                        ctx->body.len, model, &out, err,
                                        sizeof(err));

    } else if (ctx->endpoint == LLM_ROUTE_EMBEDDINGS) {
        /* Gemini's embedContent to OpenAI's */
        rc = llm_xlate_embed_request((char *) ctx->body.data, ctx->body.len,
                                     ctx->embed_batch, model, &out, &dropped,
                                     err, sizeof(err));

    } else {
        rc = llm_xlate_request(ctx->api, d->api, (char *) ctx->body.data,
                               ctx->body.len, &o, &out, err, sizeof(err));
    }

    /* this attempt's list (a fallback to another format has its own) */
    ngx_str_null(&ctx->dropped);

    if (rc == 0 && dropped.len) {
        ctx->dropped.data = ngx_pnalloc(r->pool, dropped.len);

        if (ctx->dropped.data == NULL) {
            llm_buf_free(&dropped);
            llm_buf_free(&out);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(ctx->dropped.data, dropped.data, dropped.len);
        ctx->dropped.len = dropped.len;
    }

    llm_buf_free(&dropped);

    if (rc != 0) {
        llm_buf_free(&out);
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error", err);
    }

    body.data = ngx_pnalloc(r->pool, out.len);
    if (body.data == NULL) {
        llm_buf_free(&out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(body.data, out.data, out.len);
    body.len = out.len;

    llm_buf_free(&out);

    /* what the translation kept that this provider refuses */
    if (ngx_http_llm_drop_refused(r, ctx, &body) == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    chain = NULL;
    ll = &chain;

    rc = ngx_http_llm_chain_add(r, &ll, body.data, body.len);

    if (rc != NGX_OK || ngx_http_llm_set_body(r, ctx, chain) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}
