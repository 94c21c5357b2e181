/* Deployment DNS (see cfg_resolve.h). */

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg_resolve.h"

void
cfg_dns_init(cfg_dns_t *dns)
{
    dns->answers = json_object();
}

void
cfg_dns_free(cfg_dns_t *dns)
{
    json_decref(dns->answers);
    dns->answers = NULL;
}

static int
compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

json_t *
cfg_dns_lookup(const char *host, int port, const char **why)
{
    char              name[256], ip[INET6_ADDRSTRLEN];
    char              found[CFG_MAX_ADDRS][INET6_ADDRSTRLEN + 10];
    const char       *sorted[CFG_MAX_ADDRS];
    size_t            n = 0, i, len;
    int               rc;
    json_t           *out;
    struct addrinfo   hints, *res, *ai;

    /* "[::1]" is how an IPv6 literal is written in a URL and a Host header. */
    len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        snprintf(name, sizeof(name), "%.*s", (int) (len - 2), host + 1);
    } else {
        snprintf(name, sizeof(name), "%s", host);
    }

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0) {
        *why = gai_strerror(rc);
        return NULL;
    }

    for (ai = res; ai != NULL && n < CFG_MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *) ai->ai_addr)->sin_addr,
                      ip, sizeof(ip));
            snprintf(found[n], sizeof(found[n]), "%s:%d", ip, port);
        } else if (ai->ai_family == AF_INET6) {
            inet_ntop(AF_INET6,
                      &((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr,
                      ip, sizeof(ip));
            snprintf(found[n], sizeof(found[n]), "[%s]:%d", ip, port);
        } else {
            continue;
        }
        for (i = 0; i < n; i++) {
            if (strcmp(found[i], found[n]) == 0) {
                break;
            }
        }
        if (i == n) {
            sorted[n] = found[n];
            n++;
        }
    }
    freeaddrinfo(res);

    if (n == 0) {
        *why = "no IPv4 or IPv6 address";
        return NULL;
    }

    qsort(sorted, n, sizeof(sorted[0]), compare_strings);
    out = json_array();
    for (i = 0; i < n; i++) {
        json_array_append_new(out, json_string(sorted[i]));
    }
    return out;
}

int
cfg_dns_resolve(cfg_dns_t *dns, json_t *doc, cfg_dns_log_fn log)
{
    char         key[300], message[512];
    const char  *host, *why;
    int          port, failures = 0;
    size_t       i, l;
    json_t      *dep, *addrs, *entry, *resolved;

    static const char  *lists[] = { "deployments", "pass_through" };

    /* Pass 1: one look-up per distinct host:port this round. */
    resolved = json_object();

    /* deployments, then pass-through targets: the same host:port keys */
    for (l = 0; l < 2; l++)
    json_array_foreach(json_object_get(doc, lists[l]), i, dep) {
        host = json_string_value(json_object_get(dep, "host"));
        if (host == NULL) {
            continue;                       /* mock: nothing to resolve */
        }
        port = (int) json_integer_value(json_object_get(dep, "port"));
        snprintf(key, sizeof(key), "%s|%d", host, port);
        if (json_object_get(resolved, key) != NULL) {
            continue;
        }
        json_object_set_new(resolved, key, json_true());

        entry = json_object_get(dns->answers, key);
        addrs = cfg_dns_lookup(host, port, &why);

        if (addrs != NULL) {
            if (entry != NULL && json_is_true(json_object_get(entry, "failing"))
                && log != NULL)
            {
                snprintf(message, sizeof(message), "%s resolves again", host);
                log(message);
            }
            json_object_set_new(dns->answers, key,
                                json_pack("{s:o, s:b}", "addrs", addrs,
                                          "failing", 0));
            continue;
        }

        failures++;
        if (entry == NULL) {
            entry = json_pack("{s:[], s:b}", "addrs", "failing", 0);
            json_object_set_new(dns->answers, key, entry);
        }
        if (!json_is_true(json_object_get(entry, "failing")) && log != NULL) {
            snprintf(message, sizeof(message),
                     "warning: cannot resolve %s (%s); %s", host, why,
                     json_array_size(json_object_get(entry, "addrs"))
                         ? "keeping its previous addresses"
                         : "its deployments get no address (502)");
            log(message);
        }
        json_object_set_new(entry, "failing", json_true());
    }
    json_decref(resolved);

    /* Pass 2: every deployment gets its host's current answer. */
    for (l = 0; l < 2; l++)
    json_array_foreach(json_object_get(doc, lists[l]), i, dep) {
        host = json_string_value(json_object_get(dep, "host"));
        if (host == NULL) {
            continue;
        }
        port = (int) json_integer_value(json_object_get(dep, "port"));
        snprintf(key, sizeof(key), "%s|%d", host, port);
        entry = json_object_get(dns->answers, key);
        json_object_set_new(dep, "addrs",
                            json_deep_copy(json_object_get(entry, "addrs")));
    }
    return failures;
}
