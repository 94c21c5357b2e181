/*
 * DNS for deployments: the module never resolves, so controld turns every
 * deployment's host into "addrs" ("ip:port", "[ip6]:port"; at most 8).
 */

#ifndef CFG_RESOLVE_H
#define CFG_RESOLVE_H

#include <jansson.h>

#define CFG_MAX_ADDRS  8

typedef struct {
    /* "host|port" -> {"addrs": [...], "failing": bool}: the last good
     * answer, kept when a later look-up fails. */
    json_t  *answers;
} cfg_dns_t;

typedef void (*cfg_dns_log_fn)(const char *message);

void cfg_dns_init(cfg_dns_t *dns);
void cfg_dns_free(cfg_dns_t *dns);

/*
 * Resolve every distinct host:port of doc's deployments (mock ones have no
 * host) and set their "addrs" (sorted, so an unchanged answer gives the same
 * document).  A failed look-up keeps the previous addrs, or [] if there were
 * none; `log` hears about a host when it starts or stops failing.
 * Returns the number of hosts that failed this round.
 */
int cfg_dns_resolve(cfg_dns_t *dns, json_t *doc, cfg_dns_log_fn log);

/* One look-up (exposed for tests): a JSON array, or NULL with *why set. */
json_t *cfg_dns_lookup(const char *host, int port, const char **why);

#endif
