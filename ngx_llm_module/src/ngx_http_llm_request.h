
/*
 * The request path's steps, one file a job: handler.c (phase entry,
 * route, context), auth.c (client key, refusals), body.c (read, parse and
 * rewrite the body), attempt.c (pick a deployment, build what proxy
 * sends), upstream.c (read and hold what the provider answers), retry.c
 * (classify a failure, retry, fall back, back off), sign.c (per-attempt
 * request signatures), pass.c (pass-through routes), rstore.c and rpass.c
 * (stored responses, Responses passed through), local.c (answers the
 * gateway gives itself).  Only these files include this header.
 */


#ifndef _NGX_HTTP_LLM_REQUEST_H_INCLUDED_
#define _NGX_HTTP_LLM_REQUEST_H_INCLUDED_


#include "ngx_http_llm_ctx.h"


/*
 * A step answered the request itself (an error, a mock, a list); the
 * output's return code waits in ctx->answer_rc for the finalization.
 */
#define NGX_HTTP_LLM_ANSWERED  -100


/* handler.c */
ngx_int_t ngx_http_llm_finish(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_int_t rc);
ngx_table_elt_t *ngx_http_llm_find_header(ngx_http_request_t *r,
    const char *name);

/* auth.c */
ngx_int_t ngx_http_llm_hide_query_key(ngx_http_request_t *r);
ngx_int_t ngx_http_llm_mask_query(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_int_t ngx_http_llm_authenticate(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_uint_t master_only);
void ngx_http_llm_set_retry_after(ngx_http_request_t *r, uint64_t seconds);
ngx_int_t ngx_http_llm_refuse(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_int_t status);

/* body.c */
void ngx_http_llm_body_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_llm_route_body(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
void ngx_http_llm_body_in_place(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
void ngx_http_llm_body_in_place_done(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_int_t ngx_http_llm_chain_add(ngx_http_request_t *r, ngx_chain_t ***ll,
    u_char *p, size_t len);
ngx_int_t ngx_http_llm_set_body(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_chain_t *chain);
ngx_int_t ngx_http_llm_set_model(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, const char *model);
ngx_int_t ngx_http_llm_translate_request(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, const char *model);

/* attempt.c */
ngx_int_t ngx_http_llm_next_attempt(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_uint_t again);
ngx_int_t ngx_http_llm_unavailable(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);

/* upstream.c: the error body an intercepted response began; 1: whole */
ngx_uint_t ngx_http_llm_upstream_body(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *body);

/* retry.c */
ngx_int_t ngx_http_llm_try_fallbacks(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, llm_err_class_t cls);
ngx_int_t ngx_http_llm_retry(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx);

/* sign.c: SigV4 of the final body and path into ctx->sign_headers */
ngx_int_t ngx_http_llm_sign_sigv4(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);

/* pass.c: a general_settings.pass_through_endpoints route, else 404 */
ngx_int_t ngx_http_llm_pass(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx);

/* rstore.c: stored responses of the Responses API */
ngx_int_t ngx_http_llm_rstore_request(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_int_t ngx_http_llm_rstore_handler(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_int_t ngx_http_llm_rstore_resume(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
/* rpass.c: Responses passed through, and the responses providers keep */
/* an upstream entry's deployment into ctx->resp_dep; NGX_DECLINED: the
   entry is a stored response; NGX_ERROR: the deployment is gone */
ngx_int_t ngx_http_llm_rpass_keeper(ngx_http_llm_ctx_t *ctx,
    ngx_str_t *entry);
/* a follow-up of a provider-kept response: only deployments of the same
   provider account may serve it, and no fallback */
ngx_int_t ngx_http_llm_rpass_pin(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
/* GET/DELETE/input_items of a provider-kept response, to its deployment:
   NGX_DECLINED, proxy_pass sends it */
ngx_int_t ngx_http_llm_rpass_proxy(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
/* an input_tokens count its Responses passthrough provider makes */
ngx_uint_t ngx_http_llm_rpass_counts(ngx_http_llm_ctx_t *ctx,
    llm_deployment_t *d);
/* GET /v1/responses/{id}?stream=true: the events asked for again */
ngx_uint_t ngx_http_llm_rpass_streamed(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
/* the provider's Responses path of a deployment, "/responses" or Azure's,
   and the api-version it needs (empty: none) */
void ngx_http_llm_rpass_route(llm_deployment_t *d, ngx_str_t *path,
    ngx_str_t *query);

/* local.c */
ngx_int_t ngx_http_llm_send_error(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_uint_t status, const char *type,
    const char *message);
ngx_int_t ngx_http_llm_send_mock(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_int_t ngx_http_llm_send_models(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
/* one model, in the client's API's shape; 404 when no group serves it */
ngx_int_t ngx_http_llm_send_model(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
/* /health: served and disabled deployments (reasons), no secrets */
ngx_int_t ngx_http_llm_send_health(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);


#endif /* _NGX_HTTP_LLM_REQUEST_H_INCLUDED_ */
