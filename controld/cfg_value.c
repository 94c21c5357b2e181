/* Typed access to YAML nodes with positioned messages (see cfg_ctx.h). */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_compile_int.h"

#define ENV_PREFIX      "os.environ/"
#define ENV_PREFIX_LEN  (sizeof(ENV_PREFIX) - 1)
#define VAULT_PREFIX     "vault:"
#define VAULT_PREFIX_LEN (sizeof(VAULT_PREFIX) - 1)

void
cfg_path(char *out, const char *base, const char *name)
{
    size_t  n = strlen(base), m = strlen(name);

    /* Paths only name things in messages, so cutting a long one is fine. */
    if (n > CFG_PATH_MAX - 2) {
        n = CFG_PATH_MAX - 2;
    }
    memcpy(out, base, n);
    if (n > 0) {
        out[n++] = '.';
    }
    if (m > CFG_PATH_MAX - 1 - n) {
        m = CFG_PATH_MAX - 1 - n;
    }
    memcpy(out + n, name, m);
    out[n + m] = '\0';
}

void
cfg_path_index(char *out, const char *base, size_t index)
{
    char    suffix[32];
    size_t  n = strlen(base), m;

    m = (size_t) snprintf(suffix, sizeof(suffix), "[%zu]", index);
    if (n > CFG_PATH_MAX - 1 - m) {
        n = CFG_PATH_MAX - 1 - m;
    }
    memcpy(out, base, n);
    memcpy(out + n, suffix, m + 1);
}

yaml_node_t *
cfg_node(cfg_ctx_t *ctx, int index)
{
    return yaml_document_get_node(&ctx->doc, index);
}

const char *
cfg_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE:  return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default:                 return "a string";
    }
}

int
cfg_is_null(const yaml_node_t *node)
{
    const char  *v;

    if (node->type != YAML_SCALAR_NODE
        || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    {
        return 0;
    }
    v = (const char *) node->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcasecmp(v, "null") == 0;
}

static void
cfg_vmessage(cfg_ctx_t *ctx, cfg_severity_t severity, const yaml_node_t *node,
    const char *path, const char *fmt, va_list ap)
{
    char  text[1024];

    vsnprintf(text, sizeof(text), fmt, ap);
    cfg_diag_add(ctx->diag, severity, ctx->file,
                 node ? node->start_mark.line + 1 : 0,
                 node ? node->start_mark.column + 1 : 0,
                 "%s%s%s", path ? path : "", path && path[0] ? ": " : "",
                 text);
}

void
cfg_error(cfg_ctx_t *ctx, const yaml_node_t *node, const char *path,
    const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    cfg_vmessage(ctx, CFG_ERROR, node, path, fmt, ap);
    va_end(ap);
}

void
cfg_warning(cfg_ctx_t *ctx, const yaml_node_t *node, const char *path,
    const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    cfg_vmessage(ctx, CFG_WARNING, node, path, fmt, ap);
    va_end(ap);
}

int
cfg_has_control_char(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            return 1;
        }
    }
    return 0;
}

void
cfg_soft_error(cfg_ctx_t *ctx, const yaml_node_t *node, const char *path,
    const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    cfg_vmessage(ctx, ctx->strict ? CFG_ERROR : CFG_WARNING, node, path, fmt,
                 ap);
    va_end(ap);
}

void
cfg_warn_unknown_key(cfg_ctx_t *ctx, const yaml_node_t *key, const char *path)
{
    cfg_diag_add(ctx->diag, CFG_WARNING, ctx->file, key->start_mark.line + 1,
                 key->start_mark.column + 1,
                 "unknown key '%.64s' in %s (ignored)",
                 key->type == YAML_SCALAR_NODE
                     ? (const char *) key->data.scalar.value : "?",
                 path[0] ? path : "the top level");
}

const char *
cfg_key(cfg_ctx_t *ctx, const yaml_node_t *key, const char *path)
{
    if (key->type != YAML_SCALAR_NODE) {
        cfg_error(ctx, key, path, "keys must be strings, got %s",
                  cfg_kind(key));
        return NULL;
    }
    return (const char *) key->data.scalar.value;
}

/*
 * The text of a scalar after `os.environ/NAME` expansion.  *from_env points
 * at NAME when the value came from the environment (for messages).
 */
static int
scalar_text(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    const char *want, const char **text, const char **from_env)
{
    const char  *v, *name;

    *from_env = NULL;

    if (node->type != YAML_SCALAR_NODE) {
        cfg_error(ctx, node, path, "expected %s, got %s", want,
                  cfg_kind(node));
        return -1;
    }
    if (cfg_is_null(node)) {
        return 0;
    }

    ctx->origin[0] = '\0';
    v = (const char *) node->data.scalar.value;
    if (strncmp(v, VAULT_PREFIX, VAULT_PREFIX_LEN) == 0) {
        return cfg_vault_value(ctx, node, path, v + VAULT_PREFIX_LEN, text);
    }
    if (strncmp(v, ENV_PREFIX, ENV_PREFIX_LEN) != 0) {
        *text = v;
        return 1;
    }

    name = v + ENV_PREFIX_LEN;
    if (name[0] == '\0') {
        cfg_error(ctx, node, path, "os.environ/ needs a variable name");
        return -1;
    }
    *text = cfg_env_lookup(ctx->env, name);
    if (*text == NULL && ctx->defer_env) {
        if (ctx->missing_env == NULL) {
            ctx->missing_env = name;
            ctx->missing_env_node = node;
        }
        return 0;
    }
    if (*text == NULL) {
        cfg_error(ctx, node, path,
                  "environment variable %.128s is not set (os.environ/%.128s)",
                  name, name);
        return -1;
    }
    *from_env = name;
    snprintf(ctx->origin, sizeof(ctx->origin), "%s %.300s",
             getenv(name) != NULL ? "environment" : ".env", name);
    return 1;
}

/* The "got ..." part of a type error; values are short-cut at 40 chars. */
static void
bad_value(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    const char *want, const char *text, const char *from_env)
{
    if (strncmp(ctx->origin, "vault ", 6) == 0) {
        /* a value from Vault may be a secret: never shown */
        cfg_error(ctx, node, path, "expected %s, got something else (from "
                  "vault:%.300s)", want, ctx->origin + 6);
    } else if (from_env != NULL) {
        cfg_error(ctx, node, path, "expected %s, got \"%.40s\" (from "
                  "os.environ/%.128s)", want, text, from_env);
    } else {
        cfg_error(ctx, node, path, "expected %s, got \"%.40s\"", want, text);
    }
}

int
cfg_get_string(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    char **out)
{
    const char  *text, *from_env;
    int          rc;

    rc = scalar_text(ctx, node, path, "a string", &text, &from_env);
    if (rc <= 0) {
        return rc;
    }
    free(*out);                        /* a repeated key: the last one wins */
    *out = strdup(text);
    if (*out == NULL) {
        abort();
    }
    return 1;
}

/* Leading/trailing blanks are tolerated in numbers written as strings. */
static const char *
trim(const char *s, char *buf, size_t size)
{
    size_t  len;

    while (isspace((unsigned char) *s)) {
        s++;
    }
    len = strlen(s);
    while (len > 0 && isspace((unsigned char) s[len - 1])) {
        len--;
    }
    if (len >= size) {
        len = size - 1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

int
cfg_get_uint(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    long long *out)
{
    const char          *text, *from_env, *p;
    char                 buf[64];
    unsigned long long   v;
    int                  rc;
    static const char    want[] = "a non-negative integer";

    rc = scalar_text(ctx, node, path, want, &text, &from_env);
    if (rc <= 0) {
        return rc;
    }

    p = trim(text, buf, sizeof(buf));
    if (*p == '+') {
        p++;
    }
    if (*p == '\0' || strspn(p, "0123456789") != strlen(p)) {
        bad_value(ctx, node, path, want, text, from_env);
        return -1;
    }
    errno = 0;
    v = strtoull(p, NULL, 10);
    if (errno == ERANGE || v > (unsigned long long) 1 << 53) {
        cfg_error(ctx, node, path, "%s is too large", text);
        return -1;
    }
    *out = (long long) v;
    return 1;
}

/* A unit a number may carry, and what it multiplies the number by. */
typedef struct {
    const char  *name;
    double       factor;
} unit_t;

/*
 * A non-negative, finite decimal number (no hex, no nan or inf), with one
 * of `units` after it when units is not NULL (none: a factor of 1).
 * Returns 1 with *out the number times its unit's factor and *text the
 * scalar as written, 0 when absent, -1 after saying what was wanted.
 */
static int
scalar_number(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    const char *want, const unit_t *units, double *out, const char **text)
{
    const char  *from_env, *p;
    char         buf[64], *end;
    double       v, factor = 1;
    int          rc;

    rc = scalar_text(ctx, node, path, want, text, &from_env);
    if (rc <= 0) {
        return rc;
    }

    p = trim(*text, buf, sizeof(buf));
    errno = 0;
    v = strtod(p, &end);
    while (units != NULL && *end == ' ') {
        end++;
    }
    for ( ; units != NULL && units->name != NULL && *end != '\0'; units++) {
        if (strcasecmp(end, units->name) == 0) {
            factor = units->factor;
            end += strlen(end);
        }
    }
    if (*p == '\0' || end == p || *end != '\0' || errno == ERANGE
        || !isfinite(v) || v < 0 || strpbrk(p, "xXnN") != NULL)
    {
        bad_value(ctx, node, path, want, *text, from_env);
        return -1;
    }
    *out = v * factor;
    return 1;
}

int
cfg_get_number(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    double *out)
{
    const char  *text;

    return scalar_number(ctx, node, path, "a non-negative number", NULL, out,
                         &text);
}

int
cfg_get_duration_ms(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    long long *out)
{
    const char  *text;
    double       v;
    int          rc;

    rc = scalar_number(ctx, node, path, "a duration in seconds (a "
                       "non-negative number)", NULL, &v, &text);
    if (rc <= 0) {
        return rc;
    }
    if (v > 1e9) {
        cfg_error(ctx, node, path, "%s seconds is too long", text);
        return -1;
    }
    *out = llround(v * 1000.0);
    return 1;
}

/* A size: bytes, or a number with KB, MB or GB (powers of 1024). */
int
cfg_get_size_bytes(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    long long *out)
{
    static const unit_t  units[] = {
        { "b", 1 }, { "k", 1024 }, { "kb", 1024 },
        { "m", 1024.0 * 1024 }, { "mb", 1024.0 * 1024 },
        { "g", 1024.0 * 1024 * 1024 }, { "gb", 1024.0 * 1024 * 1024 },
        { NULL, 0 }
    };
    const char           *text;
    double                v;
    int                   rc;

    rc = scalar_number(ctx, node, path, "a size in bytes, or with a unit "
                       "(e.g. 512KB, 100MB, 1GB)", units, &v, &text);
    if (rc <= 0) {
        return rc;
    }
    if (v > 1e15) {
        cfg_error(ctx, node, path, "%s is too large", text);
        return -1;
    }
    *out = llround(v);
    return 1;
}

int
cfg_get_bool(cfg_ctx_t *ctx, yaml_node_t *node, const char *path, int *out)
{
    static const char *const  yes[] = { "true", "yes", "on", "1" };
    static const char *const  no[] = { "false", "no", "off", "0" };
    const char               *text, *from_env;
    size_t                    i;
    int                       rc;

    rc = scalar_text(ctx, node, path, "true or false", &text, &from_env);
    if (rc <= 0) {
        return rc;
    }
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return 1;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return 1;
        }
    }
    bad_value(ctx, node, path, "true or false", text, from_env);
    return -1;
}

int
cfg_expect_mapping(cfg_ctx_t *ctx, yaml_node_t *node, const char *path)
{
    if (node->type == YAML_MAPPING_NODE) {
        return 1;
    }
    if (cfg_is_null(node)) {
        return 0;
    }
    cfg_error(ctx, node, path, "expected a mapping, got %s", cfg_kind(node));
    return -1;
}

int
cfg_expect_list(cfg_ctx_t *ctx, yaml_node_t *node, const char *path)
{
    if (node->type == YAML_SEQUENCE_NODE) {
        return 1;
    }
    if (cfg_is_null(node)) {
        return 0;
    }
    cfg_error(ctx, node, path, "expected a list, got %s", cfg_kind(node));
    return -1;
}

/* A plain scalar that reads as a JSON number, boolean or null. */
static json_t *
plain_scalar_json(const char *v)
{
    char       *end;
    long long   i;
    double      d;

    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0) {
        return json_true();
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0) {
        return json_false();
    }
    if (v[0] != '\0' && strpbrk(v, "xXnN") == NULL
        && (isdigit((unsigned char) v[0]) || v[0] == '-' || v[0] == '.'))
    {
        errno = 0;
        i = strtoll(v, &end, 10);
        if (*end == '\0' && errno == 0) {
            return json_integer(i);
        }
        d = strtod(v, &end);
        if (*end == '\0' && isfinite(d)) {
            return json_real(d);
        }
    }
    return NULL;
}

json_t *
cfg_to_json(cfg_ctx_t *ctx, yaml_node_t *node, const char *path)
{
    char               sub[CFG_PATH_MAX];
    const char        *key, *text, *from_env;
    json_t            *out, *child;
    yaml_node_pair_t  *pair;
    yaml_node_item_t  *item;
    size_t             index = 0;

    switch (node->type) {

    case YAML_MAPPING_NODE:
        out = json_object();
        cfg_for_each_pair(node, pair) {
            key = cfg_key(ctx, cfg_node(ctx, pair->key), path);
            if (key == NULL) {
                json_decref(out);
                return NULL;
            }
            cfg_path(sub, path, key);
            child = cfg_to_json(ctx, cfg_node(ctx, pair->value), sub);
            if (child == NULL) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, key, child);
        }
        return out;

    case YAML_SEQUENCE_NODE:
        out = json_array();
        cfg_for_each_item(node, item) {
            cfg_path_index(sub, path, index++);
            child = cfg_to_json(ctx, cfg_node(ctx, *item), sub);
            if (child == NULL) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, child);
        }
        return out;

    default:
        if (cfg_is_null(node)) {
            return json_null();
        }
        if (scalar_text(ctx, node, path, "a value", &text, &from_env) < 0) {
            return NULL;
        }
        if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
            && from_env == NULL)
        {
            child = plain_scalar_json(text);
            if (child != NULL) {
                return child;
            }
        }
        return json_string(text);
    }
}
