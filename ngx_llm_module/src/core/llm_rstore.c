/*
 * Stored responses: the entries kept, the conversation put in front of a
 * follow-up request, and the objects of GET/DELETE /v1/responses/{id}
 * (see llm_rstore.h).
 */

#include <stdio.h>
#include <string.h>

#include "llm_json_scan.h"
#include "llm_json_tree.h"
#include "llm_rstore.h"

#define LLM_RSTORE_DUMP  (JSON_COMPACT | JSON_PRESERVE_ORDER)

static json_t *
llm_rstore_load(const char *in, size_t len)
{
    json_t  *j = llm_json_load(in, len, 0, NULL);

    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* a top-level member's name, decoded, is name */
static int
llm_rstore_key_is(const char *p, size_t start, size_t end, const char *name)
{
    char    buf[32];
    size_t  n = strlen(name);

    if (end - start == n + 2 && memcmp(p + start + 1, name, n) == 0) {
        return 1;
    }
    /* an escaped name ("\u0073tore") is the same member to a parser */
    return memchr(p + start, '\\', end - start) != NULL
           && llm_json_string_value(p, start, end, buf, sizeof(buf))
              == (long) n
           && memcmp(buf, name, n) == 0;
}

typedef struct {
    llm_rstore_req_t  *q;
    int                bad;
} llm_rstore_scan_t;

static int
llm_rstore_request_member(const char *p, size_t ks, size_t ke, size_t ve,
    void *arg)
{
    size_t              vs;
    llm_rstore_scan_t  *sc = arg;

    vs = ke;
    while (vs < ve && (p[vs] == ' ' || p[vs] == '\t' || p[vs] == '\n'
                       || p[vs] == '\r' || p[vs] == ':'))
    {
        vs++;
    }

    if (llm_rstore_key_is(p, ks, ke, "store")) {
        sc->q->store = llm_json_bool_value(p, vs, ve) != 0;

    } else if (llm_rstore_key_is(p, ks, ke, "previous_response_id")) {
        if (ve - vs == 4 && memcmp(p + vs, "null", 4) == 0) {
            sc->q->previous[0] = '\0';
            sc->bad = 0;

        } else {
            sc->bad = llm_json_string_value(p, vs, ve, sc->q->previous,
                                            sizeof(sc->q->previous)) <= 0;
        }
    }
    return 0;
}

int
llm_rstore_read_request(const char *body, size_t len, llm_rstore_req_t *q,
    char *err, size_t errlen)
{
    llm_rstore_scan_t  sc;

    q->store = 1;
    q->previous[0] = '\0';
    sc.q = q;
    sc.bad = 0;

    if (llm_json_members_each(body, len, llm_rstore_request_member, &sc)
        != 0)
    {
        return -1;
    }
    if (sc.bad) {
        q->previous[0] = '\0';
        snprintf(err, errlen, "previous_response_id must be a response "
                 "id (a string of at most %d characters)",
                 LLM_RSTORE_ID_MAX - 1);
        return -1;
    }
    return 0;
}

/* a request's input as a list of items (a string: one user message) */
static json_t *
llm_rstore_input(const json_t *input)
{
    if (json_is_string(input)) {
        return json_pack("[{s:s,s:s,s:[{s:s,s:O}]}]", "type", "message",
                         "role", "user", "content", "type", "input_text",
                         "text", input);
    }
    if (json_is_array(input)) {
        return json_deep_copy(input);
    }
    return NULL;
}

int
llm_rstore_prepend(const char *body, size_t len, const char *entry,
    size_t elen, llm_buf_t *out)
{
    int      rc = -1;
    json_t  *b, *e, *conv, *in, *output;

    b = llm_rstore_load(body, len);
    e = llm_rstore_load(entry, elen);
    if (b == NULL || e == NULL) {
        goto done;
    }
    in = llm_rstore_input(json_object_get(b, "input"));
    conv = json_deep_copy(json_object_get(e, "input"));
    output = json_object_get(json_object_get(e, "response"), "output");
    if (in == NULL || !json_is_array(conv)) {
        json_decref(in);
        json_decref(conv);
        goto done;
    }
    if (json_is_array(output)) {
        json_array_extend(conv, output);
    }
    json_array_extend(conv, in);
    json_decref(in);
    json_object_set_new(b, "input", conv);
    rc = llm_json_dump_buf(b, LLM_RSTORE_DUMP, out);

done:
    json_decref(b);
    json_decref(e);
    return rc;
}

int
llm_rstore_entry(const char *body, size_t len, const char *resp,
    size_t rlen, llm_buf_t *out, char *id, size_t idlen)
{
    int          rc = -1;
    char         item_id[LLM_RSTORE_ID_MAX + 32];
    size_t       i;
    json_t      *b, *r, *in, *it;
    const char  *rid, *status;

    b = llm_rstore_load(body, len);
    r = llm_rstore_load(resp, rlen);
    if (b == NULL || r == NULL) {
        goto done;
    }
    rid = json_string_value(json_object_get(r, "id"));
    status = json_string_value(json_object_get(r, "status"));
    if (rid == NULL || strlen(rid) >= LLM_RSTORE_ID_MAX || strlen(rid) < 5
        || strcmp(json_string_value(json_object_get(r, "object")) ?: "",
                  "response") != 0
        || (status && strcmp(status, "failed") == 0))
    {
        goto done;
    }
    in = llm_rstore_input(json_object_get(b, "input"));
    if (in == NULL) {
        goto done;
    }

    /* input items get ids as OpenAI gives them (msg_...), from the
       response's own: unique, and stable for the list's after= */
    json_array_foreach(in, i, it) {
        if (json_is_object(it) && json_object_get(it, "id") == NULL) {
            snprintf(item_id, sizeof(item_id), "msg_%s_%zu", rid + 5, i);
            json_object_set_new(it, "id", json_string(item_id));
        }
    }
    snprintf(id, idlen, "%s", rid);
    it = json_pack("{s:o,s:O}", "input", in, "response", r);
    rc = it ? llm_json_dump_buf(it, LLM_RSTORE_DUMP, out) : -1;
    json_decref(it);

done:
    json_decref(b);
    json_decref(r);
    return rc;
}

int
llm_rstore_response(const char *entry, size_t elen, llm_buf_t *out)
{
    int      rc = -1;
    json_t  *e = llm_rstore_load(entry, elen);
    json_t  *r = json_object_get(e, "response");

    if (json_is_object(r)) {
        rc = llm_json_dump_buf(r, LLM_RSTORE_DUMP, out);
    }
    json_decref(e);
    return rc;
}

int
llm_rstore_input_items(const char *entry, size_t elen, const char *order,
    long limit, const char *after, llm_buf_t *out, char *err, size_t errlen)
{
    int          rc = -1, desc;
    long         n, i, start, step, total;
    json_t      *e, *in, *data, *it;
    const char  *iid;

    if (order != NULL && strcmp(order, "asc") != 0
        && strcmp(order, "desc") != 0)
    {
        snprintf(err, errlen, "order must be \"asc\" or \"desc\"");
        return -1;
    }
    if (limit < 1 || limit > 100) {
        snprintf(err, errlen, "limit must be from 1 to 100");
        return -1;
    }
    desc = order == NULL || strcmp(order, "desc") == 0;

    e = llm_rstore_load(entry, elen);
    in = json_object_get(e, "input");
    if (!json_is_array(in)) {
        snprintf(err, errlen, "the stored response is damaged");
        json_decref(e);
        return -1;
    }
    total = (long) json_array_size(in);
    step = desc ? -1 : 1;
    start = desc ? total - 1 : 0;

    if (after != NULL && *after) {
        for (i = start; i >= 0 && i < total; i += step) {
            iid = json_string_value(json_object_get(json_array_get(in, i),
                                                    "id"));
            if (iid && strcmp(iid, after) == 0) {
                break;
            }
        }
        if (i < 0 || i >= total) {
            snprintf(err, errlen, "after: no input item %s in this response",
                     after);
            json_decref(e);
            return -1;
        }
        start = i + step;
    }

    data = json_array();
    for (i = start, n = 0; i >= 0 && i < total && n < limit; i += step, n++) {
        json_array_append(data, json_array_get(in, i));
    }
    it = json_pack("{s:s,s:o,s:O,s:O,s:b}", "object", "list", "data", data,
                   "first_id", json_object_get(json_array_get(data, 0), "id")
                               ?: json_null(),
                   "last_id", json_object_get(json_array_get(data, n - 1),
                                              "id") ?: json_null(),
                   "has_more", i >= 0 && i < total);
    if (it != NULL) {
        rc = llm_json_dump_buf(it, LLM_RSTORE_DUMP, out);
        json_decref(it);
    }
    json_decref(e);
    return rc;
}

void
llm_rstore_deleted(const char *id, llm_buf_t *out)
{
    json_t  *j = json_pack("{s:s,s:s,s:b}", "id", id, "object", "response",
                           "deleted", 1);

    llm_json_dump_buf(j, LLM_RSTORE_DUMP, out);
    json_decref(j);
}

void
llm_rstore_not_found(const char *id, int previous, llm_buf_t *out)
{
    char     msg[LLM_RSTORE_ID_MAX + 64];
    json_t  *j;

    snprintf(msg, sizeof(msg), "%s with id '%.*s' not found.",
             previous ? "Previous response" : "Response", LLM_RSTORE_ID_MAX,
             id);
    j = json_pack("{s:{s:s,s:s,s:o,s:o}}", "error", "message", msg, "type",
                  "invalid_request_error",
                  "param", previous ? json_string("previous_response_id")
                                    : json_null(),
                  "code", previous ? json_string("previous_response_not_found")
                                   : json_null());
    llm_json_dump_buf(j, LLM_RSTORE_DUMP, out);
    json_decref(j);
}

int
llm_rstore_upstream_entry(const char *deployment, llm_buf_t *out)
{
    int      rc;
    json_t  *j = json_pack("{s:{s:s}}", "upstream", "deployment",
                           deployment);

    rc = j ? llm_json_dump_buf(j, LLM_RSTORE_DUMP, out) : -1;
    json_decref(j);
    return rc;
}

llm_rstore_kind_t
llm_rstore_kind(const char *entry, size_t len, char *dep, size_t deplen)
{
    json_t      *e;
    const char  *s;

    /* the gateway writes both kinds: the first member says which */
    if (len < 12 || memcmp(entry, "{\"upstream\":", 12) != 0) {
        return LLM_RSTORE_STORED;
    }
    e = llm_rstore_load(entry, len);
    s = json_string_value(json_object_get(json_object_get(e, "upstream"),
                                          "deployment"));
    snprintf(dep, deplen, "%s", s && strlen(s) < deplen ? s : "");
    json_decref(e);
    return LLM_RSTORE_UPSTREAM;
}

typedef struct {
    const char  *name;
    size_t       vs, ve;
    int          found;
} llm_rstore_find_t;

static int
llm_rstore_find_member(const char *p, size_t ks, size_t ke, size_t ve,
    void *arg)
{
    llm_rstore_find_t  *f = arg;

    if (llm_rstore_key_is(p, ks, ke, f->name)) {
        f->vs = ke;
        while (f->vs < ve && p[f->vs] != '"' && p[f->vs] != '{') {
            f->vs++;
        }
        f->ve = ve;
        f->found = f->vs < ve;
    }
    return 0;
}

static int
llm_rstore_member(const char *p, size_t len, const char *name,
    llm_rstore_find_t *f)
{
    f->name = name;
    f->found = 0;
    return llm_json_members_each(p, len, llm_rstore_find_member, f) == 0
           && f->found;
}

int
llm_rstore_answer_id(const char *p, size_t len, char *id, size_t idlen)
{
    long               n, i;
    llm_rstore_find_t  f;

    if (!llm_rstore_member(p, len, "id", &f)
        || p[f.vs] != '"')
    {
        if (!llm_rstore_member(p, len, "response", &f) || p[f.vs] != '{') {
            return -1;
        }
        p += f.vs;
        len = f.ve - f.vs;
        if (!llm_rstore_member(p, len, "id", &f) || p[f.vs] != '"') {
            return -1;
        }
    }
    n = llm_json_string_value(p, f.vs, f.ve, id,
                              idlen < LLM_RSTORE_ID_MAX ? idlen
                                                        : LLM_RSTORE_ID_MAX);
    if (n <= 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')
              || (id[i] >= '0' && id[i] <= '9') || id[i] == '_'
              || id[i] == '-' || id[i] == '.'))
        {
            return -1;
        }
    }
    return 0;
}
