
/*
 * Answers the gateway gives itself: errors in the client's API format,
 * mock responses and the model list.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"
#include "llm_mock.h"


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
    llm_mock_t              m;
    llm_xlate_opts_t        o;
    llm_stream_xlate_t     *x;
    char                    model[512];
    static unsigned long    seq;

    if (ctx->endpoint == NGX_HTTP_LLM_EP_COUNT_TOKENS) {
        p = ngx_pnalloc(r->pool, NGX_INT64_LEN + sizeof("{\"input_tokens\":}"));
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = ngx_sprintf(p, "{\"input_tokens\":%L}",
                         llm_estimate_tokens(ctx->api, (char *) ctx->body.data,
                                             ctx->body.len))
             - p;

        return ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json", p,
                                      rc);
    }

    ngx_cpystrn((u_char *) model, ctx->model.data,
                ngx_min(ctx->model.len + 1, sizeof(model)));

    ngx_memzero(&m, sizeof(m));
    m.kind = ctx->endpoint == NGX_HTTP_LLM_EP_EMBEDDINGS ? LLM_MOCK_EMBEDDING
             : ctx->endpoint == NGX_HTTP_LLM_EP_COMPLETIONS
             ? LLM_MOCK_COMPLETION : LLM_MOCK_CHAT;
    m.model = model;
    m.text = ctx->dep->dep->mock_response;
    m.request = (char *) ctx->body.data;
    m.request_len = ctx->body.len;
    m.stream = ctx->stream;
    m.include_usage = ctx->include_usage || ctx->api != LLM_API_OPENAI;
    m.created = ngx_time();
    m.seq = ++seq;

    if (llm_mock_response(&m, &out, &ctx->usage.prompt_tokens,
                          &ctx->usage.completion_tokens) != 0)
    {
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

        if (ctx->stream) {
            x = llm_stream_xlate_new(LLM_API_OPENAI, ctx->api, &o);
            rc = (x == NULL
                  || llm_stream_xlate_feed(x, out.data, out.len, &client) != 0
                  || llm_stream_xlate_finish(x, &client) != 0);
            if (x) {
                llm_stream_xlate_free(x);
            }

        } else {
            rc = llm_xlate_response(LLM_API_OPENAI, ctx->api, out.data,
                                    out.len, &o, &client, NULL);
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


ngx_int_t
ngx_http_llm_send_models(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char        *p;
    size_t         i, len;
    llm_config_t  *cf;

    cf = ctx->tables->cf;

    len = sizeof("{\"object\":\"list\",\"data\":[]}");

    for (i = 0; i < cf->ngroups; i++) {
        len += LLM_JSON_QUOTED_MAX(ngx_strlen(cf->groups[i].name))
               + sizeof("{\"id\":,\"object\":\"model\",\"created\":,"
                        "\"owned_by\":\"ngx_llm\"},") + NGX_TIME_T_LEN;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_sprintf(p, "{\"object\":\"list\",\"data\":[") - p;

    for (i = 0; i < cf->ngroups; i++) {
        len += ngx_sprintf(p + len, "%s{\"id\":", i ? "," : "") - (p + len);
        len += llm_json_quote(cf->groups[i].name,
                              ngx_strlen(cf->groups[i].name),
                              (char *) p + len);
        len += ngx_sprintf(p + len, ",\"object\":\"model\",\"created\":%T,"
                           "\"owned_by\":\"ngx_llm\"}",
                           (time_t) 1677610602)
               - (p + len);
    }

    len += ngx_sprintf(p + len, "]}") - (p + len);

    return ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json", p, len);
}
