/* HTTP client for controld and llmctl (see ctl_http.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ctl_http.h"

void
ctl_http_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
    ctl_http_response_t  *resp = arg;
    size_t                len = size * n;
    char                 *grown;

    grown = realloc(resp->body, resp->len + len + 1);
    if (grown == NULL) {
        return 0;
    }
    resp->body = grown;
    memcpy(resp->body + resp->len, data, len);
    resp->len += len;
    resp->body[resp->len] = '\0';
    return len;
}

int
ctl_http_request(const char *unix_socket, const char *method,
    const char *url, const char *body, const char *bearer, long timeout_ms,
    ctl_http_response_t *resp, char *error, size_t error_size)
{
    ctl_http_call_t   call;
    char              auth[1024];
    const char       *headers[2] = { NULL, NULL };
    int               rc;

    memset(&call, 0, sizeof(call));
    call.unix_socket = unix_socket;
    call.method = method;
    call.url = url;
    call.body = body;
    call.timeout_ms = timeout_ms;
    if (bearer != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        headers[0] = auth;
    }
    call.headers = headers;
    rc = ctl_http_call(&call, resp, error, error_size);
    memset(auth, 0, sizeof(auth));
    return rc;
}

int
ctl_http_call(const ctl_http_call_t *call, ctl_http_response_t *resp,
    char *error, size_t error_size)
{
    CURL               *curl;
    CURLcode            rc;
    struct curl_slist  *headers = NULL;
    const char *const  *h;
    char                curl_error[CURL_ERROR_SIZE] = "";

    memset(resp, 0, sizeof(*resp));

    curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(error, error_size, "curl_easy_init failed");
        return -1;
    }

    curl_easy_setopt(curl, CURLOPT_URL, call->url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call->method);
    /* Never through an *_proxy setting: the admin socket, loopback, and
     * the addresses the operator configured (providers, Vault). */
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, call->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     call->timeout_ms < 5000 ? call->timeout_ms : 5000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);

    if (call->unix_socket != NULL) {
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, call->unix_socket);
    }
    if (call->ca_file != NULL) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, call->ca_file);
    }

    if (call->body != NULL) {
        snprintf(curl_error, sizeof(curl_error), "Content-Type: %s",
                 call->content_type ? call->content_type
                                    : "application/json");
        headers = curl_slist_append(headers, curl_error);
        curl_error[0] = '\0';
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) strlen(call->body));
    }
    for (h = call->headers; h != NULL && *h != NULL; h++) {
        headers = curl_slist_append(headers, *h);
    }
    /* A large body must not wait for "100 Continue". */
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    } else {
        snprintf(error, error_size, "%s",
                 curl_error[0] ? curl_error : curl_easy_strerror(rc));
    }

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    if (rc != CURLE_OK) {
        ctl_http_response_free(resp);
        return -1;
    }
    if (resp->body == NULL) {
        resp->body = calloc(1, 1);
    }
    return 0;
}

void
ctl_http_response_free(ctl_http_response_t *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}
