/* SHA-256 as lowercase hex: master key digest and stable deployment ids. */

#ifndef CFG_HASH_H
#define CFG_HASH_H

#include <stddef.h>

#define CFG_SHA256_HEX_LEN  64

/* Writes 64 hex digits and a NUL into out (65 bytes). */
void cfg_sha256_hex(const void *data, size_t len, char *out);

#endif
