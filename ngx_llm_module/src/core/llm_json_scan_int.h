/*
 * The implementations behind llm_json_scan(), for the tests and fuzzers
 * that hold them to the same results; the module calls llm_json_scan(),
 * which picks one once: AVX2 when the CPU has it and the body is not tiny.
 *
 * Both return the same value and fill the same llm_json_scan_t on every
 * input, error_offset and the partial results of an invalid document
 * included: the AVX2 one makes the decisions of the other in the same
 * order (t/unit/test_json_scan.c and t/fuzz/fuzz_scan.c check it).
 */

#ifndef LLM_JSON_SCAN_INT_H
#define LLM_JSON_SCAN_INT_H

#include "llm_json_scan.h"


#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLM_JSON_SCAN_AVX2  1
#endif


/* containers open at once: hostile input cannot exhaust the stack */
#define LLM_JSON_MAX_DEPTH  128


/* Byte by byte (16-byte blocks for strings, with SSE2): any CPU. */
int llm_json_scan_generic(const char *p, size_t len, llm_json_scan_t *out);

/* JSON whitespace at c, skipped */
#define llm_skip_ws(c, end)                                                  \
    while (c < end && (*c == ' ' || *c == '\n' || *c == '\r' || *c == '\t')) \
        c++


/* what the scanners and the locator share (llm_json_scan.c) */
extern const llm_json_scan_t  llm_json_scan_zero;

int llm_json_hex(int c);
/* past the number or literal at c, or NULL when it breaks the grammar */
const char *llm_json_scan_number(const char *c, const char *end);
const char *llm_json_scan_literal(const char *c, const char *end,
    const char *lit, size_t n);
/* the member a top-level key names, or NULL when it is not one we want */
llm_json_member_t *llm_json_member_slot(llm_json_scan_t *out,
    const char *key, size_t len);


#ifdef LLM_JSON_SCAN_AVX2

/* 1 when this CPU can run llm_json_scan_avx2(): AVX2, PCLMUL and BMI1. */
int llm_json_scan_avx2_usable(void);

/* 64-byte blocks; only where llm_json_scan_avx2_usable() says so. */
int llm_json_scan_avx2(const char *p, size_t len, llm_json_scan_t *out);

#endif

#endif /* LLM_JSON_SCAN_INT_H */
