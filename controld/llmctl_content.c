/*
 * llmctl content: named configs kept with their history under the prefix.
 *
 *   PREFIX/content/config/NAME/1.yaml, 2.yaml, ...   every version added
 *
 * `execute` points the running instance at the newest version through
 * `llmctl reload --config` (validated first, then the zero-failure
 * reload); the active one is the file the instance runs with.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "cfg_file.h"
#include "llmctl.h"
#include "llmctl_out.h"

static int
usage_error(const char *why)
{
    fprintf(stderr, "llmctl content: %s (llmctl help content)\n", why);
    return LLMCTL_USAGE;
}

/* Names become directory names: letters, digits, "-", "_", ".". */
static int
valid_name(const char *n)
{
    size_t  i;

    if (n == NULL || n[0] == '\0' || n[0] == '.' || strlen(n) > 64) {
        return 0;
    }
    for (i = 0; n[i]; i++) {
        if (!(n[i] == '-' || n[i] == '_' || n[i] == '.'
              || (n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z')
              || (n[i] >= '0' && n[i] <= '9')))
        {
            return 0;
        }
    }
    return 1;
}

static char *
entry_dir(const llmctl_options_t *o, const char *name)
{
    char  rel[400];

    snprintf(rel, sizeof(rel), "content/%s/%s", o->type, name);
    return llmctl_prefix_path(o, rel);
}

static char *
version_path(const char *dir, int version)
{
    char  *p = malloc(strlen(dir) + 32);

    if (p == NULL) {
        abort();
    }
    sprintf(p, "%s/%d.yaml", dir, version);
    return p;
}

/* Highest version number in dir; 0 when none. */
static int
latest_version(const char *dir, int *count)
{
    DIR            *d = opendir(dir);
    struct dirent  *e;
    int             v, max = 0;
    char           *end;

    *count = 0;
    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        v = (int) strtol(e->d_name, &end, 10);
        if (v > 0 && strcmp(end, ".yaml") == 0) {
            (*count)++;
            if (v > max) {
                max = v;
            }
        }
    }
    closedir(d);
    return max;
}

static int
mkdirs(const char *path)
{
    char   *copy = strdup(path), *p;

    for (p = copy + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(copy, 0755);
            *p = '/';
        }
    }
    mkdir(copy, 0755);
    free(copy);
    return access(path, W_OK);
}

static int
yaml_ok(const char *text, size_t len, char *err, size_t size)
{
    yaml_parser_t    parser;
    yaml_document_t  doc;
    int              ok;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    ok = yaml_parser_load(&parser, &doc);
    if (ok) {
        ok = yaml_document_get_root_node(&doc) != NULL
             && yaml_document_get_root_node(&doc)->type == YAML_MAPPING_NODE;
        if (!ok) {
            snprintf(err, size, "expected a mapping at the top level");
        }
        yaml_document_delete(&doc);
    } else {
        snprintf(err, size, "line %zu: %s", parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "YAML syntax");
    }
    yaml_parser_delete(&parser);
    return ok;
}

static int
content_add(llmctl_options_t *o)
{
    char    *dir, *path, *text, err[256];
    size_t   len;
    int      e, count, v;

    if (o->file == NULL) {
        return usage_error("add needs --file F");
    }
    text = cfg_read_file(o->file, &len, &e);
    if (text == NULL) {
        fprintf(stderr, "llmctl: cannot read %s: %s\n", o->file,
                strerror(e));
        return LLMCTL_FAILED;
    }
    if (!yaml_ok(text, len, err, sizeof(err))) {
        fprintf(stderr, "llmctl: %s: %s; not added\n", o->file, err);
        free(text);
        return LLMCTL_FAILED;
    }
    dir = entry_dir(o, o->name);
    if (mkdirs(dir) != 0) {
        fprintf(stderr, "llmctl: cannot create %s: %s\n", dir,
                strerror(errno));
        free(dir);
        free(text);
        return LLMCTL_FAILED;
    }
    v = latest_version(dir, &count) + 1;
    path = version_path(dir, v);
    if (cfg_write_file_atomic(path, text, len, 0600) != 0) {
        fprintf(stderr, "llmctl: cannot write %s: %s\n", path,
                strerror(errno));
        free(path);
        free(dir);
        free(text);
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
    free(dir);
    free(text);
    return LLMCTL_OK;
}

/* The running instance's config file, if it is one of ours. */
static int
is_active(llmctl_options_t *o, const char *dir)
{
    size_t  len = strlen(dir);

    return o->config != NULL && strncmp(o->config, dir, len) == 0
           && o->config[len] == '/';
}

static int
content_list(llmctl_options_t *o)
{
    char            *top, *dir, *path, when[32], vtext[16];
    DIR             *d;
    struct dirent   *e;
    struct stat      sb;
    int              count, v;
    llmctl_table_t   t;
    json_t          *rows = json_array();

    top = llmctl_prefix_path(o, "content/config");
    llmctl_table_init(&t, 5, "NAME", "VERSIONS", "LATEST", "UPDATED (UTC)",
                      "ACTIVE");
    d = opendir(top);
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        dir = entry_dir(o, e->d_name);
        v = latest_version(dir, &count);
        path = version_path(dir, v);
        when[0] = '\0';
        if (stat(path, &sb) == 0) {
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
                     gmtime(&sb.st_mtime));
        }
        snprintf(vtext, sizeof(vtext), "%d", count);
        {
            char  latest[16];

            snprintf(latest, sizeof(latest), "%d", v);
            llmctl_table_row(&t, e->d_name, vtext, latest, when,
                             is_active(o, dir) ? "*" : "");
        }
        json_array_append_new(rows, json_pack("{s:s, s:i, s:i, s:s, s:b}",
                              "name", e->d_name, "versions", count,
                              "latest", v, "updated", when,
                              "active", is_active(o, dir)));
        free(path);
        free(dir);
    }
    if (d != NULL) {
        closedir(d);
    }
    if (o->json) {
        llmctl_print_json(rows);
    } else if (t.nrows == 0) {
        printf("no named configs (llmctl content add --type config --name N "
               "--file F)\n");
    } else {
        llmctl_table_print(&t, stdout);
    }
    llmctl_table_free(&t);
    json_decref(rows);
    free(top);
    return LLMCTL_OK;
}

static int
content_get(llmctl_options_t *o)
{
    char    *dir = entry_dir(o, o->name), *path, *text;
    int      count, v = latest_version(dir, &count), e;
    size_t   len;

    if (v == 0) {
        fprintf(stderr, "llmctl: no %s named %s\n", o->type, o->name);
        free(dir);
        return LLMCTL_FAILED;
    }
    path = version_path(dir, v);
    text = cfg_read_file(path, &len, &e);
    if (text != NULL) {
        fwrite(text, 1, len, stdout);
    }
    free(text);
    free(path);
    free(dir);
    return text ? LLMCTL_OK : LLMCTL_FAILED;
}

static int
content_execute(llmctl_options_t *o)
{
    char  *dir = entry_dir(o, o->name);
    int    count, v = latest_version(dir, &count);

    if (v == 0) {
        fprintf(stderr, "llmctl: no %s named %s\n", o->type, o->name);
        free(dir);
        return LLMCTL_FAILED;
    }
    free(o->config);
    o->config = version_path(dir, v);
    free(dir);
    printf("executing %s version %d: validate, then reload\n", o->name, v);
    fflush(stdout);
    return llmctl_cmd_reload(o);
}

static int
content_remove(llmctl_options_t *o)
{
    char  *dir = entry_dir(o, o->name);
    int    count;

    if (latest_version(dir, &count) == 0) {
        fprintf(stderr, "llmctl: no %s named %s\n", o->type, o->name);
        free(dir);
        return LLMCTL_FAILED;
    }
    if (is_active(o, dir)) {
        fprintf(stderr, "llmctl: %s is the active config; execute another "
                "one (or reload --config FILE) first\n", o->name);
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
    const char  *verb = o->model;

    if (o->type == NULL) {
        o->type = strdup("config");
    }
    if (strcmp(o->type, "provider") == 0) {
        fprintf(stderr, "llmctl content: --type provider is not available "
                "in this build (the provider table is not data-loadable "
                "yet)\n");
        return LLMCTL_FAILED;
    }
    if (strcmp(o->type, "config") != 0) {
        return usage_error("--type is config or provider");
    }
    llmctl_args_load(o);
    if (strcmp(verb, "list") == 0) {
        return content_list(o);
    }
    if (!valid_name(o->name)) {
        return usage_error("--name N is required (letters, digits, - _ .)");
    }
    if (strcmp(verb, "add") == 0) {
        return content_add(o);
    }
    if (strcmp(verb, "get") == 0) {
        return content_get(o);
    }
    if (strcmp(verb, "execute") == 0) {
        return content_execute(o);
    }
    if (strcmp(verb, "remove") == 0) {
        return content_remove(o);
    }
    return usage_error("the verb is add, list, get, execute or remove");
}
