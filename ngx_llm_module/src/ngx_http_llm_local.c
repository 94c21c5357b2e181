
/*
 * Answers the gateway gives itself: errors in the client's API format,
 * mock responses and the model list.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"
#include "llm_mock.h"
#include "llm_json_tree.h"


ngx_int_t
ngx_http_llm_send_body(ngx_http_request_t *r, ngx_uint_t status,
    const char *content_type, u_char *data, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    /*
     * An answer before the body was read (a wrong key, an unknown path):
     * the body must still come off the connection, or keep-alive would
     * read it as the client's next request.
     */
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type.data = (u_char *) content_type;
    r->headers_out.content_type.len = ngx_strlen(content_type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (len == 0 || r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_llm_send_error(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_uint_t status, const char *type, const char *message)
{
    u_char     *p;
    llm_buf_t   out = LLM_BUF_INIT;

    ctx->self_response = 1;

    /* the types given here are OpenAI's; other APIs derive theirs */
    llm_error_body(ctx->api, (int) status,
                   (ctx->api == LLM_API_OPENAI
                    || ctx->api == LLM_API_RESPONSES) ? type : NULL,
                   message, NULL,
                   &out);

    if (out.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, out.len);
    if (p == NULL) {
        llm_buf_free(&out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, out.data, out.len);

    ctx->answer_rc = ngx_http_llm_send_body(r, status, "application/json", p,
                                            out.len);

    llm_buf_free(&out);

    return NGX_HTTP_LLM_ANSWERED;
}


ngx_int_t
ngx_http_llm_send_mock(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char                 *p;
    ngx_int_t               rc;
    llm_buf_t               out = LLM_BUF_INIT, client = LLM_BUF_INIT;
    llm_buf_t               req = LLM_BUF_INIT;
    llm_mock_t              m;
    char                    err[256];
    llm_xlate_opts_t        o;
    llm_stream_xlate_t     *x;
    char                    model[512];
    static unsigned long    seq;

    if (ctx->endpoint == LLM_ROUTE_COUNT_TOKENS) {
        p = ngx_pnalloc(r->pool, NGX_INT64_LEN
                        + sizeof("{\"object\":\"response.input_tokens\","
                                 "\"input_tokens\":}"));
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* each API's count answer: Gemini's, the Responses API's, Claude's */
        rc = ngx_sprintf(p, ctx->api == LLM_API_GEMINI
                            ? "{\"totalTokens\":%L}"
                            : ctx->api == LLM_API_RESPONSES
                            ? "{\"object\":\"response.input_tokens\","
                              "\"input_tokens\":%L}"
                            : "{\"input_tokens\":%L}",
                         llm_estimate_tokens(ctx->api, (char *) ctx->body.data,
                                             ctx->body.len))
             - p;

        return ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json", p,
                                      rc);
    }

    ngx_cpystrn((u_char *) model, ctx->model.data,
                ngx_min(ctx->model.len + 1, sizeof(model)));

    ngx_memzero(&m, sizeof(m));
    m.kind = ctx->endpoint == LLM_ROUTE_EMBEDDINGS ? LLM_MOCK_EMBEDDING
             : ctx->endpoint == LLM_ROUTE_COMPLETIONS
             ? LLM_MOCK_COMPLETION : LLM_MOCK_CHAT;
    m.model = model;
    m.text = ctx->dep->dep->mock_response;
    m.request = (char *) ctx->body.data;
    m.request_len = ctx->body.len;

    if (m.kind == LLM_MOCK_EMBEDDING && ctx->api != LLM_API_OPENAI) {
        /* Gemini's embedContent: the mock reads OpenAI's inputs */
        if (llm_xlate_embed_request(m.request, m.request_len,
                                    ctx->embed_batch, model, &req, NULL, err,
                                    sizeof(err))
            != 0)
        {
            llm_buf_free(&req);
            return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                           NULL, err);
        }

        m.request = req.data;
        m.request_len = req.len;
    }

    m.stream = ctx->stream;
    m.include_usage = ctx->include_usage || ctx->api != LLM_API_OPENAI;
    m.created = ngx_time();
    m.seq = ++seq;

    rc = llm_mock_response(&m, &out, &ctx->usage.prompt_tokens,
                           &ctx->usage.completion_tokens);
    llm_buf_free(&req);

    if (rc != 0) {
        llm_buf_free(&out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->usage.total_tokens = ctx->usage.prompt_tokens
                              + ctx->usage.completion_tokens;
    ctx->usage.present = 1;

    /* a mock speaks OpenAI; other clients get it translated */
    if (ctx->api != LLM_API_OPENAI) {
        ngx_memzero(&o, sizeof(o));
        o.model = model;
        o.client_model = model;
        o.stream = ctx->stream;
        o.response_id = (char *) ctx->resp_id;

        if (ctx->stream) {
            x = llm_stream_xlate_new(LLM_API_OPENAI, ctx->api, &o);
            rc = (x == NULL
                  || llm_stream_xlate_feed(x, out.data, out.len, &client) != 0
                  || llm_stream_xlate_finish(x, &client) != 0);
            if (x) {
                if (rc == 0) {
                    ngx_http_llm_rstore_stream(ctx, x);
                }

                llm_stream_xlate_free(x);
            }

        } else if (m.kind == LLM_MOCK_EMBEDDING) {
            rc = llm_xlate_embed_response(out.data, out.len, ctx->embed_batch,
                                          &client, NULL);

        } else {
            rc = llm_xlate_response(LLM_API_OPENAI, ctx->api, out.data,
                                    out.len, &o, &client, NULL);

            if (rc == 0) {
                ngx_http_llm_rstore_save(ctx, client.data, client.len);
            }
        }

        llm_buf_free(&out);
        out = client;

        if (rc != 0) {
            llm_buf_free(&out);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    p = ngx_pnalloc(r->pool, out.len);
    if (p == NULL) {
        llm_buf_free(&out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, out.data, out.len);

    rc = ngx_http_llm_send_body(r, NGX_HTTP_OK,
                                ctx->stream ? "text/event-stream"
                                            : "application/json",
                                p, out.len);

    llm_buf_free(&out);

    return rc;
}


/*
 * /v1/models lists what a client may ask for: the model groups, then the
 * model_group_alias names that are not hidden and name no group of their
 * own (as LiteLLM lists them).
 */

static const char *
ngx_http_llm_listed_model(llm_config_t *cf, size_t i)
{
    size_t        k;
    llm_alias_t  *a;

    if (i < cf->ngroups) {
        return cf->groups[i].name;
    }

    a = &cf->aliases[i - cf->ngroups];

    if (a->hidden) {
        return NULL;
    }

    for (k = 0; k < cf->nexact; k++) {
        if (ngx_strcmp(cf->groups[k].name, a->alias) == 0) {
            return NULL;
        }
    }

    return a->alias;
}


/* a tree the gateway answers with, copied to the pool */

static ngx_int_t
ngx_http_llm_send_json(ngx_http_request_t *r, json_t *o)
{
    u_char     *p;
    ngx_int_t   rc;
    llm_buf_t   out = LLM_BUF_INIT;

    if (o == NULL || llm_json_dump_buf(o, JSON_COMPACT, &out) != 0) {
        json_decref(o);
        llm_buf_free(&out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_decref(o);

    p = ngx_pnalloc(r->pool, out.len);
    if (p == NULL) {
        llm_buf_free(&out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, out.data, out.len);
    rc = ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json", p,
                                out.len);
    llm_buf_free(&out);

    return rc;
}


/*
 * A model in Gemini's shape (models.list, models.get).  Its methods are
 * what the group's deployments serve: their providers' endpoints, chat
 * for generateContent by translation; outputTokenLimit is the smallest
 * max_tokens set on them, when every one sets it.
 */

static json_t *
ngx_http_llm_gemini_model(llm_config_t *cf, const char *name)
{
    size_t             i;
    json_t            *o, *methods;
    unsigned           eps, e;
    long long          limit;
    llm_group_t       *g;
    llm_deployment_t  *d;

    g = llm_config_find_group(cf, name, ngx_strlen(name));
    eps = 0;
    limit = -1;

    for (i = 0; g != NULL && i < g->ndeployments; i++) {
        d = g->deployments[i];
        e = d->endpoints;

        /* embeddings are translated from OpenAI's and Gemini's only */
        if (d->api != LLM_API_OPENAI && d->api != LLM_API_GEMINI) {
            e &= ~LLM_EP_EMBEDDINGS;
        }

        eps |= e;

        if (d->max_tokens <= 0) {
            limit = 0;

        } else if (limit != 0 && (limit < 0 || d->max_tokens < limit)) {
            limit = d->max_tokens;
        }
    }

    methods = json_array();

    if (eps & LLM_EP_CHAT) {
        json_array_append_new(methods, json_string("generateContent"));
        json_array_append_new(methods, json_string("streamGenerateContent"));
        json_array_append_new(methods, json_string("countTokens"));
    }

    if (eps & LLM_EP_EMBEDDINGS) {
        json_array_append_new(methods, json_string("embedContent"));
        json_array_append_new(methods, json_string("batchEmbedContents"));
    }

    o = json_pack("{s:s+, s:s, s:s, s:s, s:o}", "name", "models/", name,
                  "version", "ngx_llm", "displayName", name,
                  "description", "served by ngx_llm",
                  "supportedGenerationMethods", methods);

    if (o != NULL && limit > 0) {
        json_object_set_new(o, "outputTokenLimit", json_integer(limit));
    }

    return o;
}


ngx_int_t
ngx_http_llm_send_model(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char        *p;
    u_char         msg[600];
    llm_config_t  *cf;

    cf = ctx->tables->cf;

    /* Gemini's clients may name it "models/x" in a path of their own */
    p = ctx->model.data;

    if (ctx->model.len > 7 && ngx_strncmp(p, "models/", 7) == 0) {
        ctx->model.data += 7;
        ctx->model.len -= 7;
    }

    p = ngx_pnalloc(r->pool, ctx->model.len + 1);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, ctx->model.data, ctx->model.len);
    p[ctx->model.len] = '\0';

    if (ctx->model.len == 0
        || llm_config_find_group(cf, (char *) p, ctx->model.len) == NULL)
    {
        ngx_snprintf(msg, sizeof(msg), "models/%*s is not found: no model "
                     "group of this gateway serves it%Z",
                     ngx_min(ctx->model.len, 400), ctx->model.data);

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_FOUND,
                                       "invalid_request_error",
                                       (char *) msg);
    }

    if (ctx->api == LLM_API_GEMINI) {
        return ngx_http_llm_send_json(r,
                   ngx_http_llm_gemini_model(cf, (char *) p));
    }

    return ngx_http_llm_send_json(r,
               json_pack("{s:s, s:s, s:I, s:s}", "id", p, "object", "model",
                         "created", (json_int_t) 1677610602,
                         "owned_by", "ngx_llm"));
}


/* GET /v1beta/models: every model a client may ask for, on one page */

static ngx_int_t
ngx_http_llm_send_gemini_models(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx)
{
    size_t         i, n;
    json_t        *list;
    const char    *name;
    llm_config_t  *cf;

    cf = ctx->tables->cf;
    n = cf->ngroups + cf->naliases;
    list = json_array();

    for (i = 0; list != NULL && i < n; i++) {
        name = ngx_http_llm_listed_model(cf, i);

        if (name != NULL) {
            json_array_append_new(list, ngx_http_llm_gemini_model(cf, name));
        }
    }

    return ngx_http_llm_send_json(r, list ? json_pack("{s:o}", "models", list)
                                          : NULL);
}


ngx_int_t
ngx_http_llm_send_models(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char        *p;
    size_t         i, n, len;
    ngx_uint_t     listed;
    const char    *name;
    llm_config_t  *cf;

    if (ctx->api == LLM_API_GEMINI) {
        return ngx_http_llm_send_gemini_models(r, ctx);
    }

    cf = ctx->tables->cf;
    n = cf->ngroups + cf->naliases;

    len = sizeof("{\"object\":\"list\",\"data\":[]}");

    for (i = 0; i < n; i++) {
        name = ngx_http_llm_listed_model(cf, i);

        if (name != NULL) {
            len += LLM_JSON_QUOTED_MAX(ngx_strlen(name))
                   + sizeof("{\"id\":,\"object\":\"model\",\"created\":,"
                            "\"owned_by\":\"ngx_llm\"},") + NGX_TIME_T_LEN;
        }
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_sprintf(p, "{\"object\":\"list\",\"data\":[") - p;
    listed = 0;

    for (i = 0; i < n; i++) {
        name = ngx_http_llm_listed_model(cf, i);

        if (name == NULL) {
            continue;
        }

        len += ngx_sprintf(p + len, "%s{\"id\":", listed++ ? "," : "")
               - (p + len);
        len += llm_json_quote(name, ngx_strlen(name), (char *) p + len);
        len += ngx_sprintf(p + len, ",\"object\":\"model\",\"created\":%T,"
                           "\"owned_by\":\"ngx_llm\"}",
                           (time_t) 1677610602)
               - (p + len);
    }

    len += ngx_sprintf(p + len, "]}") - (p + len);

    return ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json", p, len);
}


/*
 * LiteLLM's /health shape ({healthy_endpoints, unhealthy_endpoints, counts})
 * from the configuration, without calling the providers: a deployment
 * controld set aside is unhealthy with its reason; every other one is
 * listed as served (the router's cooldowns are in /_llm/status).
 */

ngx_int_t
ngx_http_llm_send_health(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    size_t             i;
    json_t            *healthy, *unhealthy, *o;
    llm_config_t      *cf;
    llm_deployment_t  *d;

    cf = ctx->tables->cf;

    healthy = json_array();
    unhealthy = json_array();

    for (i = 0; i < cf->ndeployments; i++) {
        d = &cf->deployments[i];

        o = json_pack("{s:s, s:s?, s:s?}", "model_name", d->model_name,
                      "model", d->model, "provider", d->provider_name);

        if (o != NULL && d->host != NULL) {
            json_object_set_new(o, "api_base", json_sprintf("%s://%s:%d%s",
                                d->scheme, d->host, d->port,
                                d->base_path ? d->base_path : ""));
        }

        json_array_append_new(healthy, o);
    }

    for (i = 0; i < cf->ndisabled; i++) {
        json_array_append_new(unhealthy,
            json_pack("{s:s?, s:s?, s:s?, s:b}",
                      "model_name", cf->disabled[i].model_name,
                      "model", cf->disabled[i].model,
                      "error", cf->disabled[i].reason, "disabled", 1));
    }

    return ngx_http_llm_send_json(r,
               json_pack("{s:o, s:o, s:I, s:I}", "healthy_endpoints", healthy,
                         "unhealthy_endpoints", unhealthy,
                         "healthy_count", (json_int_t) cf->ndeployments,
                         "unhealthy_count", (json_int_t) cf->ndisabled));
}
