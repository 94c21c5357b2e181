/* Tables, colours and progress lines (see llmctl_out.h). */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llmctl_out.h"

static int
colour(void)
{
    static int  on = -1;

    if (on == -1) {
        on = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
    }
    return on;
}

static const char *
paint(const char *code, const char *text, char (*bufs)[256], int *next)
{
    char  *buf = bufs[*next];

    *next = (*next + 1) % 2;
    if (!colour()) {
        return text;
    }
    snprintf(buf, 256, "\033[%sm%s\033[0m", code, text);
    return buf;
}

const char *
llmctl_green(const char *text)
{
    static char  bufs[2][256];
    static int   next;

    return paint("32", text, bufs, &next);
}

const char *
llmctl_red(const char *text)
{
    static char  bufs[2][256];
    static int   next;

    return paint("31", text, bufs, &next);
}

static char *
dup_cell(const char *s)
{
    char  *d = strdup(s ? s : "-");

    if (d == NULL) {
        abort();
    }
    return d;
}

void
llmctl_table_init(llmctl_table_t *t, size_t ncols, ...)
{
    va_list  ap;
    size_t   i;

    t->ncols = ncols;
    t->nrows = 0;
    t->cells = calloc(ncols, sizeof(char *));
    if (t->cells == NULL) {
        abort();
    }
    va_start(ap, ncols);
    for (i = 0; i < ncols; i++) {
        t->cells[i] = dup_cell(va_arg(ap, const char *));
    }
    va_end(ap);
}

void
llmctl_table_row(llmctl_table_t *t, ...)
{
    va_list  ap;
    size_t   i, base = (t->nrows + 1) * t->ncols;

    t->cells = realloc(t->cells, (base + t->ncols) * sizeof(char *));
    if (t->cells == NULL) {
        abort();
    }
    va_start(ap, t);
    for (i = 0; i < t->ncols; i++) {
        t->cells[base + i] = dup_cell(va_arg(ap, const char *));
    }
    va_end(ap);
    t->nrows++;
}

void
llmctl_table_print(const llmctl_table_t *t, FILE *out)
{
    size_t  width[LLMCTL_TABLE_MAX_COLS] = { 0 }, r, c, len;

    for (r = 0; r <= t->nrows; r++) {
        for (c = 0; c < t->ncols && c < LLMCTL_TABLE_MAX_COLS; c++) {
            len = strlen(t->cells[r * t->ncols + c]);
            if (len > width[c]) {
                width[c] = len;
            }
        }
    }
    for (r = 0; r <= t->nrows; r++) {
        for (c = 0; c < t->ncols && c < LLMCTL_TABLE_MAX_COLS; c++) {
            if (c + 1 == t->ncols) {
                fprintf(out, "%s\n", t->cells[r * t->ncols + c]);
            } else {
                fprintf(out, "%-*s  ", (int) width[c],
                        t->cells[r * t->ncols + c]);
            }
        }
    }
}

void
llmctl_table_free(llmctl_table_t *t)
{
    size_t  i;

    for (i = 0; i < (t->nrows + 1) * t->ncols; i++) {
        free(t->cells[i]);
    }
    free(t->cells);
    t->cells = NULL;
}

void
llmctl_print_json(const json_t *doc)
{
    char  *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    printf("%s\n", text ? text : "null");
    free(text);
}

static int  progress_shown;

void
llmctl_progress(const char *fmt, ...)
{
    va_list  ap;

    if (!isatty(STDERR_FILENO)) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "\r\033[K");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    progress_shown = 1;
}

void
llmctl_progress_done(void)
{
    if (progress_shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        progress_shown = 0;
    }
}

double
llmctl_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}
