
/*
 * Per-attempt request signing: AWS Signature Version 4 for deployments
 * whose provider row says auth "sigv4" (Bedrock).  It runs once the
 * attempt's body and path are final, in the worker, with no I/O: a hash of
 * the body, four HMACs for the key and one for the signature.  The header
 * lines go into ctx->sign_headers; the balancer splices them into the
 * request proxy builds, beside the deployment's fixed headers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_llm_request.h"
#include "core/llm_sigv4.h"


#define NGX_HTTP_LLM_SIGV4_AUTH_MAX  512


/* hex SHA-256 of the attempt's body chain (all in memory) into hex[65] */

static ngx_int_t
ngx_http_llm_body_sha256(ngx_http_request_t *r, char *hex)
{
    unsigned int   n;
    ngx_uint_t     i;
    ngx_chain_t   *cl;
    EVP_MD_CTX    *md;
    unsigned char  digest[EVP_MAX_MD_SIZE];

    static const char  digits[] = "0123456789abcdef";

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return NGX_ERROR;
    }

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        if (!ngx_buf_in_memory(cl->buf)) {
            EVP_MD_CTX_free(md);
            return NGX_ERROR;
        }

        if (EVP_DigestUpdate(md, cl->buf->pos, cl->buf->last - cl->buf->pos)
            != 1)
        {
            EVP_MD_CTX_free(md);
            return NGX_ERROR;
        }
    }

    if (EVP_DigestFinal_ex(md, digest, &n) != 1 || n != 32) {
        EVP_MD_CTX_free(md);
        return NGX_ERROR;
    }

    EVP_MD_CTX_free(md);

    for (i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0x0f];
    }

    hex[64] = '\0';

    return NGX_OK;
}


ngx_int_t
ngx_http_llm_sign_sigv4(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    int                 n;
    u_char             *p, *q;
    size_t              len, path_len;
    llm_deployment_t   *d;
    llm_sigv4_req_t     req;
    llm_sigv4_creds_t   creds;
    char                date[LLM_SIGV4_DATE_LEN + 1];
    char                hash[LLM_SIGV4_HEX_LEN + 1];
    char                host[300], path[2048], query[1024];
    char                auth[NGX_HTTP_LLM_SIGV4_AUTH_MAX];

    d = ctx->dep->dep;

    if (ctx->dep->host.len >= sizeof(host)) {
        return NGX_ERROR;
    }

    ngx_memcpy(host, ctx->dep->host.data, ctx->dep->host.len);
    host[ctx->dep->host.len] = '\0';

    /* the path and query as proxy sends them on the request line */
    p = ctx->upstream_uri.data;
    q = ngx_strlchr(p, p + ctx->upstream_uri.len, '?');
    path_len = (q ? q : p + ctx->upstream_uri.len) - p;
    len = q ? (size_t) (p + ctx->upstream_uri.len - q - 1) : 0;

    if (path_len >= sizeof(path) || len >= sizeof(query)) {
        return NGX_ERROR;
    }

    ngx_memcpy(path, p, path_len);
    path[path_len] = '\0';

    if (q) {
        ngx_memcpy(query, q + 1, len);
    }

    query[len] = '\0';

    if (ngx_http_llm_body_sha256(r, hash) != NGX_OK) {
        return NGX_ERROR;
    }

    llm_sigv4_amz_date((long long) ngx_time(), date);

    creds.access_key = d->aws_access_key_id;
    creds.secret_key = d->aws_secret_access_key;
    creds.session_token = d->aws_session_token;
    creds.region = d->region_name;
    creds.service = "bedrock";

    req.method = "POST";
    req.host = host;
    req.path = path;
    req.query = q ? query : NULL;
    req.amz_date = date;
    req.payload_hash = hash;

    n = llm_sigv4_authorization(&creds, &req, auth, sizeof(auth));
    if (n < 0) {
        return NGX_ERROR;
    }

    len = sizeof("X-Amz-Date: " CRLF) - 1 + LLM_SIGV4_DATE_LEN
          + sizeof("X-Amz-Content-Sha256: " CRLF) - 1 + LLM_SIGV4_HEX_LEN
          + sizeof("Authorization: " CRLF) - 1 + n;

    if (d->aws_session_token && d->aws_session_token[0]) {
        len += sizeof("X-Amz-Security-Token: " CRLF) - 1
               + ngx_strlen(d->aws_session_token);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->sign_headers.data = p;

    p = ngx_cpymem(p, "X-Amz-Date: ", sizeof("X-Amz-Date: ") - 1);
    p = ngx_cpymem(p, date, LLM_SIGV4_DATE_LEN);
    *p++ = CR; *p++ = LF;

    p = ngx_cpymem(p, "X-Amz-Content-Sha256: ",
                   sizeof("X-Amz-Content-Sha256: ") - 1);
    p = ngx_cpymem(p, hash, LLM_SIGV4_HEX_LEN);
    *p++ = CR; *p++ = LF;

    if (d->aws_session_token && d->aws_session_token[0]) {
        p = ngx_cpymem(p, "X-Amz-Security-Token: ",
                       sizeof("X-Amz-Security-Token: ") - 1);
        p = ngx_cpymem(p, d->aws_session_token,
                       ngx_strlen(d->aws_session_token));
        *p++ = CR; *p++ = LF;
    }

    p = ngx_cpymem(p, "Authorization: ", sizeof("Authorization: ") - 1);
    p = ngx_cpymem(p, auth, n);
    *p++ = CR; *p++ = LF;

    ctx->sign_headers.len = p - ctx->sign_headers.data;

    /* the secret's derivations do not outlive the signature */
    ngx_explicit_memzero(auth, sizeof(auth));

    return NGX_OK;
}
