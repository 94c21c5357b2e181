/*
 * The console's named configs (the content store llmctl content keeps,
 * cfg_content.h), admin sessions only:
 *
 *   GET  /ui/api/config/named          {source, configs: [...]}
 *   GET  /ui/api/config/named/get?name=N[&version=V]
 *        {name, version, versions, ok, messages, config}: the version
 *        compiled (not run), secrets masked as on the Config page
 *   POST /ui/api/config/named/add      {"name": N, "yaml": "..."}
 *        a new version, kept only when it compiles
 *   POST /ui/api/config/named/apply    {"name": N[, "version": V]}
 *        compiled first; one with errors is refused (400, its messages)
 *        and what runs is unchanged; else controld runs it with the same
 *        zero-failure reload as llmctl reload, and keeps running it after
 *        a restart
 *   POST /ui/api/config/base/apply     back to --config (config.yaml)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_content.h"
#include "cfg_file.h"
#include "mgmt_int.h"

#define CONTENT_TYPE  "config"

/* The version's path ("version" absent or 0: the newest), or NULL. */
static char *
version_path(mgmt_call_t *c, const char *name, int version, int *chosen,
    int *count, keys_error_t *err)
{
    char  *dir = cfg_content_dir(c->svc->content_dir, CONTENT_TYPE, name);
    char  *path;
    int    latest = cfg_content_latest(dir, count);

    if (latest == 0 || version < 0 || version > latest) {
        free(dir);
        keys_fail(err, 404, "name", latest == 0
                  ? "no named config %s" : "%s has no version %d",
                  name, version);
        return NULL;
    }
    *chosen = version ? version : latest;
    path = cfg_content_version_path(dir, *chosen);
    free(dir);
    if (access(path, R_OK) != 0) {
        keys_fail(err, 404, "version", "%s has no version %d", name, *chosen);
        free(path);
        return NULL;
    }
    return path;
}

/* name (and version) from the body or the query; 0 when answered. */
static int
chosen_config(mgmt_call_t *c, char **name, int *version, keys_error_t *err)
{
    json_t  *v = json_object_get(c->body, "version");
    char    *text;

    *name = mgmt_arg(c, "name");
    if (!cfg_content_valid_name(*name)) {
        free(*name);
        *name = NULL;
        return keys_fail(err, 400, "name", "name is required: 1 to %d "
                         "letters, digits, - _ . (not starting with .)",
                         CFG_CONTENT_NAME_MAX);
    }
    *version = 0;
    if (json_is_integer(v)) {
        *version = (int) json_integer_value(v);
    } else if ((text = http_query_param(c->req, "version")) != NULL) {
        *version = atoi(text);
        free(text);
    }
    return 0;
}

/* 400 with the compiler's messages: the config was not kept or run. */
static int
refuse(mgmt_call_t *c, const char *what, json_t *messages)
{
    mgmt_reply(c, 400, json_pack("{s:{s:s, s:s, s:n, s:s, s:o}}", "error",
               "message", what, "type", "invalid_request_error", "param",
               "code", "400", "messages", messages));
    return 0;
}

/* The version's text, compiled; -1 with err when it cannot be read. */
static int
check_version(mgmt_call_t *c, const char *path, json_t *messages,
    json_t **view, int *ok, keys_error_t *err)
{
    char    *text;
    size_t   len;
    int      e;

    text = cfg_read_file(path, &len, &e);
    if (text == NULL) {
        return keys_fail(err, 500, NULL, "cannot read the named config: %s",
                         strerror(e));
    }
    *ok = c->svc->check_config(c->svc->check_arg, path, text, len, messages,
                               view) == 0;
    free(text);
    return 0;
}

/* A named config a call chose: its newest version unless "version". */
typedef struct {
    char    *name;
    char    *path;
    int      version;
    int      count;                     /* versions there are */
    int      ok;                        /* it compiles */
    json_t  *messages;                  /* the compiler's */
} choice_t;

static void
choice_free(choice_t *ch)
{
    free(ch->name);
    free(ch->path);
    json_decref(ch->messages);
}

/* The chosen version, read and compiled: 0, or -1 with err. */
static int
choose(mgmt_call_t *c, choice_t *ch, json_t **view, keys_error_t *err)
{
    int  version;

    memset(ch, 0, sizeof(*ch));
    if (chosen_config(c, &ch->name, &version, err) != 0) {
        return -1;
    }
    ch->path = version_path(c, ch->name, version, &ch->version, &ch->count,
                            err);
    if (ch->path == NULL) {
        return -1;
    }
    ch->messages = json_array();
    return check_version(c, ch->path, ch->messages, view, &ch->ok, err);
}

static int
named_list(mgmt_call_t *c, keys_error_t *err)
{
    const char  *running;

    (void) err;
    running = json_string_value(json_object_get(c->svc->config_source,
                                                "file"));
    return mgmt_reply(c, 200, json_pack("{s:O, s:o}", "source",
                      c->svc->config_source ? c->svc->config_source
                                            : json_null(),
                      "configs", cfg_content_list(c->svc->content_dir,
                                                  CONTENT_TYPE, running)));
}

static int
named_get(mgmt_call_t *c, keys_error_t *err)
{
    choice_t   ch;
    json_t    *view = NULL;

    if (choose(c, &ch, &view, err) != 0) {
        choice_free(&ch);
        return -1;
    }
    mgmt_reply(c, 200, json_pack("{s:s, s:i, s:i, s:b, s:O, s:o}",
               "name", ch.name, "version", ch.version, "versions", ch.count,
               "ok", ch.ok, "messages", ch.messages,
               "config", view ? view : json_null()));
    choice_free(&ch);
    return 0;
}

static int
named_add(mgmt_call_t *c, keys_error_t *err)
{
    const char  *yaml = json_string_value(json_object_get(c->body, "yaml"));
    char        *name, why[256];
    int          version;
    json_t      *messages;

    if (chosen_config(c, &name, &version, err) != 0) {
        return -1;
    }
    if (yaml == NULL || yaml[0] == '\0') {
        free(name);
        return keys_fail(err, 400, "yaml", "yaml is required: the config "
                         "file's text");
    }

    /* compiled before it is kept, so that every version can be applied */
    messages = json_array();
    if (c->svc->check_config(c->svc->check_arg, name, yaml, strlen(yaml),
                             messages, NULL) != 0)
    {
        free(name);
        return refuse(c, "the config has errors; it was not added",
                      messages);
    }
    version = cfg_content_add(c->svc->content_dir, CONTENT_TYPE, name, yaml,
                              strlen(yaml), NULL, why, sizeof(why));
    if (version == 0) {
        free(name);
        json_decref(messages);
        return keys_fail(err, 400, "yaml", "%s", why);
    }
    mgmt_reply(c, 200, json_pack("{s:s, s:i, s:o}", "name", name,
                                 "version", version, "messages", messages));
    free(name);
    return 0;
}

static int
named_apply(mgmt_call_t *c, keys_error_t *err)
{
    choice_t  ch;

    if (choose(c, &ch, NULL, err) != 0) {
        choice_free(&ch);
        return -1;
    }
    if (!ch.ok) {
        refuse(c, "the config has errors; what runs is unchanged",
               json_incref(ch.messages));
        choice_free(&ch);
        return 0;
    }

    /* controld's loop runs it after this answer (controld_loop.c) */
    free(c->svc->switch_to);
    c->svc->switch_to = ch.path;
    ch.path = NULL;
    mgmt_reply(c, 202, json_pack("{s:s, s:i, s:O}", "applying", ch.name,
                                 "version", ch.version,
                                 "messages", ch.messages));
    choice_free(&ch);
    return 0;
}

static int
base_apply(mgmt_call_t *c, keys_error_t *err)
{
    (void) err;
    free(c->svc->switch_to);
    c->svc->switch_to = strdup("");
    return mgmt_reply(c, 202, json_pack("{s:s}", "applying",
                      json_string_value(json_object_get(
                          c->svc->config_source, "base"))));
}

int
mgmt_config_content(mgmt_call_t *c, const char *sub)
{
    static const struct {
        const char  *method;
        const char  *path;
        int        (*run)(mgmt_call_t *c, keys_error_t *err);
    } routes[] = {
        { "GET", "/config/named", named_list },
        { "GET", "/config/named/get", named_get },
        { "POST", "/config/named/add", named_add },
        { "POST", "/config/named/apply", named_apply },
        { "POST", "/config/base/apply", base_apply },
    };
    keys_error_t  err;
    size_t        i;

    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, sub) != 0
            || strcmp(routes[i].method, c->req->method) != 0)
        {
            continue;
        }
        memset(&err, 0, sizeof(err));
        if (c->svc->content_dir == NULL) {
            keys_fail(&err, 409, NULL, "named configs need controld "
                      "--content-dir");
            mgmt_reply_error(c, &err);
        } else if (routes[i].run(c, &err) != 0) {
            mgmt_reply_error(c, &err);
        }
        return 1;
    }
    return 0;
}
