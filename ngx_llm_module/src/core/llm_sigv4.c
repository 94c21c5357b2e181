/*
 * AWS Signature Version 4 (see llm_sigv4.h): four steps as AWS describes
 * them, each a plain function so that the unit tests can compare every
 * intermediate with the published test suite.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "llm_sigv4.h"
#include "llm_buf.h"


#define LLM_SIGV4_ALGORITHM  "AWS4-HMAC-SHA256"
#define LLM_SIGV4_QUERY_MAX  64     /* parameters sorted for signing */


static const char  llm_sigv4_hexdigits[] = "0123456789abcdef";


static void
llm_sigv4_hex(const unsigned char *in, size_t n, char *out)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        out[2 * i] = llm_sigv4_hexdigits[in[i] >> 4];
        out[2 * i + 1] = llm_sigv4_hexdigits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}


void
llm_sigv4_sha256_hex(const void *data, size_t len, char *out)
{
    unsigned char  md[SHA256_DIGEST_LENGTH];

    SHA256(data, len, md);
    llm_sigv4_hex(md, sizeof(md), out);
}


void
llm_sigv4_amz_date(long long t, char *out)
{
    time_t     tt;
    struct tm  tm;

    tt = (time_t) t;
    gmtime_r(&tt, &tm);
    if (strftime(out, LLM_SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) == 0) {
        out[0] = '\0';
    }
}


static void
llm_sigv4_hmac(const void *key, size_t klen, const char *msg, size_t mlen,
    unsigned char *out)
{
    unsigned int  n = SHA256_DIGEST_LENGTH;

    HMAC(EVP_sha256(), key, (int) klen, (const unsigned char *) msg, mlen,
         out, &n);
}


/* AWS's UriEncode(): unreserved characters stay, '/' too in a path */

static int
llm_sigv4_encode(llm_buf_t *b, const char *s, int keep_slash)
{
    unsigned char  c;
    char           esc[3];

    for ( /* void */ ; *s; s++) {
        c = (unsigned char) *s;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
            || c == '~' || (c == '/' && keep_slash))
        {
            if (llm_buf_append(b, s, 1) != 0) {
                return -1;
            }
            continue;
        }

        esc[0] = '%';
        esc[1] = "0123456789ABCDEF"[c >> 4];
        esc[2] = "0123456789ABCDEF"[c & 0x0f];
        if (llm_buf_append(b, esc, 3) != 0) {
            return -1;
        }
    }
    return 0;
}


typedef struct {
    const char  *p;
    size_t       len;
} llm_sigv4_param_t;


static int
llm_sigv4_param_cmp(const void *a, const void *b)
{
    const llm_sigv4_param_t  *x = a, *y = b;
    int                       rc;

    rc = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    return rc != 0 ? rc : (x->len > y->len) - (x->len < y->len);
}


/* the query's parameters sorted by name (then value); "k" reads as "k=" */

static int
llm_sigv4_query(llm_buf_t *b, const char *q)
{
    size_t              n, i;
    const char         *amp, *end;
    llm_sigv4_param_t   ps[LLM_SIGV4_QUERY_MAX];

    if (q == NULL || *q == '\0') {
        return 0;
    }

    for (n = 0; *q; n++) {
        if (n == LLM_SIGV4_QUERY_MAX) {
            return -1;
        }
        amp = strchr(q, '&');
        end = amp ? amp : q + strlen(q);
        ps[n].p = q;
        ps[n].len = (size_t) (end - q);
        q = amp ? amp + 1 : end;
    }

    qsort(ps, n, sizeof(ps[0]), llm_sigv4_param_cmp);

    for (i = 0; i < n; i++) {
        if ((i > 0 && llm_buf_append(b, "&", 1) != 0)
            || llm_buf_append(b, ps[i].p, ps[i].len) != 0
            || (memchr(ps[i].p, '=', ps[i].len) == NULL
                && llm_buf_append(b, "=", 1) != 0))
        {
            return -1;
        }
    }
    return 0;
}


static int
llm_sigv4_has_token(const llm_sigv4_creds_t *c)
{
    return c->session_token != NULL && c->session_token[0] != '\0';
}


static const char *
llm_sigv4_signed_headers(const llm_sigv4_creds_t *c)
{
    return llm_sigv4_has_token(c) ? "host;x-amz-date;x-amz-security-token"
                                  : "host;x-amz-date";
}


char *
llm_sigv4_canonical_request(const llm_sigv4_creds_t *c,
    const llm_sigv4_req_t *r)
{
    llm_buf_t  b = LLM_BUF_INIT;
    int        rc;

    rc = llm_buf_appendf(&b, "%s\n", r->method);
    rc |= llm_sigv4_encode(&b, r->path[0] ? r->path : "/", 1);
    rc |= llm_buf_append(&b, "\n", 1);
    rc |= llm_sigv4_query(&b, r->query);
    rc |= llm_buf_appendf(&b, "\nhost:%s\nx-amz-date:%s\n", r->host,
                         r->amz_date);
    if (llm_sigv4_has_token(c)) {
        rc |= llm_buf_appendf(&b, "x-amz-security-token:%s\n",
                             c->session_token);
    }
    rc |= llm_buf_appendf(&b, "\n%s\n%s", llm_sigv4_signed_headers(c),
                         r->payload_hash);

    if (rc != 0) {
        llm_buf_free(&b);
        return NULL;
    }
    return b.data;      /* malloc'd and NUL-terminated */
}


void
llm_sigv4_signing_key(const llm_sigv4_creds_t *c, const char *amz_date,
    unsigned char *out)
{
    char           secret[256];
    unsigned char  k[SHA256_DIGEST_LENGTH];
    int            n;

    n = snprintf(secret, sizeof(secret), "AWS4%s", c->secret_key);
    if (n < 0 || (size_t) n >= sizeof(secret)) {
        n = (int) sizeof(secret) - 1;
    }

    llm_sigv4_hmac(secret, (size_t) n, amz_date, 8, k);
    llm_sigv4_hmac(k, sizeof(k), c->region, strlen(c->region), k);
    llm_sigv4_hmac(k, sizeof(k), c->service, strlen(c->service), k);
    llm_sigv4_hmac(k, sizeof(k), "aws4_request", 12, out);

    /* the secret's copy does not outlive the derivation */
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(k, sizeof(k));
}


int
llm_sigv4_authorization(const llm_sigv4_creds_t *c, const llm_sigv4_req_t *r,
    char *out, size_t len)
{
    char           *creq, creq_hash[LLM_SIGV4_HEX_LEN + 1];
    char            sts[512], sig[LLM_SIGV4_HEX_LEN + 1];
    unsigned char   key[SHA256_DIGEST_LENGTH], mac[SHA256_DIGEST_LENGTH];
    int             n;

    if (strlen(r->amz_date) != LLM_SIGV4_DATE_LEN) {
        return -1;
    }

    creq = llm_sigv4_canonical_request(c, r);
    if (creq == NULL) {
        return -1;
    }
    llm_sigv4_sha256_hex(creq, strlen(creq), creq_hash);
    free(creq);

    n = snprintf(sts, sizeof(sts), LLM_SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/"
                 "aws4_request\n%s", r->amz_date, r->amz_date, c->region,
                 c->service, creq_hash);
    if (n < 0 || (size_t) n >= sizeof(sts)) {
        return -1;
    }

    llm_sigv4_signing_key(c, r->amz_date, key);
    llm_sigv4_hmac(key, sizeof(key), sts, (size_t) n, mac);
    OPENSSL_cleanse(key, sizeof(key));
    llm_sigv4_hex(mac, sizeof(mac), sig);

    n = snprintf(out, len, LLM_SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/"
                 "aws4_request, SignedHeaders=%s, Signature=%s",
                 c->access_key, r->amz_date, c->region, c->service,
                 llm_sigv4_signed_headers(c), sig);

    return (n < 0 || (size_t) n >= len) ? -1 : n;
}
