
/*
 * $llm_* variables: the per-attempt values proxy_pass and proxy_set_header
 * read (never cached: each attempt has its own), and request facts for
 * log_format.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_ctx.h"
#include "ngx_http_llm_metrics.h"


typedef enum {
    NGX_HTTP_LLM_VAR_UPSTREAM_URL = 0,
    NGX_HTTP_LLM_VAR_UPSTREAM_HOST,
    NGX_HTTP_LLM_VAR_MODEL,
    NGX_HTTP_LLM_VAR_DEPLOYMENT,
    NGX_HTTP_LLM_VAR_PROVIDER,
    NGX_HTTP_LLM_VAR_PROMPT_TOKENS,
    NGX_HTTP_LLM_VAR_COMPLETION_TOKENS,
    NGX_HTTP_LLM_VAR_TOTAL_TOKENS,
    NGX_HTTP_LLM_VAR_ATTEMPTS,
    NGX_HTTP_LLM_VAR_TTFB,
    NGX_HTTP_LLM_VAR_COST,
    NGX_HTTP_LLM_VAR_FALLBACKS,
    NGX_HTTP_LLM_VAR_KEY_ALIAS,
    NGX_HTTP_LLM_VAR_USAGE_ESTIMATED,
    NGX_HTTP_LLM_VAR_LOG,
    NGX_HTTP_LLM_VAR_LOG_JSON,
    NGX_HTTP_LLM_VAR_REQUEST_ID
} ngx_http_llm_var_e;


static ngx_int_t ngx_http_llm_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_llm_vars[] = {

    { ngx_string("llm_upstream_url"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_UPSTREAM_URL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_upstream_host"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_UPSTREAM_HOST, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_model"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_MODEL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_deployment"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_DEPLOYMENT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_provider"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_PROVIDER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_prompt_tokens"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_PROMPT_TOKENS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_completion_tokens"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_COMPLETION_TOKENS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_total_tokens"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_TOTAL_TOKENS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_attempts"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_ATTEMPTS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_ttfb"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_TTFB, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_cost"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_COST, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_fallbacks"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_FALLBACKS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_key_alias"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_KEY_ALIAS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_usage_estimated"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_USAGE_ESTIMATED, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_log"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_LOG, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_log_json"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_LOG_JSON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llm_request_id"), NULL, ngx_http_llm_variable,
      NGX_HTTP_LLM_VAR_REQUEST_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_llm_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_llm_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_llm_variable_str(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    if (data == NULL || len == 0) {
        /* an empty value makes proxy_set_header drop the header */
        v->len = 0;
        v->data = (u_char *) "";

    } else {
        v->len = len;
        v->data = data;
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * Decimal digits of n, written backwards from the end of buf: the log
 * line formats several counters per request, and ngx_sprintf()'s general
 * format parsing costs more than the digits.
 */

u_char *
ngx_http_llm_digits(u_char *last, uint64_t n)
{
    do {
        *--last = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    return last;
}


/* micro-dollars as dollars with six decimals, backwards from last */

u_char *
ngx_http_llm_dollars(u_char *last, uint64_t micros)
{
    ngx_uint_t  i;

    for (i = 0; i < 6; i++) {
        *--last = (u_char) ('0' + micros % 10);
        micros /= 10;
    }

    *--last = '.';

    return ngx_http_llm_digits(last, micros);
}


static ngx_int_t
ngx_http_llm_variable_num(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    long long n)
{
    u_char  *p, *last;

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = p + NGX_INT64_LEN;
    p = ngx_http_llm_digits(last, n < 0 ? 0 - (uint64_t) n : (uint64_t) n);

    if (n < 0) {
        *--p = '-';
    }

    return ngx_http_llm_variable_str(v, p, last - p);
}


/* USD, from the serving deployment's prices and the reported usage */

static ngx_int_t
ngx_http_llm_variable_cost(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_http_llm_ctx_t *ctx)
{
    u_char    *p, *last;
    uint64_t   cost;

    cost = ngx_http_llm_cost(ctx);

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = p + NGX_INT64_LEN + 8;
    p = ngx_http_llm_dollars(last, cost);

    return ngx_http_llm_variable_str(v, p, last - p);
}


/* A number (or micro-dollars as dollars) copied to p. */

static u_char *
ngx_http_llm_cpy_num(u_char *p, uint64_t n, ngx_uint_t dollars)
{
    u_char  buf[NGX_INT64_LEN + 8], *d, *last;

    last = buf + sizeof(buf);
    d = dollars ? ngx_http_llm_dollars(last, n) : ngx_http_llm_digits(last, n);

    return ngx_cpymem(p, d, last - d);
}


/*
 * $llm_log: the gateway fields of the shipped log format in one variable,
 * the same text the separate variables give.  The log module does its
 * work (lookup, length, escaping) once per variable, and at the rate of a
 * small request nine variables cost as much as the rest of the log line.
 */

static ngx_int_t
ngx_http_llm_variable_log(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    ngx_http_llm_ctx_t *ctx)
{
    u_char            *p, *start;
    size_t             len, dep_len, prov_len, alias_len;
    const char        *dep, *prov, *alias;
    llm_deployment_t  *d;

    static u_char  none[] = "model=- deployment=- provider=- attempts=- "
                            "tokens=-/- cost=- key=- fallbacks=-";

    if (ctx == NULL) {
        /* not a gateway request: what nine unset variables would give */
        return ngx_http_llm_variable_str(v, none, sizeof(none) - 1);
    }

    d = ctx->dep ? ctx->dep->dep : NULL;
    dep = d ? d->id : "";
    prov = d ? d->provider_name : "";
    alias = ctx->key ? (ctx->key->alias ? ctx->key->alias : "-") : "";

    ngx_http_llm_usage_final(ctx);

    dep_len = ngx_strlen(dep);
    prov_len = ngx_strlen(prov);
    alias_len = ngx_strlen(alias);

    len = sizeof("model= deployment= provider= attempts= tokens=/ cost= key= "
                 "fallbacks=")
          + ctx->model.len + dep_len + prov_len + alias_len
          + 5 * (NGX_INT64_LEN + 8);

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(start, "model=", 6);
    p = ngx_cpymem(p, ctx->model.data, ctx->model.len);
    p = ngx_cpymem(p, " deployment=", 12);
    p = ngx_cpymem(p, dep, dep_len);
    p = ngx_cpymem(p, " provider=", 10);
    p = ngx_cpymem(p, prov, prov_len);
    p = ngx_cpymem(p, " attempts=", 10);
    p = ngx_http_llm_cpy_num(p, ctx->attempts, 0);
    p = ngx_cpymem(p, " tokens=", 8);
    p = ngx_http_llm_cpy_num(p, ngx_max(ctx->usage.prompt_tokens, 0), 0);
    *p++ = '/';
    p = ngx_http_llm_cpy_num(p, ngx_max(ctx->usage.completion_tokens, 0), 0);
    p = ngx_cpymem(p, " cost=", 6);
    p = ngx_http_llm_cpy_num(p, ngx_http_llm_cost(ctx), 1);
    p = ngx_cpymem(p, " key=", 5);
    p = ngx_cpymem(p, alias, alias_len);
    p = ngx_cpymem(p, " fallbacks=", 11);
    p = ngx_http_llm_cpy_num(p, ctx->fallbacks_used, 0);

    return ngx_http_llm_variable_str(v, start, p - start);
}


/*
 * The request id (x-request-id, x-litellm-call-id, the request log): 32
 * hex digits from the request's start time, nginx's connection number
 * (one counter for all workers) and the request's number on its
 * connection, so the header filter and the log line compute the same
 * value without storing it, and no random bytes are drawn per request.
 */

u_char *
ngx_http_llm_request_id(ngx_http_request_t *r, u_char *buf)
{
    u_char      id[16];
    uint64_t    n;
    ngx_uint_t  i;

    n = (uint64_t) r->start_sec << 16 | (r->start_msec & 0xffff);

    for (i = 0; i < 6; i++) {
        id[5 - i] = (u_char) (n >> (8 * i));
    }

    n = r->connection->number;

    for (i = 0; i < 8; i++) {
        id[13 - i] = (u_char) (n >> (8 * i));
    }

    id[14] = (u_char) (r->connection->requests >> 8);
    id[15] = (u_char) r->connection->requests;

    return ngx_hex_dump(buf, id, sizeof(id));
}


/* A JSON string member: ,"name":"escaped value" (or null) */

static u_char *
ngx_http_llm_json_member(u_char *p, const char *name, const char *s,
    size_t len)
{
    *p++ = ',';
    *p++ = '"';
    p = ngx_cpymem(p, name, ngx_strlen(name));
    *p++ = '"';
    *p++ = ':';

    if (s == NULL) {
        return ngx_cpymem(p, "null", 4);
    }

    return p + llm_json_quote(s, len, (char *) p);
}


static u_char *
ngx_http_llm_json_num(u_char *p, const char *name, uint64_t n,
    ngx_uint_t dollars)
{
    *p++ = ',';
    *p++ = '"';
    p = ngx_cpymem(p, name, ngx_strlen(name));
    *p++ = '"';
    *p++ = ':';

    return ngx_http_llm_cpy_num(p, n, dollars);
}


/*
 * general_settings.log_payloads: the first log_payload_bytes of the
 * provider's answer as it arrives (before any translation), kept for the
 * request log.  Off by default: prompts and answers are the users' data.
 * A compressed answer is not kept (its bytes would mean nothing in a log).
 */

ngx_int_t
ngx_http_llm_payload_capture(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_chain_t *in)
{
    size_t  max, n;

    max = (size_t) ctx->tables->cf->settings.log_payload_bytes;

    if (ctx->answer_len >= max || r->headers_out.content_encoding != NULL) {
        return NGX_OK;
    }

    if (ctx->answer == NULL) {
        ctx->answer = ngx_pnalloc(r->pool, max);
        if (ctx->answer == NULL) {
            return NGX_ERROR;
        }
    }

    for ( /* void */ ; in && ctx->answer_len < max; in = in->next) {
        if (!ngx_buf_in_memory(in->buf)) {
            continue;
        }

        n = ngx_min((size_t) (in->buf->last - in->buf->pos),
                    max - ctx->answer_len);
        ngx_memcpy(ctx->answer + ctx->answer_len, in->buf->pos, n);
        ctx->answer_len += n;
    }

    return NGX_OK;
}


/* The first n bytes less a UTF-8 sequence that the cut at n split. */

static size_t
ngx_http_llm_utf8_whole(const u_char *s, size_t n)
{
    size_t  i, need;

    i = n;

    while (i > 0 && (s[i - 1] & 0xc0) == 0x80) {
        i--;
    }

    if (i == 0) {
        return n;
    }

    need = s[i - 1] >= 0xf0 ? 4 : s[i - 1] >= 0xe0 ? 3
           : s[i - 1] >= 0xc0 ? 2 : 1;

    return n - (i - 1) < need ? i - 1 : n;
}


static size_t
ngx_http_llm_payload_len(ngx_http_llm_ctx_t *ctx)
{
    size_t  max;

    max = (size_t) ctx->tables->cf->settings.log_payload_bytes;

    return LLM_JSON_QUOTED_MAX(ngx_min(ctx->body.len, max))
           + LLM_JSON_QUOTED_MAX(ctx->answer_len)
           + sizeof(",\"request_body\":,\"request_truncated\":false"
                    ",\"response_body\":,\"response_truncated\":false");
}


static u_char *
ngx_http_llm_payload_members(u_char *p, ngx_http_llm_ctx_t *ctx)
{
    size_t  max, n;

    max = (size_t) ctx->tables->cf->settings.log_payload_bytes;

    n = ngx_min(ctx->body.len, max);
    if (n < ctx->body.len) {
        n = ngx_http_llm_utf8_whole(ctx->body.data, n);
    }

    p = ngx_http_llm_json_member(p, "request_body",
                                 ctx->body.data ? (char *) ctx->body.data
                                                : NULL, n);
    p = ngx_cpymem(p, n < ctx->body.len ? ",\"request_truncated\":true"
                                        : ",\"request_truncated\":false",
                   n < ctx->body.len ? 25 : 26);

    n = ctx->answer_len;
    if (n < ctx->resp_bytes) {
        n = ngx_http_llm_utf8_whole(ctx->answer, n);
    }

    p = ngx_http_llm_json_member(p, "response_body",
                                 ctx->answer ? (char *) ctx->answer : NULL, n);

    return ngx_cpymem(p, n < ctx->resp_bytes ? ",\"response_truncated\":true"
                                             : ",\"response_truncated\":false",
                      n < ctx->resp_bytes ? 26 : 27);
}


/*
 * A pass-through route's log members: the route by its configured path
 * (never the request's own path or query), the key that passed it, the
 * latency.  No model, tokens or cost: its bodies are not read.
 */

static ngx_int_t
ngx_http_llm_variable_log_pass(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_http_llm_ctx_t *ctx)
{
    u_char      *p, *start;
    size_t       len, alen, rlen;
    const char  *alias, *route;

    alias = ctx->key ? ctx->key->alias : NULL;
    route = ctx->dep ? ctx->dep->dep->id : NULL;

    alen = alias ? ngx_strlen(alias) : 0;
    rlen = route ? ngx_strlen(route) : 0;

    len = sizeof("\"request_id\":\"\"") + 32
          + LLM_JSON_QUOTED_MAX(alen) + LLM_JSON_QUOTED_MAX(rlen)
          + sizeof(",\"endpoint\":\"pass_through\",\"route\":"
                   ",\"key_alias\":,\"key_hash\":\"12345678\""
                   ",\"latency_ms\":")
          + NGX_INT64_LEN + 8;

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(start, "\"request_id\":\"", 14);
    p = ngx_http_llm_request_id(r, p);
    *p++ = '"';

    p = ngx_http_llm_json_member(p, "endpoint", "pass_through", 12);
    p = ngx_http_llm_json_member(p, "route", route, rlen);
    p = ngx_http_llm_json_member(p, "key_alias", alias, alen);

    if (ctx->key && ctx->key->token_hex) {
        p = ngx_http_llm_json_member(p, "key_hash", ctx->key->token_hex, 8);

    } else {
        p = ngx_http_llm_json_member(p, "key_hash", NULL, 0);
    }

    p = ngx_http_llm_json_num(p, "latency_ms", ngx_current_msec - ctx->start,
                              0);

    return ngx_http_llm_variable_str(v, start, p - start);
}


/*
 * $llm_log_json: the request log's members after "request_id" (the
 * shipped log_format writes time and status, then this), JSON-escaped
 * here so the format needs no per-variable escaping: one variable, one
 * buffer.  Never a key: the key's alias and the first 8 hex digits of
 * its SHA-256 only.
 */

static ngx_int_t
ngx_http_llm_variable_log_json(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_http_llm_ctx_t *ctx)
{
    u_char            *p, *start;
    size_t             len, alen, tlen, glen, dlen, plen;
    ngx_uint_t         status, retries;
    const char        *alias, *team, *group, *dep, *prov, *err;
    llm_deployment_t  *d;

    len = sizeof("\"request_id\":\"\"") + 32;

    if (ctx == NULL || ctx->endpoint == LLM_ROUTE_NONE) {
        start = ngx_pnalloc(r->pool, len);
        if (start == NULL) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(start, "\"request_id\":\"", 14);
        p = ngx_http_llm_request_id(r, p);
        *p++ = '"';

        return ngx_http_llm_variable_str(v, start, p - start);
    }

    if (ctx->endpoint == LLM_ROUTE_PASS) {
        return ngx_http_llm_variable_log_pass(r, v, ctx);
    }

    d = ctx->dep ? ctx->dep->dep : NULL;
    alias = ctx->key ? ctx->key->alias : NULL;
    team = (ctx->key && ctx->key->team) ? ctx->key->team->id : NULL;
    group = ctx->group ? ctx->group->name : NULL;
    dep = d ? d->id : NULL;
    prov = d ? d->provider_name : NULL;

    alen = alias ? ngx_strlen(alias) : 0;
    tlen = team ? ngx_strlen(team) : 0;
    glen = group ? ngx_strlen(group) : 0;
    dlen = dep ? ngx_strlen(dep) : 0;
    plen = prov ? ngx_strlen(prov) : 0;

    status = r->headers_out.status;
    err = status >= 400
          ? llm_err_class_name(llm_router_classify((int) status, NULL, 0))
          : NULL;

    ngx_http_llm_usage_final(ctx);

    len += LLM_JSON_QUOTED_MAX(alen) + LLM_JSON_QUOTED_MAX(tlen)
           + LLM_JSON_QUOTED_MAX(glen) + LLM_JSON_QUOTED_MAX(dlen)
           + LLM_JSON_QUOTED_MAX(plen) + LLM_JSON_QUOTED_MAX(ctx->model.len)
           + sizeof(",\"key_alias\":,\"key_hash\":\"12345678\",\"team\":"
                    ",\"model\":,\"model_group\":,\"deployment\":"
                    ",\"provider\":,\"ingress\":\"anthropic\""
                    ",\"stream\":false,\"error\":\"content_policy\""
                    ",\"latency_ms\":,\"ttft_ms\":,\"tokens_in\":"
                    ",\"tokens_out\":,\"cost\":,\"attempts\":"
                    ",\"retries\":,\"fallbacks\":")
           + 9 * (NGX_INT64_LEN + 8);

    if (ctx->tables && ctx->tables->cf->settings.log_payload_bytes) {
        len += ngx_http_llm_payload_len(ctx);
    }

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(start, "\"request_id\":\"", 14);
    p = ngx_http_llm_request_id(r, p);
    *p++ = '"';

    p = ngx_http_llm_json_member(p, "key_alias", alias, alen);

    if (ctx->key && ctx->key->token_hex) {
        p = ngx_http_llm_json_member(p, "key_hash", ctx->key->token_hex, 8);

    } else {
        p = ngx_http_llm_json_member(p, "key_hash", NULL, 0);
    }

    p = ngx_http_llm_json_member(p, "team", team, tlen);
    p = ngx_http_llm_json_member(p, "model",
                                 ctx->model.len ? (char *) ctx->model.data
                                                : NULL,
                                 ctx->model.len);
    p = ngx_http_llm_json_member(p, "model_group", group, glen);
    p = ngx_http_llm_json_member(p, "deployment", dep, dlen);
    p = ngx_http_llm_json_member(p, "provider", prov, plen);
    p = ngx_http_llm_json_member(p, "ingress", llm_api_name(ctx->api),
                                 ngx_strlen(llm_api_name(ctx->api)));
    p = ngx_cpymem(p, ctx->stream ? ",\"stream\":true" : ",\"stream\":false",
                   ctx->stream ? 14 : 15);
    p = ngx_http_llm_json_member(p, "error", err, err ? ngx_strlen(err) : 0);
    p = ngx_http_llm_json_num(p, "latency_ms", ngx_current_msec - ctx->start,
                              0);

    if (ctx->stream && ctx->first_byte) {
        p = ngx_http_llm_json_num(p, "ttft_ms", ctx->first_byte - ctx->start,
                                  0);

    } else {
        p = ngx_http_llm_json_member(p, "ttft_ms", NULL, 0);
    }

    retries = ctx->attempts > 1 + ctx->fallbacks_used
              ? ctx->attempts - 1 - ctx->fallbacks_used : 0;

    p = ngx_http_llm_json_num(p, "tokens_in",
                              ngx_max(ctx->usage.prompt_tokens, 0), 0);
    p = ngx_http_llm_json_num(p, "tokens_out",
                              ngx_max(ctx->usage.completion_tokens, 0), 0);
    p = ngx_http_llm_json_num(p, "cost", ngx_http_llm_cost(ctx), 1);
    p = ngx_http_llm_json_num(p, "attempts", ctx->attempts, 0);
    p = ngx_http_llm_json_num(p, "retries", retries, 0);
    p = ngx_http_llm_json_num(p, "fallbacks", ctx->fallbacks_used, 0);

    if (ctx->tables && ctx->tables->cf->settings.log_payload_bytes) {
        p = ngx_http_llm_payload_members(p, ctx);
    }

    return ngx_http_llm_variable_str(v, start, p - start);
}


static ngx_int_t
ngx_http_llm_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    const char          *s;
    llm_deployment_t    *d;
    ngx_http_llm_ctx_t  *ctx;

    ctx = ngx_http_llm_get_ctx(r);

    if (data == NGX_HTTP_LLM_VAR_LOG) {
        return ngx_http_llm_variable_log(r, v, ctx);
    }

    if (data == NGX_HTTP_LLM_VAR_LOG_JSON) {
        return ngx_http_llm_variable_log_json(r, v, ctx);
    }

    if (data == NGX_HTTP_LLM_VAR_REQUEST_ID) {
        u_char  *p;

        p = ngx_pnalloc(r->pool, 32);
        if (p == NULL) {
            return NGX_ERROR;
        }

        return ngx_http_llm_variable_str(v, p,
                                         ngx_http_llm_request_id(r, p) - p);
    }

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    d = ctx->dep ? ctx->dep->dep : NULL;
    s = NULL;

    switch (data) {

    case NGX_HTTP_LLM_VAR_UPSTREAM_URL:
        return ngx_http_llm_variable_str(v, ctx->upstream_url.data,
                                         ctx->upstream_url.len);

    case NGX_HTTP_LLM_VAR_UPSTREAM_HOST:
        return ctx->dep
               ? ngx_http_llm_variable_str(v, ctx->dep->host.data,
                                           ctx->dep->host.len)
               : ngx_http_llm_variable_str(v, NULL, 0);

    case NGX_HTTP_LLM_VAR_MODEL:
        return ngx_http_llm_variable_str(v, ctx->model.data, ctx->model.len);

    case NGX_HTTP_LLM_VAR_DEPLOYMENT:
        s = d ? d->id : NULL;
        break;

    case NGX_HTTP_LLM_VAR_PROVIDER:
        s = d ? d->provider_name : NULL;
        break;

    case NGX_HTTP_LLM_VAR_USAGE_ESTIMATED:
        ngx_http_llm_usage_final(ctx);
        s = ctx->usage_estimated ? "1" : "0";
        break;

    case NGX_HTTP_LLM_VAR_PROMPT_TOKENS:
        ngx_http_llm_usage_final(ctx);
        return ngx_http_llm_variable_num(r, v, ctx->usage.prompt_tokens);

    case NGX_HTTP_LLM_VAR_COMPLETION_TOKENS:
        ngx_http_llm_usage_final(ctx);
        return ngx_http_llm_variable_num(r, v, ctx->usage.completion_tokens);

    case NGX_HTTP_LLM_VAR_TOTAL_TOKENS:
        ngx_http_llm_usage_final(ctx);
        return ngx_http_llm_variable_num(r, v, ctx->usage.prompt_tokens
                                               + ctx->usage.completion_tokens);

    case NGX_HTTP_LLM_VAR_ATTEMPTS:
        return ngx_http_llm_variable_num(r, v, (long long) ctx->attempts);

    case NGX_HTTP_LLM_VAR_COST:
        return ngx_http_llm_variable_cost(r, v, ctx);

    case NGX_HTTP_LLM_VAR_FALLBACKS:
        return ngx_http_llm_variable_num(r, v,
                                         (long long) ctx->fallbacks_used);

    case NGX_HTTP_LLM_VAR_KEY_ALIAS:
        s = ctx->key ? (ctx->key->alias ? ctx->key->alias : "-") : NULL;
        break;

    case NGX_HTTP_LLM_VAR_TTFB:
        return ngx_http_llm_variable_num(r, v, ctx->first_byte
                                         ? (long long) (ctx->first_byte
                                                        - ctx->start)
                                         : -1);
    }

    return ngx_http_llm_variable_str(v, (u_char *) s, s ? ngx_strlen(s) : 0);
}
