/*
 * llm_buf: a growable byte buffer on malloc, used by the nginx-independent
 * core for everything it produces (translated bodies, SSE events).  The data
 * is always NUL-terminated after a successful append (cap > len), so results
 * can be handed to string functions and jansson without copying.  The module
 * wraps the memory in a pool cleanup and calls llm_buf_free().
 */

#ifndef LLM_BUF_H
#define LLM_BUF_H

#include <stddef.h>
#include <stdarg.h>

typedef struct {
    char   *data;
    size_t  len, cap;
} llm_buf_t;

#define LLM_BUF_INIT  { NULL, 0, 0 }

/* 0 on success, -1 when memory could not be allocated (buffer unchanged) */
int  llm_buf_append(llm_buf_t *b, const void *data, size_t len);
int  llm_buf_append_str(llm_buf_t *b, const char *s);
int  llm_buf_appendf(llm_buf_t *b, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int  llm_buf_vappendf(llm_buf_t *b, const char *fmt, va_list ap);
/* ensure room for `extra` more bytes plus the terminating NUL */
int  llm_buf_reserve(llm_buf_t *b, size_t extra);
/* empty the buffer but keep its memory for reuse */
void llm_buf_reset(llm_buf_t *b);
/* release the memory; the buffer is empty and reusable afterwards */
void llm_buf_free(llm_buf_t *b);

#endif
