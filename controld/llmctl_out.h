/*
 * Output a person reads at a glance: aligned tables, colours only when
 * stdout is a terminal (and NO_COLOR is unset), JSON for scripts.
 */

#ifndef LLMCTL_OUT_H
#define LLMCTL_OUT_H

#include <stdio.h>

#include <jansson.h>

#define LLMCTL_TABLE_MAX_COLS  8

typedef struct {
    size_t   ncols;
    size_t   nrows;
    char   **cells;                 /* nrows+1 (header first) * ncols */
} llmctl_table_t;

/* ncols header strings follow. */
void llmctl_table_init(llmctl_table_t *t, size_t ncols, ...);
/* ncols strings follow (NULL prints as "-"). */
void llmctl_table_row(llmctl_table_t *t, ...);
void llmctl_table_print(const llmctl_table_t *t, FILE *out);
void llmctl_table_free(llmctl_table_t *t);

/* The text wrapped in a colour on a terminal; a static buffer each (two
 * of each may be in one printf). */
const char *llmctl_green(const char *text);
const char *llmctl_red(const char *text);

/* Indented JSON on stdout. */
void llmctl_print_json(const json_t *doc);

/* A progress line on stderr for something that takes a while (terminal
 * only); llmctl_progress_done() clears it. */
void llmctl_progress(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void llmctl_progress_done(void);

double llmctl_now_ms(void);

#endif
