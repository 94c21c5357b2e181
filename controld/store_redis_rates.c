/*
 * The Redis store's shared rate windows (store_api.h's rates()): the
 * cluster's request and token counts of each limited key, team and user
 * this minute.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys_db.h"
#include "store_redis_int.h"
#include "usage_rates.h"

/*
 * Shared rate windows: one hash per minute, "llm:rl:<minute>", with the
 * fields "<kind>:<id>:req" and "<kind>:<id>:tok".  One pipeline: HINCRBY
 * this node's increments, EXPIRE, HGETALL the minute's totals.  A single
 * hash keeps the read to one command however many ids are limited, and
 * holds only the ids that had traffic this minute.
 */
json_t *
redis_rates(store_t *s, int64_t minute, const rates_list_t *incs)
{
    store_redis_t        *r = (store_redis_t *) s;
    const rates_entry_t  *e;
    redis_args_t               *cmds;
    redisReply          **replies, *all;
    json_t               *totals = NULL, *ids, *v;
    const char           *field, *colon, *suffix;
    char                  hash[48], kind[16], *id;
    size_t                i, n = 0, len;

    snprintf(hash, sizeof(hash), "llm:rl:%lld", (long long) minute);
    cmds = calloc(2 * incs->count + 2, sizeof(redis_args_t));
    replies = calloc(2 * incs->count + 2, sizeof(redisReply *));
    if (cmds == NULL || replies == NULL) {
        abort();
    }
    for (i = 0; i < incs->count; i++) {
        e = &incs->items[i];
        if (e->requests > 0) {
            redis_args_add(&cmds[n], "HINCRBY");
            redis_args_add(&cmds[n], hash);
            redis_args_addf(&cmds[n], "%s:%s:req", e->kind, e->id);
            redis_args_addf(&cmds[n++], "%lld", (long long) e->requests);
        }
        if (e->tokens > 0) {
            redis_args_add(&cmds[n], "HINCRBY");
            redis_args_add(&cmds[n], hash);
            redis_args_addf(&cmds[n], "%s:%s:tok", e->kind, e->id);
            redis_args_addf(&cmds[n++], "%lld", (long long) e->tokens);
        }
    }
    if (n > 0) {
        redis_args_add(&cmds[n], "EXPIRE");
        redis_args_add(&cmds[n], hash);
        redis_args_addf(&cmds[n++], "%d", RATES_TTL_S);
    }
    redis_args_add(&cmds[n], "HGETALL");
    redis_args_add(&cmds[n++], hash);

    if (redis_pipeline(r, cmds, n, replies) == 0) {
        all = replies[n - 1];
        totals = json_object();
        for (i = 0; all != NULL && all->type == REDIS_REPLY_ARRAY
                    && i + 1 < all->elements; i += 2)
        {
            /* "<kind>:<id>:req": a team id may hold ':' itself */
            field = all->element[i]->str;
            colon = strchr(field, ':');
            len = strlen(field);
            if (colon == NULL || (size_t) (colon - field) >= sizeof(kind)
                || len < 4 || field + len - 4 <= colon)
            {
                continue;
            }
            suffix = field + len - 4;
            if (strcmp(suffix, ":req") != 0 && strcmp(suffix, ":tok") != 0) {
                continue;
            }
            memcpy(kind, field, (size_t) (colon - field));
            kind[colon - field] = '\0';
            id = strndup(colon + 1, (size_t) (suffix - colon - 1));
            if (id == NULL) {
                abort();
            }
            ids = keys_db_child(totals, kind);
            v = json_object_get(ids, id);
            if (v == NULL) {
                v = json_pack("[ii]", 0, 0);
                json_object_set_new(ids, id, v);
            }
            json_array_set_new(v, suffix[1] == 'r' ? 0 : 1,
                json_integer(redis_reply_int(all->element[i + 1])));
            free(id);
        }
    }
    for (i = 0; i < n; i++) {
        freeReplyObject(replies[i]);
        redis_args_free(&cmds[i]);
    }
    free(cmds);
    free(replies);
    return totals;
}
