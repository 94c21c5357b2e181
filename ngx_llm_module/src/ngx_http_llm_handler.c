
/*
 * The request path: an access-phase handler that recognises the API by URI,
 * authenticates, reads the body, routes to a deployment and prepares the
 * attempt that the location's proxy_pass then sends.  Failed attempts come
 * back through error_page into the same handler (in @llm_retry), which picks
 * the next deployment or answers the error in the client's API format.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/sha.h>
#include <openssl/crypto.h>

#include "ngx_http_llm_module.h"
#include "llm_mock.h"


/*
 * A step answered the request itself (an error, a mock, a list); the
 * output's return code waits in ctx->answer_rc for the finalization.
 */
#define NGX_HTTP_LLM_ANSWERED  -100

/*
 * Bodies up to this size are sent as one buffer when the model is
 * rewritten: copying them costs less than sending the pieces.
 */
#define NGX_HTTP_LLM_BODY_COPY_MAX  4096


typedef struct {
    ngx_str_t                  path;
    ngx_uint_t                 method;
    ngx_http_llm_endpoint_e    endpoint;
    llm_api_t                  api;
} ngx_http_llm_route_t;


static ngx_http_llm_route_t  ngx_http_llm_routes[] = {
    { ngx_string("/v1/chat/completions"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_CHAT, LLM_API_OPENAI },
    { ngx_string("/chat/completions"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_CHAT, LLM_API_OPENAI },
    { ngx_string("/v1/completions"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_COMPLETIONS, LLM_API_OPENAI },
    { ngx_string("/completions"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_COMPLETIONS, LLM_API_OPENAI },
    { ngx_string("/v1/embeddings"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_EMBEDDINGS, LLM_API_OPENAI },
    { ngx_string("/embeddings"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_EMBEDDINGS, LLM_API_OPENAI },
    { ngx_string("/v1/messages"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_MESSAGES, LLM_API_ANTHROPIC },
    { ngx_string("/messages"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_MESSAGES, LLM_API_ANTHROPIC },
    { ngx_string("/v1/messages/count_tokens"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_COUNT_TOKENS, LLM_API_ANTHROPIC },
    { ngx_string("/messages/count_tokens"), NGX_HTTP_POST,
      NGX_HTTP_LLM_EP_COUNT_TOKENS, LLM_API_ANTHROPIC },
    { ngx_string("/v1/models"), NGX_HTTP_GET|NGX_HTTP_HEAD,
      NGX_HTTP_LLM_EP_MODELS, LLM_API_OPENAI },
    { ngx_string("/models"), NGX_HTTP_GET|NGX_HTTP_HEAD,
      NGX_HTTP_LLM_EP_MODELS, LLM_API_OPENAI },
    { ngx_string("/health/liveliness"), NGX_HTTP_GET|NGX_HTTP_HEAD,
      NGX_HTTP_LLM_EP_LIVELINESS, LLM_API_OPENAI },
    { ngx_string("/health/liveness"), NGX_HTTP_GET|NGX_HTTP_HEAD,
      NGX_HTTP_LLM_EP_LIVELINESS, LLM_API_OPENAI },
    { ngx_string("/health/readiness"), NGX_HTTP_GET|NGX_HTTP_HEAD,
      NGX_HTTP_LLM_EP_READINESS, LLM_API_OPENAI },
    { ngx_null_string, 0, NGX_HTTP_LLM_EP_NONE, LLM_API_OPENAI }
};


static ngx_int_t ngx_http_llm_match_route(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_table_elt_t *ngx_http_llm_find_header(ngx_http_request_t *r,
    const char *name);
static ngx_int_t ngx_http_llm_hide_query_key(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_authenticate(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_uint_t master_only);
static ngx_int_t ngx_http_llm_refuse(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_int_t status);
static void ngx_http_llm_set_retry_after(ngx_http_request_t *r,
    uint64_t seconds);
static void ngx_http_llm_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_process_body(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_parse_body(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_next_attempt(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_uint_t again);
static ngx_int_t ngx_http_llm_unavailable(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_backoff(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, uint64_t ms);
static void ngx_http_llm_backoff_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_try_fallbacks(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, llm_err_class_t cls);
static llm_group_t *ngx_http_llm_next_fallback(ngx_http_llm_ctx_t *ctx);
static void ngx_http_llm_body_in_place(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static void ngx_http_llm_body_in_place_done(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_prepare_attempt(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_retry(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_send_error(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_uint_t status, const char *type,
    const char *message);
static ngx_int_t ngx_http_llm_send_mock(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_send_models(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_finish(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_int_t rc);
static void ngx_http_llm_ctx_cleanup(void *data);


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

        return ngx_http_llm_hide_query_key(r) == NGX_OK
               ? NGX_DECLINED : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_llm_match_route(r, ctx);

    if (rc != NGX_OK) {
        return ngx_http_llm_finish(r, ctx, rc);
    }

    switch (ctx->endpoint) {

    case NGX_HTTP_LLM_EP_LIVELINESS:
        return ngx_http_llm_finish(r, ctx,
                   ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json",
                                          (u_char *) "\"I'm alive!\"", 12));

    case NGX_HTTP_LLM_EP_READINESS:
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

    if (ctx->endpoint == NGX_HTTP_LLM_EP_MODELS) {
        return ngx_http_llm_finish(r, ctx, ngx_http_llm_send_models(r, ctx));
    }

    if (r->headers_in.content_length_n > (off_t) llcf->max_body_size) {
        r->keepalive = 0;
        return ngx_http_llm_finish(r, ctx,
                   ngx_http_llm_send_error(r, ctx,
                                 NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, NULL,
                                 "request body is larger than the gateway's "
                                 "limit (llm_max_body_size)"));
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


/* A response we produced ourselves ends the request in the access phase. */

static ngx_int_t
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

    if (ctx != NULL || !r->internal) {
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

    if (ctx->xlate) {
        llm_stream_xlate_free(ctx->xlate);
        ctx->xlate = NULL;
    }
}


static ngx_int_t
ngx_http_llm_match_route(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char                *p, *last, *colon;
    ngx_http_llm_route_t  *rt;

    for (rt = ngx_http_llm_routes; rt->path.len; rt++) {
        if (r->uri.len == rt->path.len
            && ngx_strncmp(r->uri.data, rt->path.data, rt->path.len) == 0)
        {
            ctx->endpoint = rt->endpoint;
            ctx->api = rt->api;

            if (!(r->method & rt->method)) {
                return ngx_http_llm_send_error(r, ctx,
                                               NGX_HTTP_NOT_ALLOWED, NULL,
                                               "method not allowed here");
            }

            return NGX_OK;
        }
    }

    /* Gemini: /v1beta/models/{model}:generateContent (or /v1/models/...) */
    if (r->uri.len > sizeof("/v1beta/models/") - 1
        && ngx_strncmp(r->uri.data, "/v1beta/models/",
                       sizeof("/v1beta/models/") - 1) == 0)
    {
        p = r->uri.data + sizeof("/v1beta/models/") - 1;

    } else if (r->uri.len > sizeof("/v1/models/") - 1
               && ngx_strncmp(r->uri.data, "/v1/models/",
                              sizeof("/v1/models/") - 1) == 0)
    {
        p = r->uri.data + sizeof("/v1/models/") - 1;

    } else {
        p = NULL;
    }

    if (p != NULL) {
        ctx->api = LLM_API_GEMINI;

        last = r->uri.data + r->uri.len;
        colon = ngx_strlchr(p, last, ':');

        if (colon != NULL && colon > p && r->method == NGX_HTTP_POST) {
            ctx->model.data = p;
            ctx->model.len = colon - p;

            if ((size_t) (last - colon) == sizeof(":generateContent") - 1
                && ngx_strncmp(colon, ":generateContent",
                               sizeof(":generateContent") - 1) == 0)
            {
                ctx->endpoint = NGX_HTTP_LLM_EP_GENERATE;
                return NGX_OK;
            }

            if ((size_t) (last - colon)
                == sizeof(":streamGenerateContent") - 1
                && ngx_strncmp(colon, ":streamGenerateContent",
                               sizeof(":streamGenerateContent") - 1) == 0)
            {
                ctx->endpoint = NGX_HTTP_LLM_EP_GENERATE;
                ctx->stream = 1;
                return NGX_OK;
            }
        }
    }

    if (r->uri.len >= sizeof("/v1/messages") - 1
        && ngx_strncmp(r->uri.data, "/v1/messages",
                       sizeof("/v1/messages") - 1) == 0)
    {
        ctx->api = LLM_API_ANTHROPIC;
    }

    return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_FOUND, "not_found",
                                   "no such route on this gateway");
}


static ngx_table_elt_t *
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


/*
 * A key in the query string would reach the access log and every error
 * log line through the request line.  Both point into the same request
 * buffer as the arguments, so the key is overwritten there, once copied.
 */

static void
ngx_http_llm_mask_query_key(ngx_http_request_t *r, ngx_str_t *key)
{
    u_char  *copy;

    copy = ngx_pnalloc(r->pool, key->len);
    if (copy == NULL) {
        return;
    }

    ngx_memcpy(copy, key->data, key->len);
    ngx_memset(key->data, '*', key->len);

    key->data = copy;
}


/*
 * /key/info?key=sk-... names a virtual key in the query.  proxy_pass gets
 * its own copy of the URI; the bytes in the request buffer, which the
 * request line in every log line shows, are overwritten.
 */

static ngx_int_t
ngx_http_llm_hide_query_key(ngx_http_request_t *r)
{
    u_char     *copy;
    ngx_str_t   key;
    size_t      off;

    if (ngx_http_arg(r, (u_char *) "key", 3, &key) != NGX_OK
        || key.len == 0 || !r->valid_unparsed_uri
        || key.data < r->unparsed_uri.data
        || key.data + key.len > r->unparsed_uri.data + r->unparsed_uri.len)
    {
        return NGX_OK;
    }

    copy = ngx_pnalloc(r->pool, r->unparsed_uri.len);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(copy, r->unparsed_uri.data, r->unparsed_uri.len);

    off = r->args.data - r->unparsed_uri.data;

    if (r->args.data >= r->unparsed_uri.data
        && off + r->args.len <= r->unparsed_uri.len)
    {
        r->args.data = copy + off;
    }

    ngx_memset(key.data, '*', key.len);

    r->unparsed_uri.data = copy;

    return NGX_OK;
}


/* The client's key, from whichever header its SDK uses. */

static ngx_int_t
ngx_http_llm_client_key(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_str_t         *auth;
    ngx_uint_t         i;
    ngx_table_elt_t   *h;

    static const char  *headers[] = { "x-api-key", "api-key",
                                      "x-goog-api-key" };

    if (r->headers_in.authorization) {
        auth = &r->headers_in.authorization->value;

        /* the scheme in any letter case; the byte loop only if not as
           written here, as nearly every client sends it */
        if (auth->len > 7
            && (ngx_strncmp(auth->data, "Bearer ", 7) == 0
                || ngx_strncasecmp(auth->data, (u_char *) "Bearer ", 7) == 0))
        {
            key->data = auth->data + 7;
            key->len = auth->len - 7;

            while (key->len && key->data[0] == ' ') {
                key->data++;
                key->len--;
            }

            return NGX_OK;
        }
    }

    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        h = ngx_http_llm_find_header(r, headers[i]);

        if (h != NULL) {
            *key = h->value;
            return NGX_OK;
        }
    }

    /* Gemini SDKs may put the key in the query string */
    if (ngx_http_arg(r, (u_char *) "key", 3, key) == NGX_OK) {
        ngx_http_llm_mask_query_key(r, key);
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/*
 * The master key, or a virtual key from the published table.  Only
 * digests are compared, the master key's in constant time: no timing
 * oracle on it, and no key in clear anywhere in memory we keep.
 */

static ngx_int_t
ngx_http_llm_authenticate(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_uint_t master_only)
{
    ngx_str_t      key;
    SHA256_CTX     sha;
    llm_config_t  *cf;

    cf = ctx->tables->cf;

    if (ngx_http_llm_client_key(r, &key) != NGX_OK || key.len == 0) {
        if (!cf->has_master_key) {
            /* no master_key configured: an open gateway, as in LiteLLM */
            return NGX_OK;
        }

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_UNAUTHORIZED,
                                       "auth_error",
                                       "missing API key: pass it in "
                                       "\"Authorization: Bearer\", "
                                       "\"x-api-key\" or \"api-key\"");
    }

    /*
     * The low-level calls: OpenSSL 3's one-shot SHA256() fetches the
     * algorithm, taking several locks, on every call.
     */
    SHA256_Init(&sha);
    SHA256_Update(&sha, key.data, key.len);
    SHA256_Final(ctx->digest, &sha);

    if (cf->has_master_key
        && CRYPTO_memcmp(ctx->digest, cf->master_key_sha256,
                         sizeof(ctx->digest)) == 0)
    {
        return NGX_OK;
    }

    if (!master_only && ngx_http_llm_key_lookup(r, ctx) == NGX_OK) {
        return NGX_OK;
    }

    if (!cf->has_master_key && !master_only) {
        return NGX_OK;
    }

    return ngx_http_llm_send_error(r, ctx, NGX_HTTP_UNAUTHORIZED, "auth_error",
                                   master_only
                                   ? "this route needs the master key"
                                   : "invalid API key");
}


/* Retry-After on a 429 of ours; failing to add it only loses the hint. */

static void
ngx_http_llm_set_retry_after(ngx_http_request_t *r, uint64_t seconds)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);

    if (h == NULL || p == NULL) {
        return;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%uL", seconds) - p;
}


/* A virtual key refused by admission: the reason, in the client's format. */

static ngx_int_t
ngx_http_llm_refuse(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_int_t status)
{
    const char   *what, *type;
    llm_admit_t  *a;
    u_char        msg[512];

    a = &ctx->admit;
    what = a->team ? "team" : "key";
    type = "auth_error";

    switch (a->verdict) {

    case LLM_ADMIT_BUDGET:
        type = "budget_exceeded";
        ngx_snprintf(msg, sizeof(msg), "ExceededBudget: %s %s over budget. "
                     "Spend=%.6f, Budget=%.6f%Z", what,
                     ctx->key->alias ? ctx->key->alias : "(no alias)",
                     (double) a->spend_micros / 1e6,
                     (double) a->budget_micros / 1e6);
        break;

    case LLM_ADMIT_RPM:
    case LLM_ADMIT_TPM:
    case LLM_ADMIT_PARALLEL:
        type = "rate_limit_error";

        ngx_http_llm_set_retry_after(r, a->verdict == LLM_ADMIT_PARALLEL
                                        ? 1 : a->retry_after_s);

        if (ngx_http_llm_rate_headers(r, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (a->model) {
            /* the key's model_rpm_limit / model_tpm_limit for this model */
            ngx_snprintf(msg, sizeof(msg), "Rate limit exceeded for key %s "
                         "on model=%V. Limit type: %s. Current limit: %uL, "
                         "Remaining: 0.%Z",
                         ctx->key->alias ? ctx->key->alias : "(no alias)",
                         &ctx->model,
                         a->verdict == LLM_ADMIT_RPM ? "requests" : "tokens",
                         a->limit);
            break;
        }

        ngx_snprintf(msg, sizeof(msg), "Rate limit exceeded for %s %s. "
                     "Limit type: %s. Current limit: %uL, Remaining: 0.%Z",
                     what, ctx->key->alias ? ctx->key->alias : "(no alias)",
                     a->verdict == LLM_ADMIT_RPM ? "requests"
                     : a->verdict == LLM_ADMIT_TPM ? "tokens"
                     : "max_parallel_requests", a->limit);
        break;

    case LLM_ADMIT_MODEL:
        ngx_snprintf(msg, sizeof(msg), "%s not allowed to access model=%V%Z",
                     a->team ? "team" : "key", &ctx->model);
        status = NGX_HTTP_UNAUTHORIZED;
        break;

    case LLM_ADMIT_EXPIRED:
        ngx_snprintf(msg, sizeof(msg), "key expired%Z");
        break;

    default:
        ngx_snprintf(msg, sizeof(msg), "%s is blocked%Z", what);
        break;
    }

    return ngx_http_llm_send_error(r, ctx, status, type, (char *) msg);
}


static void
ngx_http_llm_body_handler(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_llm_ctx_t  *ctx;

    ctx = ngx_http_llm_get_ctx(r);

    ngx_http_llm_body_in_place_done(r, ctx);
    ctx->reading_body = 0;

    rc = ngx_http_llm_process_body(r, ctx);

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

static void
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

static void
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
    u_char     msg[512];

    rc = ngx_http_llm_collect_body(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_llm_parse_body(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx->group = llm_config_find_group(ctx->tables->cf,
                                       (char *) ctx->model.data,
                                       ctx->model.len);

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
                                       "\"stream\", \"stream_options\" or "
                                       "\"max_tokens\" twice, or in another "
                                       "letter case: providers would read "
                                       "it differently");
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

    m = &ctx->scan.max_tokens;

    if (m->present) {
        n = ngx_atoi(ctx->body.data + m->value_start,
                     m->value_end - m->value_start);
        ctx->max_tokens = n > 0 ? (uint64_t) n : 0;
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
 * Asks the router for a deployment of ctx->group and sets up the attempt.
 * NGX_DECLINED: proxy it; NGX_DONE: nothing can serve now (ctx->pick says
 * why); anything else: answered already.  With `again`, deployments tried
 * before may be picked again (retries within a small group).
 */

static ngx_int_t
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
     * Mocks answer here; so does count_tokens for providers without a
     * counting endpoint (a documented local estimate).
     */
    if (d->provider == LLM_PROVIDER_MOCK
        || (ctx->endpoint == NGX_HTTP_LLM_EP_COUNT_TOKENS
            && d->api != LLM_API_ANTHROPIC))
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

static ngx_int_t
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
 * The body proxy sends is a chain: pieces of the client's body (no copy)
 * around what changes.  proxy_pass reads r->request_body->bufs for every
 * attempt, and the Content-Length from content_length_n.
 */

static ngx_int_t
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


static ngx_int_t
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


static ngx_int_t
ngx_http_llm_set_model(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    const char *model)
{
    u_char             *body, *q, *p;
    size_t              mlen, head, len;
    ngx_str_t           piece[5];
    ngx_uint_t          i, n;
    ngx_chain_t        *chain, **ll;
    llm_json_member_t  *m;

    static u_char  usage[] = "\"stream_options\":{\"include_usage\":true},";

    body = ctx->body.data;
    m = &ctx->scan.model;
    mlen = ngx_strlen(model);

    q = ngx_pnalloc(r->pool, LLM_JSON_QUOTED_MAX(mlen));
    if (q == NULL) {
        return NGX_ERROR;
    }

    /* the body in pieces: the client's bytes around what changes */
    n = 0;

    /* ask streams for usage, unless the client set stream_options itself */
    if (ctx->stream && ctx->endpoint != NGX_HTTP_LLM_EP_MESSAGES
        && !ctx->scan.stream_options.present)
    {
        head = ctx->scan.object_start + 1;

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
    piece[n++].len = ctx->body.len - m->value_end;

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


static ngx_int_t
ngx_http_llm_translate_request(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    const char *model)
{
    u_char            *p;
    char               err[256], cmodel[512];
    ngx_int_t          rc;
    llm_buf_t          out = LLM_BUF_INIT;
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
    o.drop_params = ctx->tables->cf->settings.drop_params;
    o.default_max_tokens = d->max_tokens;
    o.include_usage = ctx->include_usage;

    if (llm_xlate_request(ctx->api, d->api, (char *) ctx->body.data,
                          ctx->body.len, &o, &out, err, sizeof(err))
        != 0)
    {
        llm_buf_free(&out);
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error", err);
    }

    p = ngx_pnalloc(r->pool, out.len);
    if (p == NULL) {
        llm_buf_free(&out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, out.data, out.len);

    chain = NULL;
    ll = &chain;

    rc = ngx_http_llm_chain_add(r, &ll, p, out.len);

    llm_buf_free(&out);

    if (rc != NGX_OK || ngx_http_llm_set_body(r, ctx, chain) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_llm_prepare_attempt(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char            *p;
    size_t             len, scheme_len, base_len, model_len, version_len;
    ngx_int_t          rc;
    ngx_str_t          endpoint, suffix;
    ngx_chain_t       *chain, **ll;
    const char        *model;
    llm_deployment_t  *d;
    u_char             name[512];

    d = ctx->dep->dep;

    if (d->model_passthrough) {
        ngx_cpystrn(name, ctx->model.data,
                    ngx_min(ctx->model.len + 1, sizeof(name)));
        model = (char *) name;

    } else {
        model = d->model;
    }

    if ((ctx->endpoint == NGX_HTTP_LLM_EP_COMPLETIONS
         || ctx->endpoint == NGX_HTTP_LLM_EP_EMBEDDINGS)
        && d->api != LLM_API_OPENAI)
    {
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       "this model's provider does not "
                                       "support this endpoint");
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

    case LLM_API_GEMINI:
        ngx_str_set(&endpoint, "/models/");

        if (ctx->stream) {
            ngx_str_set(&suffix, ":streamGenerateContent?alt=sse");

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
    model_len = ngx_strlen(model);
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
        p = ngx_cpymem(p, model, model_len);
        p = ngx_cpymem(p, endpoint.data, endpoint.len);
        p = ngx_cpymem(p, "?api-version=", sizeof("?api-version=") - 1);

        if (version_len) {
            p = ngx_cpymem(p, d->api_version, version_len);
        }

    } else if (d->api == LLM_API_GEMINI) {
        p = ngx_cpymem(p, endpoint.data, endpoint.len);
        p = ngx_cpymem(p, model, model_len);
        p = ngx_cpymem(p, suffix.data, suffix.len);

    } else {
        p = ngx_cpymem(p, endpoint.data, endpoint.len);
    }

    ctx->upstream_url.len = p - ctx->upstream_url.data;

    ctx->upstream_uri.data = ctx->upstream_url.data + scheme_len
                             + sizeof("://llm_upstream") - 1;
    ctx->upstream_uri.len = p - ctx->upstream_uri.data;

    ngx_http_llm_lend_uri(r, ctx);

    if (ctx->stream && ctx->translate) {
        ctx->xlate = NULL;      /* created by the header filter on success */
    }

    ctx->proxied = 1;
    ctx->resp_status = 0;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "llm: attempt %ui to deployment \"%s\" (%s)",
                   ctx->attempts, d->id, d->provider_name);

    return NGX_DECLINED;
}


/*
 * The body of the error an intercepted upstream response started with:
 * what was read with its header.  Returns 1 when that is all of it.
 */

static ngx_uint_t
ngx_http_llm_upstream_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    u_char               *p, *last, *out;
    size_t                size;
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

        return u->headers_in.content_length_n >= 0
               && body->len == (size_t) u->headers_in.content_length_n;
    }

    /* chunked: "size CRLF data CRLF ... 0 CRLF CRLF", decoded into a copy */
    out = ngx_pnalloc(r->pool, last - p);
    if (out == NULL) {
        return 0;
    }

    body->data = out;

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

        if ((size_t) (last - p) < size) {
            out = ngx_cpymem(out, p, last - p);
            body->len = out - body->data;
            return 0;
        }

        out = ngx_cpymem(out, p, size);
        body->len = out - body->data;
        p += size;

        while (p < last && (*p == '\r' || *p == '\n')) {
            p++;
        }
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

static ngx_int_t
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

static ngx_int_t
ngx_http_llm_retry(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    long                 retry_after;
    size_t               i, n, healthy;
    uint64_t             backoff;
    ngx_int_t            rc;
    ngx_str_t            body;
    ngx_uint_t           status, complete;
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

    ctx->last_error = status;
    ctx->proxied = 0;
    router = ctx->tables->router;
    g = ctx->group;

    /*
     * The provider's error body, as far as it arrived with the header (an
     * error is small); nginx's own 502 and 504 have none.
     */
    complete = ngx_http_llm_upstream_body(r, status, &body);
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


static ngx_int_t
ngx_http_llm_send_error(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_uint_t status, const char *type, const char *message)
{
    u_char     *p;
    llm_buf_t   out = LLM_BUF_INIT;

    ctx->self_response = 1;

    /* the types given here are OpenAI's; other APIs derive theirs */
    llm_error_body(ctx->api, (int) status,
                   ctx->api == LLM_API_OPENAI ? type : NULL, message, NULL,
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


static ngx_int_t
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


static ngx_int_t
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
