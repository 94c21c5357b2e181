/*
 * Provider definitions in the content store (cfg_content.h): YAML or JSON
 * text to the JSON llm_provider_from_json reads, and the store's rows as a
 * provider set for the config compiler.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cfg_content.h"
#include "cfg_file.h"

#define PROVIDER_TYPE  "provider"

/* A YAML node as JSON: every scalar a string (a row's fields all are). */
static json_t *
node_json(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    yaml_node_item_t  *item;
    yaml_node_pair_t  *pair;
    yaml_node_t       *k, *v;
    json_t            *out;

    if (node == NULL || depth > 8) {
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return json_stringn((const char *) node->data.scalar.value,
                            node->data.scalar.length);
    case YAML_SEQUENCE_NODE:
        out = json_array();
        for (item = node->data.sequence.items.start;
             item < node->data.sequence.items.top; item++)
        {
            v = yaml_document_get_node(doc, *item);
            if (json_array_append_new(out, node_json(doc, v, depth + 1))
                != 0)
            {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    case YAML_MAPPING_NODE:
        out = json_object();
        for (pair = node->data.mapping.pairs.start;
             pair < node->data.mapping.pairs.top; pair++)
        {
            k = yaml_document_get_node(doc, pair->key);
            v = yaml_document_get_node(doc, pair->value);
            if (k == NULL || k->type != YAML_SCALAR_NODE
                || json_object_setn_new(out, (const char *) k->data.scalar.value,
                                        k->data.scalar.length,
                                        node_json(doc, v, depth + 1)) != 0)
            {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    default:
        return NULL;
    }
}

json_t *
cfg_content_provider_def(const char *name, const char *text, size_t len,
    char *err, size_t size)
{
    yaml_parser_t        parser;
    yaml_document_t      doc;
    llm_provider_row_t   row;
    json_t              *def = NULL;
    const char          *given;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, size, "line %zu: %s", parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "YAML/JSON syntax");
        yaml_parser_delete(&parser);
        return NULL;
    }
    def = node_json(&doc, yaml_document_get_root_node(&doc), 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);

    if (!json_is_object(def)) {
        snprintf(err, size, "expected a mapping (a provider definition)");
        json_decref(def);
        return NULL;
    }
    given = json_string_value(json_object_get(def, "name"));
    if (given == NULL) {
        json_object_set_new(def, "name", json_string(name));
    } else if (strcmp(given, name) != 0) {
        snprintf(err, size, "'name' is \"%.64s\", but it is kept as %s",
                 given, name);
        json_decref(def);
        return NULL;
    }
    if (llm_provider_from_json(def, &row, err, size) != 0) {
        json_decref(def);
        return NULL;
    }
    return def;
}

int
cfg_content_providers(const char *top, llm_provider_set_t *set, char *err,
    size_t size)
{
    char            *tdir, *dir, *path, *text, why[200];
    DIR             *d;
    struct dirent   *e;
    json_t          *defs = json_array(), *def;
    size_t           len;
    int              count, v, rc = 0, ioerr;

    tdir = cfg_content_type_dir(top, PROVIDER_TYPE);
    d = opendir(tdir);
    while (rc == 0 && d != NULL && (e = readdir(d)) != NULL) {
        if (!cfg_content_valid_name(e->d_name)) {
            continue;
        }
        dir = cfg_content_dir(top, PROVIDER_TYPE, e->d_name);
        v = cfg_content_latest(dir, &count);
        if (v > 0) {
            path = cfg_content_version_path(dir, v);
            text = cfg_read_file(path, &len, &ioerr);
            def = text ? cfg_content_provider_def(e->d_name, text, len, why,
                                                  sizeof(why))
                       : NULL;
            if (def == NULL) {
                snprintf(err, size, "%s: %s", path,
                         text ? why : strerror(ioerr));
                rc = -1;
            } else {
                json_array_append_new(defs, def);
            }
            free(text);
            free(path);
        }
        free(dir);
    }
    if (d != NULL) {
        closedir(d);
    }
    free(tdir);
    if (rc == 0) {
        rc = llm_provider_set_load(set, defs, err, size);
    } else {
        memset(set, 0, sizeof(*set));
    }
    json_decref(defs);
    return rc;
}
