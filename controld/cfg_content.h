/*
 * The content store: named configs kept with their history, shared by
 * llmctl (`llmctl content ...`) and controld (the console's Config page).
 *
 *   TOP/config/NAME/1.yaml, 2.yaml, ...   every version added (0600)
 *   TOP/config/.active                    the named config that controld
 *                                         runs instead of --config
 *
 * TOP is PREFIX/content under llmctl and /var/lib/ngx_llm/content in the
 * package.  `.active` records the --config it replaces ("base"): a
 * controld started with another --config (llmctl reload --config, an
 * edited unit) does not apply it, so a choice made in the console lasts
 * across restarts of the same service and no longer than that.
 */

#ifndef CFG_CONTENT_H
#define CFG_CONTENT_H

#include <stddef.h>

#include <jansson.h>

#include "llm_provider.h"

#define CFG_CONTENT_NAME_MAX  64

/* 1 when n is a usable name: letters, digits, "-", "_", "." (not first). */
int cfg_content_valid_name(const char *n);

/* TOP/TYPE, TOP/TYPE/NAME and DIR/V.yaml (malloc'd). */
char *cfg_content_type_dir(const char *top, const char *type);
char *cfg_content_dir(const char *top, const char *type, const char *name);
char *cfg_content_version_path(const char *dir, int version);

/* Highest version in dir (0: none); *count gets how many there are. */
int cfg_content_latest(const char *dir, int *count);

/*
 * Checks that text is YAML with a mapping at the top, then stores it as
 * the next version of NAME.  Returns the version (>= 1), or 0 with why in
 * err.  *path (when not NULL) gets the new file's path (malloc'd).
 */
int cfg_content_add(const char *top, const char *type, const char *name,
    const char *text, size_t len, char **path, char *err, size_t size);

/*
 * The named configs as [{name, versions, latest, updated, active}], newest
 * first by update time; `active` compares with active_path (may be NULL).
 */
json_t *cfg_content_list(const char *top, const char *type,
    const char *active_path);

/* The named config that replaces `base`, or NULL (malloc'd path). */
char *cfg_content_active(const char *top, const char *base);

/* Records path as what runs instead of base: 0, or -1 with errno.  With
 * path NULL, forgets it: 1 when there was one, 0 when not, -1. */
int cfg_content_set_active(const char *top, const char *base,
    const char *path);

/* "NAME" and the version of a path inside TOP/config (0 when it is not
 * one); name gets at most CFG_CONTENT_NAME_MAX + 1 bytes. */
int cfg_content_which(const char *top, const char *path, char *name);

/*
 * Provider rows kept as `--type provider` (TOP/provider/NAME/N.yaml, a
 * definition in JSON or YAML as llm_provider_from_json reads it): the
 * OpenAI-compatible table grows without a rebuild.  Every name's newest
 * version is in force, searched before the built-in rows.
 */

/* The definition in text, checked as a row named `name` (its "name" may
 * be left out): the JSON, or NULL with why in err. */
json_t *cfg_content_provider_def(const char *name, const char *text,
    size_t len, char *err, size_t size);

/* Loads the stored rows into set (empty when there are none).  0, or -1
 * with err naming the definition that is wrong. */
int cfg_content_providers(const char *top, llm_provider_set_t *set,
    char *err, size_t size);

#endif
