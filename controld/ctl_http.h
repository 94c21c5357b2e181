/*
 * A small blocking HTTP client (libcurl) for the control plane: the admin
 * API over its unix socket and the gateway's own loopback listener.
 */

#ifndef CTL_HTTP_H
#define CTL_HTTP_H

#include <stddef.h>

typedef struct {
    long     status;
    char    *body;          /* NUL-terminated; free() it */
    size_t   len;
} ctl_http_response_t;

void ctl_http_global_init(void);

/*
 * unix_socket NULL means TCP.  body NULL means no request body.  bearer, if
 * set, is sent as "Authorization: Bearer ..." (never logged).  Returns 0 when
 * an HTTP answer arrived (any status), -1 with `error` filled otherwise.
 */
int ctl_http_request(const char *unix_socket, const char *method,
    const char *url, const char *body, const char *bearer, long timeout_ms,
    ctl_http_response_t *resp, char *error, size_t error_size);

/* The general form: any headers ("Name: value", NULL-terminated; the
 * strings may hold secrets and are never logged) and a CA file for
 * https (NULL: the system's). */
typedef struct {
    const char         *unix_socket;
    const char         *method;
    const char         *url;
    const char         *body;
    const char *const  *headers;
    const char         *ca_file;
    const char         *content_type;   /* of body; NULL: application/json */
    long                timeout_ms;
} ctl_http_call_t;

int ctl_http_call(const ctl_http_call_t *call, ctl_http_response_t *resp,
    char *error, size_t error_size);

void ctl_http_response_free(ctl_http_response_t *resp);

#endif
