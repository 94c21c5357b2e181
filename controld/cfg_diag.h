/*
 * Compiler diagnostics: warnings and errors collected while compiling a
 * config, each already formatted as "file:line:col: error: message" so that
 * controld, llmctl and the tests print exactly the same text.
 */

#ifndef CFG_DIAG_H
#define CFG_DIAG_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    CFG_WARNING,
    CFG_ERROR
} cfg_severity_t;

typedef struct {
    cfg_severity_t  severity;
    char           *text;
} cfg_message_t;

typedef struct {
    cfg_message_t  *items;
    size_t          count;
    size_t          capacity;
    size_t          errors;
    size_t          warnings;
} cfg_diag_t;

void cfg_diag_init(cfg_diag_t *diag);
void cfg_diag_free(cfg_diag_t *diag);

/* line and col are 1-based; line 0 means "no position" (file-level). */
void cfg_diag_add(cfg_diag_t *diag, cfg_severity_t severity, const char *file,
    size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

void cfg_diag_print(const cfg_diag_t *diag, FILE *out);

/* The first message containing `needle`, or NULL (used by tests). */
const char *cfg_diag_find(const cfg_diag_t *diag, const char *needle);

#endif
