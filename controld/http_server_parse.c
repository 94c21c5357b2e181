/* The HTTP/1.x request parser (see http_server.h). */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "http_server.h"

static int
is_tchar(int c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* %XX decoding; -1 on a bad escape or an encoded NUL. */
static int
percent_decode(const char *in, size_t len, int plus_is_space, char **out)
{
    char    *o = malloc(len + 1);
    size_t   i, n = 0;
    int      hi, lo;

    if (o == NULL) {
        abort();
    }
    for (i = 0; i < len; i++) {
        if (in[i] == '%') {
            if (i + 2 >= len) {
                free(o);
                return -1;
            }
            hi = isxdigit((unsigned char) in[i + 1])
                 ? (isdigit((unsigned char) in[i + 1]) ? in[i + 1] - '0'
                    : (tolower((unsigned char) in[i + 1]) - 'a' + 10)) : -1;
            lo = isxdigit((unsigned char) in[i + 2])
                 ? (isdigit((unsigned char) in[i + 2]) ? in[i + 2] - '0'
                    : (tolower((unsigned char) in[i + 2]) - 'a' + 10)) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(o);
                return -1;
            }
            o[n++] = (char) (hi * 16 + lo);
            i += 2;
        } else if (in[i] == '+' && plus_is_space) {
            o[n++] = ' ';
        } else {
            o[n++] = in[i];
        }
    }
    o[n] = '\0';
    *out = o;
    return 0;
}

static char *
dup_range(const char *s, size_t len)
{
    char  *d = malloc(len + 1);

    if (d == NULL) {
        abort();
    }
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void
http_request_free(http_request_t *req)
{
    size_t  i;

    free(req->path);
    free(req->query);
    for (i = 0; i < req->nheaders; i++) {
        free(req->headers[i].name);
        free(req->headers[i].value);
    }
    free(req->body);
    memset(req, 0, sizeof(*req));
}

const char *
http_header(const http_request_t *req, const char *name)
{
    size_t  i;

    for (i = 0; i < req->nheaders; i++) {
        if (strcmp(req->headers[i].name, name) == 0) {
            return req->headers[i].value;
        }
    }
    return NULL;
}

/* Request line: METHOD SP /target SP HTTP/1.x */
static int
parse_request_line(const char *line, size_t len, http_request_t *req)
{
    const char  *sp1, *sp2, *target, *q;
    size_t       mlen, tlen;

    sp1 = memchr(line, ' ', len);
    if (sp1 == NULL) {
        return 400;
    }
    mlen = (size_t) (sp1 - line);
    if (mlen == 0 || mlen >= sizeof(req->method)) {
        return mlen == 0 ? 400 : 501;
    }
    for (size_t i = 0; i < mlen; i++) {
        if (!isupper((unsigned char) line[i])) {
            return 400;
        }
    }
    memcpy(req->method, line, mlen);
    req->method[mlen] = '\0';

    target = sp1 + 1;
    sp2 = memchr(target, ' ', len - (size_t) (target - line));
    if (sp2 == NULL) {
        return 400;
    }
    tlen = (size_t) (sp2 - target);
    if (tlen == 0 || target[0] != '/') {
        return 400;
    }
    for (size_t i = 0; i < tlen; i++) {
        if ((unsigned char) target[i] <= 0x20 || target[i] == 0x7f) {
            return 400;
        }
    }

    if ((size_t) (line + len - (sp2 + 1)) != 8
        || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
    {
        return 400;
    }
    if (sp2[8] != '0' && sp2[8] != '1') {
        return 505;
    }

    q = memchr(target, '?', tlen);
    if (percent_decode(target, q ? (size_t) (q - target) : tlen, 0,
                       &req->path) != 0)
    {
        return 400;
    }
    if (q != NULL) {
        req->query = dup_range(q + 1, tlen - (size_t) (q + 1 - target));
    }
    return sp2[8] == '1' ? 11 : 10;
}

static int
parse_header(const char *line, size_t len, http_request_t *req)
{
    const char  *colon, *v, *end;
    size_t       i, nlen;
    char        *name;

    if (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
        return 400;                     /* obsolete line folding */
    }
    colon = memchr(line, ':', len);
    if (colon == NULL || colon == line) {
        return 400;
    }
    nlen = (size_t) (colon - line);
    for (i = 0; i < nlen; i++) {
        if (!is_tchar((unsigned char) line[i])) {
            return 400;
        }
    }
    v = colon + 1;
    end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    for (const char *p = v; p < end; p++) {
        if ((unsigned char) *p < 0x20 && *p != '\t') {
            return 400;
        }
    }
    if (req->nheaders == HTTP_MAX_HEADERS) {
        return 431;
    }
    name = dup_range(line, nlen);
    for (i = 0; i < nlen; i++) {
        name[i] = (char) tolower((unsigned char) name[i]);
    }
    req->headers[req->nheaders].name = name;
    req->headers[req->nheaders].value = dup_range(v, (size_t) (end - v));
    req->nheaders++;
    return 0;
}

/* Content-Length: digits only; repeated values must agree. */
static int
content_length(const http_request_t *req, size_t *out)
{
    size_t        i, n;
    const char   *v;
    int           seen = 0;
    unsigned long long  len;

    *out = 0;
    for (i = 0; i < req->nheaders; i++) {
        if (strcmp(req->headers[i].name, "content-length") != 0) {
            continue;
        }
        v = req->headers[i].value;
        n = strlen(v);
        if (n == 0 || n > 12 || strspn(v, "0123456789") != n) {
            return 400;
        }
        len = strtoull(v, NULL, 10);
        if (seen && len != *out) {
            return 400;
        }
        if (len > HTTP_MAX_BODY) {
            return 413;
        }
        *out = (size_t) len;
        seen = 1;
    }
    return 0;
}

int
http_parse_request(const char *buf, size_t len, http_request_t *req)
{
    const char  *p, *eol, *end_of_headers;
    size_t       header_len, body_len;
    int          rc, version;

    memset(req, 0, sizeof(*req));

    end_of_headers = NULL;
    for (p = buf; p + 3 < buf + len; p++) {
        if (p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n') {
            end_of_headers = p;
            break;
        }
    }
    if (end_of_headers == NULL) {
        /* A bare LF is not accepted as a line end. */
        if (len > HTTP_MAX_HEADER) {
            return 431;
        }
        return 1;
    }
    header_len = (size_t) (end_of_headers - buf) + 4;
    if (header_len > HTTP_MAX_HEADER) {
        return 431;
    }

    eol = memchr(buf, '\r', (size_t) (end_of_headers + 1 - buf));
    if (eol == NULL || eol[1] != '\n') {
        return 400;
    }
    version = parse_request_line(buf, (size_t) (eol - buf), req);
    if (version != 10 && version != 11) {
        http_request_free(req);
        return version;
    }

    for (p = eol + 2; p < end_of_headers + 2; p = eol + 2) {
        eol = memchr(p, '\r', (size_t) (end_of_headers + 2 - p));
        if (eol == NULL || eol[1] != '\n') {
            http_request_free(req);
            return 400;
        }
        if ((memchr(p, '\n', (size_t) (eol - p)) != NULL)
            || (rc = parse_header(p, (size_t) (eol - p), req)) != 0)
        {
            http_request_free(req);
            return rc ? rc : 400;
        }
    }

    if (version == 11 && http_header(req, "host") == NULL) {
        http_request_free(req);
        return 400;
    }
    if (http_header(req, "transfer-encoding") != NULL) {
        http_request_free(req);
        return 501;
    }
    rc = content_length(req, &body_len);
    if (rc != 0) {
        http_request_free(req);
        return rc;
    }
    if (len - header_len < body_len) {
        http_request_free(req);
        return 1;
    }
    req->body = dup_range(buf + header_len, body_len);
    req->body_len = body_len;
    return 0;
}

char *
http_query_param(const http_request_t *req, const char *name)
{
    const char  *p, *amp, *eq;
    size_t       nlen = strlen(name);
    char        *out;

    for (p = req->query; p != NULL && *p; p = amp ? amp + 1 : NULL) {
        amp = strchr(p, '&');
        eq = memchr(p, '=', amp ? (size_t) (amp - p) : strlen(p));
        if (eq != NULL && (size_t) (eq - p) == nlen
            && strncmp(p, name, nlen) == 0)
        {
            if (percent_decode(eq + 1, amp ? (size_t) (amp - eq - 1)
                                           : strlen(eq + 1), 1, &out) != 0)
            {
                return NULL;
            }
            return out;
        }
        if (amp == NULL) {
            break;
        }
    }
    return NULL;
}

const char *
http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default:  return "Unknown";
    }
}
