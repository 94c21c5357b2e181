/* api_base parsing (see cfg_url.h). */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_url.h"

static int
is_host_char(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_';
}

int
cfg_url_parse(const char *text, cfg_url_t *url, const char **why)
{
    const char  *p, *host, *host_end;
    size_t       len;
    long         port;
    char        *end;

    memset(url, 0, sizeof(*url));

    if (strncasecmp(text, "https://", 8) == 0) {
        strcpy(url->scheme, "https");
        url->port = 443;
        p = text + 8;
    } else if (strncasecmp(text, "http://", 7) == 0) {
        strcpy(url->scheme, "http");
        url->port = 80;
        p = text + 7;
    } else {
        *why = "must start with http:// or https://";
        return -1;
    }

    host = p;
    if (*p == '[') {
        p = strchr(p, ']');
        if (p == NULL || p == host + 1) {
            *why = "has a malformed IPv6 address";
            return -1;
        }
        if (strspn(host + 1, "0123456789abcdefABCDEF:.") !=
            (size_t) (p - host - 1))
        {
            *why = "has a malformed IPv6 address";
            return -1;
        }
        p++;
    } else {
        while (is_host_char((unsigned char) *p)) {
            p++;
        }
    }
    host_end = p;

    if (host_end == host) {
        *why = "has no host";
        return -1;
    }
    len = (size_t) (host_end - host);
    if (len >= sizeof(url->host)) {
        *why = "has a host name that is too long";
        return -1;
    }
    memcpy(url->host, host, len);

    if (*p == ':') {
        p++;
        if (!isdigit((unsigned char) *p)) {
            *why = "has an invalid port";
            return -1;
        }
        port = strtol(p, &end, 10);
        if (port < 1 || port > 65535) {
            *why = "has an invalid port";
            return -1;
        }
        url->port = (int) port;
        p = end;
    }

    if (*p != '\0' && *p != '/') {
        *why = *p == '@' ? "must not contain credentials"
                         : "has an invalid character after the host";
        return -1;
    }

    if (strpbrk(p, "?#@ \t\r\n") != NULL) {
        *why = "must not contain a query, fragment, credentials or blanks";
        return -1;
    }

    len = strlen(p);
    while (len > 0 && p[len - 1] == '/') {
        len--;
    }
    if (len >= sizeof(url->path)) {
        *why = "has a path that is too long";
        return -1;
    }
    memcpy(url->path, p, len);
    return 0;
}
