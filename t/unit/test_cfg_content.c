/*
 * The content store of named configs (controld/cfg_content.c): names,
 * versions, the list, and the active choice that outlasts a restart of
 * the same --config only.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_content.h"
#include "unit.h"

static char  top[64];

static const char  good[] = "model_list:\n  - model_name: m\n";

UNIT_TEST(make_top)
{
    snprintf(top, sizeof(top), "/tmp/test_cfg_content.XXXXXX");
    CHECK(mkdtemp(top) != NULL);
}

UNIT_TEST(names)
{
    CHECK(cfg_content_valid_name("prod"));
    CHECK(cfg_content_valid_name("team-a_v1.2"));
    CHECK(!cfg_content_valid_name(NULL));
    CHECK(!cfg_content_valid_name(""));
    CHECK(!cfg_content_valid_name(".active"));
    CHECK(!cfg_content_valid_name(".."));
    CHECK(!cfg_content_valid_name("a/b"));
    CHECK(!cfg_content_valid_name("a b"));
    CHECK(cfg_content_valid_name(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    CHECK(!cfg_content_valid_name(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

UNIT_TEST(versions_count_up)
{
    char  err[256], *path = NULL, *dir, name[CFG_CONTENT_NAME_MAX + 1];
    int   count;
    struct stat  sb;

    CHECK(cfg_content_add(top, "config", "prod", good, strlen(good), &path,
                          err, sizeof(err)) == 1);
    CHECK(path != NULL && stat(path, &sb) == 0
          && (sb.st_mode & 0777) == 0600);
    CHECK(cfg_content_which(top, path, name) == 1);
    CHECK_STR(name, "prod");
    free(path);
    CHECK(cfg_content_add(top, "config", "prod", good, strlen(good), NULL,
                          err, sizeof(err)) == 2);
    dir = cfg_content_dir(top, "config", "prod");
    CHECK(cfg_content_latest(dir, &count) == 2 && count == 2);
    free(dir);

    /* not a mapping, not YAML, not a name: nothing kept */
    CHECK(cfg_content_add(top, "config", "bad", "- a\n- b\n", 8, NULL, err,
                          sizeof(err)) == 0);
    CHECK(strstr(err, "mapping") != NULL);
    CHECK(cfg_content_add(top, "config", "bad", "a: [", 4, NULL, err,
                          sizeof(err)) == 0);
    CHECK(strncmp(err, "line ", 5) == 0);
    CHECK(cfg_content_add(top, "config", "../x", good, strlen(good), NULL,
                          err, sizeof(err)) == 0);
    dir = cfg_content_dir(top, "config", "bad");
    CHECK(access(dir, F_OK) != 0);
    free(dir);
}

UNIT_TEST(which_is_strict)
{
    char  name[CFG_CONTENT_NAME_MAX + 1], path[256];

    CHECK(cfg_content_which(top, NULL, name) == 0);
    CHECK(cfg_content_which(top, "/etc/ngx_llm/config.yaml", name) == 0);
    snprintf(path, sizeof(path), "%s/config/prod/x.yaml", top);
    CHECK(cfg_content_which(top, path, name) == 0);
    snprintf(path, sizeof(path), "%s/config/prod/12.yaml", top);
    CHECK(cfg_content_which(top, path, name) == 12);
    snprintf(path, sizeof(path), "%s/config//1.yaml", top);
    CHECK(cfg_content_which(top, path, name) == 0);
}

UNIT_TEST(list_marks_the_active_one)
{
    char    err[256], *active;
    json_t *rows, *row;
    size_t  i;
    int     seen = 0;

    CHECK(cfg_content_add(top, "config", "dev", good, strlen(good), NULL,
                          err, sizeof(err)) == 1);
    active = cfg_content_version_path(top, 0);  /* not in the store */
    rows = cfg_content_list(top, "config", active);
    CHECK(json_array_size(rows) == 2);
    json_array_foreach(rows, i, row) {
        CHECK(!json_is_true(json_object_get(row, "active")));
    }
    json_decref(rows);
    free(active);

    {
        char  *dir = cfg_content_dir(top, "config", "prod");

        active = cfg_content_version_path(dir, 1);
        free(dir);
    }
    rows = cfg_content_list(top, "config", active);
    json_array_foreach(rows, i, row) {
        const char  *n = json_string_value(json_object_get(row, "name"));

        if (strcmp(n, "prod") == 0) {
            seen++;
            CHECK(json_is_true(json_object_get(row, "active")));
            CHECK(json_integer_value(json_object_get(row, "versions")) == 2);
            CHECK(json_integer_value(json_object_get(row, "latest")) == 2);
        } else {
            CHECK(!json_is_true(json_object_get(row, "active")));
        }
    }
    CHECK(seen == 1);
    json_decref(rows);
    free(active);
}

UNIT_TEST(active_for_its_base_only)
{
    char  base[128], other[128], *dir, *named, *got;
    FILE *f;

    snprintf(base, sizeof(base), "%s/config.yaml", top);
    snprintf(other, sizeof(other), "%s/other.yaml", top);
    f = fopen(base, "w");
    fputs(good, f);
    fclose(f);

    CHECK(cfg_content_active(top, base) == NULL);
    dir = cfg_content_dir(top, "config", "prod");
    named = cfg_content_version_path(dir, 2);
    free(dir);
    CHECK(cfg_content_set_active(top, base, named) == 0);
    got = cfg_content_active(top, base);
    CHECK_STR(got, named);
    free(got);

    /* another spelling of the same file is the same base */
    {
        char  spelled[160];

        snprintf(spelled, sizeof(spelled), "%s/./config.yaml", top);
        got = cfg_content_active(top, spelled);
        CHECK_STR(got, named);
        free(got);
    }
    CHECK(cfg_content_active(top, other) == NULL);

    /* a named config that is gone is not run */
    rename(named, "/tmp/test_cfg_content.moved");
    CHECK(cfg_content_active(top, base) == NULL);
    rename("/tmp/test_cfg_content.moved", named);

    CHECK(cfg_content_set_active(top, base, NULL) == 1);
    CHECK(cfg_content_set_active(top, base, NULL) == 0);
    CHECK(cfg_content_active(top, base) == NULL);
    free(named);
}

UNIT_TEST(provider_rows)
{
    char                 err[256], *path;
    json_t              *def;
    llm_provider_set_t   set;
    const char          *json = "{\"wire\": \"openai\", \"api_base\": "
                                "\"http://127.0.0.1:9/v1\", \"key_env\": "
                                "[\"ACME_KEY\"]}";
    const char          *yaml = "name: beta\nauth: header\n"
                                "auth_header: x-beta-key\n"
                                "endpoints: [chat, embeddings]\n";

    /* the name comes from where it is kept; a different one is refused */
    def = cfg_content_provider_def("acme", json, strlen(json), err,
                                   sizeof(err));
    CHECK(def != NULL);
    CHECK_STR(json_string_value(json_object_get(def, "name")), "acme");
    json_decref(def);
    CHECK(cfg_content_provider_def("other", yaml, strlen(yaml), err,
                                   sizeof(err)) == NULL);
    CHECK(strstr(err, "kept as other") != NULL);
    CHECK(cfg_content_provider_def("acme", "{\"wire\": \"x\"}", 13, err,
                                   sizeof(err)) == NULL);
    CHECK(strstr(err, "'wire'") != NULL);
    CHECK(cfg_content_provider_def("acme", "[1, 2]", 6, err, sizeof(err))
          == NULL);

    /* none stored: an empty set */
    CHECK(cfg_content_providers(top, &set, err, sizeof(err)) == 0);
    CHECK(set.nrows == 0);
    llm_provider_set_free(&set);

    CHECK(cfg_content_add(top, "provider", "acme", json, strlen(json), NULL,
                          err, sizeof(err)) == 1);
    CHECK(cfg_content_add(top, "provider", "beta", yaml, strlen(yaml), NULL,
                          err, sizeof(err)) == 1);
    CHECK(cfg_content_providers(top, &set, err, sizeof(err)) == 0);
    CHECK(set.nrows == 2);
    {
        const llm_provider_row_t  *b = llm_provider_find(&set, "beta", 4);

        CHECK(b != NULL && b->auth == LLM_AUTH_HEADER);
        CHECK(b != NULL && b->endpoints == (LLM_EP_CHAT | LLM_EP_EMBEDDINGS));
        CHECK(b != NULL && strcmp(b->auth_header, "x-beta-key") == 0);
        CHECK(llm_provider_find(&set, "acme", 4) != NULL);
        CHECK(llm_provider_find(&set, "groq", 4) != NULL);   /* built-in */
    }
    llm_provider_set_free(&set);

    /* a stored definition edited into nonsense: named in the error */
    {
        char  *dir = cfg_content_dir(top, "provider", "acme");
        FILE  *f;

        path = cfg_content_version_path(dir, 1);
        free(dir);
        f = fopen(path, "w");
        fputs("wire: smoke\n", f);
        fclose(f);
    }
    CHECK(cfg_content_providers(top, &set, err, sizeof(err)) == -1);
    CHECK(strstr(err, "provider/acme/1.yaml") != NULL);
    CHECK(set.nrows == 0);
    free(path);
}

UNIT_TEST(clean_up)
{
    char  cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
    CHECK(system(cmd) == 0);
}

UNIT_MAIN(make_top, names, versions_count_up, which_is_strict,
          list_marks_the_active_one, active_for_its_base_only,
          provider_rows, clean_up)
