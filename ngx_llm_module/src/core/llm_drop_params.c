/*
 * drop_params: the top-level request fields a deployment's provider
 * refuses with a 400 (its table row's "rejects") are taken out of the body
 * before it is sent.  Only the members are cut: every other byte of the
 * client's body goes out as it came, so the body needs no parse and the
 * provider sees what the client wrote.
 */

#include <string.h>

#include "llm_config.h"
#include "llm_json_scan.h"


typedef struct {
    const llm_deployment_t  *dep;
    llm_buf_t               *out;       /* NULL: only looking */
    size_t                   kept;      /* members written to out */
    size_t                   dropped;
} llm_drop_walk_t;


/* 1 when the member whose quoted key is p[start, end) is refused. */

static int
llm_drop_refused(const llm_deployment_t *d, const char *p, size_t start,
    size_t end)
{
    long  n;
    char  name[64];

    if (end - start < 2) {
        return 0;
    }

    if (memchr(p + start, '\\', end - start) == NULL) {
        return llm_deployment_rejects(d, p + start + 1, end - start - 2);
    }

    /* "logit\u005fbias" is logit_bias to the provider too */
    n = llm_json_string_value(p, start, end, name, sizeof(name));

    return n >= 0 && llm_deployment_rejects(d, name, (size_t) n);
}


static int
llm_drop_member(const char *p, size_t key_start, size_t key_end,
    size_t value_end, void *arg)
{
    llm_drop_walk_t  *w = arg;

    if (llm_drop_refused(w->dep, p, key_start, key_end)) {
        w->dropped++;

        /* looking only: one refused member is enough to know */
        return w->out == NULL ? 1 : 0;
    }

    if (w->out == NULL) {
        return 0;
    }

    if ((w->kept++ && llm_buf_append(w->out, ",", 1) != 0)
        || llm_buf_append(w->out, p + key_start, value_end - key_start) != 0)
    {
        return -1;
    }

    return 0;
}


int
llm_deployment_drop_refused(const llm_deployment_t *d, const char *in,
    size_t len, llm_buf_t *out, size_t *dropped)
{
    int              rc;
    llm_drop_walk_t  w;

    *dropped = 0;

    if (d->nrejects == 0) {
        return 0;
    }

    /* most bodies have none: look before copying anything */
    memset(&w, 0, sizeof(w));
    w.dep = d;

    rc = llm_json_members_each(in, len, llm_drop_member, &w);
    if (rc < 0) {
        return -1;
    }

    if (w.dropped == 0) {
        return 0;
    }

    memset(&w, 0, sizeof(w));
    w.dep = d;
    w.out = out;

    if (llm_buf_append(out, "{", 1) != 0
        || llm_json_members_each(in, len, llm_drop_member, &w) != 0
        || llm_buf_append(out, "}", 1) != 0)
    {
        return -1;
    }

    *dropped = w.dropped;

    return 1;
}
