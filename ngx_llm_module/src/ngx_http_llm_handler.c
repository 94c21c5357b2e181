
/*
 * The request path's entry: an access-phase handler that recognises the API
 * by URI, authenticates, reads the body, and routes to a deployment; the
 * attempt it prepares is sent by the location's proxy_pass.  Failed
 * attempts come back through error_page into the same handler (in
 * @llm_retry), which hands them to attempt.c.  The steps live in auth.c,
 * body.c, attempt.c and local.c (see ngx_http_llm_request.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"


static void ngx_http_llm_ctx_cleanup(void *data);
static ngx_int_t ngx_http_llm_match_route(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_match_gemini(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_uint_t ngx_http_llm_gemini_auth(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_match_stored(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_too_large(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_uint_t ngx_http_llm_route_method(ngx_uint_t method);


/*
 * The methods of /{version}/models/{m}:method (the paths and versions are
 * core/llm_routes.c's, which controld reads too)
 */

typedef struct {
    ngx_str_t                  method;
    llm_route_kind_e           endpoint;
    unsigned                   stream:1;
    unsigned                   batch:1;
} ngx_http_llm_gemini_method_t;


static ngx_http_llm_gemini_method_t  ngx_http_llm_gemini_methods[] = {
    { ngx_string(":generateContent"), LLM_ROUTE_GENERATE, 0, 0 },
    { ngx_string(":streamGenerateContent"), LLM_ROUTE_GENERATE, 1, 0 },
    { ngx_string(":countTokens"), LLM_ROUTE_COUNT_TOKENS, 0, 0 },
    { ngx_string(":embedContent"), LLM_ROUTE_EMBEDDINGS, 0, 0 },
    { ngx_string(":batchEmbedContents"), LLM_ROUTE_EMBEDDINGS, 0, 1 },
    { ngx_null_string, LLM_ROUTE_NONE, 0, 0 }
};


ngx_int_t
ngx_http_llm_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_table_elt_t          *h;
    ngx_pool_cleanup_t       *cln;
    ngx_http_llm_ctx_t       *ctx;
    ngx_http_llm_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_llm_module);

    if (!(llcf->gateway || llcf->management) || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_llm_get_ctx(r);

    if (ctx != NULL) {

        if (ctx->reading_body) {
            return NGX_DONE;
        }

        if (ctx->rstore_wait) {
            /* controld was asked for a stored response */
            if (!ctx->rstore_done) {
                return NGX_AGAIN;
            }

            rc = ngx_http_llm_rstore_resume(r, ctx);

            if (rc == NGX_OK && ctx->endpoint == LLM_ROUTE_RESPONSES) {
                rc = ngx_http_llm_route_body(r, ctx);
            }

            if (rc == NGX_DECLINED) {
                r->preserve_body = 1;
                return NGX_DECLINED;    /* proxy_pass sends the attempt */
            }

            return ngx_http_llm_finish(r, ctx, rc);
        }

        if (ctx->proxied && r->err_status) {
            /* back from error_page: the attempt failed before a byte */
            return ngx_http_llm_retry(r, ctx);
        }

        if (r->err_status) {
            /* nginx failed the request before any attempt was sent */
            rc = r->err_status;
            r->err_status = 0;

            return ngx_http_llm_finish(r, ctx,
                       ngx_http_llm_send_error(r, ctx, rc, NULL,
                                  rc == NGX_HTTP_BAD_REQUEST
                                  ? "the request could not be read"
                                  : "the gateway could not handle the "
                                    "request"));
        }

        /* the body is read and the attempt prepared: proxy_pass runs */
        return NGX_DECLINED;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_llm_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* internal redirects wipe r->ctx; the cleanup lets us find ctx again */
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_llm_ctx_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_llm_module);

    ctx->start = ngx_current_msec;

    if (llcf->management) {
        /* controld's management API: the master key, then proxy_pass */
        ctx->tables = ngx_http_llm_tables_acquire(r);

        if (ctx->tables == NULL) {
            return ngx_http_llm_finish(r, ctx,
                       ngx_http_llm_send_error(r, ctx,
                                        NGX_HTTP_SERVICE_UNAVAILABLE, NULL,
                                        "no configuration published yet"));
        }

        rc = ngx_http_llm_authenticate(r, ctx, 1);

        if (rc != NGX_OK) {
            return ngx_http_llm_finish(r, ctx, rc);
        }

        if (ngx_http_llm_hide_query_key(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /*
         * The body limit is ours, not client_max_body_size (0 in
         * llm_management.conf): nginx checks that one before the access
         * phase and logs the request line, ?key= and all.
         */
        if (r->headers_in.content_length_n > (off_t) llcf->max_body_size) {
            return ngx_http_llm_finish(r, ctx,
                                       ngx_http_llm_too_large(r, ctx));
        }

        return NGX_DECLINED;
    }

    /* a ?key= is masked before any route, or any log line, sees it */
    if (ngx_http_llm_mask_query(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_llm_match_route(r, ctx);

    if (rc == NGX_DECLINED) {
        /* no API of ours: a pass-through route's, else 404 */
        return ngx_http_llm_finish(r, ctx, ngx_http_llm_pass(r, ctx));
    }

    if (rc != NGX_OK) {
        return ngx_http_llm_finish(r, ctx, rc);
    }

    switch (ctx->endpoint) {

    case LLM_ROUTE_LIVELINESS:
        return ngx_http_llm_finish(r, ctx,
                   ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json",
                                          (u_char *) "\"I'm alive!\"", 12));

    case LLM_ROUTE_READINESS:
        ctx->tables = ngx_http_llm_tables_acquire(r);

        if (ctx->tables == NULL) {
            return ngx_http_llm_finish(r, ctx,
                       ngx_http_llm_send_error(r, ctx,
                                        NGX_HTTP_SERVICE_UNAVAILABLE, NULL,
                                        "no configuration published yet"));
        }

        return ngx_http_llm_finish(r, ctx,
                   ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json",
                                  (u_char *) "{\"status\":\"healthy\","
                                  "\"db\":\"Not connected\"}", 41));

    default:
        break;
    }

    ctx->tables = ngx_http_llm_tables_acquire(r);

    if (ctx->tables == NULL) {
        return ngx_http_llm_finish(r, ctx,
                   ngx_http_llm_send_error(r, ctx,
                                           NGX_HTTP_SERVICE_UNAVAILABLE, NULL,
                                           "the gateway has no configuration "
                                           "yet; is controld running?"));
    }

    rc = ngx_http_llm_authenticate(r, ctx, 0);

    if (rc != NGX_OK) {
        return ngx_http_llm_finish(r, ctx, rc);
    }

    /* Anthropic betas travel with the request to Anthropic deployments */
    h = ngx_http_llm_find_header(r, "anthropic-beta");

    if (h != NULL) {
        ctx->anthropic_beta = h->value;
    }

    if (ctx->endpoint == LLM_ROUTE_MODELS) {
        return ngx_http_llm_finish(r, ctx, ngx_http_llm_send_models(r, ctx));
    }

    if (ctx->endpoint == LLM_ROUTE_MODEL) {
        return ngx_http_llm_finish(r, ctx, ngx_http_llm_send_model(r, ctx));
    }

    if (ctx->endpoint == LLM_ROUTE_RESPONSE_ID) {
        rc = ngx_http_llm_rstore_handler(r, ctx);

        /* NGX_AGAIN: controld is asked, this handler runs again;
           NGX_DECLINED: the provider that keeps it answers (proxy_pass) */
        return (rc == NGX_AGAIN || rc == NGX_DECLINED)
               ? rc : ngx_http_llm_finish(r, ctx, rc);
    }

    if (ctx->endpoint == LLM_ROUTE_HEALTH) {
        return ngx_http_llm_finish(r, ctx, ngx_http_llm_send_health(r, ctx));
    }

    if (r->headers_in.content_length_n > (off_t) llcf->max_body_size) {
        return ngx_http_llm_finish(r, ctx, ngx_http_llm_too_large(r, ctx));
    }

    ctx->reading_body = 1;

    ngx_http_llm_body_in_place(r, ctx);

    rc = ngx_http_read_client_request_body(r, ngx_http_llm_body_handler);

    ngx_http_llm_body_in_place_done(r, ctx);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


/* A declared body over llm_max_body_size; the connection is not kept. */

static ngx_int_t
ngx_http_llm_too_large(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    r->keepalive = 0;

    return ngx_http_llm_send_error(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                   NULL, "request body is larger than the "
                                   "gateway's limit (llm_max_body_size)");
}


/* A response we produced ourselves ends the request in the access phase. */

ngx_int_t
ngx_http_llm_finish(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_int_t rc)
{
    ngx_http_finalize_request(r, rc == NGX_HTTP_LLM_ANSWERED ? ctx->answer_rc
                                                             : rc);

    return NGX_DONE;
}


ngx_http_llm_ctx_t *
ngx_http_llm_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;
    ngx_http_llm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_llm_module);

    /* a subrequest (a stored response asked of controld) shares the
       pool, not the request */
    if (ctx != NULL || !r->internal || r != r->main) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_llm_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_llm_module);
            return ctx;
        }
    }

    return NULL;
}


static void
ngx_http_llm_ctx_cleanup(void *data)
{
    ngx_http_llm_ctx_t  *ctx = data;

    llm_sse_free(&ctx->sse);
    llm_buf_free(&ctx->resp);
    llm_buf_free(&ctx->plain);
    llm_buf_free(&ctx->held);

    if (ctx->inflate) {
        llm_inflate_free(ctx->inflate);
        ctx->inflate = NULL;
    }

    if (ctx->xlate) {
        llm_stream_xlate_free(ctx->xlate);
        ctx->xlate = NULL;
    }
}


static ngx_int_t
ngx_http_llm_match_route(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_int_t           rc;
    const llm_route_t  *rt;

    /* "/v1/models" is OpenAI's list, or Gemini's asked with Gemini's key */
    if (r->uri.len == sizeof("/v1/models") - 1
        && ngx_strncmp(r->uri.data, "/v1/models", r->uri.len) == 0
        && ngx_http_llm_gemini_auth(r))
    {
        return ngx_http_llm_match_gemini(r, ctx);
    }

    rc = ngx_http_llm_match_stored(r, ctx);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    for (rt = llm_routes; rt->path; rt++) {
        if (r->uri.len == rt->len
            && ngx_strncmp(r->uri.data, rt->path, rt->len) == 0)
        {
            ctx->endpoint = (llm_route_kind_e) rt->endpoint;
            ctx->api = rt->api;

            if (!(ngx_http_llm_route_method(r->method) & rt->methods)) {
                return ngx_http_llm_send_error(r, ctx,
                                               NGX_HTTP_NOT_ALLOWED, NULL,
                                               "method not allowed here");
            }

            return NGX_OK;
        }
    }

    rc = ngx_http_llm_match_gemini(r, ctx);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (r->uri.len >= sizeof("/v1/messages") - 1
        && ngx_strncmp(r->uri.data, "/v1/messages",
                       sizeof("/v1/messages") - 1) == 0)
    {
        ctx->api = LLM_API_ANTHROPIC;
    }

    return NGX_DECLINED;
}


/*
 * /{v1beta,v1,v1alpha}/models, /models/{m} and /models/{m}:method.  The
 * "/v1/models/{m}" of an OpenAI client (no Gemini key: see
 * ngx_http_llm_gemini_auth()) is OpenAI's model retrieval.  NGX_DECLINED:
 * not a Gemini path.
 */

static ngx_int_t
ngx_http_llm_match_gemini(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char                        *p, *last, *colon;
    const llm_route_prefix_t      *v;
    ngx_http_llm_gemini_method_t  *m;

    last = r->uri.data + r->uri.len;

    for (v = llm_route_gemini_versions; v->path; v++) {
        if (r->uri.len >= v->len + sizeof("models") - 1
            && ngx_strncmp(r->uri.data, v->path, v->len) == 0
            && ngx_strncmp(r->uri.data + v->len, "models",
                           sizeof("models") - 1) == 0)
        {
            break;
        }
    }

    if (v->path == NULL) {
        return NGX_DECLINED;
    }

    p = r->uri.data + v->len + sizeof("models") - 1;

    if (p < last && *p != '/') {
        return NGX_DECLINED;
    }

    ctx->api = LLM_API_GEMINI;
    colon = ngx_strlchr(p, last, ':');

    /* a model list or model under /v1 without Gemini's key is OpenAI's */
    if (colon == NULL
        && v == &llm_route_gemini_versions[LLM_ROUTE_GEMINI_V1]
        && !ngx_http_llm_gemini_auth(r))
    {
        ctx->api = LLM_API_OPENAI;
    }

    if (p == last || p + 1 == last) {
        ctx->endpoint = LLM_ROUTE_MODELS;
        goto get;
    }

    p++;

    if (colon == NULL) {
        ctx->endpoint = LLM_ROUTE_MODEL;
        ctx->model.data = p;
        ctx->model.len = last - p;
        goto get;
    }

    if (colon == p) {
        goto not_found;
    }

    for (m = ngx_http_llm_gemini_methods; m->method.len; m++) {
        if ((size_t) (last - colon) == m->method.len
            && ngx_strncmp(colon, m->method.data, m->method.len) == 0)
        {
            break;
        }
    }

    if (m->method.len == 0) {
        goto not_found;
    }

    ctx->endpoint = m->endpoint;
    ctx->stream = m->stream;
    ctx->embed_batch = m->batch;
    ctx->model.data = p;
    ctx->model.len = colon - p;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_ALLOWED, NULL,
                                       "method not allowed here");
    }

    return NGX_OK;

get:

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_ALLOWED, NULL,
                                       "method not allowed here");
    }

    return NGX_OK;

not_found:

    return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_FOUND, "not_found",
                                   "no such route on this gateway");
}


/*
 * /v1/responses/{id} (GET, DELETE), /v1/responses/{id}/input_items (GET)
 * and /v1/responses/{id}/cancel (POST), and the same under /responses/.
 * Other methods and POSTs are not ours (they go on to the pass-through
 * routes, then 404).
 */

static ngx_int_t
ngx_http_llm_match_stored(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char                    *p, *last, *slash;
    const llm_route_prefix_t  *pre;

    static ngx_str_t  items = ngx_string("/input_items");
    static ngx_str_t  cancel = ngx_string("/cancel");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_DELETE
                       |NGX_HTTP_POST)))
    {
        return NGX_DECLINED;
    }

    for (pre = llm_route_stored_prefixes; pre->path; pre++) {
        if (r->uri.len > pre->len
            && ngx_strncmp(r->uri.data, pre->path, pre->len) == 0)
        {
            break;
        }
    }

    if (pre->path == NULL) {
        return NGX_DECLINED;
    }

    p = r->uri.data + pre->len;
    last = r->uri.data + r->uri.len;
    slash = ngx_strlchr(p, last, '/');

    if (r->method == NGX_HTTP_POST) {
        /* POST /v1/responses/{id}/cancel; other POSTs are not ours */
        if (slash == NULL || slash == p
            || (size_t) (last - slash) != cancel.len
            || ngx_strncmp(slash, cancel.data, cancel.len) != 0)
        {
            return NGX_DECLINED;
        }

        ctx->api = LLM_API_RESPONSES;
        ctx->endpoint = LLM_ROUTE_RESPONSE_ID;
        ctx->resp_cancel = 1;
        ctx->resp_ref.data = p;
        ctx->resp_ref.len = slash - p;

        return NGX_OK;
    }

    ctx->api = LLM_API_RESPONSES;
    ctx->endpoint = LLM_ROUTE_RESPONSE_ID;

    if (slash != NULL) {
        if ((size_t) (last - slash) != items.len
            || ngx_strncmp(slash, items.data, items.len) != 0)
        {
            return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_FOUND,
                                           "invalid_request_error",
                                           "no such route on this gateway");
        }

        if (r->method == NGX_HTTP_DELETE) {
            return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_ALLOWED,
                                           NULL, "method not allowed here");
        }

        ctx->input_items = 1;
        last = slash;
    }

    if (last == p) {
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_FOUND,
                                       "invalid_request_error",
                                       "no such route on this gateway");
    }

    ctx->resp_ref.data = p;
    ctx->resp_ref.len = last - p;

    return NGX_OK;
}


/* The client authenticates as Gemini's clients do: x-goog-api-key, ?key= */

static ngx_uint_t
ngx_http_llm_gemini_auth(ngx_http_request_t *r)
{
    ngx_str_t  key;

    return ngx_http_llm_find_header(r, "x-goog-api-key") != NULL
           || ngx_http_arg(r, (u_char *) "key", 3, &key) == NGX_OK;
}


ngx_table_elt_t *
ngx_http_llm_find_header(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/* nginx's method bit as llm_routes' */

static ngx_uint_t
ngx_http_llm_route_method(ngx_uint_t method)
{
    switch (method) {
    case NGX_HTTP_GET:
        return LLM_METHOD_GET;
    case NGX_HTTP_HEAD:
        return LLM_METHOD_HEAD;
    case NGX_HTTP_POST:
        return LLM_METHOD_POST;
    case NGX_HTTP_DELETE:
        return LLM_METHOD_DELETE;
    default:
        return 0;
    }
}
