/*
 * A small, strict HTTP/1.1 server on a unix socket for the management API.
 * Only nginx (proxy_pass) and llmctl talk to it: one request per
 * connection, Content-Length bodies only (at most 1 MiB), the answer is
 * always sent with "Connection: close".  It runs inside controld's
 * single-threaded poll loop; the handler is called synchronously.
 */

#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <poll.h>
#include <stddef.h>

#define HTTP_MAX_BODY     (1024 * 1024)
#define HTTP_MAX_HEADER   (16 * 1024)
#define HTTP_MAX_HEADERS  64

typedef struct {
    char     *name;                     /* lowercase */
    char     *value;
} http_header_t;

typedef struct {
    char            method[16];
    char           *path;               /* percent-decoded, no query */
    char           *query;              /* raw, after '?'; NULL if none */
    http_header_t   headers[HTTP_MAX_HEADERS];
    size_t          nheaders;
    char           *body;               /* NUL-terminated; "" when none */
    size_t          body_len;
} http_request_t;

/*
 * Parse buf[0..len).  Returns 0 when a whole request is there (req filled;
 * free it with http_request_free), 1 when more bytes are needed, or the
 * HTTP status to refuse it with (400, 413, 431, 501, 505).
 */
int http_parse_request(const char *buf, size_t len, http_request_t *req);
void http_request_free(http_request_t *req);

/* A header's value (name in lowercase), NULL if absent. */
const char *http_header(const http_request_t *req, const char *name);

/* A query parameter, percent-decoded ('+' = space); malloc'd or NULL. */
char *http_query_param(const http_request_t *req, const char *name);

/* What a handler answers: status and a JSON body (malloc'd, taken). */
typedef struct {
    int    status;
    char  *body;
    char  *headers;                     /* "Name: value\r\n"...; or NULL */
} http_response_t;

typedef void (*http_handler_fn)(void *arg, const http_request_t *req,
    http_response_t *resp);

typedef struct http_server_s  http_server_t;

/* Bind and listen (an old socket file is replaced; mode 0660). */
http_server_t *http_server_listen(const char *path, http_handler_fn handler,
    void *arg, char *err, size_t size);

/* Fill pollfds for the listener and live connections; returns the count
 * (at most `max`). */
int http_server_pollfds(http_server_t *s, struct pollfd *fds, int max);

/* After poll(): accept, read, answer, close; also times out idle peers. */
void http_server_process(http_server_t *s, const struct pollfd *fds, int n);

void http_server_close(http_server_t *s);

/* Status line text ("Not Found"). */
const char *http_reason(int status);

#endif
