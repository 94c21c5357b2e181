/*
 * llmctl content: named configs kept with their history under the prefix
 * (the content store, cfg_content.h: PREFIX/content/config/NAME/N.yaml).
 *
 * `execute` points the running instance at the newest version through
 * `llmctl reload --config` (validated first, then the zero-failure
 * reload).  The active one is what controld runs: the instance's config
 * file, or the named config the console applied in its place.
 *
 * --type provider keeps provider rows (PREFIX/content/provider/NAME/...):
 * checked as a row when added, all in force at the next reload (which
 * `execute` runs); one that serves a deployment of the config stays.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_content.h"
#include "cfg_file.h"
#include "llmctl.h"
#include "llmctl_out.h"

static int
usage_error(const char *why)
{
    fprintf(stderr, "llmctl content: %s (llmctl help content)\n", why);
    return LLMCTL_USAGE;
}

/* What controld runs: the console's choice, else the instance's file. */
static char *
active_path(llmctl_options_t *o, const char *top)
{
    char  *named = o->config ? cfg_content_active(top, o->config) : NULL;

    if (named == NULL && o->config != NULL) {
        named = strdup(o->config);
    }
    return named;
}

static int
content_add(llmctl_options_t *o, const char *top)
{
    char    *path, *text, err[256];
    size_t   len;
    int      e, v;

    if (o->file == NULL) {
        return usage_error("add needs --file F");
    }
    text = cfg_read_file(o->file, &len, &e);
    if (text == NULL) {
        fprintf(stderr, "llmctl: cannot read %s: %s\n", o->file,
                strerror(e));
        return LLMCTL_FAILED;
    }
    if (strcmp(o->type, "provider") == 0) {
        json_t  *def = cfg_content_provider_def(o->name, text, len, err,
                                                sizeof(err));

        if (def == NULL) {
            fprintf(stderr, "llmctl: %s: %s; not added\n", o->file, err);
            free(text);
            return LLMCTL_FAILED;
        }
        json_decref(def);
    }
    v = cfg_content_add(top, o->type, o->name, text, len, &path, err,
                        sizeof(err));
    free(text);
    if (v == 0) {
        fprintf(stderr, "llmctl: %s: %s; not added\n", o->file, err);
        return LLMCTL_FAILED;
    }
    if (o->json) {
        json_t  *doc = json_pack("{s:s, s:s, s:i, s:s}", "type", o->type,
                                 "name", o->name, "version", v, "file", path);
        llmctl_print_json(doc);
        json_decref(doc);
    } else {
        printf("added %s %s version %d (%s)\n", o->type, o->name, v, path);
    }
    free(path);
    return LLMCTL_OK;
}

static int
content_list(llmctl_options_t *o, const char *top)
{
    char            versions[16], latest[16], *active = active_path(o, top);
    json_t          *rows = cfg_content_list(top, o->type, active), *row;
    llmctl_table_t   t;
    size_t           i;

    free(active);
    if (o->json) {
        llmctl_print_json(rows);
        json_decref(rows);
        return LLMCTL_OK;
    }
    llmctl_table_init(&t, 5, "NAME", "VERSIONS", "LATEST", "UPDATED (UTC)",
                      "ACTIVE");
    json_array_foreach(rows, i, row) {
        snprintf(versions, sizeof(versions), "%lld",
                 json_integer_value(json_object_get(row, "versions")));
        snprintf(latest, sizeof(latest), "%lld",
                 json_integer_value(json_object_get(row, "latest")));
        llmctl_table_row(&t, json_string_value(json_object_get(row, "name")),
                         versions, latest,
                         json_string_value(json_object_get(row, "updated")),
                         json_is_true(json_object_get(row, "active"))
                         ? "*" : "");
    }
    if (t.nrows == 0) {
        printf("no named configs (llmctl content add --type config --name N "
               "--file F)\n");
    } else {
        llmctl_table_print(&t, stdout);
    }
    llmctl_table_free(&t);
    json_decref(rows);
    return LLMCTL_OK;
}

/* The newest version's path, or NULL after saying there is none. */
static char *
newest(llmctl_options_t *o, const char *top)
{
    char  *dir = cfg_content_dir(top, o->type, o->name), *path = NULL;
    int    count, v = cfg_content_latest(dir, &count);

    if (v == 0) {
        fprintf(stderr, "llmctl: no %s named %s\n", o->type, o->name);
    } else {
        path = cfg_content_version_path(dir, v);
    }
    free(dir);
    return path;
}

static int
content_get(llmctl_options_t *o, const char *top)
{
    char    *path = newest(o, top), *text = NULL;
    int      e;
    size_t   len;

    if (path != NULL) {
        text = cfg_read_file(path, &len, &e);
    }
    if (text != NULL) {
        fwrite(text, 1, len, stdout);
    }
    free(text);
    free(path);
    return text ? LLMCTL_OK : LLMCTL_FAILED;
}

static int
content_execute(llmctl_options_t *o, const char *top)
{
    char  *path = newest(o, top), name[CFG_CONTENT_NAME_MAX + 1];

    if (path == NULL) {
        return LLMCTL_FAILED;
    }
    if (strcmp(o->type, "provider") == 0) {
        /* every stored row is in force: a reload reads them again */
        free(path);
        printf("loading provider %s: validate, then reload\n", o->name);
        fflush(stdout);
        return llmctl_cmd_reload(o);
    }
    free(o->config);
    o->config = path;
    printf("executing %s version %d: validate, then reload\n", o->name,
           cfg_content_which(top, path, name));
    fflush(stdout);
    return llmctl_cmd_reload(o);
}

/* How many deployments of the running config a provider row serves. */
static int
provider_users(llmctl_options_t *o, const char *name)
{
    cfg_result_t   res;
    json_t        *dep;
    size_t         i;
    int            n = 0;

    if (o->config == NULL) {
        return 0;
    }
    if (llmctl_compile(o, &res) == 0) {
        json_array_foreach(json_object_get(res.doc, "deployments"), i, dep) {
            const char  *p = json_string_value(json_object_get(dep,
                                                               "provider"));

            n += p != NULL && strcmp(p, name) == 0;
        }
    }
    cfg_result_free(&res);
    return n;
}

static int
content_remove(llmctl_options_t *o, const char *top)
{
    char  *dir = cfg_content_dir(top, o->type, o->name);
    char  *active = active_path(o, top);
    int    count, in_use, users;

    in_use = active != NULL && strncmp(active, dir, strlen(dir)) == 0
             && active[strlen(dir)] == '/';
    free(active);
    if (cfg_content_latest(dir, &count) == 0) {
        fprintf(stderr, "llmctl: no %s named %s\n", o->type, o->name);
        free(dir);
        return LLMCTL_FAILED;
    }
    if (in_use) {
        fprintf(stderr, "llmctl: %s is the active config; execute another "
                "one (or reload --config FILE) first\n", o->name);
        free(dir);
        return LLMCTL_FAILED;
    }
    if (strcmp(o->type, "provider") == 0
        && (users = provider_users(o, o->name)) > 0)
    {
        fprintf(stderr, "llmctl: provider %s serves %d deployment(s) of %s; "
                "take them out of the config first\n", o->name, users,
                o->config);
        free(dir);
        return LLMCTL_FAILED;
    }
    llmctl_remove_tree(dir);
    printf("removed %s %s (%d versions)\n", o->type, o->name, count);
    free(dir);
    return LLMCTL_OK;
}

int
llmctl_cmd_content(llmctl_options_t *o)
{
    static const struct {
        const char  *verb;
        int        (*run)(llmctl_options_t *o, const char *top);
    } verbs[] = {
        { "add", content_add }, { "get", content_get },
        { "execute", content_execute }, { "remove", content_remove },
    };
    const char  *verb = o->model;
    char        *top;
    size_t       i;
    int          rc;

    if (o->type == NULL) {
        o->type = strdup("config");
    }
    if (strcmp(o->type, "config") != 0 && strcmp(o->type, "provider") != 0) {
        return usage_error("--type is config or provider");
    }
    llmctl_args_load(o);
    top = llmctl_prefix_path(o, "content");
    if (strcmp(verb, "list") == 0) {
        rc = content_list(o, top);
        free(top);
        return rc;
    }
    if (!cfg_content_valid_name(o->name)) {
        free(top);
        return usage_error("--name N is required (letters, digits, - _ .)");
    }
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(verb, verbs[i].verb) == 0) {
            rc = verbs[i].run(o, top);
            free(top);
            return rc;
        }
    }
    free(top);
    return usage_error("the verb is add, list, get, execute or remove");
}
