/*
 * The signed JWT a Google service account trades for an OAuth2 access
 * token (RFC 7523, "urn:ietf:params:oauth:grant-type:jwt-bearer"): header
 * {"alg":"RS256","typ":"JWT"}, claims iss/scope/aud/iat/exp, signed with
 * the account's RSA key (OpenSSL).  Plain C, no I/O: t/unit/test_cfg_jwt.c.
 */

#ifndef CFG_JWT_H
#define CFG_JWT_H

#include <stddef.h>

#define CFG_JWT_LIFETIME  3600      /* seconds: Google's maximum */

/* base64url (no padding) of in[0..len); malloc'd, NUL-terminated. */
char *cfg_base64url(const unsigned char *in, size_t len);

/* The claims as compact JSON; malloc'd. */
char *cfg_jwt_claims(const char *iss, const char *scope, const char *aud,
    long long iat);

/*
 * header.claims.signature, signed with the PEM private key; malloc'd, or
 * NULL with a message in err (never the key itself).
 */
char *cfg_jwt_rs256(const char *pem_key, const char *iss, const char *scope,
    const char *aud, long long iat, char *err, size_t errlen);

/* 0 when pem_key is a private key OpenSSL reads, else -1 with err. */
int cfg_jwt_key_check(const char *pem_key, char *err, size_t errlen);

#endif /* CFG_JWT_H */
