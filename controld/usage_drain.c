/* Usage watermarks and deltas (see usage_drain.h). */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usage_drain.h"

const char *const  usage_kinds[USAGE_KINDS] = { "key", "team", "deployment" };

/* The module's section names for each kind. */
static const char *const  answer_sections[USAGE_KINDS] = {
    "keys", "teams", "deployments"
};

void
usage_state_init(usage_state_t *st)
{
    memset(st, 0, sizeof(*st));
    st->seen = json_object();
    st->marks = json_object();
}

void
usage_state_free(usage_state_t *st)
{
    free(st->epoch);
    json_decref(st->seen);
    json_decref(st->marks);
    memset(st, 0, sizeof(*st));
}

json_t *
usage_counts_json(const usage_counts_t *c)
{
    return json_pack("[IIII]", (json_int_t) c->spend, (json_int_t) c->prompt,
                     (json_int_t) c->completion, (json_int_t) c->requests);
}

int
usage_counts_from_json(const json_t *v, usage_counts_t *c)
{
    memset(c, 0, sizeof(*c));
    if (!json_is_array(v) || json_array_size(v) != 4) {
        return -1;
    }
    c->spend = json_integer_value(json_array_get(v, 0));
    c->prompt = json_integer_value(json_array_get(v, 1));
    c->completion = json_integer_value(json_array_get(v, 2));
    c->requests = json_integer_value(json_array_get(v, 3));
    return 0;
}

/* A counter from the module: a non-negative integer, else 0. */
static int64_t
counter(const json_t *obj, const char *name)
{
    json_t  *v = json_object_get(obj, name);

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        return json_integer_value(v);
    }
    if (json_is_real(v) && json_real_value(v) > 0) {
        return (int64_t) json_real_value(v);
    }
    return 0;
}

int
usage_observe(usage_state_t *st, const json_t *answer)
{
    const char  *epoch, *id;
    json_t      *section, *entry, *seen;
    usage_counts_t  c;
    size_t       k;
    int          changed = 0;
    char         buf[32];

    if (!json_is_object(answer)) {
        return -1;
    }
    epoch = json_string_value(json_object_get(answer, "epoch"));
    if (epoch == NULL && json_is_integer(json_object_get(answer, "epoch"))) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(answer, "epoch")));
        epoch = buf;
    }
    if (epoch == NULL || epoch[0] == '\0') {
        return -1;
    }

    if (st->epoch == NULL || strcmp(st->epoch, epoch) != 0) {
        /* A new zone: its counters started from 0; nothing of the old
         * epoch can be read any more. */
        free(st->epoch);
        st->epoch = strdup(epoch);
        json_object_clear(st->seen);
        json_object_clear(st->marks);
        st->marks_loaded = 0;
        changed = 1;
    }

    for (k = 0; k < USAGE_KINDS; k++) {
        section = json_object_get(answer, answer_sections[k]);
        if (!json_is_object(section)) {
            continue;
        }
        seen = json_object_get(st->seen, usage_kinds[k]);
        if (seen == NULL) {
            seen = json_object();
            json_object_set_new(st->seen, usage_kinds[k], seen);
        }
        json_object_foreach(section, id, entry) {
            c.spend = counter(entry, "spend_micros");
            c.prompt = counter(entry, "prompt_tokens");
            c.completion = counter(entry, "completion_tokens");
            c.requests = counter(entry, "requests");
            json_object_set_new(seen, id, usage_counts_json(&c));
        }
    }
    return changed;
}

void
usage_set_marks(usage_state_t *st, json_t *marks)
{
    json_decref(st->marks);
    st->marks = marks != NULL ? json_incref(marks) : json_object();
    st->marks_loaded = 1;
}

static int64_t
delta(int64_t now, int64_t mark)
{
    return now >= mark ? now - mark : now;
}

void
usage_pending(const usage_state_t *st, const json_t *groups,
    usage_batch_t *out)
{
    const char      *id, *group;
    json_t          *seen, *marks, *v;
    usage_counts_t   now, mark;
    usage_entry_t   *e;
    size_t           k, cap = 0;

    memset(out, 0, sizeof(*out));
    if (!st->marks_loaded) {
        return;              /* unknown marks: any delta could be a double */
    }

    for (k = 0; k < USAGE_KINDS; k++) {
        seen = json_object_get(st->seen, usage_kinds[k]);
        marks = json_object_get(st->marks, usage_kinds[k]);
        json_object_foreach(seen, id, v) {
            usage_counts_from_json(v, &now);
            if (usage_counts_from_json(json_object_get(marks, id), &mark)
                != 0)
            {
                memset(&mark, 0, sizeof(mark));
                if (now.spend == 0 && now.prompt == 0 && now.completion == 0
                    && now.requests == 0)
                {
                    continue;
                }
            } else if (memcmp(&now, &mark, sizeof(now)) == 0) {
                continue;
            }

            if (out->count == cap) {
                cap = cap ? cap * 2 : 16;
                out->items = realloc(out->items, cap * sizeof(*e));
                if (out->items == NULL) {
                    abort();
                }
            }
            e = &out->items[out->count++];
            memset(e, 0, sizeof(*e));
            e->kind = usage_kinds[k];
            e->id = strdup(id);
            e->had_mark = json_object_get(marks, id) != NULL;
            e->old_mark = mark;
            e->new_mark = now;
            e->delta.spend = delta(now.spend, mark.spend);
            e->delta.prompt = delta(now.prompt, mark.prompt);
            e->delta.completion = delta(now.completion, mark.completion);
            e->delta.requests = delta(now.requests, mark.requests);
            if (k == 2) {
                group = json_string_value(json_object_get(groups, id));
                e->group = strdup(group ? group : "unknown");
            }
        }
    }
}

void
usage_commit(usage_state_t *st, const usage_batch_t *b)
{
    json_t  *marks;
    size_t   i;

    for (i = 0; i < b->count; i++) {
        marks = json_object_get(st->marks, b->items[i].kind);
        if (marks == NULL) {
            marks = json_object();
            json_object_set_new(st->marks, b->items[i].kind, marks);
        }
        json_object_set_new(marks, b->items[i].id,
                            usage_counts_json(&b->items[i].new_mark));
    }
}

void
usage_mark_text(const usage_counts_t *c, int present, char *out, size_t size)
{
    if (!present) {
        snprintf(out, size, "%s", "");
        return;
    }
    snprintf(out, size, "%" PRId64 ":%" PRId64 ":%" PRId64 ":%" PRId64,
             c->spend, c->prompt, c->completion, c->requests);
}

int
usage_mark_parse(const char *text, usage_counts_t *c)
{
    long long  s, p, co, r;

    memset(c, 0, sizeof(*c));
    if (text == NULL || sscanf(text, "%lld:%lld:%lld:%lld", &s, &p, &co, &r)
        != 4)
    {
        return -1;
    }
    c->spend = s;
    c->prompt = p;
    c->completion = co;
    c->requests = r;
    return 0;
}

void
usage_batch_free(usage_batch_t *b)
{
    size_t  i;

    for (i = 0; i < b->count; i++) {
        free(b->items[i].id);
        free(b->items[i].group);
    }
    free(b->items);
    memset(b, 0, sizeof(*b));
}
