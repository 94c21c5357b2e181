
/*
 * The per-request context: what one client request has been, is and will
 * be, from the access phase to the log phase.  Included by the files that
 * read or change it; ngx_http_llm_module.h only names the type.
 */


#ifndef _NGX_HTTP_LLM_CTX_H_INCLUDED_
#define _NGX_HTTP_LLM_CTX_H_INCLUDED_


#include "ngx_http_llm_module.h"
#include "llm_gzip.h"
#include "llm_routes.h"


struct ngx_http_llm_ctx_s {
    ngx_http_llm_tables_t        *tables;
    ngx_http_llm_keyset_t        *keyset;
    llm_key_t                    *key;             /* NULL: master key */
    ngx_http_llm_key_slot_t      *key_slot;
    ngx_http_llm_key_slot_t      *team_slot;
    ngx_http_llm_key_slot_t      *model_slot;      /* NULL: no model limit */
    unsigned char                 digest[32];      /* of the client's key */
    uint64_t                      reserved;        /* micro-dollars */
    uint64_t                      cost;            /* settled */
    llm_admit_t                   admit;
    llm_route_kind_e              endpoint;
    llm_api_t                     api;             /* the client's API */
    ngx_str_t                     model;           /* as the client named it */
    ngx_str_t                     body;            /* the client's body */
    ngx_str_t                     query_key;       /* ?key=, in clear: the
                                                      request line has it
                                                      masked */
    ngx_str_t                     query_args;      /* the query as sent */
    ngx_buf_t                    *header_in;       /* lent out, see
                                                      body_in_place() */
    ngx_buf_t                     body_in;
    llm_json_scan_t               scan;
    ngx_flag_t                    stream;
    ngx_flag_t                    include_usage;   /* client asked for it */
    uint64_t                      max_tokens;      /* 0: not given */

    llm_group_t                  *group;
    ngx_http_llm_dep_t           *dep;
    u_char                       *tried;           /* by deployment index */
    ngx_uint_t                    attempts;
    ngx_uint_t                    attempts_in_group;
    ngx_uint_t                    fallbacks_used;
    const char                   *fallbacks[8];
    ngx_uint_t                    nfallbacks;
    ngx_uint_t                    next_fallback;
    ngx_http_llm_slot_t          *in_flight;       /* counted, not ended */
    ngx_msec_t                    attempt_start;
    llm_router_result_t           pick;
    ngx_int_t                     answer_rc;
    ngx_uint_t                    last_error;      /* upstream status */

    /* the current attempt */
    ngx_str_t                     upstream_url;
    ngx_str_t                     upstream_uri;    /* its path and query */
    ngx_str_t                     anthropic_beta;
    const llm_wire_route_t       *route;           /* the wire's own path
                                                      and body, or NULL */
    ngx_str_t                     sign_headers;    /* SigV4: this attempt's
                                                      X-Amz-Date and
                                                      Authorization lines */
    ngx_str_t                     dropped;         /* fields translation
                                                      took out: the
                                                      x-llm-dropped-params
                                                      header */
    ngx_str_t                     client_uri;      /* while r->unparsed_uri
                                                      is lent to proxy */
    ngx_int_t                   (*process_header)(ngx_http_request_t *r);
                                                   /* proxy's, wrapped */
    ngx_int_t                   (*input_filter_init)(void *data);
    ngx_int_t                   (*input_filter)(void *data, ssize_t bytes);

    /* the response */
    ngx_uint_t                    resp_status;
    size_t                        resp_bytes;
    u_char                       *answer;          /* log_payloads: the
                                                      answer's first bytes */
    size_t                        answer_len;
    llm_sse_parser_t              sse;
    llm_stream_xlate_t           *xlate;
    llm_buf_t                     resp;            /* a whole answer */
    ngx_buf_t                    *whole;           /* ... of known length */
    llm_inflate_t                *inflate;         /* a gzip body, decoded */
    llm_buf_t                     plain;           /* ... what one call
                                                      decoded */
    llm_buf_t                     held;            /* a forwarded stream's
                                                      event not yet whole */
    llm_usage_t                   usage;
    u_char                       *resp_id;         /* Responses: the
                                                      answer's id (NUL-
                                                      terminated) */
    ngx_str_t                     resp_ref;        /* the {id} of a
                                                      stored-response
                                                      route */
    ngx_str_t                     rstore_prev;     /* the previous_response_id
                                                      asked of controld */
    ngx_str_t                     rstore_answer;   /* what controld said */
    ngx_uint_t                    rstore_status;   /* ... its status; 0:
                                                      no answer */
    ngx_http_llm_dep_t           *resp_dep;        /* the deployment whose
                                                      provider keeps the
                                                      previous response */
    ngx_chain_t                  *free;
    ngx_chain_t                  *busy;
    ngx_msec_t                    start;
    ngx_msec_t                    first_byte;

    unsigned                      reading_body:1;
    unsigned                      proxied:1;       /* an attempt was sent */
    unsigned                      self_response:1; /* answered by us */
    unsigned                      count_failed:1;  /* a provider count
                                                      failed: estimated */
    unsigned                      translate:1;     /* formats differ */
    unsigned                      buffer_whole:1;  /* translate at the end */
    unsigned                      sse_passthrough:1;
    unsigned                      stream_done:1;   /* saw the stream's end */
    unsigned                      failed_mid_stream:1;
    unsigned                      fallbacks_known:1;
    unsigned                      admitted:1;      /* reserved on a key */
    unsigned                      hold_header:1;   /* until the body is in */
    unsigned                      cost_trailer:1;  /* a stream's cost */
    unsigned                      usage_estimated:1;
    unsigned                      uri_lent:1;
    unsigned                      client_uri_valid:1;
    unsigned                      embed_batch:1;   /* Gemini's
                                                      batchEmbedContents */
    unsigned                      provider_408:1;  /* went by as a 504 */
    unsigned                      upstream_invalid:1;  /* a bad chunk */
    unsigned                      error_to_close:1;    /* its body ends
                                                          with the close */
    unsigned                      inflate_end:1;   /* the gzip data ended */
    unsigned                      rstore:1;        /* keep the answer */
    unsigned                      input_items:1;   /* .../input_items */
    unsigned                      rstore_wait:1;   /* asked controld */
    unsigned                      rstore_done:1;   /* ... it answered */
    unsigned                      resp_cancel:1;   /* .../cancel */
    unsigned                      resp_pass:1;     /* Responses, passed
                                                      through to the
                                                      provider's own API */
    unsigned                      resp_local:1;    /* the previous response
                                                      is the gateway's */
};


/* rstore.c: keep a Responses answer that went out whole (JSON), or the
   final response of a stream that completed */
void ngx_http_llm_rstore_save(ngx_http_llm_ctx_t *ctx, const char *resp,
    size_t len);
void ngx_http_llm_rstore_stream(ngx_http_llm_ctx_t *ctx,
    llm_stream_xlate_t *x);
/* a passed-through answer (or a stream's final event): which deployment
   keeps it */
void ngx_http_llm_rstore_passed(ngx_http_llm_ctx_t *ctx, const char *data,
    size_t len);

/* state.c: the attempt in flight failed with what the client is sent */
void ngx_http_llm_state_refused(ngx_http_llm_ctx_t *ctx);


#endif /* _NGX_HTTP_LLM_CTX_H_INCLUDED_ */
