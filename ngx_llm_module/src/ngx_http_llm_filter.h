
/*
 * What the response filters' two files share: filter.c (the header and
 * body filters, whole answers) and stream.c (a stream's events, the
 * error event, output buffers).  Only these two include it.
 */


#ifndef _NGX_HTTP_LLM_FILTER_H_INCLUDED_
#define _NGX_HTTP_LLM_FILTER_H_INCLUDED_


#include "ngx_http_llm_ctx.h"


/* the next body filter in nginx's chain, set by ngx_http_llm_filter_init() */
extern ngx_http_output_body_filter_pt  ngx_http_llm_next_body_filter;


/* stream.c */
int ngx_http_llm_sse_event(void *arg, const char *event, size_t event_len,
    const char *data, size_t data_len);
void ngx_http_llm_stream_error(ngx_http_llm_ctx_t *ctx, llm_buf_t *out);
ngx_int_t ngx_http_llm_send_out(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, llm_buf_t *out, ngx_uint_t last,
    ngx_uint_t flush);
void ngx_http_llm_whole_usage(ngx_http_llm_ctx_t *ctx, const char *data,
    size_t len);
ngx_int_t ngx_http_llm_forward_events(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_chain_t *in, ngx_uint_t last,
    ngx_uint_t broken);


#endif /* _NGX_HTTP_LLM_FILTER_H_INCLUDED_ */
