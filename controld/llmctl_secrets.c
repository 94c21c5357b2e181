/*
 * The "secrets" part of `llmctl status`: where each deployment's provider
 * key came from (config, environment, .env, Vault) and Vault's health, as
 * controld last wrote them to PREFIX/state/secrets.json.  That file holds
 * the last 4 characters of a key at most; nothing here reads a secret.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmctl.h"

static int
column_width(json_t *rows, const char *field, int min)
{
    size_t   i;
    int      w = min, n;
    json_t  *row;

    json_array_foreach(rows, i, row) {
        n = (int) strlen(json_string_value(json_object_get(row, field))
                         ? json_string_value(json_object_get(row, field))
                         : "");
        if (n > w) {
            w = n;
        }
    }
    return w;
}

static void
print_vault(json_t *vault)
{
    json_t      *stale = json_object_get(vault, "stale_paths"), *p;
    const char  *error = json_string_value(json_object_get(vault, "error"));
    size_t       i;

    printf("vault: %s (%s auth), %s, prefix %s, refresh every %lld s\n",
           json_string_value(json_object_get(vault, "addr")),
           json_string_value(json_object_get(vault, "auth")),
           json_is_true(json_object_get(vault, "reachable"))
           ? (error ? "reachable, with errors" : "reachable")
           : "UNREACHABLE",
           json_is_string(json_object_get(vault, "path_prefix"))
           ? json_string_value(json_object_get(vault, "path_prefix"))
           : "(none)",
           json_integer_value(json_object_get(vault, "refresh_interval")));
    if (error != NULL) {
        printf("vault error: %s\n", error);
    }
    json_array_foreach(stale, i, p) {
        printf("vault: last good secret kept for %s\n",
               json_string_value(p));
    }
}

void
llmctl_print_secrets(const llmctl_options_t *o)
{
    char          *path;
    json_t        *report, *keys, *row;
    json_error_t   err;
    size_t         i;
    int            wm, wp, ws;

    path = llmctl_prefix_path(o, "state/secrets.json");
    report = json_load_file(path, 0, &err);
    free(path);
    if (report == NULL) {
        return;                     /* controld has not written it yet */
    }
    if (json_is_object(json_object_get(report, "vault"))) {
        print_vault(json_object_get(report, "vault"));
    }
    keys = json_object_get(report, "keys");
    if (json_array_size(keys) > 0) {
        wm = column_width(keys, "model_name", 5);
        wp = column_width(keys, "provider", 8);
        ws = column_width(keys, "source", 6);
        printf("provider keys:\n  %-*s  %-*s  %-*s  %s\n", wm, "MODEL", wp,
               "PROVIDER", ws, "SOURCE", "KEY");
        json_array_foreach(keys, i, row) {
            printf("  %-*s  %-*s  %-*s  %s\n", wm,
                   json_string_value(json_object_get(row, "model_name")), wp,
                   json_string_value(json_object_get(row, "provider")), ws,
                   json_string_value(json_object_get(row, "source")),
                   json_string_value(json_object_get(row, "key")));
        }
    }
    json_decref(report);
}
