/*
 * Error bodies in each client format, and translation of a provider's error
 * body (whatever it is: OpenAI/Anthropic/Gemini JSON, {"error":"..."} from
 * Ollama, {"detail":...} from vLLM, or an HTML page from a proxy) into the
 * client's format.  The provider's message is kept, because it is what tells
 * the user why (context too long, bad model name), but anything that looks
 * like an API key is masked first: a secret must never reach a client.
 */

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

#define LLM_ERROR_MESSAGE_MAX  2048

const char *
llm_error_type_openai(int status)
{
    switch (status) {
    case 400: case 413: case 422: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 408: case 504: return "timeout_error";
    case 429: return "rate_limit_error";
    case 503: case 529: return "service_unavailable_error";
    default:  return status < 500 ? "invalid_request_error" : "api_error";
    }
}

const char *
llm_error_type_anthropic(int status)
{
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 504: return "timeout_error";
    case 503: case 529: return "overloaded_error";
    default:  return status < 500 ? "invalid_request_error" : "api_error";
    }
}

const char *
llm_error_status_gemini(int status)
{
    switch (status) {
    case 400: case 413: case 422: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 408: case 504: return "DEADLINE_EXCEEDED";
    case 409: return "ABORTED";
    case 429: return "RESOURCE_EXHAUSTED";
    case 501: return "UNIMPLEMENTED";
    case 503: case 529: return "UNAVAILABLE";
    default:  return status < 500 ? "FAILED_PRECONDITION" : "INTERNAL";
    }
}

void
llm_error_body(llm_api_t api, int status, const char *type,
               const char *message, const char *param, llm_buf_t *out)
{
    json_t  *j = NULL;
    char     code[16];

    if (message == NULL) {
        message = "error";
    }
    switch (api) {
    default:                    /* a provider-only format: never a client */
    case LLM_API_OPENAI:
    case LLM_API_RESPONSES:
        snprintf(code, sizeof(code), "%d", status);
        j = json_pack("{s:{s:s,s:s,s:o,s:s}}", "error",
                      "message", message,
                      "type", type ? type : llm_error_type_openai(status),
                      "param", param ? json_string(param) : json_null(),
                      "code", code);
        break;
    case LLM_API_ANTHROPIC:
        j = json_pack("{s:s,s:{s:s,s:s}}", "type", "error", "error",
                      "type", type ? type : llm_error_type_anthropic(status),
                      "message", message);
        break;
    case LLM_API_GEMINI:
        j = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", status,
                      "message", message,
                      "status", type ? type : llm_error_status_gemini(status));
        break;
    }
    if (j == NULL || llm_xl_dump(j, out) != 0) {
        /* invalid UTF-8 in the message, or no memory: still answer */
        llm_buf_appendf(out, "{\"error\":{\"message\":\"error\",\"code\":%d}}",
                        status);
    }
    json_decref(j);
}

/*
 * Masks key-like tokens ("sk-...", "sk-ant-...", "AIza...", long hex/base64
 * runs after "key") to their last 4 characters, replaces bytes that are not
 * valid UTF-8, and caps the length.
 */
static void
llm_error_sanitize(const char *in, size_t len, llm_buf_t *out)
{
    size_t  i = 0, j, n;

    if (len > LLM_ERROR_MESSAGE_MAX) {
        len = LLM_ERROR_MESSAGE_MAX;
    }
    while (i < len) {
        unsigned char  ch = (unsigned char) in[i];

        if ((i == 0 || !isalnum((unsigned char) in[i - 1]))
            && ((len - i > 3 && memcmp(in + i, "sk-", 3) == 0)
                || (len - i > 4 && memcmp(in + i, "AIza", 4) == 0)))
        {
            for (j = i; j < len && (isalnum((unsigned char) in[j])
                                    || in[j] == '-' || in[j] == '_'
                                    || in[j] == '*' || in[j] == '.'); j++)
            {
                /* the token */
            }
            n = j - i;
            if (n >= 12) {
                while (n && in[i + n - 1] == '.') {
                    n--;            /* a sentence's final period */
                }
                llm_buf_appendf(out, "%.*s...%.4s", in[i] == 's' ? 3 : 4,
                                in + i, in + i + n - 4);
                i += n;
                continue;
            }
        }

        if (ch < 0x80) {
            llm_buf_append(out, (ch < 0x20 && ch != '\n' && ch != '\t')
                                ? " " : in + i, 1);
            i++;
            continue;
        }
        /* one UTF-8 sequence, validated; anything else becomes '?' */
        n = ch >= 0xF0 && ch <= 0xF4 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC2 ? 2 : 0;
        if (ch >= 0xF5) {
            n = 0;
        }
        for (j = 1; n && j < n; j++) {
            if (i + j >= len || ((unsigned char) in[i + j] & 0xC0) != 0x80) {
                n = 0;
            }
        }
        if (n) {
            llm_buf_append(out, in + i, n);
            i += n;
        } else {
            llm_buf_append(out, "?", 1);
            i++;
        }
    }
}

/* the message, type and param inside a provider error document */
static void
llm_error_fields(json_t *doc, llm_api_t from, const char **msg,
                 const char **type, const char **param)
{
    json_t  *e;

    if (json_is_array(doc)) {           /* Gemini sometimes wraps in [..] */
        doc = json_array_get(doc, 0);
    }
    e = json_object_get(doc, "error");
    if (json_is_string(e)) {            /* Ollama: {"error":"..."} */
        *msg = json_string_value(e);
        return;
    }
    if (json_is_object(e)) {
        *msg = llm_xl_str(e, "message");
        *type = llm_xl_str(e, "type");
        if (*type == NULL && from == LLM_API_GEMINI) {
            /* Google's; not a type of another format's (Vertex AI
               answers its own errors so, for Claude too) */
            *type = llm_xl_str(e, "status");
        }
        *param = llm_xl_str(e, "param");
        return;
    }
    *msg = llm_xl_str(doc, "message");
    if (*msg == NULL) {
        *msg = llm_xl_str(doc, "detail");     /* FastAPI-based servers */
    }
    if (*msg == NULL && json_is_array(json_object_get(doc, "detail"))) {
        *msg = llm_xl_str(json_array_get(json_object_get(doc, "detail"), 0),
                          "msg");
    }
}

void
llm_xlate_error(llm_api_t from, llm_api_t to, int status, const char *in,
                size_t len, llm_buf_t *out)
{
    json_t      *doc = NULL;
    const char  *msg = NULL, *type = NULL, *param = NULL;
    llm_buf_t    clean = LLM_BUF_INIT;
    size_t       b, e;

    if (from == LLM_API_OPENAI_TEXT) {
        from = LLM_API_OPENAI;          /* the same error bodies */
    }

    if (in && len) {
        doc = llm_json_load(in, len, LLM_XL_LOAD_FLAGS | JSON_DECODE_ANY,
                            NULL);
    }
    if (doc) {
        llm_error_fields(doc, from, &msg, &type, &param);
    }

    if (msg) {
        llm_error_sanitize(msg, strlen(msg), &clean);
    } else if (doc == NULL && in && len) {
        /* not JSON (an HTML error page, plain text): keep it, trimmed */
        for (b = 0; b < len && isspace((unsigned char) in[b]); b++) { }
        for (e = len; e > b && isspace((unsigned char) in[e - 1]); e--) { }
        llm_error_sanitize(in + b, e - b, &clean);
    }
    if (clean.len == 0) {
        llm_buf_appendf(&clean, "upstream error (HTTP %d)", status);
    }

    /* a type only means something to a client of the same format */
    if (from != to || (type && !*type)) {
        type = NULL;
    }
    llm_error_body(to, status, type, clean.data,
                   to != LLM_API_ANTHROPIC && to != LLM_API_GEMINI
                   && from == to ? param : NULL, out);
    llm_buf_free(&clean);
    json_decref(doc);
}
