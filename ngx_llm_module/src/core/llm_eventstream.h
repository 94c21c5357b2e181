/*
 * The AWS event-stream binary framing (application/vnd.amazon.eventstream,
 * Bedrock's ConverseStream), decoded incrementally: bytes arrive split
 * anywhere, each complete message is handed to a callback at once.
 *
 *   message  = prelude headers payload message_crc
 *   prelude  = total_length:u32 headers_length:u32 prelude_crc:u32
 *   header   = name_len:u8 name type:u8 value
 *
 * Big-endian; both CRCs are CRC-32 (IEEE), the prelude's over its first 8
 * bytes, the message's over everything before it.  A bad CRC, a length
 * that does not add up or a truncated header is an error: the stream is
 * not read further.
 */

#ifndef LLM_EVENTSTREAM_H
#define LLM_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "llm_buf.h"


#define LLM_EVS_PRELUDE_LEN   12
#define LLM_EVS_MIN_LEN       16            /* prelude + message CRC */
#define LLM_EVS_MAX_LEN       (1 << 22)     /* 4 MB: far above Bedrock's
                                               events, bounds memory */

#define LLM_EVS_OK       0
#define LLM_EVS_ERROR   -1


/* a string header's value (not NUL-terminated); len 0 when absent */
typedef struct {
    const char  *data;
    size_t       len;
} llm_evs_str_t;


typedef struct {
    llm_evs_str_t         message_type;     /* :message-type: "event",
                                               "exception" or "error" */
    llm_evs_str_t         event_type;       /* :event-type */
    llm_evs_str_t         exception_type;   /* :exception-type */
    llm_evs_str_t         error_code;       /* :error-code */
    llm_evs_str_t         error_message;    /* :error-message */
    const unsigned char  *payload;
    size_t                payload_len;
} llm_evs_message_t;


/* returns 0 to go on, anything else stops the feed (and is returned) */
typedef int (*llm_evs_fn)(const llm_evs_message_t *m, void *arg);


typedef struct {
    llm_buf_t   pending;    /* an incomplete message's bytes */
    int         failed;
    char        error[96];  /* why, once failed */
} llm_evs_parser_t;


void llm_evs_init(llm_evs_parser_t *p);
void llm_evs_free(llm_evs_parser_t *p);

/*
 * Feeds bytes; calls fn for each complete message.  LLM_EVS_OK, fn's value
 * when it stopped the feed, or LLM_EVS_ERROR (p->error says why; every
 * later feed fails too).
 */
int llm_evs_feed(llm_evs_parser_t *p, const void *data, size_t len,
    llm_evs_fn fn, void *arg);

/* bytes of an incomplete message held at the end of the stream */
size_t llm_evs_pending(const llm_evs_parser_t *p);

/* CRC-32 (IEEE 802.3), as the framing uses it; crc 0 to start */
uint32_t llm_evs_crc32(uint32_t crc, const void *data, size_t len);

/*
 * One message into out (for the tests and the mock's C twin): string
 * headers as name/value pairs (nheaders pairs), then the payload.
 */
int llm_evs_encode(llm_buf_t *out, const char *const *headers,
    size_t nheaders, const void *payload, size_t payload_len);

#endif /* LLM_EVENTSTREAM_H */
