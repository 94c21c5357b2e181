/*
 * PREFIX/run/llmctl.args: the arguments of the running instance, so that
 * `llmctl reload/status/test-model --prefix DIR` need no repeated flags.
 * One "name=value" per line; paths with newlines are not supported.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_file.h"
#include "llmctl.h"

int
llmctl_args_save(const llmctl_options_t *o)
{
    char   *path, buf[8192];
    int     n, rc;

    n = snprintf(buf, sizeof(buf), "config=%s\nenv=%s\nlisten=%s\n",
                 o->config, o->env ? o->env : "", o->listen);
    if (n >= (int) sizeof(buf)) {
        return -1;
    }
    path = llmctl_prefix_path(o, "run/llmctl.args");
    rc = cfg_write_file_atomic(path, buf, (size_t) n, 0600);
    free(path);
    return rc;
}

static void
set_field(char **field, const char *value)
{
    if (*field != NULL) {
        return;                     /* a command-line flag wins */
    }
    *field = value[0] ? strdup(value) : NULL;
}

int
llmctl_args_load(llmctl_options_t *o)
{
    char   *path, *text, *line, *next, *eq;
    int     err;

    path = llmctl_prefix_path(o, "run/llmctl.args");
    text = cfg_read_file(path, NULL, &err);
    free(path);
    if (text == NULL) {
        return -1;
    }

    for (line = text; line != NULL && *line; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        eq = strchr(line, '=');
        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        if (strcmp(line, "config") == 0) {
            set_field(&o->config, eq + 1);
        } else if (strcmp(line, "env") == 0) {
            set_field(&o->env, eq + 1);
        } else if (strcmp(line, "listen") == 0) {
            set_field(&o->listen, eq + 1);
        }
    }
    free(text);
    return 0;
}
