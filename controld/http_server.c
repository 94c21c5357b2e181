/*
 * The management API's socket side (see http_server.h): non-blocking
 * accept/read/write inside controld's poll loop.  A connection reads one
 * request, gets its answer from the handler and is closed once the answer
 * is written.  Peers that stall are dropped after IO_TIMEOUT_S.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* accept4 */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http_server.h"

#define MAX_CONNS     64
#define IO_TIMEOUT_S  10

typedef struct {
    int      fd;
    char    *in;
    size_t   in_len;
    size_t   in_cap;
    char    *out;                       /* the whole answer */
    size_t   out_len;
    size_t   out_sent;
    time_t   deadline;
} conn_t;

struct http_server_s {
    int              listen_fd;
    char            *path;
    http_handler_fn  handler;
    void            *arg;
    conn_t           conns[MAX_CONNS];
    size_t           nconns;
};

http_server_t *
http_server_listen(const char *path, http_handler_fn handler, void *arg,
    char *err, size_t size)
{
    struct sockaddr_un   sa;
    http_server_t       *s;
    int                  fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, size, "socket path too long: %s", path);
        return NULL;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd == -1) {
        snprintf(err, size, "socket: %s", strerror(errno));
        return NULL;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);

    /* A socket file left by a killed controld would make bind() fail. */
    unlink(path);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1
        || chmod(path, 0660) == -1 || listen(fd, 64) == -1)
    {
        snprintf(err, size, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        abort();
    }
    s->listen_fd = fd;
    s->path = strdup(path);
    s->handler = handler;
    s->arg = arg;
    return s;
}

static void
drop(http_server_t *s, size_t i)
{
    close(s->conns[i].fd);
    free(s->conns[i].in);
    free(s->conns[i].out);
    s->conns[i] = s->conns[--s->nconns];
}

/* Serialize status + extra header lines + JSON body into c->out. */
static void
set_answer(conn_t *c, int status, const char *headers, const char *body)
{
    size_t  blen = strlen(body), hlen = headers ? strlen(headers) : 0;
    size_t  cap = blen + hlen + 256;

    c->out = malloc(cap);
    if (c->out == NULL) {
        abort();
    }
    c->out_len = (size_t) snprintf(c->out, cap,
        "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
        "Content-Length: %zu\r\nCache-Control: no-store\r\n"
        "%sConnection: close\r\n\r\n", status, http_reason(status), blen,
        headers ? headers : "");
    memcpy(c->out + c->out_len, body, blen);
    c->out_len += blen;
    c->out_sent = 0;
}

static void
refuse(conn_t *c, int status)
{
    char  body[256];

    snprintf(body, sizeof(body), "{\"error\":{\"message\":\"%s\","
             "\"type\":\"invalid_request_error\",\"param\":null,"
             "\"code\":\"%d\"}}", http_reason(status), status);
    set_answer(c, status, NULL, body);
}

static void
try_request(http_server_t *s, conn_t *c)
{
    http_request_t   req;
    http_response_t  resp;
    int              rc;

    if (c->in_len == 0) {
        return;
    }
    rc = http_parse_request(c->in, c->in_len, &req);
    if (rc == 1) {
        return;
    }
    if (rc != 0) {
        refuse(c, rc);
        return;
    }
    memset(&resp, 0, sizeof(resp));
    s->handler(s->arg, &req, &resp);
    http_request_free(&req);
    set_answer(c, resp.status ? resp.status : 500, resp.headers,
               resp.body ? resp.body : "{}");
    free(resp.body);
    free(resp.headers);
}

static void
on_readable(http_server_t *s, conn_t *c, int *closed)
{
    ssize_t  n;

    for ( ;; ) {
        if (c->in_cap - c->in_len < 4096) {
            if (c->in_cap >= HTTP_MAX_HEADER + HTTP_MAX_BODY + 8192) {
                refuse(c, 413);
                return;
            }
            c->in_cap = c->in_cap ? c->in_cap * 2 : 8192;
            c->in = realloc(c->in, c->in_cap + 1);
            if (c->in == NULL) {
                abort();
            }
        }
        n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (n > 0) {
            c->in_len += (size_t) n;
            c->in[c->in_len] = '\0';
            continue;
        }
        if (n == 0) {
            /* The peer finished sending: answer what we have, if whole. */
            try_request(s, c);
            if (c->out == NULL) {
                *closed = 1;
            }
            return;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            try_request(s, c);
            return;
        }
        *closed = 1;
        return;
    }
}

static void
on_writable(conn_t *c, int *closed)
{
    ssize_t  n;

    while (c->out_sent < c->out_len) {
        n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
                 MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += (size_t) n;
            continue;
        }
        if (n == -1 && errno == EINTR) {
            continue;
        }
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        *closed = 1;
        return;
    }
    *closed = 1;                        /* answered: Connection: close */
}

int
http_server_pollfds(http_server_t *s, struct pollfd *fds, int max)
{
    int     n = 0;
    size_t  i;

    if (max < 1) {
        return 0;
    }
    fds[n].fd = s->listen_fd;
    fds[n].events = s->nconns < MAX_CONNS ? POLLIN : 0;
    fds[n++].revents = 0;
    for (i = 0; i < s->nconns && n < max; i++) {
        fds[n].fd = s->conns[i].fd;
        fds[n].events = s->conns[i].out ? POLLOUT : POLLIN;
        fds[n++].revents = 0;
    }
    return n;
}

static void
accept_all(http_server_t *s)
{
    conn_t  *c;
    int      fd;

    while (s->nconns < MAX_CONNS) {
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd == -1) {
            return;
        }
        c = &s->conns[s->nconns++];
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        c->deadline = time(NULL) + IO_TIMEOUT_S;
    }
}

void
http_server_process(http_server_t *s, const struct pollfd *fds, int n)
{
    time_t   now = time(NULL);
    size_t   i;
    int      k, closed;
    conn_t  *c;

    /* Connections first (by fd), then new ones. */
    for (i = 0; i < s->nconns; ) {
        c = &s->conns[i];
        closed = 0;
        for (k = 1; k < n; k++) {
            if (fds[k].fd != c->fd || fds[k].revents == 0) {
                continue;
            }
            if (c->out == NULL && (fds[k].revents & (POLLIN | POLLHUP))) {
                on_readable(s, c, &closed);
            }
            if (!closed && c->out != NULL) {
                on_writable(c, &closed);
            }
            if (fds[k].revents & (POLLERR | POLLNVAL)) {
                closed = 1;
            }
            break;
        }
        if (!closed && now > c->deadline) {
            closed = 1;
        }
        if (closed) {
            drop(s, i);
        } else {
            i++;
        }
    }
    if (n > 0 && (fds[0].revents & POLLIN)) {
        accept_all(s);
        /* Answer small requests in the same turn when their bytes are
         * already there. */
        for (i = 0; i < s->nconns; ) {
            c = &s->conns[i];
            closed = 0;
            if (c->in == NULL && c->out == NULL) {
                on_readable(s, c, &closed);
                if (!closed && c->out != NULL) {
                    on_writable(c, &closed);
                }
            }
            if (closed) {
                drop(s, i);
            } else {
                i++;
            }
        }
    }
}

void
http_server_close(http_server_t *s)
{
    if (s == NULL) {
        return;
    }
    while (s->nconns > 0) {
        drop(s, 0);
    }
    close(s->listen_fd);
    unlink(s->path);
    free(s->path);
    free(s);
}
