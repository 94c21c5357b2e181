/*
 * The LiteLLM-compatible management API (/key/..., /team/..., /spend/keys,
 * /global/spend), served by controld on its unix socket behind nginx's
 * `llm_management` location.  docs/keys-and-budgets.md lists the routes.
 */

#ifndef MGMT_H
#define MGMT_H

#include "http_server.h"

/* http_handler_fn; arg is the keys_service_t. */
void mgmt_handle(void *arg, const http_request_t *req, http_response_t *resp);

#endif
