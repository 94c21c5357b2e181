/*
 * Spend reports from the Redis store: lifetime totals by key and team, and
 * the per-day totals of the last days, from the hashes usage flushes keep.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys_db.h"
#include "keys_util.h"
#include "store_redis_int.h"
#include "usage_drain.h"

/* kind -> id -> [4] of every id in the set "llm:spend:index:<kind>". */
static int
report_lifetime(store_redis_t *r, json_t *out)
{
    static const char *const  kinds[] = { "key", "team", "model",
                                          "deployment" };
    redis_args_t       a;
    redisReply  *members;
    json_t      *ids;
    char         prefix[64];
    size_t       k, i;
    int          rc = 0;

    for (k = 0; k < 4 && rc == 0; k++) {
        memset(&a, 0, sizeof(a));
        redis_args_add(&a, "SMEMBERS");
        redis_args_addf(&a, "llm:spend:index:%s", kinds[k]);
        members = redis_run(r, &a);
        redis_args_free(&a);
        if (members == NULL || members->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(members);
            return -1;
        }
        ids = json_object();
        for (i = 0; i < members->elements; i++) {
            json_object_set_new(ids, members->element[i]->str, json_true());
        }
        freeReplyObject(members);
        snprintf(prefix, sizeof(prefix), "llm:spend:%s:", kinds[k]);
        rc = redis_load_counts(r, prefix, ids, keys_db_child(out, kinds[k]));
        json_decref(ids);
    }
    return rc;
}

static int
compare_desc(const void *a, const void *b)
{
    return strcmp(*(const char *const *) b, *(const char *const *) a);
}

static int
report_days(store_redis_t *r, int ndays, json_t *out)
{
    redis_args_t        a;
    redisReply   *days, *members;
    const char  **names;
    json_t       *ids, *day_out, *kind_ids;
    const char   *f, *colon, *kind;
    char          prefix[96], kbuf[16];
    size_t        i, j, n;
    int           rc = 0;
    json_t       *v;

    memset(&a, 0, sizeof(a));
    redis_args_add(&a, "SMEMBERS");
    redis_args_add(&a, "llm:spend:days");
    days = redis_run(r, &a);
    redis_args_free(&a);
    if (days == NULL || days->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(days);
        return -1;
    }
    n = days->elements;
    names = calloc(n + 1, sizeof(char *));
    for (i = 0; i < n; i++) {
        names[i] = days->element[i]->str;
    }
    qsort(names, n, sizeof(char *), compare_desc);

    for (i = 0; i < n && (int) i < ndays && rc == 0; i++) {
        memset(&a, 0, sizeof(a));
        redis_args_add(&a, "SMEMBERS");
        redis_args_addf(&a, "llm:spend:dayindex:%s", names[i]);
        members = redis_run(r, &a);
        redis_args_free(&a);
        if (members == NULL || members->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(members);
            rc = -1;
            break;
        }
        /* "kind:id" -> per kind id sets */
        ids = json_object();
        for (j = 0; j < members->elements; j++) {
            f = members->element[j]->str;
            colon = strchr(f, ':');
            if (colon == NULL || (size_t) (colon - f) >= sizeof(kbuf)) {
                continue;
            }
            memcpy(kbuf, f, (size_t) (colon - f));
            kbuf[colon - f] = '\0';
            json_object_set_new(keys_db_child(ids, kbuf), colon + 1,
                                json_true());
        }
        freeReplyObject(members);
        day_out = keys_db_child(out, names[i]);
        json_object_foreach(ids, kind, kind_ids) {
            snprintf(prefix, sizeof(prefix), "llm:spend:day:%s:%s:",
                     names[i], kind);
            if (redis_load_counts(r, prefix, kind_ids,
                                  keys_db_child(day_out, kind)) != 0)
            {
                rc = -1;
            }
        }
        json_decref(ids);
    }
    (void) v;
    free(names);
    freeReplyObject(days);
    return rc;
}

json_t *
redis_report(store_t *s, keys_state_t *st, int days)
{
    store_redis_t  *r = (store_redis_t *) s;
    json_t         *lifetime = json_object(), *by_day = json_object();

    if (report_lifetime(r, lifetime) != 0 || report_days(r, days, by_day)
        != 0)
    {
        json_decref(lifetime);
        json_decref(by_day);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "lifetime", lifetime, "days", by_day);
}
