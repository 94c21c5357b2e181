/*
 * Stored responses in a state file (no Redis): PREFIX/state/responses.json
 * beside the key store's keys.json, mode 0600, rewritten atomically after
 * each drained batch.  In memory: "<owner>:<id>" -> {"e": entry text,
 * "x": expiry (wall clock ms)}; expired ones are dropped on every write,
 * and the ones that expire first while the total is over max_bytes.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg_file.h"
#include "ctl_log.h"
#include "store_resp.h"

typedef struct {
    resp_store_t   base;
    char          *path;
    json_t        *items;
    int64_t        bytes;               /* entries and ids together */
    int            dirty;
} resp_file_t;

int64_t
resp_store_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* what an entry counts against max_bytes: as the module counts it */
static int64_t
item_size(const char *key, const json_t *item)
{
    const char  *colon = strchr(key, ':');

    return (int64_t) json_string_length(json_object_get(item, "e"))
           + (int64_t) strlen(colon ? colon + 1 : key);
}

static void
drop(resp_file_t *f, const char *key)
{
    json_t  *item = json_object_get(f->items, key);

    if (item != NULL) {
        f->bytes -= item_size(key, item);
        json_object_del(f->items, key);
        f->dirty = 1;
    }
}

static void
purge(resp_file_t *f, int64_t now, int64_t max_bytes, const char *keep)
{
    const char  *key, *first;
    json_t      *item;
    void        *tmp;
    int64_t      x, min;

    json_object_foreach_safe(f->items, tmp, key, item) {
        if (json_integer_value(json_object_get(item, "x")) <= now) {
            drop(f, key);
        }
    }
    while (max_bytes > 0 && f->bytes > max_bytes) {
        first = NULL;
        min = INT64_MAX;
        json_object_foreach(f->items, key, item) {
            x = json_integer_value(json_object_get(item, "x"));
            if (x < min && (keep == NULL || strcmp(key, keep) != 0)) {
                min = x;
                first = key;
            }
        }
        if (first == NULL) {
            break;
        }
        drop(f, first);
    }
}

static void
item_key(const char *owner, const char *id, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%s", owner, id);
}

static int
file_put(resp_store_t *s, const char *owner, const char *id,
    const char *entry, size_t len, int64_t ttl_ms, int64_t max_bytes)
{
    resp_file_t  *f = (resp_file_t *) s;
    char          key[256];
    json_t       *item;
    int64_t       now = resp_store_now_ms();

    item_key(owner, id, key, sizeof(key));
    drop(f, key);
    item = json_pack("{s:s%, s:I}", "e", entry, len, "x",
                     (json_int_t) (now + ttl_ms));
    if (item == NULL) {
        return -1;                      /* not UTF-8: not the module's */
    }
    json_object_set_new(f->items, key, item);
    f->bytes += item_size(key, item);
    f->dirty = 1;
    purge(f, now, max_bytes, key);
    return 0;
}

static int
file_get(resp_store_t *s, const char *owner, const char *id, char **entry,
    size_t *len)
{
    resp_file_t  *f = (resp_file_t *) s;
    char          key[256];
    json_t       *item, *e;

    item_key(owner, id, key, sizeof(key));
    item = json_object_get(f->items, key);
    if (item == NULL || json_integer_value(json_object_get(item, "x"))
                        <= resp_store_now_ms())
    {
        return 0;
    }
    e = json_object_get(item, "e");
    *len = json_string_length(e);
    *entry = malloc(*len + 1);
    if (*entry == NULL) {
        return -1;
    }
    memcpy(*entry, json_string_value(e), *len + 1);
    return 1;
}

static int
file_del(resp_store_t *s, const char *owner, const char *id)
{
    resp_file_t  *f = (resp_file_t *) s;
    char          key[256];
    json_t       *item;
    int           found;

    item_key(owner, id, key, sizeof(key));
    item = json_object_get(f->items, key);
    found = item != NULL && json_integer_value(json_object_get(item, "x"))
                            > resp_store_now_ms();
    drop(f, key);
    return found;
}

static int
file_commit(resp_store_t *s)
{
    resp_file_t  *f = (resp_file_t *) s;
    json_t       *doc;
    char         *text;
    int           rc;

    if (!f->dirty) {
        return 0;
    }
    purge(f, resp_store_now_ms(), 0, NULL);
    doc = json_pack("{s:i, s:O}", "version", 1, "responses", f->items);
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text == NULL) {
        return -1;
    }
    rc = cfg_write_file_atomic(f->path, text, strlen(text), 0600);
    free(text);
    if (rc != 0) {
        ctl_log("responses: cannot write %s: %s", f->path, strerror(errno));
        return -1;
    }
    f->dirty = 0;
    return 0;
}

static json_t *
file_deleted_since(resp_store_t *s, double *cursor)
{
    return NULL;                        /* one node: nobody else deletes */
}

static void
file_destroy(resp_store_t *s)
{
    resp_file_t  *f = (resp_file_t *) s;

    json_decref(f->items);
    free(f->path);
    free(f);
}

resp_store_t *
resp_store_file_create(const char *path)
{
    resp_file_t  *f = calloc(1, sizeof(*f));
    json_t       *doc, *items, *item;
    const char   *key;
    char         *text;
    int           e;

    if (f == NULL) {
        abort();
    }
    f->path = strdup(path);
    f->items = json_object();
    text = cfg_read_file(path, NULL, &e);
    if (text != NULL) {
        doc = json_loads(text, 0, NULL);
        items = json_object_get(doc, "responses");
        json_object_foreach(items, key, item) {
            if (json_is_string(json_object_get(item, "e"))
                && json_is_integer(json_object_get(item, "x")))
            {
                json_object_set(f->items, key, item);
                f->bytes += item_size(key, item);
            }
        }
        if (doc == NULL) {
            ctl_log("responses: %s is not JSON; starting empty", path);
        }
        json_decref(doc);
        free(text);
    } else if (e != ENOENT) {
        ctl_log("responses: cannot read %s: %s", path, strerror(e));
    }
    purge(f, resp_store_now_ms(), 0, NULL);

    f->base.name = "file";
    f->base.put = file_put;
    f->base.get = file_get;
    f->base.del = file_del;
    f->base.commit = file_commit;
    f->base.deleted_since = file_deleted_since;
    f->base.destroy = file_destroy;
    return &f->base;
}
