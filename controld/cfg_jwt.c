/*
 * RS256 JWTs for the service-account OAuth2 grant (cfg_jwt.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cfg_jwt.h"


char *
cfg_base64url(const unsigned char *in, size_t len)
{
    static const char  abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                               "qrstuvwxyz0123456789-_";
    char              *out, *p;
    size_t             i;
    unsigned           v;

    out = malloc(len / 3 * 4 + 5);
    if (out == NULL) {
        return NULL;
    }
    p = out;
    for (i = 0; i + 2 < len; i += 3) {
        v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8 | in[i + 2];
        *p++ = abc[v >> 18 & 63];
        *p++ = abc[v >> 12 & 63];
        *p++ = abc[v >> 6 & 63];
        *p++ = abc[v & 63];
    }
    if (len - i == 1) {
        v = (unsigned) in[i] << 16;
        *p++ = abc[v >> 18 & 63];
        *p++ = abc[v >> 12 & 63];
    } else if (len - i == 2) {
        v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8;
        *p++ = abc[v >> 18 & 63];
        *p++ = abc[v >> 12 & 63];
        *p++ = abc[v >> 6 & 63];
    }
    *p = '\0';
    return out;
}


char *
cfg_jwt_claims(const char *iss, const char *scope, const char *aud,
    long long iat)
{
    json_t  *claims;
    char    *text;

    claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", iss,
                       "scope", scope, "aud", aud, "iat", (json_int_t) iat,
                       "exp", (json_int_t) (iat + CFG_JWT_LIFETIME));
    if (claims == NULL) {
        return NULL;
    }
    text = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(claims);
    return text;
}


static EVP_PKEY *
read_key(const char *pem_key, char *err, size_t errlen)
{
    BIO       *bio;
    EVP_PKEY  *key;

    bio = BIO_new_mem_buf(pem_key, -1);
    if (bio == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (key == NULL) {
        snprintf(err, errlen, "private_key is not a PEM private key");
        return NULL;
    }
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "private_key is not an RSA key (RS256 "
                 "needs one)");
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}


int
cfg_jwt_key_check(const char *pem_key, char *err, size_t errlen)
{
    EVP_PKEY  *key;

    key = read_key(pem_key, err, errlen);
    EVP_PKEY_free(key);
    return key != NULL ? 0 : -1;
}


char *
cfg_jwt_rs256(const char *pem_key, const char *iss, const char *scope,
    const char *aud, long long iat, char *err, size_t errlen)
{
    static const char   header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    EVP_PKEY           *key;
    EVP_MD_CTX         *md;
    unsigned char      *sig = NULL;
    size_t              siglen = 0;
    char               *claims, *h64, *c64, *s64 = NULL, *input, *jwt;
    size_t              n;
    int                 ok = 0;

    key = read_key(pem_key, err, errlen);
    if (key == NULL) {
        return NULL;
    }

    claims = cfg_jwt_claims(iss, scope, aud, iat);
    h64 = cfg_base64url((const unsigned char *) header, sizeof(header) - 1);
    c64 = claims ? cfg_base64url((unsigned char *) claims, strlen(claims))
                 : NULL;
    input = NULL;
    jwt = NULL;

    if (h64 == NULL || c64 == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    n = strlen(h64) + 1 + strlen(c64) + 1;
    input = malloc(n);
    if (input == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    snprintf(input, n, "%s.%s", h64, c64);

    md = EVP_MD_CTX_new();
    if (md != NULL
        && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1
        && EVP_DigestSign(md, NULL, &siglen, (unsigned char *) input,
                          strlen(input)) == 1
        && (sig = malloc(siglen)) != NULL
        && EVP_DigestSign(md, sig, &siglen, (unsigned char *) input,
                          strlen(input)) == 1)
    {
        ok = 1;
    }
    EVP_MD_CTX_free(md);

    if (!ok || (s64 = cfg_base64url(sig, siglen)) == NULL) {
        snprintf(err, errlen, "the JWT could not be signed");
        goto done;
    }

    n = strlen(input) + 1 + strlen(s64) + 1;
    jwt = malloc(n);
    if (jwt != NULL) {
        snprintf(jwt, n, "%s.%s", input, s64);
    }

done:
    EVP_PKEY_free(key);
    free(claims);
    free(h64);
    free(c64);
    free(s64);
    free(sig);
    free(input);
    return jwt;
}
