/*
 * A Vertex AI deployment (vertex_ai/M), as LiteLLM configures one:
 * litellm_params vertex_project, vertex_location and vertex_credentials
 * (a service-account JSON file's path, or the JSON itself), else
 * VERTEXAI_PROJECT, VERTEXAI_LOCATION and GOOGLE_APPLICATION_CREDENTIALS.
 *
 * The api_base becomes the project's path of the model family's publisher
 * (llm_provider_family(): publishers/google for Gemini, the module
 * appending /models/M:generateContent as for Gemini; publishers/anthropic
 * for Claude, /models/M:rawPredict); a wildcard (vertex_ai/ "*") lists
 * every family with its own base path ("families"), the module choosing by
 * the model each request names.  The service account goes
 * into the deployment's "oauth2" object: controld's token fetcher
 * (ctl_oauth.c) trades it for an access token and publishes the token in
 * its place, so the private key never reaches nginx.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_compile_int.h"
#include "cfg_env.h"
#include "cfg_file.h"
#include "cfg_jwt.h"
#include "cfg_url.h"


#define VERTEX_SCOPE      "https://www.googleapis.com/auth/cloud-platform"
#define VERTEX_TOKEN_URI  "https://oauth2.googleapis.com/token"


char *
cfg_vertex_base(const char *root, const char *publisher)
{
    size_t  n;
    char   *base;

    n = strlen(root) + sizeof("/publishers/") + strlen(publisher);
    base = malloc(n);
    if (base == NULL) {
        abort();
    }
    snprintf(base, n, "%s/publishers/%s", root, publisher);
    return base;
}


json_t *
cfg_family_endpoints(const llm_provider_family_t *family)
{
    json_t    *eps;
    unsigned   bit;

    eps = json_array();
    for (bit = 1; bit <= family->endpoints && bit != 0; bit <<= 1) {
        if ((family->endpoints & bit) && llm_endpoint_name(bit) != NULL) {
            json_array_append_new(eps, json_string(llm_endpoint_name(bit)));
        }
    }
    return eps;
}


void
cfg_vertex_families(const char *root, const char *provider, json_t *out)
{
    size_t                        i;
    char                         *base;
    json_t                       *list;
    cfg_url_t                     url;
    const char                   *why;
    const llm_provider_family_t  *f;

    list = json_array();
    for (i = 0; (f = llm_provider_family_at(i)) != NULL; i++) {
        if (strcmp(f->provider, provider) != 0) {
            continue;
        }
        base = cfg_vertex_base(root, f->publisher);
        if (cfg_url_parse(base, &url, &why) == 0) {
            json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:s}",
                "prefix", f->prefix, "api", llm_wire_name(f->wire),
                "endpoints", cfg_family_endpoints(f), "base_path",
                url.path));
        }
        free(base);
    }
    json_object_set_new(out, "families", list);
}


static const char *
vertex_value(cfg_ctx_t *ctx, const char *given, const char *env1,
    const char *env2)
{
    const char  *v;

    if (given != NULL && given[0] != '\0') {
        return given;
    }
    v = cfg_env_lookup(ctx->env, env1);
    if ((v == NULL || v[0] == '\0') && env2 != NULL) {
        v = cfg_env_lookup(ctx->env, env2);
    }
    return (v != NULL && v[0] != '\0') ? v : NULL;
}


/* The service account as JSON: the text itself, or the file it names. */
static json_t *
vertex_account(const char *credentials, char *why, size_t whylen)
{
    json_t        *sa;
    json_error_t   jerr;
    char          *text;
    size_t         len;
    int            err;

    if (credentials[strspn(credentials, " \t\r\n")] == '{') {
        sa = json_loads(credentials, 0, &jerr);
        if (sa == NULL) {
            snprintf(why, whylen, "vertex_credentials is not valid JSON "
                     "(line %d: %.80s)", jerr.line, jerr.text);
        }
        return sa;
    }

    text = cfg_read_file(credentials, &len, &err);
    if (text == NULL) {
        snprintf(why, whylen, "cannot read the service-account file "
                 "%.200s: %s", credentials, strerror(err));
        return NULL;
    }
    sa = json_loadb(text, len, 0, &jerr);
    free(text);
    if (sa == NULL) {
        snprintf(why, whylen, "%.200s is not valid JSON (line %d: %.80s)",
                 credentials, jerr.line, jerr.text);
    }
    return sa;
}


int
cfg_vertex_setup(cfg_ctx_t *ctx, const char *project, const char *location,
    const char *credentials, const char *api_base, char **root, json_t *out,
    char *why, size_t whylen)
{
    const char  *email, *key, *uri, *type, *host;
    char         err[160];
    json_t      *sa;
    size_t       n;

    project = vertex_value(ctx, project, "VERTEXAI_PROJECT",
                           "GOOGLE_CLOUD_PROJECT");
    location = vertex_value(ctx, location, "VERTEXAI_LOCATION",
                            "VERTEX_LOCATION");
    credentials = vertex_value(ctx, credentials,
                               "GOOGLE_APPLICATION_CREDENTIALS", NULL);

    if (credentials == NULL) {
        snprintf(why, whylen, "no service account: set litellm_params."
                 "vertex_credentials (a path or the JSON) or "
                 "GOOGLE_APPLICATION_CREDENTIALS");
        return 1;
    }

    sa = vertex_account(credentials, why, whylen);
    if (sa == NULL) {
        return 1;
    }

    type = json_string_value(json_object_get(sa, "type"));
    email = json_string_value(json_object_get(sa, "client_email"));
    key = json_string_value(json_object_get(sa, "private_key"));
    uri = json_string_value(json_object_get(sa, "token_uri"));

    if (type != NULL && strcmp(type, "service_account") != 0) {
        snprintf(why, whylen, "vertex_credentials: type \"%.40s\" is not "
                 "supported (a \"service_account\" key file is)", type);
        json_decref(sa);
        return 1;
    }
    if (email == NULL || key == NULL) {
        snprintf(why, whylen, "vertex_credentials: the service account "
                 "has no %s", email == NULL ? "client_email"
                                            : "private_key");
        json_decref(sa);
        return 1;
    }
    if (cfg_jwt_key_check(key, err, sizeof(err)) != 0) {
        snprintf(why, whylen, "vertex_credentials: %s", err);
        json_decref(sa);
        return 1;
    }
    if (project == NULL) {
        project = json_string_value(json_object_get(sa, "project_id"));
    }
    if (project == NULL || location == NULL) {
        snprintf(why, whylen, "no Vertex AI %s: set litellm_params.%s or %s",
                 project == NULL ? "project" : "location",
                 project == NULL ? "vertex_project" : "vertex_location",
                 project == NULL ? "VERTEXAI_PROJECT" : "VERTEXAI_LOCATION");
        json_decref(sa);
        return 1;
    }
    if (strpbrk(project, "/?#% \t\r\n") != NULL
        || strpbrk(location, "/?#% \t\r\n") != NULL)
    {
        snprintf(why, whylen, "vertex_project and vertex_location cannot "
                 "hold '/', '?', '#', '%%' or spaces");
        json_decref(sa);
        return 1;
    }

    /* "global" has no regional host */
    host = strcmp(location, "global") == 0 ? "" : location;
    n = (api_base ? strlen(api_base) : 64) + strlen(host) + 64
        + strlen(project) + strlen(location);
    *root = malloc(n);
    if (*root == NULL) {
        abort();
    }
    if (api_base != NULL) {
        snprintf(*root, n, "%s/v1/projects/%s/locations/%s", api_base,
                 project, location);
    } else {
        snprintf(*root, n, "https://%s%saiplatform.googleapis.com/v1/"
                 "projects/%s/locations/%s", host, host[0] ? "-" : "",
                 project, location);
    }

    json_object_set_new(out, "oauth2", json_pack("{s:s, s:s, s:s, s:s}",
        "client_email", email, "private_key", key,
        "token_uri", uri ? uri : VERTEX_TOKEN_URI, "scope", VERTEX_SCOPE));
    json_object_set_new(out, "region_name", json_string(location));
    json_decref(sa);
    return 0;
}
