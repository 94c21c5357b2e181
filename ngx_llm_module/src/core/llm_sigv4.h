/*
 * AWS Signature Version 4 for one request (Bedrock signs every call):
 * the canonical request, the string to sign, the derived key and the
 * Authorization header, with OpenSSL's HMAC-SHA256.  Header signing only
 * (no presigned URLs); the signed headers are host, x-amz-date and, with a
 * session token, x-amz-security-token, which is what AWS requires.
 *
 * t/unit/test_sigv4.c checks it against AWS's published test suite.
 */

#ifndef LLM_SIGV4_H
#define LLM_SIGV4_H

#include <stddef.h>


#define LLM_SIGV4_DATE_LEN   16     /* 20150830T123600Z */
#define LLM_SIGV4_HEX_LEN    64     /* a SHA-256 in hex */


typedef struct {
    const char  *access_key;
    const char  *secret_key;
    const char  *session_token;     /* NULL or "": none */
    const char  *region;
    const char  *service;           /* "bedrock" */
} llm_sigv4_creds_t;


typedef struct {
    const char  *method;
    const char  *host;              /* the Host header, port included if
                                       it is sent */
    const char  *path;              /* as sent on the request line; it is
                                       URI-encoded once more to sign, as
                                       every service but S3 wants */
    const char  *query;             /* as sent, without '?'; NULL: none */
    const char  *amz_date;          /* X-Amz-Date, 16 characters */
    const char  *payload_hash;      /* hex SHA-256 of the body */
} llm_sigv4_req_t;


/* hex SHA-256 of data into out[65] */
void llm_sigv4_sha256_hex(const void *data, size_t len, char *out);

/* t (seconds since the epoch) as X-Amz-Date into out[17] */
void llm_sigv4_amz_date(long long t, char *out);

/*
 * The canonical request (AWS's first step), malloc'd; the caller frees.
 * NULL on allocation failure.
 */
char *llm_sigv4_canonical_request(const llm_sigv4_creds_t *c,
    const llm_sigv4_req_t *r);

/* the signing key for the request's date, region and service into out[32] */
void llm_sigv4_signing_key(const llm_sigv4_creds_t *c, const char *amz_date,
    unsigned char *out);

/*
 * The Authorization header's value into out[len]:
 *   AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 *   SignedHeaders=host;x-amz-date, Signature=HEX
 * Returns its length, or -1 when it does not fit or memory ran out.
 */
int llm_sigv4_authorization(const llm_sigv4_creds_t *c,
    const llm_sigv4_req_t *r, char *out, size_t len);

#endif /* LLM_SIGV4_H */
