/* Diagnostics list for the config compiler (see cfg_diag.h). */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_diag.h"

void
cfg_diag_init(cfg_diag_t *diag)
{
    memset(diag, 0, sizeof(*diag));
}

void
cfg_diag_free(cfg_diag_t *diag)
{
    size_t  i;

    for (i = 0; i < diag->count; i++) {
        free(diag->items[i].text);
    }
    free(diag->items);
    memset(diag, 0, sizeof(*diag));
}

void
cfg_diag_add(cfg_diag_t *diag, cfg_severity_t severity, const char *file,
    size_t line, size_t col, const char *fmt, ...)
{
    char            prefix[512], body[1536];
    char           *text;
    size_t          len;
    va_list         ap;
    cfg_message_t  *items;
    const char     *kind = severity == CFG_ERROR ? "error" : "warning";

    if (line > 0) {
        snprintf(prefix, sizeof(prefix), "%s:%zu:%zu: %s: ", file, line, col,
                 kind);
    } else {
        snprintf(prefix, sizeof(prefix), "%s: %s: ", file, kind);
    }

    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);

    len = strlen(prefix) + strlen(body) + 1;
    text = malloc(len);
    if (text == NULL) {
        abort();
    }
    snprintf(text, len, "%s%s", prefix, body);

    if (diag->count == diag->capacity) {
        diag->capacity = diag->capacity ? diag->capacity * 2 : 8;
        items = realloc(diag->items, diag->capacity * sizeof(*items));
        if (items == NULL) {
            abort();
        }
        diag->items = items;
    }

    diag->items[diag->count].severity = severity;
    diag->items[diag->count].text = text;
    diag->count++;

    if (severity == CFG_ERROR) {
        diag->errors++;
    } else {
        diag->warnings++;
    }
}

void
cfg_diag_print(const cfg_diag_t *diag, FILE *out)
{
    size_t  i;

    for (i = 0; i < diag->count; i++) {
        fprintf(out, "%s\n", diag->items[i].text);
    }
}

const char *
cfg_diag_find(const cfg_diag_t *diag, const char *needle)
{
    size_t  i;

    for (i = 0; i < diag->count; i++) {
        if (strstr(diag->items[i].text, needle) != NULL) {
            return diag->items[i].text;
        }
    }
    return NULL;
}
