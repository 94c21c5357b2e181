/* SHA-256 hex (see cfg_hash.h), via OpenSSL's EVP interface. */

#include <stdlib.h>

#include <openssl/evp.h>

#include "cfg_hash.h"

void
cfg_sha256_hex(const void *data, size_t len, char *out)
{
    static const char  hex[] = "0123456789abcdef";
    unsigned char      md[EVP_MAX_MD_SIZE];
    unsigned int       md_len = 0, i;

    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1
        || md_len != 32)
    {
        abort();             /* only on a broken libcrypto; never recoverable */
    }
    for (i = 0; i < md_len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * md_len] = '\0';
}
