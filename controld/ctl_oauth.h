/*
 * OAuth2 access tokens for service-account deployments (Vertex AI).  The
 * compiled config carries each such deployment's account in "oauth2"
 * (cfg_vertex.c); ctl_oauth_apply() swaps it for the current token
 * ("api_key", which the module sends as Authorization: Bearer) before a
 * publish, or moves the deployment to "disabled" with the reason while
 * there is no token.  A thread of its own signs the JWT, posts it to the
 * account's token_uri (libcurl, blocking there and only there), renews a
 * token at 80% of its lifetime and retries a failure with backoff; it
 * makes the fd readable whenever a token or an error changed, and the
 * daemon then publishes again.  Tokens and keys are never logged.
 */

#ifndef CTL_OAUTH_H
#define CTL_OAUTH_H

#include <jansson.h>

typedef struct ctl_oauth_s  ctl_oauth_t;

ctl_oauth_t *ctl_oauth_create(void);
void ctl_oauth_free(ctl_oauth_t *o);

/* Readable when something changed; ctl_oauth_drain() clears it. */
int ctl_oauth_fd(ctl_oauth_t *o);
void ctl_oauth_drain(ctl_oauth_t *o);

/* Tokens in, accounts out, of doc (a copy about to be published). */
void ctl_oauth_apply(ctl_oauth_t *o, json_t *doc);

/* Without a daemon (controld --check): accounts out, nothing fetched. */
void ctl_oauth_strip(json_t *doc);

#endif /* CTL_OAUTH_H */
