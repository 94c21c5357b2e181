/*
 * The content store of named configs (cfg_content.h): plain files, so
 * llmctl and controld share it without talking to each other.
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "cfg_content.h"
#include "cfg_file.h"

#define ACTIVE_FILE  "config/.active"

static char *
join(const char *a, const char *b)
{
    size_t  la = strlen(a), lb = strlen(b);
    char   *p = malloc(la + lb + 2);

    if (p == NULL) {
        abort();
    }
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

int
cfg_content_valid_name(const char *n)
{
    size_t  i;

    if (n == NULL || n[0] == '\0' || n[0] == '.'
        || strlen(n) > CFG_CONTENT_NAME_MAX)
    {
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

char *
cfg_content_type_dir(const char *top, const char *type)
{
    return join(top, type);
}

char *
cfg_content_dir(const char *top, const char *type, const char *name)
{
    char  *t = join(top, type), *d = join(t, name);

    free(t);
    return d;
}

char *
cfg_content_version_path(const char *dir, int version)
{
    char  file[32];

    snprintf(file, sizeof(file), "%d.yaml", version);
    return join(dir, file);
}

int
cfg_content_latest(const char *dir, int *count)
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
    char  *copy = strdup(path), *p;

    for (p = copy + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(copy, 0750);
            *p = '/';
        }
    }
    mkdir(copy, 0750);
    free(copy);
    return access(path, W_OK);
}

/* A config is a YAML mapping; anything else is refused before it is kept. */
static int
yaml_mapping(const char *text, size_t len, char *err, size_t size)
{
    yaml_parser_t    parser;
    yaml_document_t  doc;
    yaml_node_t     *root;
    int              ok;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    ok = yaml_parser_load(&parser, &doc);
    if (ok) {
        root = yaml_document_get_root_node(&doc);
        ok = root != NULL && root->type == YAML_MAPPING_NODE;
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

int
cfg_content_add(const char *top, const char *type, const char *name,
    const char *text, size_t len, char **path, char *err, size_t size)
{
    char  *dir, *file;
    int    count, v;

    if (!cfg_content_valid_name(name)) {
        snprintf(err, size, "a name is 1 to %d letters, digits, - _ . "
                 "(not starting with .)", CFG_CONTENT_NAME_MAX);
        return 0;
    }
    if (!yaml_mapping(text, len, err, size)) {
        return 0;
    }
    dir = cfg_content_dir(top, type, name);
    if (mkdirs(dir) != 0) {
        snprintf(err, size, "cannot create %s: %s", dir, strerror(errno));
        free(dir);
        return 0;
    }
    v = cfg_content_latest(dir, &count) + 1;
    file = cfg_content_version_path(dir, v);
    free(dir);
    if (cfg_write_file_atomic(file, text, len, 0600) != 0) {
        snprintf(err, size, "cannot write %s: %s", file, strerror(errno));
        free(file);
        return 0;
    }
    if (path != NULL) {
        *path = file;
    } else {
        free(file);
    }
    return v;
}

static int
newest_first(const void *a, const void *b)
{
    const json_t  *x = *(json_t * const *) a, *y = *(json_t * const *) b;
    int            c;

    c = strcmp(json_string_value(json_object_get(y, "updated")),
               json_string_value(json_object_get(x, "updated")));
    return c != 0 ? c : strcmp(json_string_value(json_object_get(x, "name")),
                               json_string_value(json_object_get(y, "name")));
}

json_t *
cfg_content_list(const char *top, const char *type, const char *active_path)
{
    char            *tdir, *dir, *path, when[32];
    DIR             *d;
    struct dirent   *e;
    struct stat      sb;
    json_t          *rows = json_array(), **items;
    size_t           i, n;
    int              count, v, active;

    tdir = join(top, type);
    d = opendir(tdir);
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (!cfg_content_valid_name(e->d_name)) {
            continue;
        }
        dir = join(tdir, e->d_name);
        v = cfg_content_latest(dir, &count);
        if (v == 0) {
            free(dir);
            continue;
        }
        path = cfg_content_version_path(dir, v);
        when[0] = '\0';
        if (stat(path, &sb) == 0) {
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
                     gmtime(&sb.st_mtime));
        }
        active = active_path != NULL
                 && strncmp(active_path, dir, strlen(dir)) == 0
                 && active_path[strlen(dir)] == '/';
        json_array_append_new(rows, json_pack("{s:s, s:i, s:i, s:s, s:b}",
                              "name", e->d_name, "versions", count,
                              "latest", v, "updated", when,
                              "active", active));
        free(path);
        free(dir);
    }
    if (d != NULL) {
        closedir(d);
    }
    free(tdir);

    n = json_array_size(rows);
    if (n > 1) {
        items = malloc(n * sizeof(json_t *));
        for (i = 0; i < n; i++) {
            items[i] = json_incref(json_array_get(rows, i));
        }
        qsort(items, n, sizeof(json_t *), newest_first);
        json_array_clear(rows);
        for (i = 0; i < n; i++) {
            json_array_append_new(rows, items[i]);
        }
        free(items);
    }
    return rows;
}

/* Two spellings of one file are one file. */
static int
same_file(const char *a, const char *b)
{
    char  ra[PATH_MAX], rb[PATH_MAX];

    if (a == NULL || b == NULL) {
        return 0;
    }
    if (realpath(a, ra) != NULL && realpath(b, rb) != NULL) {
        return strcmp(ra, rb) == 0;
    }
    return strcmp(a, b) == 0;
}

char *
cfg_content_active(const char *top, const char *base)
{
    char        *file = join(top, ACTIVE_FILE), *path = NULL;
    json_t      *doc;
    const char  *recorded, *config;

    doc = json_load_file(file, 0, NULL);
    free(file);
    recorded = json_string_value(json_object_get(doc, "base"));
    config = json_string_value(json_object_get(doc, "config"));
    if (recorded != NULL && config != NULL && same_file(recorded, base)
        && access(config, R_OK) == 0)
    {
        path = strdup(config);
    }
    json_decref(doc);
    return path;
}

int
cfg_content_set_active(const char *top, const char *base, const char *path)
{
    char    *file = join(top, ACTIVE_FILE), *text, *dir;
    json_t  *doc;
    int      rc;

    if (path == NULL) {
        rc = unlink(file) == 0 ? 1 : errno == ENOENT ? 0 : -1;
        free(file);
        return rc;
    }
    dir = join(top, "config");
    mkdirs(dir);
    free(dir);
    doc = json_pack("{s:s, s:s}", "base", base, "config", path);
    text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    rc = cfg_write_file_atomic(file, text, strlen(text), 0600);
    free(text);
    free(file);
    return rc;
}

int
cfg_content_which(const char *top, const char *path, char *name)
{
    size_t       lt = strlen(top), ln;
    const char  *p, *slash;
    char        *end;
    long         v;

    if (path == NULL || strncmp(path, top, lt) != 0
        || strncmp(path + lt, "/config/", 8) != 0)
    {
        return 0;
    }
    p = path + lt + 8;
    slash = strchr(p, '/');
    if (slash == NULL) {
        return 0;
    }
    ln = (size_t) (slash - p);
    v = strtol(slash + 1, &end, 10);
    if (ln == 0 || ln > CFG_CONTENT_NAME_MAX || v <= 0
        || strcmp(end, ".yaml") != 0)
    {
        return 0;
    }
    memcpy(name, p, ln);
    name[ln] = '\0';
    return (int) v;
}
