/*
 * Fast jansson load and dump for the translation path.
 *
 * llm_json_load() builds exactly the tree json_loadb() would build: a fast
 * parser handles well-formed documents and gives up on anything unusual
 * (syntax errors, invalid UTF-8, bad escapes, numbers out of range, too deep
 * nesting, ...), in which case json_loadb() itself runs, so results and error
 * messages are always jansson's.
 *
 * llm_json_dump(), llm_json_dump_buf() and llm_json_dumps() produce the
 * bytes json_dump_callback() would produce.  Compact output (JSON_COMPACT,
 * any JSON_REAL_PRECISION, JSON_ENCODE_ANY) takes the fast path; other
 * flags, trees the fast path does not handle (invalid UTF-8 in a string
 * made with a *_nocheck call, reference cycles, very deep nesting) go to
 * jansson.
 */

#ifndef LLM_JSON_TREE_H
#define LLM_JSON_TREE_H

#include <stddef.h>

#include <jansson.h>

#include "llm_buf.h"

/* json_loadb(in, len, flags, err); any flags (unusual ones go to jansson) */
json_t *llm_json_load(const char *in, size_t len, size_t flags,
                      json_error_t *err);

/*
 * json_dump_callback(j, cb, data, flags).  The fast path calls cb once with
 * the whole document.
 */
int llm_json_dump(const json_t *j, size_t flags, json_dump_callback_t cb,
                  void *data);

/*
 * The same bytes appended to out (NUL-terminated).  0, or -1 with out
 * unchanged when jansson would fail or memory ran out.
 */
int llm_json_dump_buf(const json_t *j, size_t flags, llm_buf_t *out);

/*
 * json_dumps(j, flags): the same bytes in a NUL-terminated string the
 * caller releases with free(), or NULL.
 */
char *llm_json_dumps(const json_t *j, size_t flags);

#endif
