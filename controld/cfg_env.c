/* .env parsing and environment look-ups (see cfg_env.h). */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_env.h"
#include "cfg_file.h"

void
cfg_env_init(cfg_env_t *env)
{
    memset(env, 0, sizeof(*env));
}

void
cfg_env_free(cfg_env_t *env)
{
    size_t  i;

    for (i = 0; i < env->count; i++) {
        free(env->names[i]);
        free(env->values[i]);
    }
    free(env->names);
    free(env->values);
    memset(env, 0, sizeof(*env));
}

static void
env_set(cfg_env_t *env, char *name, char *value)
{
    size_t  i;

    /* A later line overrides an earlier one, like sourcing the file. */
    for (i = 0; i < env->count; i++) {
        if (strcmp(env->names[i], name) == 0) {
            free(env->values[i]);
            free(name);
            env->values[i] = value;
            return;
        }
    }

    env->names = realloc(env->names, (env->count + 1) * sizeof(char *));
    env->values = realloc(env->values, (env->count + 1) * sizeof(char *));
    if (env->names == NULL || env->values == NULL) {
        abort();
    }
    env->names[env->count] = name;
    env->values[env->count] = value;
    env->count++;
}

static int
is_name_char(int c, int first)
{
    return c == '_' || isalpha(c) || (!first && isdigit(c));
}

/* Parses the value part of one line; returns a malloc'd string or NULL. */
static char *
parse_value(const char *p, const char *end)
{
    char        *out, *o;
    char         quote;
    const char  *q;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    out = malloc((size_t) (end - p) + 1);
    if (out == NULL) {
        abort();
    }
    o = out;

    if (p < end && (*p == '"' || *p == '\'')) {
        quote = *p++;
        for (q = p; q < end && *q != quote; q++) {
            if (quote == '"' && *q == '\\' && q + 1 < end) {
                q++;
                switch (*q) {
                case 'n': *o++ = '\n'; break;
                case 't': *o++ = '\t'; break;
                case 'r': *o++ = '\r'; break;
                default:  *o++ = *q;   break;
                }
                continue;
            }
            *o++ = *q;
        }
        if (q == end) {
            free(out);
            return NULL;                 /* unterminated quote */
        }
        *o = '\0';
        return out;
    }

    /* Unquoted: an inline comment starts at " #"; trailing blanks go. */
    for (q = p; q < end; q++) {
        if (*q == '#' && (q == p || q[-1] == ' ' || q[-1] == '\t')) {
            break;
        }
        *o++ = *q;
    }
    while (o > out && (o[-1] == ' ' || o[-1] == '\t')) {
        o--;
    }
    *o = '\0';
    return out;
}

int
cfg_env_parse(cfg_env_t *env, const char *text, const char *file,
    cfg_diag_t *diag)
{
    const char  *line, *end, *p, *name_start, *name_end;
    char        *name, *value;
    size_t       lineno = 0;

    for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
        end = strchr(line, '\n');
        if (end == NULL) {
            end = line + strlen(line);
        }
        lineno++;

        p = line;
        while (p < end && isspace((unsigned char) *p)) {
            p++;
        }
        if (p == end || *p == '#') {
            continue;
        }
        if ((size_t) (end - p) > 7 && strncmp(p, "export ", 7) == 0) {
            p += 7;
            while (p < end && (*p == ' ' || *p == '\t')) {
                p++;
            }
        }

        name_start = p;
        while (p < end && is_name_char((unsigned char) *p, p == name_start)) {
            p++;
        }
        name_end = p;
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (name_end == name_start || p == end || *p != '=') {
            cfg_diag_add(diag, CFG_WARNING, file, lineno,
                         (size_t) (name_start - line) + 1,
                         "expected NAME=VALUE (line ignored)");
            continue;
        }

        value = parse_value(p + 1, end[-1] == '\r' && end - 1 > p ? end - 1
                                                                   : end);
        if (value == NULL) {
            cfg_diag_add(diag, CFG_WARNING, file, lineno,
                         (size_t) (p - line) + 2,
                         "unterminated quote (line ignored)");
            continue;
        }

        name = strndup(name_start, (size_t) (name_end - name_start));
        if (name == NULL) {
            abort();
        }
        env_set(env, name, value);
    }

    return 0;
}

int
cfg_env_load(cfg_env_t *env, const char *path, int must_exist,
    cfg_diag_t *diag)
{
    char  *text;
    int    err;

    text = cfg_read_file(path, NULL, &err);
    if (text == NULL) {
        if (err == ENOENT && !must_exist) {
            return 0;
        }
        cfg_diag_add(diag, CFG_ERROR, path, 0, 0, "cannot read env file: %s",
                     strerror(err));
        return -1;
    }

    cfg_env_parse(env, text, path, diag);
    free(text);
    return 0;
}

const char *
cfg_env_lookup(const cfg_env_t *env, const char *name)
{
    const char  *value;
    size_t       i;

    value = getenv(name);
    if (value != NULL) {
        return value;
    }
    for (i = 0; env != NULL && i < env->count; i++) {
        if (strcmp(env->names[i], name) == 0) {
            return env->values[i];
        }
    }
    return NULL;
}

char *
cfg_env_default_path(const char *config_path)
{
    const char  *slash = strrchr(config_path, '/');
    size_t       dir_len = slash ? (size_t) (slash - config_path) + 1 : 0;
    char        *path = malloc(dir_len + sizeof(".env"));

    if (path == NULL) {
        abort();
    }
    memcpy(path, config_path, dir_len);
    memcpy(path + dir_len, ".env", sizeof(".env"));
    return path;
}
