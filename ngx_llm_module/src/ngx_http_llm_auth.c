
/*
 * Who is asking: the client's key from whichever header its SDK uses, the
 * master key or a virtual key, a key in the query string masked, and the
 * refusals of admission in the client's format.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/sha.h>
#include <openssl/crypto.h>

#include "ngx_http_llm_request.h"


static void ngx_http_llm_mask_after_query(ngx_str_t *s);


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
 * its own copy of the URI; in the request buffer and the request line,
 * which every log line shows, each "key=" value is overwritten.
 */

ngx_int_t
ngx_http_llm_hide_query_key(ngx_http_request_t *r)
{
    u_char     *copy;
    ngx_str_t   key, orig;
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

    orig = r->unparsed_uri;
    r->unparsed_uri.data = copy;

    ngx_http_llm_mask_after_query(&orig);
    ngx_http_llm_mask_after_query(&r->request_line);

    return NGX_OK;
}


/*
 * The "key=" arguments of a query, as ngx_http_arg() finds them (the name
 * in any letter case, '&' between arguments): the first one's value in
 * *first, each value overwritten with '*' if mask is set.
 */

static ngx_uint_t
ngx_http_llm_query_keys(u_char *p, u_char *last, ngx_str_t *first,
    ngx_uint_t mask)
{
    u_char      *end, *v;
    ngx_uint_t   n;

    for (n = 0; p < last; p = end + 1) {
        end = ngx_strlchr(p, last, '&');

        if (end == NULL) {
            end = last;
        }

        if (end - p < 4 || ngx_strncasecmp(p, (u_char *) "key=", 4) != 0) {
            continue;
        }

        v = p + 4;

        if (n++ == 0 && first != NULL) {
            first->data = v;
            first->len = end - v;
        }

        if (mask) {
            ngx_memset(v, '*', end - v);
        }
    }

    return n;
}


/* The query part of a request line or URI: after '?', up to a space. */

static void
ngx_http_llm_mask_after_query(ngx_str_t *s)
{
    u_char  *q, *last, *end;

    last = s->data + s->len;
    q = ngx_strlchr(s->data, last, '?');

    if (q == NULL) {
        return;
    }

    end = ngx_strlchr(++q, last, ' ');

    (void) ngx_http_llm_query_keys(q, end ? end : last, NULL, 1);
}


/*
 * A Gemini client may send its key as ?key=.  Whatever route the request
 * takes, authenticated or not, every "key=" value is overwritten with '*'
 * in the arguments, the unparsed URI and the request line ($args,
 * $request_uri, $request and every error log line) before anything can
 * log them; one buffer usually holds all three, but over HTTP/2 the
 * request line is a copy of its own.  The query as sent, and the first
 * key, stay in ctx: for authentication, and for a pass-through route
 * without auth, whose target the key is meant for.
 */

ngx_int_t
ngx_http_llm_mask_query(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char  *copy, *last;

    last = r->args.data + r->args.len;

    if (r->args.len == 0
        || ngx_http_llm_query_keys(r->args.data, last, NULL, 0) == 0)
    {
        return NGX_OK;
    }

    copy = ngx_pnalloc(r->pool, r->args.len);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(copy, r->args.data, r->args.len);

    ctx->query_args.data = copy;
    ctx->query_args.len = r->args.len;

    (void) ngx_http_llm_query_keys(copy, copy + r->args.len, &ctx->query_key,
                                   0);

    (void) ngx_http_llm_query_keys(r->args.data, last, NULL, 1);

    ngx_http_llm_mask_after_query(&r->request_line);

    if (r->valid_unparsed_uri) {
        ngx_http_llm_mask_after_query(&r->unparsed_uri);
    }

    return NGX_OK;
}


/* The client's key, from whichever header its SDK uses. */

static ngx_int_t
ngx_http_llm_client_key(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_str_t *key)
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

    /* Gemini SDKs may put the key in the query string (masked already on
       the gateway's routes: ngx_http_llm_mask_query()) */
    if (ctx->query_key.len) {
        *key = ctx->query_key;
        return NGX_OK;
    }

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

ngx_int_t
ngx_http_llm_authenticate(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_uint_t master_only)
{
    ngx_str_t      key;
    SHA256_CTX     sha;
    llm_config_t  *cf;

    cf = ctx->tables->cf;

    if (ngx_http_llm_client_key(r, ctx, &key) != NGX_OK || key.len == 0) {
        if (!cf->has_master_key) {
            /* no master_key configured: an open gateway, as in LiteLLM */
            return NGX_OK;
        }

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_UNAUTHORIZED,
                                       "auth_error",
                                       "missing API key: pass it in "
                                       "\"Authorization: Bearer\", "
                                       "\"x-api-key\", \"api-key\", "
                                       "\"x-goog-api-key\" or ?key=");
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

void
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

ngx_int_t
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
